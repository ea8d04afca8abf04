"""Shared fixtures of the end-to-end tests: the real content, built once per session.

The site is built with the library (`load_config` + `build`) into temporary folders, never
into the project's own `site/`. Pages are parsed with html5lib into `Page` objects that
know their ids and links, so tests can follow links the way a browser would.
"""

from __future__ import annotations

import os
import posixpath
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import html5lib
import pytest
import yaml
from playwright.sync_api import Browser, expect, sync_playwright

from generator.build import BuildResult, build
from generator.config import Config, SiteConfig, load_config

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "config.yaml"
CONTENT = ROOT / "content"
SUBPATH_BASE_URL = "https://example.org/repo/"

#: YAML folders of content/ and the page section each kind is published under.
KINDS = {"summits": "summits", "proposals": "proposals", "stakeholders": "stakeholders", "sources": "sources"}


# -- building ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Built:
    """A built site: its folder and the build's report."""

    out: Path
    result: BuildResult


def build_into(out: Path, base_url: str | None = None, content_dir: Path | None = None) -> Built:
    """Build the project (its config.yaml and templates) into `out`."""
    config = load_config(CONFIG, content_dir=content_dir, output_dir=out, base_url=base_url)
    return Built(out, build(config))


def fixture_config(content: Path, out: Path) -> Config:
    """The configuration of a fixture folder that holds content directly, with the
    project's templates, building into `out`."""
    return Config(
        site=SiteConfig(title="Test briefing", description="Fixture"),
        root=content,
        config_file=content / "config.yaml",
        content_dir=content,
        output_dir=out,
        templates_dir=ROOT / "templates",
    )


# -- the browser ------------------------------------------------------------------------------

#: Debian's Chromium, driven by Playwright (which never downloads a browser here).
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
#: The most a browser assertion may wait for its condition (Playwright's own default for
#: `expect` is 5 s, too short on a busy machine). An upper bound, not a sleep: `expect`
#: returns as soon as the condition holds, and still fails at the deadline when it never does.
BROWSER_WAIT_MS = 60_000
expect.set_options(timeout=BROWSER_WAIT_MS)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI: {CHROMIUM} is missing; the CI image must provide Debian's chromium package")
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (`sudo apt-get install chromium`)")
    with sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=2 * BROWSER_WAIT_MS
        )
        try:
            yield launched
        finally:
            launched.close()


def copy_project(root: Path) -> Path:
    """A copy of the project's inputs (content, templates, config.yaml) at `root`."""
    root.mkdir(parents=True)
    for folder in ("content", "templates"):
        shutil.copytree(ROOT / folder, root / folder)
    shutil.copy(CONFIG, root / "config.yaml")
    return root


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """A fresh copy of the project to edit; the real content/ is never touched."""
    return copy_project(tmp_path / "project")


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The real content, built once for the whole session (read-only for tests)."""
    return build_into(tmp_path_factory.mktemp("build") / "site")


@pytest.fixture(scope="session")
def site_dir(built: Built) -> Path:
    return built.out


@pytest.fixture(scope="session")
def subpath_site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real content built for publication under https://example.org/repo/."""
    return build_into(tmp_path_factory.mktemp("subpath") / "site", base_url=SUBPATH_BASE_URL).out


#: The search bundle Pagefind writes: its filter and metadata chunks are named by hashes
#: that change from run to run (an upstream limitation), so byte-for-byte comparisons of
#: builds leave it out; the search tests check it on their own.
SEARCH_BUNDLE = "pagefind/"


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below `folder` (hidden ones included, the search bundle not) by relative
    path, with its bytes."""
    files = {
        path.relative_to(folder).as_posix(): path for path in sorted(folder.rglob("*")) if path.is_file()
    }
    return {name: path.read_bytes() for name, path in files.items() if not name.startswith(SEARCH_BUNDLE)}


# -- content -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Content:
    """The YAML of content/, parsed with plain PyYAML (independently of the generator)."""

    summits: dict[str, dict[str, Any]]
    proposals: dict[str, dict[str, Any]]
    stakeholders: dict[str, dict[str, Any]]
    sources: dict[str, dict[str, Any]]
    files: dict[tuple[str, str], Path]  # (folder, id) → YAML file

    def group(self, folder: str) -> dict[str, dict[str, Any]]:
        return getattr(self, folder)

    def summaries(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """(folder, id, data) of every summit, proposal and stakeholder."""
        for folder in ("summits", "proposals", "stakeholders"):
            for ident, data in self.group(folder).items():
                yield folder, ident, data


def load_yaml_folder(folder: Path) -> dict[str, tuple[Path, dict[str, Any]]]:
    found = {}
    for path in sorted(folder.glob("*.y*ml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        found[data["id"]] = (path, data)
    return found


@pytest.fixture(scope="session")
def content() -> Content:
    groups: dict[str, dict[str, dict[str, Any]]] = {}
    files: dict[tuple[str, str], Path] = {}
    for folder in KINDS:
        loaded = load_yaml_folder(CONTENT / folder)
        groups[folder] = {ident: data for ident, (_, data) in loaded.items()}
        files.update({(folder, ident): path for ident, (path, _) in loaded.items()})
    return Content(files=files, **groups)


def claims(data: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every claim of a summary file with the element id it gets on its page.

    A claim is an item with `text` in a list field: `key_outcomes[1]` → `key-outcomes-2`.
    """
    for key, value in data.items():
        if isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, dict) and "text" in item:
                    yield f"{key.replace('_', '-')}-{index + 1}", item


