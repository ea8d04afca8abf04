"""Checks of the content itself: the sources are the seed articles, byte for byte, and
the summaries are substantial and fully cited."""

from __future__ import annotations

import hashlib
from collections import Counter

import pytest
from conftest import CONTENT, ROOT, Content, claims

SEEDS = ROOT.parent / "shared" / "seeds"

#: content/sources/<name> → (seed file in ../shared/seeds/, sha256 of its bytes).
SOURCE_SEEDS = {
    "trump-second-term-proposals.txt": (
        "000_0f7a329b12b32fcd.txt",
        "9574de24e3677be40af5b82e0e117b3fa51a4d1bda8dda856374cefc55c3ff46",
    ),
    "chatham-house-alliances.txt": (
        "003_a2ccdf25c1bbf11a.txt",
        "656803f7f58ef10c0406c5ea20b1893ca68d5249fd9b5af0177604cf69e0da19",
    ),
    "wit-dmz-meeting.txt": (
        "004_83c9e0174e6228de.txt",
        "caf0c070d2fdd5362db660e10694b309939444b5b2278f77bcfdb2bdebcacb6b",
    ),
}
SOURCE_META_KEYS = {"id", "title", "author", "publisher", "date", "url", "kind"}


def test_the_source_texts_are_exactly_the_seeds() -> None:
    assert sorted(p.name for p in (CONTENT / "sources").glob("*.txt")) == sorted(SOURCE_SEEDS)
    assert not list((CONTENT / "sources").glob("*.md")), "a source body that is not a seed"


@pytest.mark.parametrize("name", sorted(SOURCE_SEEDS))
def test_source_text_is_byte_identical_to_its_seed(name: str) -> None:
    data = (CONTENT / "sources" / name).read_bytes()
    seed, digest = SOURCE_SEEDS[name]
    assert hashlib.sha256(data).hexdigest() == digest, f"content/sources/{name} differs from seed {seed}"
    seed_file = SEEDS / seed
    if seed_file.is_file():  # ../shared is present in the workspace, not necessarily elsewhere
        assert data == seed_file.read_bytes(), f"content/sources/{name} differs from {seed_file}"
        assert hashlib.sha256(seed_file.read_bytes()).hexdigest() == digest


def test_every_yaml_file_is_named_after_its_id(content: Content) -> None:
    for (folder, ident), path in content.files.items():
        assert path.stem == ident, f"{folder}/{path.name} has id {ident!r}"
        assert path.parent.name == folder


def test_the_four_summits_are_there(content: Content) -> None:
    assert {"singapore-2018", "hanoi-2019", "panmunjom-2019", "second-term-summit"} <= set(content.summits)
    assert len(content.summits) >= 4


def test_at_least_eight_proposals(content: Content) -> None:
    assert len(content.proposals) >= 8


def test_at_least_ten_stakeholders_each_with_aliases(content: Content) -> None:
    assert len(content.stakeholders) >= 10
    without = sorted(ident for ident, data in content.stakeholders.items() if not data.get("aliases"))
    assert not without, f"stakeholders without aliases: {without}"


def test_every_claim_is_cited(content: Content) -> None:
    uncited = [
        f"{folder}/{ident}#{claim_id}"
        for folder, ident, data in content.summaries()
        for claim_id, claim in claims(data)
        if not claim.get("cite")
    ]
    assert not uncited, f"claims without a citation: {uncited}"
    assert sum(1 for _, _, data in content.summaries() for _ in claims(data)) >= 30


def test_at_least_sixty_citations(content: Content) -> None:
    total = sum(
        len(claim["cite"])
        for _, _, data in content.summaries()
        for _, claim in claims(data)
        if claim.get("cite")
    )
    assert total >= 60


def test_every_source_is_cited_by_at_least_three_summaries(content: Content) -> None:
    citing: Counter[str] = Counter()
    for _, _, data in content.summaries():
        cited = {c["source"] for _, claim in claims(data) for c in claim.get("cite") or ()}
        citing.update(cited)
    for source in content.sources:
        assert citing[source] >= 3, f"source {source} is cited by {citing[source]} summary files"
    assert set(citing) <= set(content.sources), "a citation names an unknown source"


def test_source_metadata_has_every_key(content: Content) -> None:
    assert content.sources
    for ident, data in content.sources.items():
        missing = SOURCE_META_KEYS - set(data)
        assert not missing, f"sources/{ident}.yaml lacks {sorted(missing)}"
        assert data["title"] and data["kind"], ident
        assert (CONTENT / "sources" / f"{ident}.txt").is_file(), f"no text for source {ident}"
