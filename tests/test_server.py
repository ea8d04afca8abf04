"""The preview server over real sockets on 127.0.0.1: path safety, content types, the
injected reload script and error overlay, server-sent events, the Host check (DNS
rebinding), malformed requests and clients that hang up (never a traceback), and the
`serve` and `build --watch` commands run as subprocesses on a copy of the project.

Requests that must reach the server unnormalised (`..`, encoded and backslash forms) are
written on raw sockets: urllib and requests would resolve `..` before sending.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from generator.build import build
from generator.config import load_config
from generator.serve.preview import PREVIEW_FOLDER
from generator.serve.server import (
    EVENTS_PATH,
    SCRIPT_PATH,
    PreviewHandler,
    PreviewServer,
    PreviewState,
    resolve_request,
)

ROOT = Path(__file__).resolve().parents[1]
SECRET = b"TOP-SECRET-7f3a9c-do-not-serve"
HANOI = "summits/hanoi-2019"


# -- helpers -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition: Callable[[], object], timeout: float, what: str, step: float = 0.05) -> object:
    """Poll `condition` until it is truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(step)


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes


def raw_request(port: int, target: str, method: str = "GET", timeout: float = 30.0) -> Response:
    """Send `target` byte for byte (no normalisation) and read the whole answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        conn.sendall(f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status, headers = parse_head(head)
    return Response(status, headers, body)


def parse_head(head: bytes) -> tuple[int, dict[str, str]]:
    """The status and the headers (lower-case names) of an answer's head."""
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers


def exchange(
    port: int, data: bytes, head: bool = False, timeout: float = 15.0, address: str = "127.0.0.1"
) -> Response:
    """Send `data` as it is (a whole request, malformed or not) and read one answer: its
    head, then Content-Length bytes of body (none for HEAD), or the rest until closed."""
    with socket.create_connection((address, port), timeout=timeout) as conn:
        conn.sendall(data)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = conn.recv(65536)
            if not chunk:
                raise AssertionError(f"connection closed without an answer; got {received!r}")
            received += chunk
        head_bytes, _, body = received.partition(b"\r\n\r\n")
        status, headers = parse_head(head_bytes)
        if head:
            body = b""
        elif "content-length" in headers:
            while len(body) < int(headers["content-length"]):
                chunk = conn.recv(65536)
                if not chunk:
                    break
                body += chunk
        else:
            while chunk := conn.recv(65536):
                body += chunk
    assert head_bytes.startswith(b"HTTP/1."), head_bytes
    return Response(status, headers, body)


def get(port: int, target: str, host: str | None = "127.0.0.1", version: str = "HTTP/1.1") -> Response:
    """GET `target` with this Host header (none when None), closing after the answer."""
    host_line = f"Host: {host}\r\n" if host is not None else ""
    request = f"GET {target} {version}\r\n{host_line}Connection: close\r\n\r\n"
    return exchange(port, request.encode("latin-1"))


def read_text(path: Path) -> str:
    """The file's text, or '' while it is missing (the output directory is being swapped)."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""


def before_body_end(page: bytes) -> bytes:
    """A page's bytes up to its closing </body> (where the server injects)."""
    at = page.rfind(b"</body>")
    assert at > 0
    return page[:at]


# -- a built site with a secret next to it -------------------------------------------------


@dataclass(frozen=True)
class Layout:
    out: Path
    secret: Path  # outside the output directory


@pytest.fixture(scope="module")
def layout(tmp_path_factory: pytest.TempPathFactory) -> Layout:
    base = tmp_path_factory.mktemp("serve")
    out = base / "site"
    build(load_config(ROOT / "config.yaml", output_dir=out))
    outside = base / "outside"
    outside.mkdir()
    secret = outside / "secret.txt"
    secret.write_bytes(SECRET)
    (out / "leak.txt").symlink_to(secret)
    (out / "leakdir").symlink_to(outside, target_is_directory=True)
    (out / "leak.html").symlink_to(secret)
    (out / "passwd").symlink_to("/etc/passwd")
    return Layout(out, secret)


@dataclass
class Running:
    server: PreviewServer
    state: PreviewState
    port: int
    out: Path


