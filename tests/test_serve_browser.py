"""Live reload in a real browser: `briefing serve` on a copy of the project, Debian's
Chromium driven by Playwright, and the copy edited on disk the ways editors save.

The tests never call `page.reload()`: every change must reach the page by itself.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import copy_project
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from generator.serve.preview import PREVIEW_FOLDER

ROOT = Path(__file__).resolve().parents[1]
HANOI_YAML = "content/summits/hanoi-2019.yaml"
HANOI_PAGE = "/summits/hanoi-2019/"
#: The most a change may take to show in the page (watch, rebuild, event, reload). An
#: upper bound for a busy machine, not a wait: every wait ends as soon as its condition holds.
SHOWS_WITHIN_MS = 60_000
#: The most `briefing serve` may take to start (first build included) and to stop.
STARTS_WITHIN_S = 90
STOPS_WITHIN_S = 60
SECRET = b"TOP-SECRET-browser-5d1e"
SERVE = [sys.executable, "-m", "generator", "serve"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
            conn.sendall(b"HEAD / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            return conn.recv(12).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


# -- the browser ----------------------------------------------------------------------------

#: Runs before the page's own scripts: records the state of the live-reload event stream
#: (reload.js keeps its EventSource to itself), so a test can wait until the page is
#: connected and has handled the server's "hello" before it changes anything on disk.
WATCH_EVENT_STREAM = """
(() => {
  const Native = window.EventSource;
  if (!Native) return;
  const stream = (window.__briefingStream = { source: null, hellos: 0 });
  window.EventSource = class extends Native {
    constructor(url, init) {
      super(url, init);
      if (!String(url).includes("/__briefing/events")) return;
      stream.source = this;
      this.addEventListener("hello", () => { stream.hellos += 1; });
    }
  };
})();
"""
#: The page is loaded and its event stream is open and has said hello.
STREAM_READY = """() => {
  const stream = window.__briefingStream;
  return document.readyState === "complete" && !!stream && !!stream.source
    && stream.source.readyState === EventSource.OPEN && stream.hellos > 0;
}"""


# -- `briefing serve` on a copy of the project ------------------------------------------------


@dataclass
class Served:
    project: Path
    port: int
    proc: subprocess.Popen[bytes]
    stderr: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def path(self, relative: str) -> Path:
        return self.project / relative

    def edit(self, relative: str, old: str, new: str) -> None:
        """Replace `old` (which must be there) by `new` in a project file, in place."""
        file = self.path(relative)
        text = file.read_text(encoding="utf-8")
        assert old in text, f"{relative} does not contain {old!r}"
        file.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    project = copy_project(tmp_path / "project")
    port = free_port()
    stdout, stderr = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        proc = subprocess.Popen(
            [*SERVE, "--port", str(port), "--config", str(project / "config.yaml")],
            cwd=project,
            stdout=out,
            stderr=err,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    try:
        # Ready once it says so (after the first build, just before it serves), and answers.
        deadline = time.monotonic() + STARTS_WITHIN_S
        while "serving " not in stdout.read_text(encoding="utf-8", errors="replace"):
            assert proc.poll() is None, f"serve exited early: {stderr.read_text()}"
            assert time.monotonic() < deadline, f"serve did not say 'serving' within {STARTS_WITHIN_S} s"
            time.sleep(0.05)
        while not answers(port):
            assert proc.poll() is None, f"serve exited early: {stderr.read_text()}"
            assert time.monotonic() < deadline, f"serve did not answer within {STARTS_WITHIN_S} s"
            time.sleep(0.05)
        yield Served(project, port, proc, stderr)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=STOPS_WITHIN_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=STOPS_WITHIN_S)


@pytest.fixture
def page(browser: Browser, served: Served) -> Iterator[Page]:
    context = browser.new_context()
    context.set_default_timeout(SHOWS_WITHIN_MS)
    context.add_init_script(WATCH_EVENT_STREAM)
    try:
        opened = context.new_page()
        yield opened
    finally:
        context.close()


def open_page(page: Page, served: Served, path: str) -> None:
    """Open `path` and wait until its event stream is connected and the page has handled
    the server's "hello" (so no change slips by)."""
    with page.expect_response(lambda r: "/__briefing/events" in r.url, timeout=SHOWS_WITHIN_MS) as stream:
        page.goto(served.base + path, wait_until="load")
    assert stream.value.status == 200
    wait_until_connected(page)


