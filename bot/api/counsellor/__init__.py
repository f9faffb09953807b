"""The counsellors' side of the gateway: `router` holds the page, the JSON API (routes.py) and
the CSV exports (export.py); models.py is the API's schema, access.py the login check."""

from fastapi import APIRouter

from bot.api.counsellor import export, routes

router = APIRouter()
router.include_router(routes.router)
router.include_router(export.router)

__all__ = ["router"]
