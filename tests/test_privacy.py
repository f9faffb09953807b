"""A sign-up keeps a first name at most; school ids are plain ids."""

import pytest

from bot.privacy import SKIPPED, clean_nickname, school_id


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sam", "Sam"),
        (" Mikko ", "Mikko"),
        ("Anna Svensson", "Anna"),
        ("hoppa över", SKIPPED),
        ("Ohita", SKIPPED),
        ("spring over", SKIPPED),
        ("Anna Maria Svensson", None),
        ("070-123 45 67", None),
        ("sam@example.com", None),
        ("20100101-1234", None),  # Swedish personnummer
        ("010110A123B", None),  # Finnish henkilötunnus
        ("010110-1234", None),  # Danish CPR
        ("<b>Sam</b>", None),
        ("", None),
    ],
)
def test_clean_nickname(text: str, expected: str | None) -> None:
    assert clean_nickname(text) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("demo-skolan", "demo-skolan"), ("../etc", None), ("a b", None), (42, None), ("x" * 65, None)],
)
def test_school_id(value: object, expected: str | None) -> None:
    assert school_id(value) == expected
