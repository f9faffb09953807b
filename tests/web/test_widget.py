"""The widget in real Chromium against the real stack: the main path in each language, the
language switch, plain language, reloads, keyboard use, small screens and markup injection."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import expect
from webwidget import SCREENSHOTS, Widget, is_response

pytestmark = pytest.mark.e2e

# interest, place, "yes" button title, the language switched to, "help" in that language
PATHS = {
    "sv": ("jag gillar att skruva på mopeder", "jag bor i Umeå", "Ja", "fi", "apua"),
    "fi": ("mä tykkään koodata", "asun Turussa", "Kyllä", "da", "hjælp"),
    "da": ("jeg er god til matematik og kan lide at bygge ting", "jeg bor i Aarhus", "Ja", "sv",
           "hjälp"),
}
UI = {
    "sv": {"send": "Skicka", "plain": "Lätt språk", "sample": "Exempel", "date": "Datum 20",
           "note": "datorprogram", "kinds": {"Utbildning", "Yrke", "Företag"},
           "when": "Fråga", "schools": "Här kan du läsa den:"},
    "fi": {"send": "Lähetä", "plain": "Selkokieli", "sample": "Esimerkki", "date": "Päivä ",
           "note": "tietokoneohjelma", "kinds": {"Koulutus", "Ammatti", "Yritys"},
           "when": "Kysy", "schools": "Täällä voit opiskella:"},
    "da": {"send": "Send", "plain": "Let dansk", "sample": "Eksempel", "date": "Dato ",
           "note": "computerprogram", "kinds": {"Uddannelse", "Job", "Virksomhed"},
           "when": "Spørg", "schools": "Her kan du tage den:"},
}


def expect_ui(page: Any, language: str) -> None:
    """All visible UI strings are in `language`, and the widget says so in its lang attribute."""
    strings = UI[language]
    expect(page.locator(".vv-send")).to_have_text(strings["send"])
    expect(page.locator(".vv-plain-label")).to_have_text(strings["plain"])
    expect(page.locator(".vv-note")).to_contain_text(strings["note"])
    expect(page.locator(".vv-note")).to_contain_text("90")
    expect(page.locator(".vv-root")).to_have_attribute("lang", language)


@pytest.mark.parametrize("language", ["sv", "fi", "da"])
def test_main_path_language_switch_and_plain_language(
    widget: Widget, domain: dict, language: str
) -> None:
    interest, place, yes, other, help_word = PATHS[language]
    page = widget.page
    widget.open()
    widget.choose_language(language)
    expect_ui(page, language)

    replies = widget.send(interest)
    assert any(is_response(r, domain, "utter_ask_location", language, False) for r in replies)

    replies = widget.send(place)
    assert any(is_response(r, domain, "utter_matches", language, False) for r in replies)
    cards = page.locator(".vv-card")
    expect(cards.first).to_be_visible()
    kinds = set(page.locator(".vv-card .vv-kind").all_text_contents())
    assert UI[language]["kinds"] <= kinds, kinds
    assert cards.count() >= 6
    # each programme card lists the nearest schools, each a link to the school's own page
    schools = page.locator(".vv-kind-programme .vv-schools").first
    expect(schools).to_contain_text(UI[language]["schools"])
    expect(schools.locator("a").first).to_have_attribute("href", re.compile(r"^https?://"))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"widget-{language}.png"))

    # The quick reply sends its payload; the pupil sees its title as their own message.
    replies = widget.click_quick_reply(yes)
    assert widget.user_texts()[-1] == yes
    assert replies and not any(r.startswith("/") for r in widget.user_texts())
    visits = page.locator(".vv-kind-visit")
    expect(visits.first).to_be_visible()
    expect(visits.locator(".vv-badge").first).to_have_text(UI[language]["sample"])
    # a dated event shows its date; a recurring one says when, in words, never a made-up day
    metas = visits.locator(".vv-meta").all_text_contents()
    assert metas and all(UI[language]["date"] in m or UI[language]["when"] in m
                         for m in metas), metas

    # Switch language: the UI changes at once and the next reply comes in that language.
    widget.choose_language(other)
    expect_ui(page, other)
    replies = widget.send(help_word)
    assert replies and is_response(replies[-1], domain, "utter_help", other, False), replies

    # Plain language: the same question gets the plain variant.
    widget.set_plain(True)
    replies = widget.send(help_word)
    assert replies and is_response(replies[-1], domain, "utter_help", other, True), replies


def test_conversation_survives_a_reload(widget: Widget, domain: dict) -> None:
    page = widget.page
    widget.open()
    widget.set_plain(True)
    replies = widget.send("hjälp")
    assert is_response(replies[-1], domain, "utter_help", "sv", True)
    saved = json.loads(page.evaluate("sessionStorage.getItem('vagvisaren:v1:demo-skolan')"))
    assert len(saved["sessionId"]) >= 16 and saved["plain"] is True

    page.reload()
    expect(widget.panel).to_be_visible()
    expect(page.locator(".vv-plain")).to_be_checked()
    assert widget.user_texts() == ["hjälp"]
    again = json.loads(page.evaluate("sessionStorage.getItem('vagvisaren:v1:demo-skolan')"))
    assert again["sessionId"] == saved["sessionId"]
    # The same pseudonymous session goes on: the plain slot is still set on the Rasa side.
    widget.set_plain(False)
    replies = widget.send("hjälp")
    assert is_response(replies[-1], domain, "utter_help", "sv", False)
    assert json.loads(page.evaluate(
        "sessionStorage.getItem('vagvisaren:v1:demo-skolan')"))["sessionId"] == saved["sessionId"]


def test_markup_is_shown_as_text_never_run(widget: Widget) -> None:
    attacks = ['<img src=x onerror="window.__pwned=1">', "<script>window.__pwned=1</script>"]
    page = widget.page
    widget.open()
    for attack in attacks:
        widget.send(attack)
    page.wait_for_timeout(300)  # an onerror handler would have fired by now
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert widget.user_texts() == attacks
    assert page.locator(".vv-log img, .vv-log script").count() == 0


def test_keyboard_only(widget: Widget, domain: dict) -> None:
    page = widget.page
    page.goto(f"{widget.base_url}/")
    launcher = page.locator(".vv-launcher")
    for _ in range(10):
        page.keyboard.press("Tab")
        if launcher.evaluate("el => el.getRootNode().activeElement === el"):
            break
    else:
        pytest.fail("the launcher cannot be reached with Tab")
    # Focus is visible: a solid outline of at least 2 px.
    outline = launcher.evaluate(
        "el => [getComputedStyle(el).outlineStyle, parseFloat(getComputedStyle(el).outlineWidth)]"
    )
    assert outline[0] == "solid" and outline[1] >= 2, outline
    page.keyboard.press("Enter")
    expect(widget.panel).to_be_visible()
    expect(widget.input).to_be_focused()
    page.keyboard.type("hjälp")
    before = page.locator(".vv-msg").count()
    page.keyboard.press("Enter")
    expect(page.locator(".vv-msg")).to_have_count(before + 2)
    assert is_response(widget._wait(before)[-1], domain, "utter_help", "sv", False)
    page.keyboard.press("Escape")
    expect(widget.panel).to_be_hidden()
    expect(launcher).to_be_focused()
    assert launcher.get_attribute("aria-expanded") == "false"


@pytest.mark.parametrize(
    "viewport", [{"width": 320, "height": 640}, {"width": 640, "height": 400}],
    ids=["320px", "200pct-zoom"],
)
def test_fits_small_screens_and_zoom(open_page: Any, web_url: str, viewport: dict) -> None:
    """320 CSS px wide, and a 1280x800 screen at 200 % zoom (= 640x400 CSS px)."""
    page = open_page(viewport=viewport, device_scale_factor=2 if viewport["width"] == 640 else 1)
    widget = Widget(page, web_url)
    widget.open()
    box = widget.panel.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"] + 0.5, box
    no_sideways = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    assert page.evaluate(no_sideways)
    replies = widget.send("hjälp")
    assert replies
    for control in (".vv-send", ".vv-input", ".vv-lang", ".vv-plain", ".vv-close"):
        element = page.locator(control)
        element.scroll_into_view_if_needed()
        expect(element).to_be_in_viewport()
    assert page.evaluate(no_sideways)


def test_the_widget_follows_the_language_and_plain_language_the_user_asks_for(
    widget: Widget, domain: dict
) -> None:
    """A pupil who writes Finnish on a Swedish page is answered in Finnish, and the widget's
    controls follow; a typed request for plain language ticks the checkbox."""
    page = widget.page
    widget.open()
    widget.choose_language("sv")
    widget.send("moikka! mä tykkään koodata")
    expect_ui(page, "fi")
    replies = widget.send("voitko kirjoittaa selkokieltä?")
    assert any(is_response(r, domain, "utter_plain_language_on", "fi", True) for r in replies)
    expect(page.locator(".vv-plain")).to_be_checked()
    replies = widget.send("apua")  # the form waits for the place: help, then the question
    assert any(is_response(r, domain, "utter_help", "fi", True) for r in replies), replies
