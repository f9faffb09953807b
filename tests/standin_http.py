"""Stand-in HTTP services for tests: real servers on loopback ports that answer JSON.

The gateway's tests put them where Rasa (its REST channel, its replicas) or an action server
would be; the supervisor's stand-in processes (tests/supervision/standin.py) serve one too.

    class Rasa(JsonHandler):
        def do_POST(self) -> None:
            self.reply([{"recipient_id": "x", "text": f"echo: {self.read_json()['message']}"}])

    server = serve_in_thread(Rasa)      # url_of(server): http://127.0.0.1:<free port>
    ...
    stop(server)                        # its port refuses connections from now on
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def json_reply(handler: BaseHTTPRequestHandler, body: Any, status: int = 200) -> None:
    """Answer `body` (bytes as they are, anything else as JSON) with `status`."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


class JsonHandler(BaseHTTPRequestHandler):
    """A request handler that reads and answers JSON, and logs nothing."""

    def read_json(self) -> Any:
        """The request's JSON body (None when there is none)."""
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length)) if length else None

    def reply(self, body: Any, status: int = 200) -> None:
        json_reply(self, body, status)

    def log_message(self, *_args: object) -> None:
        pass


def serve_in_thread(handler: type[BaseHTTPRequestHandler], port: int = 0) -> ThreadingHTTPServer:
    """A server on 127.0.0.1:`port` (0: a free one), answering from a daemon thread. It looks
    for `stop` every 0.05 s (the stdlib's 0.5 s made each test's teardown wait that long)."""
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                     daemon=True).start()
    return server


def url_of(server: ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


def stop(server: ThreadingHTTPServer) -> None:
    """Stop serving and close the port: connections are refused from now on."""
    server.shutdown()
    server.server_close()
