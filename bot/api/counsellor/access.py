"""Who is asking: the session cookie, the logged-in counsellor as a FastAPI dependency, and
whether the cookie must be Secure. Every counsellor endpoint takes one of the three
dependencies below, so none can forget the login check."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import Cookie, Depends, HTTPException, Request, Response

from bot.auth.accounts import Account
from bot.auth.sessions import session_account
from bot.settings import get_settings
from bot.summaries import refresh

log = logging.getLogger("vagvisaren.counsellor")
COOKIE = "vv_counsellor"


def _refresh() -> None:
    """Fold in Rasa's new events; a busy event-broker DB only delays the summaries."""
    try:
        refresh()
    except Exception:  # noqa: BLE001 - the page must still answer
        log.exception("summary refresh failed")


def current_account(response: Response,
                    vv_counsellor: Annotated[str | None, Cookie()] = None) -> Account:
    account = session_account(vv_counsellor)
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
FreshCounsellor = Annotated[Account, Depends(fresh_account)]  # summaries brought up to date
SchoolAdmin = Annotated[Account, Depends(admin_account)]


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
