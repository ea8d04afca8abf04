"""The one configured Markdown parser: CommonMark, raw HTML off, safe links only.

Content is written by people who paste from the web, so HTML in it is shown as text and
only http(s) and mailto links become links; anything else stays plain text and is
reported by validation.
"""

from __future__ import annotations

from functools import cache, lru_cache
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markupsafe import Markup

from generator.addresses import AddressError, checked_url, shown_url

SAFE_SCHEMES = frozenset({"http", "https", "mailto"})


def is_safe_url(url: str) -> bool:
    """True for absolute http(s) URLs with a host, and mailto addresses."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:  # a broken IPv6 literal, say: not an address to link
        return False
    if parts.scheme.lower() in ("http", "https"):
        return bool(parts.netloc)
    return parts.scheme.lower() == "mailto" and bool(parts.path)


def _configured(validate: bool) -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    parser.enable("table").disable("image")
    if validate:
        parser.validateLink = is_safe_url  # type: ignore[method-assign]
        # A host that could mislead (an invisible character, a user before it) makes no
        # link at all: validation refuses it in summaries, and a source's own text keeps
        # its words without the link.
        normalize_link = parser.normalizeLink
        parser.normalizeLink = lambda url: normalize_link(url) if _host_ok(url) else ""  # type: ignore[method-assign]
        # An autolink's text is its address: show the host as the link goes there (punycode),
        # not decoded back into letters that may imitate another name.
        parser.normalizeLinkText = shown_url  # type: ignore[method-assign, assignment]
    else:  # the link targets exactly as written, for validation to judge
        parser.validateLink = lambda url: True  # type: ignore[method-assign]
        parser.normalizeLink = lambda url: url  # type: ignore[method-assign]
    return parser


def _host_ok(url: str) -> bool:
    try:
        checked_url(url.strip())
    except AddressError:
        return False
    return True


@cache
def block_parser() -> MarkdownIt:
    """The parser for Markdown bodies and summaries (safe links only)."""
    return _configured(validate=True)


@cache
def _permissive_parser() -> MarkdownIt:
    return _configured(validate=False)


@lru_cache(maxsize=8192)
def render_inline(text: str) -> Markup:
    """Inline Markdown → HTML (escaped; unsafe links left as text).

    Memoised: a pure function of its text, and a rebuild renders the same claims again
    on every page that shows them."""
    return Markup(block_parser().renderInline(text))


def unsafe_links(text: str) -> list[tuple[str, str]]:
    """The link targets in `text` that content may not hold, each with why: '' for a
    scheme that `render_inline` would refuse, else what is wrong with its host."""
    found = []
    for token in _permissive_parser().parseInline(text):
        for child in token.children or ():
            if child.type == "link_open":
                href = str(child.attrGet("href") or "")
                try:
                    checked_url(href)
                except AddressError as error:
                    found.append((href, str(error)))
                    continue
                if not is_safe_url(href):
                    found.append((href, ""))
    return found
