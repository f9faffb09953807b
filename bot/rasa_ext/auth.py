"""Puts the Rasa API token into Rasa's argv inside the process, from the environment.

Rasa 3.6 reads its token only from `--auth-token`; passed by the parent, it would show in `ps`
and /proc/<pid>/cmdline to every local user. The stack sets VAGVISAREN_RASA_TOKEN instead
(bot/rasa_token.py), and this adds the flag after the process has started. No Rasa import here,
so the app's tests can check it.
"""

from __future__ import annotations

from collections.abc import MutableMapping

ENV = "VAGVISAREN_RASA_TOKEN"


class MissingToken(SystemExit):
    """`rasa run --enable-api` without a token would serve an unauthenticated HTTP API."""


def with_token(argv: list[str], environ: MutableMapping[str, str]) -> list[str]:
    """`argv` with `--auth-token` from the environment when Rasa's HTTP API is enabled.

    The variable is removed from this process's environment once read, so nothing Rasa starts
    inherits it.
    """
    token = environ.pop(ENV, "")
    if len(argv) < 2 or argv[1] != "run" or "--enable-api" not in argv:
        return argv
    if any(arg in ("-t", "--auth-token") or arg.startswith("--auth-token=") for arg in argv):
        return argv
    if not token:
        raise MissingToken(f"Not starting Rasa's HTTP API without a token: set {ENV} "
                           "(bot/stack.py does, from var/rasa-token).")
    # One argument with "=": a random URL-safe token starts with "-" one time in 64, and
    # argparse reads a separate "-…" as an option ("--auth-token: expected one argument").
    return [*argv, f"--auth-token={token}"]
