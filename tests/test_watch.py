"""Change classification and debouncing, without sockets or sleeping."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.config import Config, SiteConfig
from generator.serve.watch import ChangeSet, Debouncer, classify


@pytest.fixture
def config(tmp_path: Path) -> Config:
    root = tmp_path / "project"
    return Config(
        site=SiteConfig(title="t", description="d"),
        root=root,
        config_file=root / "config.yaml",
        content_dir=root / "content",
        output_dir=root / "site",
        templates_dir=root / "templates",
    )


@pytest.mark.parametrize(
    ("relative", "kind"),
    [
        ("config.yaml", "config"),
        ("content/summits/hanoi-2019.yaml", "content"),
        ("content/sources/wit.txt", "content"),
        ("content/sources/deep/er/note.md", "content"),
        ("templates/summit.html", "template"),
        ("templates/static/style.css", "static"),
        ("templates/static/fonts/a.woff2", "static"),
        ("site/index.html", None),
        (".site.staging-abc/index.html", None),
        ("README.md", None),
        ("other.yaml", None),
    ],
)
def test_classify_by_kind(config: Config, relative: str, kind: str | None) -> None:
    assert classify(config.root / relative, config) == kind


@pytest.mark.parametrize(
    "name",
    [".hanoi-2019.yaml.swp", "hanoi-2019.yaml.swp", "hanoi-2019.yaml~", ".#hanoi-2019.yaml", "4913", "#x#"],
)
def test_editor_files_are_ignored(config: Config, name: str) -> None:
    assert classify(config.content_dir / "summits" / name, config) is None
    assert classify(config.templates_dir / name, config) is None


def test_a_burst_becomes_one_change_set_with_the_last_event_per_path() -> None:
    debounce = Debouncer(quiet=0.05)
    # vim's save: 4913 probe, backup rename, write, delete backup (only real paths reach it)
    debounce.add("content/summits/a.yaml", "content", now=10.000)
    debounce.add("templates/base.html", "template", now=10.010)
    debounce.add("content/summits/a.yaml", "content", now=10.020)
    assert debounce.take(now=10.060) is None  # 40 ms after the last event: still quiet period
    changes = debounce.take(now=10.071)
    assert changes == ChangeSet((("content/summits/a.yaml", "content"), ("templates/base.html", "template")))
    assert changes.kinds == {"content", "template"}
    assert debounce.take(now=11.0) is None  # released once
    assert debounce.wait(now=11.0) is None


def test_quiet_period_restarts_with_each_event() -> None:
    debounce = Debouncer(quiet=0.05)
    for i in range(50):  # a git checkout touching 50 files, 10 ms apart
        debounce.add(f"content/proposals/p{i}.yaml", "content", now=i * 0.01)
        assert debounce.take(now=i * 0.01 + 0.009) is None
    changes = debounce.take(now=0.49 + 0.05)
    assert changes is not None
    assert len(changes.paths) == 50


def test_a_never_ending_stream_is_still_released_after_the_longest_wait() -> None:
    debounce = Debouncer(quiet=0.05, longest=1.0)
    now = 0.0
    released = None
    while released is None and now < 5:
        debounce.add("content/summits/a.yaml", "content", now=now)
        now += 0.02
        released = debounce.take(now)
    assert released is not None
    assert 1.0 <= now < 1.1


def test_wait_reports_time_until_due() -> None:
    debounce = Debouncer(quiet=0.05)
    assert debounce.wait(0.0) is None
    debounce.add("a", "content", now=1.0)
    assert debounce.wait(1.01) == pytest.approx(0.04)
    assert debounce.wait(2.0) == 0.0
