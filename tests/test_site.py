"""End-to-end checks of the site built from the real content.

The content YAML is read independently of the generator (plain PyYAML) and every
expectation is checked against the built HTML, parsed with html5lib: links resolve,
cross-links hold both ways, citations land on the paragraph that holds the quote.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote

import pytest
import yaml
from conftest import (
    CONFIG,
    CONTENT,
    KINDS,
    SUBPATH_BASE_URL,
    Content,
    Page,
    Site,
    build_into,
    claims,
    is_external,
    page_file,
    snapshot,
    text_of,
)

from generator.config import load_config
from generator.render import CATEGORY_LABELS
from generator.sourcetext import normalize

ENTITY_PAGE = re.compile(r"^(summits|proposals|stakeholders|sources)/([a-z0-9-]+)/index\.html$")


# -- helpers -------------------------------------------------------------------------------


def linked_ids(page: Page, within: ET.Element | None, folder: str) -> list[str]:
    """Ids of the `folder` entity pages linked inside `within`, in document order, once each."""
    found: list[str] = []
    for anchor in page.anchors(within):
        href = anchor.get("href", "")
        if is_external(href) or href.startswith("#"):
            continue
        match = ENTITY_PAGE.match(page.resolve(href).file)
        if match and match.group(1) == folder and match.group(2) not in found:
            found.append(match.group(2))
    return found


def fact(page: Page, label: str) -> ET.Element:
    """The <dd> that follows <dt>label</dt> in the page's facts list."""
    for dl in page.root.iter("dl"):
        children = list(dl)
        for dt_el, dd_el in itertools.pairwise(children):
            if dt_el.tag == "dt" and text_of(dt_el) == label and dd_el.tag == "dd":
                return dd_el
    raise AssertionError(f"{page.file}: no fact {label!r}")


def has_class(element: ET.Element, name: str) -> bool:
    return name in element.get("class", "").split()


def cite_links(page: Page, element: ET.Element) -> list[ET.Element]:
    """The citation marks (`sup.cite a`) inside `element`, in order."""
    return [a for sup in element.iter("sup") if has_class(sup, "cite") for a in sup.iter("a")]


def source_blocks(page: Page) -> list[ET.Element]:
    return [div for div in page.root.iter("div") if has_class(div, "block")]


def block_kind(block: ET.Element) -> str:
    kinds = [c[len("block-") :] for c in block.get("class", "").split() if c.startswith("block-")]
    assert len(kinds) == 1, f"block {block.get('id')} has classes {block.get('class')}"
    return kinds[0]


def block_content(block: ET.Element) -> list[ET.Element]:
    """The source text of a block: its children minus the ¶ anchor and the cited-by aside."""
    return [
        child
        for child in block
        if child.tag != "aside" and not (child.tag == "a" and has_class(child, "anchor"))
    ]


def block_text(block: ET.Element) -> str:
    """A block's words as the generator quotes them: list items and table rows on lines,
    table cells joined by ' | '."""
    lines: list[str] = []
    for child in block_content(block):
        if child.tag == "table":
            for row in child.iter("tr"):
                lines.append(" | ".join(text_of(cell) for cell in row if cell.tag in ("td", "th")))
        elif child.tag in ("ul", "ol"):
            lines.extend(text_of(item) for item in child.iter("li"))
        else:
            lines.append(text_of(child))
    return "\n".join(lines)


def displayed_runs(block: ET.Element) -> list[str]:
    """The pieces of text a browser shows as separate boxes: paragraphs, list items, cells."""
    runs: list[str] = []
    for child in block_content(block):
        if child.tag == "table":
            runs.extend(text_of(cell) for cell in child.iter() if cell.tag in ("td", "th"))
        elif child.tag in ("ul", "ol"):
            runs.extend(text_of(item) for item in child.iter("li"))
        else:
            runs.append(text_of(child))
    return runs


def aside_of(block: ET.Element) -> ET.Element | None:
    return next((c for c in block if c.tag == "aside" and has_class(c, "cited-by")), None)


