"""A deterministic generator of synthetic briefings, for benchmarks.

`make_project(root, sources=1000)` writes a complete project (config.yaml, templates
copied from this repository, content/) with `sources` source texts of 1.5–6 KB in the
shape of pasted web articles (headings, `- ` lists, loose pipe tables, a comment-form
trailer) and one summary per ten sources: summits, proposals and stakeholders in the
proportion 1 : 4 : 5. Citations quote sentences drawn from the sources, and the names
and aliases of stakeholders and summits occur in the text so that mentions are linked.
`make_plain_corpus(root, sources)` writes the same source texts as plain Markdown: a
Hugo site and a briefing of sources only. The same seed gives the same files.

    python bench/corpus.py OUT_DIR [--sources N] [--seed S] [--plain]
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.sourcetext import table_cells

REPO = Path(__file__).resolve().parents[1]

WORDS = [
    "summit",
    "talks",
    "sanctions",
    "relief",
    "denuclearization",
    "alliance",
    "pressure",
    "negotiators",
    "deal",
    "freeze",
    "missile",
    "program",
    "envoy",
    "treaty",
    "verification",
    "inspectors",
    "regime",
    "economy",
    "security",
    "guarantee",
    "liaison",
    "office",
    "peace",
    "agreement",
    "border",
    "exercises",
    "intelligence",
    "humanitarian",
    "aid",
    "framework",
    "region",
    "partners",
    "dialogue",
    "proposal",
    "concession",
    "deadline",
    "leverage",
    "trust",
    "compliance",
    "stockpile",
]
PLACES = ["Geneva", "Vienna", "Hanoi", "Singapore", "Panmunjom", "Ulaanbaatar", "Stockholm", "Helsinki"]
CATEGORIES = ["denuclearization", "sanctions-and-economy", "diplomatic", "security", "negotiating-process"]
KINDS = ["country", "person", "organisation"]
TRAILERS = ["Leave a Reply", "Deja una respuesta"]
#: Two letters each, so that a surname spells out its index in exactly one way.
SYLLABLES = ["ka", "lo", "mi", "re", "sa", "tu", "ve", "zo", "bi", "de"]


@dataclass(frozen=True)
class Entity:
    """A stakeholder or summit: what its file is called and the words that mention it."""

    ident: str
    name: str
    aliases: tuple[str, ...]


def surname(index: int) -> str:
    """An invented, capitalised surname, distinct for every index."""
    digits = f"{index:03d}"
    return "".join(SYLLABLES[int(d)] for d in digits).capitalize()


def counts(sources: int) -> tuple[int, int, int]:
    """How many summits, proposals and stakeholders a briefing of `sources` sources has."""
    summaries = max(10, sources // 10)
    n_summits, n_proposals = summaries // 10, summaries * 4 // 10
    return n_summits, n_proposals, summaries - n_summits - n_proposals


def entities(sources: int) -> tuple[list[Entity], list[Entity]]:
    """The stakeholders and the summits, each with aliases that no other entity uses."""
    n_summits, _, n_stakeholders = counts(sources)
    stakeholders = []
    for i in range(n_stakeholders):
        code = f"{chr(65 + i % 26)}{i:03d}"
        stakeholders.append(Entity(f"envoy-{i:03d}", f"Envoy {code}", (f"{code} delegation", surname(i))))
    summits = [
        Entity(f"summit-{i:03d}", f"Summit {i}", (f"{PLACES[i % len(PLACES)]} round {i}",))
        for i in range(n_summits)
    ]
    check_names(stakeholders + summits)
    return stakeholders, summits


def check_names(named: list[Entity]) -> None:
    """Fail early on what the build would reject: a name or alias used by two entities."""
    owners: dict[str, str] = {}
    for entity in named:
        for name in (entity.name, *entity.aliases):
            if owners.setdefault(name, entity.ident) != entity.ident:
                raise ValueError(f"{name!r} names both {owners[name]} and {entity.ident}")
            if name != name.strip() or not re.fullmatch(r"\w+(?: \w+)*", name):
                raise ValueError(f"{name!r} is not a run of whole words")


def mention_words(named: list[Entity]) -> list[str]:
    """Every name and alias, in a fixed order, for sentences to mention."""
    return [name for entity in named for name in (entity.name, *entity.aliases)]


def sentence(rng: random.Random, names: list[str]) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(9, 18))]
    if names and rng.random() < 0.5:
        words.insert(rng.randint(0, len(words)), rng.choice(names))
    # Only the first letter: str.capitalize() would lower "Envoy A001" to "Envoy a001".
    words[0] = words[0][:1].upper() + words[0][1:]
    return " ".join(words) + "."


#: Bounds of a source text in characters (ASCII, so bytes too), trailer included.
MIN_CHARS, MAX_CHARS = 1500, 6000


def source_text(rng: random.Random, names: list[str]) -> str:
    target = rng.randint(MIN_CHARS, MAX_CHARS)
    trailer_room = max(len(t) for t in TRAILERS) + 2
    parts: list[str] = []
    size = 0  # the parts joined by newlines, so far
    while size < target:
        roll = rng.random()
        if roll < 0.12:
            part = " ".join(rng.choice(WORDS).capitalize() for _ in range(rng.randint(3, 6)))
        elif roll < 0.22:
            part = "\n".join(f"- {sentence(rng, names)}" for _ in range(rng.randint(2, 4)))
        elif roll < 0.28:
            rows = ["Country | Stance | Level |"]
            if rng.random() < 0.5:
                rows.append("---|---|---|")
            rows += [f"{rng.choice(PLACES)} | {rng.choice(WORDS)} | {rng.choice(WORDS)} |" for _ in range(3)]
            part = "\n".join(rows)
        else:
            part = " ".join(sentence(rng, names) for _ in range(rng.randint(3, 7)))
        if size + 1 + len(part) + trailer_room > MAX_CHARS and size >= MIN_CHARS:
            break  # the last part would overshoot; the text is long enough without it
        parts.append(part)
        size += len(part) + 1
    parts.append(rng.choice(TRAILERS))
    return "\n".join(parts) + "\n"


def source_texts(rng: random.Random, sources: int) -> dict[str, str]:
    """The plain texts of the sources by id, drawn from `rng` (which moves on)."""
    stakeholders, summits = entities(sources)
    names = mention_words(stakeholders + summits)
    return {f"source-{i:05d}": source_text(rng, names) for i in range(sources)}


def source_meta(i: int) -> str:
    """The metadata sidecar of source `i`."""
    return (
        f"id: source-{i:05d}\ntitle: Source {i}\nauthor:\npublisher:\n"
        f"date: {source_date(i)}\nurl:\nkind: analysis\nlanguage: en\n"
    )


def source_date(i: int) -> str:
    return f"20{10 + i % 15:02d}-0{1 + i % 9}-1{i % 9}"


_SEPARATOR_ROW = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")


def markdown_body(text: str) -> str:
    """The Markdown rendering of a plain source text, block for block.

    Lines are classified as the plain-text reader does: `- ` items and pipe rows gather
    into lists and tables, short lines without closing punctuation are headings (the
    first line, if it is one, is the title: `# `; later ones `## `), other lines are
    paragraphs. Tables get one header separator row, so they are real Markdown tables;
    the comment-form trailer stays a bare line, as pasted, for the reader to cut.
    """
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    trailer = lines.pop() if lines and lines[-1] in TRAILERS else None
    blocks: list[tuple[str, list[str]]] = []
    for line in lines:
        if line.startswith("- "):
            kind = "list"
        elif "|" in line:
            kind = "table"
        elif line[-1] not in ".!?:;,":
            kind = "heading"
        else:
            kind = "paragraph"
        if blocks and kind in ("list", "table") and blocks[-1][0] == kind:
            blocks[-1][1].append(line)
        else:
            blocks.append((kind, [line]))
    out = []
    for number, (kind, body) in enumerate(blocks):
        if kind == "heading":
            out.append(("# " if number == 0 else "## ") + body[0])
        elif kind == "table":
            rows = [table_cells(row) for row in body if not _SEPARATOR_ROW.match(row)]
            width = max(len(row) for row in rows)
            rows = [row + [""] * (width - len(row)) for row in rows]
            table = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * width]
            out.append("\n".join(table + ["| " + " | ".join(row) + " |" for row in rows[1:]]))
        else:
            out.append("\n".join(body))
    if trailer is not None:
        out.append(trailer)
    return "\n\n".join(out) + "\n"


def markdown_mismatches(texts: dict[str, str]) -> list[str]:
    """The sources whose Markdown body the briefing reads into other blocks than their
    plain text (kinds, words, list items, table rows): none, if `markdown_body` is faithful."""
    from generator.config import DEFAULT_TRAILERS  # the reader itself is the judge
    from generator.sourcetext import parse_markdown, parse_plain_text

    def blocks(parsed: list[Any]) -> list[tuple[Any, ...]]:
        return [(b.kind, b.text, b.items, b.rows) for b in parsed]

    return [
        ident
        for ident, text in texts.items()
        if blocks(parse_plain_text(text, DEFAULT_TRAILERS))
        != blocks(parse_markdown(markdown_body(text), DEFAULT_TRAILERS))
    ]


def quotable(text: str, rng: random.Random) -> str:
    """A run of words from one paragraph of `text` (never a heading, list or table)."""
    paragraphs = [line for line in text.splitlines() if line.count(".") >= 3 and "|" not in line]
    words = rng.choice(paragraphs).split()
    start = rng.randint(0, max(0, len(words) - 10))
    return " ".join(words[start : start + rng.randint(6, 10)])


def q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _project_skeleton(root: Path, title: str) -> Path:
    """config.yaml, the templates and empty content folders; returns the content folder."""
    content = root / "content"
    for folder in ("sources", "summits", "proposals", "stakeholders"):
        (content / folder).mkdir(parents=True)
    shutil.copytree(REPO / "templates", root / "templates")
    (root / "config.yaml").write_text(
        f"title: {title}\ndescription: A generated briefing for benchmarks.\n", encoding="utf-8"
    )
    return content


def make_project(root: Path, sources: int = 1000, seed: int = 7) -> Path:
    """Write a synthetic project into `root` (created; must not exist) and return it."""
    rng = random.Random(seed)
    content = _project_skeleton(root, "Synthetic briefing")
    _, n_proposals, _ = counts(sources)
    people, meetings = entities(sources)
    texts = source_texts(rng, sources)
    for i, (ident, text) in enumerate(texts.items()):
        (content / "sources" / f"{ident}.txt").write_text(text, encoding="utf-8")
        (content / "sources" / f"{ident}.yaml").write_text(source_meta(i), encoding="utf-8")
    source_ids = sorted(texts)

    def claims(count: int, indent: str = "  ") -> str:
        out = []
        for _ in range(count):
            cited = rng.choice(source_ids)
            out.append(
                f"{indent}- text: {sentence(rng, [])}\n{indent}  cite:\n"
                f"{indent}    - source: {cited}\n{indent}      quote: {q(quotable(texts[cited], rng))}\n"
            )
        return "".join(out)

    def aliases(entity: Entity) -> str:
        return "[" + ", ".join(entity.aliases) + "]"

    stakeholder_ids = [person.ident for person in people]
    for person in people:
        (content / "stakeholders" / f"{person.ident}.yaml").write_text(
            f"id: {person.ident}\nname: {person.name}\nkind: {rng.choice(KINDS)}\n"
            f"aliases: {aliases(person)}\nrole: A negotiator.\nsummary:\n{claims(2)}",
            encoding="utf-8",
        )
    proposal_ids = [f"proposal-{i:03d}" for i in range(n_proposals)]
    for ident in proposal_ids:
        positions = "".join(
            f"  - stakeholder: {who}\n    stance: {rng.choice(['supports', 'opposes', 'mixed'])}\n"
            f"    text: {sentence(rng, [])}\n    cite:\n      - source: {(c := rng.choice(source_ids))}\n"
            f"        quote: {q(quotable(texts[c], rng))}\n"
            for who in rng.sample(stakeholder_ids, min(3, len(stakeholder_ids)))
        )
        (content / "proposals" / f"{ident}.yaml").write_text(
            f"id: {ident}\ntitle: Proposal {ident[-3:]}\ncategory: {rng.choice(CATEGORIES)}\n"
            f"proposed_by: [{rng.choice(stakeholder_ids)}]\nsummary:\n{claims(2)}positions:\n{positions}"
            f"obstacles:\n{claims(1)}",
            encoding="utf-8",
        )
    for i, meeting in enumerate(meetings):
        on_table = "".join(
            f"  - proposal: {p}\n    text: {sentence(rng, [])}\n"
            for p in rng.sample(proposal_ids, min(4, len(proposal_ids)))
        )
        (content / "summits" / f"{meeting.ident}.yaml").write_text(
            f"id: {meeting.ident}\nname: {meeting.name}\naliases: {aliases(meeting)}\nstatus: held\n"
            f"start: 20{10 + i % 15:02d}-06-1{i % 9}\n"
            f"place: {PLACES[i % len(PLACES)]}\nparticipants: [{', '.join(rng.sample(stakeholder_ids, 2))}]\n"
            f"outcome: No agreement.\nsummary:\n{claims(3)}key_outcomes:\n{claims(2)}lessons:\n{claims(2)}"
            f"proposals:\n{on_table}",
            encoding="utf-8",
        )
    return root


HUGO_CONFIG = """\
baseURL = "http://127.0.0.1:1313/"
title = "Plain corpus"
disableKinds = ["taxonomy", "term"]
"""
HUGO_SINGLE = """\
<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{{ .Title }}</title></head>
<body><main><h1>{{ .Title }}</h1>{{ .Content }}</main></body>
</html>
"""
HUGO_LIST = """\
<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{{ .Title }}</title></head>
<body><main><h1>{{ .Title }}</h1>
<ul>{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul>
</main></body>
</html>
"""


def make_plain_corpus(root: Path, sources: int = 1000, seed: int = 7) -> Path:
    """Write the sources of `make_project(..., sources, seed)` as Markdown, twice: a Hugo
    site in `root/hugo` and a briefing of sources only in `root/briefing`. Returns `root`."""
    texts = source_texts(random.Random(seed), sources)
    hugo = root / "hugo"
    (hugo / "layouts" / "_default").mkdir(parents=True)
    (hugo / "content" / "posts").mkdir(parents=True)
    (hugo / "hugo.toml").write_text(HUGO_CONFIG, encoding="utf-8")
    (hugo / "layouts" / "_default" / "single.html").write_text(HUGO_SINGLE, encoding="utf-8")
    (hugo / "layouts" / "_default" / "list.html").write_text(HUGO_LIST, encoding="utf-8")
    content = _project_skeleton(root / "briefing", "Plain corpus")
    for i, (ident, text) in enumerate(texts.items()):
        body = markdown_body(text)
        (hugo / "content" / "posts" / f"{ident}.md").write_text(
            f'---\ntitle: "Source {i}"\ndate: {source_date(i)}\n---\n\n{body}', encoding="utf-8"
        )
        (content / "sources" / f"{ident}.md").write_text(body, encoding="utf-8")
        (content / "sources" / f"{ident}.yaml").write_text(source_meta(i), encoding="utf-8")
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--sources", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--plain", action="store_true", help="write the plain Markdown corpus instead")
    args = parser.parse_args()
    if args.plain:
        make_plain_corpus(args.out, args.sources, args.seed)
        print(f"wrote {args.sources} Markdown sources into {args.out}/hugo and {args.out}/briefing")
    else:
        make_project(args.out, args.sources, args.seed)
        print(f"wrote a briefing with {args.sources} sources into {args.out}")


if __name__ == "__main__":
    main()
