"""Reader views: the timeline, the comparison tables and the printable briefing book.

These pages are built beside the entity pages from the same linked site and with the
same helpers of `generator.render`: each view is plain data with every link, label and
citation mark resolved here, so the templates only present. Each page numbers its
citations with one `NoteCollector`, so a mark in a table cell leads to its note and to
the paragraph of the source that holds the quote.

`view_jobs` gives the pages to render, each with the records it shows, for incremental
rebuilds (see `generator.deps`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

import jinja2

from generator.link import LinkedSite, claim_fragment, claims_of
from generator.markdown import render_inline
from generator.model import Proposal, ProposalOnTable, Stakeholder, Summit
from generator.render import (
    CATEGORY_LABELS,
    KIND_LABELS,
    STANCE_LABELS,
    ClaimView,
    Input,
    Link,
    NoteCollector,
    NoteRef,
    OutputFile,
    PageJob,
    SummitRow,
    claim_views,
    date_range,
    datetime_attr,
    entity_link,
    grouped,
    page_meta,
    proposal_claims,
    render_page,
    summit_row,
)
from generator.urls import href, page_path

TIMELINE = "timeline/"
COMPARE = "compare/"
BOOK = "book/"

#: Output file of each view, by page path.
VIEW_FILES = {TIMELINE: "timeline/index.html", COMPARE: "compare/index.html", BOOK: "book/index.html"}


def view_jobs(site: LinkedSite) -> list[PageJob]:
    """The reader views, each rendered only when asked (like `render.page_jobs`), with
    the records each one shows."""

    def every(kind: str, idents: Iterable[str]) -> set[Input]:
        return {("kind", kind)} | {(kind, i) for i in idents}

    summits = every("summit", (s.id for s in site.summits))
    proposals = every("proposal", (p.id for p in site.proposals))

    timeline = set(summits)
    timeline |= {("stakeholder", who) for s in site.summits for who in s.participants}
    timeline |= cited_sources(item for s in site.summits for item in s.key_outcomes)

    compare = summits | proposals
    # Only stakeholders with a position head a column, and that set follows from the proposals.
    compare |= {("stakeholder", p.stakeholder) for proposal in site.proposals for p in proposal.positions}
    compare |= cited_sources(
        item for s in site.summits for item in (*s.key_outcomes, *s.lessons, *s.proposals)
    )
    compare |= cited_sources(p for proposal in site.proposals for p in proposal.positions)

    book = summits | proposals
    book |= {("stakeholder", who) for s in site.summits for who in s.participants}
    book |= {("stakeholder", who) for p in site.proposals for who in p.proposed_by}
    book |= {("stakeholder", p.stakeholder) for proposal in site.proposals for p in proposal.positions}
    book |= cited_sources(
        claim for group in (site.summits, site.proposals) for m in group for _, claim in claims_of(m)
    )
    return [
        PageJob(VIEW_FILES[TIMELINE], "timeline.html", partial(render_timeline, site), frozenset(timeline)),
        PageJob(VIEW_FILES[COMPARE], "compare.html", partial(render_compare, site), frozenset(compare)),
        PageJob(VIEW_FILES[BOOK], "book.html", partial(render_book, site), frozenset(book)),
    ]


# -- shared pieces ------------------------------------------------------------------------


def record_id(kind: str, ident: str) -> str:
    """The id of a record's entry on a view: summit-hanoi-2019, proposal-peace-agreement."""
    return f"{kind}-{ident}"


def prefixed(claims: Iterable[ClaimView], prefix: str) -> tuple[ClaimView, ...]:
    """The claims with their ids under `prefix` (a `record_id`).

    Views show the claims of many records on one page, where the plain ids of the entity
    pages (`key-outcomes-1`) would collide. Slugs never hold a double hyphen, so joining
    with one keeps `summit-a--lessons-1` apart from the ids of any other record.
    """
    return tuple(dataclasses.replace(claim, id=f"{prefix}--{claim.id}") for claim in claims)


def by_category(site: LinkedSite) -> list[tuple[str, list[Proposal]]]:
    """Proposals grouped by category in the order of CATEGORY_LABELS, by title within a group."""
    return grouped(site.proposals, CATEGORY_LABELS, lambda p: p.category)


def by_kind(stakeholders: Iterable[Stakeholder]) -> list[tuple[str, list[Stakeholder]]]:
    """Stakeholders grouped by kind in the order of KIND_LABELS."""
    return grouped(stakeholders, KIND_LABELS, lambda s: s.kind)