def summary_pages(content: Content) -> list[tuple[str, str]]:
    return [(folder, ident) for folder, ident, _ in content.summaries()]


def citations_of(data: dict) -> list[dict]:
    return [c for _, claim in claims(data) for c in claim.get("cite") or ()]


def mention_names(content: Content) -> dict[str, str]:
    """Every stakeholder and summit name and alias → the page file it links to."""
    names: dict[str, str] = {}
    for folder in ("stakeholders", "summits"):
        for ident, data in content.group(folder).items():
            for name in [data["name"], *(data.get("aliases") or ())]:
                names[name] = page_file(folder, ident)
    return names


def mention_pattern(names: dict[str, str]) -> re.Pattern[str]:
    ordered = sorted(names, key=lambda n: (-len(n), n))
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(n) for n in ordered) + r")(?!\w)")


def chronological(content: Content) -> list[str]:
    return sorted(
        content.summits,
        key=lambda i: (content.summits[i].get("start") or dt.date.max, content.summits[i]["name"]),
    )


# -- files and links -------------------------------------------------------------------------


def test_every_content_file_has_its_page(site: Site, content: Content) -> None:
    expected = {page_file(folder, ident) for folder in KINDS for ident in content.group(folder)}
    missing = sorted(f for f in expected if not (site.folder / f).is_file())
    assert not missing, f"pages not built: {missing}"
    entity_pages = {f for f in site.html_files if ENTITY_PAGE.match(f)}
    assert entity_pages == expected, "pages built for content that does not exist"
    for folder in KINDS:
        for ident, data in content.group(folder).items():
            h1 = next(site.page(page_file(folder, ident)).root.iter("h1"))
            assert text_of(h1) == " ".join((data.get("name") or data["title"]).split())


def test_index_pages_and_site_files_exist(site_dir: Path) -> None:
    for name in ["index.html", "404.html", ".nojekyll", "static/style.css"] + [page_file(f) for f in KINDS]:
        assert (site_dir / name).is_file(), f"{name} missing from the built site"
    assert (site_dir / "static/style.css").stat().st_size > 0


def test_every_internal_link_and_fragment_resolves(site: Site) -> None:
    broken: list[str] = []
    checked = with_directive = 0
    for page in site.pages():
        for href in page.hrefs():
            if is_external(href):
                continue
            checked += 1
            target = page.resolve(href)
            with_directive += bool(target.directive)
            if not (site.folder / target.file).is_file():
                broken.append(f"{page.file}: {href} → missing {target.file}")
            elif (
                target.fragment
                and target.file.endswith(".html")
                and target.fragment not in site.page(target.file).ids
            ):
                broken.append(f"{page.file}: {href} → no id {target.fragment!r} in {target.file}")
    assert not broken, "\n".join(broken[:30])
    assert checked > 1000 and with_directive > 50  # the check really walked the site


def test_internal_links_are_relative_except_on_404(site: Site) -> None:
    rooted = []
    for page in site.pages():
        for href in page.hrefs():
            if is_external(href) or href.startswith("#"):
                continue
            if page.file == "404.html":
                assert href.startswith("/"), f"404.html link {href!r} must be rooted (served at any depth)"
            elif href.startswith("/"):
                rooted.append(f"{page.file}: {href}")
    assert not rooted, rooted[:20]


def test_canonical_links_use_the_configured_base_url(site: Site) -> None:
    base = load_config(CONFIG).site.base_url
    for page in site.pages():
        canonical = [el.get("href") for el in page.root.iter("link") if el.get("rel") == "canonical"]
        if page.file == "404.html":
            assert canonical == [], "the 404 page has no address of its own"
        else:
            assert canonical == [base + page.file.removesuffix("index.html")], page.file


# -- cross-links -------------------------------------------------------------------------------


