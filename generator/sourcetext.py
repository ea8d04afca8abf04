"""Source bodies → blocks: the paragraphs, headings, lists and tables readers cite.

Plain text pasted from the web is messy: a paragraph per line or paragraphs separated by
blank lines, headings as bare short lines, `- ` lists, pipe tables with or without outer
pipes and separator rows, and a comment-form trailer at the end. Markdown bodies go
through markdown-it-py instead. Every block gets an anchor derived from its own text, so
it stays the same when other blocks are edited, inserted or removed.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

from markdown_it.token import Token
from slugify import slugify

from generator.markdown import block_parser

BlockKind = Literal["title", "heading", "paragraph", "list", "table", "quote", "code", "rule"]


@dataclass(frozen=True)
class Block:
    """One citable unit of a source body."""

    kind: BlockKind
    #: Fragment id, unique within the source, stable across edits of other blocks.
    anchor: str
    #: 1-based line of the body file where the block starts.
    line: int
    #: The block's words as plain text; list items and table cells joined by newlines.
    text: str
    #: List items (kind "list").
    items: tuple[str, ...] = ()
    #: Table rows, the header row first (kind "table").
    rows: tuple[tuple[str, ...], ...] = ()
    #: For Markdown bodies, the block's HTML as markdown-it renders it, with a marker
    #: (NUL, index, NUL) for each run of text in `runs`, where the page links mentions;
    #: empty for plain text.
    html: str = field(default="", compare=False, repr=False)
    runs: tuple[str, ...] = field(default=(), compare=False, repr=False)
    #: `normalize(text)`, computed once, for quote lookups.
    normal: str = field(default="", compare=False, repr=False)


# -- normalisation shared by quote matching -------------------------------------------

_CHAR_MAP = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
        "\u2015": "-", "\u2212": "-",
        "\u2026": "...",
    }
)  # fmt: skip


def normalize(text: str) -> str:
    """Text as quotes are compared: NFC, straight quotes, hyphens, single spaces."""
    if text.isascii():  # nothing to compose or map: most pasted text, and much faster
        return " ".join(text.split())
    return " ".join(unicodedata.normalize("NFC", text).translate(_CHAR_MAP).split())


def normalize_with_offsets(text: str) -> tuple[str, list[int]]:
    """`normalize(text)` plus, for each output character, its offset in `text`.

    Lets a match found in normalised text be mapped back to the original words (for a
    `#:~:text=` fragment, which the browser matches against what it displays).
    Combining marks are composed with the character before them, as NFC does.
    """
    out: list[str] = []
    offsets: list[int] = []
    pending_space = False
    for i, char in enumerate(text):
        if char.isspace():
            pending_space = bool(out)
            continue
        if unicodedata.combining(char) and out and not pending_space:
            out[-1] = unicodedata.normalize("NFC", out[-1] + char)
            continue
        if pending_space:
            out.append(" ")
            offsets.append(i - 1)
            pending_space = False
        for mapped in unicodedata.normalize("NFC", char).translate(_CHAR_MAP):
            out.append(mapped)
            offsets.append(i)
    return "".join(out), offsets


_EQUIVALENTS = {
    " ": r"\s+",
    "'": "[" + re.escape("'\u2018\u2019\u201a\u201b\u2032") + "]",
    '"': "[" + re.escape('"\u201c\u201d\u201e\u201f\u2033') + "]",
    "-": "[" + re.escape("-\u2010\u2011\u2012\u2013\u2014\u2015\u2212") + "]",
}


def original_words(text: str, wanted: str) -> str:
    """The words of `text` that normalise to `wanted` (a substring of `normalize(text)`),
    as the source writes them: its own quotes, dashes and spacing."""
    if normalize(text) == text:
        return wanted  # already normal: the first match is the literal one
    pattern = "".join(_EQUIVALENTS.get(char, re.escape(char)) for char in wanted.replace("...", "\0"))
    match = re.search(pattern.replace(re.escape("\0"), r"(?:\.\.\.|\u2026)"), text)
    if match is not None:
        return match.group(0)
    # Rare: text that NFC composition changes; map offsets character by character.
    normal, offsets = normalize_with_offsets(text)
    start = normal.find(wanted)
    after = start + len(wanted)
    end = offsets[after] if after < len(offsets) else len(text)
    return text[offsets[start] : end].rstrip()


# -- plain text --------------------------------------------------------------------------

_LIST_ITEM = re.compile(r"^\s*(?:[-*\u2022])\s+(.*)$")
_SEPARATOR_ROW = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
_HEADING_MAX_CHARS = 120
_HEADING_MAX_WORDS = 16


def drop_trailer(lines: Sequence[str], patterns: Iterable[str]) -> list[str]:
    """Cut the comment form pasted after an article: everything from the first whole
    line that matches one of `patterns` (regular expressions, case-insensitive)."""
    trailer = _trailer_pattern(tuple(patterns))
    if trailer is None:
        return list(lines)
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped and trailer.fullmatch(stripped):
            return list(lines[:index])
    return list(lines)


@functools.lru_cache(maxsize=8)
def _trailer_pattern(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    """One compiled alternation of the trailer patterns (a line is tried once, not once
    per pattern)."""
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


def parse_plain_text(text: str, trailer_patterns: Iterable[str] = ()) -> list[Block]:
    """Split pasted plain text into blocks (see the module docstring for the rules)."""
    lines = drop_trailer(text.splitlines(), trailer_patterns)
    wrapped = _is_hard_wrapped(lines)
    drafts: list[tuple[list[BlockKind], int, list[str]]] = []  # [kind], first line, lines
    previous_blank = True
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            previous_blank = True
            continue
        kind = _line_kind(line)
        last = drafts[-1] if drafts else None
        continues = last is not None and not previous_blank
        if continues and kind in ("list", "table") and kind == last[0][0]:  # type: ignore[index]
            last[2].append(line)  # type: ignore[index]
        elif continues and wrapped and kind in _PROSE and last[0][0] in _PROSE:  # type: ignore[index]
            # A wrapped line continues its paragraph, however short it is.
            last[0][0] = "paragraph"  # type: ignore[index]
            last[2].append(line)  # type: ignore[index]
        else:
            drafts.append(([kind], number, [line]))
        previous_blank = False
    blocks = [_plain_block(kind[0], line, body) for kind, line, body in drafts]
    if blocks and blocks[0].kind == "heading":
        blocks[0] = Block("title", blocks[0].anchor, blocks[0].line, blocks[0].text)
    return with_unique_anchors(blocks)


_PROSE = ("paragraph", "heading")
_WRAP_WIDTH = 100


def _is_hard_wrapped(lines: Sequence[str]) -> bool:
    """True for text wrapped at a fixed width, with blank lines between paragraphs.

    Text pasted from a browser puts each paragraph on one (long) line, and must never be
    joined; wrapped text has short lines and paragraphs that span several of them.
    """
    stripped = [line.strip() for line in lines]
    if "" not in stripped:
        return False
    prose = [line for line in stripped if line and _line_kind(line) in _PROSE]
    runs = any(
        a and b and _line_kind(a) in _PROSE and _line_kind(b) in _PROSE
        for a, b in itertools.pairwise(stripped)
    )
    short = sum(1 for line in prose if len(line) <= _WRAP_WIDTH)
    return runs and short >= 0.8 * len(prose)


def _line_kind(line: str) -> BlockKind:
    if _LIST_ITEM.match(line):
        return "list"
    if (line.count("|") >= 1 and len(table_cells(line)) >= 2) or _SEPARATOR_ROW.match(line):
        return "table"
    if _looks_like_heading(line):
        return "heading"
    return "paragraph"


def _looks_like_heading(line: str) -> bool:
    return (
        len(line) <= _HEADING_MAX_CHARS
        and len(line.split()) <= _HEADING_MAX_WORDS
        and line[-1] not in ".!?:;,\"'\u201d\u2019)"
    )


def table_cells(line: str) -> list[str]:
    """The cells of a pipe-table row, outer pipes or not."""
    cells = [cell.strip() for cell in line.strip().split("|")]
    if cells and not cells[0]:
        cells = cells[1:]
    if cells and not cells[-1]:
        cells = cells[:-1]
    return cells


def _plain_block(kind: BlockKind, line: int, body: list[str]) -> Block:
    if kind == "list":
        items = tuple(_LIST_ITEM.match(item).group(1).strip() for item in body)  # type: ignore[union-attr]
        return Block("list", "", line, "\n".join(items), items=items)
    if kind == "table":
        rows = [table_cells(row) for row in body if not _SEPARATOR_ROW.match(row)]
        width = max((len(row) for row in rows), default=0)
        padded = tuple(tuple(row + [""] * (width - len(row))) for row in rows)
        return Block("table", "", line, "\n".join(" | ".join(row) for row in padded), rows=padded)
    return Block(kind, "", line, " ".join(body))


# -- Markdown ----------------------------------------------------------------------------

_MD_KINDS: dict[str, BlockKind] = {
    "paragraph_open": "paragraph",
    "heading_open": "heading",
    "bullet_list_open": "list",
    "ordered_list_open": "list",
    "table_open": "table",
    "blockquote_open": "quote",
    "fence": "code",
    "code_block": "code",
    "hr": "rule",
}


def parse_markdown(text: str, trailer_patterns: Iterable[str] = ()) -> list[Block]:
    """Split a Markdown body into its top-level blocks, each rendered once (see `Block.html`)."""
    body = "\n".join(drop_trailer(text.splitlines(), trailer_patterns))
    tokens = block_parser().parse(body)
    blocks: list[Block] = []
    start = 0
    while start < len(tokens):
        first = tokens[start]
        end = start
        if first.nesting == 1:  # walk to the matching close token
            depth = 0
            for end in range(start, len(tokens)):
                depth += tokens[end].nesting
                if depth == 0:
                    break
        chunk = tuple(tokens[start : end + 1])
        kind = _MD_KINDS.get(first.type, "paragraph")
        if kind == "heading" and first.tag == "h1" and not blocks:
            kind = "title"
        line = (first.map[0] + 1) if first.map else 0
        items = _md_items(chunk) if kind == "list" else ()
        rows = _md_rows(chunk) if kind == "table" else ()
        words = "\n".join(items) if items else "\n".join(" | ".join(r) for r in rows) if rows else None
        words = words or _md_text(chunk)
        html, runs = _prerender(chunk)  # after the words are read: it rewrites the tokens
        blocks.append(Block(kind, "", line, words, items, rows, html, runs))
        start = end + 1
    return with_unique_anchors(blocks)


def _prerender(tokens: Sequence[Token]) -> tuple[str, tuple[str, ...]]:
    """The block's HTML with a marker for each run of text a mention may be linked in:
    everything but headings and link texts. Rendering once here, not once per page
    build, keeps markdown-it's tokens out of memory and out of the build cache. The
    tokens are rewritten in place: they are this block's own, and not kept."""
    runs: list[str] = []
    in_heading = False
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            # The page has h1 (title) and h2 (sections): source headings start at h3.
            token.tag = f"h{min(int(token.tag[1]) + 2, 6)}"
            in_heading = token.type == "heading_open"
        if token.type == "inline" and token.children and not in_heading:
            token.children = _marked_runs(token.children, runs)
    parser = block_parser()
    return parser.renderer.render(tokens, parser.options, {}), tuple(runs)


