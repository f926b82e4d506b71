"""A real local HTTP receiver for tests of our outgoing calls (webhook robots, an LLM endpoint): no mocks."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = Callable[[dict[str, Any]], tuple[int, Any]]


def ok(_request: dict[str, Any]) -> tuple[int, Any]:
    """HTTP 200 with the text "ok" (what a generic endpoint or Slack answers)."""
    return 200, "ok"


class JsonReceiver:
    """Listens on 127.0.0.1, records every POST (path, query, headers, raw body, parsed JSON) and answers with `reply`.

    `reply(request)` returns (status, body): a str body goes out as text/plain, anything else as JSON.
    """

    def __init__(self, reply: Reply = ok, port: int = 0, delay: float = 0.0) -> None:
        self.requests: list[dict[str, Any]] = []
        self.reply = reply
        self.delay = delay
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                parts = urllib.parse.urlsplit(self.path)
                request = {
                    "path": parts.path,
                    "query": dict(urllib.parse.parse_qsl(parts.query)),
                    "headers": dict(self.headers),
                    "raw": raw,
                    "json": json.loads(raw) if raw else None,
                }
                receiver.requests.append(request)
                if receiver.delay:
                    time.sleep(receiver.delay)
                status, body = receiver.reply(request)
                text = isinstance(body, str)
                data = body.encode() if text else json.dumps(body, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain" if text else "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        """Full URL of a path on this receiver."""
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        """Shut the server down and free its port."""
        self.server.shutdown()
        self.server.server_close()