@contextlib.contextmanager
def serving(out: Path, allowed_hosts: tuple[str, ...] = ()) -> Iterator[Running]:
    """A PreviewServer on 127.0.0.1 and a free port, in a thread, over `out`."""
    state = PreviewState()
    server = PreviewServer(("127.0.0.1", 0), out, state, allowed_hosts=allowed_hosts)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield Running(server, state, server.server_address[1], out)
    finally:
        state.stop()
        server.shutdown()
        server.server_close()
        thread.join(timeout=60)


@pytest.fixture
def running(layout: Layout) -> Iterator[Running]:
    with serving(layout.out) as running:
        yield running


# -- path safety ---------------------------------------------------------------------------

TRAVERSALS = [
    "/../outside/secret.txt",
    "/../../../../../../etc/passwd",
    "/summits/../../outside/secret.txt",
    "/..%2foutside%2fsecret.txt",
    "/%2e%2e/outside/secret.txt",
    "/%2e%2e%2foutside%2fsecret.txt",
    "/.%2e/outside/secret.txt",
    "/%252e%252e/outside/secret.txt",
    "/%252e%252e%252foutside%252fsecret.txt",
    "/..\\outside\\secret.txt",
    "/..\\..\\..\\..\\etc\\passwd",
    "/..%5coutside%5csecret.txt",
    "/%5c..%5coutside%5csecret.txt",
    "//etc/passwd",
    "///etc/passwd",
    "/%2fetc%2fpasswd",
    "/..%00/outside/secret.txt",
    "http://127.0.0.1/../outside/secret.txt",
    # symlinks inside the output directory that lead outside it
    "/leak.txt",
    "/leak.html",
    "/leakdir/secret.txt",
    "/leakdir/",
    "/leakdir",
    "/passwd",
]


@pytest.mark.parametrize("target", TRAVERSALS)
def test_paths_leading_outside_the_output_directory_answer_404(running: Running, target: str) -> None:
    for method in ("GET", "HEAD"):
        response = raw_request(running.port, target, method)
        assert response.status == 404, f"{method} {target}"
        assert SECRET not in response.body
        assert b"root:x:0:0" not in response.body


def test_absolute_path_of_the_secret_is_not_served(running: Running, layout: Layout) -> None:
    for target in ("/" + layout.secret.as_posix(), layout.secret.as_posix(), "//" + layout.secret.as_posix()):
        response = raw_request(running.port, target)
        assert response.status == 404, target
        assert SECRET not in response.body


def test_the_secret_really_is_reachable_through_the_symlinks(layout: Layout) -> None:
    # guards the test above: the symlinks do lead to the secret on disk
    assert (layout.out / "leak.txt").read_bytes() == SECRET
    assert (layout.out / "leakdir" / "secret.txt").read_bytes() == SECRET


# -- ordinary requests ---------------------------------------------------------------------


def test_pages_are_html_utf8_and_the_stylesheet_is_css(running: Running) -> None:
    page = raw_request(running.port, f"/{HANOI}/")
    assert page.status == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert b"Hanoi, Vietnam" in page.body
    home = raw_request(running.port, "/")
    assert home.status == 200
    assert home.headers["content-type"] == "text/html; charset=utf-8"
    css = raw_request(running.port, "/static/style.css")
    assert css.status == 200
    assert css.headers["content-type"].split(";")[0] == "text/css"
    assert css.body == (running.out / "static" / "style.css").read_bytes()
    assert int(css.headers["content-length"]) == len(css.body)


def test_a_directory_without_slash_redirects_to_the_slash_form(running: Running) -> None:
    response = raw_request(running.port, f"/{HANOI}")
    assert response.status in (301, 302, 307, 308)
    assert response.headers["location"] in (f"/{HANOI}/", f"http://127.0.0.1:{running.port}/{HANOI}/")
    query = raw_request(running.port, "/summits")
    assert query.status in (301, 302, 307, 308)
    assert query.headers["location"].endswith("/summits/")


def test_a_missing_path_answers_404_with_the_sites_404_page(running: Running) -> None:
    response = raw_request(running.port, "/no/such/page/")
    assert response.status == 404
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.body.startswith(before_body_end((running.out / "404.html").read_bytes()))
    assert raw_request(running.port, f"/{HANOI}/missing.html").status == 404


