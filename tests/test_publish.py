"""The publishing side: the site as GitHub Pages serves it under a sub-path, the Atom feed,
the sitemap, robots.txt, CNAME, head tags for crawlers and the Pages workflow.

The sub-path build is served by a small local server that behaves like GitHub Pages for a
project site: only `/repo/...` maps to files, folders redirect to their slash form, and
every missing path answers 404 with the body of `404.html`.
"""

from __future__ import annotations

import datetime as dt
import http.server
import mimetypes
import re
import shlex
import subprocess
import sys
import threading
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import html5lib
import pytest
import yaml
from conftest import SUBPATH_BASE_URL, build_into, copy_project, snapshot

from generator.build import build
from generator.config import load_config

ROOT = Path(__file__).resolve().parents[1]
BASE = SUBPATH_BASE_URL  # https://example.org/repo/
BASE_PATH = urlsplit(BASE).path  # /repo/
ORIGIN = urljoin(BASE, "/")  # https://example.org/
ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
SUMMARY_FOLDERS = ("summits", "proposals", "stakeholders")
CONTENT_FOLDERS = (*SUMMARY_FOLDERS, "sources")

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "application/javascript; charset=utf-8",
    ".xml": "application/xml",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json",
}


# -- the build -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def published_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real content, built for publication under https://example.org/repo/."""
    return build_into(tmp_path_factory.mktemp("publish") / "site", base_url=BASE).out


def html_files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.html"))


def parse_html(data: bytes | str) -> ET.Element:
    return html5lib.parse(data, treebuilder="etree", namespaceHTMLElements=False)


def ids_of(root: ET.Element) -> set[str]:
    return {el.get("id", "") for el in root.iter() if el.get("id") is not None}


def url_attributes(root: ET.Element) -> list[str]:
    """Every href and src of a page."""
    return [el.get(name, "") for el in root.iter() for name in ("href", "src") if name in el.attrib]


def pretty_url(file: str) -> str:
    """The published URL of an output page: 'summits/x/index.html' → BASE + 'summits/x/'."""
    return BASE + file.removesuffix("index.html")


# -- a local GitHub Pages ------------------------------------------------------------------


def make_handler(root: Path, prefix: str) -> type[http.server.BaseHTTPRequestHandler]:
    not_found = (root / "404.html").read_bytes()

    class PagesHandler(http.server.BaseHTTPRequestHandler):
        """Serves `root` at `prefix` the way GitHub Pages serves a project site."""

        def do_GET(self) -> None:
            self.respond(body=True)

        def do_HEAD(self) -> None:
            self.respond(body=False)

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def respond(self, body: bool) -> None:
            parts = urlsplit(self.path)
            path = unquote(parts.path)
            if path == prefix.rstrip("/"):
                return self.redirect(prefix, parts.query)
            if not path.startswith(prefix):
                return self.missing(body)
            segments = path[len(prefix) :].split("/")
            if any(seg in (".", "..") or "\\" in seg or "\0" in seg for seg in segments):
                return self.missing(body)
            target = root.joinpath(*[seg for seg in segments if seg])
            if target.is_dir():
                if not path.endswith("/"):
                    return self.redirect(parts.path + "/", parts.query)
                target = target / "index.html"
            if not target.is_file():
                return self.missing(body)
            data = target.read_bytes()
            kind = CONTENT_TYPES.get(target.suffix) or mimetypes.guess_type(target.name)[0]
            self.send(200, kind or "application/octet-stream", data, body)
            return None

        def redirect(self, location: str, query: str) -> None:
            self.send_response(301)
            self.send_header("Location", location + (f"?{query}" if query else ""))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def missing(self, body: bool) -> None:
            self.send(404, CONTENT_TYPES[".html"], not_found, body)

        def send(self, status: int, kind: str, data: bytes, body: bool) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if body:
                self.wfile.write(data)

    return PagesHandler


@dataclass(frozen=True)
class Response:
    status: int
    url: str  # after redirects
    content_type: str
    body: bytes

    @cached_property
    def html(self) -> ET.Element | None:
        return parse_html(self.body) if self.content_type == "text/html" else None

    @cached_property
    def ids(self) -> set[str]:
        return ids_of(self.html) if self.html is not None else set()


