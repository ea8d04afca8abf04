"""Build output: the progress bar (long builds, terminals only), plain lines elsewhere,
and the summary table."""

from __future__ import annotations

import io

import pytest

from generator.progress import Progress, is_interactive, summary_table


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def run(progress: Progress, clock: FakeClock, total: int, seconds_per_file: float) -> None:
    for done in range(1, total + 1):
        clock.now += seconds_per_file
        progress(done, total)
    progress.finish()


def test_a_short_build_shows_no_progress() -> None:
    for interactive in (True, False):
        stream, clock = io.StringIO(), FakeClock()
        run(Progress(stream, interactive, clock), clock, total=100, seconds_per_file=0.005)
        assert stream.getvalue() == ""


def test_a_long_build_on_a_terminal_draws_a_bar_and_clears_it() -> None:
    stream, clock = io.StringIO(), FakeClock()
    run(Progress(stream, True, clock), clock, total=400, seconds_per_file=0.01)
    out = stream.getvalue()
    assert "\r\033[Krendering " in out
    assert "400/400 files" in out
    assert "\n" not in out, "a bar redraws one line"
    assert out.endswith("\r\033[K"), "the bar is cleared before the summary"
    assert out.count("\r\033[Krendering") < 60, "redrawn at most ten times a second"


def test_a_long_build_elsewhere_prints_plain_lines() -> None:
    stream, clock = io.StringIO(), FakeClock()
    run(Progress(stream, False, clock), clock, total=400, seconds_per_file=0.02)
    lines = stream.getvalue().splitlines()
    assert "\033" not in stream.getvalue()
    # nothing in the first second (50 files), then a line at each quarter
    assert lines == [f"rendered {n} of 400 files" for n in (100, 200, 300, 400)]


def test_only_a_real_terminal_outside_ci_is_interactive(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    assert is_interactive(Terminal())
    assert not is_interactive(io.StringIO())
    monkeypatch.setenv("CI", "true")
    assert not is_interactive(Terminal())
    monkeypatch.delenv("CI")
    monkeypatch.setenv("TERM", "dumb")
    assert not is_interactive(Terminal())


def test_the_summary_table_lists_pages_citations_files_and_stages() -> None:
    table = summary_table(
        {"summit": 4, "source": 3, "other": 9},
        238,
        written=5,
        unchanged=40,
        removed=1,
        seconds={"load": 0.25, "render, write": 1.5},
    )
    rows = [line.split() for line in table.splitlines()]
    assert ["summit", "pages", "4"] in rows
    assert ["source", "pages", "3"] in rows
    assert ["citations", "verified", "238"] in rows
    assert ["files", "written", "5"] in rows
    assert ["files", "unchanged", "40"] in rows
    assert ["files", "removed", "1"] in rows
    assert ["load", "250", "ms"] in rows
    assert ["render,", "write", "1.50", "s"] in rows
    assert ["total", "1.75", "s"] in rows
    # one column of figures, right-aligned
    ends = {len(line) for line in table.splitlines() if line}
    assert len(ends) == 1