def test_summit_proposals_link_both_ways(site: Site, content: Content) -> None:
    tabled_at: dict[str, list[str]] = {pid: [] for pid in content.proposals}
    for sid, summit in content.summits.items():
        page = site.page(page_file("summits", sid))
        listed = [item["proposal"] for item in summit.get("proposals") or ()]
        if listed:
            assert linked_ids(page, page.section("on-the-table"), "proposals") == listed, sid
        for pid in listed:
            tabled_at[pid].append(sid)
            proposal_page = site.page(page_file("proposals", pid))
            entry = proposal_page.by_id(f"at-{sid}")
            assert linked_ids(proposal_page, entry, "summits") == [sid], f"{pid} does not link back to {sid}"
    for pid, summits in tabled_at.items():
        page = site.page(page_file("proposals", pid))
        assert set(linked_ids(page, page.section("at-summits"), "summits")) == set(summits), pid


def test_participants_link_both_ways(site: Site, content: Content) -> None:
    attended: dict[str, set[str]] = {ident: set() for ident in content.stakeholders}
    for sid, summit in content.summits.items():
        participants = list(summit.get("participants") or ())
        page = site.page(page_file("summits", sid))
        if participants:
            assert linked_ids(page, fact(page, "Participants"), "stakeholders") == participants, sid
        for who in participants:
            attended[who].add(sid)
    assert any(attended.values())
    for who, summits in attended.items():
        page = site.page(page_file("stakeholders", who))
        assert set(linked_ids(page, page.section("summits"), "summits")) == summits, who


def test_positions_link_both_ways(site: Site, content: Content) -> None:
    held: dict[str, dict[str, str]] = {ident: {} for ident in content.stakeholders}
    for pid, proposal in content.proposals.items():
        page = site.page(page_file("proposals", pid))
        for index, position in enumerate(proposal.get("positions") or ()):
            who, stance = position["stakeholder"], position["stance"]
            held[who][pid] = stance
            entry = page.by_id(f"positions-{index + 1}")
            assert linked_ids(page, entry, "stakeholders") == [who], f"{pid} position {index + 1}"
            assert [s for s in entry.iter("span") if has_class(s, f"stance-{stance}")], f"{pid}: {who}"
    assert sum(len(v) for v in held.values()) >= 10
    for who, positions in held.items():
        page = site.page(page_file("stakeholders", who))
        if not positions:
            assert "positions" not in page.ids, who
            continue
        section = page.section("positions")
        shown = {li.get("id") for li in section.iter("li") if li.get("id")}
        assert shown == {f"on-{pid}" for pid in positions}, who
        for pid, stance in positions.items():
            entry = page.by_id(f"on-{pid}")
            assert linked_ids(page, entry, "proposals") == [pid], f"{who} on {pid}"
            assert [s for s in entry.iter("span") if has_class(s, f"stance-{stance}")], f"{who} on {pid}"


def test_proposed_by_links_both_ways(site: Site, content: Content) -> None:
    proposed: dict[str, set[str]] = {ident: set() for ident in content.stakeholders}
    for pid, proposal in content.proposals.items():
        by = list(proposal.get("proposed_by") or ())
        page = site.page(page_file("proposals", pid))
        if by:
            assert linked_ids(page, fact(page, "Proposed by"), "stakeholders") == by, pid
        for who in by:
            proposed[who].add(pid)
    for who, pids in proposed.items():
        page = site.page(page_file("stakeholders", who))
        if pids:
            assert set(linked_ids(page, page.section("proposed"), "proposals")) == pids, who
        else:
            assert "proposed" not in page.ids, who


def test_cited_sources_link_both_ways(site: Site, content: Content) -> None:
    citing: dict[str, set[str]] = {ident: set() for ident in content.sources}
    for folder, ident, data in content.summaries():
        page = site.page(page_file(folder, ident))
        cited = {c["source"] for c in citations_of(data)}
        assert set(linked_ids(page, page.section("sources"), "sources")) == cited, f"{folder}/{ident}"
        for source in cited:
            citing[source].add(page_file(folder, ident))
    for source, pages in citing.items():
        page = site.page(page_file("sources", source))
        cited_by = fact(page, "Cited")
        shown = {page.resolve(a.get("href", "")).file for a in page.anchors(cited_by)}
        assert shown == pages, f"source {source}: 'Cited' lists the wrong pages"


