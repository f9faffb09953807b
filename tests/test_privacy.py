"""A sign-up keeps a first name at most; school ids are plain ids; scrubbing masks valid
identifiers of all three countries and leaves ordinary numbers alone."""

import pytest
from stdnum import luhn
from stdnum.dk import cpr as dk_cpr
from stdnum.fi import hetu as fi_hetu
from stdnum.se import personnummer as se_pnr

from bot.privacy import (
    ADDRESS_MASK,
    CPR_MASK,
    EMAIL_MASK,
    HETU_MASK,
    PERSONNUMMER_MASK,
    PHONE_MASK,
    SKIPPED,
    clean_nickname,
    school_id,
    scrub,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sam", "Sam"),
        (" Mikko ", "Mikko"),
        ("Anna Svensson", "Anna"),
        ("hoppa över", SKIPPED),
        ("Ohita", SKIPPED),
        ("spring over", SKIPPED),
        ("Anna Maria Svensson", None),
        ("070-123 45 67", None),
        ("sam@example.com", None),
        ("20100101-1234", None),  # Swedish personnummer
        ("010110A123B", None),  # Finnish henkilötunnus
        ("010110-1234", None),  # Danish CPR
        ("<b>Sam</b>", None),
        ("", None),
    ],
)
def test_clean_nickname(text: str, expected: str | None) -> None:
    assert clean_nickname(text) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("demo-skolan", "demo-skolan"), ("../etc", None), ("a b", None), (42, None), ("x" * 65, None)],
)
def test_school_id(value: object, expected: str | None) -> None:
    assert school_id(value) == expected


# --- Scrubbing -----------------------------------------------------------------------------
# Real-format numbers with check digits computed here, so a test fails if the checksum test
# is dropped (the invalid variants) or broken (the valid ones).

HETU_CHECK = "0123456789ABCDEFHJKLMNPRSTUVWXY"


def personnummer(birth: str, serial: str = "123", valid: bool = True, sep: str = "-") -> str:
    """A Swedish personnummer (birth as YYMMDD or YYYYMMDD; day+60 for samordningsnummer)."""
    check = int(luhn.calc_check_digit(birth[-6:] + serial))
    digit = check if valid else (check + 1) % 10
    return f"{birth}{sep}{serial}{digit}"


def henkilotunnus(birth: str, sign: str, serial: str = "123", valid: bool = True) -> str:
    """A Finnish henkilötunnus DDMMYY<sign>NNN<check>; invalid: the next check character."""
    index = int(birth + serial) % 31
    check = HETU_CHECK[index if valid else (index + 1) % 31]
    return f"{birth}{sign}{serial}{check}"


VALID_IDS = [
    (personnummer("100512"), PERSONNUMMER_MASK),  # pupil born 2010
    (personnummer("20100512"), PERSONNUMMER_MASK),
    (personnummer("100512", sep=""), PERSONNUMMER_MASK),
    (personnummer("20100512", sep=""), PERSONNUMMER_MASK),
    (personnummer("100512", sep=" "), PERSONNUMMER_MASK),
    (personnummer("850317", "456"), PERSONNUMMER_MASK),  # adult learner
    (personnummer("101231", sep="+"), PERSONNUMMER_MASK),  # 100 years or older
    (henkilotunnus("120510", "A"), HETU_MASK),  # born 2010
    (henkilotunnus("120510", "B"), HETU_MASK),  # the 2023 century signs
    (henkilotunnus("131052", "-", "308"), HETU_MASK),  # the tax authority's example
    (henkilotunnus("131052", "Y", "308"), HETU_MASK),
    (henkilotunnus("010185", "-", "456"), HETU_MASK),
    (henkilotunnus("120510", "A").lower(), HETU_MASK),
    ("120510-1234", CPR_MASK),  # CPR: date + format, no checksum since 2007
    ("010185-4322", CPR_MASK),
    ("1205101234", CPR_MASK),
    ("311299-5678", CPR_MASK),
]


@pytest.mark.parametrize(("number", "mask"), VALID_IDS)
def test_masks_valid_identity_numbers(number: str, mask: str) -> None:
    scrubbed = scrub(f"mitt nummer: {number}, tack")
    assert scrubbed == f"mitt nummer: {mask}, tack"


