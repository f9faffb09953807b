"""A stand-in service for the supervisor's fast tests: a real process on a real port.

    python standin.py serve PORT    answer 200 to every GET, and "ready" to every POST
    python standin.py crash PORT    exit with code 3 at once
    python standin.py silent PORT   run, but never listen
"""

from __future__ import annotations

import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Alive(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        body = b'{"status": "ok"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802 - the action server's readiness probe
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b'{"events": [], "responses": [{"custom": {"ready": true}}]}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


def main() -> None:
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "crash":
        sys.exit(3)
    if mode == "silent":
        time.sleep(3600)
    ThreadingHTTPServer(("127.0.0.1", port), Alive).serve_forever()


if __name__ == "__main__":
    main()
