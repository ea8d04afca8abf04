"""Render: linked site + Jinja templates → output files (path, bytes). No writes.

Each page is described by a small view (plain data with every link already resolved
to a relative href) and handed to its template, so templates only present. Citations
become numbered notes, in reading order, each linking to the paragraph that holds the
quote.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import jinja2
from markupsafe import Markup, escape

from generator.feeds import (
    FEED,
    SITEMAP,
    feed_entries,
    render_cname,
    render_feed,
    render_robots,
    render_sitemap,
)
from generator.link import (
    EntityRef,
    LinkedSite,
    QuoteKey,
    claim_fragment,
)
from generator.markdown import render_inline
from generator.model import Citation, Proposal, Stakeholder, Summit
from generator.search import BUNDLE
from generator.sourcetext import Block
from generator.theme import THEME
from generator.urls import ASSETS, HOME, SECTIONS, absolute_url, base_path, href, page_path, text_fragment
from generator.validate import Source

T = TypeVar("T")


@dataclass(frozen=True)
class OutputFile:
    """One file of the built site."""

    path: str  # site-relative, '/'-separated
    data: bytes


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str
    current: bool


@dataclass(frozen=True)
class PageMeta:
    """What the base template needs to know about any page."""

    title: str
    path: str
    description: str
    stylesheet: str
    home: str
    nav: tuple[NavItem, ...]
    #: Absolute URL of the page (canonical link, social cards); empty for the 404 page.
    canonical: str
    feed: str
    #: Social-card type: "website" for the home page, "article" otherwise.
    kind: str
    #: The search filter the page is listed under (Summit, Proposal, ...); empty: not indexed.
    search_kind: str
    search_script: str
    search_stylesheet: str
    script: str


@dataclass(frozen=True)
class NoteRef:
    """A superscript citation mark."""

    number: int
    href: str
    quote: str
    #: Title of the cited source, for the preview shown on hover and focus.
    source_title: str


@dataclass(frozen=True)
class Note:
    """A numbered note at the foot of a page."""

    number: int
    quote: str
    source_title: str
    href: str
    #: The passage's absolute address, printed after the note on paper.
    url: str


@dataclass(frozen=True)
class ClaimView:
    id: str
    html: Markup
    notes: tuple[NoteRef, ...]
    label: str = ""
    link: Link | None = None
    badge: str = ""


@dataclass(frozen=True)
class Link:
    text: str
    href: str
    detail: str = ""


@dataclass(frozen=True)
class BlockView:
    kind: str
    anchor: str
    html: Markup
    cited_by: tuple[ClaimView, ...]


@dataclass
class NoteCollector:
    """Numbers citations on one page, in reading order; one number per distinct quote."""

    site: LinkedSite
    page: str
    notes: list[Note] = field(default_factory=list)
    numbers: dict[QuoteKey, int] = field(default_factory=dict)

    def refs(self, cites: Iterable[Citation]) -> tuple[NoteRef, ...]:
        result = []
        for citation in cites:
            key = (citation.source, citation.quote)
            target = self.site.targets[key]
            link = href(
                self.page,
                page_path("source", citation.source),
                f"{target.anchor}{text_fragment(target.original)}",
            )
            if key not in self.numbers:
                self.numbers[key] = len(self.notes) + 1
                title = self.site.source(citation.source).meta.title
                source_page = page_path("source", citation.source)
                url = f"{absolute_url(self.site.config.base_url, source_page)}#{target.anchor}"
                self.notes.append(Note(self.numbers[key], target.original, title, link, url))
            title = self.notes[self.numbers[key] - 1].source_title
            result.append(NoteRef(self.numbers[key], link, target.original, title))
        return tuple(result)


#: The site's sections, in the header of every page: (label, page path).
NAV = (
    ("Summits", "summits/"),
    ("Proposals", "proposals/"),
    ("Stakeholders", "stakeholders/"),
    ("Sources", "sources/"),
    ("Timeline", "timeline/"),
    ("Compare", "compare/"),
    ("Briefing book", "book/"),
)
STANCE_LABELS = {
    "supports": "Supports",
    "opposes": "Opposes",
    "conditional": "Conditional",
    "mixed": "Mixed",
    "unclear": "Unclear",
}
CATEGORY_LABELS = {
    "denuclearization": "Denuclearization",
    "sanctions-and-economy": "Sanctions and economy",
    "diplomatic": "Diplomatic",
    "security": "Security",
    "negotiating-process": "Negotiating process",
    "alliance": "Alliance measures",
    "humanitarian": "Humanitarian",
}
KIND_LABELS = {"country": "Countries", "person": "People", "organisation": "Organisations"}


def make_environment(templates_dir: Path, theme: Path = THEME) -> jinja2.Environment:
    """One Jinja environment: autoescape on, unknown variables are errors.

    A template is looked up in `templates_dir` (the project's overrides; it need not
    exist) first, then in the default `theme`.
    """
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(theme_folders(templates_dir, theme)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


#: What a page reads: ("summit", id) and the like for records; ("kind", K) for the
#: membership of a kind; ("names",) for the names and aliases mentions are matched
#: against; ("citations",) for the number of citations of each source; ("feed",) for the
#: entries of the feed; ("template", name) for a template (the build adds those).
Input = tuple[str, ...]
NAMES: Input = ("names",)
CITATION_COUNTS: Input = ("citations",)
FEED_ENTRIES: Input = ("feed",)
KINDS = ("summit", "proposal", "stakeholder", "source")


@dataclass(frozen=True)
class PageJob:
    """How to render one output file, with which template, and what it reads.

    The inputs are given by the code that makes the job, beside the rendering, so that no
    page can exist without them: an incremental build renders a page again exactly when
    one of its inputs (or templates) changed."""

    path: str
    template: str
    render: Callable[[jinja2.Environment], OutputFile]
    #: The records and facts the page shows (see `Input`); templates are added by the build.
    inputs: frozenset[Input]


class PageInputs:
    """The inputs of each page of one linked site: the records whose data it shows (its
    own, and every record it links to or lists)."""

    def __init__(self, site: LinkedSite) -> None:
        self.site = site
        self._citing: dict[str, set[Input]] | None = None

    def all_of(self, kind: str) -> set[Input]:
        """A kind's membership and every record of it (a page that lists them all)."""
        return {("kind", kind)} | {(kind, ident) for ident in _ids(self.site, kind)}

    def cited_by(self, entity: EntityRef) -> set[Input]:
        return {("source", s) for s in self.site.sources_cited_by.get(entity, ())}

    def summit(self, summit: Summit) -> frozenset[Input]:
        inputs = self.all_of("summit")  # previous / next follow the chronology of all summits
        inputs |= {("proposal", p.proposal) for p in summit.proposals}
        inputs |= {("stakeholder", s) for s in summit.participants}
        return frozenset(inputs | self.cited_by(("summit", summit.id)))

    def proposal(self, proposal: Proposal) -> frozenset[Input]:
        site = self.site
        inputs: set[Input] = {("proposal", proposal.id)}
        on_tables = site.summits_of_proposal.get(proposal.id, ())
        inputs |= {("summit", s) for s, _ in on_tables}
        inputs |= _sources_cited(item for _, item in on_tables)  # each summit's item shows its notes
        inputs |= {("stakeholder", s) for s in proposal.proposed_by}
        inputs |= {("stakeholder", p.stakeholder) for p in proposal.positions}
        return frozenset(inputs | self.cited_by(("proposal", proposal.id)))

    def stakeholder(self, person: Stakeholder) -> frozenset[Input]:
        site = self.site
        inputs: set[Input] = {("stakeholder", person.id), NAMES}
        inputs |= {("summit", s) for s in site.summits_of_stakeholder.get(person.id, ())}
        inputs |= {("proposal", p) for p in site.proposals_of_stakeholder.get(person.id, ())}
        positions = site.positions_of_stakeholder.get(person.id, ())
        inputs |= {("proposal", p) for p, _ in positions}
        inputs |= _sources_cited(position for _, position in positions)  # with their notes
        inputs |= {("source", s) for s, _ in site.mentions_of_entity.get(("stakeholder", person.id), ())}
        return frozenset(inputs | self.cited_by(("stakeholder", person.id)))

    def source(self, source: Source) -> frozenset[Input]:
        if self._citing is None:  # the records citing or mentioned in each source, found once
            self._citing = {}
            for (source_id, _), claims in self.site.claims_by_block.items():
                for claim in claims:
                    self._citing.setdefault(source_id, set()).add(_page_ref(claim.page))
            for ref, counts in self.site.mentions_of_entity.items():
                for source_id, _ in counts:  # its Mentions list shows their names
                    self._citing.setdefault(source_id, set()).add(ref)
        ident = source.meta.id
        return frozenset({("source", ident), NAMES} | self._citing.get(ident, set()))


