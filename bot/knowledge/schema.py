"""The one pydantic schema for the knowledge base, shared by loader, queries, matcher and actions.

Every record about a real thing carries `source`; invented demo values are flagged `sample: true`.

Over 300 lines on purpose: it is one cohesive thing, the whole schema in one place. The record
models, their cross-field validators and KnowledgeBase (which indexes them) are read together
whenever a field is added, and the CSV round trip (csv_io.py) walks ENTITIES at the end.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar, get_args

from annotated_types import Ge, Le, Len
from pydantic import (
    BaseModel,
    ConfigDict,
    PrivateAttr,
    StringConstraints,
    field_validator,
    model_validator,
)

from bot.labels import LANGUAGES, SOURCE_LANGUAGE

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
# Every Localized text has our languages, and English optionally (for the team).
TEXT_LANGUAGES = (*LANGUAGES, "en")

Country = Literal["SE", "FI", "DK"]
Level = Literal["upper_secondary_vocational", "upper_secondary_academic", "adult", "higher"]
ADULT_LEVEL: Level = "adult"  # education for adults only: Komvux, Denmark's euv
TargetGroup = Literal["year8", "adults", "both"]

Id = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_]*$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class _Model(BaseModel):
    """Strict base: unknown keys are errors, so typos in YAML never pass silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Localized(_Model):
    """Text in Swedish, Finnish and Danish (English optional, for the team and fallbacks)."""

    sv: Text
    fi: Text
    da: Text
    en: Text | None = None

    def get(self, lang: str, fallback: str = SOURCE_LANGUAGE) -> str:
        """Text in `lang`, else in `fallback`, so an answer never comes out empty."""
        value: str | None = getattr(self, lang, None) if lang in TEXT_LANGUAGES else None
        chosen: str = getattr(self, fallback)
        return value or chosen


class LocalizedEn(Localized):
    """Localized text where English is required (field labels are shown to the whole team)."""

    en: Text


# A source must be public: at least one web address, and no path into the team's own notes
# (`shared/domain/…`, `seeds/003`) or a "Vägvisaren team" attribution. A note may say where a
# fact came from, but a reader outside the team must be able to check it.
PUBLIC_URL = re.compile(r"https?://[^\s;,)]+\.[^\s;,)]+")
TEAM_NOTE = re.compile(r"(?<![\w/.-])(?:\.\./)?(?:shared|seeds|domain|design)/|vägvisaren team|"
                       r"team[- ]note", re.IGNORECASE)
Url = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^https?://\S+\.\S+$")]


def check_public_source(value: str) -> str:
    """`value` when it cites a public URL and no team-internal note; ValueError otherwise."""
    if not PUBLIC_URL.search(value):
        raise ValueError("source must cite a public web address (https://…)")
    if (note := TEAM_NOTE.search(value)) is not None:
        raise ValueError(f"source cites a team-internal note ('{note.group(0)}'): cite the "
                         "public page behind it")
    return value


class Record(_Model):
    """A record with a unique id and the public source its facts come from."""

    id: Id
    source: Text

    @field_validator("source")
    @classmethod
    def _public_source(cls, value: str) -> str:
        return check_public_source(value)


class Field(Record):
    """A broad field of work (e.g. `electrical`); `riasec` holds Holland code letters."""

    label: LocalizedEn
    description: LocalizedEn
    riasec: Annotated[str, StringConstraints(pattern=r"^[RIASEC]{1,3}$")]


class Programme(Record):
    """An education programme in one country, linked to fields and professions by id."""

    country: Country
    name_official: Text
    name: Localized
    code: Text | None = None
    level: Level
    specialisations: list[Text] = []
    fields: list[Id]
    professions: list[Id] = []
    description: Localized


class WordLists(_Model):
    """Words per language (folded when matched)."""

    sv: list[Text] = []
    fi: list[Text] = []
    da: list[Text] = []


class Profession(Record):
    """An occupation; `isco08` is the 4-digit ISCO-08 unit group where known. `words` are what
    people say for doing the job ("svetsa", "hitsata", "svejse"): a message with one names
    the job, not only its field."""

    title: Localized
    description: Localized
    fields: list[Id]
    programmes: list[Id] = []
    isco08: Annotated[str, StringConstraints(pattern=r"^\d{4}$")] | None = None
    words: WordLists | None = None


class Place(Record):
    """A municipality; `aliases` are names in other languages (Åbo for Turku)."""

    name: Text
    aliases: list[Text] = []
    country: Country
    region: Text
    lat: float
    lon: float

    @model_validator(mode="after")
    def _check_coordinates(self) -> Place:
        if not (-90 <= self.lat <= 90 and -180 <= self.lon <= 180):
            raise ValueError(f"coordinates out of range: {self.lat}, {self.lon}")
        return self


