"""The build cache between runs: a run with nothing changed does nothing, an edit is
rebuilt from the last state with the same result as a build from scratch, and a cache
that is stale, corrupt or from other code is ignored, never trusted."""

from __future__ import annotations

import marshal
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from generator.cache import CACHE_FOLDER
from tests.conftest import snapshot

SUMMIT = Path("content/summits/hanoi-2019.yaml")
SOURCE = Path("content/sources/trump-second-term-proposals.txt")


def build(project: Path, *args: str, search: bool = False) -> subprocess.CompletedProcess[str]:
    run = subprocess.run(
        [sys.executable, "-m", "generator", "build", *([] if search else ["--no-search"]), *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    return run


def fresh_build(project: Path, tmp_path: Path) -> dict[str, bytes]:
    """The site built from scratch in a copy of the project (the cache remembers one
    build per project: the last one), with no cache."""
    reference = tmp_path / "reference"
    shutil.copytree(project, reference, ignore=shutil.ignore_patterns("site", ".cache"))
    build(reference, "--no-cache")
    return snapshot(reference / "site")


def test_a_second_build_with_nothing_changed_does_nothing(project_copy: Path) -> None:
    build(project_copy)
    site = project_copy / "site"
    mtimes = {p: p.stat().st_mtime_ns for p in site.rglob("*")}
    run = build(project_copy)
    assert run.stdout.startswith("nothing changed since the last build: site/ is up to date")
    assert {p: p.stat().st_mtime_ns for p in site.rglob("*")} == mtimes


def test_touching_a_file_without_changing_it_is_still_nothing_to_do(project_copy: Path) -> None:
    build(project_copy)
    (project_copy / SUMMIT).touch()  # new mtime, same bytes: the digest decides
    assert build(project_copy).stdout.startswith("nothing changed")


@pytest.mark.parametrize(
    ("path", "old", "new"),
    [
        (SUMMIT, "Hanoi", "Hà Nội"),
        (SOURCE, "Kim Jong Un", "Kim  Jong  Un"),
        (Path("templates/summit.html"), "<article>", "<article class=edited>"),
        (Path("templates/static/style.css"), "body", "body "),
        (Path("config.yaml"), "title: ", "title: Edited "),
    ],
)
def test_an_edit_rebuilds_exactly_what_a_fresh_build_gives(
    project_copy: Path, tmp_path: Path, path: Path, old: str, new: str
) -> None:
    build(project_copy)
    file = project_copy / path
    text = file.read_text(encoding="utf-8")
    assert old in text
    file.write_text(text.replace(old, new, 1), encoding="utf-8")
    run = build(project_copy)
    assert run.stdout.startswith("built "), run.stdout
    assert snapshot(project_copy / "site") == fresh_build(project_copy, tmp_path)


def test_added_and_removed_files_are_noticed(project_copy: Path, tmp_path: Path) -> None:
    build(project_copy)
    summit = (project_copy / SUMMIT).read_text(encoding="utf-8")
    (project_copy / SUMMIT).unlink()
    assert build(project_copy).stdout.startswith("built ")
    assert not (project_copy / "site/summits/hanoi-2019").exists()
    (project_copy / SUMMIT).write_text(summit, encoding="utf-8")
    assert build(project_copy).stdout.startswith("built ")
    assert snapshot(project_copy / "site") == fresh_build(project_copy, tmp_path)


def test_a_file_added_to_the_output_is_removed_by_the_next_build(project_copy: Path) -> None:
    build(project_copy)
    stray = project_copy / "site" / "summits" / "stray" / "index.html"
    stray.parent.mkdir()
    stray.write_text("not ours", encoding="utf-8")
    assert build(project_copy).stdout.startswith("built ")
    assert not stray.exists()


def test_an_edited_output_file_is_rebuilt(project_copy: Path, tmp_path: Path) -> None:
    build(project_copy)
    page = project_copy / "site" / "index.html"
    page.write_text("tampered", encoding="utf-8")
    assert build(project_copy).stdout.startswith("built ")
    assert snapshot(project_copy / "site") == fresh_build(project_copy, tmp_path)


@pytest.mark.parametrize("damage", ["truncate-state", "garbage-fingerprint", "other-version"])
def test_a_damaged_or_foreign_cache_is_ignored(project_copy: Path, tmp_path: Path, damage: str) -> None:
    build(project_copy)
    cache = project_copy / CACHE_FOLDER
    summit = project_copy / SUMMIT
    summit.write_text(summit.read_text(encoding="utf-8").replace("Hanoi", "Hanoi city", 1), encoding="utf-8")
    if damage == "truncate-state":
        state = cache / "state.pickle"
        state.write_bytes(state.read_bytes()[:1000])
    elif damage == "garbage-fingerprint":
        (cache / "fingerprint.marshal").write_bytes(b"{not marshal")
    else:
        fingerprint = marshal.loads((cache / "fingerprint.marshal").read_bytes())
        fingerprint["key"] = "0" * 32  # as written by another version, or for other options
        (cache / "fingerprint.marshal").write_bytes(marshal.dumps(fingerprint))
    run = build(project_copy)
    assert run.stdout.startswith("built ")
    assert snapshot(project_copy / "site") == fresh_build(project_copy, tmp_path)
    assert build(project_copy).stdout.startswith("nothing changed"), "the cache was not written anew"


def test_other_options_do_not_reuse_the_cache(project_copy: Path) -> None:
    build(project_copy)
    run = build(project_copy, "--base-url", "https://example.org/briefing/")
    assert run.stdout.startswith("built ")
    sitemap = (project_copy / "site" / "sitemap.xml").read_text(encoding="utf-8")
    assert "https://example.org/briefing/" in sitemap


def test_a_failed_build_keeps_the_cache_of_the_last_good_one(project_copy: Path) -> None:
    build(project_copy)
    good = (project_copy / SUMMIT).read_text(encoding="utf-8")
    (project_copy / SUMMIT).write_text(good + "\nplcae: nowhere\n", encoding="utf-8")
    failed = subprocess.run(
        [sys.executable, "-m", "generator", "build", "--no-search"],
        cwd=project_copy,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert failed.returncode == 1
    (project_copy / SUMMIT).write_text(good, encoding="utf-8")
    assert build(project_copy).stdout.startswith("nothing changed")


def test_a_search_bundle_file_removed_is_noticed(project_copy: Path) -> None:
    build(project_copy, search=True)
    fragment = next((project_copy / "site" / "pagefind" / "fragment").iterdir())
    fragment.unlink()
    assert build(project_copy, search=True).stdout.startswith("built ")
    assert fragment.exists()


def test_an_edit_that_restores_size_and_modification_time_is_still_noticed(project_copy: Path) -> None:
    # `cp -p`, `rsync -t` and sync tools put the old mtime back; the change time they cannot.
    import os

    build(project_copy)
    file = project_copy / SUMMIT
    before = file.stat()
    text = file.read_text(encoding="utf-8")
    assert "Hanoi" in text
    file.write_text(text.replace("Hanoi", "Hanoj", 1), encoding="utf-8")
    os.utime(file, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = file.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (
        before.st_size,
        before.st_mtime_ns,
        before.st_ino,
    )
    run = build(project_copy)
    assert run.stdout.startswith("built "), run.stdout
    page = (project_copy / "site/summits/hanoi-2019/index.html").read_text(encoding="utf-8")
    assert "Hanoj" in page
