"""Unit tests of generator.link: references, citations, backlinks and mentions."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from generator.config import DEFAULT_TRAILERS, SiteConfig
from generator.errors import Location
from generator.link import claim_fragment, claims_of, link
from generator.load import load_content
from generator.sourcetext import normalize
from generator.validate import validate

PROJECT = Path(__file__).resolve().parent.parent
SITE = SiteConfig(title="Test briefing", description="Unit tests")


def run(content: Path, root: Path):
    loaded, problems = load_content(content, root, DEFAULT_TRAILERS)
    assert problems == []
    validated, problems = validate(loaded)
    assert problems == []
    return link(validated, SITE)


@pytest.fixture(scope="module")
def real():
    site, problems = run(PROJECT / "content", PROJECT)
    assert problems == []
    return site


def write(root: Path, files: dict[str, str]) -> Path:
    content = root / "content"
    for name, text in files.items():
        path = content / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return content


# -- backlinks on the real content ---------------------------------------------------------


def test_summits_of_proposal_both_ways(real):
    forward = {(s.id, item.proposal) for s in real.summits for item in s.proposals}
    backward = {(sid, pid) for pid, rows in real.summits_of_proposal.items() for sid, _ in rows}
    assert forward == backward
    assert len(forward) > 0
    ids = [sid for sid, _ in real.summits_of_proposal["un-sanctions-relief"]]
    assert ids == ["hanoi-2019", "second-term-summit"]
    _, item = real.summits_of_proposal["un-sanctions-relief"][0]
    assert item in real.summit("hanoi-2019").proposals


def test_summits_of_stakeholder_both_ways(real):
    forward = {(s.id, who) for s in real.summits for who in s.participants}
    backward = {(sid, who) for who, sids in real.summits_of_stakeholder.items() for sid in sids}
    assert forward == backward
    assert real.summits_of_stakeholder["john-bolton"] == ("hanoi-2019",)
    assert "hanoi-2019" in real.summits_of_stakeholder["kim-jong-un"]


def test_proposals_of_stakeholder_both_ways(real):
    forward = {(p.id, who) for p in real.proposals for who in p.proposed_by}
    backward = {(pid, who) for who, pids in real.proposals_of_stakeholder.items() for pid in pids}
    assert forward == backward
    assert "three-phase-deal" in real.proposals_of_stakeholder["north-korea"]


def test_positions_of_stakeholder_both_ways(real):
    forward = {(p.id, pos.stakeholder, pos) for p in real.proposals for pos in p.positions}
    backward = {(pid, who, pos) for who, rows in real.positions_of_stakeholder.items() for pid, pos in rows}
    assert forward == backward
    stances = dict(real.positions_of_stakeholder["north-korea"])
    assert stances["three-phase-deal"].stance == "supports"


def test_claims_by_block_both_ways(real):
    expected = set()
    for kind, group in (
        ("summit", real.summits),
        ("proposal", real.proposals),
        ("stakeholder", real.stakeholders),
    ):
        section = {"summit": "summits", "proposal": "proposals", "stakeholder": "stakeholders"}[kind]
        for model in group:
            for path, claim in claims_of(model):
                for citation in claim.cite:
                    target = real.targets[(citation.source, citation.quote)]
                    expected.add(
                        (citation.source, target.anchor, f"{section}/{model.id}/", claim_fragment(path))
                    )
    found = {
        (source, anchor, c.page, c.fragment)
        for (source, anchor), claims in real.claims_by_block.items()
        for c in claims
    }
    assert found == expected
    for (source, anchor), claims in real.claims_by_block.items():
        assert anchor in {b.anchor for b in real.source(source).body.blocks}
        assert len(claims) == len(set(claims))  # one entry per citing claim


def test_citing_claim_details(real):
    target = real.targets[("chatham-house-alliances", "Hanoi (2019) | No agreement reached")]
    claims = real.claims_by_block[("chatham-house-alliances", target.anchor)]
    hanoi = [c for c in claims if c.page == "summits/hanoi-2019/"]
    assert [(c.fragment, c.section, c.page_title) for c in hanoi] == [
        ("key-outcomes-1", "Key outcome", "Hanoi summit"),
        ("lessons-1", "Lesson", "Hanoi summit"),
    ]
    assert hanoi[0].text == "No agreement was reached."


def test_sources_cited_by(real):
    assert real.sources_cited_by[("summit", "hanoi-2019")] == (
        "chatham-house-alliances",
        "trump-second-term-proposals",
        "wit-dmz-meeting",
    )


# -- citation targets ----------------------------------------------------------------------


def test_every_target_pins_the_block_that_contains_the_quote(real):
    assert len(real.targets) > 50
    for (source, quote), target in real.targets.items():
        assert target.source_id == source
        block = next(b for b in real.source(source).body.blocks if b.anchor == target.anchor)
        assert normalize(quote) in normalize(block.text)
        assert normalize(target.original) == normalize(quote)
        assert target.original in block.text


def test_table_quote_pins_the_table(real):
    target = real.targets[("chatham-house-alliances", "Hanoi (2019) | No agreement reached")]
    block = next(b for b in real.source("chatham-house-alliances").body.blocks if b.anchor == target.anchor)
    assert block.kind == "table"
    assert block.rows[0] == ("summit", "Key Outcomes", "Lessons Learned")


def test_original_keeps_the_sources_curly_quotes(real):
    target = real.targets[("wit-dmz-meeting", "following March's failed summit in Hanoi")]
    assert target.original == "following March\u2019s failed summit in Hanoi"
    block = next(b for b in real.source("wit-dmz-meeting").body.blocks if b.anchor == target.anchor)
    assert block.text.startswith("While meeting in the thin buffer zone")


def test_claim_fragment():
    assert claim_fragment(("key_outcomes", 1)) == "key-outcomes-2"
    assert claim_fragment(("summary", 0)) == "summary-1"


# -- orderings -----------------------------------------------------------------------------


def test_orders(real):
    assert [s.id for s in real.summits] == [
        "singapore-2018",
        "hanoi-2019",
        "panmunjom-2019",
        "second-term-summit",
    ]
    assert [p.title for p in real.proposals] == sorted(p.title for p in real.proposals)
    assert [s.name for s in real.stakeholders] == sorted(s.name for s in real.stakeholders)


# -- small content -------------------------------------------------------------------------

SMALL = {
    "stakeholders/kim-jong-un.yaml": """\
        id: kim-jong-un
        name: Kim Jong Un
        kind: person
        aliases:
          - Kim
          - Kim Jong-un
        """,
    "stakeholders/north-korea.yaml": """\
        id: north-korea
        name: North Korea
        kind: country
        aliases:
          - DPRK
        summary:
          - text: Wants relief.
            cite:
              - source: memo
                quote: \u201cresume soon\u201d
              - source: memo
                quote: '"resume soon" - but'
        """,
    "summits/hanoi-2019.yaml": """\
        id: hanoi-2019
        name: Hanoi summit
        status: held
        start: 2019-02-27
        aliases:
          - Hanoi
        participants:
          - kim-jong-un
        """,
    "summits/next.yaml": """\
        id: next
        name: A next summit
        status: prospective
        """,
    "summits/singapore-2018.yaml": """\
        id: singapore-2018
        name: Singapore summit
        status: held
        start: 2018-06-12
        """,
    "sources/memo.yaml": "id: memo\ntitle: Memo\nkind: analysis\n",
    "sources/memo.txt": """\
        Memo About Hanoi

        Kim Jong Un went to Hanoi. The Hanoi summit failed; Kim left, and the DPRK waited.

        Both sides said talks would \u201cresume soon\u201d \u2014 but gave no date. Kim agreed.
        """,
}


@pytest.fixture
def small(tmp_path):
    site, problems = run(write(tmp_path, SMALL), tmp_path)
    assert problems == []
    return site


def test_mentions_whole_words_case_sensitive_longest_wins(small):
    text = "Kim Jong Un met in Hanoi; the Hanoi summit, Kimchi, kim, KIM, North Korean, DPRK."
    found = [(text[start:end], ref) for start, end, ref in small.mentions.find(text)]
    assert found == [
        ("Kim Jong Un", ("stakeholder", "kim-jong-un")),
        ("Hanoi", ("summit", "hanoi-2019")),
        ("Hanoi summit", ("summit", "hanoi-2019")),
        ("DPRK", ("stakeholder", "north-korea")),
    ]


def test_mentions_with_hyphens_and_possessives(small):
    text = "Kim Jong-un\u2019s envoy; Kim-Trump; Kims"
    found = [text[start:end] for start, end, _ in small.mentions.find(text)]
    assert found == ["Kim Jong-un", "Kim"]


def test_mention_counts_skip_titles(small):
    counts = small.mentions_of_entity
    # The title "Memo About Hanoi" does not count; the body has "Hanoi" and "Hanoi summit".
    assert counts[("summit", "hanoi-2019")] == (("memo", 2),)
    assert counts[("stakeholder", "kim-jong-un")] == (("memo", 3),)
    assert counts[("stakeholder", "north-korea")] == (("memo", 1),)


def test_same_block_cited_twice_by_one_claim_is_listed_once(small):
    first = small.targets[("memo", "\u201cresume soon\u201d")]
    second = small.targets[("memo", '"resume soon" - but')]
    assert first.anchor == second.anchor
    assert second.original == "\u201cresume soon\u201d \u2014 but"
    claims = small.claims_by_block[("memo", first.anchor)]
    assert [(c.page, c.fragment) for c in claims] == [("stakeholders/north-korea/", "summary-1")]


def test_prospective_summits_come_last(small):
    assert [s.id for s in small.summits] == ["singapore-2018", "hanoi-2019", "next"]


def test_quote_across_two_blocks_is_not_found(tmp_path):
    files = dict(SMALL)
    files["stakeholders/north-korea.yaml"] = """\
        id: north-korea
        name: North Korea
        kind: country
        summary:
          - text: Spans two paragraphs.
            cite:
              - source: memo
                quote: the DPRK waited. Both sides said
        """
    loaded, _ = load_content(write(tmp_path, files), tmp_path, DEFAULT_TRAILERS)
    validated, _ = validate(loaded)
    _, problems = link(validated, SITE)
    assert [(p.location, p.message) for p in problems] == [
        (Location("content/stakeholders/north-korea.yaml", 8, 16), "quote not found in source 'memo'")
    ]
    assert "closest passage (content/sources/memo.txt:" in problems[0].hint


def test_positions_listed_twice_and_unknown_ids(tmp_path):
    files = {
        "stakeholders/north-korea.yaml": "id: north-korea\nname: North Korea\nkind: country\n",
        "proposals/freeze.yaml": """\
            id: freeze
            title: Freeze
            category: denuclearization
            proposed_by:
              - north-korea
              - north-korae
            positions:
              - stakeholder: north-korea
                stance: supports
                text: Yes.
              - stakeholder: north-korea
                stance: opposes
                text: No.
            """,
    }
    loaded, _ = load_content(write(tmp_path, files), tmp_path, DEFAULT_TRAILERS)
    validated, _ = validate(loaded)
    site, problems = link(validated, SITE)
    assert sorted((str(p.location), p.message) for p in problems) == [
        ("content/proposals/freeze.yaml:11:18", "stakeholder 'north-korea' is listed twice in positions"),
        ("content/proposals/freeze.yaml:6:5", "unknown stakeholder id 'north-korae'"),
    ]
    assert site.proposals_of_stakeholder["north-korea"] == ("freeze",)
    assert [pid for pid, _ in site.positions_of_stakeholder["north-korea"]] == ["freeze"]


def test_the_trie_shaped_matcher_finds_what_a_longest_first_alternation_finds() -> None:
    import random
    import re

    from generator.link import _trie_pattern

    rng = random.Random(5)
    for _ in range(300):
        drawn = ("".join(rng.choice("ab c") for _ in range(rng.randint(1, 6))).strip() for _ in range(8))
        names = {name or "a" for name in drawn}
        ordered = "|".join(re.escape(n) for n in sorted(names, key=lambda n: (-len(n), n)))
        flat = re.compile(rf"(?<!\w)(?:{ordered})(?!\w)")
        trie = re.compile(rf"(?<!\w)(?:{_trie_pattern(names)})(?!\w)")
        for _ in range(30):
            text = "".join(rng.choice("ab c.") for _ in range(30))
            assert [m.span() for m in trie.finditer(text)] == [m.span() for m in flat.finditer(text)]


def test_the_matcher_is_built_without_recursion_for_names_of_any_length() -> None:
    # Names nested in each other make the deepest trie: one optional group per character.
    from generator.link import _mention_matcher

    names = {"K" * length: ("stakeholder", f"k{length}") for length in range(1, 3001, 7)}
    long_name = " ".join(["Kim Jong Un"] * 200)
    names[long_name] = ("stakeholder", "kim")
    matcher = _mention_matcher(names)
    text = f"{long_name} and {'K' * 71}."
    found = [(end - start, ref) for start, end, ref in matcher.find(text)]
    assert found == [(len(long_name), ("stakeholder", "kim")), (71, ("stakeholder", "k71"))]
