"""Load and validate the YAML knowledge base; errors name the file and line.

All files are validated and cross-checked before anything is returned, so callers never see
half the data. Results are cached per directory and file modification times.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from bot.knowledge.integrity import check_integrity
from bot.knowledge.schema import ENTITIES, KnowledgeBase
from bot.settings import get_settings

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "knowledge"
MAX_LISTED = 20


class KnowledgeError(Exception):
    """The knowledge base is missing, corrupt or inconsistent; the message says where."""


def load_knowledge(directory: Path | None = None) -> KnowledgeBase:
    """Validated knowledge base from `directory` (default: settings' `knowledge_dir`, which is
    the repo's `knowledge/` unless VAGVISAREN_KNOWLEDGE_DIR says otherwise)."""
    folder = Path(directory or get_settings().knowledge_dir).resolve()
    stamps = tuple(_mtime(folder / name) for name, _ in ENTITIES.values())
    return _load_cached(folder, stamps)


def _mtime(path: Path) -> tuple[int, int]:
    try:
        stat = path.stat()
        return stat.st_mtime_ns, stat.st_size
    except OSError:
        return -1, -1


@lru_cache(maxsize=8)
def _load_cached(folder: Path, stamps: tuple[tuple[int, int], ...]) -> KnowledgeBase:
    del stamps  # only part of the cache key, so edited files are reloaded
    errors: list[str] = []
    records: dict[str, list[BaseModel]] = {}
    nodes: dict[str, yaml.SequenceNode] = {}
    for entity, (name, model) in ENTITIES.items():
        path = folder / name
        try:
            node, data = read_yaml_list(path)
        except KnowledgeError as exc:
            errors.append(str(exc))
            continue
        nodes[entity] = node
        records[entity] = []
        for index, item in enumerate(data):
            try:
                records[entity].append(model.model_validate(item))
            except ValidationError as exc:
                for err in exc.errors():
                    line = line_of(node, index, err["loc"])
                    errors.append(f"{path}:{line}: {_describe(err)}")
    if errors:
        raise KnowledgeError(_join(errors))
    kb = KnowledgeBase(**records)
    problems = check_integrity(kb)
    if problems:
        raise KnowledgeError(_join([
            f"{folder / ENTITIES[p.entity][0]}:{line_of(nodes[p.entity], p.index, p.loc)}: "
            f"{p.message}" for p in problems
        ]))
    return kb


def read_yaml_list(path: Path) -> tuple[yaml.SequenceNode, list[Any]]:
    """The YAML node tree (for line numbers) and data of a file holding a list of mappings."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise KnowledgeError(f"{path}: file is missing") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise KnowledgeError(f"{path}: cannot read file ({exc})") from exc
    try:
        parser = yaml.SafeLoader(text)
        try:
            node = parser.get_single_node()
            data = parser.construct_document(node) if node is not None else None
        finally:
            parser.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise KnowledgeError(f"{where}: invalid YAML ({getattr(exc, 'problem', exc)})") from exc
    if not isinstance(node, yaml.SequenceNode) or not isinstance(data, list):
        raise KnowledgeError(f"{path}:1: expected a list of records")
    for index, item in enumerate(data):
        if not isinstance(item, dict):
            line = node.value[index].start_mark.line + 1
            raise KnowledgeError(f"{path}:{line}: record {index + 1} is not a mapping")
    return node, data


def line_of(node: yaml.SequenceNode, index: int, loc: tuple[Any, ...]) -> int:
    """1-based line of record `index`, narrowed along the key path `loc` as far as it goes."""
    current: yaml.Node = node.value[index]
    for key in loc:
        nxt: yaml.Node | None = None
        if isinstance(current, yaml.MappingNode):
            nxt = next((v for k, v in current.value if k.value == key), None)
        elif isinstance(current, yaml.SequenceNode) and isinstance(key, int):
            nxt = current.value[key] if key < len(current.value) else None
        if nxt is None:
            break
        current = nxt
    return current.start_mark.line + 1


def _describe(err: Any) -> str:
    loc = ".".join(str(p) for p in err["loc"]) or "record"
    return f"{loc}: {err['msg']}"


def _join(errors: list[str]) -> str:
    shown = errors[:MAX_LISTED]
    more = f"\n... and {len(errors) - MAX_LISTED} more" if len(errors) > MAX_LISTED else ""
    return f"{len(errors)} problem(s) in the knowledge base:\n" + "\n".join(shown) + more
