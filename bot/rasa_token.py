"""The token of Rasa's HTTP API: random per installation, kept in var/ with mode 0600.

There is no published default. Every user of the token (the stack runner, the gateway, tests,
benchmarks) reads it through `rasa_token()`, so they all agree: `VAGVISAREN_RASA_TOKEN` when the
operator sets one, else the file `var_dir/rasa-token`, created on first use. The stack passes it
to Rasa in the environment, never on the command line, where `ps` would show it to every user.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from bot.settings import get_settings

ENV = "VAGVISAREN_RASA_TOKEN"
FILE = "rasa-token"


def token_file(var_dir: Path | None = None) -> Path:
    return (var_dir or get_settings().var_dir) / FILE


def rasa_token(var_dir: Path | None = None) -> str:
    """The token: from the environment (settings) if set, else var_dir's file, made if missing."""
    configured = get_settings().rasa_token
    if configured:
        return configured
    return _read_or_create(token_file(var_dir))


def _read_or_create(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: two processes starting at once cannot both write a different token.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            path.chmod(0o600)  # copied or restored with looser rights: tighten again
        token = path.read_text(encoding="ascii").strip()
        if not token:
            raise RuntimeError(f"{path} is empty: delete it to make a new Rasa token") from None
        return token
    token = secrets.token_urlsafe(32)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(token + "\n")
    return token
