"""Gateway: the only public edge. Rasa and the action server stay on loopback.

Each part of the API lives in its own router module; this file only assembles them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from bot.api import chat, counsellor
from bot.settings import get_settings
from bot.summaries.schedule import RetentionJob


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    """Runs the daily retention purge beside the API (VAGVISAREN_PURGE_INTERVAL_HOURS=0: off)."""
    hours = get_settings().purge_interval_hours
    retention = asyncio.create_task(RetentionJob(interval_s=hours * 3600).serve()) \
        if hours > 0 else None
    yield
    if retention is not None:
        retention.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await retention
    await chat.close_clients()


app = FastAPI(
    title="Vägvisaren gateway",
    version="0.1.0",
    description="Chat API in front of the Vägvisaren Rasa assistant.",
    lifespan=lifespan,
)
app.include_router(chat.router)
app.include_router(counsellor.router)
