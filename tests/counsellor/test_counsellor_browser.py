"""The counsellor page in real Chromium, on data from a conversation held through the real stack.

Under CI (`CI=true`) a missing Chromium fails the run; elsewhere the test skips with a message.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from bot import storage
from bot.settings import ROOT
from bot.stack import Stack, free_port

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
               VAGVISAREN_TRACKER_DB=str(stack.tracker_db),
               VAGVISAREN_BROKER_DB=str(stack.broker_db))
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
        entries = current.scalars(select(storage.AuditEntry).where(
            storage.AuditEntry.username == "syv-browser")).all()  # other suites share the stack
    assert [(e.username, e.conversation_id) for e in entries] == [("syv-browser", SENDER)]


def test_login_page_says_when_logins_are_throttled(tmp_path: Path) -> None:
    """Only the gateway (no Rasa needed): the third wrong password says how long to wait."""
    _require_chromium()
    from playwright.sync_api import expect, sync_playwright

    port = free_port()
    env = dict(os.environ, VAGVISAREN_VAR_DIR=str(tmp_path),
               VAGVISAREN_LOGIN_FAILURES_PER_ACCOUNT="2", VAGVISAREN_PURGE_INTERVAL_HOURS="0")
    gateway = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bot.api.app:app", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"], cwd=ROOT, env=env)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{url}/counsellor", timeout=2).raise_for_status()
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline and gateway.poll() is None
                time.sleep(0.3)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                                 args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(locale="sv-SE")
                page.goto(f"{url}/counsellor")
                error = page.locator("#login-error")
                for status, expected in (
                        (401, "Fel användarnamn"), (401, "Fel användarnamn"),
                        (429, "För många misslyckade inloggningar. Försök igen om 15 min.")):
                    page.fill("#username", "anna.syv")
                    page.fill("#password", "not the password")
                    # One login at a time: a slow 401 must not overwrite a later, fast 429.
                    with page.expect_response(lambda r: r.url.endswith("/login")) as answer:
                        page.click("#login-form button[type=submit]")
                    assert answer.value.status == status
                    expect(error).to_have_text(expected if status == 429 else
                                               "Fel användarnamn eller lösenord.")
            finally:
                browser.close()
    finally:
        gateway.terminate()
        gateway.wait(timeout=15)