def test_cited_paragraphs_list_the_claims_citing_them(site: Site, content: Content) -> None:
    checked = 0
    for folder, ident, data in content.summaries():
        page = site.page(page_file(folder, ident))
        for claim_id, _ in claims(data):
            for link in cite_links(page, page.by_id(claim_id)):
                target = page.resolve(link.get("href", ""))
                source_page = site.page(target.file)
                aside = aside_of(source_page.by_id(target.fragment))
                assert aside is not None, (
                    f"{target.file}#{target.fragment} cited by {page.file} has no 'Cited by'"
                )
                backlinks = {
                    (t.file, t.fragment)
                    for t in (source_page.resolve(a.get("href", "")) for a in aside.iter("a"))
                }
                assert (page.file, claim_id) in backlinks, (
                    f"{target.file}#{target.fragment} ↛ {page.file}#{claim_id}"
                )
                checked += 1
    assert checked >= 60


def test_every_citation_lands_on_the_paragraph_holding_its_quote(site: Site, content: Content) -> None:
    checked = 0
    problems: list[str] = []
    for folder, ident, data in content.summaries():
        page = site.page(page_file(folder, ident))
        for claim_id, claim in claims(data):
            cites = list(claim.get("cite") or ())
            links = cite_links(page, page.by_id(claim_id))
            assert len(links) == len(cites), (
                f"{page.file}#{claim_id}: {len(cites)} citations, {len(links)} marks"
            )
            for citation, link in zip(cites, links, strict=True):
                target = page.resolve(link.get("href", ""))
                assert target.file == page_file("sources", citation["source"]), f"{page.file}#{claim_id}"
                assert target.fragment, f"{page.file}#{claim_id}: citation link has no fragment"
                text = block_text(site.page(target.file).by_id(target.fragment))
                if normalize(citation["quote"]) not in normalize(text):
                    problems.append(
                        f"{page.file}#{claim_id}: {citation['quote']!r} not in #{target.fragment}"
                    )
                checked += 1
    assert not problems, "\n".join(problems)
    assert checked >= 60


def test_citation_text_fragments_match_the_displayed_text(site: Site) -> None:
    """The `:~:text=` highlight of a citation can only work if each of its terms appears
    within one paragraph, list item or table cell as the browser displays it."""
    unmatched: list[str] = []
    checked = 0
    for page in site.pages():
        if not ENTITY_PAGE.match(page.file) or page.file.startswith("sources/"):
            continue
        for sup in page.root.iter("sup"):
            for link in sup.iter("a"):
                target = page.resolve(link.get("href", ""))
                assert target.directive.startswith("text="), f"{page.file}: {link.get('href')}"
                runs = displayed_runs(site.page(target.file).by_id(target.fragment))
                for term in target.directive[len("text=") :].split(","):
                    words = " ".join(unquote(term).split())
                    checked += 1
                    if not any(words in run for run in runs):
                        unmatched.append(f"{page.file} → {target.file}#{target.fragment}: {words!r}")
    assert checked >= 60
    assert not unmatched, f"{len(set(unmatched))} text fragments cannot match:\n" + "\n".join(
        sorted(set(unmatched))[:15]
    )


def test_cited_by_appears_beside_exactly_the_cited_paragraphs(site: Site, content: Content) -> None:
    targeted: dict[str, set[str]] = {page_file("sources", s): set() for s in content.sources}
    for page in site.pages():
        for sup in page.root.iter("sup"):
            for link in sup.iter("a"):
                target = page.resolve(link.get("href", ""))
                targeted[target.file].add(target.fragment)
    for file, anchors in targeted.items():
        page = site.page(file)
        with_aside = {b.get("id") for b in source_blocks(page) if aside_of(b) is not None}
        assert with_aside == anchors, file
        for block in source_blocks(page):
            if block.get("id") in anchors:
                assert "Cited by" in text_of(aside_of(block)), file


