"""Browser tests: Debian's Chromium driven by Playwright against the real stack.

Under CI (`CI=true`) a missing browser or axe-core fails the run; elsewhere the tests skip with
a message, so `pytest` still works on a machine without Chromium.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import sync_playwright
from webwidget import Widget, require

from bot.stack import Ports, Stack, free_port

CHROMIUM = Path(os.environ.get("VAGVISAREN_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    require(CHROMIUM.exists(), f"no Chromium at {CHROMIUM}: run `make browser` to install it")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def web_url(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A gateway of its own in front of the session's real Rasa and action server.

    All browser tests come from 127.0.0.1, so the per-IP limit is raised here; everything else
    is the default configuration. One warm-up conversation loads the matching model first.
    """
    warm = {"sender": "web-warmup", "metadata": {"language": "sv"}}
    for message in ("jag gillar att skruva på mopeder", "jag bor i Umeå"):
        httpx.post(f"{stack.rasa_url}/webhooks/rest/webhook", json=warm | {"message": message},
                   timeout=120).raise_for_status()
    gateway = Stack(
        Ports(stack.ports.rasa, stack.ports.actions, free_port()),
        tmp_path_factory.mktemp("web-gateway"),
        token=stack.token,  # the session's Rasa answers its own token only
        extra_env={"VAGVISAREN_VAR_DIR": str(stack.var_dir),
                   "VAGVISAREN_RATE_LIMIT_PER_IP": "1000"},
    )
    gateway.start(["gateway"])
    try:
        gateway.wait_ready(["gateway"], timeout=60)
        yield gateway.gateway_url
    finally:
        gateway.stop()


@pytest.fixture
def open_page(browser: Any, web_url: str) -> Iterator[Callable[..., Any]]:
    """Opens pages in fresh contexts (own sessionStorage); any script or CSP error fails."""
    contexts: list[Any] = []
    errors: list[str] = []

    def _open(**options: Any) -> Any:
        context = browser.new_context(**{"viewport": {"width": 1100, "height": 800}} | options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.on("pageerror", lambda err: errors.append(str(err)))
        page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
        return page

    yield _open
    for context in contexts:
        context.close()
    assert not errors, f"errors in the page: {errors}"


@pytest.fixture
def page(open_page: Callable[..., Any]) -> Any:
    return open_page()


@pytest.fixture
def widget(page: Any, web_url: str) -> Widget:
    return Widget(page, web_url)


