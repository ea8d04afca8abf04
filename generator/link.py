"""Link: validated content → one resolved, cross-referenced site, or problems.

Resolves every reference (summit ↔ proposal ↔ stakeholder ↔ source), verifies every
citation against the text of its source and pins it to a block, and derives the
backlinks from the same data, so the two directions can never disagree.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from generator.config import SiteConfig
from generator.errors import Location, Problem, closest
from generator.model import Citation, Position, Proposal, ProposalOnTable, Stakeholder, Summit
from generator.sourcetext import normalize, original_words
from generator.urls import page_path
from generator.validate import Entry, Source, ValidatedContent
from generator.yamlfile import Path, YamlDocument

EntityRef = tuple[str, str]  # (kind, id)
QuoteKey = tuple[str, str]  # (source id, quote as written)


@dataclass(frozen=True)
class CitationTarget:
    """Where a verified quote sits in its source."""

    source_id: str
    #: Anchor of the block that contains the quote.
    anchor: str
    #: The quote as the source writes it (original quotes and dashes), for text fragments.
    original: str


@dataclass(frozen=True)
class CitingClaim:
    """A claim that cites a source block: the other end of a citation."""

    page: str
    fragment: str
    page_title: str
    section: str
    text: str


@dataclass(frozen=True)
class MentionMatcher:
    """One compiled pattern for every name and alias of stakeholders and summits."""

    pattern: re.Pattern[str] | None
    targets: Mapping[str, EntityRef]

    def find(self, text: str) -> Iterator[tuple[int, int, EntityRef]]:
        """Whole-word, case-sensitive mentions in `text`, left to right."""
        if self.pattern is None:
            return
        for match in self.pattern.finditer(text):
            yield match.start(), match.end(), self.targets[match.group(0)]


@dataclass(frozen=True)
class LinkedSite:
    """Everything the renderer needs; every reference in it resolves."""

    config: SiteConfig
    summits: tuple[Summit, ...]  # chronological, prospective last
    proposals: tuple[Proposal, ...]  # by title
    stakeholders: tuple[Stakeholder, ...]  # by name
    sources: tuple[Source, ...]  # newest first, undated last, then by title
    targets: Mapping[QuoteKey, CitationTarget]
    #: (source id, block anchor) → claims citing that block.
    claims_by_block: Mapping[tuple[str, str], tuple[CitingClaim, ...]]
    #: proposal id → (summit id, what happened to it there).
    summits_of_proposal: Mapping[str, tuple[tuple[str, ProposalOnTable], ...]]
    #: stakeholder id → summits they took part in.
    summits_of_stakeholder: Mapping[str, tuple[str, ...]]
    #: stakeholder id → proposals they put forward.
    proposals_of_stakeholder: Mapping[str, tuple[str, ...]]
    #: stakeholder id → (proposal id, their position).
    positions_of_stakeholder: Mapping[str, tuple[tuple[str, Position], ...]]
    #: (kind, id) → (source id, number of mentions), most mentions first.
    mentions_of_entity: Mapping[EntityRef, tuple[tuple[str, int], ...]]
    #: (kind, id) → source ids that a claim on that entity's page cites.
    sources_cited_by: Mapping[EntityRef, tuple[str, ...]]
    #: source id → number of citations of it.
    citations_of_source: Mapping[str, int]
    mentions: MentionMatcher
    #: Every entity by (kind, id).
    by_ref: Mapping[EntityRef, Any] = field(default_factory=dict, repr=False)
    #: Per source: the body scanned, the pattern used, and the mentions found, so that
    #: a relink scans again only sources (or names) that changed.
    mention_scans: Mapping[str, tuple[Any, Any, dict[EntityRef, int]]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def title_of(self, ref: EntityRef) -> str:
        """Display name of any entity."""
        entity = self.by_ref[ref]
        if ref[0] == "source":
            return str(entity.meta.title)
        return str(entity.title if ref[0] == "proposal" else entity.name)

    def summit(self, ident: str) -> Summit:
        return self.by_ref[("summit", ident)]  # type: ignore[no-any-return]

    def proposal(self, ident: str) -> Proposal:
        return self.by_ref[("proposal", ident)]  # type: ignore[no-any-return]

    def stakeholder(self, ident: str) -> Stakeholder:
        return self.by_ref[("stakeholder", ident)]  # type: ignore[no-any-return]

    def source(self, ident: str) -> Source:
        return self.by_ref[("source", ident)]  # type: ignore[no-any-return]


def chronological_key(summit: Summit) -> tuple[dt.date, str]:
    """Held summits by date; undated (prospective) ones after all dated ones."""
    return (summit.start or dt.date.max, summit.name)


def source_order_key(source: Source) -> tuple[int, int, str]:
    """Newest first, undated last, then by title."""
    date = source.meta.date
    return (0, -date.toordinal(), source.meta.title) if date else (1, 0, source.meta.title)


def claim_fragment(path: Path) -> str:
    """The element id of the claim at `path` in its record: ('key_outcomes', 1) → key-outcomes-2."""
    field, index = path[0], path[1]
    return f"{str(field).replace('_', '-')}-{int(index) + 1}"


SECTION_LABELS = {
    "summary": "Summary",
    "key_outcomes": "Key outcome",
    "lessons": "Lesson",
    "proposals": "On the table",
    "components": "Component",
    "positions": "Position",
    "obstacles": "Obstacle",
}


def claims_of(model: Any) -> Iterator[tuple[Path, Any]]:
    """Every cited claim of a record, with its path: (field, index) and the item."""
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, tuple):
            for index, item in enumerate(value):
                if hasattr(item, "cite") and hasattr(item, "text"):
                    yield (name, index), item


def link(
    content: ValidatedContent, config: SiteConfig, previous: LinkedSite | None = None
) -> tuple[LinkedSite, list[Problem]]:
    """Resolve, verify and cross-reference the content.

    Quote lookups and mention scans of sources whose text is unchanged since `previous`
    are reused.
    """
    problems: list[Problem] = []
    ids = {
        "summit": [e.model.id for e in content.summits],
        "proposal": [e.model.id for e in content.proposals],
        "stakeholder": [e.model.id for e in content.stakeholders],
        "source": [s.meta.id for s in content.sources],
    }
    known = {kind: set(values) for kind, values in ids.items()}
    sources = {s.meta.id: s for s in content.sources}
    known_targets = _reusable_targets(previous, sources)

    listed: set[tuple[str, Path, str]] = set()

    def check_ref(kind: str, ident: str, document: YamlDocument, path: Path) -> bool:
        if ident not in known[kind]:
            problems.append(_unknown_id(kind, ident, ids[kind], document.where(path)))
            return False
        if kind == "source":
            return True
        key = (document.file, path[:1], ident)  # one entry per id in each list
        if key in listed:
            hint = "merge the two entries into one"
            problems.append(
                Problem(
                    document.where(path),
                    f"{kind} {ident!r} is listed twice in {path[0]}",
                    hint,
                    code="BRF022",
                )
            )
            return False
        listed.add(key)
        return True

    summits_of_proposal: dict[str, list[tuple[str, ProposalOnTable]]] = defaultdict(list)
    summits_of_stakeholder: dict[str, list[str]] = defaultdict(list)
    proposals_of_stakeholder: dict[str, list[str]] = defaultdict(list)
    positions_of_stakeholder: dict[str, list[tuple[str, Position]]] = defaultdict(list)

    for entry in content.summits:
        summit, document = entry.model, entry.document
        for i, who in enumerate(summit.participants):
            if check_ref("stakeholder", who, document, ("participants", i)):
                summits_of_stakeholder[who].append(summit.id)
        for i, item in enumerate(summit.proposals):
            if check_ref("proposal", item.proposal, document, ("proposals", i, "proposal")):
                summits_of_proposal[item.proposal].append((summit.id, item))
    for proposal_entry in content.proposals:
        proposal, document = proposal_entry.model, proposal_entry.document
        for i, who in enumerate(proposal.proposed_by):
            if check_ref("stakeholder", who, document, ("proposed_by", i)):
                proposals_of_stakeholder[who].append(proposal.id)
        for i, position in enumerate(proposal.positions):
            if check_ref("stakeholder", position.stakeholder, document, ("positions", i, "stakeholder")):
                positions_of_stakeholder[position.stakeholder].append((proposal.id, position))

    targets: dict[QuoteKey, CitationTarget] = {}
    claims_by_block: dict[tuple[str, str], list[CitingClaim]] = defaultdict(list)
    sources_cited_by: dict[EntityRef, set[str]] = defaultdict(set)
    entries: list[tuple[str, Entry[Any], str]] = [
        *(("summit", e, e.model.name) for e in content.summits),
        *(("proposal", e, e.model.title) for e in content.proposals),
        *(("stakeholder", e, e.model.name) for e in content.stakeholders),
    ]
    for kind, entry, title in entries:
        page = page_path(kind, entry.model.id)
        for path, claim in claims_of(entry.model):
            for j, citation in enumerate(claim.cite):
                cite_path = (*path, "cite", j)
                if not check_ref("source", citation.source, entry.document, (*cite_path, "source")):
                    continue
                key = (citation.source, citation.quote)
                target = targets.get(key) or known_targets.get(key)
                if target is None:
                    quotes = _QuoteIndex(sources[citation.source])
                    target = quotes.locate(citation)
                    if target is None:
                        where = entry.document.where((*cite_path, "quote"))
                        problems.append(quotes.not_found(citation, where))
                        continue
                targets[key] = target
                sources_cited_by[(kind, entry.model.id)].add(citation.source)
                citing = CitingClaim(
                    page, claim_fragment(path), title, SECTION_LABELS[str(path[0])], claim.text
                )
                block_claims = claims_by_block[(citation.source, target.anchor)]
                if citing not in block_claims:
                    block_claims.append(citing)

    names, alias_problems = _mention_targets(content)
    problems += alias_problems
    if previous is not None and previous.mentions.targets == names:
        matcher = previous.mentions  # same names: keep the pattern, and with it the scans
    else:
        matcher = _mention_matcher(names)
    before = previous.mention_scans if previous else {}
    scans = {source.meta.id: _scan_mentions(source, matcher, before) for source in content.sources}
    if previous is not None and len(scans) == len(before) and all(scans[k] is before.get(k) for k in scans):
        mentions_of_entity = previous.mentions_of_entity  # no text and no name changed
    else:
        mentions_of_entity = _mentions_by_entity(scans)
    citations_of_source: dict[str, int] = defaultdict(int)
    for (source_id, _), block_claims in claims_by_block.items():
        citations_of_source[source_id] += len(block_claims)
    by_ref: dict[EntityRef, Any] = {("source", s.meta.id): s for s in content.sources}
    for kind, group in (("summit", content.summits), ("proposal", content.proposals)):
        by_ref.update(((kind, e.model.id), e.model) for e in group)
    by_ref.update((("stakeholder", e.model.id), e.model) for e in content.stakeholders)

    site = LinkedSite(
        config=config,
        summits=tuple(sorted((e.model for e in content.summits), key=chronological_key)),
        proposals=tuple(sorted((e.model for e in content.proposals), key=lambda p: (p.title, p.id))),
        stakeholders=tuple(sorted((e.model for e in content.stakeholders), key=lambda s: (s.name, s.id))),
        sources=tuple(sorted(content.sources, key=source_order_key)),
        targets=targets,
        claims_by_block={key: tuple(value) for key, value in claims_by_block.items()},
        summits_of_proposal={key: tuple(value) for key, value in summits_of_proposal.items()},
        summits_of_stakeholder={key: tuple(value) for key, value in summits_of_stakeholder.items()},
        proposals_of_stakeholder={key: tuple(value) for key, value in proposals_of_stakeholder.items()},
        positions_of_stakeholder={key: tuple(value) for key, value in positions_of_stakeholder.items()},
        mentions_of_entity=mentions_of_entity,
        sources_cited_by={key: tuple(sorted(value)) for key, value in sources_cited_by.items()},
        citations_of_source=dict(citations_of_source),
        mentions=matcher,
        by_ref=by_ref,
        mention_scans=scans,
    )
    return site, problems


def _reusable_targets(
    previous: LinkedSite | None, sources: Mapping[str, Source]
) -> dict[QuoteKey, CitationTarget]:
    """Verified quotes of the previous link whose source text is the very same."""
    if previous is None:
        return {}
    same = {
        ident
        for ident, source in sources.items()
        if (old := previous.by_ref.get(("source", ident))) is not None and old.body is source.body
    }
    return {key: target for key, target in previous.targets.items() if key[0] in same}


def _scan_mentions(
    source: Source, matcher: MentionMatcher, before: Mapping[str, tuple[Any, Any, dict[EntityRef, int]]]
) -> tuple[Any, Any, dict[EntityRef, int]]:
    """Mentions per entity in one source, reused when neither text nor names changed."""
    hit = before.get(source.meta.id)
    if hit is not None and hit[0] is source.body and hit[1] is matcher:
        return hit
    counts: dict[EntityRef, int] = defaultdict(int)
    for block in source.body.blocks:
        if block.kind not in ("title", "heading"):
            for _, _, ref in matcher.find(block.text):
                counts[ref] += 1
    return (source.body, matcher, dict(counts))


def _unknown_id(kind: str, ident: str, known: list[str], where: Location) -> Problem:
    close = closest(ident, known)
    hint = f"did you mean {close!r}? " if close else ""
    folder = {"summit": "summits", "proposal": "proposals", "stakeholder": "stakeholders"}.get(
        kind, "sources"
    )
    hint += f"known {kind} ids are the `id:` of the files in content/{folder}/"
    return Problem(where, f"unknown {kind} id {ident!r}", hint, code="BRF012")


class _QuoteIndex:
    """The normalised text of each block of one source, for quote lookups."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.blocks = source.body.blocks

    def locate(self, citation: Citation) -> CitationTarget | None:
        wanted = normalize(citation.quote)
        for block in self.blocks:
            if wanted in block.normal:
                return CitationTarget(self.source.meta.id, block.anchor, original_words(block.text, wanted))
        return None

    def not_found(self, citation: Citation, where: Location) -> Problem:
        wanted = normalize(citation.quote)
        message = f"quote not found in source {citation.source!r}"
        if not self.blocks:
            return Problem(where, message, "the source has no text", code="BRF024")
        from rapidfuzz import fuzz, process  # only for hints: not loaded by a build without problems

        best = process.extractOne(wanted, [b.normal for b in self.blocks], scorer=fuzz.partial_ratio)
        block = self.blocks[best[2]]
        alignment = fuzz.partial_ratio_alignment(wanted, block.normal)
        start, end = (alignment.dest_start, alignment.dest_end) if alignment else (0, 120)
        passage = original_words(block.text, _whole_words(block.normal, start, end))
        hint = (
            f"closest passage ({self.source.body.file}:{block.line}, {best[1]:.0f}% alike): "
            f'"{passage}"; copy the words exactly as the source writes them'
        )
        return Problem(where, message, hint, code="BRF024")


