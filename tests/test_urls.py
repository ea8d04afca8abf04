"""Unit tests of generator.urls: relative links, base paths and text fragments."""

from __future__ import annotations

import posixpath
from urllib.parse import unquote

import pytest

from generator.urls import absolute_url, base_path, href, output_file, page_path, text_fragment


def test_page_paths():
    assert page_path("summit", "hanoi-2019") == "summits/hanoi-2019/"
    assert page_path("source", "wit-dmz-meeting") == "sources/wit-dmz-meeting/"
    assert page_path("stakeholder") == "stakeholders/"
    assert output_file("") == "index.html"
    assert output_file("summits/hanoi-2019/") == "summits/hanoi-2019/index.html"
    assert output_file("404.html") == "404.html"


@pytest.mark.parametrize(
    ("from_path", "to_path", "fragment", "expected"),
    [
        ("", "summits/hanoi-2019/", "", "summits/hanoi-2019/"),
        ("", "", "", "./"),
        ("", "", "top", "./#top"),
        ("", "static/style.css", "", "static/style.css"),
        ("summits/", "summits/hanoi-2019/", "", "hanoi-2019/"),
        ("summits/", "", "", "../"),
        ("summits/hanoi-2019/", "", "", "../../"),
        ("summits/hanoi-2019/", "summits/", "", "../"),
        ("summits/hanoi-2019/", "proposals/three-phase-deal/", "", "../../proposals/three-phase-deal/"),
        ("summits/hanoi-2019/", "static/style.css", "", "../../static/style.css"),
        ("summits/hanoi-2019/", "summits/hanoi-2019/", "summary-2", "./#summary-2"),
        (
            "proposals/three-phase-deal/",
            "sources/wit-dmz-meeting/",
            "the-hanoi-summit-ended-with-mr-aecc",
            "../../sources/wit-dmz-meeting/#the-hanoi-summit-ended-with-mr-aecc",
        ),
        ("404.html", "summits/", "", "summits/"),
    ],
)
def test_href(from_path, to_path, fragment, expected):
    assert href(from_path, to_path, fragment) == expected


@pytest.mark.parametrize(
    ("from_path", "to_path", "fragment", "expected"),
    [
        ("", "", "", "index.html"),
        ("", "summits/hanoi-2019/", "", "summits/hanoi-2019/index.html"),
        ("summits/hanoi-2019/", "", "", "../../index.html"),
        ("summits/hanoi-2019/", "summits/", "", "../index.html"),
        ("summits/hanoi-2019/", "summits/hanoi-2019/", "lessons-1", "index.html#lessons-1"),
        ("summits/hanoi-2019/", "static/style.css", "", "../../static/style.css"),
    ],
)
def test_href_without_directory_urls(from_path, to_path, fragment, expected):
    assert href(from_path, to_path, fragment, directory_urls=False) == expected


@pytest.mark.parametrize(
    "from_path",
    ["", "summits/", "summits/hanoi-2019/", "sources/wit-dmz-meeting/", "404.html"],
)
@pytest.mark.parametrize(
    "to_path",
    ["", "summits/", "proposals/three-phase-deal/", "static/style.css", "sources/wit-dmz-meeting/"],
)
def test_href_resolves_back_to_the_target(from_path, to_path):
    """Following the relative link from the page's own folder lands on the target."""
    folder = posixpath.dirname(output_file(from_path))
    for directory_urls in (True, False):
        link = href(from_path, to_path, directory_urls=directory_urls)
        assert not link.startswith("/")
        landed = posixpath.normpath(posixpath.join(folder, link))
        target = to_path if directory_urls else output_file(to_path)
        assert landed == (posixpath.normpath(target) if target else ".")


def test_absolute_url():
    assert absolute_url("https://user.github.io/repo/", "summits/") == "https://user.github.io/repo/summits/"
    assert absolute_url("https://user.github.io/repo", "summits/") == "https://user.github.io/repo/summits/"
    assert absolute_url("https://example.org/", "") == "https://example.org/"


@pytest.mark.parametrize(
    ("base_url", "expected"),
    [
        ("", "/"),
        ("https://example.org", "/"),
        ("https://example.org/", "/"),
        ("https://user.github.io/repo", "/repo/"),
        ("https://user.github.io/repo/", "/repo/"),
        ("https://example.org/a/b/", "/a/b/"),
    ],
)
def test_base_path(base_url, expected):
    assert base_path(base_url) == expected


def test_text_fragment_short_quote():
    assert text_fragment("no agreement reached") == ":~:text=no%20agreement%20reached"


def test_text_fragment_encodes_reserved_characters():
    fragment = text_fragment("Hanoi (2019) - a \u201cfailed\u201d summit, & more")
    assert fragment.startswith(":~:text=")
    value = fragment.removeprefix(":~:text=")
    # Dashes, commas and ampersands have a meaning in text directives: all encoded.
    for char in "-,& ":
        assert char not in value
    assert "%2D" in value
    assert "%2C" in value
    assert "%26" in value
    assert unquote(value) == "Hanoi (2019) - a \u201cfailed\u201d summit, & more"


def test_text_fragment_long_quote_uses_start_and_end():
    quote = "one two three four five six seven eight nine ten"
    assert text_fragment(quote) == ":~:text=one%20two%20three%20four,seven%20eight%20nine%20ten"
    assert text_fragment(quote, max_words=4) == ":~:text=one%20two,nine%20ten"


def test_text_fragment_collapses_whitespace():
    assert text_fragment("fire\n and   fury") == ":~:text=fire%20and%20fury"
    eight = "a b c d e f g h"
    assert text_fragment(eight) == ":~:text=" + "%20".join(eight.split())
