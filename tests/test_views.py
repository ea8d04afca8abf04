"""The reader views (timeline, comparison tables, briefing book) on the real content.

The views are rendered straight from `generator.views` (they need not be hooked into the
build for these tests) and written into a copy of the built site, so that every relative
link can be followed to a real page and fragment, and the W3C checker sees them in place.
Expectations are read from the YAML with plain PyYAML (the `content` fixture), never from
the generator's own view data.
"""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from conftest import CONFIG, ROOT, Content, Page, Site, claims, copy_project, is_external, text_of
from test_html_valid import run_vnu

from generator.build import load_site
from generator.config import load_config
from generator.deps import changed_inputs, record_inputs, stale_pages
from generator.link import LinkedSite
from generator.render import STANCE_LABELS, make_environment
from generator.sourcetext import normalize
from generator.views import view_jobs

TIMELINE = "timeline/index.html"
COMPARE = "compare/index.html"
BOOK = "book/index.html"
VIEWS = (TIMELINE, COMPARE, BOOK)
SUMMIT_ORDER = ["singapore-2018", "hanoi-2019", "panmunjom-2019", "second-term-summit"]


# -- rendering -------------------------------------------------------------------------------


def linked_site(config_file: Path, out: Path) -> LinkedSite:
    site, _, _ = load_site(load_config(config_file, output_dir=out))
    return site


def render_views(site: LinkedSite) -> dict[str, bytes]:
    env = make_environment(ROOT / "templates")
    return {job.path: job.render(env).data for job in view_jobs(site)}


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory) -> LinkedSite:
    return linked_site(CONFIG, tmp_path_factory.mktemp("views-out") / "site")


@pytest.fixture(scope="module")
def rendered(linked: LinkedSite) -> dict[str, bytes]:
    return render_views(linked)