#: How far a passage shown in a hint may be widened to reach a word's edge, and its length.
_WIDEN = 40
_PASSAGE = 400


def _whole_words(text: str, start: int, end: int) -> str:
    """`text[start:end]` widened to whole words, so the passage shown reads naturally (a
    run with no space, or a passage longer than a hint can show, is cut)."""
    low, high = max(0, start - _WIDEN), min(len(text), end + _WIDEN, start + _PASSAGE)
    end = min(end, high)
    while start > low and not text[start - 1].isspace():
        start -= 1
    while end < high and not text[end].isspace():
        end += 1
    return text[start:end].strip()


def _mentions_by_entity(
    scans: Mapping[str, tuple[Any, Any, dict[EntityRef, int]]],
) -> dict[EntityRef, tuple[tuple[str, int], ...]]:
    """(kind, id) → (source id, mentions there), most mentions first."""
    found: dict[EntityRef, dict[str, int]] = defaultdict(dict)
    for source_id, (_, _, counts) in scans.items():
        for ref, count in counts.items():
            found[ref][source_id] = count
    return {
        ref: tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
        for ref, counts in found.items()
    }


def _mention_targets(content: ValidatedContent) -> tuple[dict[str, EntityRef], list[Problem]]:
    """Every name and alias of stakeholders and summits, and the entity it names."""
    problems: list[Problem] = []
    targets: dict[str, EntityRef] = {}
    named: list[tuple[str, Entry[Any], tuple[str | int, ...]]] = []
    for kind, group in (("stakeholder", content.stakeholders), ("summit", content.summits)):
        for entry in group:
            named.append((kind, entry, ("name",)))
            named += [(kind, entry, ("aliases", i)) for i in range(len(entry.model.aliases))]
    for kind, entry, path in named:
        model = entry.model
        name = model.name if path == ("name",) else model.aliases[int(path[1])]
        ref = (kind, model.id)
        owner = targets.get(name)
        if owner is not None and owner != ref:
            problems.append(
                Problem(
                    entry.document.where(path),
                    f"name {name!r} is also used by {owner[0]} {owner[1]!r}",
                    "mentions must point at one page; remove the alias from one of them",
                    code="BRF023",
                )
            )
            continue
        targets[name] = ref
    return targets, problems


