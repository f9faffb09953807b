"""The counsellors' side of the gateway: the page, login, school-scoped summaries, queues and
stats. The CSV exports are in export.py, the models in models.py, the login check in access.py.

Every query is filtered by the logged-in counsellor's school; another school's conversation
answers 404, exactly like one that does not exist. Transcript reads are audited; a school's
admin reads its audit log. Failed logins are throttled per account and per IP.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Cookie, HTTPException, Query, Request, Response
from fastapi.responses import FileResponse, JSONResponse
from sqlalchemy import func, select

from bot import storage
from bot.api.counsellor.access import (
    COOKIE,
    Counsellor,
    FreshCounsellor,
    SchoolAdmin,
    secure_request,
)
from bot.api.counsellor.models import (
    LANGUAGE_PATTERN,
    AuditRow,
    ConversationDetail,
    ConversationPage,
    Count,
    Handover,
    IsoDate,
    LoginRequest,
    Me,
    Ok,
    Signup,
    Stats,
    TranscriptLine,
)
from bot.api.counsellor.views import WEB, as_conversation, filtered, label, strings, ts, utc
from bot.api.ratelimit import login_throttle
from bot.auth import audit
from bot.auth.accounts import Account, authenticate
from bot.auth.sessions import close_session, open_session
from bot.knowledge.loader import load_knowledge
from bot.privacy import scrub
from bot.settings import get_settings
from bot.summaries import Summary, transcript
from bot.summaries.purge import aggregate_keys

log = logging.getLogger("vagvisaren.counsellor")
ASSETS = {"app.js": "text/javascript", "app.css": "text/css"}
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
       "img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")

router = APIRouter(tags=["counsellor"])


def _me(account: Account) -> Me:
    return Me(username=account.username, school=account.school, language=account.language,
              role=account.role)


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

LOGIN_ERRORS: dict[int | str, dict[str, Any]] = {
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
    account = authenticate(body.username, body.password)
    if account is None:
        raise HTTPException(401, "Wrong username or password.")  # stays counted
    throttle.succeeded(body.username, ip, ticket)
    token, lifetime = open_session(account)
    response.set_cookie(COOKIE, token, max_age=lifetime, httponly=True, samesite="strict",
                        secure=secure_request(request), path="/")
    response.headers["Cache-Control"] = "no-store"
    return _me(account)


@router.post("/api/counsellor/logout", response_model=Ok)
def logout(response: Response, vv_counsellor: Annotated[str | None, Cookie()] = None) -> Ok:
    close_session(vv_counsellor)
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
    lang: Annotated[str | None, Query(pattern=LANGUAGE_PATTERN)] = None,
) -> ConversationPage:
    """This school's conversations, newest first, with filters."""
    query = filtered(account, start, end, field, handover)
    with storage.session() as current:
        total = current.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = current.scalars(
            query.order_by(storage.ConversationSummary.ended_at.desc())
            .offset((page - 1) * page_size).limit(page_size)).all()
        summaries = [Summary.model_validate_json(row.data) for row in rows]
    language = lang or account.language
    return ConversationPage(items=[as_conversation(s, language) for s in summaries], total=total,
                            page=page, page_size=page_size)


@router.get("/api/counsellor/conversations/{conversation_id}",
            response_model=ConversationDetail, responses={401: {}, 404: {}})
def conversation(
    conversation_id: str, account: FreshCounsellor, transcript_: Annotated[
        bool, Query(alias="transcript")] = False,
    lang: Annotated[str | None, Query(pattern=LANGUAGE_PATTERN)] = None,
) -> ConversationDetail:
    """One summary; `?transcript=true` adds the scrubbed messages and is written to the audit
    log."""
    with storage.session() as current:
        row = current.get(storage.ConversationSummary, conversation_id)
        summary = Summary.model_validate_json(row.data) if row else None
    if summary is None or summary.school != account.school:
        raise HTTPException(404, "No such conversation.")
    detail = ConversationDetail(**as_conversation(summary, lang or account.language).model_dump())
    if transcript_:
        audit.record(account, conversation_id)
        detail.transcript = [TranscriptLine(**line.model_dump())
                             for line in transcript(conversation_id)]
    return detail


@router.get("/api/counsellor/stats", response_model=Stats, responses={401: {}})
def stats(account: FreshCounsellor,
          lang: Annotated[str | None, Query(pattern=LANGUAGE_PATTERN)] = None) -> Stats:
    """Counts by field, language and ISO week: live summaries plus the purged aggregates."""
    counts: dict[str, Counter[str]] = {"field": Counter(), "language": Counter(),
                                       "total": Counter()}
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
        return [Count(key=k, label=label(dimension, k, language), count=c) for k, c in items]

    return Stats(conversations=sum(counts["total"].values()), by_field=listed("field"),
                 by_language=listed("language"), by_week=listed("total", by_key=True))


@router.get("/api/counsellor/handovers", response_model=list[Handover], responses={401: {}})
def handovers(account: Counsellor) -> list[Handover]:
    """Handover requests of this school, newest first."""
    model = storage.HandoverRequest
    with storage.session() as current:
        rows = current.scalars(select(model).where(model.school == account.school)
                               .order_by(model.created_at.desc()).limit(500)).all()
    return [Handover(id=r.id, conversation_id=r.conversation_id, question=scrub(r.question),
                     language=r.language, created_at=utc(r.created_at)) for r in rows]


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
            nickname=r.nickname, language=r.language, created_at=utc(r.created_at)))
    return result


@router.get("/api/counsellor/audit", response_model=list[AuditRow],
            responses={401: {}, 403: {"description": "Not the school's administrator."}})
def audit_log(account: SchoolAdmin,
              limit: Annotated[int, Query(ge=1, le=10_000)] = 500) -> list[AuditRow]:
    """The school's own audit log, newest first: who read which transcript, who exported."""
    return [AuditRow(at=ts(e.at), username=e.username, action=e.action,
                     conversation_id=e.conversation_id)
            for e in audit.entries(account.school, limit)]