# -- timeline -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    """One summit or meeting on the timeline."""

    id: str
    row: SummitRow
    duration: str
    participants: tuple[Link, ...]
    outcomes: tuple[ClaimView, ...]
    #: Said in place of the key outcomes when there are none.
    no_outcomes: str


def timeline_entries(site: LinkedSite, page: str, notes: NoteCollector) -> list[TimelineEntry]:
    entries = []
    for summit in site.summits:
        ident = record_id("summit", summit.id)
        outcomes = claim_views(summit.key_outcomes, "key_outcomes", notes)
        held = summit.status != "prospective"
        entries.append(
            TimelineEntry(
                id=ident,
                row=summit_row(site, page, summit),
                duration=summit.duration or "",
                participants=tuple(entity_link(site, page, ("stakeholder", s)) for s in summit.participants),
                outcomes=prefixed(outcomes, ident),
                no_outcomes="No key outcomes recorded." if held else "Not held yet.",
            )
        )
    return entries


def render_timeline(site: LinkedSite, env: jinja2.Environment) -> OutputFile:
    page = TIMELINE
    notes = NoteCollector(site, page)
    entries = timeline_entries(site, page, notes)
    meta = page_meta(
        site, page, "Timeline", "Every summit and meeting, held and prospective, with its key outcomes."
    )
    return render_page(
        env,
        "timeline.html",
        VIEW_FILES[page],
        meta,
        site=site.config,
        entries=entries,
        compare=href(page, COMPARE),
        book=href(page, BOOK),
        notes=notes.notes,
    )


# -- comparison ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SummitComparison:
    """One row of the summit comparison table."""

    row: SummitRow
    duration: str
    outcomes: tuple[ClaimView, ...]
    lessons: tuple[ClaimView, ...]


@dataclass(frozen=True)
class MatrixCell:
    """One cell of a matrix; an empty `href` means an empty cell."""

    href: str
    #: What the cell shows: a check mark, or a stance label.
    mark: str
    #: Text for screen readers, which the mark alone would leave ambiguous out of context.
    label: str
    notes: tuple[NoteRef, ...]
    #: The stance (for its badge colour); empty for a plain check mark.
    stance: str = ""


@dataclass(frozen=True)
class MatrixRow:
    header: Link
    cells: tuple[MatrixCell, ...]


@dataclass(frozen=True)
class MatrixGroup:
    """Rows under one group heading (a proposal category)."""

    label: str
    rows: tuple[MatrixRow, ...]


@dataclass(frozen=True)
class ColumnGroup:
    """Column headers under one group heading; a group without a label has no header row."""

    label: str
    columns: tuple[Link, ...]


@dataclass(frozen=True)
class Matrix:
    id: str
    title: str
    caption: str
    #: Header of the column of row headers.
    corner: str
    column_groups: tuple[ColumnGroup, ...]
    groups: tuple[MatrixGroup, ...]

    @property
    def width(self) -> int:
        """Columns of the table, the row headers included (for group rows spanning it)."""
        return 1 + sum(len(group.columns) for group in self.column_groups)

    @property
    def grouped_columns(self) -> bool:
        return any(group.label for group in self.column_groups)


EMPTY_CELL = MatrixCell("", "", "", ())


def summit_comparisons(site: LinkedSite, page: str, notes: NoteCollector) -> list[SummitComparison]:
    rows = []
    for summit in site.summits:
        outcomes = claim_views(summit.key_outcomes, "key_outcomes", notes)
        lessons = claim_views(summit.lessons, "lessons", notes)
        rows.append(
            SummitComparison(
                row=summit_row(site, page, summit),
                duration=summit.duration or "",
                outcomes=prefixed(outcomes, record_id("summit", summit.id)),
                lessons=prefixed(lessons, record_id("summit", summit.id)),
            )
        )
    return rows


