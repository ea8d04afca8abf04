"""The preview server: the output directory over HTTP, plus live-reload events.

It serves only regular files inside the output directory (traversal, encoded and
backslash forms, absolute paths and symlinks leading outside all get a 404), opens
files under the same lock the builder holds while it swaps the output directory (so it
never serves a half-swapped site), and injects the reload script, and the error overlay
while the last build is failing, into HTML responses only: nothing is written to disk.

It answers only to the names it is meant to be reached by: the `Host` header (and the
authority of an absolute request target) must be localhost, 127.0.0.1 or [::1], or the
name given to `briefing serve --host`, with this server's port if a port is given.
Anything else gets a 403, so a page on another site cannot read the preview through
DNS rebinding (webpack-dev-server and Vite check the same); an HTTP/1.1 request without
a Host gets a 400. The event stream and the reload script get the same check.

No exception escapes a request: a malformed request gets a 400, a path that names no
file (over-long names included) a 404, a request line over 64 KiB a 414; a client that
hangs up is ignored, and anything unexpected costs one line on stderr, never a traceback.
"""

from __future__ import annotations

import contextlib
import html
import json
import mimetypes
import re
import select
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

EVENTS_PATH = "/__briefing/events"
SCRIPT_PATH = "/__briefing/reload.js"
#: The names a loopback server always answers to (IPv6 literals in their Host form).
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")
#: Errors that mean the client went away (a closed tab, a reload): never worth a word.
DISCONNECTS = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)
#: The longest request line read, as in BaseHTTPRequestHandler: longer ones get a 414.
MAX_REQUEST_LINE = 65536
#: How long, and how much, a closing connection is read: unread data at close makes the
#: kernel reset the connection, which can destroy an answer (a 414) not yet read.
LINGER_SECONDS = 2.0
LINGER_BYTES = 1 << 20
#: A Host header (or an absolute target's authority): a name or address, an optional port.
HOST_SYNTAX = re.compile(
    r"(?P<name>\[[0-9a-f:.]+\]|[a-z0-9\-._~!$&'()*+,;=%]*)(?::(?P<port>[0-9]{0,5}))?", re.I
)
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


def request_path(target: str) -> str | None:
    """The path of a request target in origin form (`/a/b?q`) or absolute form
    (`http://host/a/b`), still percent-encoded; None for anything else, which is a
    malformed request (400) rather than a missing file."""
    try:
        split = urlsplit(target)
    except ValueError:  # e.g. "http://[x/": urlsplit refuses a broken IPv6 authority
        return None
    if split.scheme:
        if split.scheme.lower() not in ("http", "https"):
            return None
        path = split.path or "/"
    elif target.startswith("/"):
        path = split.path
    else:
        return None
    return path if path.startswith("/") else None


def parse_host(value: str) -> tuple[str, int | None] | None:
    """The lower-case name and the port of a Host header value; None when it is not
    one (several names, user info, a broken IPv6 literal, a port out of range)."""
    match = HOST_SYNTAX.fullmatch(value.strip())
    if match is None:
        return None
    port = match["port"]
    number = int(port) if port else None
    if number is not None and number > 65535:
        return None
    return match["name"].lower(), number


def host_name(name: str) -> str:
    """A --host value as it appears in a Host header: lower case, IPv6 in brackets."""
    name = name.strip().lower()
    return f"[{name}]" if ":" in name and not name.startswith("[") else name


def resolve_request(root: Path, raw_path: str) -> tuple[Path | None, bool]:
    """The file to serve for a request path, or None; and whether a '/' should be added.

    Anything that could name a file outside `root` resolves to None, and so does any
    path the file system refuses (a name over its length limit, a NUL, characters it
    cannot encode, a symlink loop): the request is answered 404 instead of raising.
    """
    raw = request_path(raw_path)
    if raw is None:
        return None, False
    path = unquote(raw)  # invalid escapes such as %ff become U+FFFD, never an error
    if "\\" in path or "\x00" in path:
        return None, False
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if ".." in parts:
        return None, False
    try:
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
    except (OSError, ValueError, RuntimeError):  # RuntimeError: a symlink loop (Python < 3.13)
        return None, False


def read_file(path: Path) -> bytes | None:
    """The file's bytes, or None if it cannot be read (it vanished, or is not readable):
    such a file is answered like a missing one."""
    try:
        return path.read_bytes()
    except OSError:
        return None