def _sources_cited(claims: Iterable[Any]) -> set[Input]:
    return {("source", citation.source) for claim in claims for citation in claim.cite}


def _ids(site: LinkedSite, kind: str) -> list[str]:
    if kind == "summit":
        return [s.id for s in site.summits]
    if kind == "proposal":
        return [p.id for p in site.proposals]
    if kind == "stakeholder":
        return [s.id for s in site.stakeholders]
    return [s.meta.id for s in site.sources]


def _page_ref(page: str) -> Input:
    """(kind, id) of an entity's page path, `summits/hanoi-2019/`."""
    section, ident = page.strip("/").split("/")
    return (_KIND_OF_SECTION[section], ident)


_KIND_OF_SECTION = {section: kind for kind, section in SECTIONS.items()}


def page_jobs(site: LinkedSite, views: Sequence[PageJob] = ()) -> dict[str, PageJob]:
    """Every page of the site by output path; rendering is deferred so that an
    incremental build can render just the pages that changed."""
    read = PageInputs(site)
    nothing: frozenset[Input] = frozenset()
    home = read.all_of("summit") | read.all_of("proposal") | read.all_of("source")
    jobs = [
        PageJob(
            "index.html",
            "home.html",
            partial(render_home, site),
            frozenset(home | {("kind", "stakeholder"), CITATION_COUNTS}),
        ),
        PageJob(
            "summits/index.html",
            "summits.html",
            partial(render_summit_index, site),
            frozenset(read.all_of("summit")),
        ),
        PageJob(
            "proposals/index.html",
            "proposals.html",
            partial(render_proposal_index, site),
            frozenset(read.all_of("proposal")),
        ),
        PageJob(
            "stakeholders/index.html",
            "stakeholders.html",
            partial(render_stakeholder_index, site),
            frozenset(read.all_of("stakeholder")),
        ),
        PageJob(
            "sources/index.html",
            "sources.html",
            partial(render_source_index, site),
            frozenset(read.all_of("source") | {CITATION_COUNTS}),
        ),
        PageJob("404.html", "404.html", partial(render_not_found, site), nothing),
        PageJob(".nojekyll", "", lambda env: OutputFile(".nojekyll", b""), nothing),
        PageJob(
            FEED,
            "",
            lambda env: OutputFile(FEED, render_feed(site, feed_entries(site))),
            frozenset({FEED_ENTRIES}),
        ),
        PageJob("robots.txt", "", lambda env: OutputFile("robots.txt", render_robots(site)), nothing),
    ]
    if site.config.cname:
        jobs.append(PageJob("CNAME", "", lambda env: OutputFile("CNAME", render_cname(site)), nothing))
    jobs += [entity_job(site, "summit", s, read) for s in site.summits]
    jobs += [entity_job(site, "proposal", p, read) for p in site.proposals]
    jobs += [entity_job(site, "stakeholder", s, read) for s in site.stakeholders]
    jobs += [entity_job(site, "source", s, read) for s in site.sources]
    jobs += views
    pages = [job.path for job in jobs if job.path != "404.html"]
    sitemap = frozenset(("kind", kind) for kind in KINDS)
    jobs.append(PageJob(SITEMAP, "", lambda env: OutputFile(SITEMAP, render_sitemap(site, pages)), sitemap))
    return {job.path: job for job in jobs}