class FieldLink(_Model):
    """Why a company belongs to a field: what it does there (`basis`) and which of our
    professions work at that site. A toy maker is a moulding employer, not a welding one."""

    field: Id
    basis: Text
    professions: list[Id] = []


class Company(Record):
    """A real employer at one site: `name` is the company, `site` the works or office when the
    company has several (never the town: that is `municipality`, a place id)."""

    name: Text
    site: Text | None = None
    municipality: Id
    links: Annotated[list[FieldLink], Len(min_length=1)]
    description: Localized
    website: Url | None = None

    @field_validator("name", "site")
    @classmethod
    def _no_parentheses(cls, value: str | None) -> str | None:
        if value is not None and ("(" in value or ")" in value):
            raise ValueError("no parentheses: put the works or office in `site`")
        return value

    @property
    def fields(self) -> list[str]:
        """Field ids, main field first (the order of `links`)."""
        return [link.field for link in self.links]

    def professions_in(self, field: str | None = None) -> set[str]:
        """Profession ids the links name (in one field, or in any)."""
        return {p for link in self.links if field in (None, link.field) for p in link.professions}


class Visit(Record):
    """A study visit or event: either one concrete `date` or recurring `months`."""

    title: Localized
    host: Text
    place: Id
    date: dt.date | None = None
    months: list[int] = []
    period: Localized | None = None
    target_group: TargetGroup
    capacity: int | None = None
    signup: Localized
    fields: list[Id]
    sample: bool = False

    @model_validator(mode="after")
    def _check_when(self) -> Visit:
        if (self.date is None) == (not self.months):
            raise ValueError("give exactly one of `date` or `months`")
        if self.months and self.period is None:
            raise ValueError("a recurring visit needs `period`: when it usually is, in words")
        if any(not 1 <= m <= 12 for m in self.months):
            raise ValueError("months must be between 1 and 12")
        if self.capacity is not None and self.capacity <= 0:
            raise ValueError("capacity must be positive")
        return self

    def next_occurrence(self, on_or_after: dt.date) -> dt.date | None:
        """Next date on/after the day: the concrete date, `on_or_after` itself when it falls in
        a listed month, else the first day of the next listed month; None when it is over."""
        if self.date is not None:
            return self.date if self.date >= on_or_after else None
        if on_or_after.month in self.months:
            return on_or_after
        for step in range(1, 13):
            month0 = on_or_after.month - 1 + step
            year, month = on_or_after.year + month0 // 12, month0 % 12 + 1
            if month in self.months:
                return dt.date(year, month, 1)
        return None  # unreachable: months is non-empty


# Schools and colleges, as each country names them: Swedish upper-secondary and adult
# education, Finnish vocational institutions, upper-secondary schools and universities of
# applied sciences, Danish vocational colleges and technical upper-secondary schools.
ProviderKind = Literal["gymnasieskola", "komvux", "ammattiopisto", "lukio", "amk",
                       "erhvervsskole", "gymnasium"]
PROVIDER_KINDS: tuple[str, ...] = get_args(ProviderKind)


class Provider(Record):
    """A school or college campus that offers some of our programmes.

    `lat`/`lon` are the campus where a source gives them; left out, the campus is placed at
    its municipality's main town (so distances are town to town)."""

    name: Text
    campus: Text | None = None
    kind: ProviderKind
    municipality: Id
    lat: float | None = None
    lon: float | None = None
    website: Url
    programmes: Annotated[list[Id], Len(min_length=1)]

    @model_validator(mode="after")
    def _check_coordinates(self) -> Provider:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("give lat and lon together, or neither")
        if self.lat is not None and self.lon is not None and not (
                -90 <= self.lat <= 90 and -180 <= self.lon <= 180):
            raise ValueError(f"coordinates out of range: {self.lat}, {self.lon}")
        return self

    @property
    def display_name(self) -> str:
        """"Sataedu, Harjavalta campus": the institution, then the campus when there is one."""
        return f"{self.name}, {self.campus}" if self.campus else self.name


CURRENCY: dict[str, str] = {"SE": "SEK", "FI": "EUR", "DK": "DKK"}


class Pay(Record):
    """Official monthly pay (gross, full time) for one profession in one country.

    `occupation` names the group as the statistic does (SSYK, ammattiluokitus or DISCO code
    and name): several of our professions may share one. `typical` is the `measure` (median
    or mean); `low`/`high` is the range the source gives (`range`), never a promise.
    """

    profession: Id
    country: Country
    occupation: Text
    measure: Literal["median", "mean"]
    typical: Annotated[int, Ge(1)]
    low: Annotated[int, Ge(1)] | None = None
    high: Annotated[int, Ge(1)] | None = None
    range: Literal["p10_p90", "p25_p75"] | None = None
    year: Annotated[int, Ge(2010), Le(2030)]
    # Short name of the statistic as the answer shows it ("Danmarks Statistik, LONS20").
    source_name: Text
    # How the figure was read, for the team: a secondary copy, an inferred year.
    note: Text | None = None

    @model_validator(mode="after")
    def _check_range(self) -> Pay:
        if (self.low is None) != (self.high is None) or \
                (self.low is not None) != (self.range is not None):
            raise ValueError("give low, high and range together, or none of them")
        if self.low is not None and self.high is not None and \
                not self.low <= self.typical <= self.high:
            raise ValueError(f"typical {self.typical} is not between {self.low} and {self.high}")
        return self

    @property
    def currency(self) -> str:
        return CURRENCY[self.country]