def _marked_runs(children: Sequence[Token], runs: list[str]) -> list[Token]:
    result = []
    depth = 0
    for child in children:
        if child.type == "link_open":
            depth += 1
        elif child.type == "link_close":
            depth -= 1
        if child.type == "text" and depth == 0:
            result.append(Token("html_inline", "", 0, content=f"\0{len(runs)}\0"))
            runs.append(child.content)
        else:
            result.append(child)
    return result


def _md_text(tokens: Sequence[Token]) -> str:
    parts = []
    for token in tokens:
        if token.type == "inline":
            parts.append("".join(_inline_words(token.children or ())))
        elif token.type in ("fence", "code_block"):
            parts.append(token.content)
    return "\n".join(part for part in parts if part)


def _inline_words(children: Sequence[Token]) -> Iterator[str]:
    for child in children:
        if child.type in ("text", "code_inline"):
            yield child.content
        elif child.type in ("softbreak", "hardbreak"):
            yield " "


def _md_items(tokens: Sequence[Token]) -> tuple[str, ...]:
    items: list[str] = []
    depth = 0
    for token in tokens:
        if token.type == "list_item_open":
            depth += 1
            if depth == 1:
                items.append("")
        elif token.type == "list_item_close":
            depth -= 1
        elif token.type == "inline" and items:
            text = _md_text([token])
            items[-1] = f"{items[-1]} {text}".strip()
    return tuple(items)


