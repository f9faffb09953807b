"""requirements/*.lock (what `make setup` installs) agree with the pins in requirements/*.txt.

`make setup` installs each environment with the lock as constraints, so a pin raised in a .txt
file without `make lock` would make the install fail on a fresh machine; this says why first.
"""

from __future__ import annotations

import re

import pytest
from packaging.utils import canonicalize_name

from bot.settings import ROOT

REQUIREMENTS = ROOT / "requirements"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)")
# Which .txt files each lock resolves (the Makefile's `lock` target).
LOCKS = {"app": ("torch", "app", "dev"), "rasa": ("rasa",)}


def _pins(path_name: str) -> dict[str, str]:
    found = {}
    for line in (REQUIREMENTS / path_name).read_text(encoding="utf-8").splitlines():
        match = PIN.match(line.strip())
        if match:
            found[canonicalize_name(match[1])] = match[2]
    return found


def _same_release(pinned: str, locked: str) -> bool:
    """torch==2.13.0 is satisfied by the lock's 2.13.0+cpu (a local version label)."""
    return locked == pinned or locked.split("+", 1)[0] == pinned


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_every_pin_is_locked_at_its_version(lock: str) -> None:
    locked = _pins(f"{lock}.lock")
    assert len(locked) > 50, f"requirements/{lock}.lock looks empty: run `make lock`"
    for source in LOCKS[lock]:
        for package, version in _pins(f"{source}.txt").items():
            assert package in locked, f"{package} (requirements/{source}.txt) is not in " \
                f"requirements/{lock}.lock: run `make lock`"
            assert _same_release(version, locked[package]), (
                f"requirements/{source}.txt pins {package}=={version}, requirements/{lock}.lock "
                f"has {locked[package]}: run `make lock`")


def test_torch_is_locked_to_the_cpu_build() -> None:
    """A lock without +cpu would let uv fetch PyPI's CUDA build (several GB)."""
    assert _pins("app.lock")["torch"].endswith("+cpu")


def test_every_requirements_file_is_locked() -> None:
    covered = {name for sources in LOCKS.values() for name in sources}
    # bench.txt is installed by `make bench-load` on top of .venv, outside the lock.
    assert {p.stem for p in REQUIREMENTS.glob("*.txt")} - covered == {"bench"}
