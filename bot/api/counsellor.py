"""The counsellors' side of the gateway: login, school-scoped summaries, queues, stats, CSV.

Every query is filtered by the logged-in counsellor's school; another school's conversation
answers 404, exactly like one that does not exist. Transcript reads and exports are audited;
a school's admin reads its audit log. Failed logins are throttled per account and per IP.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Annotated

import yaml
from fastapi import APIRouter, Cookie, Depends, HTTPException, Query, Request, Response
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from sqlalchemy import func, select

from bot import storage
from bot.admin import accounts
from bot.admin.accounts import Account
from bot.api.ratelimit import login_throttle
from bot.knowledge.loader import load_knowledge
from bot.privacy import scrub
from bot.settings import get_settings
from bot.summaries import Summary, readable, refresh, transcript, week_of
from bot.summaries.purge import aggregate_keys
from bot.summaries.text import name_of

log = logging.getLogger("vagvisaren.counsellor")
WEB = Path(__file__).resolve().parent.parent / "web" / "counsellor"
COOKIE = "vv_counsellor"
ASSETS = {"app.js": "text/javascript", "app.css": "text/css"}
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
       "img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")

router = APIRouter(tags=["counsellor"])


# ----- response models ------------------------------------------------------------------------

def _iso_date(value: object) -> object:
    """Only YYYY-MM-DD: pydantic alone would read "0" as 1970-01-01 (a Unix timestamp)."""
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("use a date like 2026-11-25")
    return value


# A filter date from the query string, written as the schema says: YYYY-MM-DD.
IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]


class LoginRequest(BaseModel):
    model_config = ConfigDict(strict=True)
    username: str = Field(max_length=64)
    password: str = Field(max_length=256)


class Me(BaseModel):
    username: str
    school: str
    language: str
    role: str = Field(description="counsellor, or admin (also reads the audit log)")


class Named(BaseModel):
    """A knowledge-base record by id and by its name in the counsellor's language."""

    id: str
    name: str


class Suggested(BaseModel):
    """What the bot suggested, by name; `schools` are those on the programme cards."""

    programmes: list[Named] = Field(default_factory=list)
    schools: list[Named] = Field(default_factory=list)
    professions: list[Named] = Field(default_factory=list)
    companies: list[Named] = Field(default_factory=list)
    visits: list[Named] = Field(default_factory=list)


class Conversation(BaseModel):
    id: str
    language: str | None
    plain_language: bool
    started_at: dt.datetime
    ended_at: dt.datetime
    user_turns: int
    fields: list[str]
    place: str | None
    suggested: dict[str, list[str]]
    signups: list[str]
    handover: bool
    handover_question: str | None
    fallback_count: int
    summary: str
    field_labels: list[str] = Field(default_factory=list,
                                    description="`fields` by label, in the same order")
    interests: list[str] = Field(default_factory=list,
                                 description="The pupil's own words, scrubbed")
    suggested_names: Suggested = Field(default_factory=Suggested)
    signup_names: list[Named] = Field(default_factory=list)
    unanswered: list[str] = Field(
        default_factory=list, description="Questions answered by a fallback, scrubbed")


class TranscriptLine(BaseModel):
    at: dt.datetime
    speaker: str
    text: str


class ConversationDetail(Conversation):
    transcript: list[TranscriptLine] | None = None


class ConversationPage(BaseModel):
    items: list[Conversation]
    total: int
    page: int
    page_size: int


class Count(BaseModel):
    key: str
    label: str
    count: int


class Stats(BaseModel):
    conversations: int
    by_field: list[Count]
    by_language: list[Count]
    by_week: list[Count]


class Handover(BaseModel):
    id: int
    conversation_id: str
    question: str
    language: str
    created_at: dt.datetime


class Signup(BaseModel):
    id: int
    conversation_id: str
    visit_id: str
    visit_title: str
    nickname: str | None
    language: str
    created_at: dt.datetime


class Ok(BaseModel):
    ok: bool = True


class AuditRow(BaseModel):
    at: dt.datetime
    username: str
    action: str = Field(description="transcript, export_csv or audit_export")
    conversation_id: str = Field(description='"*" for an export of all the school\'s data')


# ----- helpers --------------------------------------------------------------------------------

