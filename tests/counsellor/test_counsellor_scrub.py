"""What counsellors read is scrubbed: real-format (fictional) numbers are masked with typed
placeholders; ordinary numbers are not. tests/test_privacy.py checks the schemes in depth."""

import pytest

from bot.privacy import (
    ADDRESS_MASK,
    CPR_MASK,
    EMAIL_MASK,
    HETU_MASK,
    PERSONNUMMER_MASK,
    PHONE_MASK,
    scrub,
)


@pytest.mark.parametrize(
    ("text", "mask"),
    [
        ("mejla mig på sam.svensson+skola@example.se", EMAIL_MASK),
        ("ring 070-123 45 67", PHONE_MASK),
        ("ring 0701234567", PHONE_MASK),
        ("mitt nummer +46 70 123 45 67", PHONE_MASK),
        ("ring +46 (0)70-123 45 67", PHONE_MASK),
        ("0046 70 123 45 67", PHONE_MASK),
        ("växeln 08-123 456 78", PHONE_MASK),
        ("soita 040 123 4567", PHONE_MASK),
        ("soita +358 40 123 4567", PHONE_MASK),
        ("soita 09 1234 5678", PHONE_MASK),
        ("ring 20 12 34 56", PHONE_MASK),
        ("ring +45 20 12 34 56", PHONE_MASK),
        ("ring 2012 3456", PHONE_MASK),
        ("mitt personnummer är 100512-1239", PERSONNUMMER_MASK),
        ("pnr 20100512-1239", PERSONNUMMER_MASK),
        ("pnr 201005121239", PERSONNUMMER_MASK),
        ("pnr 101231+1237", PERSONNUMMER_MASK),  # over 100 years old
        ("samordningsnummer 100572-1236", PERSONNUMMER_MASK),
        ("hetu 131052-308T", HETU_MASK),
        ("hetu 120510A123A", HETU_MASK),
        ("CPR 120510-1234", CPR_MASK),
        ("CPR 3112991234", CPR_MASK),
        ("bor på Storgatan 12", ADDRESS_MASK),
    ],
)
def test_masks_pii(text: str, mask: str) -> None:
    scrubbed = scrub(text)
    assert scrubbed.endswith(mask), scrubbed
    assert not any(ch.isdigit() for ch in scrubbed), scrubbed


@pytest.mark.parametrize(
    "text",
    [
        "Jag går i åk 8 och är född 2010.",
        "Det kostar 1 200 kr, eller 12 000 kronor per termin, eller 1 500 000 kr.",
        "Industrinatten 2026-11-19 klockan 08:30.",
        "Hon jobbade där 1998-2004.",
        "Jag fick 25 poäng av 40, 99 %.",
        "Volvo grundades 1927, SKF 1907.",
        "411 38 Göteborg",
        "Mä oon 8.-luokalla ja tykkään koodata.",
        "Jeg går i 8. klasse og kan lide matematik.",
    ],
)
def test_keeps_normal_text(text: str) -> None:
    assert scrub(text) == text


def test_handover_question_is_stored_scrubbed(tmp_path) -> None:
    from bot import storage

    url = f"sqlite:///{tmp_path / 'app.db'}"
    request = storage.add_handover("c1", "ring mig på 070-123 45 67 eller sam@example.se",
                                   "demo-skolan", "sv", url=url)
    assert request.question == f"ring mig på {PHONE_MASK} eller {EMAIL_MASK}"