def page_file(folder: str, ident: str | None = None) -> str:
    """Site-relative file of an entity page, or of a section index without `ident`."""
    return f"{folder}/{ident}/index.html" if ident else f"{folder}/index.html"


# -- pages -------------------------------------------------------------------------------


def is_external(href: str) -> bool:
    return urlsplit(href).scheme.lower() in ("http", "https", "mailto")


def strip_text_directive(fragment: str) -> str:
    """'anchor:~:text=a,b' → 'anchor' (the part a browser scrolls to)."""
    return fragment.split(":~:", 1)[0]


@dataclass(frozen=True)
class Target:
    """Where an internal link leads: a site-relative file and an element id ('' for none)."""

    file: str
    fragment: str
    directive: str  # the ':~:text=...' part, without ':~:'


@dataclass
class Page:
    """One built HTML page, parsed."""

    file: str  # site-relative, e.g. 'summits/hanoi-2019/index.html'
    source: str
    root: ET.Element
    _parents: dict[ET.Element, ET.Element] = field(default_factory=dict, repr=False)

    @classmethod
    def parse(cls, site: Path, file: str) -> Page:
        source = (site / file).read_text(encoding="utf-8")
        root = html5lib.parse(source, treebuilder="etree", namespaceHTMLElements=False)
        page = cls(file, source, root)
        page._parents = {child: parent for parent in root.iter() for child in parent}
        return page

    @cached_property
    def ids(self) -> dict[str, ET.Element]:
        return {el.get("id"): el for el in self.root.iter() if el.get("id") is not None}

    def by_id(self, ident: str) -> ET.Element:
        assert ident in self.ids, f"{self.file}: no element with id={ident!r}"
        return self.ids[ident]

    def parent(self, element: ET.Element) -> ET.Element | None:
        return self._parents.get(element)

    def ancestors(self, element: ET.Element) -> Iterator[ET.Element]:
        current = self.parent(element)
        while current is not None:
            yield current
            current = self.parent(current)

    def section(self, heading_id: str) -> ET.Element:
        """The <section> whose heading has id `heading_id` (e.g. 'sources')."""
        heading = self.by_id(heading_id)
        parent = self.parent(heading)
        assert parent is not None and parent.tag == "section", f"{self.file}: #{heading_id} not in a section"
        return parent

    def hrefs(self, within: ET.Element | None = None) -> list[str]:
        return [
            el.get("href", "")
            for el in (within if within is not None else self.root).iter()
            if "href" in el.attrib
        ]

    def anchors(self, within: ET.Element | None = None, css_class: str | None = None) -> list[ET.Element]:
        scope = within if within is not None else self.root
        return [
            el
            for el in scope.iter("a")
            if "href" in el.attrib and (css_class is None or css_class in el.get("class", "").split())
        ]

    def resolve(self, href: str) -> Target:
        """The file and fragment an internal, relative href leads to."""
        parts = urlsplit(href)
        assert not parts.scheme and not parts.netloc, f"{self.file}: {href!r} is not internal"
        path = unquote(parts.path)
        fragment = unquote(parts.fragment)
        directive = fragment.split(":~:", 1)[1] if ":~:" in fragment else ""
        if not path:
            file = self.file
        else:
            base = "" if path.startswith("/") else posixpath.dirname(self.file)
            joined = posixpath.normpath(posixpath.join(base, path.lstrip("/")))
            assert not joined.startswith(".."), f"{self.file}: {href!r} leaves the site"
            joined = "" if joined == "." else joined
            if path.endswith("/") or joined == "":
                joined = posixpath.join(joined, "index.html")
            file = joined
        return Target(file, strip_text_directive(fragment), directive)

    def links_to(self, within: ET.Element | None, file: str) -> list[ET.Element]:
        """Links (relative) in `within` whose target is the page `file`."""
        return [
            a
            for a in self.anchors(within)
            if not is_external(a.get("href", "")) and self.resolve(a.get("href", "")).file == file
        ]


def text_of(element: ET.Element) -> str:
    return " ".join("".join(element.itertext()).split())


class Site:
    """The parsed pages of a built site, parsed lazily and cached."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._pages: dict[str, Page] = {}

    @cached_property
    def html_files(self) -> list[str]:
        return sorted(p.relative_to(self.folder).as_posix() for p in self.folder.rglob("*.html"))

    def page(self, file: str) -> Page:
        assert (self.folder / file).is_file(), f"page {file} was not built"
        if file not in self._pages:
            self._pages[file] = Page.parse(self.folder, file)
        return self._pages[file]

    def pages(self) -> Iterator[Page]:
        for file in self.html_files:
            yield self.page(file)


@pytest.fixture(scope="session")
def site(site_dir: Path) -> Site:
    return Site(site_dir)


@pytest.fixture(scope="session")
def subpath_site(subpath_site_dir: Path) -> Site:
    return Site(subpath_site_dir)
