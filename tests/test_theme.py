"""The packaged theme and a project's overrides: a project's templates/ replaces the
theme file by file (templates and static files alike), may be absent, and every edit to
an override is rebuilt, by the cache's "nothing changed" check and by the incremental
build alike."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, snapshot

from generator import cache, theme
from generator.render import make_environment, static_files, theme_folders


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_the_repository_theme_is_the_top_level_templates_folder() -> None:
    # In a checkout the theme is used in place; a wheel carries the same folder inside the package.
    assert not theme.PACKAGED_THEME.exists()
    assert theme.THEME == ROOT / "templates"
    assert theme_folders(ROOT / "templates") == [ROOT / "templates"], "looked up once, not twice"


def test_a_project_template_or_static_file_replaces_the_themes_file_by_file(tmp_path: Path) -> None:
    base = write(tmp_path / "theme/base.html", "theme base {% block main %}{% endblock %}\n").parent
    write(base / "page.html", '{% extends "base.html" %}{% block main %}theme page{% endblock %}\n')
    write(base / "static/style.css", "theme css\n")
    write(base / "static/site.js", "theme js\n")
    project = tmp_path / "templates"
    write(project / "base.html", "project base {% block main %}{% endblock %}\n")
    write(project / "static/style.css", "project css\n")
    write(project / "static/extra/logo.svg", "<svg/>\n")
    env = make_environment(project, base)
    assert env.get_template("page.html").render() == "project base theme page"
    assert sorted(env.list_templates(filter_func=lambda n: n.endswith(".html"))) == ["base.html", "page.html"]
    assert [(f.path, f.data) for f in static_files(project, base)] == [
        ("static/extra/logo.svg", b"<svg/>\n"),
        ("static/site.js", b"theme js\n"),
        ("static/style.css", b"project css\n"),
    ]


def test_without_a_templates_folder_the_theme_alone_is_used(tmp_path: Path) -> None:
    missing = tmp_path / "templates"
    env = make_environment(missing)
    assert env.get_template("base.html").filename == str(theme.THEME / "base.html")
    assert [f.path for f in static_files(missing)] == [f.path for f in static_files(theme.THEME)]


def test_the_code_digest_covers_a_theme_inside_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    packaged = tmp_path / "generator" / "templates"
    style = write(packaged / "static/style.css", "body {}\n")
    monkeypatch.setattr(cache, "PACKAGED_THEME", packaged)
    monkeypatch.setattr(cache, "__file__", str(tmp_path / "generator" / "cache.py"))
    before = cache._code_digest()
    style.write_text("body { color: red }\n", encoding="utf-8")
    assert cache._code_digest() != before


# -- a project of its own, built as the command line builds it ---------------------------------


def build(project: Path) -> str:
    run = subprocess.run(
        [sys.executable, "-m", "generator", "build", "--no-search"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    return run.stdout


def fresh(project: Path, tmp_path: Path) -> dict[str, bytes]:
    reference = tmp_path / "reference"
    shutil.rmtree(reference, ignore_errors=True)
    shutil.copytree(project, reference, ignore=shutil.ignore_patterns("site", ".cache"))
    run = subprocess.run(
        [sys.executable, "-m", "generator", "build", "--no-search", "--no-cache"],
        cwd=reference,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    return snapshot(reference / "site")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    run = subprocess.run(
        [sys.executable, "-m", "generator", "init", "project"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    return tmp_path / "project"


def test_overrides_added_edited_and_removed_are_rebuilt_each_time(project: Path, tmp_path: Path) -> None:
    site = project / "site"
    page = site / "summits/example-summit/index.html"
    theme_css = (theme.THEME / "static/style.css").read_bytes()
    build(project)
    assert build(project).startswith("nothing changed")
    assert (site / "static/style.css").read_bytes() == theme_css

    # A first override: the folder appears, with a stylesheet and a summit template.
    write(project / "templates/static/style.css", "body { color: teal }\n")
    summit = (theme.THEME / "summit.html").read_text(encoding="utf-8")
    assert "<article>" in summit
    write(project / "templates/summit.html", summit.replace("<article>", "<article class=ours>", 1))
    assert build(project).startswith("built ")
    assert (site / "static/style.css").read_text(encoding="utf-8") == "body { color: teal }\n"
    assert "<article class=ours>" in page.read_text(encoding="utf-8")
    assert (site / "static/site.js").read_bytes() == (theme.THEME / "static/site.js").read_bytes()
    assert snapshot(site) == fresh(project, tmp_path)
    assert build(project).startswith("nothing changed")

    # An edit to each override.
    write(project / "templates/static/style.css", "body { color: navy }\n")
    assert build(project).startswith("built ")
    assert (site / "static/style.css").read_text(encoding="utf-8") == "body { color: navy }\n"
    template = project / "templates/summit.html"
    write(template, template.read_text(encoding="utf-8").replace("class=ours", "class=edited"))
    assert build(project).startswith("built ")
    assert "<article class=edited>" in page.read_text(encoding="utf-8")
    assert snapshot(site) == fresh(project, tmp_path)

    # Removing the overrides brings the theme's files back.
    shutil.rmtree(project / "templates")
    assert build(project).startswith("built ")
    assert (site / "static/style.css").read_bytes() == theme_css
    assert "class=edited" not in page.read_text(encoding="utf-8")
    assert snapshot(site) == fresh(project, tmp_path)
