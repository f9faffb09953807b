"""The static side of the gateway: the embeddable widget and the demo school page."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

WEB = Path(__file__).resolve().parent.parent / "web"

# The demo page loads nothing but our own files, so it can run under a strict policy; this
# also proves the widget needs no inline script or style on a school's page.
DEMO_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
# Small files that change with each release: always revalidate (ETag), never serve stale.
NO_CACHE = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}

router = APIRouter(include_in_schema=False)


@router.get("/")
def index() -> FileResponse:
    """The fictional Demoskolan page that embeds the widget with one script tag."""
    headers = NO_CACHE | {"Content-Security-Policy": DEMO_CSP, "Referrer-Policy": "no-referrer"}
    return FileResponse(WEB / "index.html", media_type="text/html", headers=headers)


@router.get("/widget.js")
def widget_js() -> FileResponse:
    return FileResponse(WEB / "widget.js", media_type="text/javascript", headers=NO_CACHE)


@router.get("/widget.css")
def widget_css() -> FileResponse:
    return FileResponse(WEB / "widget.css", media_type="text/css", headers=NO_CACHE)


@router.get("/demo.css")
def demo_css() -> FileResponse:
    return FileResponse(WEB / "demo.css", media_type="text/css", headers=NO_CACHE)
