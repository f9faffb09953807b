"""The counsellor page in real Chromium, on data from a conversation held through the real stack.

Under CI (`CI=true`) a missing Chromium fails the run; elsewhere the test skips with a message.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from bot import storage
from bot.settings import ROOT
from bot.stack import Stack

CHROMIUM = Path(os.environ.get("VAGVISAREN_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SCHOOL = "browser-skolan"
SENDER = "browser-pupil-1"
PASSWORD = "a long test password"


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = f"no Chromium at {CHROMIUM}: install Debian's chromium to run the browser test"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.mark.e2e
def test_counsellor_sees_conversation_and_handover(stack: Stack) -> None:
    _require_chromium()
    from playwright.sync_api import expect, sync_playwright

    webhook = f"{stack.rasa_url}/webhooks/rest/webhook"
    for message in ("hej", "jag gillar att skruva på mopeder",
                    "jag vill prata med en människa"):
        reply = httpx.post(webhook, json={"sender": SENDER, "message": message,
                                          "metadata": {"school": SCHOOL, "language": "sv"}},
                           timeout=120)
        reply.raise_for_status()
    env = dict(os.environ, VAGVISAREN_VAR_DIR=str(stack.var_dir),
               VAGVISAREN_TRACKER_DB=str(stack.tracker_db))
    created = subprocess.run(
        [sys.executable, "-m", "bot.admin", "add-counsellor", "--username", "syv-browser",
         "--school", SCHOOL, "--language", "sv", "--password-stdin"],
        input=PASSWORD + "\n", text=True, capture_output=True, env=env, cwd=ROOT, check=False)
    assert created.returncode == 0, created.stderr

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(locale="sv-SE")
            page.goto(f"{stack.gateway_url}/counsellor")
            page.fill("#username", "syv-browser")
            page.fill("#password", PASSWORD)
            page.click("#login-form button[type=submit]")
            row = page.locator(f'#conversations tr[data-id="{SENDER}"]')
            expect(row).to_be_visible(timeout=30_000)
            expect(row).to_contain_text("Fordon".lower())
            handover = page.locator(f'#handovers li[data-id="{SENDER}"]')
            expect(handover).to_contain_text("prata med en människa")
            expect(page.locator("#chart-language rect")).to_have_count(1)
            row.click()
            expect(page.locator("#detail-summary")).to_contain_text("vägledare")
            page.click("#show-transcript")
            expect(page.locator("#transcript")).to_contain_text("mopeder")
            page.select_option("#ui-lang", "fi")
            expect(page.locator("#logout")).to_have_text("Kirjaudu ulos")
        finally:
            browser.close()

    with storage.session(f"sqlite:///{stack.var_dir / 'app.db'}") as current:
        entries = current.scalars(select(storage.AuditEntry)).all()
    assert [(e.username, e.conversation_id) for e in entries] == [("syv-browser", SENDER)]
