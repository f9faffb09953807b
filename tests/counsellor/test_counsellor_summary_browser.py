"""The summary a counsellor acts on, in real Chromium: one conversation with every item, read
on the page in the counsellor's language, checked with axe-core, and saved as the screenshot
in docs/screenshots/. Only the gateway runs (no Rasa): the tracker events are written here."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from counsellor_events import Tracker
from test_counsellor_browser import CHROMIUM, CHROMIUM_ARGS, _require_chromium

from bot import storage
from bot.auth import accounts, schools
from bot.settings import ROOT
from bot.stack import free_port

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOT = ROOT / "docs" / "screenshots" / "counsellor-summary.png"
PASSWORD = "a long test password"
RUN_AXE = """async () => {
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
    resultTypes: ["violations"],
  });
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
}"""


def pupil(tracker: Tracker, sender: str, start: float, school: str) -> None:
    """A pupil in Göteborg who likes cars: cards with schools, a sign-up, two questions the
    bot could not answer (one with a phone number), and a question for the counsellor."""
    tracker.user(sender, start, "hej", "greet", {"school": school})
    tracker.slot(sender, start + 1, "school", school)
    tracker.slot(sender, start + 1, "language", "sv")
    tracker.user(sender, start + 10, "jag gillar att skruva på mopeder och bilar",
                 "tell_interest")
    tracker.slot(sender, start + 11, "location", "goteborg")
    tracker.bot(sender, start + 12, custom={"type": "suggestions", "language": "sv", "items": [
        {"kind": "programme", "id": "se_ft", "title": "Fordon", "fields": ["vehicles"],
         "providers": [{"id": "motorbranschens_tekniska_gymnasium", "name": "M",
                        "kind": "gymnasieskola", "municipality": "goteborg",
                        "website": "https://goteborg.se"}]},
        {"kind": "profession", "id": "car_mechanic", "title": "Bilmekaniker"},
        {"kind": "company", "id": "volvo_cars_torslanda", "title": "Volvo Cars"},
        {"kind": "visit", "id": "industrinatten_goteborg", "title": "Industrinatten"}]})
    tracker.user(sender, start + 20, "kan man jobba med rallybilar? ring 070-123 45 67",
                 "nlu_fallback")
    tracker.bot(sender, start + 21, "Jag förstod inte.", "utter_default")
    tracker.user(sender, start + 30, "/request_visit", "request_visit")
    tracker.slot(sender, start + 30, "visit_id", "industrinatten_goteborg")
    tracker.action(sender, start + 31, "action_request_visit")
    tracker.bot(sender, start + 32, "Klart!", "utter_signup_confirmed")
    tracker.user(sender, start + 40, "får man körkort på programmet?", "ask_programme")
    tracker.bot(sender, start + 41, "Något gick fel.", "utter_action_error")
    tracker.user(sender, start + 50, "kan jag prata med någon om vilket program jag ska välja?",
                 "ask_counsellor")
    tracker.action(sender, start + 51, "action_request_handover")


@pytest.fixture
def gateway(var_dir: Path, tracker: Tracker) -> Iterator[str]:
    """The gateway alone, on this test's var/ dir and tracker DB."""
    start = time.time() - 3600
    pupil(tracker, "pupil-1", start, "demo-skolan")
    tracker.user("pupil-2", start + 600, "hei", "greet", {"school": "demo-skolan"})
    tracker.slot("pupil-2", start + 601, "language", "fi")
    tracker.flush()
    schools.add_school("demo-skolan", "Demoskolan")
    accounts.add_counsellor("syv", "demo-skolan", PASSWORD, "sv")
    # The gateway's channel files these as the pupil chats; here they are filed directly.
    storage.add_handover("pupil-1", "kan jag prata med någon om vilket program jag ska välja?",
                         "demo-skolan", "sv")
    storage.add_signup("pupil-1", "industrinatten_goteborg", "Sam", "demo-skolan", "sv")
    port = free_port()
    env = dict(os.environ, VAGVISAREN_PURGE_INTERVAL_HOURS="0")
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bot.api.app:app", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"], cwd=ROOT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                httpx.get(f"{url}/counsellor", timeout=2).raise_for_status()
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline and process.poll() is None
                time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_summary_page_names_everything_and_passes_axe(gateway: str) -> None:
    _require_chromium()
    if not AXE.exists():
        pytest.fail(f"axe-core missing at {AXE}: run `npm ci`")
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(locale="sv-SE", viewport={"width": 1100, "height": 900},
                                    bypass_csp=True)  # axe is test tooling, injected inline
            page.goto(f"{gateway}/counsellor")
            page.fill("#username", "syv")
            page.fill("#password", PASSWORD)
            page.click("#login-form button[type=submit]")
            row = page.locator('#conversations tr[data-id="pupil-1"]')
            expect(row).to_be_visible(timeout=90_000)  # the first refresh builds the matcher
            expect(row.locator("td").nth(2)).to_have_text("Fordon")  # the label, not the id
            row.click()
            facts = page.locator("#detail-facts")
            item = lambda key: facts.locator(f'dd[data-item="{key}"]')  # noqa: E731
            expect(item("place")).to_have_text("Göteborg")
            expect(item("interests")).to_contain_text("skruva på mopeder")
            expect(item("fields")).to_contain_text("Fordon")
            expect(item("programmes")).to_have_text("Fordons- och transportprogrammet")
            expect(item("schools")).to_have_text("Motorbranschens tekniska gymnasium (Göteborg)")
            expect(item("professions")).to_have_text("Bilmekaniker")
            expect(item("companies")).to_have_text("Volvo Cars (Torslanda, Göteborg)")
            expect(item("signed_up")).not_to_have_text("–")
            expect(item("handover_question")).to_contain_text("vilket program jag ska välja")
            unanswered = item("unanswered").locator("q")
            expect(unanswered).to_have_count(2)
            expect(unanswered.first).to_have_text("kan man jobba med rallybilar? ring [telefon]")
            expect(page.locator("#detail")).not_to_contain_text("070-123")
            # The charts are images with their numbers in words, and a table of the same.
            chart = page.locator("#chart-language")
            expect(chart).to_have_attribute("aria-label", "Per språk. finska: 1, svenska: 1")
            expect(page.locator("#table-language tbody tr")).to_have_count(2)
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT), full_page=True)
            page.add_script_tag(path=str(AXE))
            violations = page.evaluate(RUN_AXE)
            serious = [v for v in violations if v["impact"] in ("serious", "critical")]
            assert not serious, serious
            page.select_option("#ui-lang", "fi")
            row.click()
            expect(item("professions")).to_have_text("Automekaanikko")
            expect(page.locator("#detail-facts dt").nth(1)).to_have_text(
                "Kiinnostukset oppilaan sanoin")
        finally:
            browser.close()
