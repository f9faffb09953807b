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
applied = [patches.apply(), patches.apply()]
action = RemoteAction("action_x", None)
patched = [verdict(action._validate_action_result, case) for case in cases]
print(json.dumps({"original": original, "patched": patched, "applied": applied,
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
    assert verdicts["applied"] == [True, True]


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


# ----- the version check: the patch applies to the Rasa it was written for, to no other -------

REFUSE = r"""
import json, sys
import rasa
from rasa.core.actions.action import RemoteAction
from bot.rasa_ext import patches

original = RemoteAction._validate_action_result
rasa.__version__ = sys.argv[1]  # as a newer Rasa would report itself
applied = patches.apply()
print(json.dumps({"applied": applied, "written_for": patches.WRITTEN_FOR,
                  "untouched": RemoteAction._validate_action_result is original}))
"""


def _run(script: str, *args: str) -> tuple[dict, str]:
    done = subprocess.run([str(RASA_PYTHON), "-c", script, *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, env=RASA_ENV)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr


@pytest.mark.parametrize("version", ["3.6.20", "3.7.0", "4.0.0"])
def test_patch_refuses_any_other_rasa_version_and_says_so(version: str) -> None:
    result, log = _run(REFUSE, version)
    assert result == {"applied": False, "written_for": "3.6.21", "untouched": True}
    assert f"NOT patching Rasa {version}" in log
    assert "Rasa 3.6.21 only" in log


def test_patch_is_written_for_the_pinned_rasa() -> None:
    pinned = (ROOT / "requirements" / "rasa.txt").read_text(encoding="utf-8")
    result, _ = _run(REFUSE, "3.6.21")
    assert result["applied"] is True and result["untouched"] is False
    assert f"rasa=={result['written_for']}" in pinned.splitlines()


# ----- end to end: RemoteAction.run against a real action-server reply over HTTP -------------

THROUGH_RUN = r"""
import asyncio, json, sys
from aiohttp import web
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig
from bot.rasa_ext import patches

replies = json.loads(sys.argv[1])
domain = Domain.from_dict({
    "responses": {"utter_greet": [{"text": "Hej!"}]},
    "slots": {"language": {"type": "text", "mappings": [{"type": "custom"}]}},
})
nlg = TemplatedNaturalLanguageGenerator(domain.responses)
asked = []


async def webhook(request):
    body = await request.json()
    asked.append(body["next_action"])
    return web.json_response(replies[(len(asked) - 1) % len(replies)])


async def run_all(action):
    outcomes = []
    for _ in replies:
        tracker = DialogueStateTracker("pupil", domain.slots)
        try:
            events = await action.run(CollectingOutputChannel(), nlg, tracker, domain)
            outcomes.append([e.as_dict()["event"] + ":" + str(
                e.as_dict().get("text") or e.as_dict().get("value")) for e in events])
        except ValidationError as error:
            outcomes.append("invalid: " + error.message)
    return outcomes


async def main():
    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    action = RemoteAction("action_set_language",
                          EndpointConfig(f"http://127.0.0.1:{port}/webhook"))
    before = await run_all(action)
    applied = patches.apply()
    checks_before = patches._response_validator.cache_info()
    after = await run_all(action)
    checks_after = patches._response_validator.cache_info()
    await runner.cleanup()
    print(json.dumps({"before": before, "after": after, "applied": applied, "asked": asked,
                      "validator_calls": (checks_after.hits + checks_after.misses)
                      - (checks_before.hits + checks_before.misses)}))

asyncio.run(main())
"""

# What the action server answers: a slot and a response (valid), and two broken replies.
REPLIES = [
    {"events": [{"event": "slot", "timestamp": None, "name": "language", "value": "fi"}],
     "responses": [{"response": "utter_greet"}]},
    {"events": [{"event": "slot", "value": "fi"}], "responses": []},
    {"events": "not a list", "responses": []},
]


def test_remote_action_run_gives_the_same_outcome_patched() -> None:
    result, _ = _run(THROUGH_RUN, json.dumps(REPLIES))
    assert result["applied"] is True
    assert result["asked"] == ["action_set_language"] * 2 * len(REPLIES)  # real HTTP calls
    assert result["validator_calls"] == len(REPLIES)  # the patched check ran on each reply
    before, after = result["before"], result["after"]
    assert before[0] == after[0] == ["bot:Hej!", "slot:fi"]
    for unpatched, patched in zip(before[1:], after[1:], strict=True):
        assert unpatched.startswith("invalid: ")
        assert patched.startswith(unpatched)  # same schema error, and Rasa's hint after it
        assert "Failed to validate Action server response" in patched
