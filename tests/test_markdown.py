"""Unit tests of generator.markdown: safe URLs and inline rendering."""

from __future__ import annotations

import pytest
from markupsafe import Markup

from generator.markdown import block_parser, is_safe_url, render_inline, unsafe_links


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org",
        "http://example.org/a?b=1#c",
        "HTTPS://EXAMPLE.ORG/",
        " https://example.org ",
        "mailto:desk@example.org",
    ],
)
def test_safe_urls(url):
    assert is_safe_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "vbscript:x",
        "data:text/html,<script>x</script>",
        "file:///etc/passwd",
        "ftp://example.org",
        "//example.org/x",
        "/relative/path",
        "relative/path",
        "#fragment",
        "http://",
        "http:///path",
        "http:example.org",
        "mailto:",
        "",
    ],
)
def test_unsafe_urls(url):
    assert not is_safe_url(url)


def test_render_inline_formats_markdown():
    html = render_inline("*em* **strong** `code` [link](https://example.org/a?b=1&c=2)")
    assert isinstance(html, Markup)
    assert html == (
        "<em>em</em> <strong>strong</strong> <code>code</code> "
        '<a href="https://example.org/a?b=1&amp;c=2">link</a>'
    )


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "<b>bold</b>",
        '<a href="javascript:alert(1)">x</a>',
    ],
)
def test_render_inline_escapes_raw_html(text):
    html = render_inline(text)
    assert "<script" not in html
    assert "<img" not in html
    assert "<b>" not in html
    assert "<a " not in html
    assert "&lt;" in html


@pytest.mark.parametrize(
    "text",
    [
        "[x](javascript:alert(1))",
        "[x](JAVASCRIPT:alert(1))",
        "[x](java&#115;cript:alert(1))",
        "[x](<javascript:alert(1)>)",
        "<javascript:alert(1)>",
        "[x](data:text/html,hi)",
        "[x](vbscript:msgbox)",
        "[x](/local/page)",
    ],
)
def test_render_inline_refuses_unsafe_links(text):
    html = render_inline(text)
    assert "<a" not in html
    assert "href" not in html
    assert len(unsafe_links(text)) == 1


def test_render_inline_keeps_mailto_and_autolinks():
    assert render_inline("<https://example.org>") == '<a href="https://example.org">https://example.org</a>'
    assert render_inline("[desk](mailto:desk@example.org)") == '<a href="mailto:desk@example.org">desk</a>'


def test_unsafe_links_lists_the_refused_targets():
    text = "[ok](https://example.org) [bad](javascript:alert(1)) [also](ftp://x.org) [m](mailto:a@b.org)"
    assert unsafe_links(text) == [("javascript:alert(1)", ""), ("ftp://x.org", "")]
    assert unsafe_links("plain text with https://example.org but no link syntax") == []
    assert unsafe_links("<b>raw html</b>") == []


def test_images_are_not_rendered():
    html = render_inline("![alt](https://example.org/i.png)")
    assert "<img" not in html


def test_block_parser_has_tables_and_no_html():
    tokens = block_parser().parse("<div>x</div>\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    types = [t.type for t in tokens]
    assert "html_block" not in types
    assert "table_open" in types
    assert block_parser() is block_parser()


def test_a_link_whose_host_could_mislead_is_listed_with_the_reason():
    text = "[a](https://exa\u200bmple.org/) [b](https://trusted.org@elsewhere.net/) [c](https://xn--pple-43d.com)"
    found = unsafe_links(text)
    assert [href for href, _ in found] == ["https://exa\u200bmple.org/", "https://trusted.org@elsewhere.net/"]
    assert "U+200B" in found[0][1]
    assert "user" in found[1][1]


def test_international_hosts_are_linked_and_shown_in_punycode():
    # A Cyrillic a (U+0430) passes for a Latin one when decoded: the reader sees the ASCII form.
    html = render_inline("<https://\u0430pple.com/news> and [text](https://\u0430pple.com/)")
    assert html == (
        '<a href="https://xn--pple-43d.com/news">https://xn--pple-43d.com/news</a> and '
        '<a href="https://xn--pple-43d.com/">text</a>'
    )


def test_a_link_whose_host_could_mislead_is_not_rendered_as_a_link():
    # In a source's own Markdown text the words stay; the link does not.
    html = render_inline("see [the memo](https://exa\u200bmple.org/) and [this](https://a.org@b.net/)")
    assert "<a " not in html
    assert "the memo" in html
