"""The command line, run as a user runs it: `python -m generator build ...` from the
project root, into temporary folders, never into the project's own `site/`."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CONTENT, ROOT, snapshot

from generator import __version__

SUMMARY = re.compile(
    r"^built (\d+) pages from (\d+) summaries and (\d+) sources, (\d+) citations verified, "
    r"into (.+)/ in \d+ ms",
)


def briefing(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_clean_failure(run: subprocess.CompletedProcess[str]) -> None:
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr + run.stdout
    assert run.stdout == ""


def leftovers(parent: Path) -> list[str]:
    """Staging or retired output folders the writer may have left beside its output."""
    return sorted(p.name for p in parent.iterdir() if ".staging-" in p.name or ".old-" in p.name)


@pytest.fixture
def broken_content(tmp_path: Path) -> tuple[Path, int, int]:
    """A copy of the content with an unknown key in one file and a misquote in another.

    Returns the folder and the lines of the two mistakes.
    """
    copy = tmp_path / "content"
    shutil.copytree(CONTENT, copy)
    hanoi = copy / "summits" / "hanoi-2019.yaml"
    lines = hanoi.read_text(encoding="utf-8").splitlines(keepends=True)
    place = next(i for i, line in enumerate(lines) if line.startswith("place:"))
    lines.insert(place + 1, "venue: Hanoi, Vietnam\n")
    hanoi.write_text("".join(lines), encoding="utf-8")
    bolton = copy / "stakeholders" / "john-bolton.yaml"
    text = bolton.read_text(encoding="utf-8")
    good = "quote: 'A prime suspect in sabotaging the Hanoi summit by convincing the president'"
    assert good in text
    text = text.replace(
        good, "quote: 'A prime suspect in wrecking the Hanoi summit by convincing the president'"
    )
    bolton.write_text(text, encoding="utf-8")
    quote_line = text[: text.index("wrecking")].count("\n") + 1
    return copy, place + 2, quote_line


def test_version() -> None:
    run = briefing("--version")
    assert run.returncode == 0
    assert run.stdout.strip() == f"briefing {__version__}"


def test_build_prints_a_summary_and_exits_0(tmp_path: Path) -> None:
    out = tmp_path / "site"
    run = briefing("build", "--out", out)
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    match = SUMMARY.match(run.stdout.strip())
    assert match, f"unexpected summary: {run.stdout!r}"
    pages, summaries, sources, citations, shown = match.groups()
    assert int(pages) == len(list(out.rglob("*.html"))) >= 40
    assert int(summaries) == sum(
        len(list((CONTENT / k).glob("*.yaml"))) for k in ("summits", "proposals", "stakeholders")
    )
    assert int(sources) == len(list((CONTENT / "sources").glob("*.yaml")))
    assert int(citations) >= 60
    assert Path(shown).resolve() == out.resolve()
    assert (out / "summits" / "hanoi-2019" / "index.html").is_file()
    assert leftovers(tmp_path) == []


def test_base_url_option_sets_canonical_links(tmp_path: Path) -> None:
    out = tmp_path / "site"
    run = briefing("build", "--out", out, "--base-url", "https://example.org/repo/")
    assert run.returncode == 0, run.stderr
    page = (out / "summits" / "hanoi-2019" / "index.html").read_text(encoding="utf-8")
    assert '<link rel="canonical" href="https://example.org/repo/summits/hanoi-2019/">' in page
    assert 'href="/repo/static/style.css"' in (out / "404.html").read_text(encoding="utf-8")


def test_broken_content_reports_every_problem_with_position_and_hint(
    tmp_path: Path, broken_content: tuple[Path, int, int]
) -> None:
    content, key_line, quote_line = broken_content
    out = tmp_path / "site"
    run = briefing("build", "--content", content, "--out", out)
    assert_clean_failure(run)
    lines = run.stderr.splitlines()
    problems = [i for i, line in enumerate(lines) if re.match(r"^\S.*:\d+:\d+: error: ", line)]
    assert len(problems) == 2, run.stderr
    key = next(i for i in problems if "unknown key 'venue'" in lines[i])
    assert re.match(
        rf"^\S*summits/hanoi-2019\.yaml:{key_line}:1: error: unknown key 'venue' \[BRF010 unknown-key\]$",
        lines[key],
    )
    assert lines[key + 1].startswith("    hint: ") and "allowed keys" in lines[key + 1]
    quote = next(i for i in problems if "quote not found" in lines[i])
    assert re.match(
        rf"^\S*stakeholders/john-bolton\.yaml:{quote_line}:\d+: "
        r"error: quote not found in source 'wit-dmz-meeting' \[BRF024 quote-not-found\]$",
        lines[quote],
    )
    assert lines[quote + 1].startswith("    hint: ") and "closest passage" in lines[quote + 1]
    assert "sabotaging the Hanoi summit" in lines[quote + 1]
    assert lines[-1].startswith("build failed: 2 problems")
    assert not out.exists(), "a failed build must not create its output directory"
    assert leftovers(tmp_path) == []


def test_failed_build_leaves_the_previous_site_untouched(
    tmp_path: Path, broken_content: tuple[Path, int, int]
) -> None:
    parent = tmp_path / "published"
    parent.mkdir()
    out = parent / "site"
    good = briefing("build", "--out", out)
    assert good.returncode == 0, good.stderr
    before = snapshot(out)
    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    content, _, _ = broken_content
    run = briefing("build", "--content", content, "--out", out)
    assert_clean_failure(run)
    assert "the output directory was left as it was" in run.stderr
    after = snapshot(out)
    assert sorted(after) == sorted(before)
    assert after == before
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == mtimes
    assert sorted(p.name for p in parent.iterdir()) == ["site"], "staging folders left beside the output"


def test_successful_rebuild_replaces_the_site_and_cleans_up(tmp_path: Path) -> None:
    parent = tmp_path / "published"
    out = parent / "site"
    assert briefing("build", "--out", out).returncode == 0
    stale = out / "summits" / "old-summit" / "index.html"
    stale.parent.mkdir()
    stale.write_text("left over", encoding="utf-8")
    run = briefing("build", "--out", out)
    assert run.returncode == 0, run.stderr
    assert "0 written" in run.stdout
    assert not stale.exists(), "a file the build did not produce survived the rebuild"
    assert sorted(p.name for p in parent.iterdir()) == ["site"]


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    """A private copy of the content, so that nobody else's edits can disturb the check."""
    copy = tmp_path / "content"
    shutil.copytree(CONTENT, copy)
    return copy