def test_the_valid_numbers_are_valid() -> None:
    """The generated numbers are what the national schemes accept, not only what we accept."""
    for number, mask in VALID_IDS:
        scheme = {PERSONNUMMER_MASK: se_pnr, HETU_MASK: fi_hetu, CPR_MASK: dk_cpr}[mask]
        assert scheme.is_valid(number), number


# Samordningsnummer: the day + 60. stdnum 2.2 rejects these, so bot.privacy checks them itself.
SAMORDNINGSNUMMER = [personnummer("100572"), personnummer("19100572"),
                     personnummer("850391", "456", sep="")]


@pytest.mark.parametrize("number", SAMORDNINGSNUMMER)
def test_masks_samordningsnummer(number: str) -> None:
    digits = number.replace("-", "")
    assert luhn.is_valid(digits[-10:])
    assert scrub(f"snr {number}") == f"snr {PERSONNUMMER_MASK}"


@pytest.mark.parametrize("number", [
    personnummer("950592"),  # day 32 + 60: no date (and no Danish date either)
    personnummer("20100572", valid=False),
])
def test_keeps_invalid_samordningsnummer(number: str) -> None:
    assert scrub(f"snr {number}") == f"snr {number}"


# Decision: a number in identity-number shape (6 or 8 digits, a separator, 4 digits or a
# Finnish tail) whose check digit is wrong is left as typed: not an id, and never read as a
# phone number (nobody writes a phone number as NNNNNN-NNNN). Ten digits DDMMYY-NNNN with a
# real date stay a valid Danish CPR, which has no check digit, so those are masked as [cpr].
INVALID_IDS = [
    personnummer("20100512", valid=False),
    personnummer("20100512", valid=False, sep=""),
    personnummer("950512", valid=False),  # reads as no DDMMYY date either
    personnummer("850317", "456", valid=False),
    henkilotunnus("120510", "A", valid=False),
    henkilotunnus("131052", "-", "308", valid=False),
    henkilotunnus("010185", "-", "466", valid=False),
    henkilotunnus("131052", "Y", "308", valid=False),
    "320110-1234",  # day 32: no CPR, and the Luhn digit is wrong for a personnummer
    "121310-1234",  # month 13
    "300210-1234",  # 30 February
]


@pytest.mark.parametrize("number", INVALID_IDS)
def test_keeps_invalid_checksum_numbers(number: str) -> None:
    assert not any(s.is_valid(number) for s in (se_pnr, fi_hetu, dk_cpr)), number
    text = f"mitt nummer: {number}, tack"
    assert scrub(text) == text


def test_invalid_personnummer_that_reads_as_a_cpr_is_masked_as_cpr() -> None:
    """The documented overlap: 100512-123x is 12 May 2010 in Danish order too."""
    number = personnummer("100512", valid=False)
    assert not se_pnr.is_valid(number) and dk_cpr.is_valid(number)
    assert scrub(number) == CPR_MASK