@dataclass
class Pages:
    """The local server: its address and a client that follows redirects, without proxies."""

    origin: str  # http://127.0.0.1:PORT/

    @property
    def base(self) -> str:
        return self.origin + BASE_PATH.lstrip("/")

    def fetch(self, url: str) -> Response:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(url, timeout=10) as reply:
                return Response(reply.status, reply.geturl(), reply.headers.get_content_type(), reply.read())
        except urllib.error.HTTPError as error:
            with error:
                return Response(error.code, error.geturl(), error.headers.get_content_type(), error.read())

    def localize(self, url: str) -> str | None:
        """`url` on the local server, or None for a URL elsewhere (never followed)."""
        if url.startswith(ORIGIN):
            return self.origin + url[len(ORIGIN) :]
        parts = urlsplit(url)
        if parts.scheme == "http" and f"http://{parts.netloc}/" == self.origin:
            return url
        return None


@pytest.fixture(scope="module")
def pages(published_dir: Path) -> Iterator[Pages]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make_handler(published_dir, BASE_PATH))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield Pages(f"http://{host}:{port}/")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def scroll_target(fragment: str) -> str:
    """The element id a fragment scrolls to: 'p-3:~:text=a,b' → 'p-3'; ':~:text=a' → ''."""
    return unquote(fragment).split(":~:", 1)[0]


def file_of(pages: Pages, url: str) -> str:
    """The output file a local URL under the base path serves."""
    path = unquote(urlsplit(url).path)
    assert path.startswith(BASE_PATH), url
    rel = path[len(BASE_PATH) :]
    return rel + "index.html" if rel == "" or rel.endswith("/") else rel


# -- 1. crawl ------------------------------------------------------------------------------


def test_the_pages_emulation_behaves_like_github_pages(pages: Pages, published_dir: Path) -> None:
    home = pages.fetch(pages.base)
    assert (home.status, home.content_type) == (200, "text/html")
    assert home.body == (published_dir / "index.html").read_bytes()
    folder = pages.fetch(pages.base + "summits")
    assert (folder.status, folder.url) == (200, pages.base + "summits/")
    assert pages.fetch(pages.origin + "repo").url == pages.base
    outside = pages.fetch(pages.origin + "index.html")  # the site exists only under /repo/
    assert outside.status == 404
    assert outside.body == (published_dir / "404.html").read_bytes()


def test_crawl_from_the_sub_path_reaches_every_page_and_every_fragment(
    pages: Pages, published_dir: Path
) -> None:
    fetched: dict[str, Response] = {}
    links: list[tuple[str, str, str]] = []  # (page URL, attribute value, local absolute URL)
    queue = [pages.base]
    while queue:
        url = queue.pop()
        if url in fetched:
            continue
        response = fetched[url] = pages.fetch(url)
        if response.status != 200 or response.html is None:
            continue
        for value in url_attributes(response.html):
            target = pages.localize(urljoin(response.url, value))
            if target is None:
                continue
            links.append((response.url, value, target))
            queue.append(urldefrag(target).url)

    problems = []
    for page, value, target in links:
        response = fetched[urldefrag(target).url]
        if response.status != 200:
            problems.append(f"{page}: {value!r} → {response.status}")
            continue
        ident = scroll_target(urldefrag(target).fragment)
        if ident and ident not in response.ids:
            problems.append(f"{page}: {value!r} → no element with id={ident!r} in {response.url}")
    assert not problems, f"{len(problems)} broken links:\n" + "\n".join(problems[:30])
    assert len(links) > 100  # the crawl did follow the site's links

    reached = {
        file_of(pages, r.url) for r in fetched.values() if r.status == 200 and r.content_type == "text/html"
    }
    expected = set(html_files(published_dir)) - {"404.html"}
    assert expected - reached == set(), "pages the crawl from the home page never reached"
    assert reached <= expected
    for name in ("sitemap.xml", "feed.xml", "robots.txt", "static/style.css"):
        assert pages.fetch(pages.base + name).status == 200, name