def site_path(root: Path, target: Path) -> str:
    """`target` relative to the output directory, for the reload script ('' if outside)."""
    try:
        return target.resolve().relative_to(root.resolve()).as_posix()
    except (OSError, ValueError, RuntimeError):
        return ""


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
    """A threading HTTP server over one output directory.

    `allowed_hosts` are the names, besides the loopback ones, that requests may give in
    their Host header: run_serve passes the --host value, so the preview answers to the
    name it was started with and to no other (see the module docstring).
    """

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        root: Path,
        state: PreviewState,
        allowed_hosts: Iterable[str] = (),
    ) -> None:
        self.root = root
        self.state = state
        self.swap_lock = threading.Lock()
        self.script = resources.files("generator.serve").joinpath("reload.js").read_bytes()
        self.open_streams = 0
        self._streams_lock = threading.Lock()
        self.allowed_hosts = frozenset(LOOPBACK_HOSTS) | {host_name(name) for name in allowed_hosts}
        if ":" in address[0]:  # an IPv6 address such as ::1 cannot be bound as IPv4
            self.address_family = socket.AF_INET6
        super().__init__(address, PreviewHandler)
        self.port: int = self.server_address[1]  # the real one when bound to port 0

    def stream_opened(self, delta: int) -> None:
        with self._streams_lock:
            self.open_streams += delta

    def host_allowed(self, value: str) -> bool | None:
        """Whether a Host value names this server; None when it is not a Host value."""
        parsed = parse_host(value)
        if parsed is None:
            return None
        name, port = parsed
        return name in self.allowed_hosts and port in (None, self.port)

    def refusal_text(self, value: str) -> str:
        """The body of a 403: which name was refused, which are served, how to add one."""
        shown = value if len(value) <= 80 else value[:80] + "..."
        names = ", ".join(sorted(self.allowed_hosts, key=lambda n: (n not in LOOPBACK_HOSTS, n)))
        return (
            f"briefing: host {shown!r} is not allowed. The preview server answers only to "
            f"{names} (port {self.port}), to keep other sites from reading it through DNS "
            "rebinding. To reach it under another name, start it with "
            "`briefing serve --host NAME`.\n"
        )

    def log_problem(self, message: str) -> None:
        """One line on stderr for an unexpected error: the terminal belongs to the
        rebuild messages, and a traceback there would bury them."""
        line = message.replace("\r", "\\r").replace("\n", "\\n")
        with contextlib.suppress(OSError, ValueError):  # stderr closed: nothing better to do
            print(f"briefing: preview server: {line}", file=sys.stderr, flush=True)

    def handle_error(self, request: socket.socket | tuple[bytes, socket.socket], client_address: Any) -> None:
        """Replaces socketserver's traceback: silence for a client that went away, one
        line for anything else (the handler catches its own errors; this is the net)."""
        error = sys.exc_info()[1]
        if error is None or isinstance(error, DISCONNECTS):
            return
        self.log_problem(f"request from {client_address!r}: {type(error).__name__}: {error}")

    def shutdown_request(self, request: socket.socket | tuple[bytes, socket.socket]) -> None:
        """Close a connection without resetting it: read (and drop) what the client still
        sends, for a bounded time, so that the answer reaches it (a 414 is sent with most
        of the request line unread, and closing then would make the kernel send a RST)."""
        if isinstance(request, socket.socket):
            try:
                request.shutdown(socket.SHUT_WR)
                request.settimeout(LINGER_SECONDS)
                deadline = time.monotonic() + LINGER_SECONDS
                left = LINGER_BYTES
                while left > 0 and time.monotonic() < deadline:
                    chunk = request.recv(min(left, 65536))
                    if not chunk:
                        break
                    left -= len(chunk)
            except OSError:  # already reset, or timed out: close it anyway
                pass
        self.close_request(request)


