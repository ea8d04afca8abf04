"""Check a built site: every internal link and fragment resolves, external URLs are well formed.

Links are resolved the way a browser resolves them when the site is served at the path of
`base_url`, and a link that climbs above that path is an error even where a server at `/`
would forgive it, because the site must also work under a sub-path and from disk. External
URLs are never fetched. Every page must also be listed in `sitemap.xml`.
"""

from __future__ import annotations

import ipaddress
import os
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import SplitResult, unquote, urlsplit

from generator.errors import printable

#: The attributes that hold a URL, by tag.
LINK_ATTRIBUTES = {"a": "href", "link": "href", "script": "src", "img": "src", "source": "src"}
SITEMAP = "sitemap.xml"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NOT_FOUND_PAGE = "404.html"

NO_SUCH_PAGE = "no such page"
MALFORMED = "malformed URL"
LEAVES = "leaves the site"
UNSAFE = "unsafe URL scheme"
RELATIVE_IN_404 = "relative link in the 404 page breaks at other depths"

# The URL parser of browsers drops these before anything else, so `java\tscript:` is `javascript:`.
_C0_AND_SPACE = "".join(chr(c) for c in range(0x21))
_TAB_OR_NEWLINE = re.compile("[\t\n\r]")


@dataclass(frozen=True, order=True)
class LinkProblem:
    """A link that does not lead where it should, in the page (site-relative file) that holds it."""

    page: str
    link: str
    reason: str

    def __str__(self) -> str:
        return printable(f"{self.page}: {self.link}: {self.reason}")


def check_site(site_dir: Path, base_url: str) -> list[LinkProblem]:
    """All problems, sorted: links and fragments of every `.html` file, then the sitemap.

    `base_url` is where the site is published ('' when unknown): absolute URLs under it and
    root-relative paths under its path are internal links.
    """
    base = _Base.parse(base_url)
    files = _files(site_dir)
    pages = {name: _parse(site_dir / name) for name in sorted(files) if name.endswith(".html")}
    checker = _Checker(base, files, pages)
    problems: set[LinkProblem] = set()
    for name, parsed in pages.items():
        for link in parsed.links:
            reason = checker.check(name, link)
            if reason:
                problems.add(LinkProblem(name, link, reason))
    problems.update(_check_sitemap(site_dir, checker))
    return sorted(problems)


# -- parsing ---------------------------------------------------------------------------------


@dataclass
class _Page:
    """What the checker needs of one HTML file."""

    ids: set[str] = field(default_factory=set)
    links: list[str] = field(default_factory=list)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = _Page()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = LINK_ATTRIBUTES.get(tag)
        for name, value in attrs:
            if value is None:
                continue
            # `<a name>` is the pre-HTML5 way to make a fragment target, and browsers still honour it.
            if name == "id" or (name == "name" and tag == "a"):
                self.page.ids.add(value)
            elif name == wanted:
                self.page.links.append(value)


def _parse(path: Path) -> _Page:
    collector = _Collector()
    collector.feed(path.read_bytes().decode("utf-8", errors="replace"))
    collector.close()
    return collector.page


def _files(site_dir: Path) -> set[str]:
    # os.walk lists names without a stat per file, which matters on sites of thousands of pages.
    found: set[str] = set()
    for folder, _, names in os.walk(site_dir):
        prefix = Path(folder).relative_to(site_dir).as_posix()
        found.update(name if prefix == "." else f"{prefix}/{name}" for name in names)
    return found


# -- resolving -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Base:
    """The published address, split into the parts that decide whether a URL is internal."""

    url: str  # ends in '/', or '' when unknown
    scheme: str
    host: str
    port: int | None
    path: str  # ends in '/'

    @classmethod
    def parse(cls, base_url: str) -> _Base:
        if not base_url:
            return cls("", "https", "", None, "/")
        parts = urlsplit(base_url)
        path = parts.path or "/"
        path = path if path.endswith("/") else path + "/"
        url = base_url if base_url.endswith("/") else base_url + "/"
        return cls(url, parts.scheme.lower(), parts.hostname or "", _port(parts), path)

    def rest(self, path: str) -> str | None:
        """The part of an absolute path below the base path; None when it is not below."""
        if path.startswith(self.path):
            return path[len(self.path) :]
        return "" if path + "/" == self.path else None


def _port(parts: SplitResult) -> int | None:
    port = parts.port  # raises ValueError when it is not a number in range
    return port if port is not None else {"http": 80, "https": 443}.get(parts.scheme.lower())