def test_every_sitemap_and_feed_url_answers_on_the_server(pages: Pages) -> None:
    sitemap = ET.fromstring(pages.fetch(pages.base + "sitemap.xml").body)
    feed = ET.fromstring(pages.fetch(pages.base + "feed.xml").body)
    urls = [loc.text or "" for loc in sitemap.iter(f"{SITEMAP_NS}loc")]
    urls += [link.get("href", "") for link in feed.iter(f"{ATOM}link")]
    assert len(urls) > 40
    for url in urls:
        local = pages.localize(url)
        assert local is not None, f"{url} is not under {ORIGIN}"
        response = pages.fetch(local)
        assert response.status == 200, f"{url} → {response.status}"


# -- 2. 404 at depth -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "missing",
    [
        "repo/a/b/c/missing/",
        "repo/summits/nope/",
        "repo/summits/hanoi-2019/extra/deeper.html",
        "repo/no-such-page",
        "elsewhere/x/y/",
    ],
)
def test_the_404_page_works_at_any_depth(pages: Pages, published_dir: Path, missing: str) -> None:
    url = pages.origin + missing
    response = pages.fetch(url)
    assert response.status == 404
    assert response.content_type == "text/html"
    assert response.body == (published_dir / "404.html").read_bytes()
    assert response.html is not None
    stylesheets = [
        link.get("href", "")
        for link in response.html.iter("link")
        if "stylesheet" in link.get("rel", "").split()
    ]
    assert len(stylesheets) == 2  # the search box's and the site's
    for stylesheet in stylesheets:
        style = pages.fetch(urljoin(url, stylesheet))
        assert style.status == 200, f"stylesheet {stylesheet!r} at {url} → {style.status}"
        assert style.content_type == "text/css"
        assert style.body.strip()

    values = url_attributes(response.html)
    assert len(values) >= 6  # stylesheet, feed, home, four sections
    for value in values:
        target = urljoin(url, value)
        ident = scroll_target(urldefrag(target).fragment)
        if urldefrag(target).url == url:  # same document: the 404 page itself
            assert ident in response.ids, f"404 page: {value!r} → no id {ident!r}"
            continue
        local = pages.localize(target)
        if local is None:
            continue
        answer = pages.fetch(urldefrag(local).url)
        assert answer.status == 200, f"404 page at {missing}: {value!r} → {local} → {answer.status}"
        assert not ident or ident in answer.ids, f"404 page: {value!r} → no id {ident!r}"


# -- 3. feed -------------------------------------------------------------------------------


def content_dates(content_dir: Path) -> dict[str, dt.date]:
    """Page URL → the date its feed entry should carry, read from the YAML with PyYAML."""
    dates = {}
    for folder in CONTENT_FOLDERS:
        for path in sorted((content_dir / folder).glob("*.y*ml")):
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            when = data.get("updated")
            if folder == "summits":
                when = when or data.get("end") or data.get("start")
            if folder == "sources":
                when = when or data.get("date")
            if when is not None:
                assert isinstance(when, dt.date), f"{path}: {when!r}"
                dates[f"{BASE}{folder}/{data['id']}/"] = when
    return dates


def atom_time(element: ET.Element | None) -> dt.datetime:
    assert element is not None and element.text
    moment = dt.datetime.fromisoformat(element.text.strip().replace("Z", "+00:00"))
    assert moment.tzinfo is not None, f"{element.text} has no time zone"
    return moment


def links_of(element: ET.Element) -> dict[str, str]:
    """rel → href of an Atom element's links (a link without rel is 'alternate')."""
    found: dict[str, str] = {}
    for link in element.findall(f"{ATOM}link"):
        rel = link.get("rel", "alternate")
        assert rel not in found, f"two {rel} links"
        found[rel] = link.get("href", "")
    return found


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    updated: dt.datetime
    link: str


def parse_feed(data: bytes) -> tuple[ET.Element, list[Entry]]:
    root = ET.fromstring(data)
    assert root.tag == f"{ATOM}feed"
    entries = []
    for item in root.findall(f"{ATOM}entry"):
        ident, title = item.findtext(f"{ATOM}id"), item.findtext(f"{ATOM}title")
        assert ident and ident.strip(), "entry without id"
        assert title and title.strip(), f"{ident}: entry without title"
        links = links_of(item)
        assert "alternate" in links, f"{ident}: no alternate link"
        entries.append(
            Entry(ident.strip(), title.strip(), atom_time(item.find(f"{ATOM}updated")), links["alternate"])
        )
    return root, entries


