"""Which pages depend on which inputs, and which inputs changed between two builds.

An incremental rebuild re-reads and re-links everything (cheap), then re-renders only
the pages whose inputs changed. A page's inputs are the records whose data it shows
(its own, and every record it links to or lists), the templates it is rendered with,
and for pages that show mentions, the set of names that mentions are matched against.
The union of the old and new dependency maps is used, so a link that was removed
re-renders the page that lost it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from generator.feeds import feed_entries
from generator.link import EntityRef, LinkedSite

#: ("summit", id) and the like for records; ("kind", K) for the membership of a kind;
#: ("names",) for the names and aliases mentions are matched against; ("citations",) for
#: the number of citations of each source; ("feed",) for the entries of the feed;
#: ("template", name).
Input = tuple[str, ...]
NAMES: Input = ("names",)
CITATION_COUNTS: Input = ("citations",)
FEED_ENTRIES: Input = ("feed",)


def record_inputs(site: LinkedSite) -> dict[Input, Any]:
    """Every record input with a value that compares equal iff its rendering data is equal."""
    values: dict[Input, Any] = {}
    for summit in site.summits:
        values[("summit", summit.id)] = summit
    for proposal in site.proposals:
        values[("proposal", proposal.id)] = proposal
    for stakeholder in site.stakeholders:
        values[("stakeholder", stakeholder.id)] = stakeholder
    for source in site.sources:
        values[("source", source.meta.id)] = (source.meta, source.body)
    for kind in ("summit", "proposal", "stakeholder", "source"):
        values[("kind", kind)] = tuple(sorted(key[1] for key in values if key[0] == kind))
    values[NAMES] = tuple(sorted(site.mentions.targets.items()))
    values[CITATION_COUNTS] = tuple(sorted(site.citations_of_source.items()))
    values[FEED_ENTRIES] = tuple(feed_entries(site))
    return values


def changed_inputs(before: Mapping[Input, Any], after: Mapping[Input, Any]) -> frozenset[Input]:
    """Inputs added, removed or different between two `record_inputs` results."""
    return frozenset(key for key in before.keys() | after.keys() if before.get(key) != after.get(key))


def page_inputs(site: LinkedSite) -> dict[str, frozenset[Input]]:
    """Record inputs of every page, by output file path (templates are added by the caller)."""

    def ref(kind: str, ident: str) -> Input:
        return (kind, ident)

    def all_of(kind: str) -> set[Input]:
        return {("kind", kind)} | {ref(kind, i) for i in _ids(site, kind)}

    def cited_by(entity: EntityRef) -> set[Input]:
        return {ref("source", s) for s in site.sources_cited_by.get(entity, ())}

    pages: dict[str, set[Input]] = {
        "index.html": all_of("summit")
        | all_of("proposal")
        | all_of("source")
        | {("kind", "stakeholder"), CITATION_COUNTS},
        "sources/index.html": all_of("source") | {CITATION_COUNTS},
        "summits/index.html": all_of("summit"),
        "proposals/index.html": all_of("proposal"),
        "stakeholders/index.html": all_of("stakeholder"),
        "404.html": set(),
        ".nojekyll": set(),
        "robots.txt": set(),
        "CNAME": set(),
        "sitemap.xml": {("kind", kind) for kind in ("summit", "proposal", "stakeholder", "source")},
        "feed.xml": {FEED_ENTRIES},
    }
    for summit in site.summits:
        inputs = all_of("summit")  # previous / next follow the chronology of all summits
        inputs |= {ref("proposal", p.proposal) for p in summit.proposals}
        inputs |= {ref("stakeholder", s) for s in summit.participants}
        pages[f"summits/{summit.id}/index.html"] = inputs | cited_by(("summit", summit.id))
    for proposal in site.proposals:
        inputs = {ref("proposal", proposal.id)}
        inputs |= {ref("summit", s) for s, _ in site.summits_of_proposal.get(proposal.id, ())}
        inputs |= {ref("stakeholder", s) for s in proposal.proposed_by}
        inputs |= {ref("stakeholder", p.stakeholder) for p in proposal.positions}
        pages[f"proposals/{proposal.id}/index.html"] = inputs | cited_by(("proposal", proposal.id))
    for person in site.stakeholders:
        inputs = {ref("stakeholder", person.id), NAMES}
        inputs |= {ref("summit", s) for s in site.summits_of_stakeholder.get(person.id, ())}
        inputs |= {ref("proposal", p) for p in site.proposals_of_stakeholder.get(person.id, ())}
        inputs |= {ref("proposal", p) for p, _ in site.positions_of_stakeholder.get(person.id, ())}
        mentioned = site.mentions_of_entity.get(("stakeholder", person.id), ())
        inputs |= {ref("source", s) for s, _ in mentioned}
        pages[f"stakeholders/{person.id}/index.html"] = inputs | cited_by(("stakeholder", person.id))
    citing: dict[str, set[Input]] = {}
    for (source_id, _), claims in site.claims_by_block.items():
        for claim in claims:
            kind, ident = _page_ref(claim.page)
            citing.setdefault(source_id, set()).add(ref(kind, ident))
    for source in site.sources:
        ident = source.meta.id
        pages[f"sources/{ident}/index.html"] = {ref("source", ident), NAMES} | citing.get(ident, set())
    return {path: frozenset(inputs) for path, inputs in pages.items()}


def stale_pages(
    old: Mapping[str, frozenset[Input]],
    new: Mapping[str, frozenset[Input]],
    changed: Iterable[Input],
) -> set[str]:
    """Pages of `new` to render again: new pages, and pages with a changed input."""
    changed = frozenset(changed)
    stale = set()
    for path, inputs in new.items():
        if path not in old:
            stale.add(path)
            continue
        if (inputs | old[path]) & changed:
            stale.add(path)
    return stale


def _ids(site: LinkedSite, kind: str) -> list[str]:
    if kind == "summit":
        return [s.id for s in site.summits]
    if kind == "proposal":
        return [p.id for p in site.proposals]
    if kind == "stakeholder":
        return [s.id for s in site.stakeholders]
    return [s.meta.id for s in site.sources]


def _page_ref(page: str) -> EntityRef:
    section, ident = page.strip("/").split("/")
    kind = {"summits": "summit", "proposals": "proposal", "stakeholders": "stakeholder"}[section]
    return (kind, ident)
