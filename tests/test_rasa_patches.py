"""bot.rasa_ext: the patched action-reply validation must give Rasa's own verdicts.

These run in the Rasa environment (.venv-rasa, Python 3.10), where the patch is used.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from bot.settings import ROOT
from bot.stack import RASA_PYTHON

# A quiet, minimal environment for the Rasa interpreter.
RASA_ENV = {"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin:/bin"}

# Replies an action server may send: the first three are valid, the others are not.
CASES = [
    {"events": [{"event": "slot", "timestamp": None, "name": "language", "value": "fi"}],
     "responses": [{"response": "utter_greet", "text": None, "buttons": []}]},
    {"events": [], "responses": [{"text": "hej", "custom": {"items": [1, 2]}}]},
    {"events": [{"event": "active_loop", "name": None}, {"event": "followup",
                                                         "name": "action_listen"}]},
    {"events": "not a list", "responses": []},
    {"events": [{"name": "language", "value": "fi"}], "responses": []},
    {"events": [{"event": "slot", "value": "fi"}], "responses": []},
    {"events": [{"event": "user", "parse_data": {"intent": {"confidence": "high"}}}]},
]

SCRIPT = r"""
import json, sys
from jsonschema import ValidationError, validate
from rasa.core.actions.action import RemoteAction
from bot.rasa_ext import patches

cases = json.loads(sys.argv[1])
spec = RemoteAction.action_response_format_spec()
def verdict(check, case):
    try:
        check(case)
        return "valid"
    except ValidationError as error:
        return error.message
original = [verdict(lambda c: validate(c, spec), case) for case in cases]
patches.apply()
patches.apply()
action = RemoteAction("action_x", None)
patched = [verdict(action._validate_action_result, case) for case in cases]
print(json.dumps({"original": original, "patched": patched,
                  "marked": getattr(RemoteAction._validate_action_result, patches.MARK, False)}))
"""


@pytest.fixture(scope="module")
def verdicts() -> dict:
    done = subprocess.run([str(RASA_PYTHON), "-c", SCRIPT, json.dumps(CASES)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300,
                          env=RASA_ENV)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_patch_is_installed_once(verdicts: dict) -> None:
    assert verdicts["marked"] is True


def test_valid_replies_pass_and_invalid_ones_fail_as_in_rasa(verdicts: dict) -> None:
    original, patched = verdicts["original"], verdicts["patched"]
    assert original[:3] == ["valid"] * 3
    assert all(v != "valid" for v in original[3:])
    for before, after in zip(original, patched, strict=True):
        if before == "valid":
            assert after == "valid"
        else:
            # Same schema error, with Rasa's pointer to the docs appended as before.
            assert after.startswith(before)
            assert "Failed to validate Action server response" in after


def test_launcher_runs_rasas_command_line() -> None:
    done = subprocess.run([str(RASA_PYTHON), "-m", "bot.rasa_ext", "--version"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300,
                          env=RASA_ENV)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "3.6.21" in done.stdout
