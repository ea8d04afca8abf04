"""Rendering in worker processes gives the very bytes of rendering in one process, and a
failure in a worker is reported as the one-process build reports it."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest

from generator.build import load_site, pages_by_kind
from generator.config import load_config
from generator.render import PageJob, make_environment, page_jobs
from generator.views import view_jobs
from generator.workers import render_jobs
from tests.conftest import Built

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def jobs_and_env() -> tuple[list[PageJob], jinja2.Environment]:
    config = load_config(ROOT / "config.yaml")
    site, _, _ = load_site(config)
    return list(page_jobs(site, view_jobs(site)).values()), make_environment(config.templates_dir)


def test_workers_render_the_same_files_as_one_process(
    jobs_and_env: tuple[list[PageJob], jinja2.Environment],
) -> None:
    jobs, env = jobs_and_env
    alone = {file.path: file.data for file in render_jobs(env, jobs, processes=1)}
    pooled = [file for file in render_jobs(env, jobs, processes=2, threshold=1)]
    assert len(pooled) == len(jobs)
    assert {file.path: file.data for file in pooled} == alone


def test_a_failing_page_in_a_worker_raises_in_the_caller(
    jobs_and_env: tuple[list[PageJob], jinja2.Environment],
) -> None:
    jobs, env = jobs_and_env

    def broken(env: jinja2.Environment) -> object:
        return env.from_string("{{ missing.attribute }}", globals={}).render(
            missing=jinja2.StrictUndefined(name="missing")
        )

    failing = [*jobs[:5], PageJob("broken.html", "broken.html", broken, frozenset()), *jobs[5:]]
    with pytest.raises(jinja2.UndefinedError):
        list(render_jobs(env, failing, processes=2, threshold=1))


def test_pages_are_counted_by_kind() -> None:
    paths = ["index.html", "summits/index.html", "summits/a/index.html", "sources/s/index.html", "feed.xml"]
    assert pages_by_kind(paths) == {"summit": 1, "proposal": 0, "stakeholder": 0, "source": 1, "other": 2}


def test_a_full_build_counts_every_page_rendered_once(built: Built) -> None:
    assert built.result.rendered == built.result.pages == sum(built.result.pages_by_kind.values())


def test_split_map_gives_every_result_in_order_from_every_process() -> None:
    import os

    from generator.parallel import split_map

    pids = split_map(lambda item: (item * item, os.getpid()), list(range(101)), processes=3)
    assert [square for square, _ in pids] == [i * i for i in range(101)]
    workers = {pid for _, pid in pids} - {os.getpid()}
    assert os.getpid() in {pid for _, pid in pids}  # this process took its own share
    assert 1 <= len(workers) <= 2  # and forked workers the others (one may take both)