def test_head_answers_headers_without_a_body(running: Running) -> None:
    get = raw_request(running.port, f"/{HANOI}/")
    head = raw_request(running.port, f"/{HANOI}/", "HEAD")
    assert head.status == 200
    assert head.body == b""
    assert head.headers["content-type"] == "text/html; charset=utf-8"
    assert int(head.headers["content-length"]) == len(get.body)
    missing = raw_request(running.port, "/nothing-here", "HEAD")
    assert missing.status == 404
    assert missing.body == b""


def test_the_reload_script_is_injected_but_never_written_to_disk(running: Running) -> None:
    on_disk = {p: p.read_bytes() for p in running.out.rglob("*") if p.is_file() and not p.is_symlink()}
    for target in ("/", f"/{HANOI}/", "/does-not-exist"):
        body = raw_request(running.port, target).body
        assert f'<script src="{SCRIPT_PATH}"'.encode() in body, target
        assert body.count(SCRIPT_PATH.encode()) == 1
        assert body.index(SCRIPT_PATH.encode()) < body.rindex(b"</body>")
    assert raw_request(running.port, "/static/style.css").body.count(SCRIPT_PATH.encode()) == 0
    script = raw_request(running.port, SCRIPT_PATH)
    assert script.status == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert b"EventSource" in script.body
    after = {p: p.read_bytes() for p in running.out.rglob("*") if p.is_file() and not p.is_symlink()}
    assert after == on_disk
    assert not [p for p, data in after.items() if b"__briefing" in data]


def test_the_error_overlay_shows_the_escaped_report_until_a_good_build(running: Running) -> None:
    report = 'content/x.yaml:3:5: error: boom <script>alert("x")</script> & more'
    running.state.failed(report)
    for target in (f"/{HANOI}/", "/missing"):
        body = raw_request(running.port, target).body.decode()
        assert 'id="briefing-error-overlay"' in body, target
        assert html.escape(report) in body
        assert '<script>alert("x")</script>' not in body
        assert body.index("briefing-error-overlay") < body.rindex("</body>")
    assert b"briefing-error-overlay" not in (running.out / HANOI / "index.html").read_bytes()
    running.state.page_built()
    body = raw_request(running.port, f"/{HANOI}/").body.decode()
    assert "briefing-error-overlay" not in body
    assert "boom" not in body
    assert SCRIPT_PATH in body


# -- server-sent events --------------------------------------------------------------------


