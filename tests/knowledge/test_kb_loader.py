"""Loader errors name the file and line; broken data never loads halfway."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.knowledge.cli import app
from bot.knowledge.loader import KnowledgeError, load_knowledge


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_unknown_field_id_names_file_and_line(kb_dir: Path) -> None:
    path = kb_dir / "companies.yml"
    text = path.read_text()
    path.write_text(text.replace("  - field: automation\n", "  - field: robotz\n", 1))
    with pytest.raises(KnowledgeError) as err:
        load_knowledge(kb_dir)
    line = _line_of(path, "robotz")
    assert f"companies.yml:{line}:" in str(err.value)
    assert "unknown field id 'robotz'" in str(err.value)


def test_unknown_place_reference(kb_dir: Path) -> None:
    path = kb_dir / "visits.yml"
    path.write_text(path.read_text().replace("place: stenungsund", "place: atlantis", 1))
    with pytest.raises(KnowledgeError) as err:
        load_knowledge(kb_dir)
    assert f"visits.yml:{_line_of(path, 'atlantis')}:" in str(err.value)
    assert "unknown place id 'atlantis'" in str(err.value)


def test_duplicate_id(kb_dir: Path) -> None:
    path = kb_dir / "places.yml"
    path.write_text(path.read_text().replace("- id: stenungsund", "- id: goteborg", 1))
    with pytest.raises(KnowledgeError, match=r"places\.yml:\d+: duplicate id 'goteborg'"):
        load_knowledge(kb_dir)


def test_schema_error_names_line_of_the_value(kb_dir: Path) -> None:
    path = kb_dir / "fields.yml"
    path.write_text(path.read_text().replace("riasec: RIC", "riasec: XYZ", 1))
    with pytest.raises(KnowledgeError) as err:
        load_knowledge(kb_dir)
    assert f"fields.yml:{_line_of(path, 'XYZ')}: riasec:" in str(err.value)


def test_missing_file_is_named(kb_dir: Path) -> None:
    (kb_dir / "professions.yml").unlink()
    with pytest.raises(KnowledgeError, match=r"professions\.yml: file is missing"):
        load_knowledge(kb_dir)


def test_corrupt_yaml_is_named_with_line(kb_dir: Path) -> None:
    path = kb_dir / "programmes.yml"
    path.write_text("- id: x\n  name: [unclosed\n  level: adult\n")
    with pytest.raises(KnowledgeError, match=r"programmes\.yml:\d+: invalid YAML"):
        load_knowledge(kb_dir)


def test_file_that_is_not_a_list(kb_dir: Path) -> None:
    (kb_dir / "visits.yml").write_text("id: lonely\n")
    with pytest.raises(KnowledgeError, match=r"visits\.yml:1: expected a list"):
        load_knowledge(kb_dir)


def test_visit_needs_exactly_one_of_date_or_months(kb_dir: Path) -> None:
    path = kb_dir / "visits.yml"
    path.write_text(path.read_text().replace("  months:\n  - 11\n", "", 1))
    with pytest.raises(KnowledgeError, match="exactly one of `date` or `months`"):
        load_knowledge(kb_dir)


def test_validate_cli_fails_on_broken_copy(kb_dir: Path) -> None:
    (kb_dir / "fields.yml").write_text("- nonsense\n")
    result = CliRunner().invoke(app, ["validate", str(kb_dir)])
    assert result.exit_code == 1
    assert "fields.yml" in result.output


def test_cache_reloads_after_edit(kb_dir: Path) -> None:
    first = load_knowledge(kb_dir)
    assert load_knowledge(kb_dir) is first
    path = kb_dir / "places.yml"
    path.write_text(path.read_text().replace("name: Lerum", "name: Lerum kommun"))
    assert load_knowledge(kb_dir).place("lerum").name == "Lerum kommun"  # type: ignore[union-attr]
