"""The `suggestions` payload: the cards the widget renders. One schema, used by the actions
that build it (bot/suggestions.py) and the gateway that publishes it (bot/api/models.py);
pydantic only, so the gateway imports nothing heavy for it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Kind = Literal["programme", "profession", "company", "visit"]


class SchoolItem(BaseModel):
    """A school that teaches a programme, nearest first on the programme's card."""

    id: str
    name: str
    campus: str | None = None
    kind: str = Field(description="gymnasieskola, komvux, ammattiopisto, lukio, amk, "
                      "erhvervsskole or gymnasium")
    municipality: str
    distance_km: float | None = None
    website: str


class SuggestionItem(BaseModel):
    """One card. A visit has `date` only when it is a dated event; a recurring one has `when`
    (the usual period, in words). A programme lists its nearest schools in `providers`."""

    kind: Kind
    id: str
    title: str
    fields: list[str] = Field(default_factory=list)
    site: str | None = Field(default=None, description="A company's works or office.")
    municipality: str | None = None
    distance_km: float | None = None
    date: str | None = None
    when: str | None = None
    sample: bool = Field(default=False, description="Invented demo data, shown as 'Exempel'.")
    reason: str | None = None
    providers: list[SchoolItem] | None = None


class Suggestions(BaseModel):
    """The machine-readable payload the widget renders as cards."""

    type: Literal["suggestions"] = "suggestions"
    language: str
    items: list[SuggestionItem]
