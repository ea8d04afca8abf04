"""The preview server: the output directory over HTTP, plus live-reload events.

It serves only regular files inside the output directory (traversal, encoded and
backslash forms, absolute paths and symlinks leading outside all get a 404), opens
files under the same lock the builder holds while it swaps the output directory (so it
never serves a half-swapped site), and injects the reload script, and the error overlay
while the last build is failing, into HTML responses only: nothing is written to disk.
"""

from __future__ import annotations

import html
import json
import mimetypes
import select
import socket
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

EVENTS_PATH = "/__briefing/events"
SCRIPT_PATH = "/__briefing/reload.js"
#: Served when the site has no 404 page yet (the first build failed): it still shows the overlay.
NOT_FOUND_PAGE = b"<!doctype html><title>Not found</title><body><p>Not found.</p></body>"
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".xml": "application/xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".woff2": "font/woff2",
}


@dataclass(frozen=True)
class Event:
    """One server-sent event."""

    seq: int
    name: str
    data: str


class PreviewState:
    """What the browser is told: the current build, the stylesheet version, the error of
    the last build if it failed, and the recent events for connected pages."""

    def __init__(self) -> None:
        self.build = 1
        self.css = 1
        self.error: str | None = None
        self._events: deque[Event] = deque(maxlen=64)
        self._seq = 0
        self._changed = threading.Condition()
        self.stopping = False

    def publish(self, name: str, **data: Any) -> None:
        with self._changed:
            self._seq += 1
            self._events.append(Event(self._seq, name, json.dumps(data)))
            self._changed.notify_all()

    def page_built(self, pages: Sequence[str] = ()) -> None:
        """A build changed `pages` (site-relative files; all when empty): the connected
        pages showing one of them reload."""
        with self._changed:
            was_failing, self.error = self.error is not None, None
            self.build += 1
        if was_failing:  # pages that do not reload must still drop the overlay
            self.publish("ok")
        self.publish("reload", build=self.build, pages=list(pages))

    def css_changed(self) -> None:
        with self._changed:
            self.css += 1
        self.publish("css", css=self.css)

    def failed(self, report: str) -> None:
        with self._changed:
            self.error = report
        self.publish("failure", report=report)

    def cleared(self) -> None:
        """A good build produced the same pages as the last good one: only hide the overlay."""
        with self._changed:
            was_failing, self.error = self.error is not None, None
        if was_failing:
            self.publish("ok")

    def hello(self) -> str:
        return json.dumps({"build": self.build, "css": self.css, "error": self.error})

    @property
    def seq(self) -> int:
        return self._seq

    def wait_after(self, seq: int, timeout: float) -> list[Event]:
        """Events newer than `seq`, waiting up to `timeout` seconds for one."""
        with self._changed:
            if self._seq <= seq and not self.stopping:
                self._changed.wait(timeout)
            return [event for event in self._events if event.seq > seq]

    def stop(self) -> None:
        with self._changed:
            self.stopping = True
            self._changed.notify_all()


def resolve_request(root: Path, raw_path: str) -> tuple[Path | None, bool]:
    """The file to serve for a request path, or None; and whether a '/' should be added.

    Anything that could name a file outside `root` resolves to None.
    """
    path = unquote(urlsplit(raw_path).path)
    if "\\" in path or "\x00" in path or not path.startswith("/"):
        return None, False
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if ".." in parts:
        return None, False
    base = root.resolve()
    candidate = base.joinpath(*parts).resolve()
    if candidate != base and base not in candidate.parents:
        return None, False
    if candidate.is_dir():
        if not path.endswith("/"):
            return candidate, True
        candidate = (candidate / "index.html").resolve()
        if base not in candidate.parents:
            return None, False
    return (candidate, False) if candidate.is_file() else (None, False)


def inject(page: bytes, state: PreviewState, path: str = "") -> bytes:
    """The page with the reload script (and the error overlay, if failing) before </body>.

    `path` is the site-relative file served, so that the page reloads only when a build
    changes it."""
    tag = (
        f'<script src="{SCRIPT_PATH}" data-build="{state.build}" data-css="{state.css}" '
        f'data-page="{html.escape(path)}"></script>'
    )
    if state.error is not None:
        tag = overlay_html(state.error) + tag
    text = page.decode("utf-8", errors="replace")
    at = text.rfind("</body>")
    text = text[:at] + tag + text[at:] if at >= 0 else text + tag
    return text.encode("utf-8")


