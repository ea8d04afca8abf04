"""The authoring commands end to end: `briefing new`, and `briefing check` with its
editorial report, --strict and --format json."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import copy_project


def briefing(project: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator", *args],
        cwd=project,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_new_files_build_and_check_cleanly(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    made = briefing(project, "new", "summit", "vladivostok-2019", "--title", "Putin–Kim summit")
    assert made.returncode == 0, made.stderr
    assert "wrote content/summits/vladivostok-2019.yaml" in made.stdout
    pasted = briefing(project, "new", "source", "memo", stdin="A Short Title\n\nSome pasted words.\n")
    assert pasted.returncode == 0, pasted.stderr
    assert (project / "content/sources/memo.txt").read_text() == "A Short Title\n\nSome pasted words.\n"
    checked = briefing(project, "check", "--out", str(tmp_path / "site"))
    assert checked.returncode == 0, checked.stderr
    assert (tmp_path / "site/summits/vladivostok-2019/index.html").is_file()
    assert "uncited-source" in checked.stdout  # the new source is cited by nothing yet


def test_new_refuses_to_overwrite_and_writes_nothing(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    before = (project / "content/summits/hanoi-2019.yaml").read_bytes()
    run = briefing(project, "new", "summit", "hanoi-2019")
    assert run.returncode == 1
    assert "[BRF021 duplicate-id]" in run.stderr and "Traceback" not in run.stderr
    assert run.stderr.rstrip().endswith("nothing was written")
    assert (project / "content/summits/hanoi-2019.yaml").read_bytes() == before
    bad = briefing(project, "new", "proposal", "Arms Control")
    assert bad.returncode == 1 and "[BRF014 invalid-id]" in bad.stderr and "'arms-control'" in bad.stderr
    assert not list((project / "content/proposals").glob("*rms*"))


def test_check_reports_editorial_warnings_and_strict_fails_on_them(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    path = project / "content/summits/hanoi-2019.yaml"
    path.write_text(path.read_text().replace("summary:\n", "summary:\n  - text: An uncited claim.\n", 1))
    out = str(tmp_path / "site")
    relaxed = briefing(project, "check", "--out", out)
    assert relaxed.returncode == 0, relaxed.stderr
    assert "[BRF101 claim-without-citation]" in relaxed.stdout
    assert "coverage" in relaxed.stdout
    strict = briefing(project, "check", "--site", out, "--strict")
    assert strict.returncode == 1
    assert "editorial warnings" in strict.stderr


def test_check_json_is_machine_readable(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    run = briefing(project, "check", "--out", str(tmp_path / "site"), "--format", "json")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)  # nothing but JSON on stdout
    assert report["ok"] is True and report["links"] == []
    assert {c["source"] for c in report["editorial"]["coverage"]} == {
        "chatham-house-alliances",
        "trump-second-term-proposals",
        "wit-dmz-meeting",
    }
    codes = {w["code"] for w in report["editorial"]["warnings"]}
    assert codes <= {"BRF104", "BRF105"}, codes  # the seed briefing cites every claim


def test_check_fails_on_a_broken_link(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    out = tmp_path / "site"
    assert briefing(project, "build", "--out", str(out)).returncode == 0
    (out / "summits/hanoi-2019/index.html").unlink()
    run = briefing(project, "check", "--site", str(out))
    assert run.returncode == 1
    assert "summits/hanoi-2019/: no such page" in run.stdout


def test_a_pasted_text_with_a_control_character_is_refused_before_anything_is_written(tmp_path: Path):
    project = copy_project(tmp_path / "project")
    pasted = briefing(project, "new", "source", "memo", stdin="A Short Title\n\nSome \x1b[2Jpasted words.\n")
    assert pasted.returncode == 1
    assert "<stdin>:3:6: error: this line holds the control character U+001B (ESC)" in pasted.stderr
    assert "\x1b" not in pasted.stderr
    assert not (project / "content/sources/memo.yaml").exists()