def wait_until_connected(page: Page) -> None:
    """Wait until the page (after any reload) is loaded and its event stream is open."""
    page.wait_for_function(STREAM_READY, timeout=SHOWS_WITHIN_MS)


def dd_after(page: Page, label: str) -> str:
    return page.locator(f"dt:text-is('{label}') + dd").first.inner_text()


# -- tests ----------------------------------------------------------------------------------


def test_an_edit_shows_in_the_open_page_by_itself(page: Page, served: Served) -> None:
    open_page(page, served, HANOI_PAGE)
    assert dd_after(page, "Place") == "Hanoi, Vietnam"
    served.edit(HANOI_YAML, "place: Hanoi, Vietnam\n", "place: Hanoi, edited in the browser test\n")
    expect(page.locator("dt:text-is('Place') + dd")).to_have_text(
        "Hanoi, edited in the browser test", timeout=SHOWS_WITHIN_MS
    )
    wait_until_connected(page)  # the reloaded page
    served.edit(HANOI_YAML, "duration: two days\n", "duration: two long days\n")
    expect(page.locator("dt:text-is('Duration') + dd")).to_have_text("two long days", timeout=SHOWS_WITHIN_MS)


def test_a_broken_file_shows_an_overlay_naming_it_until_fixed(page: Page, served: Served) -> None:
    open_page(page, served, HANOI_PAGE)
    lines = served.path(HANOI_YAML).read_text(encoding="utf-8").splitlines()
    status_line = lines.index("status: held") + 1
    served.edit(HANOI_YAML, "status: held\n", "status: maybe-later\n")
    overlay = page.locator("#briefing-error-overlay")
    expect(overlay).to_be_visible(timeout=SHOWS_WITHIN_MS)
    expect(overlay).to_contain_text(f"{HANOI_YAML}:{status_line}", timeout=SHOWS_WITHIN_MS)
    expect(overlay).to_contain_text("status", timeout=SHOWS_WITHIN_MS)
    # a syntax error replaces the report
    served.edit(HANOI_YAML, "place: Hanoi, Vietnam\n", "place: [Hanoi, Vietnam\n")
    expect(overlay).to_contain_text(HANOI_YAML, timeout=SHOWS_WITHIN_MS)
    expect(overlay).not_to_contain_text("maybe-later", timeout=SHOWS_WITHIN_MS)
    text = served.path(HANOI_YAML).read_text(encoding="utf-8")
    served.path(HANOI_YAML).write_text(
        text.replace("status: maybe-later\n", "status: held\n").replace(
            "place: [Hanoi, Vietnam\n", "place: Hanoi, fixed after the error\n"
        ),
        encoding="utf-8",
    )
    expect(page.locator("dt:text-is('Place') + dd")).to_have_text(
        "Hanoi, fixed after the error", timeout=SHOWS_WITHIN_MS
    )
    expect(overlay).to_have_count(0, timeout=SHOWS_WITHIN_MS)


def test_a_fix_back_to_the_last_good_content_clears_the_overlay(page: Page, served: Served) -> None:
    open_page(page, served, HANOI_PAGE)
    served.edit(HANOI_YAML, "status: held\n", "status: maybe-later\n")
    overlay = page.locator("#briefing-error-overlay")
    expect(overlay).to_contain_text(HANOI_YAML, timeout=SHOWS_WITHIN_MS)
    page.evaluate("window.__marker = 1")
    served.edit(HANOI_YAML, "status: maybe-later\n", "status: held\n")
    expect(overlay).to_have_count(0, timeout=SHOWS_WITHIN_MS)
    assert dd_after(page, "Place") == "Hanoi, Vietnam"
    # the same pages as before the error: the overlay goes without reloading the page
    assert page.evaluate("window.__marker") == 1


