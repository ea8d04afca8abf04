"""Editorial report: what a desk editor should look at in content that builds.

The build refuses content that is wrong (a quote the source does not contain, an unknown
id). This report is about content that is merely weak: claims without evidence, sources
nobody uses, pages nothing links to, quotes that could point at more than one paragraph,
and summits whose status the calendar has overtaken. Each note is a warning with a stable
code (BRF1xx, apart from the BRF0xx errors) and a `file:line:col`; the report also gives,
per source, the share of its citable blocks that some claim cites.

`editorial_report` is pure: it reads the linked site and the validated content (for the
positions of values in their YAML) and the date it is asked about, and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from generator.errors import Location, printable
from generator.link import SECTION_LABELS, LinkedSite, claims_of
from generator.sourcetext import normalize
from generator.validate import Entry, Source, ValidatedContent

#: Every warning code and its name. Codes are stable, like the error codes of
#: `generator.errors.CODES`, and never collide with them (those are BRF0xx).
NOTE_CODES: dict[str, str] = {
    "BRF101": "claim-without-citation",
    "BRF102": "uncited-source",
    "BRF103": "low-coverage",
    "BRF104": "orphan-stakeholder",
    "BRF105": "orphan-proposal",
    "BRF106": "ambiguous-quote",
    "BRF107": "date-contradicts-status",
}

#: Block kinds a reader can cite as evidence. Titles and headings only label the text;
#: code and rules are not prose. A Markdown blockquote is part of the article's text.
CITABLE_KINDS = frozenset({"paragraph", "list", "table", "quote"})

#: Sources with a smaller share of cited blocks than this get a BRF103 note.
LOW_COVERAGE = 0.10


@dataclass(frozen=True, order=True)
class EditorialNote:
    """One warning: where, which check, what and how to act on it."""

    location: Location
    code: str
    name: str
    message: str
    hint: str

    def __str__(self) -> str:
        text = f"{self.location}: warning: {self.message} [{self.code} {self.name}]\n    hint: {self.hint}"
        return printable(text)


@dataclass(frozen=True)
class Coverage:
    """How much of one source the summaries cite."""

    source_id: str
    #: The source's text file, as the build names it.
    file: str
    cited_blocks: int
    citable_blocks: int

    @property
    def share(self) -> float:
        """Cited / citable blocks, 0.0 for a source with nothing to cite."""
        return self.cited_blocks / self.citable_blocks if self.citable_blocks else 0.0


@dataclass(frozen=True)
class EditorialReport:
    """Every note, sorted by position, and the coverage of every source, by id."""

    notes: tuple[EditorialNote, ...]
    coverage: tuple[Coverage, ...]

    def counts(self) -> dict[str, Any]:
        """Notes in all and by code (every code, zero included), and blocks cited in all."""
        by_code = Counter(note.code for note in self.notes)
        return {
            "warnings": len(self.notes),
            "by_code": {code: by_code[code] for code in NOTE_CODES},
            "sources": len(self.coverage),
            "cited": sum(c.cited_blocks for c in self.coverage),
            "citable": sum(c.citable_blocks for c in self.coverage),
        }


def editorial_report(
    site: LinkedSite,
    content: ValidatedContent,
    today: dt.date,
    low_coverage: float = LOW_COVERAGE,
) -> EditorialReport:
    """Check the linked content; `today` decides which summit dates are past."""
    coverage = tuple(_coverage(site, source) for source in content.sources)
    notes = [
        *_uncited_claims(content),
        *_uncited_sources(site, content),
        *_low_coverage(content, coverage, low_coverage),
        *_orphan_stakeholders(site, content),
        *_orphan_proposals(site, content),
        *_ambiguous_quotes(content),
        *_dates_against_status(content, today),
    ]
    return EditorialReport(tuple(sorted(notes)), tuple(sorted(coverage, key=lambda c: c.source_id)))


def _note(location: Location, code: str, message: str, hint: str) -> EditorialNote:
    return EditorialNote(location, code, NOTE_CODES[code], message, hint)


def _summaries(content: ValidatedContent) -> Iterator[tuple[str, Entry[Any]]]:
    yield from (("summit", e) for e in content.summits)
    yield from (("proposal", e) for e in content.proposals)
    yield from (("stakeholder", e) for e in content.stakeholders)


def _claim_label(path: tuple[str | int, ...]) -> str:
    return f"{SECTION_LABELS[str(path[0])].lower()} {int(path[1]) + 1}"


def _excerpt(text: str, limit: int = 60) -> str:
    words = " ".join(text.split())
    return words if len(words) <= limit else words[: limit - 1].rstrip() + "…"


def _uncited_claims(content: ValidatedContent) -> Iterator[EditorialNote]:
    for kind, entry in _summaries(content):
        for path, claim in claims_of(entry.model):
            if not claim.cite:
                yield _note(
                    entry.document.where(path),
                    "BRF101",
                    f"{kind} {entry.model.id!r}, {_claim_label(path)}, cites no source: "
                    f'"{_excerpt(claim.text)}"',
                    "add `cite:` with a quote copied from a source, or drop the claim",
                )


def _uncited_sources(site: LinkedSite, content: ValidatedContent) -> Iterator[EditorialNote]:
    for source in content.sources:
        if not site.citations_of_source.get(source.meta.id):
            yield _note(
                source.document.where(("id",)),
                "BRF102",
                f"source {source.meta.id!r} is cited by no claim",
                "quote it in a summary, or remove it if the briefing does not need it",
            )


def _coverage(site: LinkedSite, source: Source) -> Coverage:
    ident = source.meta.id
    citable = [block for block in source.body.blocks if block.kind in CITABLE_KINDS]
    cited = sum(1 for block in citable if site.claims_by_block.get((ident, block.anchor)))
    return Coverage(ident, source.body.file, cited, len(citable))


def _low_coverage(
    content: ValidatedContent, coverage: tuple[Coverage, ...], threshold: float
) -> Iterator[EditorialNote]:
    sources = {source.meta.id: source for source in content.sources}
    for item in coverage:
        # An uncited source already has its BRF102; one note per problem is enough.
        if item.cited_blocks and item.share < threshold:
            yield _note(
                sources[item.source_id].document.where(("id",)),
                "BRF103",
                f"source {item.source_id!r} is barely used: {item.cited_blocks} of {item.citable_blocks} "
                f"citable blocks cited ({item.share:.0%})",
                f"below {threshold:.0%}: cite more of it, or check that the briefing needs it",
            )


def _orphan_stakeholders(site: LinkedSite, content: ValidatedContent) -> Iterator[EditorialNote]:
    for entry in content.stakeholders:
        ident = entry.model.id
        # Mentions in sources link a source to the page, not a summary: they do not count.
        linked = (
            site.summits_of_stakeholder.get(ident)
            or site.proposals_of_stakeholder.get(ident)
            or site.positions_of_stakeholder.get(ident)
        )
        if not linked:
            yield _note(
                entry.document.where(("id",)),
                "BRF104",
                f"no summit or proposal links to stakeholder {ident!r}",
                "list them in a summit's `participants`, or a proposal's `proposed_by` or `positions`",
            )


def _orphan_proposals(site: LinkedSite, content: ValidatedContent) -> Iterator[EditorialNote]:
    # Only a summit's `proposals` can reference a proposal: the model has no other link.
    for entry in content.proposals:
        ident = entry.model.id
        if not site.summits_of_proposal.get(ident):
            yield _note(
                entry.document.where(("id",)),
                "BRF105",
                f"no summit links to proposal {ident!r}",
                "add it to the `proposals` of the summit where it was on the table",
            )


def _ambiguous_quotes(content: ValidatedContent) -> Iterator[EditorialNote]:
    sources = {source.meta.id: source for source in content.sources}
    for _, entry in _summaries(content):
        for path, claim in claims_of(entry.model):
            for index, citation in enumerate(claim.cite):
                source = sources.get(citation.source)
                if source is None:  # an unknown id is a build error, reported by link
                    continue
                wanted = normalize(citation.quote)
                lines = [block.line for block in source.body.blocks if wanted in block.normal]
                if len(lines) > 1:
                    shown = ", ".join(str(line) for line in lines)
                    yield _note(
                        entry.document.where((*path, "cite", index, "quote")),
                        "BRF106",
                        f"quote matches {len(lines)} blocks of source {citation.source!r} "
                        f"({source.body.file} lines {shown})",
                        f"the claim links to the first (line {lines[0]}); quote more words, so that "
                        "only the paragraph meant contains them",
                    )


def _dates_against_status(content: ValidatedContent, today: dt.date) -> Iterator[EditorialNote]:
    for entry in content.summits:
        summit = entry.model
        problem = ""
        if summit.status == "held":
            if summit.start is None:
                problem = "is held but has no start date"
            elif summit.start > today:
                problem = f"is held but starts on {summit.start}, after {today}"
        elif summit.status == "prospective":
            last = summit.end or summit.start
            if last is not None and last < today:
                problem = f"is prospective but its last date, {last}, is before {today}"
        # A cancelled summit keeps the dates it was planned for, past or future: never flagged.
        if problem:
            yield _note(
                entry.document.where(("status",)),
                "BRF107",
                f"summit {summit.id!r} {problem}",
                "update `status` (held | prospective | cancelled) or the dates `start` and `end`",
            )


# -- output ---------------------------------------------------------------------------------


def format_text(report: EditorialReport) -> str:
    """For the terminal: the notes, a coverage table, then a summary line."""
    lines = [str(note) for note in report.notes]
    if lines:
        lines.append("")
    width = max([len("source"), *(len(c.source_id) for c in report.coverage)])
    lines.append("coverage (citable blocks cited by at least one claim):")
    lines.append(f"  {'source':<{width}}  {'cited/citable':>13}  {'share':>5}")
    for item in report.coverage:
        ratio = f"{item.cited_blocks}/{item.citable_blocks}"
        lines.append(f"  {item.source_id:<{width}}  {ratio:>13}  {item.share:>5.0%}")
    counts = report.counts()
    total = counts["warnings"]
    by_code = ", ".join(f"{n} {NOTE_CODES[code]}" for code, n in counts["by_code"].items() if n)
    summary = f"{total} warning{'' if total == 1 else 's'}" + (f" ({by_code})" if by_code else "")
    share = counts["cited"] / counts["citable"] if counts["citable"] else 0.0
    summary += (
        f"; {counts['sources']} sources, {counts['cited']} of {counts['citable']} citable blocks "
        f"cited ({share:.0%})"
    )
    lines.append(summary)
    return "\n".join(lines) + "\n"


def format_json(report: EditorialReport) -> str:
    """Stable JSON for tools: the same report gives the same bytes."""
    data = {
        "warnings": [
            {
                "file": note.location.file,
                "line": note.location.line,
                "col": note.location.col,
                "code": note.code,
                "name": note.name,
                "message": note.message,
                "hint": note.hint,
            }
            for note in report.notes
        ],
        "coverage": [
            {
                "source": item.source_id,
                "file": item.file,
                "cited": item.cited_blocks,
                "citable": item.citable_blocks,
                # Rounded so that float noise never changes the output.
                "share": round(item.share, 4),
            }
            for item in report.coverage
        ],
        "counts": report.counts(),
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