# -- mentions -------------------------------------------------------------------------------


def test_john_bolton_is_linked_in_the_dmz_op_ed(site: Site) -> None:
    page = site.page(page_file("sources", "wit-dmz-meeting"))
    mentions = [a for a in page.anchors(css_class="mention") if text_of(a) == "John Bolton"]
    assert mentions, "'John Bolton' is not linked in the wit-dmz-meeting source"
    assert {page.resolve(a.get("href", "")).file for a in mentions} == {
        page_file("stakeholders", "john-bolton")
    }


def test_names_in_source_text_link_to_their_pages(site: Site, content: Content) -> None:
    names = mention_names(content)
    pattern = mention_pattern(names)
    missing: list[str] = []
    checked = 0
    for source in content.sources:
        page = site.page(page_file("sources", source))
        for block in source_blocks(page):
            if block_kind(block) in ("title", "heading"):
                continue
            expected = set()
            for child in block_content(block):
                runs = (
                    [c for c in child.iter("td")]
                    if child.tag == "table"
                    else list(child.iter("li"))
                    if child.tag in ("ul", "ol")
                    else [child]
                )
                for run in runs:
                    expected |= {names[m.group(0)] for m in pattern.finditer("".join(run.itertext()))}
            links = {}
            for anchor in page.anchors(block, "mention"):
                links.setdefault(page.resolve(anchor.get("href", "")).file, []).append(text_of(anchor))
            for file in expected:
                checked += 1
                if file not in links:
                    missing.append(f"{source}#{block.get('id')}: no mention link to {file}")
            for file, texts in links.items():
                for text in texts:
                    assert names.get(text) == file, f"{source}#{block.get('id')}: {text!r} links to {file}"
    assert not missing, "\n".join(missing[:20])
    assert checked >= 30


def test_names_in_headings_are_not_linked(site: Site, content: Content) -> None:
    pattern = mention_pattern(mention_names(content))
    headings_with_names = 0
    for source in content.sources:
        page = site.page(page_file("sources", source))
        for block in source_blocks(page):
            for element in block.iter():
                is_heading = element.tag in ("h1", "h2", "h3", "h4", "h5", "h6") or has_class(
                    element, "source-title"
                )
                if not is_heading:
                    continue
                headings_with_names += bool(pattern.search(text_of(element)))
                assert not list(element.iter("a")), f"{source}: link inside heading {text_of(element)!r}"
    assert headings_with_names >= 2  # e.g. "Challenges of a Trump-Kim Summit ..."


# -- a site published under a sub-path ------------------------------------------------------


def test_canonical_links_are_absolute_under_the_base_url(subpath_site: Site) -> None:
    for page in subpath_site.pages():
        canonical = [el.get("href") for el in page.root.iter("link") if el.get("rel") == "canonical"]
        path = page.file.removesuffix("index.html")
        expected = [] if page.file == "404.html" else [SUBPATH_BASE_URL + path]
        assert canonical == expected, page.file


def test_base_url_changes_nothing_but_absolute_urls(site: Site, subpath_site: Site) -> None:
    default, subpath = snapshot(site.folder), snapshot(subpath_site.folder)
    base = load_config(CONFIG).site.base_url.encode()
    assert default.keys() == subpath.keys()
    for name, data in subpath.items():
        if name == "404.html":
            continue
        assert data.replace(SUBPATH_BASE_URL.encode(), base) == default[name], f"{name} differs"


def test_internal_links_stay_relative_under_a_sub_path(subpath_site: Site) -> None:
    for page in subpath_site.pages():
        if page.file == "404.html":
            continue
        for href in page.hrefs():
            if is_external(href):
                assert href.startswith(SUBPATH_BASE_URL) or "example.org" not in href, href
                continue
            assert not href.startswith("/"), f"{page.file}: {href}"


