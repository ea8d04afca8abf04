"""Unit tests of generator.sourcetext: source bodies → citable blocks."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.config import DEFAULT_TRAILERS
from generator.sourcetext import (
    RESERVED_ANCHORS,
    Block,
    drop_trailer,
    normalize,
    normalize_with_offsets,
    parse_markdown,
    parse_plain_text,
)

SOURCES = Path(__file__).resolve().parent.parent / "content" / "sources"


def parse_seed(name: str) -> list[Block]:
    return parse_plain_text((SOURCES / name).read_text(encoding="utf-8"), DEFAULT_TRAILERS)


def anchors(blocks: list[Block]) -> dict[str, str]:
    """Block text → anchor (the seed texts have no duplicate blocks)."""
    return {block.text: block.anchor for block in blocks}


# -- chatham-house-alliances.txt: a paragraph per line, bare headings, lists, tables ---------


@pytest.fixture(scope="module")
def chatham() -> list[Block]:
    return parse_seed("chatham-house-alliances.txt")


def tables(blocks: list[Block]) -> list[Block]:
    return [b for b in blocks if b.kind == "table"]


def test_chatham_has_five_tables(chatham):
    assert len(tables(chatham)) == 5
    assert [t.line for t in tables(chatham)] == [8, 25, 37, 48, 61]


def test_chatham_first_table_without_separator_row(chatham):
    first = tables(chatham)[0]
    assert first.rows[0] == ("Country", "Influence on North Korea")
    assert [row[0] for row in first.rows[1:]] == ["China", "South Korea", "Russia"]
    assert all(len(row) == 2 for row in first.rows)
    assert first.rows[1][1] == (
        "Primary economic supporter of North Korea, influencing trade and sanctions compliance."
    )


def test_chatham_separator_rows_are_dropped(chatham):
    for table in tables(chatham):
        for row in table.rows:
            assert not all(set(cell) <= {"-", ":"} for cell in row), row
        assert "---" not in table.text


def test_chatham_summit_table_has_three_columns(chatham):
    summit = tables(chatham)[1]
    assert summit.rows[0] == ("summit", "Key Outcomes", "Lessons Learned")
    assert all(len(row) == 3 for row in summit.rows)
    assert [row[0] for row in summit.rows[1:]] == ["Singapore (2018)", "Hanoi (2019)", "Panmunjom (2019)"]
    assert summit.rows[2] == ("Hanoi (2019)", "No agreement reached", "Lack of mutual concessions")
    assert "Hanoi (2019) | No agreement reached | Lack of mutual concessions" in summit.text.splitlines()


def test_chatham_other_tables_shapes(chatham):
    _, _, initiatives, countries, results = tables(chatham)
    assert initiatives.rows[0] == ("Initiative", "Description")
    assert len(initiatives.rows) == 4
    assert countries.rows[0] == ("country", "Alliance Stance", "Current Engagement Level")
    assert [row[0] for row in countries.rows[1:]] == ["United States", "South Korea", "China", "Russia"]
    assert countries.rows[-1] == ("Russia", "Promotes regional security", "Low")
    assert results.rows[0] == ("Result", "Description")
    assert len(results.rows) == 4


def test_chatham_headings(chatham):
    headings = [b.text for b in chatham if b.kind == "heading"]
    assert "Wrapping Up" in headings
    assert "evaluating Past Diplomacy: Lessons Learned from Previous Engagements" in headings
    assert "Challenges of a Trump-Kim Summit and the Threat of Stalemate" in headings
    assert len(headings) == 7
    # The long first line is a paragraph, so there is no title block.
    assert chatham[0].kind == "paragraph"
    assert not [b for b in chatham if b.kind == "title"]


def test_chatham_lists(chatham):
    lists = [b for b in chatham if b.kind == "list"]
    assert len(lists) == 6
    assert [len(b.items) for b in lists] == [3] * 6
    assert lists[0].items[0].startswith("Inconsistent Messaging: Disparate dialogue")
    assert lists[0].text == "\n".join(lists[0].items)
    assert not any(item.startswith("- ") for b in lists for item in b.items)


def test_chatham_paragraphs_are_one_line_each(chatham):
    paragraphs = [b for b in chatham if b.kind == "paragraph"]
    assert len(paragraphs) == 17
    assert paragraphs[0].line == 1
    assert paragraphs[0].text.startswith("As tensions continue to simmer")
    assert paragraphs[0].text.endswith("to avert a future of escalating tensions?")


def test_chatham_keeps_typos(chatham):
    texts = "\n".join(b.text for b in chatham)
    assert "cling to thier positions" in texts
    assert "its peopel." in texts
    # and the original curly apostrophes
    assert "North Korea\u2019s nuclear ambitions" in texts


# -- trump-second-term-proposals.txt: trailer --------------------------------------------------


def test_trump_trailer_dropped_and_six_paragraphs():
    blocks = parse_seed("trump-second-term-proposals.txt")
    assert [b.kind for b in blocks] == ["paragraph"] * 6
    assert [b.line for b in blocks] == [1, 2, 3, 4, 5, 6]
    assert not any("Leave a Reply" in b.text for b in blocks)
    assert blocks[-1].text.startswith("For a successful summit")


def test_trump_without_trailer_patterns_keeps_the_trailer():
    text = (SOURCES / "trump-second-term-proposals.txt").read_text(encoding="utf-8")
    blocks = parse_plain_text(text)
    assert blocks[-1].text == "Leave a Reply"


# -- wit-dmz-meeting.txt: title, blank-line paragraphs, Spanish trailer ------------------------


@pytest.fixture(scope="module")
def wit() -> list[Block]:
    return parse_seed("wit-dmz-meeting.txt")


def test_wit_title_block(wit):
    assert wit[0].kind == "title"
    assert wit[0].line == 1
    assert wit[0].text == "The Trump-Kim Meeting Was Great TV. It Was Also Something Much More Important"
    assert [b.kind for b in wit[1:]] == ["paragraph"] * 12


def test_wit_spanish_trailer_dropped(wit):
    texts = " ".join(b.text for b in wit)
    assert "Deja una respuesta" not in texts
    assert "correo" not in texts
    assert wit[-1].text.startswith("Joel S. Wit is a senior fellow")


def test_wit_short_paragraph(wit):
    block = next(b for b in wit if b.text == "Of course, there are serious pitfalls ahead.")
    assert block.kind == "paragraph"
    assert block.line == 15


# -- trailers ----------------------------------------------------------------------------------


def test_drop_trailer_matches_whole_lines_case_insensitively():
    lines = ["Text.", "Please leave a reply below if you agree.", "LEAVE A REPLY", "Name *"]
    assert drop_trailer(lines, DEFAULT_TRAILERS) == lines[:2]
    assert drop_trailer(["Text.", "  Leave a Comment.  ", "x"], DEFAULT_TRAILERS) == ["Text."]
    assert drop_trailer(["Text."], DEFAULT_TRAILERS) == ["Text."]


# -- hard-wrapped text -------------------------------------------------------------------------


def test_wrapped_paragraphs_ending_in_punctuation_are_joined():
    text = (
        "First paragraph line one,\ncontinues here and ends.\n\n"
        "Second paragraph starts here,\nand ends here.\n"
    )
    blocks = parse_plain_text(text)
    assert [(b.kind, b.line, b.text) for b in blocks] == [
        ("paragraph", 1, "First paragraph line one, continues here and ends."),
        ("paragraph", 4, "Second paragraph starts here, and ends here."),
    ]


def test_hard_wrapped_paragraphs_are_joined():
    # Text wrapped at 72 columns, as mail and many editors wrap it: the wrapped lines
    # are short and do not end in punctuation, but they are not headings.
    text = (
        "A Title Line\n"
        "\n"
        "The prospect of a new summit between Donald Trump and Kim Jong-un\n"
        "poses significant challenges that could result in a repeat of previous\n"
        "deadlocks. Notably, the core issues remain unresolved.\n"
        "\n"
        "Skepticism is, of course, warranted. Both sides have zigged and zagged\n"
        "on policy since Mr. Trump took office.\n"
    )
    blocks = parse_plain_text(text)
    assert [(b.kind, b.line) for b in blocks] == [("title", 1), ("paragraph", 3), ("paragraph", 7)]
    assert blocks[1].text == (
        "The prospect of a new summit between Donald Trump and Kim Jong-un poses significant "
        "challenges that could result in a repeat of previous deadlocks. Notably, the core "
        "issues remain unresolved."
    )


def test_paragraph_per_line_is_not_joined():
    blocks = parse_plain_text("One paragraph here.\nAnother paragraph here.\n")
    assert [b.text for b in blocks] == ["One paragraph here.", "Another paragraph here."]


def test_table_with_outer_pipes_and_ragged_rows():
    text = "Intro paragraph.\n| A | B | C |\n|:--|--:|---|\n| 1 | 2 |\n"
    table = parse_plain_text(text)[1]
    assert table.kind == "table"
    assert table.rows == (("A", "B", "C"), ("1", "2", ""))


def test_list_markers():
    blocks = parse_plain_text("Intro paragraph.\n- one\n* two\n\u2022 three\n")
    assert blocks[1].kind == "list"
    assert blocks[1].items == ("one", "two", "three")


# -- anchors -----------------------------------------------------------------------------------


def chatham_lines() -> list[str]:
    return (SOURCES / "chatham-house-alliances.txt").read_text(encoding="utf-8").splitlines()


def test_anchors_are_unique_in_every_seed():
    for name in ("chatham-house-alliances.txt", "trump-second-term-proposals.txt", "wit-dmz-meeting.txt"):
        found = [b.anchor for b in parse_seed(name)]
        assert len(found) == len(set(found)), name
        assert all(found), name


def test_anchors_are_readable():
    blocks = parse_seed("chatham-house-alliances.txt")
    by_text = anchors(blocks)
    assert by_text["Wrapping Up"] == "wrapping-up"
    paragraph = next(b for b in blocks if b.kind == "paragraph")
    assert paragraph.anchor.startswith("as-tensions-continue-to-simmer-on-")


def test_editing_a_block_keeps_other_anchors():
    lines = chatham_lines()
    before = parse_plain_text("\n".join(lines), DEFAULT_TRAILERS)
    assert lines[2].startswith("The prospect of a new summit")
    lines[2] = lines[2].replace("thier", "their")
    after = parse_plain_text("\n".join(lines), DEFAULT_TRAILERS)
    assert len(after) == len(before)
    changed = [(a.anchor, b.anchor) for a, b in zip(before, after, strict=True) if a.anchor != b.anchor]
    assert len(changed) == 1
    assert changed[0][0] == before[2].anchor


def test_editing_a_table_cell_keeps_other_anchors():
    lines = chatham_lines()
    before = parse_plain_text("\n".join(lines), DEFAULT_TRAILERS)
    lines[8] = lines[8].replace("Primary", "Main")
    after = parse_plain_text("\n".join(lines), DEFAULT_TRAILERS)
    different = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a.anchor != b.anchor]
    assert different == [5]
    assert before[5].kind == "table"


def test_inserting_and_removing_a_block_keeps_other_anchors():
    lines = chatham_lines()
    before = anchors(parse_plain_text("\n".join(lines), DEFAULT_TRAILERS))
    inserted = [*lines[:12], "A new paragraph inserted by the desk.", *lines[12:]]
    after = anchors(parse_plain_text("\n".join(inserted), DEFAULT_TRAILERS))
    assert set(after) - set(before) == {"A new paragraph inserted by the desk."}
    assert all(after[text] == anchor for text, anchor in before.items())

    removed_text = lines[12]  # "The geopolitical landscape of East Asia ..."
    removed = anchors(parse_plain_text("\n".join(lines[:12] + lines[13:]), DEFAULT_TRAILERS))
    assert set(before) - set(removed) == {removed_text}
    assert all(before[text] == anchor for text, anchor in removed.items())


def test_inserting_a_block_in_a_blank_line_separated_text_keeps_other_anchors():
    text = (SOURCES / "wit-dmz-meeting.txt").read_text(encoding="utf-8")
    before = anchors(parse_plain_text(text, DEFAULT_TRAILERS))
    edited = text.replace(
        "Of course, there are serious pitfalls ahead.\n",
        "Of course, there are serious pitfalls ahead.\n\nA new paragraph from the desk.\n",
    )
    after = anchors(parse_plain_text(edited, DEFAULT_TRAILERS))
    assert set(after) - set(before) == {"A new paragraph from the desk."}
    assert all(after[text] == anchor for text, anchor in before.items())


def test_inserting_a_blank_line_separated_paragraph_keeps_other_anchors():
    # An author adds one paragraph, separated by a blank line, to a paragraph-per-line
    # source: the six existing paragraphs must stay six blocks with the same anchors.
    text = (SOURCES / "trump-second-term-proposals.txt").read_text(encoding="utf-8")
    before = anchors(parse_plain_text(text, DEFAULT_TRAILERS))
    edited = text.replace("Leave a Reply", "\nA note added by the desk.\n\nLeave a Reply")
    after = parse_plain_text(edited, DEFAULT_TRAILERS)
    assert len(after) == 7
    assert {b.text: b.anchor for b in after[:6]} == before


def test_duplicate_paragraphs_get_distinct_anchors():
    blocks = parse_plain_text("Intro paragraph.\nSame words here.\nOther words.\nSame words here.\n")
    first, second = blocks[1], blocks[3]
    assert first.text == second.text
    assert first.anchor != second.anchor
    assert second.anchor == f"{first.anchor}-2"


def test_duplicate_headings_get_distinct_anchors():
    blocks = parse_plain_text("Intro paragraph.\nBackground\nText one.\nBackground\nText two.\n")
    assert [b.anchor for b in blocks if b.kind == "heading"] == ["background", "background-2"]


@pytest.mark.parametrize("word", sorted(RESERVED_ANCHORS))
def test_headings_never_take_a_reserved_anchor(word):
    blocks = parse_plain_text(f"Intro paragraph.\n{word.title()}\nBody.\n")
    assert blocks[1].kind == "heading"
    assert blocks[1].anchor not in RESERVED_ANCHORS
    assert blocks[1].anchor == f"{word}-2"


def test_anchors_unique_when_a_heading_looks_like_a_suffixed_anchor():
    # "Notes" cannot take the reserved id "notes" and becomes "notes-2"; a heading that
    # reads "Notes 2" must then not get the same id.
    blocks = parse_plain_text("Intro paragraph.\nNotes\nText one.\nNotes 2\nText two.\n")
    found = [b.anchor for b in blocks]
    assert len(found) == len(set(found)), found


def test_anchor_of_empty_slug_falls_back_to_kind():
    blocks = parse_plain_text("Intro paragraph.\n\u2014 \u2014 \u2014 .\n")
    assert blocks[1].anchor.startswith("paragraph-")


# -- Markdown bodies ---------------------------------------------------------------------------

MARKDOWN = """\
# The Title