def entity_job(site: LinkedSite, kind: str, record: Any, read: PageInputs | None = None) -> PageJob:
    """The job of one summit, proposal, stakeholder or source page (`read` gives the
    inputs; a new one is made for the site when none is passed)."""
    read = read or PageInputs(site)
    if kind == "summit":
        render = partial(render_summit_page, site, summit=record)
        return PageJob(f"summits/{record.id}/index.html", "summit.html", render, read.summit(record))
    if kind == "proposal":
        render = partial(render_proposal_page, site, proposal=record)
        return PageJob(f"proposals/{record.id}/index.html", "proposal.html", render, read.proposal(record))
    if kind == "stakeholder":
        render = partial(render_stakeholder_page, site, person=record)
        path = f"stakeholders/{record.id}/index.html"
        return PageJob(path, "stakeholder.html", render, read.stakeholder(record))
    render = partial(render_source_page, site, source=record)
    return PageJob(f"sources/{record.meta.id}/index.html", "source.html", render, read.source(record))


def edited_entity_jobs(site: LinkedSite, before: LinkedSite) -> list[PageJob]:
    """The pages of the records that differ from `before` (new, or changed in their file):
    the pages an author who just saved a file looks at."""
    jobs = []
    read = PageInputs(site)
    for kind, group in (
        ("summit", site.summits),
        ("proposal", site.proposals),
        ("stakeholder", site.stakeholders),
    ):
        jobs += [entity_job(site, kind, r, read) for r in group if before.by_ref.get((kind, r.id)) is not r]
    for source in site.sources:
        old = before.by_ref.get(("source", source.meta.id))
        if old is None or old.meta is not source.meta or old.body is not source.body:
            jobs.append(entity_job(site, "source", source, read))
    return jobs