def _md_rows(tokens: Sequence[Token]) -> tuple[tuple[str, ...], ...]:
    rows: list[list[str]] = []
    for token in tokens:
        if token.type == "tr_open":
            rows.append([])
        elif token.type == "inline" and rows:
            rows[-1].append(_md_text([token]))
    return tuple(tuple(row) for row in rows)


# -- anchors -----------------------------------------------------------------------------

_ANCHOR_WORDS = 6


def block_anchor(block: Block, normal: str | None = None) -> str:
    """A readable, content-derived fragment id: headings by their words, other blocks by
    their first words plus a short hash of the whole text (`normal`: its normalized form)."""
    if block.kind in ("title", "heading"):
        return slugify(block.text, max_length=60, word_boundary=True) or block.kind
    first = "-".join(_leading_slug(block.text).split("-")[:_ANCHOR_WORDS]) or block.kind
    digest = hashlib.sha1((normalize(block.text) if normal is None else normal).encode()).hexdigest()[:4]
    return f"{first}-{digest}"


_SLUG_PREFIX_CHARS = 100
_SLUG_MAX = 60


def _leading_slug(text: str) -> str:
    """`slugify(text, max_length=60, word_boundary=True)`, exact in its first words.

    Slugifying a whole paragraph costs far more than its first words do, and slugify
    works word by word, so the slug of a prefix cut at a space starts with the same
    words; it is trusted once it has the words an anchor takes, else the whole text is
    slugified.
    """
    if text.isascii() and "&" not in text:
        if len(text) > _SLUG_PREFIX_CHARS:
            words = _ascii_slug(text[: text.rfind(" ", 0, _SLUG_PREFIX_CHARS) + 1])
            if words.count("-") >= _ANCHOR_WORDS - 1:
                return words
        return _ascii_slug(text)
    if len(text) > _SLUG_PREFIX_CHARS:
        cut = max(text.rfind(" ", 0, _SLUG_PREFIX_CHARS), text.rfind("\n", 0, _SLUG_PREFIX_CHARS))
        if cut > 0:
            words = slugify(text[:cut], max_length=60, word_boundary=True)
            if words.count("-") >= _ANCHOR_WORDS - 1:
                return words
    return slugify(text, max_length=60, word_boundary=True)