class EventClient:
    """One raw connection to the event stream."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=15)
        self.sock.sendall(f"GET {EVENTS_PATH} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        self.buffer = b""
        head = self._read_until(b"\r\n\r\n").decode("latin-1")
        self.status = int(head.split()[1])
        self.headers = {
            line.partition(":")[0].lower(): line.partition(":")[2].strip() for line in head.split("\r\n")[1:]
        }

    def _read_until(self, mark: bytes) -> bytes:
        while mark not in self.buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise AssertionError(f"stream closed before {mark!r}; got {self.buffer!r}")
            self.buffer += chunk
        block, _, self.buffer = self.buffer.partition(mark)
        return block

    def next_event(self) -> tuple[str, dict[str, object]]:
        fields: dict[str, str] = {}
        for line in self._read_until(b"\n\n").decode().split("\n"):
            name, _, value = line.partition(": ")
            fields[name] = value
        return fields["event"], json.loads(fields["data"])

    def close(self) -> None:
        self.sock.close()


def test_the_first_event_is_hello_with_the_build_state(running: Running) -> None:
    client = EventClient(running.port)
    try:
        assert client.status == 200
        assert client.headers["content-type"].startswith("text/event-stream")
        assert client.next_event() == ("hello", {"build": 1, "css": 1, "error": None})
    finally:
        client.close()
    running.state.failed("content/x.yaml:3:5: error: boom")
    running.state.css_changed()
    client = EventClient(running.port)
    try:
        assert client.next_event() == (
            "hello",
            {"build": 1, "css": 2, "error": "content/x.yaml:3:5: error: boom"},
        )
    finally:
        client.close()


def test_every_connected_page_gets_each_event_and_closed_streams_leave_nothing_behind(
    running: Running,
) -> None:
    wait_until(lambda: running.server.open_streams == 0, 60, "no open streams at the start")
    threads_before = threading.active_count()
    clients = [EventClient(running.port) for _ in range(10)]
    try:
        for client in clients:
            assert client.next_event()[0] == "hello"
        assert running.server.open_streams == 10
        running.state.page_built()
        for client in clients:
            assert client.next_event() == ("reload", {"build": 2, "pages": []})
        running.state.failed("content/x.yaml:1:1: error: broken")
        for client in clients:
            assert client.next_event() == ("failure", {"report": "content/x.yaml:1:1: error: broken"})
        running.state.css_changed()
        for client in clients:
            assert client.next_event() == ("css", {"css": 2})
        assert threading.active_count() >= threads_before + 10
    finally:
        for client in clients:
            client.close()
    wait_until(lambda: running.server.open_streams == 0, 60, "the server to notice the closed streams")
    wait_until(
        lambda: threading.active_count() <= threads_before,
        3,
        f"handler threads to end ({threading.active_count()} alive, {threads_before} before)",
    )


def test_a_closed_stream_is_noticed_without_any_event(running: Running) -> None:
    wait_until(lambda: running.server.open_streams == 0, 60, "no open streams at the start")
    client = EventClient(running.port)
    client.next_event()
    assert running.server.open_streams == 1
    client.close()
    wait_until(lambda: running.server.open_streams == 0, 60, "the closed stream to be noticed")


# -- malformed requests, the Host check and clients that hang up ---------------------------


def test_a_path_segment_longer_than_a_file_name_may_be_answers_404(running: Running, capfd) -> None:
    capfd.readouterr()
    for target in (
        "/" + "a" * 256 + "/",
        "/" + "a" * 300 + "/",
        "/" + "a" * 300,
        f"/{HANOI}/" + "b" * 1000 + ".html",
        "/" + "/".join(["c" * 250] * 40) + "/",  # every name fits, the whole path does not
        "/" + "%e2%82%ac" * 100 + "/",  # 300 bytes once decoded
    ):
        for method in ("GET", "HEAD"):
            request = f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
            response = exchange(running.port, request, head=method == "HEAD")
            assert response.status == 404, f"{method} {target[:40]}"
    assert b"Hanoi" in get(running.port, f"/{HANOI}/").body  # still serving
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize(
    "target",
    ["/%ff%fe", "/%ff%fe/", "/%00", "/a%00b/", "/%", "/%zz", "/%e2%82", "/\xff\xfe", "/\x7f", "/;/?#"],
)
def test_odd_encodings_in_the_path_answer_404(running: Running, capfd, target: str) -> None:
    assert get(running.port, target).status == 404
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize(
    "raw_path",
    [
        "",
        "*",
        "no-slash",
        "/\x00",
        "/" + "a" * 300,
        "/" + "a" * 100_000,
        "/%ff%fe",
        "/\ufffd\ufffd",
        "/\ud800",  # a lone surrogate: the file system cannot encode it
        "http://[::1/",
        "http://[x]/",
        "ftp://127.0.0.1/",
        "/loop",
        "/loop/",
        "/loop/x",
    ],
)
def test_resolve_request_never_raises(tmp_path: Path, raw_path: str) -> None:
    (tmp_path / "loop").symlink_to(tmp_path / "loop2")
    (tmp_path / "loop2").symlink_to(tmp_path / "loop")
    assert resolve_request(tmp_path, raw_path) == (None, False)


def test_a_request_line_over_64_kib_answers_414(running: Running, capfd) -> None:
    request = b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    assert exchange(running.port, request).status == 414
    assert get(running.port, "/").status == 200
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"this is not http\r\n\r\n",
        b"GARBAGE\r\n\r\n",
        b"\r\n\r\n",
        b"  \t \r\n\r\n",
        b"\x00\xff\xfe garbage \x01\r\n\r\n",
        b"GET / HTTP/x.y\r\nHost: 127.0.0.1\r\n\r\n",
        b"GET / HTTP\r\nHost: 127.0.0.1\r\n\r\n",
        b"GET relative/path HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        b"GET ftp://127.0.0.1/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        b"GET http://[::1/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: 127.0.0.1\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: local host\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: user@localhost\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: [::1\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: localhost:99999\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: localhost:port\r\n\r\n",
    ],
)
def test_malformed_requests_answer_400(running: Running, capfd, request_bytes: bytes) -> None:
    assert exchange(running.port, request_bytes).status == 400
    assert capfd.readouterr().err == ""


def test_an_http11_request_without_host_answers_400_but_http10_is_served(running: Running) -> None:
    assert get(running.port, "/", host=None).status == 400
    assert get(running.port, EVENTS_PATH, host=None).status == 400
    response = get(running.port, f"/{HANOI}/", host=None, version="HTTP/1.0")
    assert response.status == 200
    assert b"Hanoi, Vietnam" in response.body
    assert get(running.port, SCRIPT_PATH, host=None, version="HTTP/1.0").status == 200


BAD_HOSTS = [
    "evil.example",
    "evil.example:{port}",
    "127.0.0.1.evil.example",
    "127.0.0.1.evil.example:{port}",
    "localhost.evil.example",
    "localhost:{other}",
    "127.0.0.1:{other}",
    "[::1]:{other}",
    "[::2]:{port}",
    "127.0.0.2:{port}",
    "0.0.0.0:{port}",
    "",
]


@pytest.mark.parametrize("host", BAD_HOSTS)
def test_a_host_that_is_not_this_server_answers_403(running: Running, capfd, host: str) -> None:
    value = host.format(port=running.port, other=running.port + 1 if running.port < 65535 else 1)
    for target in ("/", f"/{HANOI}/", "/static/style.css", EVENTS_PATH, SCRIPT_PATH, "/no-such-page"):
        response = get(running.port, target, host=value)
        assert response.status == 403, f"{value} {target}"
        assert response.headers["content-type"] == "text/plain; charset=utf-8"
        assert b"not allowed" in response.body
        assert b"--host" in response.body
        assert b"Hanoi" not in response.body
        assert SCRIPT_PATH.encode() not in response.body
    head = exchange(running.port, f"HEAD / HTTP/1.1\r\nHost: {value}\r\n\r\n".encode(), head=True)
    assert head.status == 403
    http10 = get(running.port, "/", host=value, version="HTTP/1.0")
    assert http10.status == 403
    assert capfd.readouterr().err == ""


def test_an_absolute_target_naming_another_host_answers_403(running: Running) -> None:
    assert get(running.port, "http://evil.example/").status == 403
    assert get(running.port, f"http://evil.example:{running.port}{EVENTS_PATH}").status == 403
    response = get(running.port, f"http://127.0.0.1:{running.port}/{HANOI}/")
    assert response.status == 200
    assert b"Hanoi, Vietnam" in response.body


@pytest.mark.parametrize(
    "host",
    [
        "localhost",
        "localhost:{port}",
        "LocalHost:{port}",
        "127.0.0.1",
        "127.0.0.1:{port}",
        "[::1]",
        "[::1]:{port}",
    ],
)
def test_the_loopback_names_are_served(running: Running, host: str) -> None:
    value = host.format(port=running.port)
    page = get(running.port, f"/{HANOI}/", host=value)
    assert page.status == 200, value
    assert b"Hanoi, Vietnam" in page.body
    assert get(running.port, SCRIPT_PATH, host=value).status == 200
    events = EventClient(running.port, host=value)
    try:
        assert events.status == 200
        assert events.next_event()[0] == "hello"
    finally:
        events.close()


def test_allowed_hosts_add_the_host_option_name_and_no_other(layout: Layout) -> None:
    with serving(layout.out, allowed_hosts=("MyBox.Local", "::")) as running:
        port = running.port
        for host in (f"mybox.local:{port}", "MYBOX.LOCAL", f"[::]:{port}", f"localhost:{port}"):
            assert get(port, f"/{HANOI}/", host=host).status == 200, host
        for host in (
            "evil.example",
            f"mybox.local:{port + 1}",
            "other.local",
            f"mybox.local.evil.example:{port}",
        ):
            assert get(port, "/", host=host).status == 403, host


def test_clients_that_hang_up_early_leave_no_trace(running: Running, capfd) -> None:
    wait_until(lambda: running.server.open_streams == 0, 60, "no open streams at the start")
    threads_before = threading.active_count()
    capfd.readouterr()
    targets = [f"/{HANOI}/", "/static/style.css", EVENTS_PATH, "/" + "a" * 300, "/no-such-page"]
    for round_ in range(4):
        for target in targets:
            conn = socket.create_connection(("127.0.0.1", running.port), timeout=10)
            if round_ % 2:  # hang up with a reset: the server's next read or write fails
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
            conn.close()
    # half a request, then gone
    conn = socket.create_connection(("127.0.0.1", running.port), timeout=10)
    conn.sendall(b"GET / HTTP/1.1\r\nHo")
    conn.close()
    page = get(running.port, f"/{HANOI}/")
    assert page.status == 200
    assert b"Hanoi, Vietnam" in page.body
    wait_until(lambda: running.server.open_streams == 0, 60, "the server to notice the closed streams")
    wait_until(
        lambda: threading.active_count() <= threads_before,
        15,
        f"handler threads to end ({threading.active_count()} alive, {threads_before} before)",
    )
    assert get(running.port, "/").status == 200
    captured = capfd.readouterr()
    assert "Traceback" not in captured.err + captured.out
    assert captured.err == ""


def test_an_unexpected_error_is_one_line_on_stderr_and_a_500(
    running: Running, capfd, monkeypatch: pytest.MonkeyPatch
) -> None:
    capfd.readouterr()

    def broken(*args: object, **kwargs: object) -> bytes:
        raise RuntimeError("injected failure")

    monkeypatch.setattr("generator.serve.server.inject", broken)
    response = get(running.port, f"/{HANOI}/")
    assert response.status == 500
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert b"Traceback" not in response.body
    monkeypatch.undo()
    assert get(running.port, f"/{HANOI}/").status == 200
    err = capfd.readouterr().err
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert "RuntimeError: injected failure" in lines[0]
    assert f"/{HANOI}/" in lines[0]


def test_an_error_outside_the_handler_is_one_line_too(
    running: Running, capfd, monkeypatch: pytest.MonkeyPatch
) -> None:
    capfd.readouterr()

    def broken_setup(self: PreviewHandler) -> None:
        raise ValueError("setup failed")

    monkeypatch.setattr(PreviewHandler, "setup", broken_setup)
    with socket.create_connection(("127.0.0.1", running.port), timeout=10) as conn:
        conn.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert conn.recv(65536) == b""  # no handler, no answer: the connection is closed
    monkeypatch.undo()
    assert get(running.port, "/").status == 200
    err = wait_until(lambda: capfd.readouterr().err or None, 60, "the error line")
    assert isinstance(err, str)
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    assert "ValueError: setup failed" in err


# -- the commands, on a copy of the project --------------------------------------------------


@pytest.fixture
def project(project_copy: Path) -> Path:
    return project_copy


@dataclass
class Process:
    proc: subprocess.Popen[bytes]
    stdout: Path
    stderr: Path

    def out(self) -> str:
        return self.stdout.read_text(encoding="utf-8", errors="replace")

    def err(self) -> str:
        return self.stderr.read_text(encoding="utf-8", errors="replace")

    def interrupt(self, timeout: float = 60) -> int:
        self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(timeout=timeout)


@pytest.fixture
def launch(tmp_path: Path) -> Iterator[Callable[..., Process]]:
    started: list[Process] = []

    def start(project: Path, *args: str) -> Process:
        n = len(started)
        stdout, stderr = tmp_path / f"stdout-{n}.txt", tmp_path / f"stderr-{n}.txt"
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        with stdout.open("wb") as out, stderr.open("wb") as err:
            proc = subprocess.Popen(
                [sys.executable, "-m", "generator", *args, "--config", str(project / "config.yaml")],
                cwd=project,
                stdout=out,
                stderr=err,
                env=env,
            )
        process = Process(proc, stdout, stderr)
        started.append(process)
        return process

    try:
        yield start
    finally:
        for process in started:
            if process.proc.poll() is None:
                process.proc.kill()
                process.proc.wait(timeout=60)


def answers(port: int, target: str = "/") -> bool:
    try:
        return raw_request(port, target, timeout=30).status == 200
    except OSError:
        return False


def test_serve_on_a_port_in_use_exits_1_and_suggests_another(
    project: Path, launch: Callable[..., Process]
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        process = launch(project, "serve", "--port", str(port))
        code = process.proc.wait(timeout=30)
    assert code == 1
    assert "--port" in process.err()
    assert str(port) in process.err()
    assert "Traceback" not in process.err() + process.out()
    assert not (project / "site").exists()


def test_sigint_stops_serve_cleanly(project: Path, launch: Callable[..., Process]) -> None:
    port = free_port()
    process = launch(project, "serve", "--port", str(port))
    wait_until(lambda: answers(port, f"/{HANOI}/") or process.proc.poll() is not None, 60, "the server")
    assert process.proc.poll() is None, process.err()
    served = raw_request(port, f"/{HANOI}/").body
    assert SCRIPT_PATH.encode() in served
    assert f"http://127.0.0.1:{port}/" in process.out()
    assert PREVIEW_FOLDER.as_posix() in process.out()
    on_disk = [p for p in (project / PREVIEW_FOLDER).rglob("*") if p.is_file()]
    assert on_disk
    assert not [p for p in on_disk if b"__briefing" in p.read_bytes()]
    assert process.interrupt() == 0, process.err()
    assert "stopped" in process.out()
    assert "Traceback" not in process.err()
    assert not answers(port)


#: The published address the preview tests give the copy of the project, so that a page
#: built for publication cannot be mistaken for one built for the preview.
PUBLISHED = "https://example.org/briefing/"


def tree_digest(folder: Path) -> dict[str, str]:
    """Every entry below `folder` (hidden ones and the search bundle included) by relative
    path: a file with the digest of its bytes, a folder with '/'."""
    found = {}
    for path in sorted(folder.rglob("*")):
        digest = "/" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
        found[path.relative_to(folder).as_posix()] = digest
    return found


def publish_at(project: Path, base_url: str) -> None:
    """Set the copy's base_url in config.yaml (its only base_url line)."""
    config = project / "config.yaml"
    lines = config.read_text(encoding="utf-8").splitlines(keepends=True)
    at = [n for n, line in enumerate(lines) if line.startswith("base_url:")]
    assert len(at) == 1, "config.yaml should have one base_url line"
    lines[at[0]] = f"base_url: {base_url}\n"
    config.write_text("".join(lines), encoding="utf-8")