def test_the_feed_is_atom_with_absolute_urls_under_the_base_url(published_dir: Path) -> None:
    root, entries = parse_feed((published_dir / "feed.xml").read_bytes())
    assert (root.findtext(f"{ATOM}id") or "").strip() == BASE
    assert (root.findtext(f"{ATOM}title") or "").strip()
    links = links_of(root)
    assert links.get("self") == BASE + "feed.xml"
    assert links.get("alternate") == BASE
    assert entries
    assert atom_time(root.find(f"{ATOM}updated")) == max(e.updated for e in entries)
    assert len({e.id for e in entries}) == len(entries), "entry ids are not unique"
    for entry in entries:
        for url in (entry.id, entry.link):
            assert url.startswith(BASE), f"{entry.title}: {url} is not under {BASE}"
        rel = entry.link[len(BASE) :]
        assert rel.endswith("/") and (published_dir / rel / "index.html").is_file(), (
            f"{entry.link}: no such page"
        )


def test_feed_entries_are_the_dated_content_newest_first(published_dir: Path) -> None:
    _, entries = parse_feed((published_dir / "feed.xml").read_bytes())
    expected = content_dates(ROOT / "content")
    assert expected, "the content has no dates at all"
    assert {e.link: e.updated.date() for e in entries} == expected
    assert len(entries) == len(expected)
    times = [e.updated for e in entries]
    assert times == sorted(times, reverse=True), "entries are not newest first"


def test_feed_dates_come_from_the_content_not_the_clock(tmp_path: Path, published_dir: Path) -> None:
    original = (published_dir / "feed.xml").read_bytes()
    again = build_into(tmp_path / "again", base_url=BASE).out
    assert (again / "feed.xml").read_bytes() == original, "two builds give different feeds"

    _, entries = parse_feed(original)
    summaries = [e for e in entries if e.link[len(BASE) :].split("/")[0] in SUMMARY_FOLDERS]
    moved = summaries[-1]  # the summary the feed lists last
    assert entries[0].link != moved.link
    later = max(e.updated for e in entries).date() + dt.timedelta(days=45)

    project = copy_project(tmp_path / "project")
    folder, ident = moved.link[len(BASE) :].strip("/").split("/")
    [path] = [
        p
        for p in (project / "content" / folder).glob("*.y*ml")
        if yaml.safe_load(p.read_text())["id"] == ident
    ]
    text, count = re.subn(
        r"(?m)^updated:.*$", f"updated: {later.isoformat()}", path.read_text(encoding="utf-8")
    )
    if count == 0:
        text = text.rstrip("\n") + f"\nupdated: {later.isoformat()}\n"
    path.write_text(text, encoding="utf-8")

    changed = build_into(tmp_path / "changed", base_url=BASE, content_dir=project / "content").out
    root, new_entries = parse_feed((changed / "feed.xml").read_bytes())
    assert new_entries[0].link == moved.link, "the entry updated last is not first"
    assert new_entries[0].updated.date() == later
    assert atom_time(root.find(f"{ATOM}updated")).date() == later
    assert {e.link for e in new_entries} == {e.link for e in entries}
    assert {e.link: e.updated for e in new_entries if e.link != moved.link} == {
        e.link: e.updated for e in entries if e.link != moved.link
    }


# -- 4. sitemap, robots, .nojekyll, CNAME --------------------------------------------------


def test_the_sitemap_lists_exactly_the_pages(published_dir: Path) -> None:
    root = ET.parse(published_dir / "sitemap.xml").getroot()
    assert root.tag == f"{SITEMAP_NS}urlset"
    assert all(child.tag == f"{SITEMAP_NS}url" for child in root)
    locs = [(url.findtext(f"{SITEMAP_NS}loc") or "").strip() for url in root]
    assert len(locs) == len(set(locs)), "a URL is listed twice"
    pages = [f for f in html_files(published_dir) if f == "index.html" or f.endswith("/index.html")]
    assert set(locs) == {pretty_url(f) for f in pages}
    assert BASE in locs
    assert not any("404" in loc for loc in locs)
    assert set(html_files(published_dir)) - set(pages) == {"404.html"}


