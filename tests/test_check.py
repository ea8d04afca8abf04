"""Tests of generator.check on small hand-made sites, each rule both ways, and on the real build."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import generator.check as check
from generator.build import build
from generator.check import LinkProblem, check_site
from generator.config import load_config

ROOT = Path(__file__).resolve().parents[1]
SUB = "https://example.org/repo/"


def html(body: str = "", head: str = "") -> str:
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>t</title>\n'
        f'{head}\n</head>\n<body>\n<main id="main">\n{body}\n</main>\n</body>\n</html>\n'
    )


def sitemap(*locs: str) -> str:
    entries = "".join(f"<url><loc>{loc}</loc></url>" for loc in locs)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{check.SITEMAP_NS}">{entries}</urlset>\n'


def make_site(root: Path, files: dict[str, str], base_url: str = "", pages: list[str] | None = None) -> Path:
    """Write `files` under `root`, with a sitemap of every page unless `files` has one."""
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    if "sitemap.xml" not in files:
        listed = (
            pages
            if pages is not None
            else sorted(n for n in files if n.endswith(".html") and n != "404.html")
        )
        base = base_url if not base_url or base_url.endswith("/") else base_url + "/"
        locs = [base + (n.removesuffix("index.html")) for n in listed]
        (root / "sitemap.xml").write_text(sitemap(*locs), encoding="utf-8")
    return root


def site_with(root: Path, link: str, base_url: str = "", page: str = "a/b/index.html") -> list[LinkProblem]:
    """The problems of a site whose page `page` has one link, `link`, besides good ones."""
    files = {
        "index.html": html('<a href="a/b/">b</a> <p id="top-p">x</p>'),
        "a/b/index.html": html(
            '<p id="p-1">one</p><p id="café">two</p><a name="old">three</a>',
            '<link rel="stylesheet" href="../../s.css">',
        ),
        "s.css": "body {}\n",
    }
    files[page] = files.get(page, html()).replace("</main>", f'<a href="{link}">x</a>\n</main>')
    return check_site(make_site(root, files, base_url), base_url)


GOOD_SITE = {
    "index.html": html(
        '<a href="./">home</a> <a href="a/">a</a> <a href="a/#intro">intro</a> <a href="a/b.html#x">b</a>'
        ' <a href="#main">skip</a> <a href="">self</a> <a href="?q=1">query</a>'
        ' <img src="img/logo.png" alt=""> <script src="app.js"></script>',
        '<link rel="stylesheet" href="static/style.css">',
    ),
    "a/index.html": html(
        '<h2 id="intro">Intro</h2><a href="../">up</a> <a href="b.html">b</a>'
        ' <a href="../index.html#main">home</a>'
        ' <a href="https://example.com/path?q=1#frag">ext</a> <a href="mailto:desk@example.org">mail</a>'
        ' <picture><source src="../img/logo.png"></picture> <a href="http://[::1]:8080/">local</a>'
        ' <a href="https://bücher.example/a b">idn</a> <a href="//cdn.example.com/x.js">cdn</a>',
        '<link rel="stylesheet" href="../static/style.css">',
    ),
    "a/b.html": html('<p id="x">x</p><a href="./">a</a> <a href="index.html#intro">intro</a>'),
    "static/style.css": "body {}\n",
    "img/logo.png": "png",
    "app.js": "",
}


def test_a_good_site_has_no_problems(tmp_path):
    assert check_site(make_site(tmp_path, GOOD_SITE), "") == []


def test_a_good_site_under_a_sub_path_has_no_problems(tmp_path):
    files = dict(GOOD_SITE)
    files["index.html"] = files["index.html"].replace(
        "</head>", f'<link rel="canonical" href="{SUB}">\n</head>'
    )
    files["a/index.html"] = files["a/index.html"].replace(
        "</head>", f'<link rel="canonical" href="{SUB}a/">\n</head>'
    )
    files["404.html"] = html(
        '<a href="/repo/">home</a> <a href="/repo/a/#intro">a</a>', '<link href="/repo/static/style.css">'
    )
    assert check_site(make_site(tmp_path, files, SUB), SUB) == []


def test_problem_str_and_order():
    problem = LinkProblem("a/index.html", "../x/", "no such page")
    assert str(problem) == "a/index.html: ../x/: no such page"
    assert sorted([LinkProblem("b", "a", "r"), problem]) == [problem, LinkProblem("b", "a", "r")]


# -- internal links ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "link", ["../../", "../../index.html", "./", "../../s.css", "../../a/b", "../b/", "."]
)
def test_relative_links_that_resolve(tmp_path, link):
    assert site_with(tmp_path, link) == []


@pytest.mark.parametrize(
    "link", ["../../c/", "c/", "../../s.css/", "../../index.htm", "../../a/b/c", "%2E%2E/x/"]
)
def test_relative_links_to_missing_pages(tmp_path, link):
    assert site_with(tmp_path, link) == [LinkProblem("a/b/index.html", link, "no such page")]


def test_an_encoded_slash_is_not_a_separator(tmp_path):
    assert site_with(tmp_path, "..%2F..%2Fs.css") == [
        LinkProblem("a/b/index.html", "..%2F..%2Fs.css", "no such page")
    ]


def test_the_same_broken_link_twice_is_one_problem(tmp_path):
    files = {"index.html": html('<a href="x/">1</a><a href="x/">2</a><img src="x.png" alt="">')}
    assert check_site(make_site(tmp_path, files), "") == [
        LinkProblem("index.html", "x.png", "no such page"),
        LinkProblem("index.html", "x/", "no such page"),
    ]


@pytest.mark.parametrize("link", ["../../../", "../../../s.css", "../../../a/b/", "/../s.css", "../../.%2e/"])
def test_links_that_leave_the_site(tmp_path, link):
    assert site_with(tmp_path, link) == [LinkProblem("a/b/index.html", link, "leaves the site")]


def test_links_that_leave_the_site_even_when_it_is_served_at_the_root(tmp_path):
    # At '/' a browser would clamp '../../../s.css' to '/s.css'; under a sub-path it breaks.
    assert site_with(tmp_path, "../../../s.css", SUB) == [
        LinkProblem("a/b/index.html", "../../../s.css", "leaves the site")
    ]


@pytest.mark.parametrize(
    ("link", "ok"),
    [
        ("/repo/s.css", True),
        ("/repo", True),
        ("/repo/a/b/", True),
        ("/s.css", False),
        ("/other/s.css", False),
        ("/repository/", False),
    ],
)
def test_root_relative_links_must_lie_under_the_base_path(tmp_path, link, ok):
    expected = [] if ok else [LinkProblem("a/b/index.html", link, "leaves the site")]
    assert site_with(tmp_path, link, SUB) == expected


@pytest.mark.parametrize(
    ("link", "problem"),
    [
        ("/s.css", ""),
        ("/a/b/#p-1", ""),
        ("/", ""),
        ("/nope/", "no such page"),
        ("/repo/s.css", "no such page"),
    ],
)
def test_root_relative_links_with_an_empty_base_url(tmp_path, link, problem):
    expected = [LinkProblem("a/b/index.html", link, problem)] if problem else []
    assert site_with(tmp_path, link) == expected


@pytest.mark.parametrize(
    ("link", "problem"),
    [
        (f"{SUB}a/b/", ""),
        (f"{SUB}a/b/#p-1", ""),
        (f"{SUB}s.css", ""),
        (SUB, ""),
        ("https://example.org/repo", ""),
        ("https://EXAMPLE.org:443/repo/", ""),
        (f"{SUB}a/c/", "no such page"),
        (f"{SUB}a/b/#p-9", "no element with id 'p-9' in a/b/index.html"),
        (f"{SUB}../x/", "leaves the site"),
        ("https://example.org/other/", ""),  # a sibling site on the same host: external
        ("http://example.org/repo/a/c/", ""),  # another scheme is another origin: external
        ("https://example.org:8443/repo/a/c/", ""),
    ],
)
def test_absolute_links_under_the_base_url_are_internal(tmp_path, link, problem):
    expected = [LinkProblem("a/b/index.html", link, problem)] if problem else []
    assert site_with(tmp_path, link, SUB) == expected


def test_a_canonical_link_to_a_missing_page(tmp_path):
    files = {
        "index.html": html("", f'<link rel="canonical" href="{SUB}">'),
        "x/index.html": html("", f'<link rel="canonical" href="{SUB}y/">'),
    }
    assert check_site(make_site(tmp_path, files, SUB), SUB) == [
        LinkProblem("x/index.html", f"{SUB}y/", "no such page")
    ]


def test_absolute_links_are_external_when_the_base_url_is_empty(tmp_path):
    assert site_with(tmp_path, "https://example.org/repo/nope/") == []


# -- fragments ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "link",
    [
        "#p-1",
        "./#p-1",
        "../b/#p-1",
        "#old",
        "#",
        "#main",
        "#top",
        "../../#top-p",
        "#p-1:~:text=foo",
        "#:~:text=foo",
        "../../#:~:text=foo,bar",
        "#caf%C3%A9",
        "#café",
        "#caf%C3%A9:~:text=two",
        "../../s.css#anything",
    ],
)
def test_fragments_that_resolve(tmp_path, link):
    assert site_with(tmp_path, link) == []


@pytest.mark.parametrize(
    ("link", "ident", "file"),
    [
        ("#p-2", "p-2", "a/b/index.html"),
        ("../../#p-1", "p-1", "index.html"),
        ("#p-2:~:text=foo", "p-2", "a/b/index.html"),
        ("#P-1", "P-1", "a/b/index.html"),
        ("#caf%C3%A8", "cafè", "a/b/index.html"),
        ("#p%2D2", "p-2", "a/b/index.html"),
        ("#text=foo", "text=foo", "a/b/index.html"),
    ],
)
def test_fragments_that_do_not_resolve(tmp_path, link, ident, file):
    assert site_with(tmp_path, link) == [
        LinkProblem("a/b/index.html", link, f"no element with id {ident!r} in {file}")
    ]


def test_an_encoded_fragment_matches_an_encoded_id(tmp_path):
    assert site_with(tmp_path, "#p%2D1") == []


# -- the 404 page ------------------------------------------------------------------------------


def test_the_404_page_uses_root_relative_links(tmp_path):
    body = '<a href="/repo/">home</a> <a href="/repo/a/b/#p-1">b</a> <a href="#main">skip</a>'
    body += ' <a href="">self</a>'
    assert site_with(tmp_path, "/repo/s.css", SUB, page="404.html") == []
    files = {
        "index.html": html(),
        "a/b/index.html": html('<p id="p-1">x</p>'),
        "s.css": "",
        "404.html": html(body, '<link rel="stylesheet" href="/repo/s.css">'),
    }
    assert check_site(make_site(tmp_path / "ok", files, SUB), SUB) == []


@pytest.mark.parametrize("link", ["s.css", "./", "a/b/", "../", "a/b/#p-1", "index.html"])
def test_a_relative_link_in_the_404_page_is_reported(tmp_path, link):
    # Even links that exist from 404.html at the root: the page is served for missing pages at any depth.
    assert site_with(tmp_path, link, SUB, page="404.html") == [
        LinkProblem("404.html", link, "relative link in the 404 page breaks at other depths")
    ]


def test_a_fragment_in_the_404_page_must_exist_in_it(tmp_path):
    assert site_with(tmp_path, "#nope", page="404.html") == [
        LinkProblem("404.html", "#nope", "no element with id 'nope' in 404.html")
    ]


def test_only_the_root_404_page_is_special(tmp_path):
    assert site_with(tmp_path, "b/#p-1", page="a/404.html") == []


# -- external links ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "link",
    [
        "http://",
        "https://",
        "https://exa mple.com",
        "https://example..com/",
        "https://example.com:99999/",
        "https://example.com:port/",
        "http://[::1/",
        "https://[not-ipv6]/",
        "//",
        "mailto:",
        "mailto:?subject=hi",
        "mailto:desk",
        "mailto:@example.org",
        "mailto:desk@",
        "mailto:a@example.org,b",
    ],
)
def test_malformed_external_urls(tmp_path, link):
    assert site_with(tmp_path, link) == [LinkProblem("a/b/index.html", link, "malformed URL")]


@pytest.mark.parametrize(
    "link",
    [
        "https://example.com",
        "HTTPS://Example.COM/a",
        "http://example.com./",
        "https://example.com/a b?c=d e",
        "https://xn--bcher-kva.example/",
        "https://bü-cher.example/",
        "http://127.0.0.1:8000/",
        "https://[2001:db8::1]/",
        "//cdn.example.com/lib.js",
        "mailto:desk@example.org",
        "mailto:desk@example.org,news@example.org?subject=Hello%20there",
        "mailto:d%40sk@example.org",
    ],
)
def test_well_formed_external_urls_are_not_fetched(tmp_path, link):
    assert site_with(tmp_path, link) == []


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        "JavaScript:void(0)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,hi",
        "file:///etc/passwd",
        "ftp://example.com/x",
        "vbscript:x",
    ],
)
def test_other_schemes_are_unsafe(tmp_path, link):
    assert site_with(tmp_path, link) == [LinkProblem("a/b/index.html", link, "unsafe URL scheme")]


def test_every_link_attribute_is_checked(tmp_path):
    body = (
        '<img src="javascript:1" alt=""> <script src="nope.js"></script>'
        ' <picture><source src="nope.webp"></picture>'
        ' <area href="not-checked/"> <iframe src="not-checked/"></iframe>'
    )
    files = {"index.html": html(body, '<link rel="icon" href="nope.ico">')}
    assert check_site(make_site(tmp_path, files), "") == [
        LinkProblem("index.html", "javascript:1", "unsafe URL scheme"),
        LinkProblem("index.html", "nope.ico", "no such page"),
        LinkProblem("index.html", "nope.js", "no such page"),
        LinkProblem("index.html", "nope.webp", "no such page"),
    ]


def test_entities_in_attributes_are_decoded(tmp_path):
    assert site_with(tmp_path, "#caf&eacute;") == []
    assert site_with(tmp_path / "2", "javascript&colon;x") == [
        LinkProblem("a/b/index.html", "javascript:x", "unsafe URL scheme")
    ]


# -- sitemap -----------------------------------------------------------------------------------


def test_a_missing_sitemap(tmp_path):
    (tmp_path / "index.html").write_text(html(), encoding="utf-8")
    assert check_site(tmp_path, SUB) == [LinkProblem("sitemap.xml", "", "missing")]


def test_a_page_missing_from_the_sitemap(tmp_path):
    files = {"index.html": html(), "a/index.html": html(), "a/b.html": html(), "404.html": html()}
    make_site(tmp_path, files, SUB, pages=["index.html"])
    assert check_site(tmp_path, SUB) == [
        LinkProblem("sitemap.xml", f"{SUB}a/", "page not in the sitemap"),
        LinkProblem("sitemap.xml", f"{SUB}a/b.html", "page not in the sitemap"),
    ]


def test_the_home_page_missing_from_the_sitemap(tmp_path):
    make_site(tmp_path, {"index.html": html(), "a/index.html": html()}, SUB, pages=["a/index.html"])
    assert check_site(tmp_path, SUB) == [LinkProblem("sitemap.xml", SUB, "page not in the sitemap")]


def test_the_sitemap_lists_a_missing_page(tmp_path):
    files = {
        "index.html": html(),
        "s.css": "",
        "sitemap.xml": sitemap(SUB, f"{SUB}gone/", f"{SUB}s.css", f"{SUB}404.html", "https://other.example/"),
        "404.html": html(),
    }
    assert check_site(make_site(tmp_path, files, SUB), SUB) == sorted(
        [
            LinkProblem("sitemap.xml", "https://other.example/", "no such page"),
            LinkProblem("sitemap.xml", f"{SUB}404.html", "no such page"),
            LinkProblem("sitemap.xml", f"{SUB}gone/", "no such page"),
            LinkProblem("sitemap.xml", f"{SUB}s.css", "no such page"),
        ]
    )


def test_sitemap_entries_must_be_the_pretty_address_once(tmp_path):
    files = {
        "index.html": html(),
        "a/index.html": html(),
        "sitemap.xml": sitemap(SUB, f"{SUB}a/index.html", SUB),
    }
    assert check_site(make_site(tmp_path, files, SUB), SUB) == [
        LinkProblem("sitemap.xml", SUB, "listed twice"),
        LinkProblem("sitemap.xml", f"{SUB}a/index.html", f"not the page's address {SUB}a/"),
    ]


def test_a_sitemap_that_is_not_a_sitemap(tmp_path):
    make_site(tmp_path, {"index.html": html(), "sitemap.xml": "<urlset><url><loc>x</loc></url></urlset>"})
    [problem] = check_site(tmp_path, "")
    assert (problem.page, problem.link) == ("sitemap.xml", "")
    assert "namespace" in problem.reason
    (tmp_path / "sitemap.xml").write_text("<urlset", encoding="utf-8")
    [problem] = check_site(tmp_path, "")
    assert problem.reason.startswith("not well-formed XML")


def test_sitemap_addresses_follow_the_base_url(tmp_path):
    files = {"index.html": html(), "a/index.html": html()}
    make_site(tmp_path, files, SUB)
    assert check_site(tmp_path, SUB) == []
    # The same site checked for publication at the root of another address.
    assert check_site(tmp_path, "https://example.org") == sorted(
        [
            LinkProblem("sitemap.xml", SUB, "no such page"),
            LinkProblem("sitemap.xml", f"{SUB}a/", "no such page"),
            LinkProblem("sitemap.xml", "https://example.org/", "page not in the sitemap"),
            LinkProblem("sitemap.xml", "https://example.org/a/", "page not in the sitemap"),
        ]
    )


def test_sitemap_with_an_empty_base_url(tmp_path):
    make_site(tmp_path, {"index.html": html(), "a/index.html": html()}, "")
    assert (tmp_path / "sitemap.xml").read_text(encoding="utf-8").count("<loc>a/</loc>") == 1
    assert check_site(tmp_path, "") == []
    # Relative entries still name the pages, but not at their published addresses.
    assert check_site(tmp_path, SUB) == [
        LinkProblem("sitemap.xml", "", f"not the page's address {SUB}"),
        LinkProblem("sitemap.xml", "a/", f"not the page's address {SUB}a/"),
    ]


def test_a_site_built_for_the_root_checked_under_a_sub_path(tmp_path):
    files = {
        "index.html": html(),
        "404.html": html('<a href="/">home</a>', '<link href="/s.css">'),
        "s.css": "",
    }
    make_site(tmp_path, files, "")
    assert check_site(tmp_path, "") == []
    problems = [p for p in check_site(tmp_path, SUB) if p.page == "404.html"]
    assert problems == [
        LinkProblem("404.html", "/", "leaves the site"),
        LinkProblem("404.html", "/s.css", "leaves the site"),
    ]


# -- scale and the real site ---------------------------------------------------------------------


def test_a_large_site_is_parsed_once_per_file_and_quickly(tmp_path, monkeypatch):
    count = 1200
    files = {"index.html": html("".join(f'<a href="p/{n}/#h-{n}">{n}</a>' for n in range(count)))}
    for n in range(count):
        links = "".join(f'<a href="../{(n + k) % count}/#h-{(n + k) % count}">x</a>' for k in range(1, 30))
        files[f"p/{n}/index.html"] = html(f'<h1 id="h-{n}">{n}</h1>{links}<a href="../../#main">home</a>')
    files[f"p/{count - 1}/index.html"] += '<a href="../0/#missing">x</a>'
    make_site(tmp_path, files, SUB)
    parsed: list[Path] = []
    original = check._parse

    def counting(path: Path) -> check._Page:
        parsed.append(path)
        return original(path)

    monkeypatch.setattr(check, "_parse", counting)
    start = time.perf_counter()
    problems = check_site(tmp_path, SUB)
    elapsed = time.perf_counter() - start
    assert problems == [
        LinkProblem(
            f"p/{count - 1}/index.html", "../0/#missing", "no element with id 'missing' in p/0/index.html"
        )
    ]
    assert sorted(parsed) == sorted(tmp_path / name for name in files)
    assert elapsed < 10, f"{elapsed:.1f} s for {count} pages"


def test_the_real_site_has_no_link_problems(tmp_path):
    config = load_config(ROOT / "config.yaml", output_dir=tmp_path / "site", base_url=SUB)
    build(config)
    assert check_site(tmp_path / "site", SUB) == []