# What a counsellor answers the questions behind the choice with (bot/concerns.py).
Topic = Literal["second_chance", "entry_requirements", "entry_routes", "higher_education",
                "placement", "apprenticeship", "apprentice_pay", "working_conditions", "gender",
                "find_school"]
TOPICS: tuple[str, ...] = get_args(Topic)


class Guidance(Record):
    """One short, sourced fact for a country: a route, a rule or a service (`link` is the
    official page the user can open)."""

    country: Country
    topic: Topic
    name: Text
    text: Localized
    link: Text | None = None


class InterestSynonyms(_Model):
    """Interest words for one field, per language; matched after case/accent folding.

    File format (`interest_synonyms.yml`): a list of rows `{field, sv: [...], fi: [...],
    da: [...], en: [...]}`, one row per field id.
    """

    field: Id
    sv: list[Text]
    fi: list[Text]
    da: list[Text]
    en: list[Text] = []
    source: Text = "hand-kept by the Vägvisaren team"


class KnowledgeBase(_Model):
    """Everything, validated together; the loader checks references across entities."""

    fields: list[Field]
    programmes: list[Programme]
    professions: list[Profession]
    places: list[Place]
    companies: list[Company]
    visits: list[Visit]
    synonyms: list[InterestSynonyms]
    pay: list[Pay] = []
    guidance: list[Guidance] = []
    providers: list[Provider] = []

    _index: dict[str, dict[str, BaseModel]] = PrivateAttr(default_factory=dict)
    _derived: dict[str, Any] = PrivateAttr(default_factory=dict)

    def model_post_init(self, context: object, /) -> None:
        """Build id lookups once, so queries need no linear scans."""
        for entity in ("fields", "programmes", "professions", "places", "companies", "visits",
                       "pay", "guidance", "providers"):
            self._index[entity] = {r.id: r for r in getattr(self, entity)}

    def __eq__(self, other: object) -> bool:
        """Equal when the data is equal; cached lookups are ignored."""
        return isinstance(other, KnowledgeBase) and self.__dict__ == other.__dict__

    # Equal by its data (above) but unhashable; mypy expects a method in this slot.
    __hash__ = None  # type: ignore[assignment]

    def derived(self, key: str, build: Callable[[KnowledgeBase], T]) -> T:
        """Memoised value computed from this (immutable) knowledge base, e.g. a search index."""
        if key not in self._derived:
            self._derived[key] = build(self)
        value: T = self._derived[key]
        return value

    def get(self, entity: str, record_id: str) -> BaseModel | None:
        """Record of `entity` (e.g. "places") with that id, or None."""
        return self._index[entity].get(record_id)

    def _typed(self, entity: str, record_id: str, kind: type[M]) -> M | None:
        found = self._index[entity].get(record_id)
        return found if isinstance(found, kind) else None

    def field(self, record_id: str) -> Field | None:
        return self._typed("fields", record_id, Field)

    def programme(self, record_id: str) -> Programme | None:
        return self._typed("programmes", record_id, Programme)

    def profession(self, record_id: str) -> Profession | None:
        return self._typed("professions", record_id, Profession)

    def place(self, record_id: str) -> Place | None:
        return self._typed("places", record_id, Place)

    def company(self, record_id: str) -> Company | None:
        return self._typed("companies", record_id, Company)

    def visit(self, record_id: str) -> Visit | None:
        return self._typed("visits", record_id, Visit)

    def provider(self, record_id: str) -> Provider | None:
        return self._typed("providers", record_id, Provider)


# Entity name -> (file name, record model). Order matters for loading and messages.
ENTITIES: dict[str, tuple[str, type[BaseModel]]] = {
    "fields": ("fields.yml", Field),
    "programmes": ("programmes.yml", Programme),
    "professions": ("professions.yml", Profession),
    "places": ("places.yml", Place),
    "companies": ("companies.yml", Company),
    "visits": ("visits.yml", Visit),
    "synonyms": ("interest_synonyms.yml", InterestSynonyms),
    "pay": ("pay.yml", Pay),
    "guidance": ("guidance.yml", Guidance),
    "providers": ("providers.yml", Provider),
}


def id_attr(entity: str) -> str:
    """Attribute that identifies a record of `entity` (synonym rows are keyed by field)."""
    return "field" if entity == "synonyms" else "id"