@pytest.fixture(scope="module")
def folder(site_dir: Path, rendered: dict[str, bytes], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the built site with the views written into it."""
    out = tmp_path_factory.mktemp("views") / "site"
    shutil.copytree(site_dir, out)
    for path, data in rendered.items():
        (out / path).parent.mkdir(parents=True, exist_ok=True)
        (out / path).write_bytes(data)
    return out


@pytest.fixture(scope="module")
def pages(folder: Path) -> Site:
    return Site(folder)


# -- helpers ---------------------------------------------------------------------------------


def by_class(scope: ET.Element, tag: str, css_class: str) -> list[ET.Element]:
    return [el for el in scope.iter(tag) if css_class in el.get("class", "").split()]


def children(element: ET.Element, tag: str) -> list[ET.Element]:
    return [child for child in element if child.tag == tag]


def marks(page: Page, scope: ET.Element) -> set[tuple[str, str]]:
    """(file, fragment) of every citation mark in `scope`, checking each one's form."""
    found = set()
    for sup in by_class(scope, "sup", "cite"):
        link = sup.find("a")
        assert link is not None and link.get("data-quote"), f"{page.file}: a citation mark without a link"
        target = page.resolve(link.get("href", ""))
        assert target.directive.startswith("text="), f"{page.file}: {link.get('href')} highlights nothing"
        found.add((target.file, target.fragment))
    return found


def expected_marks(linked: LinkedSite, cites: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """Where the citations of a YAML claim must lead: the block of the source holding the quote."""
    return {
        (f"sources/{c['source']}/index.html", linked.targets[(c["source"], c["quote"])].anchor) for c in cites
    }


def body_rows(table: ET.Element) -> list[ET.Element]:
    """The rows of `table` that hold data (not the group heading rows)."""
    return [
        row
        for body in children(table, "tbody")
        for row in children(body, "tr")
        if "group" not in row.get("class", "").split()
    ]


def header_file(page: Page, cell: ET.Element) -> str:
    link = cell.find(".//a")
    assert link is not None, f"{page.file}: a header without a link"
    return page.resolve(link.get("href", "")).file


def column_files(page: Page, table: ET.Element) -> list[str]:
    """The page each data column's header links to, left to right."""
    rows = children(children(table, "thead")[0], "tr")
    return [header_file(page, th) for th in children(rows[-1], "th") if "corner" not in th.get("class", "")]


def section_table(page: Page, ident: str) -> ET.Element:
    section = page.by_id(ident)
    assert section.tag == "section", f"{page.file}: #{ident} is not a section"
    tables = list(section.iter("table"))
    assert len(tables) == 1, f"{page.file}: #{ident} holds {len(tables)} tables"
    return tables[0]


def summits_in_order(content: Content) -> list[str]:
    dated = sorted((s["start"], s["name"], i) for i, s in content.summits.items() if s.get("start"))
    undated = sorted((s["name"], i) for i, s in content.summits.items() if not s.get("start"))
    return [i for _, _, i in dated] + [i for _, i in undated]


# -- the pages -------------------------------------------------------------------------------


def test_view_jobs_are_the_three_views_with_their_templates(linked: LinkedSite) -> None:
    jobs = {job.path: job.template for job in view_jobs(linked)}
    assert jobs == {TIMELINE: "timeline.html", COMPARE: "compare.html", BOOK: "book.html"}


def test_views_render_deterministically(linked: LinkedSite, rendered: dict[str, bytes]) -> None:
    assert render_views(linked) == rendered


def test_timeline_lists_every_summit_in_order_with_its_facts(
    pages: Site, content: Content, linked: LinkedSite
) -> None:
    assert summits_in_order(content) == SUMMIT_ORDER
    page = pages.page(TIMELINE)
    timeline = by_class(page.root, "ol", "timeline")
    assert len(timeline) == 1
    entries = children(timeline[0], "li")
    files = [header_file(page, entry.find("h2")) for entry in entries]  # type: ignore[arg-type]
    assert files == [f"summits/{ident}/index.html" for ident in SUMMIT_ORDER]
    for ident, entry in zip(SUMMIT_ORDER, entries, strict=True):
        data, text = content.summits[ident], text_of(entry)
        assert entry.get("id") == f"summit-{ident}"
        assert data["name"] in text and data["status"] in text and data.get("kind", "summit") in text
        for key in ("place", "outcome", "duration"):
            assert not data.get(key) or data[key] in text, f"timeline: {ident} lacks its {key}"
        if data.get("start"):
            assert entry.find(".//time").get("datetime") == data["start"].isoformat()  # type: ignore[union-attr]
        participants = {
            page.resolve(a.get("href", "")).file
            for a in entry.iter("a")
            if "stakeholders/" in a.get("href", "")
        }
        assert participants == {f"stakeholders/{who}/index.html" for who in data["participants"]}
        outcomes = dict(claims({"key_outcomes": data.get("key_outcomes") or []}))
        for claim_id, claim in outcomes.items():
            item = page.by_id(f"summit-{ident}--{claim_id}")
            assert marks(page, item) == expected_marks(linked, claim["cite"])
        assert len([li for ul in by_class(entry, "ul", "claims") for li in ul]) == len(outcomes)
    assert page.section("notes") is not None


def test_compare_has_a_row_per_summit_with_place_duration_and_outcome(
    pages: Site, content: Content, linked: LinkedSite
) -> None:
    page = pages.page(COMPARE)
    table = section_table(page, "summits")
    header = [text_of(th) for th in children(children(children(table, "thead")[0], "tr")[0], "th")]
    assert header == ["Summit", "Dates", "Place", "Duration", "Outcome", "Key outcomes", "Lessons"]
    rows = body_rows(table)
    assert [header_file(page, row.find("th")) for row in rows] == [  # type: ignore[arg-type]
        f"summits/{ident}/index.html" for ident in SUMMIT_ORDER
    ]
    for ident, row in zip(SUMMIT_ORDER, rows, strict=True):
        data = content.summits[ident]
        cells = children(row, "td")
        assert len(cells) == 6
        for cell, key in zip(cells[1:4], ("place", "duration", "outcome"), strict=True):
            if data.get(key):
                assert text_of(cell) == data[key], f"{ident}: {key}"
            else:
                assert text_of(cell).startswith("Not"), f"{ident}: {key} should say it is not known"
        for cell, key in zip(cells[4:], ("key_outcomes", "lessons"), strict=True):
            expected = list(claims({key: data.get(key) or []}))
            items = [li for ul in cell.iter("ul") for li in ul]
            assert len(items) == len(expected), f"{ident}: {key}"
            for (claim_id, claim), item in zip(expected, items, strict=True):
                assert item.get("id") == f"summit-{ident}--{claim_id}"
                assert marks(page, item) == expected_marks(linked, claim["cite"])


def test_summit_proposal_matrix_marks_exactly_the_proposals_on_each_table(
    pages: Site, content: Content, linked: LinkedSite
) -> None:
    page = pages.page(COMPARE)
    table = section_table(page, "summits-proposals")
    columns = column_files(page, table)
    assert columns == [f"summits/{ident}/index.html" for ident in SUMMIT_ORDER]
    expected = {
        (summit_id, item["proposal"]): (index, item)
        for summit_id, data in content.summits.items()
        for index, item in enumerate(data.get("proposals") or [])
    }
    found = set()
    rows = body_rows(table)
    assert {header_file(page, row.find("th")) for row in rows} == {  # type: ignore[arg-type]
        f"proposals/{ident}/index.html" for ident in content.proposals
    }
    for row in rows:
        proposal = header_file(page, row.find("th")).split("/")[1]  # type: ignore[arg-type]
        cells = children(row, "td")
        assert len(cells) == len(columns)
        for column, cell in zip(columns, cells, strict=True):
            summit = column.split("/")[1]
            links = by_class(cell, "a", "cell-link")
            if (summit, proposal) not in expected:
                assert not list(cell.iter("a")), f"{summit} × {proposal} is filled"
                continue
            found.add((summit, proposal))
            index, item = expected[(summit, proposal)]
            assert len(links) == 1
            target = page.resolve(links[0].get("href", ""))
            assert (target.file, target.fragment) == (column, f"proposals-{index + 1}")
            entry = pages.page(column).by_id(target.fragment)
            assert pages.page(column).links_to(entry, f"proposals/{proposal}/index.html")
            label = text_of(links[0])
            assert f"On the table at {content.summits[summit]['name']}" in label
            assert marks(page, cell) == expected_marks(linked, item["cite"])
    assert found == set(expected)


def test_position_matrix_shows_every_stance_with_its_entry_and_evidence(
    pages: Site, content: Content, linked: LinkedSite
) -> None:
    page = pages.page(COMPARE)
    table = section_table(page, "positions")
    columns = column_files(page, table)
    expected = {
        (position["stakeholder"], proposal_id): (index, position)
        for proposal_id, data in content.proposals.items()
        for index, position in enumerate(data.get("positions") or [])
    }
    holders = {who for who, _ in expected}
    assert sorted(columns) == sorted(f"stakeholders/{who}/index.html" for who in holders)
    found = set()
    for row in body_rows(table):
        proposal = header_file(page, row.find("th")).split("/")[1]  # type: ignore[arg-type]
        cells = children(row, "td")
        assert len(cells) == len(columns)
        for column, cell in zip(columns, cells, strict=True):
            who = column.split("/")[1]
            if (who, proposal) not in expected:
                assert not list(cell.iter("a")), f"{who} on {proposal} is filled"
                continue
            found.add((who, proposal))
            index, position = expected[(who, proposal)]
            links = by_class(cell, "a", "cell-link")
            assert len(links) == 1
            assert text_of(links[0]).startswith(STANCE_LABELS[position["stance"]])
            target = page.resolve(links[0].get("href", ""))
            file = f"proposals/{proposal}/index.html"
            assert (target.file, target.fragment) == (file, f"positions-{index + 1}")
            assert pages.page(file).links_to(pages.page(file).by_id(target.fragment), column)
            assert marks(page, cell) == expected_marks(linked, position["cite"])
    assert found == set(expected)


def test_every_citation_mark_on_the_views_leads_to_the_block_holding_its_quote(pages: Site) -> None:
    for file in VIEWS:
        page = pages.page(file)
        links = [sup.find("a") for sup in by_class(page.root, "sup", "cite")]
        assert links, f"{file}: no citation marks"
        for link in links:
            assert link is not None
            target = page.resolve(link.get("href", ""))
            assert target.file.startswith("sources/")
            block = pages.page(target.file).by_id(target.fragment)
            # A quote from a table row names its cells `a | b`: each cell is in the block.
            for part in link.get("data-quote", "").split(" | "):
                assert normalize(part) in normalize(text_of(block)), link.get("href")


def test_the_book_holds_every_summit_and_proposal_in_full(
    pages: Site, content: Content, linked: LinkedSite
) -> None:
    page = pages.page(BOOK)
    toc = by_class(page.root, "nav", "book-toc")
    assert len(toc) == 1
    toc_targets = [page.resolve(a.get("href", "")) for a in toc[0].iter("a")]
    assert all(t.file == BOOK for t in toc_targets)
    wanted = [f"summit-{i}" for i in SUMMIT_ORDER] + [f"proposal-{i}" for i in content.proposals]
    assert set(wanted) <= {t.fragment for t in toc_targets}
    entries = by_class(page.root, "section", "book-entry")
    assert sorted(e.get("id") or "" for e in entries) == sorted(wanted)
    assert [e.get("id") for e in entries][: len(SUMMIT_ORDER)] == [f"summit-{i}" for i in SUMMIT_ORDER]
    quotes = set()
    for folder, kind in (("summits", "summit"), ("proposals", "proposal")):
        for ident, data in content.group(folder).items():
            entry = page.by_id(f"{kind}-{ident}")
            title = data["name"] if kind == "summit" else data["title"]
            assert title in text_of(entry)
            for claim_id, claim in claims(data):
                item = page.by_id(f"{kind}-{ident}--{claim_id}")
                assert entry in page.ancestors(item), f"{claim_id} of {ident} outside its section"
                assert marks(page, item) == expected_marks(linked, claim.get("cite") or [])
                quotes |= {(c["source"], c["quote"]) for c in claim.get("cite") or []}
    notes = page.section("notes")
    assert len(by_class(page.root, "section", "notes")) == 1
    assert len(list(notes.iter("li"))) == len(quotes), "one numbered note per distinct quote"
    on_table = page.by_id("summit-hanoi-2019--proposals-2")
    assert page.resolve(on_table.find("a").get("href", "")).fragment == "proposal-un-sanctions-relief"  # type: ignore[union-attr]


def test_ids_are_unique_on_every_view(pages: Site) -> None:
    for file in VIEWS:
        counts = Counter(el.get("id") for el in pages.page(file).root.iter() if el.get("id") is not None)
        assert [i for i, n in counts.items() if n > 1] == [], file


def test_internal_links_are_relative_and_resolve(pages: Site) -> None:
    for file in VIEWS:
        page = pages.page(file)
        for element in page.root.iter():
            for attribute in ("href", "src"):
                value = element.get(attribute)
                if (
                    value is None
                    or is_external(value)
                    or (element.tag == "link" and "canonical" in (element.get("rel") or ""))
                ):
                    continue
                assert not value.startswith("/"), f"{file}: {value} is not relative"
                if element.tag == "script" or "pagefind" in value:
                    continue
                target = page.resolve(value)
                assert (pages.folder / target.file).is_file(), f"{file}: {value} leads nowhere"
                if target.fragment and target.file.endswith(".html"):
                    pages.page(target.file).by_id(target.fragment)


def test_tables_are_captioned_scoped_and_scroll_in_a_focusable_region(pages: Site) -> None:
    page = pages.page(COMPARE)
    tables = list(page.root.iter("table"))
    assert len(tables) == 3
    for table in tables:
        caption = children(table, "caption")
        assert len(caption) == 1 and text_of(caption[0])
        assert all(th.get("scope") in ("col", "row", "colgroup", "rowgroup") for th in table.iter("th"))
        region = page.parent(table)
        assert region is not None and "table-scroll" in region.get("class", "")
        assert region.get("tabindex") == "0" and region.get("role") == "region"
        assert region.get("aria-labelledby") == caption[0].get("id")


def view_inputs_of(site: LinkedSite) -> dict[str, frozenset[tuple[str, ...]]]:
    return {job.path: job.inputs for job in view_jobs(site)}


def test_view_inputs_cover_the_views_and_name_their_records(linked: LinkedSite) -> None:
    inputs = {job.path: job.inputs for job in view_jobs(linked)}
    for path in VIEWS:
        assert {("kind", "summit")} | {("summit", ident) for ident in SUMMIT_ORDER} <= inputs[path]
    assert ("proposal", "three-phase-deal") in inputs[COMPARE] and ("proposal", "three-phase-deal") in inputs[
        BOOK
    ]
    assert ("stakeholder", "john-bolton") in inputs[TIMELINE]  # a participant at Hanoi
    assert ("stakeholder", "japan") not in inputs[COMPARE]  # no position, at no summit
    assert ("source", "chatham-house-alliances") in inputs[TIMELINE]  # cited by a key outcome


@pytest.mark.parametrize(
    ("file", "old", "new", "stale", "fresh"),
    [
        ("summits/hanoi-2019.yaml", "name: Hanoi summit", "name: Hanoi summit 2019", set(VIEWS), set()),
        ("stakeholders/john-bolton.yaml", "name: John Bolton", "name: John R. Bolton", set(VIEWS), set()),
        ("stakeholders/japan.yaml", "name: Japan", "name: Japan (Nippon)", set(), set(VIEWS)),
    ],
    ids=["summit-name", "position-holder", "bystander"],
)
def test_an_edit_makes_stale_exactly_the_views_that_show_it(
    tmp_path: Path, file: str, old: str, new: str, stale: set[str], fresh: set[str]
) -> None:
    project = copy_project(tmp_path / "project")
    before = linked_site(project / "config.yaml", tmp_path / "out")
    path = project / "content" / file
    text = path.read_text(encoding="utf-8")
    assert re.search(rf"^{re.escape(old)}$", text, re.MULTILINE), f"{file} has no line {old!r}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    after = linked_site(project / "config.yaml", tmp_path / "out")
    changed = changed_inputs(record_inputs(before), record_inputs(after))
    found = stale_pages(view_inputs_of(before), view_inputs_of(after), changed)
    assert stale <= found and not fresh & found, sorted(found)
    if stale:  # and what they show did change
        assert all(render_views(before)[p] != render_views(after)[p] for p in stale)


def test_the_print_stylesheet_leaves_out_chrome_and_prints_note_addresses() -> None:
    css = (ROOT / "templates/static/style.css").read_text(encoding="utf-8")
    start = css.index("@media print")
    block = css[start:]
    hidden = block[: block.index("display: none")]
    for selector in (
        ".site-header nav",
        ".site-footer",
        ".skip-link",
        ".search",
        "#search",
        ".pager",
        ".anchor",
    ):
        assert selector in hidden, f"print does not hide {selector}"
    assert re.search(r"\.notes a\[data-url\]::after\s*\{[^}]*attr\(data-url\)", block)
    assert re.search(r"\.book-entry\s*\{[^}]*break-before:\s*page", block)
    assert re.search(r"\btr\b[^{}]*\{[^}]*break-inside:\s*avoid", block)


def test_the_views_are_valid_html(folder: Path) -> None:
    run = run_vnu(*(folder / path for path in VIEWS))
    output = (run.stdout + run.stderr).strip()
    assert run.returncode == 0 and output == "", f"vnu exit {run.returncode}:\n{output[:5000]}"
