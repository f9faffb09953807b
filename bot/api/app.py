"""Gateway: the only public edge. Rasa and the action server stay on loopback.

Each part of the API lives in its own router module; this file only assembles them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from bot.api import chat, counsellor


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    yield
    await chat.close_clients()


app = FastAPI(
    title="Vägvisaren gateway",
    version="0.1.0",
    description="Chat API in front of the Vägvisaren Rasa assistant.",
    lifespan=lifespan,
)
app.include_router(chat.router)
app.include_router(counsellor.router)
