"""The Rasa API token: random per installation, 0600 in var/, reused, never on a command line."""

from __future__ import annotations

import argparse
import os
import stat
import subprocess
from pathlib import Path

import pytest

from bot.rasa_ext.auth import ENV, MissingToken, with_token
from bot.rasa_token import rasa_token, token_file
from bot.settings import ROOT, get_settings
from bot.stack import RASA_PYTHON, Ports, Stack


@pytest.fixture(autouse=True)
def _no_token_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)
    get_settings.cache_clear()


def test_first_start_makes_a_random_private_token_and_reuses_it(tmp_path: Path) -> None:
    first = Stack(Ports.free(), tmp_path / "var")
    path = token_file(tmp_path / "var")
    assert path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first.token) >= 40 and first.token != "vagvisaren-local"
    assert Stack(Ports.free(), tmp_path / "var").token == first.token  # second start
    assert rasa_token(tmp_path / "var") == first.token  # what the gateway reads
    assert Stack(Ports.free(), tmp_path / "other").token != first.token  # per installation


def test_a_loosened_token_file_is_made_private_again(tmp_path: Path) -> None:
    token = rasa_token(tmp_path)
    token_file(tmp_path).chmod(0o644)
    assert rasa_token(tmp_path) == token
    assert stat.S_IMODE(token_file(tmp_path).stat().st_mode) == 0o600


def test_the_environment_overrides_the_file(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, "operator-chosen-token")
    get_settings.cache_clear()
    assert Stack(Ports.free(), tmp_path).token == "operator-chosen-token"
    assert not token_file(tmp_path).exists()


def test_token_goes_through_the_environment_not_the_command_line(tmp_path: Path) -> None:
    stack = Stack(Ports.free(), tmp_path)
    commands = stack.commands()
    for name, argv in commands.items():
        assert stack.token not in " ".join(argv), name
        assert "--auth-token" not in argv
    assert "--enable-api" in commands["rasa"]
    assert stack.env("rasa")[ENV] == stack.token
    assert stack.env("gateway")[ENV] == stack.token
    assert ENV not in stack.env("actions")  # the action server never needs it


def test_launcher_adds_the_token_in_process_and_forgets_the_variable() -> None:
    environ = {ENV: "s3cret", "PATH": "/bin"}
    argv = with_token(["rasa_ext", "run", "--enable-api", "--port", "5005"], environ)
    assert argv[-1] == "--auth-token=s3cret"
    assert ENV not in environ
    assert with_token(["rasa_ext", "train"], {ENV: "s3cret"}) == ["rasa_ext", "train"]


@pytest.mark.parametrize("token", ["s3cret", "-starts-with-a-dash", "--looks_like_a_flag"])
def test_any_token_reaches_rasas_argument_parser_whole(token: str) -> None:
    """Rasa parses `-t/--auth-token` with argparse; a token from `secrets.token_urlsafe` starts
    with "-" one time in 64, which once made Rasa refuse to start."""
    parser = argparse.ArgumentParser(exit_on_error=False)
    parser.add_argument("--enable-api", action="store_true")
    parser.add_argument("-t", "--auth-token")
    argv = with_token(["rasa_ext", "run", "--enable-api"], {ENV: token})
    assert parser.parse_args(argv[2:]).auth_token == token


def test_launcher_refuses_an_api_without_a_token() -> None:
    with pytest.raises(MissingToken):
        with_token(["rasa_ext", "run", "--enable-api"], {})


@pytest.mark.skipif(not RASA_PYTHON.exists(), reason="needs the Rasa venv")
def test_rasa_launcher_refuses_to_serve_the_api_without_a_token() -> None:
    env = {k: v for k, v in os.environ.items() if k != ENV}
    done = subprocess.run([str(RASA_PYTHON), "-m", "bot.rasa_ext", "run", "--enable-api"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert ENV in done.stderr