def test_404_links_are_rooted_at_the_base_path(subpath_site: Site) -> None:
    page = subpath_site.page("404.html")
    hrefs = [h for h in page.hrefs() if not is_external(h) and not h.startswith("#")]
    assert len(hrefs) >= 6  # stylesheet, home, four sections, home link in the text
    for href in hrefs:
        assert href.startswith("/repo/"), href
        target = page.resolve(href.removeprefix("/repo"))
        assert (subpath_site.folder / target.file).is_file(), href


# -- determinism -------------------------------------------------------------------------------


def test_builds_are_byte_identical_and_rebuilds_rewrite_nothing(tmp_path: Path) -> None:
    first = build_into(tmp_path / "one")
    second = build_into(tmp_path / "two")
    expected = snapshot(first.out)
    assert sorted(snapshot(second.out)) == sorted(expected)
    assert snapshot(second.out) == expected, "two builds of the same content differ"
    again = build_into(tmp_path / "one")
    assert snapshot(again.out) == expected
    report = again.result.write
    assert (report.written, report.removed) == (0, 0), "a rebuild of unchanged content rewrote files"
    assert report.unchanged == len(expected) - 1  # every file but the manifest


def test_every_date_in_the_output_comes_from_the_content(site_dir: Path) -> None:
    content_dates = set()
    for path in CONTENT.rglob("*.yaml"):
        content_dates |= set(re.findall(r"\b\d{4}-\d{2}-\d{2}\b", path.read_text(encoding="utf-8")))
    assert content_dates, "the content has dates to compare with"
    for name, data in snapshot(site_dir).items():
        text = data.decode("utf-8", "replace")
        for found in re.findall(r"\b(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2}:\d{2}))?", text):
            day, clock = found
            assert day in content_dates, f"{name} has the date {day}, which no content file gives"
            assert clock in ("", "00:00:00"), f"{name} has a time of day: {day}T{clock}"


# -- the reading side -------------------------------------------------------------------------


def test_hanoi_page_reads_as_a_briefing(site: Site, content: Content) -> None:
    hanoi = content.summits["hanoi-2019"]
    page = site.page(page_file("summits", "hanoi-2019"))
    assert text_of(next(page.root.iter("h1"))) == "Hanoi summit"
    dates = fact(page, "Dates")
    assert text_of(dates) == "27–28 February 2019"
    assert [t.get("datetime") for t in dates.iter("time")] == ["2019-02-27"]
    assert text_of(fact(page, "Place")) == "Hanoi, Vietnam"
    assert text_of(fact(page, "Duration")) == "two days"
    assert "held" in text_of(fact(page, "Status"))
    assert (
        text_of(fact(page, "Participants"))
        == "Donald Trump, Kim Jong Un, United States, North Korea, John Bolton"
    )
    assert text_of(fact(page, "Outcome")) == hanoi["outcome"]
    assert text_of(page.by_id("summary")) == "What happened"
    for heading, key in (("summary", "summary"), ("key-outcomes", "key_outcomes"), ("lessons", "lessons")):
        items = [li for li in page.section(heading).iter("li")]
        assert len(items) == len(hanoi[key]) == 3, heading
        for li, claim in zip(items, hanoi[key], strict=True):
            assert normalize(claim["text"]) in normalize(text_of(li)), heading
            assert cite_links(page, li), f"{heading}: claim without citation mark"
    on_table = page.section("on-the-table")
    assert linked_ids(page, on_table, "proposals") == [
        "complete-denuclearization",
        "un-sanctions-relief",
        "detailed-proposals",
    ]
    assert "Multiple detailed, negotiable proposals" in text_of(on_table)
    assert linked_ids(page, page.section("sources"), "sources") == [
        "chatham-house-alliances",
        "trump-second-term-proposals",
        "wit-dmz-meeting",
    ]
    prev = [a for a in page.anchors() if a.get("rel") == "prev"]
    following = [a for a in page.anchors() if a.get("rel") == "next"]
    assert [page.resolve(a.get("href", "")).file for a in prev] == [page_file("summits", "singapore-2018")]
    assert [page.resolve(a.get("href", "")).file for a in following] == [
        page_file("summits", "panmunjom-2019")
    ]
    assert "Singapore summit" in text_of(prev[0]) and "Panmunjom meeting" in text_of(following[0])
    distinct = {(c["source"], c["quote"]) for c in citations_of(hanoi)}
    notes = [li for li in page.section("notes").iter("li")]
    assert len(notes) == len(distinct)
    assert [li.get("id") for li in notes] == [f"note-{n}" for n in range(1, len(notes) + 1)]


