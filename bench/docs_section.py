"""The one writer of measured sections in docs/: each benchmark owns the text between its markers.

Everything outside the markers (headings, the hand-written reading of the figures) stays.
"""

from __future__ import annotations

from pathlib import Path


def write_section(doc: Path, section: str, start: str, end: str, title: str) -> None:
    """Put `section` (which begins with `start` and ends with `end`) into `doc`.

    It replaces the old section between the markers, or is appended when there is none; a
    missing file is created with `title` as its heading.
    """
    doc.parent.mkdir(parents=True, exist_ok=True)
    text = doc.read_text(encoding="utf-8") if doc.exists() else f"# {title}\n"
    if start in text and end in text:
        text = text[: text.index(start)] + section + text[text.index(end) + len(end):]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    doc.write_text(text, encoding="utf-8")