def served_body(port: int, target: str) -> bytes:
    """The body served at `target`, or b'' while the server does not answer 200."""
    try:
        response = raw_request(port, target, timeout=30)
    except OSError:
        return b""
    return response.body if response.status == 200 else b""


def test_a_preview_session_leaves_the_built_site_byte_for_byte_as_it_was(
    project: Path, launch: Callable[..., Process]
) -> None:
    publish_at(project, PUBLISHED)
    build = launch(project, "build")
    assert build.proc.wait(timeout=300) == 0, build.err()
    site = project / "site"
    before = tree_digest(site)
    assert f"{HANOI}/index.html" in before and "sitemap.xml" in before
    beside = sorted(p.name for p in project.iterdir())  # no staging or retired folders appear
    published_page = f'<link rel="canonical" href="{PUBLISHED}{HANOI}/">'
    assert published_page in (site / HANOI / "index.html").read_text(encoding="utf-8")

    port = free_port()
    local = f"http://127.0.0.1:{port}/"
    process = launch(project, "serve", "--port", str(port))
    wait_until(lambda: served_body(port, f"/{HANOI}/") or process.proc.poll() is not None, 60, "the server")
    assert process.proc.poll() is None, process.err()
    page = served_body(port, f"/{HANOI}/").decode()
    assert f'<link rel="canonical" href="{local}{HANOI}/">' in page
    assert PUBLISHED not in page
    sitemap = served_body(port, "/sitemap.xml").decode()
    assert f"<loc>{local}{HANOI}/</loc>" in sitemap and PUBLISHED not in sitemap
    yaml_file = project / "content" / "summits" / "hanoi-2019.yaml"
    text = yaml_file.read_text(encoding="utf-8")
    assert "place: Hanoi, Vietnam\n" in text
    yaml_file.write_text(text.replace("place: Hanoi, Vietnam\n", "place: Hanoi, edited while previewing\n"))
    wait_until(
        lambda: (
            b"Hanoi, edited while previewing" in served_body(port, f"/{HANOI}/")
            or process.proc.poll() is not None
        ),
        60,
        "the served page to show the edit",
    )
    assert process.proc.poll() is None, process.err()
    assert process.interrupt() == 0, process.err()
    assert "Traceback" not in process.err()

    after = tree_digest(site)
    assert after.keys() == before.keys()
    assert [name for name in before if before[name] != after[name]] == []
    assert sorted(p.name for p in project.iterdir()) == beside
    assert published_page in (site / HANOI / "index.html").read_text(encoding="utf-8")
    assert "Hanoi, edited while previewing" not in (site / HANOI / "index.html").read_text(encoding="utf-8")
    assert f"<loc>{PUBLISHED}{HANOI}/</loc>" in (site / "sitemap.xml").read_text(encoding="utf-8")
    preview = project / PREVIEW_FOLDER
    assert "Hanoi, edited while previewing" in (preview / HANOI / "index.html").read_text(encoding="utf-8")


