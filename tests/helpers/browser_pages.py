"""Test support for the browser tests: a local HTTP server, a tiny PNG, where a text is drawn."""

from __future__ import annotations

import json
import struct
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Frame, Page

from .paths import REPO

CROWD_JS = REPO / "hitl_agent" / "service" / "static" / "crowd-elements.js"
AWS_JS_URL = "https://assets.crowd.aws/crowd-html-elements.js"
PAGE_HEAD = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>task</title></head><body>'
)


def png(width: int, height: int) -> bytes:
    """A solid grey RGB PNG of the given size, built with zlib only."""
    raw = b"".join(b"\x00" + b"\x80\x90\xa0" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return (
            struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


class LocalServer:
    """Serves registered pages, /img.png (400x300) and records POSTs to /submit."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        self.posts: list[dict[str, Any]] = []
        self.image = png(400, 300)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def _send(self, status: int, body: bytes, ctype: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802
                path = self.path.split("?", 1)[0]
                if path == "/img.png":
                    self._send(200, server.image, "image/png")
                elif path.startswith("/page/") and path[6:] in server.pages:
                    self._send(200, server.pages[path[6:]].encode(), "text/html; charset=utf-8")
                else:
                    self._send(404, b"not found", "text/plain")

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"null")
                server.posts.append(
                    {"path": self.path, "body": body, "csrf": self.headers.get("X-CSRF-Token")}
                )
                if self.path == "/submit-fails":
                    self._send(409, b'{"message": "already answered"}', "application/json")
                else:
                    self._send(200, b'{"ok": true}', "application/json")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def add(self, name: str, html: str) -> str:
        self.pages[name] = PAGE_HEAD + html + "</body></html>"
        return f"{self.base}/page/{name}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def shadow_text_box(page: Page | Frame, host: str, container: str, text: str) -> dict[str, float]:
    """The box (in ``page``'s coordinates) of the first occurrence of ``text`` inside the
    ``container`` of ``host``'s shadow DOM."""
    box: dict[str, float] = page.evaluate(
        """([host, container, text]) => {
          const root = document.querySelector(host).shadowRoot.querySelector(container);
          const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
          for (let n = walker.nextNode(); n; n = walker.nextNode()) {
            const i = n.data.indexOf(text);
            if (i >= 0) {
              const r = document.createRange(); r.setStart(n, i); r.setEnd(n, i + text.length);
              const b = r.getBoundingClientRect();
              return {x: b.x, y: b.y, w: b.width, h: b.height};
            }
          }
          throw new Error('text not found: ' + text);
        }""",
        [host, container, text],
    )
    return box
