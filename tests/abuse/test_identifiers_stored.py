"""No raw identifier is stored. Valid identifiers in all three countries' formats go through
the gateway; then the tracker store, Rasa's event broker (which the summaries read), the app
database (summaries refreshed as the counsellor view does) and the services' logs are searched
for them, byte for byte and without separators."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import phonenumbers
import pytest
import yaml
from abuse_checks import check_reply
from stdnum import luhn
from stdnum.dk import cpr
from stdnum.fi import hetu
from stdnum.se import personnummer

from bot import storage
from bot.privacy import (
    CPR_MASK,
    EMAIL_MASK,
    HETU_MASK,
    NAME_MASK,
    PERSONNUMMER_MASK,
    PHONE_MASK,
)
from bot.stack import Stack
from bot.summaries.store import refresh

CORPUS = yaml.safe_load((Path(__file__).with_name("corpus.yml")).read_text(encoding="utf-8"))
IDENTIFIERS: list[dict] = CORPUS["identifiers"]
_SEPARATORS = re.compile(r"[\s\-–()]")
_STREET = re.compile(r"(gatan|vägen|katu|tie|gade|vej) \d+( [A-Z])?$", re.IGNORECASE)


def _kind(raw: str) -> str | None:
    """Which identifier `raw` is, checked with the national schemes, not with bot.privacy."""
    digits = re.sub(r"\D", "", raw)
    if personnummer.is_valid(raw):
        return "se-id"
    if len(digits) in (10, 12) and 61 <= int(digits[-6:-4]) <= 91 and luhn.is_valid(digits[-10:]):
        return "se-id"  # samordningsnummer: stdnum 2.2 rejects the day + 60
    if hetu.is_valid(raw, allow_temporary=True):
        return "fi-id"
    if cpr.is_valid(raw) and " " not in raw:  # "070-987 65 43" is a date too, without checksum
        return "dk-id"
    for region in ("SE", "FI", "DK"):
        try:
            number = phonenumbers.parse(raw, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return f"{phonenumbers.region_code_for_number(number).lower()}-phone"
    if re.fullmatch(r"[\w.+-]+@[\w-]+\.[a-z]{2,}", raw):
        return "e-mail"
    return "address" if _STREET.search(raw) else None


def test_corpus_holds_real_identifiers_of_all_three_countries() -> None:
    """The e2e test below proves nothing if the corpus numbers are invalid (and kept)."""
    assert len(IDENTIFIERS) >= 50
    kinds = set()
    for entry in IDENTIFIERS:
        assert entry["raw"] and all(isinstance(raw, str) and raw in entry["text"]
                                    for raw in entry["raw"]), entry
        for raw in entry["raw"]:
            kind = _kind(raw)
            assert kind, f"not a valid identifier: {raw!r}"
            kinds.add(kind)
    assert {"se-id", "fi-id", "dk-id", "se-phone", "fi-phone", "dk-phone", "e-mail",
            "address"} <= kinds


def _squash(text: str) -> str:
    return _SEPARATORS.sub("", text).casefold()


def _cell(value: object) -> list[str]:
    """A cell as text, and a JSON cell also decoded, so "\\u00e4" cannot hide an "ä"."""
    text = value.decode(errors="replace") if isinstance(value, bytes) else str(value)
    try:
        return [text, json.dumps(json.loads(text), ensure_ascii=False)]
    except ValueError:
        return [text]


def _values(path: Path) -> Iterator[str]:
    """Every non-null cell of every table."""
    with sqlite3.connect(path) as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        assert tables, f"no tables in {path}"
        for table in tables:
            for row in db.execute(f'SELECT * FROM "{table}"'):
                for value in row:
                    if value is not None:
                        yield from _cell(value)


def _refresh(stack: Stack) -> None:
    """Fold the broker's new rows into the stack's summaries, as the counsellor view does."""
    refresh(f"sqlite:///{stack.broker_db}", f"sqlite:///{stack.var_dir / 'app.db'}",
            tracker=f"sqlite:///{stack.tracker_db}")


def _stored(stack: Stack) -> list[str]:
    """What the stack keeps: tracker store, event broker, app database (summaries refreshed)
    and logs."""
    app_db = stack.var_dir / "app.db"
    _refresh(stack)
    texts = list(_values(stack.tracker_db)) + list(_values(stack.broker_db))
    texts += list(_values(app_db))
    texts += [stack.log(name).read_text(errors="replace") for name in ("actions", "rasa", "gateway")
              if stack.log(name).exists()]
    return texts


def _leaks(raws: list[str], texts: list[str]) -> list[str]:
    squashed = [_squash(text) for text in texts]
    return [raw for raw in raws
            if any(raw in text for text in texts) or any(_squash(raw) in s for s in squashed)]


@pytest.fixture(scope="module")
def gateway(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.gateway_url, timeout=60) as client:
        yield client


@pytest.mark.e2e
def test_no_raw_identifier_is_stored(stack: Stack, gateway: httpx.Client) -> None:
    sessions = []
    for entry in IDENTIFIERS:
        reply = gateway.post("/api/chat", json={"message": entry["text"]})
        check_reply(reply)
        sessions.append(reply.json()["session_id"])
    texts = _stored(stack)
    stored = "\n".join(texts)
    assert all(session in stored for session in sessions), "the conversations were not stored"
    assert PHONE_MASK in stored and PERSONNUMMER_MASK in stored  # scrubbed, not dropped
    raws = [raw for entry in IDENTIFIERS for raw in entry["raw"]]
    assert _leaks(raws, texts) == []


@pytest.mark.e2e
def test_one_message_with_every_kind_is_stored_scrubbed(stack: Stack,
                                                        gateway: httpx.Client) -> None:
    """The "done when" of issue 15: personnummer, henkilötunnus, CPR, phone and e-mail in one
    message asking for a counsellor, so the handover table gets the question too."""
    raws = ["20100512-1239", "131052-308T", "120510-1234", "070-987 65 43", "pupil@example.se"]
    assert [_kind(raw) for raw in raws] == ["se-id", "fi-id", "dk-id", "se-phone", "e-mail"]
    text = (f"Jag vill prata med en studievägledare. Mitt personnummer är {raws[0]}, min hetu "
            f"{raws[1]}, mit CPR {raws[2]}, ring {raws[3]} eller mejla {raws[4]}")
    reply = gateway.post("/api/chat", json={"message": text})
    check_reply(reply)
    session = reply.json()["session_id"]
    texts = _stored(stack)
    assert _leaks(raws, texts) == []
    masks = (PERSONNUMMER_MASK, HETU_MASK, CPR_MASK, PHONE_MASK, EMAIL_MASK)
    for said in (_user_texts(stack.tracker_db, session), _user_texts(stack.broker_db, session)):
        assert len(said) == 1 and all(mask in said[0] for mask in masks), said
    with storage.session(f"sqlite:///{stack.var_dir / 'app.db'}") as current:
        questions = [r.question for r in current.query(storage.HandoverRequest)
                     .filter_by(conversation_id=session)]
    assert questions and all(mask in questions[0] for mask in masks), questions


def _user_texts(path: Path, session: str) -> list[str]:
    """What the pupil said, as the tracker store or the event broker (`path`) keeps it."""
    with sqlite3.connect(path) as db:
        events = [json.loads(data) for (data,) in db.execute(
            "SELECT data FROM events WHERE sender_id = ? ORDER BY id", (session,))]
    return [event["text"] for event in events if event.get("event") == "user"]


def _say(gateway: httpx.Client, session: str | None, text: str) -> dict:
    body = {"message": text, "language": "sv"} | ({"session_id": session} if session else {})
    reply = gateway.post("/api/chat", json=body)
    check_reply(reply)
    return reply.json()


@pytest.mark.e2e
def test_a_sign_up_name_is_kept_in_the_sign_up_record_only(stack: Stack,
                                                           gateway: httpx.Client) -> None:
    """Issue 15: the first name given for a visit is the one exception to scrubbing, and is
    stored only with the sign-up; the tracker store and the event broker hold NAME_MASK."""
    name = "Oleksandra"
    first = _say(gateway, None, "vill jobba med lastbilar i umeå")
    session = first["session_id"]
    visits = _say(gateway, session, "japp visa dom")
    buttons = [b for m in visits["messages"] for b in (m.get("buttons") or [])]
    assert buttons, visits
    asked = _say(gateway, session, buttons[0]["payload"])
    assert asked["messages"], asked
    done = _say(gateway, session, name)
    assert done["messages"], done
    app_db = stack.var_dir / "app.db"
    with storage.session(f"sqlite:///{app_db}") as current:
        names = [r.nickname for r in current.query(storage.SignupRequest)
                 .filter_by(conversation_id=session)]
    assert names == [name]
    for store in (stack.tracker_db, stack.broker_db):  # the broker gets the masked turn too
        assert _leaks([name], list(_values(store))) == [], store
        assert NAME_MASK in _user_texts(store, session), store
    _refresh(stack)
    with sqlite3.connect(app_db) as db:
        holding = {table for (table,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type='table'")
            if any(name in " ".join(map(str, row))
                   for row in db.execute(f'SELECT * FROM "{table}"'))}
    assert holding == {"signup_requests"}