class PreviewHandler(BaseHTTPRequestHandler):
    """Answers GET and HEAD for the output directory, the reload script and the event
    stream, after checking the Host; catches every error of its own (module docstring)."""

    server: PreviewServer
    protocol_version = "HTTP/1.1"
    server_version = "briefing"
    #: What a malformed request line is answered in: the default, HTTP/0.9, would send
    #: the 400 without a status line, which a client cannot read as an answer.
    default_request_version = "HTTP/1.0"
    #: Whether a status line has been sent for the current request.
    _answered: bool = False
    raw_requestline: bytes

    def log_message(self, format: str, *args: Any) -> None:
        pass  # requests are not logged; rebuilds and errors are

    def handle_one_request(self) -> None:
        """One request, with no exception escaping: a client that went away is dropped
        silently, anything else is logged in one line and answered 500 if nothing has
        been sent yet."""
        self._answered = False
        try:
            super().handle_one_request()
        except DISCONNECTS:
            self.close_connection = True
        except Exception as error:
            self.close_connection = True
            target = (getattr(self, "path", "") or "")[:200]
            command = getattr(self, "command", None) or "request"
            self.server.log_problem(f"{command} {target}: {type(error).__name__}: {error}")
            if not self._answered:
                with contextlib.suppress(Exception):  # if this fails too, the connection is gone
                    self._send_plain(HTTPStatus.INTERNAL_SERVER_ERROR, "briefing: internal error\n")

    def send_response_only(self, code: int, message: str | None = None) -> None:
        """Records that an answer has begun, so that an error after it sends no second one."""
        self._answered = True
        super().send_response_only(code, message)

    def parse_request(self) -> bool:
        """The standard parsing, then the checks every request gets before any method:
        the request line was not empty, the target has a path, the Host is allowed."""
        if self.raw_requestline in (b"\r\n", b"\n"):
            # RFC 9112 2.2: an empty line before the request line is to be ignored.
            self.raw_requestline = self.rfile.readline(MAX_REQUEST_LINE + 1)
            if len(self.raw_requestline) > MAX_REQUEST_LINE:
                self.requestline, self.request_version, self.command = "", "", ""
                self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG)
                return False
            if not self.raw_requestline:
                self.close_connection = True
                return False
        if not super().parse_request():
            if not self._answered:  # a blank request line: the standard answer is none
                self.send_error(HTTPStatus.BAD_REQUEST, "Empty request line")
            return False
        if self.path != "*" and request_path(self.path) is None:
            self.send_error(HTTPStatus.BAD_REQUEST, "Bad request target")
            return False
        return self._host_checked()

    def _host_checked(self) -> bool:
        """True if the request names this server; otherwise answers 400 or 403."""
        values = self.headers.get_all("Host") or []
        if len(values) > 1:
            self.send_error(HTTPStatus.BAD_REQUEST, "More than one Host header")
            return False
        major, minor = (int(n) for n in self.request_version.partition("/")[2].split("."))
        if not values and (major, minor) >= (1, 1):
            self.send_error(HTTPStatus.BAD_REQUEST, "An HTTP/1.1 request needs a Host header")
            return False
        split = urlsplit(self.path) if self.path != "*" else None  # request_path has vetted it
        if split is not None and split.scheme:
            values.append(split.netloc)  # an absolute target names the host too
        for value in values:
            allowed = self.server.host_allowed(value)
            if allowed is None:
                self.send_error(HTTPStatus.BAD_REQUEST, "Bad Host header")
                return False
            if not allowed:
                self._send_plain(HTTPStatus.FORBIDDEN, self.server.refusal_text(value.strip()))
                return False
        return True

    def do_HEAD(self) -> None:
        self._serve(send_body=False)

    def do_GET(self) -> None:
        path = request_path(self.path)
        if path == EVENTS_PATH:
            self._stream_events()
        elif path == SCRIPT_PATH:
            self._send(HTTPStatus.OK, TYPES[".js"], self.server.script)
        else:
            self._serve(send_body=True)

    def _serve(self, send_body: bool) -> None:
        path = request_path(self.path)
        if path is None:  # only "*" gets here: parse_request refused the rest
            self.send_error(HTTPStatus.BAD_REQUEST, "Bad request target")
            return
        root = self.server.root
        with self.server.swap_lock:
            target, needs_slash = resolve_request(root, self.path)
            if needs_slash:
                self.send_response(HTTPStatus.MOVED_PERMANENTLY)
                self.send_header("Location", path + "/")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            status = HTTPStatus.OK
            data = read_file(target) if target is not None else None
            if data is None:
                status = HTTPStatus.NOT_FOUND
                target, _ = resolve_request(root, "/404.html")
                data = read_file(target) if target is not None else None
                if data is None:
                    target, data = None, NOT_FOUND_PAGE
        kind = TYPES.get(target.suffix, "") if target is not None else TYPES[".html"]
        kind = kind or mimetypes.guess_type(str(target))[0] or "application/octet-stream"
        if kind.startswith("text/html"):
            data = inject(data, self.server.state, site_path(root, target) if target is not None else "")
        self._send(status, kind, data, send_body)

    def _send_plain(self, status: HTTPStatus, text: str) -> None:
        """A short plain-text answer that ends the connection (a refusal, an error)."""
        data = text.encode("utf-8")
        self.close_connection = True
        self.send_response(status)
        self.send_header("Content-Type", TYPES[".txt"])
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

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
