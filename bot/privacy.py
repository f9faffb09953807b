"""Keeping identifying data out: a sign-up keeps a first name or nickname at most."""

from __future__ import annotations

import re
from functools import lru_cache

from bot.labels import labels
from bot.text import fold, unstretch

SKIPPED = "-"
_NAME = re.compile(r"^[^\W\d_][^\W\d_'’-]{0,29}$", re.UNICODE)


@lru_cache(maxsize=1)
def _not_names() -> frozenset[str]:
    """Words that answer the name question but are no name: commands, greetings, farewells."""
    lists = ("not_a_name", "greetings", "farewells")
    words = {fold(w) for key in lists for ws in labels()[key].values() for w in ws}
    return frozenset(words | {unstretch(w) for w in words})


def clean_nickname(text: str | None) -> str | None:
    """The first name to store, SKIPPED when the user declined, None when it is not a name.

    Anything with digits, e-mail signs or more than two words is refused, so a personal
    number, a phone number or a full name is never stored.
    """
    raw = (text or "").strip().strip(".!")
    folded = fold(raw)
    if any(folded == fold(word) for words in labels()["skip_name"].values() for word in words):
        return SKIPPED
    if set(map(unstretch, folded.split())) & _not_names() or unstretch(folded) in _not_names():
        return None
    words = raw.split()
    if not words or len(words) > 2 or any(ch.isdigit() or ch == "@" for ch in raw):
        return None
    first = words[0]
    return first if _NAME.match(first) else None


_SCHOOL = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def school_id(value: object) -> str | None:
    """The widget's `data-school` id when it is a plain short id, else None (never free text)."""
    return value if isinstance(value, str) and _SCHOOL.match(value) else None


# --- PII scrubbing -------------------------------------------------------------------------
# A regex layer, applied to stored handover questions and to everything shown to counsellors.
# It masks what pupils sometimes type anyway (e-mail, phone, personal identity numbers); it is
# a safety net, not a guarantee, so the bot still never asks for these.

EMAIL_MASK = "[e-mail]"
PHONE_MASK = "[phone]"
ID_MASK = "[id-number]"

_DAY = r"(?:0[1-9]|[12]\d|3[01])"
_SAMORDNING_DAY = r"(?:0[1-9]|[12]\d|3[01]|6[1-9]|[78]\d|9[01])"
_MONTH = r"(?:0[1-9]|1[0-2])"
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# Swedish personnummer / samordningsnummer: (YY)YYMMDD, optional - or +, four digits.
_PERSONNUMMER = re.compile(
    rf"(?<![\w-])(?:19|20)?\d{{2}}{_MONTH}{_SAMORDNING_DAY}[-+]?\d{{4}}(?!\w)"
)
# Finnish henkilötunnus: DDMMYY, century sign (+, -, A-F, U-Y), three digits, check character.
_HETU = re.compile(
    rf"(?<![\w-]){_DAY}{_MONTH}\d{{2}}[-+A-FU-Ya-fu-y]\d{{3}}[0-9A-FHJ-NPR-Ya-fhj-npr-y](?!\w)"
)
# Danish CPR: DDMMYY-NNNN (or without the hyphen).
_CPR = re.compile(rf"(?<![\w-]){_DAY}{_MONTH}\d{{2}}-?\d{{4}}(?!\w)")
# Phone candidates; `_is_phone` decides from the digits and the grouping.
_PHONE_CANDIDATE = re.compile(r"(?<![\w+])(?:\+|00)?\d[\d \-()]{5,18}\d(?![\w])")
_DANISH_SHAPE = re.compile(r"^(?:\d{8}|\d{2}(?: \d{2}){3}|\d{4} \d{4})$")
_COUNTRY_CODES = ("46", "358", "45")


def _is_phone(candidate: str) -> bool:
    """Swedish/Finnish numbers start with 0 (7-11 digits); Danish ones are 8 digits in pairs."""
    digits = re.sub(r"\D", "", candidate)
    if candidate.startswith(("+", "00")):
        rest = digits[2:] if candidate.startswith("00") else digits
        return rest.startswith(_COUNTRY_CODES) and 9 <= len(digits) <= 15
    if digits.startswith("0"):
        return 7 <= len(digits) <= 11
    return _DANISH_SHAPE.match(candidate.strip()) is not None


def _mask_run(text: str) -> str:
    """Mask the run of digits when it is a phone number, else try it without its first group
    ("född 2010 070-123 45 67" must still lose the number)."""
    core = text.rstrip()
    if _is_phone(core):
        return PHONE_MASK + text[len(core):]
    head, sep, tail = text.partition(" ")
    return head + sep + _PHONE_CANDIDATE.sub(_mask_phone, tail) if sep else text


def _mask_phone(match: re.Match[str]) -> str:
    return _mask_run(match.group(0))


def scrub(text: str | None) -> str:
    """The text with e-mail addresses, phone numbers and personal identity numbers masked."""
    if not text:
        return ""
    masked = _EMAIL.sub(EMAIL_MASK, text)
    for pattern in (_HETU, _PERSONNUMMER, _CPR):
        masked = pattern.sub(ID_MASK, masked)
    return _PHONE_CANDIDATE.sub(_mask_phone, masked)