def test_refuses_to_write_over_the_project_root(content_copy: Path) -> None:
    config_before = (ROOT / "config.yaml").read_bytes()
    content_before = snapshot(content_copy)
    staging_before = leftovers(ROOT.parent)
    run = briefing("build", "--content", content_copy, "--out", ".")
    assert_clean_failure(run)
    assert "refusing to write the site over" in run.stderr
    assert "hint: " in run.stderr
    assert (ROOT / "config.yaml").read_bytes() == config_before
    assert snapshot(content_copy) == content_before
    assert leftovers(ROOT.parent) == staging_before
    assert leftovers(ROOT) == []
    assert (ROOT / "generator" / "build.py").is_file()
    assert not (ROOT / ".briefing-manifest.json").exists()


def test_refuses_to_write_over_the_content_folder(content_copy: Path) -> None:
    before = snapshot(content_copy)
    run = briefing("build", "--content", content_copy, "--out", content_copy)
    assert_clean_failure(run)
    assert "refusing to write the site over" in run.stderr and "content" in run.stderr
    assert "hint: " in run.stderr
    assert snapshot(content_copy) == before
    assert sorted(p.name for p in content_copy.parent.iterdir()) == ["content"]


def test_refuses_to_write_inside_the_content_folder(content_copy: Path) -> None:
    before = snapshot(content_copy)
    run = briefing("build", "--content", content_copy, "--out", content_copy / "site")
    assert_clean_failure(run)
    assert "refusing to write the site" in run.stderr
    assert snapshot(content_copy) == before
    assert not (content_copy / "site").exists()


def test_refuses_a_non_empty_foreign_folder(tmp_path: Path) -> None:
    foreign = tmp_path / "documents"
    (foreign / "drafts").mkdir(parents=True)
    (foreign / "notes.txt").write_text("my notes\n", encoding="utf-8")
    (foreign / "drafts" / "letter.md").write_bytes(b"# Dear ...\n")
    before = snapshot(foreign)
    run = briefing("build", "--out", foreign)
    assert_clean_failure(run)
    assert "not empty and was not created by briefing" in run.stderr
    assert "hint: " in run.stderr
    assert snapshot(foreign) == before
    assert sorted(p.name for p in foreign.iterdir()) == ["drafts", "notes.txt"]
    assert leftovers(tmp_path) == []


def test_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    run = briefing("build", "--config", tmp_path / "nowhere.yaml", "--out", tmp_path / "site")
    assert_clean_failure(run)
    assert "nowhere.yaml: error: configuration file not found" in run.stderr
    assert "hint: " in run.stderr and "--config" in run.stderr
    assert not (tmp_path / "site").exists()


def test_a_port_out_of_range_is_a_usage_error_not_a_traceback(capsys):
    from generator.cli import main

    with pytest.raises(SystemExit) as stopped:
        main(["serve", "--port", "70000"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "'70000' is not a port number from 0 to 65535" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("ftp://example.org/repo/", "'ftp://example.org/repo/' is not an http(s) URL"),
        ("https://exa\u200bmple.org/repo/", "is refused: its host holds the invisible character U+200B"),
        ("https://\u0430pple.com/", None),  # accepted, written in punycode
    ],
)
def test_the_base_url_option_is_checked_like_the_configured_one(
    tmp_path: Path, address: str, message: str | None
) -> None:
    out = tmp_path / "site"
    run = briefing("build", "--no-search", "--out", out, "--base-url", address)
    if message is None:
        assert run.returncode == 0, run.stderr
        page = (out / "summits" / "hanoi-2019" / "index.html").read_text(encoding="utf-8")
        assert 'href="https://xn--pple-43d.com/summits/hanoi-2019/"' in page
        return
    assert_clean_failure(run)
    assert run.stderr.startswith("--base-url: error: ") and message in run.stderr
    assert "[BRF018 invalid-url]" in run.stderr
    assert not out.exists()
