"""Texts the semantic model is trained on and the knowledge-base documents it embeds.

Training input is the knowledge base (field, programme, profession and company texts, interest
synonyms) and the `tell_interest` sentences of data/nlu. tests/matching is never read here.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.knowledge.schema import KnowledgeBase
from bot.labels import LANGUAGES
from bot.matching.lexical import LexicalIndex
from bot.matching.text import tokens

ROOT = Path(__file__).resolve().parents[2]
NLU_DIR = ROOT / "data" / "nlu"
_ENTITY = re.compile(r"\[([^\]]+)\]\((\w+)\)")


@dataclass(frozen=True)
class Doc:
    """One embeddable knowledge-base text: kind (field/programme/profession), id, language."""

    kind: str
    id: str
    lang: str
    text: str


def field_text(kb: KnowledgeBase, field_id: str, lang: str) -> str:
    fld = kb.field(field_id)
    assert fld is not None, field_id
    return f"{fld.label.get(lang)}. {fld.description.get(lang)}"


def kb_docs(kb: KnowledgeBase) -> list[Doc]:
    """Field, programme and profession texts in sv, fi and da (what queries are compared to)."""
    docs = []
    for lang in LANGUAGES:
        docs += [Doc("field", f.id, lang, field_text(kb, f.id, lang)) for f in kb.fields]
        docs += [Doc("programme", p.id, lang, f"{p.name.get(lang)}. {p.description.get(lang)}")
                 for p in kb.programmes]
        docs += [Doc("profession", p.id, lang, f"{p.title.get(lang)}. {p.description.get(lang)}")
                 for p in kb.professions]
    return docs


def nlu_interest_sentences(nlu_dir: Path = NLU_DIR) -> dict[str, list[tuple[str, list[str]]]]:
    """Plain `tell_interest` sentences per language, with their `interest` entity texts."""
    out: dict[str, list[tuple[str, list[str]]]] = {lang: [] for lang in LANGUAGES}
    for lang in LANGUAGES:
        path = nlu_dir / f"{lang}.yml"
        if not path.exists():
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in data.get("nlu", []):
            if block.get("intent") != "tell_interest":
                continue
            for line in str(block.get("examples", "")).splitlines():
                line = line.strip().removeprefix("- ").strip()
                if not line:
                    continue
                entities = [m.group(1) for m in _ENTITY.finditer(line) if m.group(2) == "interest"]
                out[lang].append((_ENTITY.sub(r"\1", line), entities))
    return out


def _pseudo_label(lex: LexicalIndex, text: str, lang: str) -> str | None:
    """The one field the lexical layer clearly prefers for an NLU sentence, else None."""
    hits = sorted(lex.score(tokens(text), lang).fields.values(), key=lambda h: -h.score)
    if not hits or hits[0].score < 0.7 or (len(hits) > 1 and hits[1].score >= hits[0].score):
        return None
    return hits[0].field


def training_pairs(kb: KnowledgeBase, lex: LexicalIndex,
                   nlu: dict[str, list[tuple[str, list[str]]]]) -> list[tuple[str, str, str]]:
    """(anchor text, field id, language) pairs: synonyms, job and programme texts, NLU lines."""
    pairs: list[tuple[str, str, str]] = []
    for lang in LANGUAGES:
        for row in kb.synonyms:
            pairs += [(w, row.field, lang) for w in getattr(row, lang)]
        for prof in kb.professions:
            for fid in prof.fields:
                pairs.append((prof.title.get(lang), fid, lang))
                pairs.append((prof.description.get(lang), fid, lang))
        for prog in kb.programmes:
            for fid in prog.fields:
                pairs.append((f"{prog.name.get(lang)}. {prog.description.get(lang)}", fid, lang))
        for comp in kb.companies:
            pairs += [(comp.description.get(lang), fid, lang) for fid in comp.fields]
        for sentence, entities in nlu.get(lang, []):
            label = _pseudo_label(lex, " ".join(entities), lang) if entities else None
            label = label or _pseudo_label(lex, sentence, lang)
            if label:
                pairs.append((sentence, label, lang))
                pairs += [(e, label, lang) for e in entities]
    return pairs


def tokenizer_texts(kb: KnowledgeBase, nlu: dict[str, list[tuple[str, list[str]]]]) -> list[str]:
    """Every text the tokenizer may need to split well."""
    texts = [d.text for d in kb_docs(kb)]
    for lang in LANGUAGES:
        for row in kb.synonyms:
            texts += getattr(row, lang)
        texts += [c.description.get(lang) for c in kb.companies]
        texts += [s for s, _ in nlu.get(lang, [])]
    return texts


def inputs_hash(kb: KnowledgeBase, nlu: dict[str, list[tuple[str, list[str]]]],
                params: dict[str, object]) -> str:
    """Hash of everything the model is built from: data, training code and parameters."""
    digest = hashlib.sha256()
    for entity in ("fields", "programmes", "professions", "companies", "synonyms"):
        records = [r.model_dump(mode="json") for r in getattr(kb, entity)]
        digest.update(json.dumps(records, sort_keys=True, ensure_ascii=False).encode())
    digest.update(json.dumps(nlu, sort_keys=True, ensure_ascii=False).encode())
    digest.update(json.dumps(params, sort_keys=True).encode())
    here = Path(__file__).parent
    for name in ("corpus.py", "build.py", "lexical.py", "text.py", "stopwords.yml"):
        digest.update((here / name).read_bytes())
    return digest.hexdigest()[:16]
