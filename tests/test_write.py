"""Unit tests of generator.write: the atomic, guarded output writer."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from generator import search
from generator.errors import BriefingError
from generator.render import OutputFile
from generator.tempdirs import MARK
from generator.write import MANIFEST, check_output_dir, write_site

REPO = Path(__file__).resolve().parent.parent

FILES = [
    OutputFile("index.html", b"<p>home</p>"),
    OutputFile("summits/hanoi-2019/index.html", b"<p>hanoi</p>"),
    OutputFile("static/style.css", b"body{}"),
]


@pytest.fixture
def project(tmp_path) -> Path:
    root = tmp_path / "project"
    (root / "content" / "summits").mkdir(parents=True)
    (root / "content" / "summits" / "hanoi-2019.yaml").write_text("id: hanoi-2019\n")
    (root / "templates").mkdir()
    (root / "templates" / "base.html").write_text("{{ body }}")
    (root / "config.yaml").write_text("title: x\n")
    return root


def write(files, out: Path, project: Path):
    return write_site(files, out, project, (project / "content", project / "templates"))


def snapshot(folder: Path) -> dict[str, tuple[bytes, int, int]]:
    """Every file below `folder`: bytes, inode, mtime."""
    result = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            stat = path.stat()
            result[path.relative_to(folder).as_posix()] = (path.read_bytes(), stat.st_ino, stat.st_mtime_ns)
    return result


def tree(folder: Path) -> dict[str, bytes]:
    return {name: data for name, (data, _, _) in snapshot(folder).items()}


def test_writes_into_a_new_directory(project):
    out = project / "build" / "site"
    report = write(FILES, out, project)
    assert tree(out) == {
        MANIFEST: (json.dumps(sorted(f.path for f in FILES), indent=0) + "\n").encode(),
        "index.html": b"<p>home</p>",
        "static/style.css": b"body{}",
        "summits/hanoi-2019/index.html": b"<p>hanoi</p>",
    }
    assert (report.written, report.unchanged, report.removed) == (3, 0, 0)
    assert sorted(p.name for p in out.parent.iterdir()) == ["site"]


def test_writes_into_an_empty_existing_directory(project):
    out = project / "site"
    out.mkdir()
    write(FILES, out, project)
    assert (out / "index.html").read_bytes() == b"<p>home</p>"


@pytest.mark.parametrize(
    ("where", "message"),
    [
        (".", "refusing to write the site over"),
        ("content", "refusing to write the site over"),
        ("templates", "refusing to write the site over"),
        ("..", "refusing to write the site over"),
        ("content/summits", "refusing to write the site inside"),
        ("content/new-folder", "refusing to write the site inside"),
        ("templates/out", "refusing to write the site inside"),
        ("config.yaml", "output path exists and is not a directory"),
    ],
)
def test_refuses_project_folders(project, where, message):
    out = project / where
    before = snapshot(project.parent)
    problems = check_output_dir(out, project, (project / "content", project / "templates"))
    assert len(problems) == 1
    assert message in problems[0].message
    with pytest.raises(BriefingError) as raised:
        write(FILES, out, project)
    assert message in raised.value.problems[0].message
    assert snapshot(project.parent) == before
    assert sorted(p.name for p in project.parent.iterdir()) == ["project"]


def test_refuses_a_non_empty_directory_without_manifest(project):
    out = project / "site"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(BriefingError) as raised:
        write(FILES, out, project)
    assert raised.value.problems[0].message == "output directory is not empty and was not created by briefing"
    assert tree(out) == {"notes.txt": b"mine"}


def test_accepts_its_own_output(project):
    out = project / "site"
    write(FILES, out, project)
    assert check_output_dir(out, project, (project / "content", project / "templates")) == []


def test_two_files_at_the_same_path_are_a_bug_caught_before_writing(project):
    out = project / "site"
    with pytest.raises(AssertionError):
        write([*FILES, OutputFile("index.html", b"again")], out, project)
    assert not out.exists()


def test_second_write_keeps_unchanged_files_and_rewrites_changed_ones(project):
    out = project / "site"
    write(FILES, out, project)
    before = snapshot(out)
    changed = [FILES[0], OutputFile("summits/hanoi-2019/index.html", b"<p>hanoi, edited</p>"), FILES[2]]
    report = write(changed, out, project)
    after = snapshot(out)
    for name in ("index.html", "static/style.css"):
        assert after[name] == before[name]  # same bytes, same inode, same mtime
    data, inode, _ = after["summits/hanoi-2019/index.html"]
    assert data == b"<p>hanoi, edited</p>"
    assert inode != before["summits/hanoi-2019/index.html"][1]
    assert (report.written, report.unchanged, report.removed) == (1, 2, 0)


def test_files_no_longer_produced_are_removed(project):
    out = project / "site"
    write(FILES, out, project)
    report = write([FILES[0]], out, project)
    assert sorted(tree(out)) == [MANIFEST, "index.html"]
    assert not (out / "summits").exists()
    assert report.removed == 2
    assert json.loads((out / MANIFEST).read_text()) == ["index.html"]


def test_a_file_edited_by_hand_in_the_output_is_rewritten(project):
    out = project / "site"
    write(FILES, out, project)
    (out / "index.html").write_bytes(b"<p>hacked</p>")
    report = write(FILES, out, project)
    assert (out / "index.html").read_bytes() == b"<p>home</p>"
    assert report.written == 1


def test_failure_while_writing_leaves_the_previous_output(project, monkeypatch):
    out = project / "site"
    write(FILES, out, project)
    (project / "sibling.txt").write_text("not ours")
    before = snapshot(project)
    calls = []
    real_write_bytes = Path.write_bytes

    def failing_write_bytes(self, data):
        calls.append(self)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real_write_bytes(self, data)

    monkeypatch.setattr(Path, "write_bytes", failing_write_bytes)
    new = [OutputFile(f.path, f.data + b"<!-- v2 -->") for f in FILES]
    with pytest.raises(OSError, match="No space left"):
        write(new, out, project)
    monkeypatch.undo()
    assert len(calls) == 2
    assert snapshot(project) == before
    assert not [p for p in project.iterdir() if ".staging-" in p.name or ".old-" in p.name]


def test_failure_while_swapping_leaves_the_previous_output(project, monkeypatch):
    out = project / "site"
    write(FILES, out, project)
    before = snapshot(project)
    real_rename = Path.rename

    def failing_rename(self, target):
        if ".staging-" in self.name:
            raise OSError(16, "Device or resource busy")
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", failing_rename)
    with pytest.raises(OSError, match="busy"):
        write([OutputFile("index.html", b"<p>new</p>")], out, project)
    monkeypatch.undo()
    assert snapshot(project) == before
    assert sorted(p.name for p in project.iterdir()) == ["config.yaml", "content", "site", "templates"]


def test_interrupt_leaves_no_staging_directory(project, monkeypatch):
    out = project / "site"
    write(FILES, out, project)
    before = snapshot(project)

    def interrupted(self, data):
        raise KeyboardInterrupt

    monkeypatch.setattr(Path, "write_bytes", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write([OutputFile("new.html", b"x")], out, project)
    monkeypatch.undo()
    assert snapshot(project) == before
    assert sorted(p.name for p in project.iterdir()) == ["config.yaml", "content", "site", "templates"]


def test_nothing_outside_the_output_is_touched(project):
    out = project / "site"
    (project / ".site-notes").write_text("keep")
    (project / "other").mkdir()
    (project / "other" / "file.txt").write_text("keep")
    before = snapshot(project)
    write(FILES, out, project)
    write(FILES[:2], out, project)
    after = snapshot(project)
    outside = {k: v for k, v in after.items() if not k.startswith("site/")}
    assert outside == before
    assert sorted(p.name for p in project.iterdir()) == [
        ".site-notes",
        "config.yaml",
        "content",
        "other",
        "site",
        "templates",
    ]


def test_published_files_are_readable(project):
    out = project / "site"
    write(FILES, out, project)
    assert out.stat().st_mode & 0o755 == 0o755


# Leftovers of killed builds: removed when ours and dead, left alone otherwise.


def wait_for(condition: Callable[[], bool], what: str, deadline: float = 30.0) -> None:
    """Poll `condition` until it holds; a generous deadline, so a slow machine does not fail."""
    end = time.monotonic() + deadline
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def staging_folders(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(".site.staging-"))


def published(files: list[OutputFile]) -> dict[str, bytes]:
    """The tree a write of `files` publishes."""
    manifest = (json.dumps(sorted(f.path for f in files), indent=0) + "\n").encode()
    return {MANIFEST: manifest, **{f.path: f.data for f in files}}


@pytest.fixture
def locked() -> Iterator[Callable[[Path], None]]:
    """Hold an exclusive flock on a file, as a live build holds its marker, until the test ends."""
    held: list[int] = []

    def lock(path: Path) -> None:
        fd = os.open(path, os.O_RDWR)
        held.append(fd)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    yield lock
    for fd in held:
        os.close(fd)


def marked_folder(parent: Path, name: str) -> Path:
    """A folder as a dead build leaves it: files and a marker nobody holds."""
    folder = parent / name
    (folder / "summits").mkdir(parents=True)
    (folder / "summits" / "index.html").write_bytes(b"half")
    (folder / MARK).touch()
    return folder


KILLED_BUILD = textwrap.dedent(
    """
    import multiprocessing, sys, threading
    from pathlib import Path
    from generator.render import OutputFile
    from generator.write import write_site

    root, out, ready = (Path(arg) for arg in sys.argv[1:4])

    def files():
        yield OutputFile("index.html", b"<p>half a build</p>")
        yield OutputFile("summits/hanoi-2019/index.html", b"<p>half</p>")
        if sys.argv[4:]:  # a forked worker, as rendering starts, outlives the kill
            worker = multiprocessing.get_context("fork").Process(target=threading.Event().wait)
            worker.start()
            Path(sys.argv[4]).write_text(str(worker.pid))
        ready.touch()  # both written into the staging folder: the test may kill us now
        threading.Event().wait()  # and never finish

    write_site(files(), out, root, (root / "content", root / "templates"))
    """
)


@pytest.mark.parametrize("orphan", [False, True], ids=["alone", "with-an-orphaned-worker"])
def test_a_killed_build_leaves_a_staging_folder_the_next_build_removes(project, tmp_path, orphan):
    out = project / "site"
    write(FILES, out, project)
    ready = tmp_path / "ready"
    worker = tmp_path / "worker.pid"
    build = subprocess.Popen(
        [sys.executable, "-c", KILLED_BUILD, str(project), str(out), str(ready)]
        + ([str(worker)] if orphan else []),
        cwd=REPO,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for(lambda: ready.exists() or build.poll() is not None, "the build to start writing")
        assert build.poll() is None, build.stderr.read().decode() if build.stderr else ""
        (left,) = staging_folders(project)
        assert (project / left / "index.html").read_bytes() == b"<p>half a build</p>"
        assert (project / left / MARK).is_file()
        write(FILES, out, project)  # a build running beside it leaves its staging alone
        assert staging_folders(project) == [left]
    finally:
        build.send_signal(signal.SIGKILL)
        build.wait(timeout=30)
        if build.stderr:
            build.stderr.close()
    assert build.returncode == -signal.SIGKILL
    assert staging_folders(project) == [left], "kill -9 cannot clean up: the folder stays"
    assert tree(out) == published(FILES), "the killed build never touched the live site"
    new = [*FILES[:2], OutputFile("static/style.css", b"body{color:red}")]
    try:
        if orphan:  # the worker forked by the dead build lives on, but holds no lock
            os.kill(int(worker.read_text()), 0)
        write(new, out, project)
    finally:
        if orphan:
            os.kill(int(worker.read_text()), signal.SIGKILL)
    assert staging_folders(project) == []
    assert tree(out) == published(new)
    assert sorted(p.name for p in project.iterdir()) == ["config.yaml", "content", "site", "templates"]


def test_a_stale_marked_staging_folder_is_removed(project):
    out = project / "site"
    marked_folder(project, ".site.staging-dead")
    write(FILES, out, project)
    assert staging_folders(project) == []
    assert tree(out) == published(FILES)


def test_a_staging_folder_without_the_marker_is_not_ours_and_stays(project, tmp_path):
    out = project / "site"
    foreign = project / ".site.staging-foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    elsewhere = marked_folder(tmp_path, "elsewhere")  # marked and unlocked, but behind a link
    (project / ".site.staging-link").symlink_to(elsewhere, target_is_directory=True)
    write(FILES, out, project)
    assert tree(foreign) == {"notes.txt": b"mine"}
    assert (project / ".site.staging-link").is_symlink()
    assert tree(elsewhere) == {MARK: b"", "summits/index.html": b"half"}


def test_a_staging_folder_whose_marker_is_locked_belongs_to_a_live_build_and_stays(project, locked):
    out = project / "site"
    live = marked_folder(project, ".site.staging-live")
    locked(live / MARK)
    write(FILES, out, project)
    assert tree(live) == {MARK: b"", "summits/index.html": b"half"}
    assert tree(out) == published(FILES)


def test_only_retired_sites_with_our_manifest_are_removed(project):
    out = project / "site"
    foreign = project / ".site.old-x"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    retired = project / ".site.old-ours"
    (retired / "summits").mkdir(parents=True)
    (retired / "summits" / "index.html").write_text("old")
    (retired / MANIFEST).write_text('["summits/index.html"]\n')
    write(FILES, out, project)
    assert tree(foreign) == {"notes.txt": b"mine"}
    assert not retired.exists()


def test_the_marker_is_held_while_building_and_never_published(project):
    out = project / "site"
    seen: list[bool] = []

    def prepare(staging: Path) -> None:
        # Another open file description of the marker cannot take the lock: the build holds it.
        fd = os.open(staging / MARK, os.O_RDONLY)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(fd)
        seen.append(True)

    write_site(FILES, out, project, (project / "content", project / "templates"), prepare=prepare)
    assert seen == [True]
    assert not (out / MARK).exists()
    assert MARK not in json.loads((out / MANIFEST).read_text())
    assert tree(out) == published(FILES)


def test_a_retired_empty_output_is_not_left_without_a_manifest(project):
    out = project / "site"
    out.mkdir()
    write(FILES, out, project)
    assert sorted(p.name for p in project.iterdir()) == ["config.yaml", "content", "site", "templates"]


def test_search_refresh_removes_stale_index_folders_only(project, monkeypatch, locked):
    out = project / "site"
    write(FILES, out, project)
    dead = marked_folder(project, ".pagefind-dead")
    live = marked_folder(project, ".pagefind-live")
    locked(live / MARK)
    foreign = project / ".pagefind-foreign"
    foreign.mkdir()
    seen: list[str] = []

    def index_site(site_dir: Path, output: Path, background: bool = False) -> None:
        seen.extend(sorted(p.name for p in project.iterdir() if p.name.startswith(".pagefind-")))
        assert (output.parent / MARK).is_file()
        output.mkdir()
        (output / "pagefind.js").write_text("index")

    monkeypatch.setattr(search, "index_site", index_site)
    search.refresh_index(out)
    assert dead.name not in seen, "the stale folder is removed before indexing"
    assert {live.name, foreign.name} < set(seen)
    assert sorted(p.name for p in project.iterdir() if p.name.startswith(".pagefind-")) == [
        foreign.name,
        live.name,
    ]
    assert (out / search.BUNDLE / "pagefind.js").read_text() == "index"
    assert not (out / search.BUNDLE / MARK).exists()