def _mention_matcher(targets: dict[str, EntityRef]) -> MentionMatcher:
    if not targets:
        return MentionMatcher(None, {})
    return MentionMatcher(re.compile(rf"(?<!\w)(?:{_trie_pattern(targets)})(?!\w)"), targets)


def _trie_pattern(names: Iterable[str]) -> str:
    """One regular expression for `names`, shaped as a trie: `Kim (?:Jong Un|Yo Jong)`.

    A flat alternation of hundreds of names is tried name by name at every word; the
    trie follows one branch per character. Greedy optional endings keep the semantics
    of a longest-first alternation: the longest name that ends at a word boundary wins.
    """
    trie: dict[str, Any] = {}
    for name in names:
        node = trie
        for char in name:
            node = node.setdefault(char, {})
        node[""] = {}
    # Children before parents, with an explicit stack: a name may be hundreds of
    # characters long, deeper than Python's recursion allows.
    order: list[dict[str, Any]] = []
    pending = [trie]
    while pending:
        node = pending.pop()
        order.append(node)
        pending += [child for char, child in node.items() if char]
    made: dict[int, str] = {}
    for node in reversed(order):
        branches = [re.escape(char) + made[id(child)] for char, child in sorted(node.items()) if char]
        if not branches:
            made[id(node)] = ""
            continue
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        made[id(node)] = f"(?:{body})?" if "" in node else body
    return made[id(trie)]
