"""`briefing init DIR`: a new briefing that builds, passes `check --strict`, names schemas
that exist, publishes with a workflow that needs nothing from this repository, and is
never written over anything."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, snapshot

from generator import init
from generator.schema import HEADER_PREFIX, json_schemas, schema_ids, schema_text
from generator.theme import THEME

EXAMPLES = {
    "summits": "example-summit",
    "proposals": "example-working-group",
    "stakeholders": "example-country",
    "sources": "example-report",
}


def briefing(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def start(tmp_path: Path, *args: str) -> Path:
    run = briefing(tmp_path, "init", "mybriefing", *args)
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    assert run.stdout.rstrip().endswith("a new briefing is ready: cd mybriefing && briefing serve")
    return tmp_path / "mybriefing"


def test_a_new_briefing_builds_and_passes_the_strict_check(tmp_path: Path) -> None:
    project = start(tmp_path)
    assert not (project / "templates").exists(), "the packaged theme is used, not copied"
    checked = briefing(project, "check", "--strict")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "0 warnings" in checked.stdout
    # Every claim cites the example source, and the build verified each quote.
    assert re.search(r"built 13 pages from 3 summaries and 1 sources, 6 citations verified", checked.stdout)
    site = project / "site"
    for section, ident in EXAMPLES.items():
        assert (site / section / ident / "index.html").is_file()
    assert (site / "static/style.css").read_bytes() == (THEME / "static/style.css").read_bytes()
    home = (site / "index.html").read_text(encoding="utf-8")
    assert "<title>Mybriefing" in home, "the title defaults to the folder's name"


def test_the_files_of_a_new_briefing(tmp_path: Path) -> None:
    project = start(tmp_path, "--title", "Talks: a briefing")
    files = sorted(p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file())
    assert files == [
        ".github/workflows/pages.yml",
        ".gitignore",
        "README.md",
        "config.yaml",
        "content/proposals/example-working-group.yaml",
        "content/sources/example-report.txt",
        "content/sources/example-report.yaml",
        "content/stakeholders/example-country.yaml",
        "content/summits/example-summit.yaml",
        "requirements.txt",
        "schemas/config.schema.json",
        "schemas/proposal.schema.json",
        "schemas/source.schema.json",
        "schemas/stakeholder.schema.json",
        "schemas/summit.schema.json",
    ]
    config = yaml.safe_load((project / "config.yaml").read_text(encoding="utf-8"))
    assert config["title"] == "Talks: a briefing"  # quoted, since a plain ': ' would not read back
    assert config["templates_dir"] == "templates"
    assert (project / "README.md").read_text(encoding="utf-8").startswith("# Talks: a briefing\n")
    ignored = (project / ".gitignore").read_text(encoding="utf-8").split()
    assert {"/site/", "/.cache/"} <= set(ignored)


def test_every_yaml_file_names_a_schema_that_exists_and_is_up_to_date(tmp_path: Path) -> None:
    project = start(tmp_path)
    yaml_files = [project / "config.yaml", *sorted((project / "content").rglob("*.yaml"))]
    assert len(yaml_files) == 5
    for path in yaml_files:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith(HEADER_PREFIX), path
        assert (path.parent / first.removeprefix(HEADER_PREFIX)).resolve().is_file(), path
    expected = json_schemas(schema_ids(project / "content", project))
    for name, schema in expected.items():
        assert (project / "schemas" / name).read_text(encoding="utf-8") == schema_text(schema)
    again = briefing(project, "schema")
    assert again.returncode == 0, again.stderr
    assert "wrote" not in again.stdout, "briefing schema finds nothing to change"


def test_new_writes_the_schemas_its_header_names(tmp_path: Path) -> None:
    project = start(tmp_path)
    for schema in (project / "schemas").iterdir():
        schema.unlink()
    (project / "schemas").rmdir()
    made = briefing(project, "new", "summit", "second-meeting")
    assert made.returncode == 0, made.stderr
    path = project / "content/summits/second-meeting.yaml"
    header = path.read_text(encoding="utf-8").splitlines()[0]
    assert header == f"{HEADER_PREFIX}../../schemas/summit.schema.json"
    assert (path.parent / header.removeprefix(HEADER_PREFIX)).resolve().is_file()
    expected = json_schemas(schema_ids(project / "content", project))
    assert sorted(p.name for p in (project / "schemas").iterdir()) == sorted(expected)


def test_the_pages_workflow_needs_nothing_from_this_repository(tmp_path: Path) -> None:
    project = start(tmp_path)
    ours = yaml.safe_load((ROOT / ".github/workflows/pages.yml").read_text(encoding="utf-8"))
    new = yaml.safe_load((project / ".github/workflows/pages.yml").read_text(encoding="utf-8"))
    # The same triggers, permissions and deployment; only the build steps differ.
    assert {k: v for k, v in new.items() if k != "jobs"} == {k: v for k, v in ours.items() if k != "jobs"}
    assert new["jobs"]["deploy"] == ours["jobs"]["deploy"]
    runs = [step.get("run", "") for step in new["jobs"]["build"]["steps"]]
    text = "\n".join(runs)
    assert "make" not in text and ".venv" not in text
    assert runs.count("python -m pip install -r requirements.txt") == 1
    assert 'briefing build --base-url "${{ steps.pages.outputs.base_url }}/"' in runs
    assert 'briefing check --site site --base-url "${{ steps.pages.outputs.base_url }}/"' in runs
    uses = [step.get("uses") for step in new["jobs"]["build"]["steps"] if "uses" in step]
    assert uses == [step.get("uses") for step in ours["jobs"]["build"]["steps"] if "uses" in step]
    requirements = (project / "requirements.txt").read_text(encoding="utf-8")
    assert requirements.splitlines()[-1].startswith("briefing")
    # The build and check steps, run here for the Pages address https://example.org/repo.
    commands = [line for line in runs if line.startswith("briefing ")]
    assert len(commands) == 2
    for line in commands:
        argv = shlex.split(line.replace("${{ steps.pages.outputs.base_url }}", "https://example.org/repo"))
        assert argv[0] == "briefing"
        done = briefing(project, *argv[1:])
        assert done.returncode == 0, done.stdout + done.stderr
    sitemap = (project / "site/sitemap.xml").read_text(encoding="utf-8")
    assert "https://example.org/repo/summits/example-summit/" in sitemap


class _Distribution:
    def __init__(self, direct_url: dict[str, object] | None) -> None:
        self.version = "1.2.3"
        self.direct_url = direct_url

    def read_text(self, name: str) -> str | None:
        assert name == "direct_url.json"
        return None if self.direct_url is None else json.dumps(self.direct_url)


@pytest.mark.parametrize(
    ("direct_url", "requirement", "local"),
    [
        (None, "briefing==1.2.3", ""),
        (
            {"url": "https://github.com/desk/briefing", "vcs_info": {"vcs": "git", "commit_id": "abc123"}},
            "briefing @ git+https://github.com/desk/briefing@abc123",
            "",
        ),
        (
            {"url": "https://example.org/briefing-1.2.3-py3-none-any.whl", "archive_info": {}},
            "briefing @ https://example.org/briefing-1.2.3-py3-none-any.whl",
            "",
        ),
        (
            {"url": "file:///tmp/briefing-1.2.3-py3-none-any.whl", "archive_info": {}},
            "briefing @ file:///tmp/briefing-1.2.3-py3-none-any.whl",
            "file",
        ),
        (
            {"url": "file:///src/briefing", "dir_info": {"editable": True}},
            "briefing @ file:///src/briefing",
            "folder",
        ),
    ],
)
def test_requirements_name_the_briefing_as_it_was_installed(
    monkeypatch: pytest.MonkeyPatch, direct_url: dict[str, object] | None, requirement: str, local: str
) -> None:
    monkeypatch.setattr(init.importlib.metadata, "distribution", lambda name: _Distribution(direct_url))
    assert init.install_requirement() == (requirement, local)
    text = init.requirements_text(requirement, local)
    assert text.splitlines()[-1] == requirement
    assert ("cannot reach" in text) == bool(local)


def test_init_refuses_a_folder_that_is_not_empty_and_writes_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "taken"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    before = snapshot(folder)
    run = briefing(tmp_path, "init", "taken")
    assert run.returncode == 1
    assert "taken: error: refusing to start a briefing in taken, which is not empty (notes.txt)" in run.stderr
    assert "[BRF031 output-refused]" in run.stderr and "Traceback" not in run.stderr
    assert run.stderr.rstrip().endswith("nothing was written")
    assert snapshot(folder) == before
    (tmp_path / "a-file").write_text("mine", encoding="utf-8")
    run = briefing(tmp_path, "init", "a-file")
    assert run.returncode == 1 and "which is a file [BRF031 output-refused]" in run.stderr
    assert (tmp_path / "a-file").read_text(encoding="utf-8") == "mine"


def test_init_takes_an_empty_folder_or_a_fresh_clone(tmp_path: Path) -> None:
    here = tmp_path / "here"
    (here / ".git").mkdir(parents=True)
    run = briefing(here, "init", ".")
    assert run.returncode == 0, run.stderr
    assert run.stdout.rstrip().endswith("a new briefing is ready: briefing serve")
    assert (here / "config.yaml").is_file() and (here / ".git").is_dir()
    assert "<title>Here" in (build_home(here))


def build_home(project: Path) -> str:
    built = briefing(project, "build", "--no-search")
    assert built.returncode == 0, built.stderr
    return (project / "site/index.html").read_text(encoding="utf-8")


def test_a_title_the_build_would_refuse_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    run = briefing(tmp_path, "init", "new", "--title", "bell\x07")
    assert run.returncode == 1
    assert "config.yaml" in run.stderr and "[BRF040 control-character]" in run.stderr
    assert not (tmp_path / "new").exists()


def test_a_failed_write_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"config.yaml": b"a", "content/summits/x.yaml": b"b", "schemas/broken": b"c"}
    real_open = init.os.open

    def failing_open(path: object, *args: object) -> int:
        if str(path).endswith("broken"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(init.os, "open", failing_open)
    with pytest.raises(PermissionError):
        init._write_new(tmp_path / "new" / "briefing", files)
    assert list(tmp_path.iterdir()) == []