def static_files(templates_dir: Path, theme: Path = THEME) -> list[OutputFile]:
    """The stylesheet and other assets in the `static/` folders of the theme and of the
    project's `templates_dir`: a project file replaces the theme's file at the same path."""
    found: dict[tuple[str, ...], Path] = {}
    for folder in reversed(theme_folders(templates_dir, theme)):  # the project's files last: they win
        static = folder / "static"
        if static.is_dir():
            for path in static.rglob("*"):
                if path.is_file() and not path.name.startswith("."):
                    found[path.relative_to(static).parts] = path
    return [OutputFile(ASSETS + "/".join(parts), found[parts].read_bytes()) for parts in sorted(found)]


def theme_folders(templates_dir: Path, theme: Path = THEME) -> list[Path]:
    """Where templates and static files are looked up, first match first: the project's
    templates folder, then the theme (once, when the project's folder is the theme)."""
    if templates_dir.resolve() == theme.resolve():
        return [templates_dir]
    return [templates_dir, theme]


# -- shared pieces ------------------------------------------------------------------------


def page_meta(
    site: LinkedSite, path: str, title: str, description: str = "", *, rooted: bool = False
) -> PageMeta:
    section = path.split("/", 1)[0]

    def link(to: str) -> str:
        return base_path(site.config.base_url) + to if rooted else href(path, to)

    nav = tuple(NavItem(label, link(target), section == target.rstrip("/")) for label, target in NAV)
    return PageMeta(
        title=title,
        path=path,
        description=description or site.config.description,
        stylesheet=link(ASSETS + "style.css"),
        home=link(HOME),
        nav=nav,
        canonical="" if rooted else absolute_url(site.config.base_url, path),
        feed=link(FEED),
        kind="website" if path == HOME else "article",
        search_kind="" if rooted else _search_kind(path),
        search_script=link(f"{BUNDLE}/pagefind-ui.js"),
        search_stylesheet=link(f"{BUNDLE}/pagefind-ui.css"),
        script=link(ASSETS + "site.js"),
    )


