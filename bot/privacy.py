"""Keeping identifying data out: a sign-up keeps a first name or nickname at most."""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from stdnum import luhn
from stdnum.dk import cpr
from stdnum.exceptions import ValidationError
from stdnum.fi import hetu
from stdnum.se import personnummer

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
# Applied by the gateway (and inside Rasa, bot/rasa_ext/patches.py) before a message is stored,
# and again to everything shown to counsellors. Identity numbers are checked with python-stdnum
# and phone numbers with phonenumbers; small regexes only find the candidates. It masks what
# pupils sometimes type anyway; it is a safety net, not a guarantee, so the bot still never
# asks for these.

PERSONNUMMER_MASK = "[personnummer]"
HETU_MASK = "[henkilötunnus]"
CPR_MASK = "[cpr]"
PHONE_MASK = "[telefon]"
EMAIL_MASK = "[e-post]"
ADDRESS_MASK = "[adress]"
# A first name given for a visit sign-up: kept in the sign-up record only, masked in the
# tracker store (bot/rasa_ext/redaction.py).
NAME_MASK = "[förnamn]"

PHONE_REGIONS: tuple[str, ...] = ("SE", "FI", "DK")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# Identity-number shape: (YY)YYMMDD, an optional separator, four digits (SE, DK, FI with a
# digit check character) or a Finnish century sign, three digits and a check character.
_ID_CANDIDATE = re.compile(
    r"(?<![\w+-])(?:\d{2})?\d{6}(?:(?P<sep>[-+ ]?)\d{4}|[-+A-FU-Ya-fu-y]\d{3}[0-9A-Ya-y])"
    r"(?![\w-])"
)
# Street addresses, conservatively: a compound street name with a typical ending, a house
# number, an optional entrance letter ("Storgatan 12 B"; not "i", a word in sv/da).
_STREET_END = "gatan|vägen|gränd|torget|katu|tie|kuja|polku|vej|gade|allé"
_ADDRESS = re.compile(
    rf"(?<![\w-])(?:[^\W\d_]+(?:{_STREET_END})|[A-ZÆØÅ][^\W\d_]+ Allé)\s+\d{{1,4}}"
    r"(?:\s?[A-HJ-Za-hj-z](?![^\W_]))?(?![\w-])",
    re.IGNORECASE,
)
# What phonenumbers accepts as a Danish or Swedish number but is a date, a year or time range.
_NOT_PHONE = re.compile(
    r"\d{4}-\d{2}-\d{2}"  # 2026-11-19
    r"|(?:19|20)\d{2}(?:\s?[-–]\s?|\s)(?:19|20)\d{2}"  # 2025-2026, 2010 2011
    r"|\d{1,2}[.:]\d{2}(?:\s?[-–]\s?\d{1,2}[.:]\d{2})?"  # 08.30-16.00
    r"|\d{1,2}[./]\d{1,2}[./]\d{2,4}"  # 19.11.2026
)
_MIN_PHONE_DIGITS = 7
# A run of numbers separated by single spaces or dashes, and its digit groups.
_NUMBER_RUN = re.compile(r"(?<![\w+])\+?\d+(?:[ \-–]\d+)+(?![\w-])")
_DIGIT_GROUP = re.compile(r"\+?\d+")
_MAX_GROUPS = 6

Span = tuple[int, int, str]


def _identity_mask(candidate: str) -> str | None:
    """The placeholder for a valid identity number, None when no scheme accepts it.

    Personnummer/samordningsnummer and henkilötunnus carry a check digit; a Danish CPR has had
    none since 2007, so a real date in DDMMYY-NNNN form is enough (as stdnum checks it).
    """
    if personnummer.is_valid(candidate) or _is_samordningsnummer(candidate):
        return PERSONNUMMER_MASK
    if hetu.is_valid(candidate, allow_temporary=True):
        return HETU_MASK
    if cpr.is_valid(candidate):
        return CPR_MASK
    return None


def _is_samordningsnummer(candidate: str) -> bool:
    """A Swedish coordination number: a personnummer whose day is the birth day + 60.

    stdnum 2.2 rejects these as an invalid date, so the date is checked with the day shifted
    back and the Luhn digit on the number as written.
    """
    number = personnummer.compact(candidate)
    digits = number[:-5] + number[-4:]
    if len(number) not in (11, 13) or number[-5] not in "-+" or not digits.isdigit():
        return False
    day = int(number[-7:-5])
    if not 61 <= day <= 91:
        return False
    try:
        personnummer.get_birth_date(f"{number[:-7]}{day - 60:02d}{number[-5:]}")
    except ValidationError:
        return False
    return luhn.is_valid(digits[-10:])


@lru_cache(maxsize=4096)
def _is_phone(number: str, regions: tuple[str, ...] = PHONE_REGIONS) -> bool:
    """Whether a number is a valid phone number in one of the regions, and no date."""
    if _NOT_PHONE.fullmatch(number):
        return False
    for region in regions:
        try:
            if phonenumbers.is_valid_number(phonenumbers.parse(number, region)):
                return True
        except phonenumbers.NumberParseException:
            continue
    return False


