"""A small driver for the widget in Playwright tests, and domain.yml text matching."""

from __future__ import annotations

import os
import re
from typing import Any

import pytest
from playwright.sync_api import expect

from bot.settings import ROOT

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "docs" / "screenshots"


def require(ok: bool, message: str) -> None:
    """Skip outside CI; under CI the browser tests must run, so a missing tool fails."""
    if ok:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI=true: browser tests must run)")
    pytest.skip(message)


# A bubble's text without its screen-reader prefix ("Du:", "Vägvisaren:").
BUBBLE_TEXT = (
    "b => b ? [...b.childNodes].filter(n => !n.classList?.contains('vv-sr'))"
    ".map(n => n.textContent).join('') : ''"
)


class Widget:
    """Drives the widget the way a pupil does; every locator pierces its shadow root."""

    def __init__(self, page: Any, base_url: str):
        self.page = page
        self.base_url = base_url
        self.panel = page.locator(".vv-panel")
        self.input = page.locator(".vv-input")

    def open(self) -> None:
        self.page.goto(f"{self.base_url}/")
        self.page.locator(".vv-launcher").click()
        expect(self.panel).to_be_visible()

    def choose_language(self, language: str) -> None:
        self.page.locator(".vv-lang").select_option(language)

    def set_plain(self, on: bool) -> None:
        self.page.locator(".vv-plain").set_checked(on)

    def send(self, text: str) -> list[str]:
        """Type a message, press Enter, wait for the reply; return the new bot texts."""
        before = self.page.locator(".vv-msg").count()
        self.input.fill(text)
        self.input.press("Enter")
        return self._wait(before)

    def click_quick_reply(self, title: str) -> list[str]:
        before = self.page.locator(".vv-msg").count()
        self.page.locator(".vv-quick-button", has_text=title).first.click()
        return self._wait(before)

    def _wait(self, before: int) -> list[str]:
        expect(self.page.locator(".vv-typing.vv-on")).to_have_count(0)
        expect(self.page.locator(".vv-msg")).not_to_have_count(before)
        texts = self.page.locator(".vv-msg").evaluate_all(
            f"els => els.slice({before}).filter(e => e.classList.contains('vv-bot'))"
            f".map(e => e.querySelector('.vv-bubble')).map({BUBBLE_TEXT})"
        )
        return [text for text in texts if text]

    def user_texts(self) -> list[str]:
        return self.page.locator(".vv-user .vv-bubble").evaluate_all(
            f"els => els.map({BUBBLE_TEXT})"
        )


def responses(domain: dict, name: str, language: str, plain: bool) -> list[re.Pattern[str]]:
    """The texts of one domain response as regexes; {variables} match anything."""
    found = []
    for variation in domain["responses"][name]:
        condition = {c["name"]: c["value"] for c in variation.get("condition", [])}
        if condition.get("language") == language and condition.get("plain_language") == plain:
            # The widget shows *word* in bold, so the asterisks are not part of the text.
            text = variation["text"].replace("*", "")
            found.append(re.compile(re.sub(r"\\\{\w+\\\}", ".*", re.escape(text)), re.DOTALL))
    return found


def is_response(text: str, domain: dict, name: str, language: str, plain: bool) -> bool:
    return any(p.fullmatch(text) for p in responses(domain, name, language, plain))
