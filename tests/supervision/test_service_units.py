"""deploy/systemd parses, is hardened, and runs exactly what `make run` runs, with settings
that bot/settings.py knows."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from bot.settings import ROOT, Settings
from bot.supervisor import Policy

UNIT = ROOT / "deploy" / "systemd" / "vagvisaren.service"
ENV_FILE = ROOT / "deploy" / "systemd" / "vagvisaren.env"
INSTALLED_AT = "/opt/vagvisaren"


def _unit() -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read_string(UNIT.read_text(encoding="utf-8"))
    return parser


def _seconds(value: str) -> float:
    match = re.fullmatch(r"(\d+)(s|min)?", value)
    assert match, value
    return float(match[1]) * (60 if match[2] == "min" else 1)


def test_the_unit_runs_the_supervised_stack_as_make_run_does() -> None:
    service = _unit()["Service"]
    make_run = re.search(r"^run:.*\n(?:\t.*\n)*?\t\$\(VENV\)/bin/python (.+)$",
                         (ROOT / "Makefile").read_text(encoding="utf-8"), re.MULTILINE)
    assert make_run, "the Makefile's run target"
    assert service["ExecStart"] == f"{INSTALLED_AT}/.venv/bin/python {make_run[1]}"
    assert service["WorkingDirectory"] == INSTALLED_AT
    assert service["EnvironmentFile"].endswith("/vagvisaren.env")


def test_the_unit_restarts_watches_and_is_hardened() -> None:
    service = _unit()["Service"]
    assert service["User"] not in ("", "root") and service["Group"] not in ("", "root")
    assert service["Restart"] == "on-failure"
    assert service["Type"] == "notify" and service["NotifyAccess"] == "main"
    # The supervisor pets the watchdog after each round of checks: a round must fit many
    # times into the watchdog's period, even with every health check timing out.
    env = _env()
    policy = Policy(interval_s=float(env["VAGVISAREN_SUPERVISE_INTERVAL_S"]))
    assert _seconds(service["WatchdogSec"]) >= 10 * (policy.interval_s + policy.check_timeout_s)
    assert service["ProtectSystem"] == "strict" and service["PrivateTmp"] == "yes"
    assert service["NoNewPrivileges"] == "yes" and service["ProtectHome"] == "yes"
    # The only writable place is the state directory, and the settings put all state there.
    assert service["ReadWritePaths"] == f"/var/lib/{service['StateDirectory']}"
    assert env["VAGVISAREN_VAR_DIR"] == service["ReadWritePaths"]
    assert _unit()["Install"]["WantedBy"] == "multi-user.target"


def _env() -> dict[str, str]:
    pairs = {}
    for number, line in enumerate(ENV_FILE.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip() and not line.lstrip().startswith("#"):
            name, sep, value = line.partition("=")
            assert sep and re.fullmatch(r"[A-Z_][A-Z0-9_]*", name), f"{ENV_FILE}:{number}"
            pairs[name] = value
    return pairs


def test_every_setting_in_the_environment_file_is_a_real_setting() -> None:
    env = _env()
    fields = set(Settings.model_fields)
    for name in env:
        if name.startswith("VAGVISAREN_"):
            assert name.removeprefix("VAGVISAREN_").lower() in fields, name
    Settings.model_validate({k.removeprefix("VAGVISAREN_").lower(): v  # values parse, too
                             for k, v in env.items() if k.startswith("VAGVISAREN_")})


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    """systemd's own check, on a copy pointed at this checkout (it checks ExecStart exists).
    It exits 0 on unknown keys but names them, so any output fails."""
    copy = tmp_path / UNIT.name
    copy.write_text(UNIT.read_text(encoding="utf-8").replace(INSTALLED_AT, str(ROOT)))
    done = subprocess.run(["systemd-analyze", "verify", str(copy)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0 and not (done.stdout + done.stderr).strip(), done.stderr
