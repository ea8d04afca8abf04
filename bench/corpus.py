"""A deterministic generator of synthetic briefings, for benchmarks.

`make_project(root, sources=1000)` writes a complete project (config.yaml, templates
copied from this repository, content/) with `sources` source texts of 1.5–6 KB in the
shape of pasted web articles (headings, `- ` lists, loose pipe tables, a comment-form
trailer) and one summary per ten sources: summits, proposals and stakeholders in the
proportion 1 : 4 : 5. Citations quote sentences drawn from the sources, and stakeholder
names occur in the text so that mentions are linked. The same seed gives the same files.

    python bench/corpus.py OUT_DIR [--sources N] [--seed S]
"""

from __future__ import annotations

import argparse
import random
import shutil
from pathlib import Path

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


def sentence(rng: random.Random, names: list[str]) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(9, 18))]
    if names and rng.random() < 0.5:
        words.insert(rng.randint(0, len(words)), rng.choice(names))
    words[0] = words[0].capitalize()
    return " ".join(words) + "."


def source_text(rng: random.Random, names: list[str]) -> str:
    target = rng.randint(1500, 6000)
    parts: list[str] = []
    size = 0
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
        parts.append(part)
        size += len(part)
    parts.append(rng.choice(TRAILERS))
    return "\n".join(parts) + "\n"


def quotable(text: str, rng: random.Random) -> str:
    """A run of words from one paragraph of `text` (never a heading, list or table)."""
    paragraphs = [line for line in text.splitlines() if line.count(".") >= 3 and "|" not in line]
    words = rng.choice(paragraphs).split()
    start = rng.randint(0, max(0, len(words) - 10))
    return " ".join(words[start : start + rng.randint(6, 10)])


def q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def make_project(root: Path, sources: int = 1000, seed: int = 7) -> Path:
    """Write a synthetic project into `root` (created; must not exist) and return it."""
    rng = random.Random(seed)
    content = root / "content"
    for folder in ("sources", "summits", "proposals", "stakeholders"):
        (content / folder).mkdir(parents=True)
    shutil.copytree(REPO / "templates", root / "templates")
    (root / "config.yaml").write_text(
        "title: Synthetic briefing\ndescription: A generated briefing for benchmarks.\n",
        encoding="utf-8",
    )
    summaries = max(10, sources // 10)
    n_summits, n_proposals = summaries // 10, summaries * 4 // 10
    n_stakeholders = summaries - n_summits - n_proposals
    people = [f"Envoy {chr(65 + i % 26)}{i:03d}" for i in range(n_stakeholders)]
    texts: dict[str, str] = {}
    for i in range(sources):
        ident = f"source-{i:05d}"
        texts[ident] = source_text(rng, people)
        (content / "sources" / f"{ident}.txt").write_text(texts[ident], encoding="utf-8")
        (content / "sources" / f"{ident}.yaml").write_text(
            f"id: {ident}\ntitle: Source {i}\nauthor:\npublisher:\n"
            f"date: 20{10 + i % 15:02d}-0{1 + i % 9}-1{i % 9}\nurl:\nkind: analysis\nlanguage: en\n",
            encoding="utf-8",
        )
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

    stakeholder_ids = [f"envoy-{i:03d}" for i in range(n_stakeholders)]
    for ident, name in zip(stakeholder_ids, people, strict=True):
        (content / "stakeholders" / f"{ident}.yaml").write_text(
            f"id: {ident}\nname: {name}\nkind: {rng.choice(KINDS)}\naliases: []\nrole: A negotiator.\n"
            f"summary:\n{claims(2)}",
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
    for i in range(n_summits):
        ident = f"summit-{i:03d}"
        on_table = "".join(
            f"  - proposal: {p}\n    text: {sentence(rng, [])}\n"
            for p in rng.sample(proposal_ids, min(4, len(proposal_ids)))
        )
        (content / "summits" / f"{ident}.yaml").write_text(
            f"id: {ident}\nname: Summit {i}\naliases: []\nstatus: held\n"
            f"start: 20{10 + i % 15:02d}-06-1{i % 9}\n"
            f"place: {rng.choice(PLACES)}\nparticipants: [{', '.join(rng.sample(stakeholder_ids, 2))}]\n"
            f"outcome: No agreement.\nsummary:\n{claims(3)}key_outcomes:\n{claims(2)}lessons:\n{claims(2)}"
            f"proposals:\n{on_table}",
            encoding="utf-8",
        )
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--sources", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    make_project(args.out, args.sources, args.seed)
    print(f"wrote a briefing with {args.sources} sources into {args.out}")


if __name__ == "__main__":
    main()