def overlay_html(report: str) -> str:
    """The build errors, drawn over the page: the same text as in the terminal."""
    return (
        '<div id="briefing-error-overlay" role="alert" style="position:fixed;inset:0;z-index:2147483647;'
        "overflow:auto;background:rgba(20,20,20,.94);color:#fff;padding:2rem;"
        'font:14px/1.5 ui-monospace,monospace">'
        '<p style="font-weight:bold;color:#ff8a80;margin:0 0 1rem">briefing: the last build failed; '
        "showing the last good site underneath. Fix the problems and save: this clears itself.</p>"
        f'<pre style="white-space:pre-wrap;margin:0">{html.escape(report)}</pre></div>'
    )


class PreviewServer(ThreadingHTTPServer):
    """A threading HTTP server over one output directory."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], root: Path, state: PreviewState) -> None:
        self.root = root
        self.state = state
        self.swap_lock = threading.Lock()
        self.script = resources.files("generator.serve").joinpath("reload.js").read_bytes()
        self.open_streams = 0
        self._streams_lock = threading.Lock()
        super().__init__(address, PreviewHandler)

    def stream_opened(self, delta: int) -> None:
        with self._streams_lock:
            self.open_streams += delta


class PreviewHandler(BaseHTTPRequestHandler):
    server: PreviewServer
    protocol_version = "HTTP/1.1"
    server_version = "briefing"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # requests are not logged; rebuilds and errors are

    def do_HEAD(self) -> None:
        self._serve(send_body=False)

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == EVENTS_PATH:
            self._stream_events()
        elif path == SCRIPT_PATH:
            self._send(HTTPStatus.OK, TYPES[".js"], self.server.script)
        else:
            self._serve(send_body=True)

    def _serve(self, send_body: bool) -> None:
        with self.server.swap_lock:
            target, needs_slash = resolve_request(self.server.root, self.path)
            if needs_slash:
                location = urlsplit(self.path).path + "/"
                self.send_response(HTTPStatus.MOVED_PERMANENTLY)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            status = HTTPStatus.OK
            if target is None:
                status = HTTPStatus.NOT_FOUND
                missing = self.server.root / "404.html"
                target = missing if missing.is_file() else None
            data = target.read_bytes() if target is not None else NOT_FOUND_PAGE
        kind = TYPES.get(target.suffix, "") if target is not None else TYPES[".html"]
        kind = kind or mimetypes.guess_type(str(target))[0] or "application/octet-stream"
        if kind.startswith("text/html"):
            served = target.relative_to(self.server.root.resolve()).as_posix() if target is not None else ""
            data = inject(data, self.server.state, served)
        self._send(status, kind, data, send_body)

    def _send(self, status: HTTPStatus, kind: str, data: bytes, send_body: bool = True) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if send_body:
            self.wfile.write(data)

    def _stream_events(self) -> None:
        state = self.server.state
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        self.server.stream_opened(+1)
        try:
            seen = state.seq
            self._write_event("hello", state.hello(), retry=True)
            while not state.stopping:
                events = state.wait_after(seen, timeout=0.5)
                for event in events:
                    self._write_event(event.name, event.data)
                    seen = event.seq
                if not events and self._peer_closed():
                    return
        except OSError:
            return  # the tab went away
        finally:
            self.server.stream_opened(-1)

    def _write_event(self, name: str, data: str, retry: bool = False) -> None:
        prefix = "retry: 500\n" if retry else ""
        self.wfile.write(f"{prefix}event: {name}\ndata: {data}\n\n".encode())
        self.wfile.flush()

    def _peer_closed(self) -> bool:
        """True once the browser has closed the connection (a closed tab, a reload)."""
        connection: socket.socket = self.connection
        readable, _, _ = select.select([connection], [], [], 0)
        if not readable:
            return False
        try:
            return connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True
