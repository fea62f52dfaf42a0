"""Stand-ins on the default ports: a fake ComfyUI on 127.0.0.1:8188 and a fake Studio on :8000.

They answer every request with plausible JSON (a model list nobody expects, an "ok" health), so a
test that talks to a default port instead of a server it started itself fails loudly. `.ci/run`
keeps them up while the suite runs; by hand: `.venv/bin/python -m tests.standin_ports &`.
A port already taken (a real ComfyUI, say) is left to whoever holds it.
"""

from __future__ import annotations

import errno
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORTS = (8188, 8000)


class Handler(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        if self.path.startswith("/models/"):
            body: object = ["standin.safetensors"]
        elif self.path == "/health":
            body = {"status": "ok", "database": "healthy", "redis": "disabled", "mode": "single-process"}
        else:
            body = {}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

    def log_message(self, format: str, *args: object) -> None:
        sys.stderr.write(f"stand-in :{self.server.server_address[1]} {self.command} {self.path}\n")


def main() -> None:
    servers = []
    for port in PORTS:
        try:
            servers.append(ThreadingHTTPServer(("127.0.0.1", port), Handler))
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            print(f"stand-in: 127.0.0.1:{port} is already taken; leaving it as it is", file=sys.stderr)
    print(f"stand-ins on {', '.join(f'127.0.0.1:{s.server_address[1]}' for s in servers) or 'no port'}", flush=True)
    for server in servers[1:]:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    if servers:
        servers[0].serve_forever()


if __name__ == "__main__":
    main()