def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _ts(value: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(value, dt.UTC)


def _named(kind: str, ids: list[str], language: str) -> list[Named]:
    return [Named(id=i, name=name_of(kind, i, language)) for i in ids]


def _conversation(summary: Summary, language: str) -> Conversation:
    """The summary with names in the counsellor's language; quotes scrubbed once more, as
    the scrubber may have learnt more since the summary was stored."""
    suggested = summary.suggested
    return Conversation(
        id=summary.conversation_id, language=summary.language,
        plain_language=summary.plain_language, started_at=_ts(summary.started_at),
        ended_at=_ts(summary.ended_at), user_turns=summary.user_turns, fields=summary.fields,
        place=summary.place, suggested=summary.suggested, signups=summary.signups,
        handover=summary.handover, handover_question=scrub(summary.handover_question) or None,
        fallback_count=summary.fallback_count, summary=readable(summary, language),
        field_labels=[name_of("field", f, language) for f in summary.fields],
        interests=[scrub(i) for i in summary.interests],
        suggested_names=Suggested(
            programmes=_named("programme", suggested.get("programme", []), language),
            schools=_named("school", summary.schools, language),
            professions=_named("profession", suggested.get("profession", []), language),
            companies=_named("company", suggested.get("company", []), language),
            visits=_named("visit", suggested.get("visit", []), language)),
        signup_names=_named("visit", summary.signups, language),
        unanswered=[scrub(q) for q in summary.unanswered],
    )


def _refresh() -> None:
    """Fold in new tracker events; a busy tracker DB only delays the summaries."""
    try:
        refresh()
    except Exception:  # noqa: BLE001 - the page must still answer
        log.exception("summary refresh failed")


def current_account(response: Response,
                    vv_counsellor: Annotated[str | None, Cookie()] = None) -> Account:
    account = accounts.session_account(vv_counsellor)
    if account is None:
        raise HTTPException(401, "Not logged in.")
    response.headers["Cache-Control"] = "no-store"
    return account


def fresh_account(account: Annotated[Account, Depends(current_account)]) -> Account:
    _refresh()
    return account


def admin_account(account: Annotated[Account, Depends(current_account)]) -> Account:
    if not account.admin:
        raise HTTPException(403, "Only the school's administrator reads the audit log.")
    return account


Counsellor = Annotated[Account, Depends(current_account)]
FreshCounsellor = Annotated[Account, Depends(fresh_account)]
SchoolAdmin = Annotated[Account, Depends(admin_account)]


def _me(account: Account) -> Me:
    return Me(username=account.username, school=account.school, language=account.language,
              role=account.role)


def secure_request(request: Request) -> bool:
    """Whether the session cookie must be Secure for this request.

    `request.url.scheme` is "https" for TLS to uvicorn, and also behind a proxy that uvicorn
    trusts (FORWARDED_ALLOW_IPS, loopback by default), whose X-Forwarded-Proto it applies. An
    X-Forwarded-Proto of https from anyone else is honoured too: it can only make the cookie
    stricter (a browser on plain HTTP then drops it), never send it in clear text.
    """
    if get_settings().cookie_secure or request.url.scheme == "https":
        return True
    forwarded = request.headers.get("x-forwarded-proto", "")
    return forwarded.split(",")[0].strip().lower() == "https"


def _filtered(account: Account, start: dt.date | None, end: dt.date | None, field: str | None,
              handover: bool | None):  # type: ignore[no-untyped-def]
    model = storage.ConversationSummary
    query = select(model).where(model.school == account.school)
    if start:
        query = query.where(model.started_at >= dt.datetime.combine(
            start, dt.time(), dt.UTC).timestamp())
    if end:
        query = query.where(model.started_at < dt.datetime.combine(
            end + dt.timedelta(days=1), dt.time(), dt.UTC).timestamp())
    if field:
        query = query.where(model.fields.contains(f"|{field}|", autoescape=True))
    if handover is not None:
        query = query.where(model.handover == handover)
    return query


def _label(dimension: str, key: str, language: str) -> str:
    if dimension == "field":
        field = load_knowledge().field(key)
        return field.label.get(language) if field else key
    if dimension == "language":
        return strings().get(language, {}).get(f"lang_{key}", key)
    return key


@lru_cache(maxsize=1)
def strings() -> dict[str, dict[str, str]]:
    return yaml.safe_load((WEB / "strings.yml").read_text(encoding="utf-8"))


# ----- page -----------------------------------------------------------------------------------

@router.get("/counsellor", include_in_schema=False)
def page() -> FileResponse:
    return FileResponse(WEB / "index.html", headers={"Content-Security-Policy": CSP,
                                                     "X-Frame-Options": "DENY"})


@router.get("/counsellor/static/{name}", include_in_schema=False)
def asset(name: str) -> FileResponse:
    if name not in ASSETS:
        raise HTTPException(404)
    return FileResponse(WEB / name, media_type=ASSETS[name])


@router.get("/counsellor/strings.json", include_in_schema=False)
def ui_strings() -> JSONResponse:
    return JSONResponse(strings())


# ----- API ------------------------------------------------------------------------------------

LOGIN_ERRORS: dict[int | str, dict] = {
    400: {"description": "The body is not valid JSON."}, 401: {},
    429: {"description": "Too many failed logins for this account or from this address.",
          "headers": {"Retry-After": {"description": "Seconds to wait.",
                                      "schema": {"type": "integer"}}}},
}


@router.post("/api/counsellor/login", response_model=Me, responses=LOGIN_ERRORS)
def login(body: LoginRequest, request: Request, response: Response) -> Me:
    """Check the password and set an HttpOnly, SameSite=Strict session cookie, Secure over
    HTTPS. After repeated failures, attempts are refused for a while without a password check."""
    settings = get_settings()
    throttle = login_throttle(settings.login_failures_per_account,
                              settings.login_failures_per_ip, settings.login_window_s)
    ip = request.client.host if request.client else None
    wait, ticket = throttle.attempt(body.username, ip)
    if wait:
        log.warning("Login throttled for %d s (too many failures)", wait)
        minutes = -(-wait // 60)
        raise HTTPException(429, f"Too many failed logins. Try again in {minutes} minute"
                            f"{'' if minutes == 1 else 's'}.", headers={"Retry-After": str(wait)})
    account = accounts.authenticate(body.username, body.password)
    if account is None:
        raise HTTPException(401, "Wrong username or password.")  # stays counted
    throttle.succeeded(body.username, ip, ticket)
    token, lifetime = accounts.open_session(account)
    response.set_cookie(COOKIE, token, max_age=lifetime, httponly=True, samesite="strict",
                        secure=secure_request(request), path="/")
    response.headers["Cache-Control"] = "no-store"
    return _me(account)


@router.post("/api/counsellor/logout", response_model=Ok)
def logout(response: Response, vv_counsellor: Annotated[str | None, Cookie()] = None) -> Ok:
    accounts.close_session(vv_counsellor)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return Ok()


@router.get("/api/counsellor/me", response_model=Me, responses={401: {}})
def me(account: Counsellor) -> Me:
    return _me(account)


@router.get("/api/counsellor/conversations", response_model=ConversationPage,
            responses={401: {}})
def conversations(
    account: FreshCounsellor,
    start: Annotated[IsoDate | None, Query(alias="from")] = None,
    end: Annotated[IsoDate | None, Query(alias="to")] = None,
    field: Annotated[str | None, Query(max_length=64)] = None,
    handover: bool | None = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
    lang: Annotated[str | None, Query(pattern="^(sv|fi|da)$")] = None,
) -> ConversationPage:
    """This school's conversations, newest first, with filters."""
    query = _filtered(account, start, end, field, handover)
    with storage.session() as current:
        total = current.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = current.scalars(
            query.order_by(storage.ConversationSummary.ended_at.desc())
            .offset((page - 1) * page_size).limit(page_size)).all()
        summaries = [Summary.model_validate_json(row.data) for row in rows]
    language = lang or account.language
    return ConversationPage(items=[_conversation(s, language) for s in summaries], total=total,
                            page=page, page_size=page_size)


@router.get("/api/counsellor/conversations/{conversation_id}",
            response_model=ConversationDetail, responses={401: {}, 404: {}})
def conversation(
    conversation_id: str, account: FreshCounsellor, transcript_: Annotated[
        bool, Query(alias="transcript")] = False,
    lang: Annotated[str | None, Query(pattern="^(sv|fi|da)$")] = None,
) -> ConversationDetail:
    """One summary; `?transcript=true` adds the scrubbed messages and is written to the audit
    log."""
    with storage.session() as current:
        row = current.get(storage.ConversationSummary, conversation_id)
        summary = Summary.model_validate_json(row.data) if row else None
    if summary is None or summary.school != account.school:
        raise HTTPException(404, "No such conversation.")
    detail = ConversationDetail(**_conversation(summary, lang or account.language).model_dump())
    if transcript_:
        accounts.audit(account, conversation_id)
        detail.transcript = [TranscriptLine(**line.model_dump())
                             for line in transcript(conversation_id)]
    return detail


@router.get("/api/counsellor/stats", response_model=Stats, responses={401: {}})
def stats(account: FreshCounsellor,
          lang: Annotated[str | None, Query(pattern="^(sv|fi|da)$")] = None) -> Stats:
    """Counts by field, language and ISO week: live summaries plus the purged aggregates."""
    counts: dict[str, Counter] = {"field": Counter(), "language": Counter(), "total": Counter()}
    with storage.session() as current:
        for data in current.scalars(select(storage.ConversationSummary.data).where(
                storage.ConversationSummary.school == account.school)):
            for week, dimension, key in aggregate_keys(Summary.model_validate_json(data)):
                counts[dimension][week if dimension == "total" else key] += 1
        for row in current.scalars(select(storage.AggregateCount).where(
                storage.AggregateCount.school == account.school)):
            counts[row.dimension][row.week if row.dimension == "total" else row.key] += row.count
    language = lang or account.language

    def listed(dimension: str, by_key: bool = False) -> list[Count]:
        items = sorted(counts[dimension].items(),
                       key=(lambda kv: kv[0]) if by_key else (lambda kv: (-kv[1], kv[0])))
        return [Count(key=k, label=_label(dimension, k, language), count=c) for k, c in items]

    return Stats(conversations=sum(counts["total"].values()), by_field=listed("field"),
                 by_language=listed("language"), by_week=listed("total", by_key=True))


def _cell(value: object) -> str:
    """Spreadsheet-safe: a cell never starts with a formula sign."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


@router.get("/api/counsellor/export.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}}, 401: {}})
def export_csv(account: FreshCounsellor,
               lang: Annotated[str | None, Query(pattern="^(sv|fi|da)$")] = None) -> Response:
    """All of this school's summaries as CSV (no transcripts); written to the audit log."""
    language = lang or account.language
    with storage.session() as current:
        rows = current.scalars(_filtered(account, None, None, None, None).order_by(
            storage.ConversationSummary.started_at)).all()
        summaries = [Summary.model_validate_json(row.data) for row in rows]
    accounts.audit(account, accounts.EXPORT, action="export_csv")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["conversation_id", "week", "started_at", "ended_at", "language",
                     "plain_language", "user_turns", "fields", "place", "programmes",
                     "professions", "companies", "visits", "signups", "handover",
                     "handover_question", "fallback_count", "summary"])
    for s in summaries:
        writer.writerow([_cell(v) for v in (
            s.conversation_id, week_of(s.started_at), _ts(s.started_at).isoformat(),
            _ts(s.ended_at).isoformat(), s.language, s.plain_language, s.user_turns,
            " ".join(s.fields), s.place, *(" ".join(s.suggested.get(k, [])) for k in
                                           ("programme", "profession", "company", "visit")),
            " ".join(s.signups), s.handover, scrub(s.handover_question), s.fallback_count,
            readable(s, language))])
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": 'attachment; filename="vagvisaren-summaries.csv"',
        "Cache-Control": "no-store"})