SEARCH_KINDS = {
    "summits": "Summit",
    "proposals": "Proposal",
    "stakeholders": "Stakeholder",
    "sources": "Source",
}


def _search_kind(path: str) -> str:
    """Entity pages by their kind; the home page, indexes and views as overviews."""
    parts = path.strip("/").split("/")
    return SEARCH_KINDS.get(parts[0], "Overview") if len(parts) == 2 else "Overview"


def render_page(
    env: jinja2.Environment, template: str, out: str, meta: PageMeta, **context: Any
) -> OutputFile:
    text = env.get_template(template).render(page=meta, **context)
    return OutputFile(out, text.encode("utf-8"))


def entity_link(site: LinkedSite, page: str, ref: EntityRef, detail: str = "") -> Link:
    kind, ident = ref
    return Link(site.title_of(ref), href(page, page_path(kind, ident)), detail)


def claim_views(
    items: Sequence[Any], path_field: str, notes: NoteCollector, label: str = ""
) -> tuple[ClaimView, ...]:
    return tuple(
        ClaimView(claim_fragment((path_field, i)), render_inline(item.text), notes.refs(item.cite), label)
        for i, item in enumerate(items)
    )


def cited_sources(site: LinkedSite, page: str, ref: EntityRef) -> tuple[Link, ...]:
    return tuple(entity_link(site, page, ("source", ident)) for ident in site.sources_cited_by.get(ref, ()))


def _mentioned_in(site: LinkedSite, page: str, ref: EntityRef) -> tuple[Link, ...]:
    return tuple(
        entity_link(site, page, ("source", ident), f"{count} mention{'s' if count != 1 else ''}")
        for ident, count in site.mentions_of_entity.get(ref, ())
    )


def date_range(summit: Summit) -> str:
    if summit.start is None:
        return "Date not set"
    if summit.end is None or summit.end == summit.start:
        return f"{summit.start.day} {summit.start:%B %Y}"
    if (summit.start.year, summit.start.month) == (summit.end.year, summit.end.month):
        return f"{summit.start.day}–{summit.end.day} {summit.end:%B %Y}"
    return f"{summit.start.day} {summit.start:%B %Y} – {summit.end.day} {summit.end:%B %Y}"


def datetime_attr(summit: Summit) -> str:
    return summit.start.isoformat() if summit.start else ""


@dataclass(frozen=True)
class SummitRow:
    link: Link
    dates: str
    datetime: str
    status: str
    kind: str
    place: str
    outcome: str


def summit_row(site: LinkedSite, page: str, summit: Summit) -> SummitRow:
    return SummitRow(
        link=entity_link(site, page, ("summit", summit.id)),
        dates=date_range(summit),
        datetime=datetime_attr(summit),
        status=summit.status,
        kind=summit.kind,
        place=summit.place or "",
        outcome=summit.outcome or "",
    )


# -- index pages --------------------------------------------------------------------------


def render_home(site: LinkedSite, env: jinja2.Environment) -> OutputFile:
    page = HOME
    meta = page_meta(site, page, site.config.title)
    open_proposals = [p for p in site.proposals if p.status == "open"]
    return render_page(
        env,
        "home.html",
        "index.html",
        meta,
        site=site.config,
        summits=[summit_row(site, page, s) for s in site.summits],
        proposals=[
            entity_link(site, page, ("proposal", p.id), CATEGORY_LABELS[p.category]) for p in open_proposals
        ],
        sources=[_source_row(site, page, s) for s in site.sources[:5]],
        counts={
            "summits": len(site.summits),
            "proposals": len(site.proposals),
            "stakeholders": len(site.stakeholders),
            "sources": len(site.sources),
            "citations": sum(site.citations_of_source.values()),
        },
    )


def render_summit_index(site: LinkedSite, env: jinja2.Environment) -> OutputFile:
    page = page_path("summit")
    meta = page_meta(site, page, "Summits and meetings")
    rows = [summit_row(site, page, s) for s in site.summits]
    return render_page(env, "summits.html", page + "index.html", meta, site=site.config, summits=rows)