def test_rename_and_delete_create_saves_show_the_final_text(page: Page, served: Served) -> None:
    open_page(page, served, HANOI_PAGE)
    target = served.path(HANOI_YAML)
    folder = target.parent
    original = target.read_text(encoding="utf-8")
    assert "place: Hanoi, Vietnam\n" in original
    place = page.locator("dt:text-is('Place') + dd")

    # vim / JetBrains: probe file, swap file, temporary file renamed over the original
    swap = folder / ".hanoi-2019.yaml.swp"
    swap.write_bytes(b"b0VIM 9.0\x00")
    probe = folder / "4913"
    probe.write_bytes(b"")
    probe.unlink()
    temporary = folder / "hanoi-2019.yaml___jb_tmp___"
    temporary.write_text(original.replace("place: Hanoi, Vietnam\n", "place: Hanoi, renamed over\n"))
    os.replace(temporary, target)
    swap.unlink()
    expect(place).to_have_text("Hanoi, renamed over", timeout=SHOWS_WITHIN_MS)
    wait_until_connected(page)  # the reloaded page

    # delete, then create again
    text = target.read_text(encoding="utf-8")
    target.unlink()
    target.write_text(text.replace("place: Hanoi, renamed over\n", "place: Hanoi, deleted and created\n"))
    expect(place).to_have_text("Hanoi, deleted and created", timeout=SHOWS_WITHIN_MS)
    expect(page.locator("#briefing-error-overlay")).to_have_count(0, timeout=SHOWS_WITHIN_MS)


@pytest.mark.parametrize("restoration", ["auto", "manual"])
def test_the_scroll_position_survives_a_reload(page: Page, served: Served, restoration: str) -> None:
    page.set_viewport_size({"width": 1000, "height": 700})
    open_page(page, served, "/sources/chatham-house-alliances/")
    # With "manual", Chromium does not restore the position itself: only the reload script can.
    page.evaluate(f"history.scrollRestoration = '{restoration}'")
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height > 3000, "the page should be long enough to scroll"
    page.evaluate("window.scrollTo(0, 1800)")
    page.wait_for_function("window.scrollY === 1800", timeout=SHOWS_WITHIN_MS)
    page.evaluate("window.__marker = 1")
    served.edit("config.yaml", "title: US–North Korea Summit Diplomacy", "title: Scroll Test Briefing")
    expect(page.locator(".site-title")).to_have_text("Scroll Test Briefing", timeout=SHOWS_WITHIN_MS)
    page.wait_for_function("document.readyState === 'complete'", timeout=SHOWS_WITHIN_MS)
    assert page.evaluate("window.__marker") is None, "the page should have been reloaded"
    # The position is restored on "load" (by the script) or just after (by Chromium): wait
    # for it, then check it, so a page that never gets back there still fails.
    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_function("Math.abs(window.scrollY - 1800) <= 5", timeout=SHOWS_WITHIN_MS)
    assert abs(page.evaluate("window.scrollY") - 1800) <= 5


def test_a_stylesheet_change_applies_without_a_reload(page: Page, served: Served) -> None:
    open_page(page, served, HANOI_PAGE)
    assert page.evaluate("getComputedStyle(document.body).outlineColor") != "rgb(1, 2, 3)"
    page.evaluate("window.__marker = 1")
    css = served.path("templates/static/style.css")
    css.write_text(css.read_text(encoding="utf-8") + "\nbody { outline: 3px solid rgb(1, 2, 3); }\n")
    page.wait_for_function(
        "getComputedStyle(document.body).outlineColor === 'rgb(1, 2, 3)'", timeout=SHOWS_WITHIN_MS
    )
    assert page.evaluate("window.__marker") == 1, "the page was reloaded instead of swapping the stylesheet"
    # each stylesheet was swapped, not added: still the search box's and the site's (the old
    # <link> goes once the new one has loaded, a moment after the new rules apply)
    expect(page.locator('link[rel="stylesheet"]')).to_have_count(2, timeout=SHOWS_WITHIN_MS)
    assert page.evaluate("window.__marker") == 1, "the page was reloaded instead of swapping the stylesheet"


@pytest.mark.parametrize(
    "target",
    [
        "/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "/%2e%2e%2f%2e%2e%2fsecret.txt",
        "/%252e%252e/secret.txt",
        "/..%5csecret.txt",
        "/%5c..%5c..%5cetc%5cpasswd",
        "/..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
        "/site/../secret.txt",
    ],
)
def test_traversal_through_the_browsers_request_context_answers_404(
    page: Page, served: Served, target: str
) -> None:
    # Beside the served preview folder (.cache/briefing/preview/), at the project root, and
    # in a built site/: each is one or more `..` away from what is served.
    preview = served.project / PREVIEW_FOLDER
    for folder in (preview.parent, served.project, served.project / "site"):
        folder.mkdir(exist_ok=True)
        (folder / "secret.txt").write_bytes(SECRET)
    response = page.request.get(served.base + target)
    assert response.status == 404, target
    body = response.body()
    assert SECRET not in body
    assert b"root:x:0:0" not in body