_DIGIT_COMMA = re.compile(rb"(?<=\d),(?=\d)")
_DIGIT = re.compile(rb"\d")
#: Every byte but ASCII letters and digits separates words in a slug.
_SLUG_SEPARATORS = bytes(c if chr(c).isascii() and chr(c).isalnum() else 32 for c in range(256))


def _ascii_slug(text: str) -> str:
    """The first words of python-slugify's slug of ASCII text without entities (`&`),
    by the same steps (apostrophes and other signs become dashes, commas inside numbers
    vanish), at a tenth of the cost, up to the words an anchor takes; `test_sourcetext`
    checks it against slugify."""
    data = text.encode("ascii").lower()  # bytes: one C call per step, no regex in the way
    if b"," in data and _DIGIT.search(data):
        data = _DIGIT_COMMA.sub(b"", data)
    parts = data.translate(_SLUG_SEPARATORS).split()
    slug = b"-".join(parts).decode()
    if len(slug) < _SLUG_MAX:
        return slug
    if len(parts) == 1:
        return slug[:_SLUG_MAX]
    words: list[bytes] = []
    length = 0
    for word in parts:
        if length + len(word) <= _SLUG_MAX:  # slugify's word-boundary truncation
            words.append(word)
            length += len(word) + 1
            if len(words) == _ANCHOR_WORDS:  # all an anchor takes
                break
    return b"-".join(words).decode() or slug[:_SLUG_MAX].strip("-")


#: Ids the page templates use themselves; a block never takes one of them.
RESERVED_ANCHORS = frozenset({"main", "top", "notes", "cited-by", "mentions", "metadata", "text"})


def with_unique_anchors(blocks: Sequence[Block]) -> list[Block]:
    """Give each block its anchor; identical blocks get -2, -3 ... in order."""
    used = set(RESERVED_ANCHORS)
    # The last number given to each base: every lower one is taken, so the search for a
    # free one resumes there (a text of thousands of equal lines stays linear).
    last: dict[str, int] = {}
    result = []
    for block in blocks:
        normal = normalize(block.text)
        anchor = base = block_anchor(block, normal)
        number = last.get(base, 1)
        if number > 1:
            anchor = f"{base}-{number}"
        while anchor in used:
            number += 1
            anchor = f"{base}-{number}"
        last[base] = number
        used.add(anchor)
        result.append(
            Block(
                block.kind,
                anchor,
                block.line,
                block.text,
                block.items,
                block.rows,
                block.html,
                block.runs,
                normal,
            )
        )
    return result
