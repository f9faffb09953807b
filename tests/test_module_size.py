"""Modules stay small enough to read: under 300 lines, unless the module's docstring says why
it is one cohesive thing ("over 300 lines on purpose")."""

from __future__ import annotations

import ast

from bot.settings import ROOT

LIMIT = 300
REASON = "over 300 lines on purpose"


def test_every_long_module_says_why() -> None:
    too_long = []
    for path in sorted([*ROOT.glob("bot/**/*.py"), *ROOT.glob("actions/**/*.py")]):
        source = path.read_text(encoding="utf-8")
        if source.count("\n") < LIMIT:
            continue
        docstring = ast.get_docstring(ast.parse(source)) or ""
        if REASON not in docstring.lower():
            too_long.append(f"{path.relative_to(ROOT)} ({source.count(chr(10))} lines)")
    assert not too_long, f"split these, or say in the docstring why not: {too_long}"