Intro paragraph with *emphasis* and a [link](https://example.org).

## A Section

- first item
- second *item*

| Country | Stance |
|---------|--------|
| China   | Encourages stability |

<script>alert("x")</script>

Leave a Reply

Name and email.
"""


@pytest.fixture(scope="module")
def markdown_blocks() -> list[Block]:
    return parse_markdown(MARKDOWN, DEFAULT_TRAILERS)


def test_markdown_block_kinds_and_lines(markdown_blocks):
    assert [(b.kind, b.line) for b in markdown_blocks] == [
        ("title", 1),
        ("paragraph", 3),
        ("heading", 5),
        ("list", 7),
        ("table", 10),
        ("paragraph", 14),
    ]


def test_markdown_blocks_are_rendered_once_with_markers_for_their_text(markdown_blocks):
    title, paragraph, heading, items, table, _ = markdown_blocks
    # headings shift down two levels (the page has h1 and h2) and keep their words
    assert title.html == "<h3>The Title</h3>\n"
    assert heading.html == "<h4>A Section</h4>\n"
    # text runs outside headings and links become markers, filled in when the page renders
    assert paragraph.html.startswith("<p>\x000\x00<em>\x001\x00</em>")
    assert paragraph.runs[0] == "Intro paragraph with "
    assert items.html.startswith("<ul>") and items.html.rstrip().endswith("</ul>")
    assert table.html.startswith("<table>") and table.html.rstrip().endswith("</table>")
    for block in markdown_blocks:
        assert block.html.count("\x00") == 2 * len(block.runs)


def test_markdown_text_items_and_rows(markdown_blocks):
    title, paragraph, heading, items, table, _ = markdown_blocks
    assert title.text == "The Title"
    assert title.anchor == "the-title"
    assert heading.text == "A Section"
    assert paragraph.text == "Intro paragraph with emphasis and a link."
    assert items.items == ("first item", "second item")
    assert table.rows == (("Country", "Stance"), ("China", "Encourages stability"))
    assert table.text == "Country | Stance\nChina | Encourages stability"


def test_markdown_raw_html_is_not_passed_through(markdown_blocks):
    html_block = markdown_blocks[5]
    assert not any("<script" in block.html for block in markdown_blocks)
    assert html_block.runs == ('<script>alert("x")</script>',)  # text, escaped when the page renders
    assert html_block.kind == "paragraph"
    assert html_block.text == '<script>alert("x")</script>'


def test_markdown_trailer_dropped(markdown_blocks):
    assert not any("Leave a Reply" in b.text or "Name and email" in b.text for b in markdown_blocks)


def test_markdown_soft_line_breaks_separate_words():
    blocks = parse_markdown("First line of a paragraph\ncontinues on the next line.\n")
    assert blocks[0].text == "First line of a paragraph continues on the next line."


def test_markdown_anchors_are_stable_across_edits():
    before = parse_markdown(MARKDOWN)
    after = parse_markdown(MARKDOWN.replace("first item", "first edited item"))
    changed = [a.kind for a, b in zip(before, after, strict=True) if a.anchor != b.anchor]
    assert changed == ["list"]


# -- normalisation -----------------------------------------------------------------------------


def test_normalize_quotes_dashes_and_whitespace():
    assert normalize("\u201cFire and fury,\u201d  he said\u2014it\u2019s\n\tdone\u2026") == (
        '"Fire and fury," he said-it\'s done...'
    )
    assert normalize("  a \u2013 b \u2212 c  ") == "a - b - c"
    assert normalize("\u2018single\u2019 \u201elow\u201d") == "'single' \"low\""
    assert normalize("Cafe\u0301") == "Caf\u00e9"


def test_normalize_with_offsets_agrees_with_normalize():
    text = "  North Korea\u2019s \u201cfire\u201d \n and\u2014fury\u2026 end "
    normal, offsets = normalize_with_offsets(text)
    assert normal == normalize(text)
    assert len(offsets) == len(normal)
    assert offsets == sorted(offsets)


@pytest.mark.parametrize(
    ("text", "wanted", "original"),
    [
        (
            "President Trump\u2019s 50-minute  meeting",
            "Trump's 50-minute meeting",
            "Trump\u2019s 50-minute  meeting",
        ),
        ("He said \u201cfire and fury\u201d twice.", '"fire and fury"', "\u201cfire and fury\u201d"),
        ("a long\u2014winding\nroad", "long-winding road", "long\u2014winding\nroad"),
        ("wait for it\u2026 now", "it... now", "it\u2026 now"),
    ],
)
def test_normalize_with_offsets_maps_back_to_the_original(text, wanted, original):
    normal, offsets = normalize_with_offsets(text)
    at = normal.find(wanted)
    assert at >= 0
    assert text[offsets[at] : offsets[at + len(wanted) - 1] + 1] == original


def test_normalize_with_offsets_maps_back_through_unicode_normalisation():
    # "Café" written with a combining accent (NFD), as some web pages deliver it.
    text = "Cafe\u0301 au lait"
    normal, offsets = normalize_with_offsets(text)
    at = normal.find("au lait")
    assert text[offsets[at] : offsets[at + len("au lait") - 1] + 1] == "au lait"


def _random_texts(count: int) -> list[str]:
    """Seed sentences shuffled with the characters slugify treats specially."""
    import random

    rng = random.Random(11)
    words = " ".join(SEED_TEXTS).split()
    specials = ["—", "x", "a'b", "1,000", "''", "'quoted'", "--", "A-B", "3.5", "12,3,4", "_", "a_b"]
    specials += ["\t", "ABCDEFGHIJKLMNOPQRSTUVWXYZ" * 2 + "ABCDEFGHIJKLM", "Ünïcödé", "a&b", "&amp;"]
    pool = words + specials * 20
    return [" ".join(rng.choice(pool) for _ in range(rng.randint(1, 60))) for _ in range(count)]


SEED_TEXTS = [
    path.read_text(encoding="utf-8")
    for path in sorted((Path(__file__).resolve().parents[1] / "content" / "sources").glob("*.txt"))
]


def test_anchor_words_are_exactly_the_first_words_of_slugify() -> None:
    """The quick slug of anchors (first words, ASCII fast path) never differs from
    python-slugify's, on every line of the seeds and on random mixes of odd characters."""
    from slugify import slugify

    from generator.sourcetext import _ANCHOR_WORDS, _leading_slug

    texts = [line for text in SEED_TEXTS for line in text.splitlines()] + _random_texts(4000)
    for text in texts:
        expected = slugify(text, max_length=60, word_boundary=True).split("-")[:_ANCHOR_WORDS]
        assert _leading_slug(text).split("-")[:_ANCHOR_WORDS] == expected, text
