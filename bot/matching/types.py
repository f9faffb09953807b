"""Typed results of interest matching; every item carries a score and a reason to show."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Mode = Literal["hybrid", "lexical", "semantic"]
# Who the programmes are for: a pupil (or a parent asking for their child), or an adult.
Audience = Literal["young", "adult"]


@dataclass(frozen=True)
class FieldMatch:
    """A field of work, with the two layers' parts of its score (for debugging and the bench)."""

    id: str
    label: str
    score: float
    reason: str
    lexical: float
    semantic: float


@dataclass(frozen=True)
class ProgrammeMatch:
    id: str
    name: str
    country: str
    score: float
    reason: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class ProfessionMatch:
    id: str
    title: str
    score: float
    reason: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class CompanyMatch:
    """An employer; `distance_km` is set when the user gave a place. `fit` ranks how well its
    work fits: 0 it employs the job the user named, 1 one of their top jobs, 2 its main field
    is the user's, 3 another of its fields is."""

    id: str
    name: str
    municipality: str
    score: float
    reason: str
    fields: tuple[str, ...]
    distance_km: float | None = None
    site: str | None = None
    fit: int = 3


@dataclass(frozen=True)
class MatchResult:
    """Everything one message matched, best first."""

    lang: str
    country: str | None
    mode: Mode
    fields: list[FieldMatch] = field(default_factory=list)
    programmes: list[ProgrammeMatch] = field(default_factory=list)
    professions: list[ProfessionMatch] = field(default_factory=list)
    companies: list[CompanyMatch] = field(default_factory=list)

    @property
    def field_ids(self) -> list[str]:
        return [f.id for f in self.fields]