@pytest.mark.parametrize(
    "text",
    [
        "ring 070-123 45 67", "ring 0701234567", "ring 070 123 45 67", "ring (070) 123 45 67",
        "mitt nummer +46 70 123 45 67", "ring +46 (0)70-123 45 67", "0046 70 123 45 67",
        "växeln 08-123 456 78", "tel: 031-12 34 56",
        "soita 040 123 4567", "soita 040-1234567", "soita +358 40 123 4567",
        "soita 09 1234 5678", "puh. 050 123 4567",
        "ring 20 12 34 56", "ring 2012 3456", "ring +45 20 12 34 56", "ring 33 12 34 56",
        "ring 0045 20123456",
        "ring +47 912 34 567",  # Norwegian, international form
    ],
)
def test_masks_phone_numbers(text: str) -> None:
    scrubbed = scrub(text)
    assert scrubbed.endswith(PHONE_MASK), scrubbed
    assert not any(ch.isdigit() for ch in scrubbed), scrubbed


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("född 2010 070-123 45 67", f"född 2010 {PHONE_MASK}"),
        ("jag är 14 år, 070-123 45 67", f"jag är 14 år, {PHONE_MASK}"),
        ("nr 1 070 123 45 67", f"nr 1 {PHONE_MASK}"),
        ("070-123 45 67 och 040 123 4567", f"{PHONE_MASK} och {PHONE_MASK}"),
        ("jeg er 14 20 12 34 56", f"jeg er 14 {PHONE_MASK}"),
    ],
)
def test_masks_phone_numbers_glued_to_other_numbers(text: str, expected: str) -> None:
    assert scrub(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mejla mig på sam.svensson+skola@example.se", f"mejla mig på {EMAIL_MASK}"),
        ("kirjoita matti.m@koulu.fi!", f"kirjoita {EMAIL_MASK}!"),
        ("Jag bor på Storgatan 12, 411 38 Göteborg", f"Jag bor på {ADDRESS_MASK}, 411 38 Göteborg"),
        ("storgatan 12 B i Umeå", f"{ADDRESS_MASK} i Umeå"),
        ("Kungsvägen 4", ADDRESS_MASK),
        ("Mannerheimintie 5 A, 00100 Helsinki", f"{ADDRESS_MASK}, 00100 Helsinki"),
        ("asun Koulukatu 3:ssa", f"asun {ADDRESS_MASK}:ssa"),
        ("Rantapolku 7 Turussa", f"{ADDRESS_MASK} Turussa"),
        ("Vesterbrogade 12, 5000 Odense C", f"{ADDRESS_MASK}, 5000 Odense C"),
        ("Skovvej 3 i Aarhus", f"{ADDRESS_MASK} i Aarhus"),
        ("Frederiksberg Allé 3", ADDRESS_MASK),
    ],
)
def test_masks_email_and_addresses(text: str, expected: str) -> None:
    assert scrub(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Jag går i åk 8 och är född 2010.",
        "jag går i 8an och vill bli elektriker",
        "åk 9, läsåret 2025-2026",
        "Jag är 14 år och har bott i Sverige i 3 år.",
        "Det kostar 1 200 kr, eller 12 000 kronor per termin, eller 1 500 000 kr.",
        "Industrinatten 2026-11-19 klockan 08:30, 19.11.2026, 19/11/2026.",
        "öppet kl 08.30-16.00",
        "Hon jobbade där 1998-2004.",
        "Jag fick 25 poäng av 40, 99 %.",
        "Volvo grundades 1927, SKF 1907.",
        "2010 2011 2012",
        "411 05 Göteborg",
        "Mä oon 8.-luokalla, 14-vuotias, ja asun 00100 Helsinki.",
        "Palkka on 2 800 euroa kuussa vuonna 2026.",
        "Jeg går i 9. klasse og bor i 5000 Odense C.",
        "Jeg har boet i Danmark i 3 år, siden 2022.",
        "vi möts på torget 3 gånger i veckan",
        "på vägen 2 gånger",
        "Jag bor nära Storgatan.",
        '/request_visit{"visit_id": "visit_skf_goteborg_20270210"}',
        '/request_visit{"visit_id": "visit_volvo_lastvagnar_umea_20261209"}',
        "12 34 56 78",  # no Danish number starts with 12: not a phone, so it stays
    ],
)
def test_keeps_ordinary_numbers(text: str) -> None:
    assert scrub(text) == text


def test_issue_example() -> None:
    """The message from issue 15, with a valid personnummer: only the name is left."""
    number = personnummer("080512")
    text = f"jag heter Anna Svensson, mitt personnummer är {number} och tel 070-123 45 67"
    assert scrub(text) == (f"jag heter Anna Svensson, mitt personnummer är {PERSONNUMMER_MASK}"
                           f" och tel {PHONE_MASK}")


@pytest.mark.parametrize("text", [n for n, _ in VALID_IDS] + [
    "ring 070-123 45 67 eller sam@example.se, Storgatan 12", "[telefon] [e-post] [cpr]"])
def test_scrub_is_idempotent(text: str) -> None:
    """The gateway and Rasa both scrub: the second pass must change nothing."""
    once = scrub(text)
    assert scrub(once) == once


def test_visit_ids_survive_scrubbing() -> None:
    """Sign-up buttons send visit ids with dates in them through the same scrub."""
    from bot.knowledge.loader import load_knowledge

    ids = [visit.id for visit in load_knowledge().visits]
    assert ids
    for visit_id in ids:
        payload = f'/request_visit{{"visit_id": "{visit_id}"}}'
        assert scrub(payload) == payload
