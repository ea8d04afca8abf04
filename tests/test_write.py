"""Unit tests of generator.write: the atomic, guarded output writer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator.errors import BriefingError
from generator.render import OutputFile
from generator.write import MANIFEST, check_output_dir, write_site

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
