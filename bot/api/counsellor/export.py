"""The counsellor's CSV exports: the school's summaries, and (for its admin) its audit log.

Both are written to the audit log. Cells are spreadsheet-safe: none starts with a formula sign.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Annotated

from fastapi import APIRouter, Query, Response

from bot import storage
from bot.api.counsellor.access import FreshCounsellor, SchoolAdmin
from bot.api.counsellor.models import LANGUAGE_PATTERN
from bot.api.counsellor.views import filtered, ts
from bot.auth import audit
from bot.privacy import scrub
from bot.summaries import Summary, readable, week_of

router = APIRouter(tags=["counsellor"])
SUMMARY_COLUMNS = ["conversation_id", "week", "started_at", "ended_at", "language",
                   "plain_language", "user_turns", "fields", "place", "programmes",
                   "professions", "companies", "visits", "signups", "handover",
                   "handover_question", "fallback_count", "summary"]


def _cell(value: object) -> str:
    """Spreadsheet-safe: a cell never starts with a formula sign."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def _csv(header: list[str], rows: Iterable[Iterable[object]], filename: str) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store"})


def _summary_row(s: Summary, language: str) -> list[object]:
    return [s.conversation_id, week_of(s.started_at), ts(s.started_at).isoformat(),
            ts(s.ended_at).isoformat(), s.language, s.plain_language, s.user_turns,
            " ".join(s.fields), s.place,
            *(" ".join(s.suggested.get(k, [])) for k in
              ("programme", "profession", "company", "visit")),
            " ".join(s.signups), s.handover, scrub(s.handover_question), s.fallback_count,
            readable(s, language)]


@router.get("/api/counsellor/export.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}}, 401: {}})
def export_csv(account: FreshCounsellor,
               lang: Annotated[str | None, Query(pattern=LANGUAGE_PATTERN)] = None) -> Response:
    """All of this school's summaries as CSV (no transcripts); written to the audit log."""
    language = lang or account.language
    with storage.session() as current:
        rows = current.scalars(filtered(account, None, None, None, None).order_by(
            storage.ConversationSummary.started_at)).all()
        summaries = [Summary.model_validate_json(row.data) for row in rows]
    audit.record(account, audit.EXPORT, action="export_csv")
    return _csv(SUMMARY_COLUMNS, (_summary_row(s, language) for s in summaries),
                "vagvisaren-summaries.csv")


@router.get("/api/counsellor/audit.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}}, 401: {},
                       403: {"description": "Not the school's administrator."}})
def audit_csv(account: SchoolAdmin) -> Response:
    """The school's own audit log as CSV; this export is itself audited."""
    entries = audit.entries(account.school)
    audit.record(account, audit.EXPORT, action="audit_export")
    return _csv(["at", "username", "action", "conversation_id"],
                ((ts(e.at).isoformat(), e.username, e.action, e.conversation_id)
                 for e in entries), "vagvisaren-audit.csv")
