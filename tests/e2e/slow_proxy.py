"""A pass-through HTTP proxy in front of the action server that can hold chosen actions back.

Rasa calls the action server over HTTP; putting this between them makes one action slow (say,
`action_submit_booking` waiting on a busy database) without any test hook in the product. Each
request is forwarded as is; when its `next_action` is in `delays`, the answer waits that long.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class SlowProxy:
    def __init__(self, target: str) -> None:
        self.target = target  # e.g. http://127.0.0.1:5055
        self.delays: dict[str, float] = {}
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    action = json.loads(body).get("next_action")
                except ValueError:
                    action = None
                request = urllib.request.Request(
                    proxy.target + self.path,
                    data=body,
                    headers={
                        "Content-Type": self.headers.get("Content-Type", "application/json"),
                        "Authorization": self.headers.get("Authorization", ""),
                    },
                )
                try:
                    with urllib.request.urlopen(request, timeout=60) as answer:
                        status, payload = answer.status, answer.read()
                except urllib.error.HTTPError as error:
                    status, payload = error.code, error.read()
                time.sleep(proxy.delays.get(action, 0.0))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args) -> None:  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @classmethod
    def in_front_of(cls, assistant) -> SlowProxy:
        """A started proxy that `assistant`'s Rasa server will call instead of its action server
        (before `assistant.start()`); also kept as `assistant.proxy`."""
        proxy = cls(assistant.actions_direct.removesuffix("/webhook")).start()
        assistant.action_url = f"http://127.0.0.1:{proxy.port}/webhook"
        assistant.proxy = proxy
        return proxy

    def start(self) -> SlowProxy:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
