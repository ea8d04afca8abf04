"""Which inputs changed between two builds, and so which pages to render again.

An incremental rebuild re-reads and re-links everything (cheap), then re-renders only
the pages whose inputs changed. A page's inputs are declared by the code that makes its
job (`generator.render.PageJob.inputs`): the records whose data it shows (its own, and
every record it links to or lists), and for pages that show mentions, the set of names
that mentions are matched against; the build adds the templates it is rendered with.
The union of the old and new dependency maps is used, so a link that was removed
re-renders the page that lost it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from generator.feeds import feed_entries
from generator.link import LinkedSite
from generator.render import CITATION_COUNTS, FEED_ENTRIES, KINDS, NAMES, Input


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
    for kind in KINDS:
        values[("kind", kind)] = tuple(sorted(key[1] for key in values if key[0] == kind))
    values[NAMES] = tuple(sorted(site.mentions.targets.items()))
    values[CITATION_COUNTS] = tuple(sorted(site.citations_of_source.items()))
    values[FEED_ENTRIES] = tuple(feed_entries(site))
    return values


def changed_inputs(before: Mapping[Input, Any], after: Mapping[Input, Any]) -> frozenset[Input]:
    """Inputs added, removed or different between two `record_inputs` results."""
    return frozenset(key for key in before.keys() | after.keys() if before.get(key) != after.get(key))


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