def test_previous_and_next_links_follow_the_timeline(site: Site, content: Content) -> None:
    order = chronological(content)
    for index, sid in enumerate(order):
        page = site.page(page_file("summits", sid))
        prev = [page.resolve(a.get("href", "")).file for a in page.anchors() if a.get("rel") == "prev"]
        following = [page.resolve(a.get("href", "")).file for a in page.anchors() if a.get("rel") == "next"]
        assert prev == ([page_file("summits", order[index - 1])] if index else []), sid
        assert following == ([page_file("summits", order[index + 1])] if index + 1 < len(order) else []), sid


def test_summits_index_is_chronological(site: Site, content: Content) -> None:
    page = site.page(page_file("summits"))
    listed = linked_ids(page, None, "summits")
    assert listed == chronological(content)
    assert listed[:3] == ["singapore-2018", "hanoi-2019", "panmunjom-2019"]
    assert listed[-1] == "second-term-summit"  # prospective, undated: last
    times = [t.get("datetime") for t in page.root.iter("time")]
    assert times == sorted(times) and len(times) == 3
    home = site.page("index.html")
    assert linked_ids(home, home.section("timeline"), "summits") == listed


def test_proposals_index_is_grouped_by_category(site: Site, content: Content) -> None:
    page = site.page(page_file("proposals"))
    seen: list[str] = []
    labels: list[str] = []
    for section in page.root.iter("section"):
        heading = next(section.iter("h2"))
        members = linked_ids(page, section, "proposals")
        categories = {content.proposals[pid]["category"] for pid in members}
        assert len(categories) == 1, f"group {text_of(heading)!r} mixes {categories}"
        assert text_of(heading) == CATEGORY_LABELS[categories.pop()]
        labels.append(text_of(heading))
        seen += members
    assert sorted(seen) == sorted(content.proposals), "every proposal listed exactly once"
    assert len(labels) == len(set(labels)) == len({p["category"] for p in content.proposals.values()})


def trailer_patterns() -> list[re.Pattern[str]]:
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    return [re.compile(p, re.IGNORECASE) for p in config["trailer_patterns"]]


@pytest.mark.parametrize("source", sorted(p.stem for p in (CONTENT / "sources").glob("*.txt")))
def test_source_page_shows_the_full_text_with_paragraph_anchors(site: Site, source: str) -> None:
    page = site.page(page_file("sources", source))
    blocks = source_blocks(page)
    assert len(blocks) >= 5
    for block in blocks:
        anchor = block.get("id")
        assert anchor, f"{source}: block without id"
        assert [a.get("href") for a in page.anchors(block, "anchor")] == [f"#{anchor}"], anchor
    shown = normalize("\n".join(block_text(b) for b in blocks))
    lines = (CONTENT / "sources" / f"{source}.txt").read_text(encoding="utf-8-sig").splitlines()
    patterns = trailer_patterns()
    body, trailer = lines, []
    for index, line in enumerate(lines):
        if line.strip() and any(p.fullmatch(line.strip()) for p in patterns):
            body, trailer = lines[:index], lines[index:]
            break
    checked = 0
    for line in body:
        if not line.strip() or re.fullmatch(r"[\s|:-]+", line):
            continue
        line = re.sub(r"^\s*[-*\u2022]\s+", "", line)
        for cell in [c for c in line.split("|") if c.strip()] if "|" in line else [line]:
            checked += 1
            assert normalize(cell) in shown, f"{source}: missing from the page: {cell.strip()[:80]!r}"
    assert checked >= len(blocks)
    for line in trailer:
        if line.strip():
            assert normalize(line) not in normalize(page.source), f"{source}: trailer {line!r} shown"