def test_robots_txt_points_at_the_sitemap_and_nojekyll_exists(published_dir: Path) -> None:
    lines = (published_dir / "robots.txt").read_text(encoding="utf-8").splitlines()
    sitemaps = [line.split(":", 1)[1].strip() for line in lines if line.lower().startswith("sitemap:")]
    assert sitemaps == [BASE + "sitemap.xml"]
    assert any(line.lower().startswith("user-agent:") for line in lines)
    assert (published_dir / ".nojekyll").is_file()


def build_copy_with_cname(tmp_path: Path, cname: str | None) -> Path:
    project = copy_project(tmp_path / "project")
    config = project / "config.yaml"
    text = re.sub(r"(?m)^cname:.*\n", "", config.read_text(encoding="utf-8"))
    if cname:
        text = text.rstrip("\n") + f"\ncname: {cname}\n"
    config.write_text(text, encoding="utf-8")
    out = tmp_path / "site"
    build(load_config(config, output_dir=out, base_url=BASE))
    return out


def test_cname_is_written_only_when_configured(tmp_path: Path) -> None:
    with_cname = build_copy_with_cname(tmp_path / "with", "briefing.example.org")
    assert (with_cname / "CNAME").read_text(encoding="utf-8").strip() == "briefing.example.org"
    without = build_copy_with_cname(tmp_path / "without", None)
    assert (without / "index.html").is_file()
    assert not (without / "CNAME").exists()
    files = set(snapshot(with_cname)) - set(snapshot(without))
    assert files == {"CNAME"}


# -- 5. head tags --------------------------------------------------------------------------


def head_tags(root: ET.Element) -> tuple[list[ET.Element], dict[str, list[str]]]:
    links = list(root.iter("link"))
    meta: dict[str, list[str]] = {}
    for tag in root.iter("meta"):
        key = tag.get("property") or tag.get("name")
        if key:
            meta.setdefault(key, []).append(tag.get("content", ""))
    return links, meta


def with_rel(links: list[ET.Element], rel: str) -> list[ET.Element]:
    return [link for link in links if rel in link.get("rel", "").lower().split()]


def test_every_page_has_canonical_social_and_feed_tags(published_dir: Path) -> None:
    files = [f for f in html_files(published_dir) if f != "404.html"]
    assert len(files) > 30
    for file in files:
        links, meta = head_tags(parse_html((published_dir / file).read_bytes()))
        canonical = [link.get("href") for link in with_rel(links, "canonical")]
        assert canonical == [pretty_url(file)], f"{file}: canonical {canonical}"
        for key in ("og:title", "og:description", "og:type"):
            assert len(meta.get(key, [])) == 1 and meta[key][0].strip(), f"{file}: {key} {meta.get(key)}"
        assert meta.get("og:url") == canonical, f"{file}: og:url {meta.get('og:url')}"
        feeds = [link for link in with_rel(links, "alternate") if link.get("type") == "application/atom+xml"]
        assert len(feeds) == 1, f"{file}: {len(feeds)} Atom links"
        assert urljoin(canonical[0], feeds[0].get("href", "")) == BASE + "feed.xml", file
        assert "noindex" not in " ".join(meta.get("robots", [])), f"{file} is noindex"
    _, home = head_tags(parse_html((published_dir / "index.html").read_bytes()))
    assert home["og:type"] == ["website"]


def test_the_404_page_is_noindex_without_canonical(published_dir: Path) -> None:
    links, meta = head_tags(parse_html((published_dir / "404.html").read_bytes()))
    assert meta.get("robots") == ["noindex"]
    assert with_rel(links, "canonical") == []
    assert "og:url" not in meta


# -- 6. workflow ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    return yaml.safe_load((ROOT / ".github" / "workflows" / "pages.yml").read_text(encoding="utf-8"))


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job.get("steps", []) if str(s.get("uses", "")).split("@")[0] == action]


def job_with(workflow: dict[str, Any], action: str) -> tuple[str, dict[str, Any]]:
    found = [(name, job) for name, job in workflow["jobs"].items() if steps_using(job, action)]
    assert len(found) == 1, f"{action} is used in {len(found)} jobs"
    return found[0]


def run_step(job: dict[str, Any], command: str) -> dict[str, Any]:
    found = [s for s in job.get("steps", []) if command in str(s.get("run", ""))]
    assert len(found) == 1, f"{len(found)} steps run {command!r}"
    return found[0]


PAGES_BASE_URL = re.compile(r"\$\{\{\s*steps\.pages\.outputs\.base_url\s*\}\}")


