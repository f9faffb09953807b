"""Schemathesis: generated requests for every operation in the gateway's OpenAPI schema.

The requests go to the real stack (gateway, Rasa, action server). With all checks on, every
answer must be no 5xx and must match what the schema promises (status code, content type,
headers, body), schema-valid requests must be accepted and schema-violating ones refused, and
the counsellor operations must refuse requests without a valid session. Its pytest plugin does
not load under pytest 9 yet, so the test runs schemathesis' own command line.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from bot.settings import ROOT
from bot.stack import Stack

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
PASSWORD = "schemathesis-lösenord-1"


def _run(stack: Stack, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCHEMATHESIS), "run", f"{stack.gateway_url}/openapi.json", "--checks", "all",
         "--max-examples", "30", "--seed", "42", "--request-timeout", "60", "--no-color",
         "--workers", "1", *extra],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env=dict(os.environ, SCHEMATHESIS_TELEMETRY="false"),
    )


def _assert_clean(done: subprocess.CompletedProcess[str]) -> None:
    report = done.stdout[-12000:] + done.stderr[-2000:]
    assert done.returncode == 0, report
    assert "Tested:" in done.stdout, report  # it really ran operations


@pytest.fixture(scope="module")
def counsellor_cookie(stack: Stack) -> str:
    """A real counsellor account in the stack's database, logged in over HTTP."""
    created = subprocess.run(
        [sys.executable, "-m", "bot.admin", "add-counsellor", "--username", "schemathesis",
         "--school", "schemathesis-skolan", "--password-stdin"],
        input=PASSWORD + "\n", cwd=ROOT, capture_output=True, text=True, timeout=120,
        env=dict(os.environ, VAGVISAREN_VAR_DIR=str(stack.var_dir)),
    )
    assert created.returncode == 0, created.stderr
    reply = httpx.post(f"{stack.gateway_url}/api/counsellor/login",
                       json={"username": "schemathesis", "password": PASSWORD}, timeout=60)
    assert reply.status_code == 200, reply.text
    return reply.cookies["vv_counsellor"]


def test_every_operation_without_a_session(stack: Stack) -> None:
    _assert_clean(_run(stack))


def test_counsellor_operations_with_a_session(stack: Stack, counsellor_cookie: str) -> None:
    # The first read folds every conversation the other suites left in the shared stack into
    # summaries (hundreds): done once here, so the 10 s response limit measures the API.
    warm = httpx.get(f"{stack.gateway_url}/api/counsellor/conversations",
                     cookies={"vv_counsellor": counsellor_cookie}, timeout=300)
    assert warm.status_code == 200, warm.text
    # Logging out would end the session that the rest of the run uses.
    _assert_clean(_run(stack, "--include-path-regex", "^/api/counsellor/",
                       "--exclude-path", "/api/counsellor/logout",
                       "--header", f"Cookie: vv_counsellor={counsellor_cookie}"))
