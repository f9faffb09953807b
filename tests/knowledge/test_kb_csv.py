"""CSV export/import: lossless round trip, precise errors, nothing written on failure."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.knowledge.cli import app
from bot.knowledge.csv_io import export_csv, import_csv
from bot.knowledge.loader import KnowledgeError, load_knowledge
from bot.knowledge.schema import ENTITIES, KnowledgeBase


def _rewrite(path: Path, row_index: int, column: str, value: str) -> int:
    """Set one cell; returns the CSV line number of that row."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
        header = list(rows[0].keys())
    rows[row_index][column] = value
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return row_index + 2  # header is line 1; no multi-line cells in these rows


def test_round_trip_is_lossless(kb: KnowledgeBase, kb_dir: Path, tmp_path: Path) -> None:
    first = tmp_path / "csv1"
    export_csv(kb, first)
    for entity in ENTITIES:
        import_csv(first / f"{entity}.csv", kb_dir)
    again = load_knowledge(kb_dir)
    assert again == kb
    second = tmp_path / "csv2"
    export_csv(again, second)
    for entity in ENTITIES:
        assert (first / f"{entity}.csv").read_bytes() == (second / f"{entity}.csv").read_bytes()


def test_cli_export_and_import(kb_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "out"
    assert runner.invoke(app, ["export", str(out), "--source", str(kb_dir)]).exit_code == 0
    result = runner.invoke(app, ["import", str(out / "places.csv"), "--into", str(kb_dir)])
    assert result.exit_code == 0, result.output


def test_bad_cell_names_file_line_and_column(kb: KnowledgeBase, kb_dir: Path,
                                             tmp_path: Path) -> None:
    export_csv(kb, tmp_path)
    path = tmp_path / "visits.csv"
    line = _rewrite(path, 4, "capacity", "lots")
    before = (kb_dir / "visits.yml").read_bytes()
    with pytest.raises(KnowledgeError) as err:
        import_csv(path, kb_dir)
    assert f"visits.csv:{line}: column 'capacity'" in str(err.value)
    assert (kb_dir / "visits.yml").read_bytes() == before


def test_missing_localized_text_names_language_column(kb: KnowledgeBase, kb_dir: Path,
                                                      tmp_path: Path) -> None:
    export_csv(kb, tmp_path)
    line = _rewrite(tmp_path / "professions.csv", 2, "title_fi", "")
    with pytest.raises(KnowledgeError, match=rf"professions\.csv:{line}: column 'title_fi'"):
        import_csv(tmp_path / "professions.csv", kb_dir)


def test_unknown_reference_in_csv_names_line_and_column(kb: KnowledgeBase, kb_dir: Path,
                                                        tmp_path: Path) -> None:
    export_csv(kb, tmp_path)
    line = _rewrite(tmp_path / "companies.csv", 3, "municipality", "gotham")
    before = (kb_dir / "companies.yml").read_bytes()
    with pytest.raises(KnowledgeError) as err:
        import_csv(tmp_path / "companies.csv", kb_dir)
    assert f"companies.csv:{line}: column 'municipality': unknown place id 'gotham'" in str(
        err.value)
    assert (kb_dir / "companies.yml").read_bytes() == before


def test_removing_a_referenced_record_is_refused(kb: KnowledgeBase, kb_dir: Path,
                                                 tmp_path: Path) -> None:
    export_csv(kb, tmp_path)
    path = tmp_path / "places.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(line for line in lines if not line.startswith("goteborg,")),
                    encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"companies\.yml: record 'skf_goteborg'"):
        import_csv(path, kb_dir)


def test_unknown_column_and_entity(kb: KnowledgeBase, kb_dir: Path, tmp_path: Path) -> None:
    export_csv(kb, tmp_path)
    path = tmp_path / "fields.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("riasec", "holland", 1), encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"fields\.csv:1: column 'holland': unknown column"):
        import_csv(path, kb_dir)
    other = tmp_path / "unicorns.csv"
    other.write_text("id\nx\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match="unknown entity 'unicorns'"):
        import_csv(other, kb_dir)


def test_cli_import_error_exit_code(kb: KnowledgeBase, kb_dir: Path, tmp_path: Path) -> None:
    export_csv(kb, tmp_path)
    line = _rewrite(tmp_path / "places.csv", 0, "lat", "north")
    result = CliRunner().invoke(app, ["import", str(tmp_path / "places.csv"), "--into",
                                      str(kb_dir)])
    assert result.exit_code == 1
    assert f"places.csv:{line}: column 'lat'" in result.output
