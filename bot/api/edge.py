"""What every answer of the public API gets: a readable `{"detail": "..."}` error and CORS.

The app object belongs to `bot/api/app.py`, so instead of app-wide exception handlers and
middleware this is a route class: routers built with `route_class=EdgeRoute` turn validation
errors, bad JSON, a wrong content type and HTTPExceptions into one plain sentence, and add the
CORS headers that a school's page on another origin needs to call the gateway.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from bot.settings import get_settings

# Field-specific reasons read better than pydantic's pattern dumps.
FIELD_REASONS = {
    "message": "message must be the text the user wrote (a JSON string).",
    "session_id": "session_id must be an id the gateway issued (8-64 letters, digits, _ or -).",
    "language": "language must be one of sv, fi or da.",
    "plain_language": "plain_language must be true or false.",
    "school": "school must be a short id (at most 64 letters, digits, '.', '_' or '-').",
}
NOT_JSON = "The request body is not valid JSON."
NOT_OBJECT = 'The request body must be a JSON object such as {"message": "hej"}.'
PARSE_ERROR = "There was an error parsing the body"
WRONG_TYPE = "Send the request body as JSON with the header Content-Type: application/json."

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def error(status: int, detail: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


def validation_reason(errors: list[dict[str, Any]]) -> tuple[int, str]:
    """The status and one sentence for the first thing pydantic refused."""
    first = errors[0] if errors else {}
    kind = first.get("type", "")
    loc = [part for part in first.get("loc", ()) if part != "body"]
    if kind == "json_invalid":
        return 400, NOT_JSON
    if not loc or not isinstance(loc[0], str):
        return 422, NOT_OBJECT
    field = loc[0]
    if kind == "missing":
        return 422, f"{field} is required."
    return 422, FIELD_REASONS.get(field, f"{field}: {first.get('msg', 'invalid value')}.")


def is_json(content_type: str | None) -> bool:
    media = (content_type or "").split(";")[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def cors_headers(request: Request) -> dict[str, str]:
    """CORS headers for a browser call from an allowed origin; nothing for other callers."""
    origin = request.headers.get("origin")
    if not origin:
        return {}
    allowed = [o.strip() for o in get_settings().allowed_origins.split(",") if o.strip()]
    if "*" in allowed:
        value = "*"
    elif origin in allowed:
        value = origin
    else:
        return {}
    return {
        "Access-Control-Allow-Origin": value,
        "Access-Control-Expose-Headers": "Retry-After",
        "Vary": "Origin",
    }


def preflight(request: Request) -> Response:
    """The answer to a browser's CORS preflight (OPTIONS) for the chat endpoint."""
    headers = cors_headers(request)
    if headers:
        headers |= {
            "Access-Control-Allow-Methods": "POST, OPTIONS",
            "Access-Control-Allow-Headers": "Content-Type",
            "Access-Control-Max-Age": "600",
        }
    return Response(status_code=204, headers=headers)


class EdgeRoute(APIRoute):
    """A route whose errors are plain sentences and whose answers carry CORS headers."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            if request.method == "POST" and not is_json(request.headers.get("content-type")):
                response: Response = error(415, WRONG_TYPE)
            else:
                try:
                    response = await handler(request)
                except RequestValidationError as exc:
                    response = error(*validation_reason(list(exc.errors())))
                except HTTPException as exc:
                    # FastAPI's own 400 for a body it cannot decode says nothing useful.
                    detail = NOT_JSON if exc.detail == PARSE_ERROR else str(exc.detail)
                    response = error(exc.status_code, detail, exc.headers)
            response.headers.update(cors_headers(request))
            return response

        return route