class _Checker:
    def __init__(self, base: _Base, files: set[str], pages: dict[str, _Page]) -> None:
        self.base = base
        self.files = files
        self.pages = pages

    def check(self, page: str, link: str) -> str:
        """Why `link` in `page` is broken, or '' when it is fine."""
        cleaned = _TAB_OR_NEWLINE.sub("", link).strip(_C0_AND_SPACE)
        try:
            parts = urlsplit(cleaned)
            scheme = parts.scheme.lower()
            if not scheme and cleaned.startswith("//"):
                # '//host/path' takes the scheme of the page, which is the base URL's.
                parts = urlsplit(f"{self.base.scheme}:{cleaned}")
                scheme = self.base.scheme
            if scheme in ("http", "https"):
                return self._check_http(parts)
            if scheme == "mailto":
                return "" if _valid_mailto(parts.path) else MALFORMED
            if scheme:
                return UNSAFE
            return self._check_relative(page, parts)
        except ValueError:
            return MALFORMED

    def _check_http(self, parts: SplitResult) -> str:
        if not parts.hostname or not _valid_host(parts.hostname, bracketed="[" in parts.netloc):
            return MALFORMED
        rest = self.internal_rest(parts)
        # Not fetched: an external link is only checked for its form.
        return "" if rest is None else self._check_target(_walk([], rest), parts.fragment)

    def internal_rest(self, parts: SplitResult) -> str | None:
        """The path below the base of an absolute http(s) URL; None when the URL is external.

        Another path on the same host is another site (a sibling GitHub Pages project).
        """
        base = self.base
        origin = (parts.scheme.lower(), parts.hostname, _port(parts))
        if not base.url or origin != (base.scheme, base.host, base.port):
            return None
        return base.rest(parts.path or "/")

    def _check_relative(self, page: str, parts: SplitResult) -> str:
        if not parts.path:
            # '#x', '?q' and '' all stay on the page, at whatever address it was served.
            return self._check_target(page, parts.fragment)
        if parts.path.startswith("/"):
            rest = self.base.rest(parts.path)
            if rest is None:
                return LEAVES
            return self._check_target(_walk([], rest), parts.fragment)
        if page == NOT_FOUND_PAGE:
            # The host serves 404.html in place of any missing page, at any depth.
            return RELATIVE_IN_404
        return self._check_target(_walk(page.split("/")[:-1], parts.path), parts.fragment)

    def _check_target(self, target: str | None, fragment: str) -> str:
        """`target` is a page's file, or a site path ('' or ending in '/' for a folder)."""
        if target is None:
            return LEAVES
        file = self.file_of(target)
        if file is None:
            return NO_SUCH_PAGE
        anchor = fragment.split(":~:", 1)[0]  # a text directive needs no element
        if not anchor or file not in self.pages:
            return ""
        ids = self.pages[file].ids
        decoded = unquote(anchor)
        # Browsers try the fragment as written, then decoded, then scroll to the top for 'top'.
        if anchor in ids or decoded in ids or decoded.lower() == "top":
            return ""
        return f"no element with id {decoded!r} in {file}"

    def file_of(self, site_path: str) -> str | None:
        """The file that serves a site path, or None when there is none."""
        if site_path == "" or site_path.endswith("/"):
            index = site_path + "index.html"
            return index if index in self.files else None
        if site_path in self.files:
            return site_path
        # Servers redirect 'folder' to 'folder/' when it holds an index.
        index = site_path + "/index.html"
        return index if index in self.files else None


def _walk(folder: list[str], path: str) -> str | None:
    """The site path of a relative `path` taken from `folder`; None when it climbs above the root."""
    here = list(folder)
    segments = path.split("/")
    name = ""
    for index, raw in enumerate(segments):
        # An encoded '/' is part of a name on the server, never a separator.
        segment = raw if "%2f" in raw.lower() else unquote(raw)
        if segment == "..":
            if not here:
                return None
            here.pop()
        elif segment != ".":
            if index == len(segments) - 1:
                name = segment
            else:
                here.append(segment)
    return "".join(f"{part}/" for part in here) + name


def _valid_host(host: str, bracketed: bool = False) -> bool:
    if bracketed:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return False
        return True
    labels = host[:-1].split(".") if host.endswith(".") else host.split(".")
    # Letters of any script, for internationalised names written as such.
    return all(label and all(c.isalnum() or c in "-_" for c in label) for label in labels)


def _valid_mailto(path: str) -> bool:
    addresses = [unquote(address).strip() for address in path.split(",")]
    return all(
        local and domain and _valid_host(domain)
        for local, _, domain in (address.rpartition("@") for address in addresses)
    )


# -- sitemap ---------------------------------------------------------------------------------


def _check_sitemap(site_dir: Path, checker: _Checker) -> list[LinkProblem]:
    """Every page listed once at its pretty address, and nothing else listed."""
    if SITEMAP not in checker.files:
        return [LinkProblem(SITEMAP, "", "missing")]
    try:
        root = ET.parse(site_dir / SITEMAP).getroot()
    except ET.ParseError as error:
        return [LinkProblem(SITEMAP, "", f"not well-formed XML: {error}")]
    if root.tag != f"{{{SITEMAP_NS}}}urlset":
        return [LinkProblem(SITEMAP, "", f"the root element is not <urlset> in the namespace {SITEMAP_NS}")]
    pages = {name for name in checker.pages if name != NOT_FOUND_PAGE}
    problems = []
    listed: set[str] = set()
    for loc in root.iterfind(f"{{{SITEMAP_NS}}}url/{{{SITEMAP_NS}}}loc"):
        url = (loc.text or "").strip()
        file = _sitemap_file(url, checker)
        if file is None or file not in pages:
            problems.append(LinkProblem(SITEMAP, url, NO_SUCH_PAGE))
            continue
        expected = _page_url(checker.base, file)
        if url != expected:
            problems.append(LinkProblem(SITEMAP, url, f"not the page's address {expected}"))
        if file in listed:
            problems.append(LinkProblem(SITEMAP, url, "listed twice"))
        listed.add(file)
    problems += [
        LinkProblem(SITEMAP, _page_url(checker.base, page), "page not in the sitemap")
        for page in sorted(pages - listed)
    ]
    return problems


def _sitemap_file(url: str, checker: _Checker) -> str | None:
    """The page a sitemap entry names, read as a link on the home page; None when it names none."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme:
        try:
            rest = checker.internal_rest(parts)
        except ValueError:  # a port out of range
            return None
    else:
        rest = checker.base.rest(parts.path) if parts.path.startswith("/") else parts.path
    site_path = None if rest is None else _walk([], rest)
    return None if site_path is None else checker.file_of(site_path)


def _page_url(base: _Base, file: str) -> str:
    """The published address of a page: its folder for an index.html."""
    if file == "index.html":
        return base.url
    return base.url + (file[: -len("index.html")] if file.endswith("/index.html") else file)