def test_serve_in_a_project_never_built_leaves_no_site_behind(
    project: Path, launch: Callable[..., Process]
) -> None:
    assert not (project / "site").exists()
    beside = sorted(p.name for p in project.iterdir())
    port = free_port()
    process = launch(project, "serve", "--port", str(port))
    wait_until(lambda: answers(port, f"/{HANOI}/") or process.proc.poll() is not None, 60, "the server")
    assert process.proc.poll() is None, process.err()
    assert process.interrupt() == 0, process.err()
    assert not (project / "site").exists()
    # Only the cache folder is new: no site, no staging or retired folders beside it.
    assert sorted(p.name for p in project.iterdir()) == sorted([*beside, ".cache"])
    assert (project / PREVIEW_FOLDER / HANOI / "index.html").is_file()


def test_serve_refuses_out_and_points_to_build(project: Path, launch: Callable[..., Process]) -> None:
    process = launch(project, "serve", "--port", str(free_port()), "--out", "site")
    assert process.proc.wait(timeout=60) == 1
    err = process.err()
    assert "--out" in err and PREVIEW_FOLDER.as_posix() in err and "briefing build --out" in err
    assert "Traceback" not in err
    assert not (project / "site").exists() and not (project / PREVIEW_FOLDER).exists()


def test_build_watch_rebuilds_the_page_after_an_edit(project: Path, launch: Callable[..., Process]) -> None:
    process = launch(project, "build", "--watch")
    wait_until(lambda: "watching" in process.out() or process.proc.poll() is not None, 60, "the first build")
    assert process.proc.poll() is None, process.err()
    page = project / "site" / HANOI / "index.html"
    assert "Hanoi, Vietnam" in page.read_text(encoding="utf-8")
    yaml_file = project / "content" / "summits" / "hanoi-2019.yaml"
    text = yaml_file.read_text(encoding="utf-8")
    assert "place: Hanoi, Vietnam\n" in text
    yaml_file.write_text(text.replace("place: Hanoi, Vietnam\n", "place: Hanoi, edited by the watch test\n"))
    wait_until(
        lambda: "Hanoi, edited by the watch test" in read_text(page),
        60,
        "the page on disk to show the edit",
    )
    assert process.interrupt() == 0, process.err()
    assert "stopped" in process.out()
    assert "Traceback" not in process.err()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="127.0.0.2 is a loopback address on Linux")
def test_serve_answers_to_the_name_given_to_host_and_refuses_others(
    project: Path, launch: Callable[..., Process]
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.2", 0))
        port = probe.getsockname()[1]
    process = launch(project, "serve", "--host", "127.0.0.2", "--port", str(port))

    def ask(host: str, target: str = f"/{HANOI}/") -> Response:
        request = f"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
        return exchange(port, request, address="127.0.0.2")

    def up() -> bool:
        try:
            return ask(f"127.0.0.2:{port}").status == 200
        except OSError:
            return process.proc.poll() is not None

    wait_until(up, 60, "the server on 127.0.0.2")
    assert process.proc.poll() is None, process.err()
    assert b"Hanoi, Vietnam" in ask(f"127.0.0.2:{port}").body
    assert ask(f"localhost:{port}").status == 200
    refused = ask("evil.example", EVENTS_PATH)
    assert refused.status == 403
    assert b"127.0.0.2" in refused.body
    assert ask(f"127.0.0.3:{port}").status == 403
    assert process.interrupt() == 0, process.err()
    assert "Traceback" not in process.err()
