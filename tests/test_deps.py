"""The dependency map, and incremental rebuilds that match full builds byte for byte."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import snapshot

from generator.build import BuildState, rebuild
from generator.config import Config, load_config
from generator.deps import changed_inputs, record_inputs, stale_pages
from generator.render import CITATION_COUNTS, FEED_ENTRIES, NAMES, make_environment, page_jobs
from generator.views import view_jobs

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def project(project_copy: Path) -> Path:
    return project_copy


def tree(folder: Path) -> dict[str, bytes]:
    return snapshot(folder)


def full_build(config: Config, out: Path) -> dict[str, bytes]:
    rebuild(dataclasses.replace(config, output_dir=out))
    return tree(out)


def test_page_inputs_follow_the_links_both_ways(project: Path) -> None:
    state, _ = rebuild(load_config(project / "config.yaml"))
    inputs = {path: job.inputs for path, job in page_jobs(state.site).items()}
    hanoi = inputs["summits/hanoi-2019/index.html"]
    assert ("summit", "hanoi-2019") in hanoi
    assert ("proposal", "un-sanctions-relief") in hanoi  # on its table
    assert ("stakeholder", "john-bolton") in hanoi  # a participant
    assert ("source", "wit-dmz-meeting") in hanoi  # cited
    assert ("summit", "singapore-2018") in hanoi  # previous/next follow the chronology
    relief = inputs["proposals/un-sanctions-relief/index.html"]
    assert ("summit", "hanoi-2019") in relief  # backlink: the summit lists it
    bolton = inputs["stakeholders/john-bolton/index.html"]
    assert ("summit", "hanoi-2019") in bolton and NAMES in bolton
    source = inputs["sources/wit-dmz-meeting/index.html"]
    assert ("summit", "hanoi-2019") in source and NAMES in source  # cited by, mentions
    assert ("proposal", "financial-aid") not in inputs["summits/singapore-2018/index.html"]
    assert CITATION_COUNTS in inputs["index.html"] and CITATION_COUNTS in inputs["sources/index.html"]
    assert ("proposal", "financial-aid") in inputs["index.html"]  # the open proposals
    assert ("stakeholder", "john-bolton") not in inputs["index.html"]  # only their number
    assert inputs["404.html"] == frozenset()


def test_stale_pages_use_old_and_new_inputs() -> None:
    old = {"a.html": frozenset({("summit", "x")}), "b.html": frozenset({("summit", "y")})}
    new = {"a.html": frozenset(), "b.html": frozenset({("summit", "y")}), "c.html": frozenset()}
    # a.html no longer lists x: x changing (say, removed) must still re-render it
    assert stale_pages(old, new, {("summit", "x")}) == {"a.html", "c.html"}
    assert stale_pages(old, new, set()) == {"c.html"}
    home = {"home.html": frozenset({("summit", "z"), ("template", "home.html")})}
    assert stale_pages(home, home, {("summit", "z")}) == {"home.html"}
    assert stale_pages(home, home, {("template", "home.html")}) == {"home.html"}
    assert stale_pages(home, home, {("template", "other.html")}) == set()


def test_changed_inputs_names_the_edited_record(project: Path) -> None:
    config = load_config(project / "config.yaml")
    before, _ = rebuild(config)
    path = project / "content/proposals/financial-aid.yaml"
    path.write_text(path.read_text().replace("title: ", "title: Extra ", 1))
    after, _ = rebuild(config, before)
    # the record itself, and the feed, whose entries show titles
    assert changed_inputs(record_inputs(before.site), record_inputs(after.site)) == {
        ("proposal", "financial-aid"),
        FEED_ENTRIES,
    }


def edit(project: Path, relative: str, old: str, new: str) -> Callable[[], None]:
    def apply() -> None:
        path = project / relative
        text = path.read_text()
        assert old in text, f"{old!r} not in {relative}"
        path.write_text(text.replace(old, new, 1))

    return apply


def test_incremental_rebuilds_equal_full_builds(project: Path, tmp_path: Path) -> None:
    config = load_config(project / "config.yaml")
    env = make_environment(config.templates_dir)
    state: BuildState
    state, _ = rebuild(config, None, env)
    new_proposal = project / "content/proposals/test-proposal.yaml"

    def add_proposal() -> None:
        new_proposal.write_text("id: test-proposal\ntitle: A test proposal\ncategory: diplomatic\n")
        edit(
            project,
            "content/summits/hanoi-2019.yaml",
            "proposals:\n",
            ("proposals:\n  - proposal: test-proposal\n    text: Raised in passing.\n"),
        )()

    def remove_proposal() -> None:
        edit(
            project,
            "content/summits/hanoi-2019.yaml",
            "  - proposal: test-proposal\n    text: Raised in passing.\n",
            "",
        )()
        new_proposal.unlink()

    steps: list[tuple[str, Callable[[], None], bool]] = [
        (
            "summary text",
            edit(project, "content/summits/hanoi-2019.yaml", "duration: two days", "duration: two long days"),
            True,
        ),
        (
            "proposal title",
            edit(project, "content/proposals/financial-aid.yaml", "title: ", "title: Renamed "),
            True,
        ),
        (
            "stakeholder alias",
            edit(
                project,
                "content/stakeholders/john-bolton.yaml",
                "aliases:\n",
                "aliases:\n  - national security adviser\n",
            ),
            True,
        ),
        (
            "source text",
            edit(project, "content/sources/wit-dmz-meeting.txt", "Skepticism is", "Skepticism  is"),
            True,
        ),
        ("add a proposal", add_proposal, True),
        ("remove it again", remove_proposal, True),
        (
            "template",
            edit(
                project,
                "templates/summit.html",
                '<h2 id="lessons">Lessons</h2>',
                '<h2 id="lessons">Lessons learned</h2>',
            ),
            False,
        ),
        (
            "stylesheet",
            edit(project, "templates/static/style.css", "--accent: #8a3b12;", "--accent: #8a3b13;"),
            False,
        ),
    ]
    for number, (name, step, content_changed) in enumerate(steps):
        step()
        state, result = rebuild(config, state, env, content_changed=content_changed)
        expected = full_build(config, tmp_path / f"full-{number}")
        assert tree(config.output_dir) == expected, f"incremental build differs after: {name}"
        assert result.rendered < result.pages or name == "stakeholder alias", name


def test_unchanged_outputs_are_not_rewritten(project: Path) -> None:
    config = load_config(project / "config.yaml")
    state, _ = rebuild(config)
    home = config.output_dir / "index.html"
    untouched = config.output_dir / "summits/singapore-2018/index.html"
    before = untouched.stat()
    edit(project, "content/proposals/financial-aid.yaml", "title: ", "title: Renamed ")()
    _, result = rebuild(config, state)
    assert "proposals/financial-aid/index.html" in result.write.changed
    assert untouched.stat().st_ino == before.st_ino
    assert untouched.stat().st_mtime_ns == before.st_mtime_ns
    assert "Renamed" in home.read_text()


def test_deleted_content_removes_its_page_and_links(project: Path) -> None:
    config = load_config(project / "config.yaml")
    added = project / "content/stakeholders/stimson-center.yaml"
    added.write_text(
        "id: stimson-center\nname: Henry L. Stimson Center\nkind: organisation\naliases: [Stimson Center]\n"
    )
    state, _ = rebuild(config)
    page = config.output_dir / "stakeholders/stimson-center/index.html"
    source = config.output_dir / "sources/wit-dmz-meeting/index.html"
    assert page.exists()
    assert "stakeholders/stimson-center/" in source.read_text()  # the mention is linked
    added.unlink()
    state, result = rebuild(config, state)
    assert not page.exists()
    assert "stakeholders/stimson-center/index.html" in result.write.changed
    assert not any("stimson-center" in p.read_text() for p in config.output_dir.rglob("*.html"))


def test_every_page_job_carries_its_inputs(project: Path) -> None:
    # Made by the code that makes the page: a page cannot exist without them. Every page
    # that shows records reads at least one; only the fixed files read none.
    state, _ = rebuild(load_config(project / "config.yaml"))
    jobs = page_jobs(state.site, view_jobs(state.site))
    empty = {path for path, job in jobs.items() if not job.inputs}
    assert empty == {"404.html", ".nojekyll", "robots.txt"}
    assert set(state.inputs) == set(jobs)