def render_proposal_index(site: LinkedSite, env: jinja2.Environment) -> OutputFile:
    page = page_path("proposal")
    groups = _grouped(
        site, page, "proposal", site.proposals, CATEGORY_LABELS, lambda p: p.category, lambda p: p.status
    )
    meta = page_meta(site, page, "Proposals")
    return render_page(env, "proposals.html", page + "index.html", meta, site=site.config, groups=groups)


def render_stakeholder_index(site: LinkedSite, env: jinja2.Environment) -> OutputFile:
    page = page_path("stakeholder")
    groups = _grouped(
        site, page, "stakeholder", site.stakeholders, KIND_LABELS, lambda s: s.kind, lambda s: s.role or ""
    )
    meta = page_meta(site, page, "Stakeholders")
    return render_page(env, "stakeholders.html", page + "index.html", meta, site=site.config, groups=groups)


def _grouped(
    site: LinkedSite,
    page: str,
    kind: str,
    items: Sequence[Any],
    labels: dict[str, str],
    group_of: Callable[[Any], str],
    detail: Callable[[Any], str],
) -> list[tuple[str, list[Link]]]:
    """Links to `items` in groups, in the order of `labels`; empty groups left out."""
    return [
        (label, [entity_link(site, page, (kind, item.id), detail(item)) for item in members])
        for label, members in grouped(items, labels, group_of)
    ]


def grouped(
    items: Iterable[T], labels: dict[str, str], group_of: Callable[[T], str]
) -> list[tuple[str, list[T]]]:
    """`items` in groups labelled and ordered by `labels` (key → label), keeping their
    order within a group; empty groups left out."""
    chosen = list(items)
    groups = [(label, [item for item in chosen if group_of(item) == key]) for key, label in labels.items()]
    return [(label, members) for label, members in groups if members]


@dataclass(frozen=True)
class SourceRow:
    link: Link
    kind: str
    author: str
    date: str
    citations: int


def _source_row(site: LinkedSite, page: str, source: Source) -> SourceRow:
    meta = source.meta
    return SourceRow(
        link=entity_link(site, page, ("source", meta.id)),
        kind=meta.kind,
        author=meta.author or "",
        date=meta.date.isoformat() if meta.date else "",
        citations=site.citations_of_source.get(meta.id, 0),
    )


def render_source_index(site: LinkedSite, env: jinja2.Environment) -> OutputFile:
    page = page_path("source")
    meta = page_meta(site, page, "Sources")
    rows = [_source_row(site, page, s) for s in site.sources]
    return render_page(env, "sources.html", page + "index.html", meta, site=site.config, sources=rows)


def render_not_found(site: LinkedSite, env: jinja2.Environment) -> OutputFile:
    # Served for every missing path at any depth, so its links are rooted at the base path.
    meta = page_meta(site, "404.html", "Page not found", rooted=True)
    return render_page(env, "404.html", "404.html", meta, site=site.config)


# -- entity pages -------------------------------------------------------------------------


def render_summit_page(site: LinkedSite, env: jinja2.Environment, summit: Summit) -> OutputFile:
    page = page_path("summit", summit.id)
    notes = NoteCollector(site, page)
    summary = claim_views(summit.summary, "summary", notes)
    outcomes = claim_views(summit.key_outcomes, "key_outcomes", notes)
    lessons = claim_views(summit.lessons, "lessons", notes)
    on_table = tuple(
        ClaimView(
            claim_fragment(("proposals", i)),
            render_inline(item.text),
            notes.refs(item.cite),
            link=entity_link(site, page, ("proposal", item.proposal)),
        )
        for i, item in enumerate(summit.proposals)
    )
    order = list(site.summits)
    index = order.index(summit)
    previous = entity_link(site, page, ("summit", order[index - 1].id)) if index > 0 else None
    following = entity_link(site, page, ("summit", order[index + 1].id)) if index + 1 < len(order) else None
    meta = page_meta(site, page, summit.name, summit.outcome or "")
    return render_page(
        env,
        "summit.html",
        page + "index.html",
        meta,
        site=site.config,
        summit=summit,
        dates=date_range(summit),
        datetime=datetime_attr(summit),
        participants=[entity_link(site, page, ("stakeholder", s)) for s in summit.participants],
        summary=summary,
        outcomes=outcomes,
        lessons=lessons,
        on_table=on_table,
        sources=cited_sources(site, page, ("summit", summit.id)),
        previous=previous,
        following=following,
        notes=notes.notes,
    )


