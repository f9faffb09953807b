"""A stand-in service for the supervisor's fast tests: a real process on a real port.

    python standin.py serve PORT    answer 200 to every GET, and "ready" to every POST
    python standin.py crash PORT    exit with code 3 at once
    python standin.py silent PORT   run, but never listen
"""

from __future__ import annotations

import sys
import time
from http.server import ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: tests/
from standin_http import JsonHandler  # noqa: E402


class Alive(JsonHandler):
    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        self.reply({"status": "ok"})

    def do_POST(self) -> None:  # noqa: N802 - the action server's readiness probe
        self.read_json()
        self.reply({"events": [], "responses": [{"custom": {"ready": True}}]})


def main() -> None:
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "crash":
        sys.exit(3)
    if mode == "silent":
        time.sleep(3600)
    ThreadingHTTPServer(("127.0.0.1", port), Alive).serve_forever()


if __name__ == "__main__":
    main()