@router.get("/api/counsellor/handovers", response_model=list[Handover], responses={401: {}})
def handovers(account: Counsellor) -> list[Handover]:
    """Handover requests of this school, newest first."""
    model = storage.HandoverRequest
    with storage.session() as current:
        rows = current.scalars(select(model).where(model.school == account.school)
                               .order_by(model.created_at.desc()).limit(500)).all()
    return [Handover(id=r.id, conversation_id=r.conversation_id, question=scrub(r.question),
                     language=r.language, created_at=_utc(r.created_at)) for r in rows]


@router.get("/api/counsellor/signups", response_model=list[Signup], responses={401: {}})
def signups(account: Counsellor) -> list[Signup]:
    """Visit sign-up requests of this school, newest first."""
    model = storage.SignupRequest
    knowledge = load_knowledge()
    with storage.session() as current:
        rows = current.scalars(select(model).where(model.school == account.school)
                               .order_by(model.created_at.desc()).limit(500)).all()
    result = []
    for r in rows:
        visit = knowledge.visit(r.visit_id)
        result.append(Signup(
            id=r.id, conversation_id=r.conversation_id, visit_id=r.visit_id,
            visit_title=visit.title.get(account.language) if visit else r.visit_id,
            nickname=r.nickname, language=r.language, created_at=_utc(r.created_at)))
    return result


@router.get("/api/counsellor/audit", response_model=list[AuditRow],
            responses={401: {}, 403: {"description": "Not the school's administrator."}})
def audit_log(account: SchoolAdmin,
              limit: Annotated[int, Query(ge=1, le=10_000)] = 500) -> list[AuditRow]:
    """The school's own audit log, newest first: who read which transcript, who exported."""
    return [AuditRow(at=_ts(e.at), username=e.username, action=e.action,
                     conversation_id=e.conversation_id)
            for e in accounts.audit_entries(account.school, limit)]


@router.get("/api/counsellor/audit.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}}, 401: {},
                       403: {"description": "Not the school's administrator."}})
def audit_csv(account: SchoolAdmin) -> Response:
    """The school's own audit log as CSV; this export is itself audited."""
    entries = accounts.audit_entries(account.school)
    accounts.audit(account, accounts.EXPORT, action="audit_export")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["at", "username", "action", "conversation_id"])
    for e in entries:
        writer.writerow([_cell(v) for v in (_ts(e.at).isoformat(), e.username, e.action,
                                           e.conversation_id)])
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": 'attachment; filename="vagvisaren-audit.csv"',
        "Cache-Control": "no-store"})