def as_run_locally(run: str) -> list[str]:
    """A workflow `run` line with the Pages address as https://example.org/repo (no slash)."""
    return shlex.split(PAGES_BASE_URL.sub(BASE.rstrip("/"), run))


def test_the_workflow_builds_and_deploys_to_pages(workflow: dict[str, Any]) -> None:
    triggers = workflow.get("on", workflow.get(True))  # PyYAML reads the key `on` as True
    assert isinstance(triggers, dict)
    assert "main" in triggers["push"]["branches"]
    assert "workflow_dispatch" in triggers

    build_name, build_job = job_with(workflow, "actions/upload-pages-artifact")
    deploy_name, deploy_job = job_with(workflow, "actions/deploy-pages")
    assert build_name != deploy_name
    permissions = {**workflow.get("permissions", {}), **deploy_job.get("permissions", {})}
    assert permissions.get("pages") == "write"
    assert permissions.get("id-token") == "write"

    steps = build_job["steps"]
    for action in ("actions/checkout", "actions/setup-python", "actions/configure-pages"):
        assert len(steps_using(build_job, action)) == 1, f"build job does not use {action}"
    for step in steps + deploy_job["steps"]:
        if "uses" in step:
            assert "@" in step["uses"], f"{step['uses']} is not pinned to a version"
    [upload] = steps_using(build_job, "actions/upload-pages-artifact")
    assert upload["with"]["path"] == "site"
    [configure] = steps_using(build_job, "actions/configure-pages")
    assert configure.get("id") == "pages"

    build_step = run_step(build_job, "make build")
    assert re.search(r"BASE_URL=\"?" + PAGES_BASE_URL.pattern, build_step["run"]), build_step["run"]
    order = [
        steps.index(s) for s in (*steps_using(build_job, "actions/checkout"), configure, build_step, upload)
    ]
    assert order == sorted(order), "checkout, configure-pages, build and upload are out of order"
    assert steps.index(steps_using(build_job, "actions/setup-python")[0]) < steps.index(build_step)

    needs = deploy_job.get("needs", [])
    assert build_name in ([needs] if isinstance(needs, str) else needs)
    environment = deploy_job.get("environment")
    assert (environment.get("name") if isinstance(environment, dict) else environment) == "github-pages"


def test_the_readme_documents_the_build_and_publishing() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make build" in readme
    sections = re.split(r"(?m)^## ", readme)
    publish = [s for s in sections if s.startswith("Publish")]
    assert len(publish) == 1, "README has no 'Publish' section"
    assert "GitHub Actions" in publish[0]


def test_the_workflow_build_command_works_locally(workflow: dict[str, Any], tmp_path: Path) -> None:
    _, build_job = job_with(workflow, "actions/upload-pages-artifact")
    argv = as_run_locally(run_step(build_job, "make build")["run"])
    assert argv[:2] == ["make", "build"]
    # What make would run (a dry run: it creates nothing), then that command without the venv.
    dry = subprocess.run(["make", "-n", *argv[1:]], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert dry.returncode == 0, dry.stderr
    [line] = [line for line in dry.stdout.splitlines() if re.search(r"briefing build\b", line)]
    command = shlex.split(line)
    assert command[0].endswith("briefing") and command[1] == "build"
    assert "--base-url" in command and command[command.index("--base-url") + 1] == BASE
    out = tmp_path / "site"
    result = subprocess.run(
        [sys.executable, "-m", "generator", *command[1:], "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    links, _ = head_tags(parse_html((out / "index.html").read_bytes()))
    assert [link.get("href") for link in with_rel(links, "canonical")] == [BASE]
    assert (out / "feed.xml").is_file() and (out / "sitemap.xml").is_file()


def test_the_workflow_check_step_passes_on_the_build(workflow: dict[str, Any], published_dir: Path) -> None:
    _, build_job = job_with(workflow, "actions/upload-pages-artifact")
    argv = as_run_locally(run_step(build_job, "briefing check")["run"])
    assert argv[0].endswith("briefing") and argv[1] == "check"
    assert "--site" in argv and argv[argv.index("--site") + 1] == "site"
    argv[argv.index("--site") + 1] = str(published_dir)
    result = subprocess.run(
        [sys.executable, "-m", "generator", *argv[1:]], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