def _inside_word(text: str, start: int, end: int) -> bool:
    """Digits glued to a word are part of an id ("visit_skf_goteborg_20270210"), no number."""
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    return before.isalnum() or before == "_" or after.isalnum() or after == "_"


def _free(spans: list[Span], start: int, end: int) -> bool:
    return all(end <= s or start >= e for s, e, _ in spans)


def _identity_spans(text: str, taken: list[Span]) -> tuple[list[Span], list[Span]]:
    """Masked identity numbers, and the id-shaped tokens no scheme accepts.

    The second list is kept from the phone matcher: nobody writes a phone number as
    NNNNNN-NNNN, so an invalid-checksum personnummer is left as it is rather than guessed at.
    Ten bare digits may be either; a valid phone number wins over a date-only CPR.
    """
    found: list[Span] = []
    rejected: list[Span] = []
    for match in _ID_CANDIDATE.finditer(text):
        start, end, token = match.start(), match.end(), match.group(0)
        if not _free(taken, start, end):
            continue
        mask = _identity_mask(token)
        bare = match.group("sep") == "" and token.isdigit() and len(token) == 10
        if mask == CPR_MASK and bare and _is_phone(token):
            continue
        if mask:
            found.append((start, end, mask))
        elif not token.isdigit():
            rejected.append((start, end, token))
    return found, rejected


def _phone_spans(text: str, taken: list[Span]) -> list[Span]:
    """Valid phone numbers in Swedish, Finnish or Danish national form, or international."""
    if sum(ch.isdigit() for ch in text) < _MIN_PHONE_DIGITS:
        return []
    found: list[Span] = []
    for region in PHONE_REGIONS:
        for match in phonenumbers.PhoneNumberMatcher(text, region,
                                                     leniency=phonenumbers.Leniency.VALID):
            start, end = match.start, match.end
            if (_NOT_PHONE.fullmatch(match.raw_string) or _inside_word(text, start, end)
                    or not _free(taken + found, start, end)):
                continue
            found.append((start, end, PHONE_MASK))
    return found + _glued_phone_spans(text, taken + found)


def _glued_phone_spans(text: str, taken: list[Span]) -> list[Span]:
    """Phone numbers the matcher misses because other numbers touch them ("född 2010
    070-123 45 67"): within each run of numbers, every window of digit groups that is a valid
    number is masked, overlapping windows together, so no digit of a number is left behind."""
    found: list[Span] = []
    for run in _NUMBER_RUN.finditer(text):
        groups = [(run.start() + g.start(), run.start() + g.end())
                  for g in _DIGIT_GROUP.finditer(run.group(0))]
        windows = [(groups[first][0], groups[first + count - 1][1])
                   for first in range(len(groups)) if _free(taken, *groups[first])
                   if (count := _longest_phone(text, groups[first:]))]
        for start, end in windows:
            if not _free(taken, start, end):
                continue
            if found and start <= found[-1][1] and found[-1][0] >= run.start():
                found[-1] = (found[-1][0], max(end, found[-1][1]), PHONE_MASK)
            else:
                found.append((start, end, PHONE_MASK))
    return found


def _longest_phone(text: str, groups: list[tuple[int, int]]) -> int:
    """How many of the groups, from the first, make the longest valid phone number (0: none).

    Only what a person would write: a Swedish or Finnish number from its 0 or +/00 prefix, a
    Danish one as eight digits in pairs or fours; at most E.164's 15 digits.
    """
    for count in range(min(len(groups), _MAX_GROUPS), 0, -1):
        candidate = text[groups[0][0]:groups[count - 1][1]]
        digits = sum(ch.isdigit() for ch in candidate)
        if not _MIN_PHONE_DIGITS <= digits <= 15:
            continue
        if candidate.startswith(("0", "+")):
            regions = PHONE_REGIONS
        elif digits == 8 and all((end - start) in (2, 4, 8) for start, end in groups[:count]):
            regions = ("DK",)
        else:
            continue
        if _is_phone(candidate, regions):
            return count
    return 0


def scrub(text: str | None) -> str:
    """The text with identity numbers, phone numbers, e-mail and street addresses replaced by
    typed placeholders; ordinary numbers (years, grades, prices, postcodes) stay."""
    if not text:
        return ""
    spans: list[Span] = [(m.start(), m.end(), EMAIL_MASK) for m in _EMAIL.finditer(text)]
    ids, rejected = _identity_spans(text, spans)
    spans += ids
    spans += [(m.start(), m.end(), ADDRESS_MASK) for m in _ADDRESS.finditer(text)
              if _free(spans, m.start(), m.end())]
    spans += _phone_spans(text, spans + rejected)
    for start, end, mask in sorted(spans, reverse=True):
        text = text[:start] + mask + text[end:]
    return text