def summit_proposal_matrix(site: LinkedSite, page: str, notes: NoteCollector) -> Matrix:
    """Proposals (rows, by category) × summits (columns): where each was on the table."""
    entries: dict[tuple[str, str], tuple[int, ProposalOnTable]] = {
        (summit.id, item.proposal): (i, item)
        for summit in site.summits
        for i, item in enumerate(summit.proposals)
    }
    groups = []
    for label, proposals in by_category(site):
        rows = []
        for proposal in proposals:
            cells = []
            for summit in site.summits:
                found = entries.get((summit.id, proposal.id))
                if found is None:
                    cells.append(dataclasses.replace(EMPTY_CELL, label=f"Not on the table at {summit.name}"))
                    continue
                index, item = found
                target = href(page, page_path("summit", summit.id), claim_fragment(("proposals", index)))
                cells.append(MatrixCell(target, "✓", f"On the table at {summit.name}", notes.refs(item.cite)))
            rows.append(MatrixRow(entity_link(site, page, ("proposal", proposal.id)), tuple(cells)))
        groups.append(MatrixGroup(label, tuple(rows)))
    columns = tuple(entity_link(site, page, ("summit", s.id), date_range(s)) for s in site.summits)
    return Matrix(
        id="summits-proposals",
        title="Proposals on the table at each summit",
        caption="Proposals (rows, by category) on the table at each summit (columns). "
        "A check mark leads to the summit's account of the proposal; the numbers lead to the evidence.",
        corner="Proposal",
        column_groups=(ColumnGroup("", columns),),
        groups=tuple(groups),
    )


def position_matrix(site: LinkedSite, page: str, notes: NoteCollector) -> Matrix:
    """Proposals (rows, by category) × stakeholders with a position (columns, by kind).

    Proposals are the rows, not the columns: their titles are long and there are more of
    them, while stakeholder names fit a column header, so the table stays narrow enough to
    read on a desktop and to print.
    """
    column_groups = by_kind(s for s in site.stakeholders if site.positions_of_stakeholder.get(s.id))
    stakeholders = [s for _, members in column_groups for s in members]
    groups = []
    for label, proposals in by_category(site):
        rows = []
        for proposal in proposals:
            index_of = {position.stakeholder: i for i, position in enumerate(proposal.positions)}
            cells = []
            for person in stakeholders:
                i = index_of.get(person.id)
                if i is None:
                    cells.append(
                        dataclasses.replace(EMPTY_CELL, label=f"No position of {person.name} recorded")
                    )
                    continue
                position = proposal.positions[i]
                target = href(page, page_path("proposal", proposal.id), claim_fragment(("positions", i)))
                cells.append(
                    MatrixCell(
                        target,
                        STANCE_LABELS[position.stance],
                        f"{person.name}'s position on {proposal.title}",
                        notes.refs(position.cite),
                        stance=position.stance,
                    )
                )
            rows.append(MatrixRow(entity_link(site, page, ("proposal", proposal.id)), tuple(cells)))
        groups.append(MatrixGroup(label, tuple(rows)))
    return Matrix(
        id="positions",
        title="Who stands where",
        caption="Stakeholders' positions (columns, by kind) on each proposal (rows, by category). "
        "A stance leads to the position on the proposal's page; the numbers lead to the evidence.",
        corner="Proposal",
        column_groups=tuple(
            ColumnGroup(label, tuple(entity_link(site, page, ("stakeholder", s.id)) for s in members))
            for label, members in column_groups
        ),
        groups=tuple(groups),
    )


def render_compare(site: LinkedSite, env: jinja2.Environment) -> OutputFile:
    page = COMPARE
    notes = NoteCollector(site, page)
    # Built in reading order (top to bottom, row by row), which numbers the notes in it.
    summits = summit_comparisons(site, page, notes)
    matrices = (summit_proposal_matrix(site, page, notes), position_matrix(site, page, notes))
    meta = page_meta(
        site,
        page,
        "Compare summits, proposals and positions",
        "The summits side by side, the proposals on each table, and every stakeholder's position.",
    )
    return render_page(
        env,
        "compare.html",
        VIEW_FILES[page],
        meta,
        site=site.config,
        summits=summits,
        matrices=matrices,
        timeline=href(page, TIMELINE),
        notes=notes.notes,
    )


# -- briefing book ------------------------------------------------------------------------


@dataclass(frozen=True)
class BookSummit:
    id: str
    #: The line above the title: what kind of entry this is.
    kicker: str
    summit: Summit
    dates: str
    datetime: str
    page: Link
    participants: tuple[Link, ...]
    summary: tuple[ClaimView, ...]
    on_table: tuple[ClaimView, ...]
    outcomes: tuple[ClaimView, ...]
    lessons: tuple[ClaimView, ...]


@dataclass(frozen=True)
class BookProposal:
    id: str
    kicker: str
    proposal: Proposal
    category: str
    page: Link
    proposed_by: tuple[Link, ...]
    summary: tuple[ClaimView, ...]
    components: tuple[ClaimView, ...]
    positions: tuple[ClaimView, ...]
    summits: tuple[ClaimView, ...]
    obstacles: tuple[ClaimView, ...]


