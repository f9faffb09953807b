"""A test script run in Rasa's own environment (.venv-rasa), for the tests of bot/rasa_ext that
must run Rasa's classes as the server does: the script prints its findings as one JSON line,
last, and the test reads that line."""

from __future__ import annotations

import json
import subprocess
from typing import Any

from bot.settings import ROOT
from bot.stack import RASA_PYTHON

# /usr/sbin too: the throwaway PostgreSQL's and Redis's binaries (bot/local_services.py).
RASA_ENV = {"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
            "PYTHONPATH": str(ROOT)}


def rasa_script_json(script: str, *args: str, timeout: float = 180) -> Any:
    """The JSON the script printed last; fails the test with the script's stderr otherwise."""
    done = subprocess.run([str(RASA_PYTHON), "-c", script, *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, env=RASA_ENV)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])
