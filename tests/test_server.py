"""The preview server over real sockets on 127.0.0.1: path safety, content types, the
injected reload script and error overlay, server-sent events, and the `serve` and
`build --watch` commands run as subprocesses on a copy of the project.

Requests that must reach the server unnormalised (`..`, encoded and backslash forms) are
written on raw sockets: urllib and requests would resolve `..` before sending.
"""

from __future__ import annotations

import html
import json
import os
import signal
import socket
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
from generator.serve.server import EVENTS_PATH, SCRIPT_PATH, PreviewServer, PreviewState

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


def raw_request(port: int, target: str, method: str = "GET", timeout: float = 5.0) -> Response:
    """Send `target` byte for byte (no normalisation) and read the whole answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        conn.sendall(f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Response(int(status_line.split()[1]), headers, body)


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


@pytest.fixture
def running(layout: Layout) -> Iterator[Running]:
    state = PreviewState()
    server = PreviewServer(("127.0.0.1", 0), layout.out, state)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield Running(server, state, server.server_address[1], layout.out)
    finally:
        state.stop()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


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

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.sock.sendall(f"GET {EVENTS_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
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
    wait_until(lambda: running.server.open_streams == 0, 3, "no open streams at the start")
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
    wait_until(lambda: running.server.open_streams == 0, 3, "the server to notice the closed streams")
    wait_until(
        lambda: threading.active_count() <= threads_before,
        3,
        f"handler threads to end ({threading.active_count()} alive, {threads_before} before)",
    )


def test_a_closed_stream_is_noticed_without_any_event(running: Running) -> None:
    wait_until(lambda: running.server.open_streams == 0, 3, "no open streams at the start")
    client = EventClient(running.port)
    client.next_event()
    assert running.server.open_streams == 1
    client.close()
    wait_until(lambda: running.server.open_streams == 0, 3, "the closed stream to be noticed")


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

    def interrupt(self, timeout: float = 10) -> int:
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
                process.proc.wait(timeout=5)


def answers(port: int, target: str = "/") -> bool:
    try:
        return raw_request(port, target, timeout=1).status == 200
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
    wait_until(lambda: answers(port, f"/{HANOI}/") or process.proc.poll() is not None, 20, "the server")
    assert process.proc.poll() is None, process.err()
    served = raw_request(port, f"/{HANOI}/").body
    assert SCRIPT_PATH.encode() in served
    assert f"http://127.0.0.1:{port}/" in process.out()
    on_disk = [p for p in (project / "site").rglob("*") if p.is_file()]
    assert on_disk
    assert not [p for p in on_disk if b"__briefing" in p.read_bytes()]
    assert process.interrupt() == 0, process.err()
    assert "stopped" in process.out()
    assert "Traceback" not in process.err()
    assert not answers(port)


def test_build_watch_rebuilds_the_page_after_an_edit(project: Path, launch: Callable[..., Process]) -> None:
    process = launch(project, "build", "--watch")
    wait_until(lambda: "watching" in process.out() or process.proc.poll() is not None, 20, "the first build")
    assert process.proc.poll() is None, process.err()
    page = project / "site" / HANOI / "index.html"
    assert "Hanoi, Vietnam" in page.read_text(encoding="utf-8")
    yaml_file = project / "content" / "summits" / "hanoi-2019.yaml"
    text = yaml_file.read_text(encoding="utf-8")
    assert "place: Hanoi, Vietnam\n" in text
    yaml_file.write_text(text.replace("place: Hanoi, Vietnam\n", "place: Hanoi, edited by the watch test\n"))
    wait_until(
        lambda: "Hanoi, edited by the watch test" in read_text(page),
        5,
        "the page on disk to show the edit",
    )
    assert process.interrupt() == 0, process.err()
    assert "stopped" in process.out()
    assert "Traceback" not in process.err()
