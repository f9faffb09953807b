"""bot.validate_data: Rasa's unused-utterance warnings pass only for responses our code sends."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.settings import ROOT
from bot.validate_data import CODE, judge, names_in_code

WARN = ("\x1b[0m\x1b[93m/x/rasa/shared/utils/io.py:100: UserWarning: The utterance '{}' is "
        "not used in any story or rule.")


def test_a_response_only_code_sends_passes_and_one_nothing_sends_fails() -> None:
    lines = ["INFO rasa.validator - Validating utterances...", WARN.format("utter_sent"),
             WARN.format("utter_forgotten"), WARN.format("utter_sent"), "done"]
    verdict = judge(lines, {"utter_sent", "utter_other"})
    assert verdict.output == ["INFO rasa.validator - Validating utterances...", "done"]
    assert verdict.sent_by_code == ["utter_sent"]
    assert verdict.unsent == ["utter_forgotten"]
    assert not verdict.ok
    assert judge(lines[:2], {"utter_sent"}).ok


def test_only_whole_string_literals_count_not_docstrings_or_comments(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(
        '"""Sends utter_in_docstring."""\n# utter_in_comment\n'
        'NAME = "utter_in_code"\nTEXT = f"{NAME} and utter_in_text"\n', encoding="utf-8")
    assert names_in_code([tmp_path]) == {"utter_in_code"}


def test_every_response_is_sent_by_a_rule_a_story_or_the_code() -> None:
    """The same check as `make validate`, without Rasa: quick, for the pre-commit hook."""
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    in_data = set()
    for path in (ROOT / "data").rglob("*.yml"):
        for block in ("rules", "stories"):
            for item in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get(block, []):
                in_data |= {s["action"] for s in item["steps"] if "action" in s}
    sent = names_in_code(ROOT / folder for folder in CODE)
    unsent = set(domain["responses"]) - in_data - sent
    assert not unsent, f"responses nothing sends: {sorted(unsent)}"
