"""Cross-entity checks (unique ids, references that exist), shared by the YAML and CSV loaders.

Problems carry the entity, the record index and the key path, so each caller can point at
its own file and line.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from bot.knowledge.schema import ENTITIES, KnowledgeBase, id_attr

# (entity, attribute) -> entity its ids must exist in
REFERENCES: dict[tuple[str, str], str] = {
    ("programmes", "fields"): "fields",
    ("programmes", "professions"): "professions",
    ("professions", "fields"): "fields",
    ("professions", "programmes"): "programmes",
    ("companies", "municipality"): "places",
    ("providers", "municipality"): "places",
    ("providers", "programmes"): "programmes",
    ("visits", "place"): "places",
    ("visits", "fields"): "fields",
    ("synonyms", "field"): "fields",
    ("pay", "profession"): "professions",
}


@dataclass(frozen=True)
class Problem:
    """One integrity problem at `entity[index]`, key path `loc`."""

    entity: str
    index: int
    loc: tuple[str | int, ...]
    message: str


def check_integrity(kb: KnowledgeBase) -> list[Problem]:
    """All duplicate ids and dangling references in `kb` (empty list when consistent)."""
    return (list(_duplicates(kb)) + list(_dangling(kb)) + list(_company_links(kb))
            + list(_pay_twice(kb)))


def _duplicates(kb: KnowledgeBase) -> Iterator[Problem]:
    for entity in ENTITIES:
        seen: dict[str, int] = {}
        key = id_attr(entity)
        for index, record in enumerate(getattr(kb, entity)):
            value = getattr(record, key)
            if value in seen:
                yield Problem(entity, index, (key,),
                              f"duplicate {key} '{value}' (first used by record {seen[value] + 1})")
            seen.setdefault(value, index)


def _dangling(kb: KnowledgeBase) -> Iterator[Problem]:
    ids = {e: {r.id for r in getattr(kb, e)} for e in set(REFERENCES.values())}
    for (entity, attr), target in REFERENCES.items():
        for index, record in enumerate(getattr(kb, entity)):
            value = getattr(record, attr)
            values = value if isinstance(value, list) else [value]
            for pos, ref in enumerate(values):
                if ref not in ids[target]:
                    loc: tuple[str | int, ...] = (attr, pos) if isinstance(value, list) else (attr,)
                    yield Problem(entity, index, loc, f"unknown {target[:-1]} id '{ref}' in {attr}")


def _company_links(kb: KnowledgeBase) -> Iterator[Problem]:
    """Each link's field and professions exist, and no field is linked twice."""
    fields = {f.id for f in kb.fields}
    for index, company in enumerate(kb.companies):
        seen: set[str] = set()
        for pos, link in enumerate(company.links):
            if link.field not in fields:
                yield Problem("companies", index, ("links", pos, "field"),
                              f"unknown field id '{link.field}' in links")
            elif link.field in seen:
                yield Problem("companies", index, ("links", pos, "field"),
                              f"field '{link.field}' is linked twice")
            seen.add(link.field)
            for ppos, pid in enumerate(link.professions):
                if kb.profession(pid) is None:
                    yield Problem("companies", index, ("links", pos, "professions", ppos),
                                  f"unknown profession id '{pid}' in links")


def _pay_twice(kb: KnowledgeBase) -> Iterator[Problem]:
    """One pay record per profession and country: two would leave the answer to chance."""
    seen: dict[tuple[str, str], int] = {}
    for index, pay in enumerate(kb.pay):
        key = (pay.profession, pay.country)
        if key in seen:
            yield Problem("pay", index, ("profession",),
                          f"a second pay record for '{pay.profession}' in {pay.country} "
                          f"(first is record {seen[key] + 1})")
        seen.setdefault(key, index)