def proposal_claims(
    site: LinkedSite, page: str, proposal: Proposal, notes: NoteCollector
) -> tuple[tuple[ClaimView, ...], tuple[ClaimView, ...], tuple[ClaimView, ...]]:
    """A proposal's summary, components and positions as claims, noted in that order
    (its page and its section of the briefing book show them alike)."""
    summary = claim_views(proposal.summary, "summary", notes)
    components = tuple(
        ClaimView(claim_fragment(("components", i)), render_inline(c.text), notes.refs(c.cite), label=c.name)
        for i, c in enumerate(proposal.components)
    )
    positions = tuple(
        ClaimView(
            claim_fragment(("positions", i)),
            render_inline(p.text),
            notes.refs(p.cite),
            link=entity_link(site, page, ("stakeholder", p.stakeholder)),
            badge=p.stance,
        )
        for i, p in enumerate(proposal.positions)
    )
    return summary, components, positions


def render_proposal_page(site: LinkedSite, env: jinja2.Environment, proposal: Proposal) -> OutputFile:
    page = page_path("proposal", proposal.id)
    notes = NoteCollector(site, page)
    summary, components, positions = proposal_claims(site, page, proposal, notes)
    summits = tuple(
        ClaimView(
            f"at-{summit_id}",
            render_inline(item.text),
            notes.refs(item.cite),
            link=entity_link(site, page, ("summit", summit_id)),
        )
        for summit_id, item in _in_chronological_order(site, site.summits_of_proposal.get(proposal.id, ()))
    )
    obstacles = claim_views(proposal.obstacles, "obstacles", notes)
    meta = page_meta(site, page, proposal.title)
    return render_page(
        env,
        "proposal.html",
        page + "index.html",
        meta,
        site=site.config,
        proposal=proposal,
        category=CATEGORY_LABELS[proposal.category],
        proposed_by=[entity_link(site, page, ("stakeholder", s)) for s in proposal.proposed_by],
        summary=summary,
        components=components,
        positions=positions,
        stance_labels=STANCE_LABELS,
        summits=summits,
        obstacles=obstacles,
        sources=cited_sources(site, page, ("proposal", proposal.id)),
        notes=notes.notes,
    )


def _in_chronological_order(site: LinkedSite, pairs: Iterable[tuple[str, Any]]) -> list[tuple[str, Any]]:
    order = {s.id: i for i, s in enumerate(site.summits)}
    return sorted(pairs, key=lambda pair: order[pair[0]])


def render_stakeholder_page(site: LinkedSite, env: jinja2.Environment, person: Stakeholder) -> OutputFile:
    page = page_path("stakeholder", person.id)
    notes = NoteCollector(site, page)
    summary = claim_views(person.summary, "summary", notes)
    summit_ids = set(site.summits_of_stakeholder.get(person.id, ()))
    summits = [summit_row(site, page, s) for s in site.summits if s.id in summit_ids]
    proposed = [
        entity_link(site, page, ("proposal", ident))
        for ident in sorted(
            site.proposals_of_stakeholder.get(person.id, ()), key=lambda i: site.proposal(i).title
        )
    ]
    positions = tuple(
        ClaimView(
            f"on-{ident}",
            render_inline(position.text),
            notes.refs(position.cite),
            link=entity_link(site, page, ("proposal", ident)),
            badge=position.stance,
        )
        for ident, position in sorted(
            site.positions_of_stakeholder.get(person.id, ()), key=lambda pair: site.proposal(pair[0]).title
        )
    )
    meta = page_meta(site, page, person.name, person.role or "")
    return render_page(
        env,
        "stakeholder.html",
        page + "index.html",
        meta,
        site=site.config,
        person=person,
        role=render_inline(person.role) if person.role else "",
        summary=summary,
        summits=summits,
        proposed=proposed,
        positions=positions,
        stance_labels=STANCE_LABELS,
        mentioned_in=_mentioned_in(site, page, ("stakeholder", person.id)),
        sources=cited_sources(site, page, ("stakeholder", person.id)),
        notes=notes.notes,
    )