@dataclass(frozen=True)
class TocGroup:
    """Entries of the table of contents under one label ('' for none)."""

    label: str
    entries: tuple[Link, ...]


def book_summit(site: LinkedSite, page: str, summit: Summit, notes: NoteCollector) -> BookSummit:
    ident = record_id("summit", summit.id)
    summary = claim_views(summit.summary, "summary", notes)
    # Each entry links to the proposal's own section of the book, so the book refers to itself.
    on_table = tuple(
        ClaimView(
            claim_fragment(("proposals", i)),
            render_inline(item.text),
            notes.refs(item.cite),
            link=Link(site.proposal(item.proposal).title, f"#{record_id('proposal', item.proposal)}"),
        )
        for i, item in enumerate(summit.proposals)
    )
    outcomes = claim_views(summit.key_outcomes, "key_outcomes", notes)
    lessons = claim_views(summit.lessons, "lessons", notes)
    return BookSummit(
        id=ident,
        kicker=summit.kind.capitalize(),
        summit=summit,
        dates=date_range(summit),
        datetime=datetime_attr(summit),
        page=entity_link(site, page, ("summit", summit.id)),
        participants=tuple(entity_link(site, page, ("stakeholder", s)) for s in summit.participants),
        summary=prefixed(summary, ident),
        on_table=prefixed(on_table, ident),
        outcomes=prefixed(outcomes, ident),
        lessons=prefixed(lessons, ident),
    )


def book_proposal(site: LinkedSite, page: str, proposal: Proposal, notes: NoteCollector) -> BookProposal:
    ident = record_id("proposal", proposal.id)
    summary, components, positions = proposal_claims(site, page, proposal, notes)
    order = {s.id: i for i, s in enumerate(site.summits)}
    at_summits = sorted(site.summits_of_proposal.get(proposal.id, ()), key=lambda pair: order[pair[0]])
    summits = tuple(
        ClaimView(
            f"at-{summit_id}",
            render_inline(item.text),
            notes.refs(item.cite),
            link=Link(site.summit(summit_id).name, f"#{record_id('summit', summit_id)}"),
        )
        for summit_id, item in at_summits
    )
    obstacles = claim_views(proposal.obstacles, "obstacles", notes)
    return BookProposal(
        id=ident,
        kicker=f"Proposal · {CATEGORY_LABELS[proposal.category]}",
        proposal=proposal,
        category=CATEGORY_LABELS[proposal.category],
        page=entity_link(site, page, ("proposal", proposal.id)),
        proposed_by=tuple(entity_link(site, page, ("stakeholder", s)) for s in proposal.proposed_by),
        summary=prefixed(summary, ident),
        components=prefixed(components, ident),
        positions=prefixed(positions, ident),
        summits=prefixed(summits, ident),
        obstacles=prefixed(obstacles, ident),
    )


def render_book(site: LinkedSite, env: jinja2.Environment) -> OutputFile:
    page = BOOK
    notes = NoteCollector(site, page)
    # One collector for the whole book, in reading order: one list of notes at its end.
    summits = [book_summit(site, page, s, notes) for s in site.summits]
    categories = by_category(site)
    proposals = [book_proposal(site, page, p, notes) for _, members in categories for p in members]
    toc_summits = TocGroup("", tuple(Link(s.summit.name, f"#{s.id}", s.dates) for s in summits))
    toc_proposals = tuple(
        TocGroup(label, tuple(Link(p.title, f"#{record_id('proposal', p.id)}") for p in members))
        for label, members in categories
    )
    meta = page_meta(
        site, page, "Briefing book", "Every summit and proposal in full, with one list of notes, for print."
    )
    # The book repeats every summit and proposal page word for word: kept out of the search
    # index so that a search leads to those pages rather than to one long page.
    meta = dataclasses.replace(meta, search_kind="")
    return render_page(
        env,
        "book.html",
        VIEW_FILES[page],
        meta,
        site=site.config,
        summits=summits,
        proposals=proposals,
        toc_summits=toc_summits,
        toc_proposals=toc_proposals,
        stance_labels=STANCE_LABELS,
        notes=notes.notes,
    )


# -- inputs -------------------------------------------------------------------------------


def cited_sources(claims: Iterable[Any]) -> set[Input]:
    """("source", id) of every source that the claims (anything with `cite`) cite: a note
    shows the source's title and links to the block of its text that holds the quote."""
    return {("source", citation.source) for claim in claims for citation in claim.cite}
