"""PII scrubbing: real-format (fictional) numbers are masked; ordinary numbers are not."""

import pytest

from bot.privacy import EMAIL_MASK, ID_MASK, PHONE_MASK, scrub


@pytest.mark.parametrize(
    ("text", "mask"),
    [
        ("mejla mig på sam.svensson+skola@example.se", EMAIL_MASK),
        ("ring 070-123 45 67", PHONE_MASK),
        ("ring 0701234567", None),  # 10 digits: masked as phone or id, either is fine
        ("mitt nummer +46 70 123 45 67", PHONE_MASK),
        ("ring +46 (0)70-123 45 67", PHONE_MASK),
        ("0046 70 123 45 67", PHONE_MASK),
        ("växeln 08-123 456 78", PHONE_MASK),
        ("soita 040 123 4567", PHONE_MASK),
        ("soita +358 40 123 4567", PHONE_MASK),
        ("soita 09 1234 5678", PHONE_MASK),
        ("ring 12 34 56 78", PHONE_MASK),
        ("ring +45 12 34 56 78", PHONE_MASK),
        ("ring 1234 5678", PHONE_MASK),
        ("mitt personnummer är 100101-1234", ID_MASK),
        ("pnr 20100101-1234", ID_MASK),
        ("pnr 201001011234", ID_MASK),
        ("pnr 101231+1234", ID_MASK),  # over 100 years old
        ("samordningsnummer 100161-1234", ID_MASK),
        ("hetu 131052-308T", ID_MASK),
        ("hetu 010110A123B", ID_MASK),
        ("hetu 010105U123H", ID_MASK),
        ("CPR 010110-1234", ID_MASK),
        ("CPR 3112091234", ID_MASK),
    ],
)
def test_masks_pii(text: str, mask: str | None) -> None:
    scrubbed = scrub(text)
    assert not any(ch.isdigit() for ch in scrubbed.split()[-1]), scrubbed
    if mask:
        assert mask in scrubbed


@pytest.mark.parametrize(
    "text",
    [
        "Jag går i åk 8 och är född 2010.",
        "Det kostar 1 200 kr, eller 12 000 kronor per termin, eller 1 500 000 kr.",
        "Industrinatten 2026-11-19 klockan 08:30.",
        "Hon jobbade där 1998-2004.",
        "Jag fick 25 poäng av 40, 99 %.",
        "Volvo grundades 1927, SKF 1907.",
        "Storgatan 12, 411 38 Göteborg",
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