def render_source_page(site: LinkedSite, env: jinja2.Environment, source: Source) -> OutputFile:
    page = page_path("source", source.meta.id)
    mention = _mention_linker(site, page)
    blocks = []
    citing_pages: dict[str, Link] = {}
    for block in source.body.blocks:
        cited_by = []
        for claim in site.claims_by_block.get((source.meta.id, block.anchor), ()):
            link = href(page, claim.page, claim.fragment)
            citing_pages.setdefault(claim.page, Link(claim.page_title, href(page, claim.page)))
            cited_by.append(
                ClaimView(
                    claim.fragment, render_inline(claim.text), (), claim.section, Link(claim.page_title, link)
                )
            )
        blocks.append(BlockView(block.kind, block.anchor, render_block(block, mention), tuple(cited_by)))
    mentioned = sorted(site.mention_scans[source.meta.id][2], key=lambda ref: (ref[0], site.title_of(ref)))
    meta = page_meta(site, page, source.meta.title)
    return render_page(
        env,
        "source.html",
        page + "index.html",
        meta,
        site=site.config,
        source=source.meta,
        body_file=source.body.file,
        blocks=blocks,
        citing_pages=sorted(citing_pages.values(), key=lambda link: link.text),
        mentioned=[entity_link(site, page, ref) for ref in mentioned],
        cited_count=sum(len(b.cited_by) for b in blocks),
    )


# -- source text --------------------------------------------------------------------------

MentionLinker = Callable[[str, set[EntityRef]], Markup]


def _mention_linker(site: LinkedSite, page: str) -> MentionLinker:
    """Escapes text and links the first mention of each entity in a block (`seen`)."""

    def link_mentions(text: str, seen: set[EntityRef]) -> Markup:
        parts: list[str] = []
        position = 0
        for start, end, ref in site.mentions.find(text):
            if ref in seen:
                continue
            seen.add(ref)
            target = href(page, page_path(*ref))
            parts.append(html.escape(text[position:start], quote=False))
            parts.append(
                f'<a class="mention" href="{escape(target)}">{html.escape(text[start:end], quote=False)}</a>'
            )
            position = end
        parts.append(html.escape(text[position:], quote=False))
        return Markup("".join(parts))

    return link_mentions


def render_block(block: Block, link_mentions: MentionLinker) -> Markup:
    """HTML of one source block, with mentions linked (never in headings or links)."""
    seen: set[EntityRef] = set()
    if block.html:  # Markdown, rendered when loaded: link mentions in its runs of text
        parts = block.html.split("\0")
        for marker in range(1, len(parts), 2):
            parts[marker] = link_mentions(block.runs[int(parts[marker])], seen)
        return Markup("".join(parts))
    if block.kind == "title":
        return Markup(f'<p class="source-title">{escape(block.text)}</p>')
    if block.kind == "heading":
        return Markup(f"<h3>{escape(block.text)}</h3>")
    if block.kind == "list":
        items = "".join(f"<li>{link_mentions(item, seen)}</li>" for item in block.items)
        return Markup(f"<ul>{items}</ul>")
    if block.kind == "table":
        head, *body = block.rows
        header = "".join(f'<th scope="col">{escape(cell)}</th>' for cell in head)
        rows = "".join(
            "<tr>" + "".join(f"<td>{link_mentions(cell, seen)}</td>" for cell in row) + "</tr>"
            for row in body
        )
        return Markup(f"<table><thead><tr>{header}</tr></thead><tbody>{rows}</tbody></table>")
    return Markup(f"<p>{link_mentions(block.text, seen)}</p>")
