"""Shared fixtures. `stack` starts the real Rasa server, action server and gateway."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from bot.auth.schools import add_school
from bot.dialogue_eval import SCHOOL as CONVERSATION_SCHOOL
from bot.dialogue_eval import Runner
from bot.settings import ROOT
from bot.stack import MODEL, Ports, Stack

os.environ.setdefault("HF_HUB_OFFLINE", "1")

# The school ids the suites' widgets send: registered, so their handovers and sign-ups reach
# that school's queue (an unregistered id goes to the no-school queue).
SCHOOLS = ("e2e-skolan", "browser-skolan", "schemathesis-skolan", CONVERSATION_SCHOOL)


@pytest.fixture(scope="session")
def domain() -> dict:
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """One real stack for the whole session, on free loopback ports with its own SQLite files."""
    if not MODEL.exists():
        pytest.fail(f"No trained model at {MODEL}: `make test` trains it before pytest.")
    var_dir: Path = tmp_path_factory.mktemp("stack-var")
    # The suites send hundreds of messages (and fuzzed logins) from 127.0.0.1; the limiter
    # and the login throttle have their own tests.
    unlimited = {"VAGVISAREN_RATE_LIMIT_PER_IP": "1000000",
                 "VAGVISAREN_RATE_LIMIT_PER_SESSION": "1000000",
                 "VAGVISAREN_LOGIN_FAILURES_PER_IP": "1000000",
                 "VAGVISAREN_LOGIN_FAILURES_PER_ACCOUNT": "1000000"}
    for school in SCHOOLS:
        add_school(school, school, url=f"sqlite:///{var_dir / 'app.db'}")
    running = Stack(Ports.free(), var_dir, extra_env=unlimited)
    running.start()
    try:
        running.wait_ready(timeout=240)
        yield running
    finally:
        running.stop()
        for name in ("actions", "rasa", "gateway"):
            log = running.log(name)
            if log.exists():
                tail = log.read_text(errors="replace")[-3000:]
                print(f"\n----- {name}.log (tail) -----\n{tail}")


@pytest.fixture(scope="session")
def runner(stack: Stack, domain: dict) -> Runner:
    """Sends whole conversations through the gateway as the widget does (bot/dialogue_eval.py)."""
    return Runner(stack.gateway_url, stack.rasa_url, stack.token, domain)
