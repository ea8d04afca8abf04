"""The editorial report: one pair of fixture folders per warning, and the real content.

Each `tests/fixtures/editorial/<code>-triggers/` is a small complete content folder that
must give exactly the warnings of its `expected.txt` (the first line of each note, files
relative to the fixture folder); `<code>-clean/` is the same content done right, and
must give no warning at all. The date is always passed explicitly, so that no test
depends on the day it runs.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
from conftest import fixture_config

from generator.build import load_site
from generator.config import Config, load_config
from generator.editorial import (
    CITABLE_KINDS,
    NOTE_CODES,
    Coverage,
    EditorialReport,
    editorial_report,
    format_json,
    format_text,
)
from generator.errors import CODES
from generator.link import LinkedSite
from generator.validate import ValidatedContent

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
TEMPLATES = ROOT / "templates"
FIXTURES = TESTS / "fixtures" / "editorial"
TODAY = date(2026, 11, 22)


def config_for(content: Path, out: Path) -> Config:
    return fixture_config(content, out)


def report_for(folder: Path, out: Path, **options: float) -> EditorialReport:
    site, _, validated = load_site(config_for(folder, out))
    return editorial_report(site, validated, TODAY, **options)


def first_lines(report: EditorialReport) -> list[str]:
    return [str(note).splitlines()[0] for note in report.notes]


# -- fixtures ------------------------------------------------------------------------------


def test_every_code_has_both_fixtures():
    folders = {p.name for p in FIXTURES.iterdir() if p.is_dir()}
    assert folders == {f"{code}-{case}" for code in NOTE_CODES for case in ("triggers", "clean")}
    for code in NOTE_CODES:
        assert (FIXTURES / f"{code}-triggers" / "expected.txt").is_file(), code


def test_codes_are_distinct_from_the_error_codes():
    assert not set(NOTE_CODES) & set(CODES)
    assert not set(NOTE_CODES.values()) & set(CODES.values())


@pytest.mark.parametrize("code", sorted(NOTE_CODES))
def test_triggers_fixture_gives_exactly_its_warnings(code, tmp_path):
    folder = FIXTURES / f"{code}-triggers"
    expected = (folder / "expected.txt").read_text(encoding="utf-8").splitlines()
    report = report_for(folder, tmp_path / "site")
    assert first_lines(report) == expected
    assert {note.code for note in report.notes} == {code}
    for note in report.notes:
        assert note.name == NOTE_CODES[code]
        assert note.location.line > 0 and note.location.col > 0
        assert note.hint


@pytest.mark.parametrize("code", sorted(NOTE_CODES))
def test_clean_fixture_gives_no_warning(code, tmp_path):
    report = report_for(FIXTURES / f"{code}-clean", tmp_path / "site")
    assert code not in {note.code for note in report.notes}
    assert report.notes == ()  # done right, the content is clean of every other warning too


def test_coverage_counts_paragraphs_lists_and_tables_not_titles_or_headings(tmp_path):
    # The memo has a title, a heading, 9 paragraphs and a list; one paragraph is cited.
    report = report_for(FIXTURES / "BRF103-clean", tmp_path / "site")
    assert report.coverage == (Coverage("memo", "sources/memo.txt", 1, 10),)
    assert report.coverage[0].share == pytest.approx(0.10)  # at the threshold, not below it


def test_low_coverage_threshold_is_an_option(tmp_path):
    report = report_for(FIXTURES / "BRF103-clean", tmp_path / "site", low_coverage=0.5)
    assert [note.code for note in report.notes] == ["BRF103"]


def test_a_source_with_nothing_to_cite_has_a_zero_share():
    assert Coverage("empty", "sources/empty.txt", 0, 0).share == 0.0


def test_dates_are_judged_against_the_given_day(tmp_path):
    folder = FIXTURES / "BRF107-triggers"
    site, _, validated = load_site(config_for(folder, tmp_path / "site"))
    assert editorial_report(site, validated, TODAY) == editorial_report(site, validated, TODAY)
    # Before its dates, the prospective summit is fine; a held summit in the future is not.
    earlier = editorial_report(site, validated, date(2026, 1, 1))
    assert [str(n.location) for n in earlier.notes] == [
        "summits/future-held.yaml:3:9",
        "summits/undated-held.yaml:3:9",
    ]


def test_text_format_of_a_note_has_position_message_code_and_hint(tmp_path):
    text = format_text(report_for(FIXTURES / "BRF102-triggers", tmp_path / "site"))
    lines = text.splitlines()
    assert lines[0] == (
        "sources/statement.yaml:1:5: warning: source 'statement' is cited by no claim [BRF102 uncited-source]"
    )
    assert lines[1].startswith("    hint: ")
    assert lines[-1] == "1 warning (1 uncited-source); 2 sources, 2 of 3 citable blocks cited (67%)"


# -- the real content ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> tuple[LinkedSite, ValidatedContent, EditorialReport]:
    out = tmp_path_factory.mktemp("editorial") / "site"
    site, _, validated = load_site(load_config(ROOT / "config.yaml", output_dir=out))
    return site, validated, editorial_report(site, validated, TODAY)


def test_real_content_has_no_citation_quote_or_date_warnings(real):
    _, _, report = real
    assert [str(n) for n in report.notes if n.code in {"BRF101", "BRF102", "BRF106", "BRF107"}] == []


def test_real_content_notes_are_sorted_and_placed(real):
    _, _, report = real
    assert list(report.notes) == sorted(report.notes)
    for note in report.notes:
        assert note.location.file.startswith("content/")
        assert note.location.line > 0


def test_real_coverage_matches_the_verified_quotes(real):
    site, validated, report = real
    assert [c.source_id for c in report.coverage] == sorted(s.meta.id for s in validated.sources)
    assert len(report.coverage) == 3
    for item in report.coverage:
        source = site.source(item.source_id)
        citable = {b.anchor for b in source.body.blocks if b.kind in CITABLE_KINDS}
        quoted = {t.anchor for t in site.targets.values() if t.source_id == item.source_id}
        assert item.file == source.body.file
        assert item.citable_blocks == len(citable) > 0
        assert item.cited_blocks == len(citable & quoted) > 0


def test_json_parses_and_round_trips_the_counts(real):
    _, _, report = real
    text = format_json(report)
    assert text == format_json(report)  # stable
    data = json.loads(text)
    assert data["counts"] == report.counts()
    assert data["counts"]["warnings"] == len(data["warnings"]) == sum(data["counts"]["by_code"].values())
    assert set(data["counts"]["by_code"]) == set(NOTE_CODES)
    for entry, note in zip(data["warnings"], report.notes, strict=True):
        assert entry == {
            "file": note.location.file,
            "line": note.location.line,
            "col": note.location.col,
            "code": note.code,
            "name": note.name,
            "message": note.message,
            "hint": note.hint,
        }
    assert [(c["source"], c["cited"], c["citable"]) for c in data["coverage"]] == [
        (c.source_id, c.cited_blocks, c.citable_blocks) for c in report.coverage
    ]
    assert all(c["share"] == pytest.approx(c["cited"] / c["citable"], abs=1e-4) for c in data["coverage"])


def test_text_has_notes_coverage_table_and_summary(real):
    _, _, report = real
    lines = format_text(report).splitlines()
    note_line = re.compile(r"^\S+:\d+:\d+: warning: .+ \[BRF1\d\d [a-z-]+\]$")
    assert sum(1 for line in lines if note_line.match(line)) == len(report.notes)
    assert sum(1 for line in lines if line.startswith("    hint: ")) == len(report.notes)
    header = lines.index("coverage (citable blocks cited by at least one claim):")
    assert lines[header + 1].split() == ["source", "cited/citable", "share"]
    for item, row in zip(report.coverage, lines[header + 2 : header + 5], strict=True):
        assert row.split() == [
            item.source_id,
            f"{item.cited_blocks}/{item.citable_blocks}",
            f"{item.share:.0%}",
        ]
    assert lines[-1].startswith(f"{len(report.notes)} warning")
