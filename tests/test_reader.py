"""The reader's side in a real browser: search, citation previews, the comparison matrix,
accessibility (axe-core, light and dark), print and keyboard use.

The real content is built once for this module for publication under
https://example.org/repo/ and served at `/repo/` by a small local server that answers a
missing path with 404 and the body of `404.html`, as GitHub Pages does. Pagefind fetches
its index over http, so the pages are never opened from disk. The browser is Debian's
Chromium, driven by Playwright; a missing browser is a failure, never a skip.
"""

from __future__ import annotations

import contextlib
import http.server
import mimetypes
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from conftest import SUBPATH_BASE_URL, build_into
from playwright.sync_api import Browser, Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from generator.sourcetext import normalize

ROOT = Path(__file__).resolve().parents[1]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PREFIX = urlsplit(SUBPATH_BASE_URL).path  # /repo/
HANOI = "summits/hanoi-2019/"
SEARCH_KINDS = {"Summit", "Proposal", "Stakeholder", "Source", "Overview"}
#: The most search results, previews and navigations may take to show: an upper bound
#: for a busy machine (Pagefind loads its index and fragments over http, one by one), not
#: a wait, since every wait ends as soon as its condition holds.
WAIT_MS = 60_000


# -- the site, served under /repo/ -----------------------------------------------------------


def make_handler(root: Path) -> type[http.server.BaseHTTPRequestHandler]:
    not_found = (root / "404.html").read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        """Serves `root` at PREFIX; anything else, or missing, is 404 with 404.html."""

        def do_GET(self) -> None:
            path = unquote(urlsplit(self.path).path)
            if path == PREFIX.rstrip("/"):
                return self.send(301, "", b"", location=PREFIX)
            segments = path[len(PREFIX) :].split("/") if path.startswith(PREFIX) else [".."]
            if any(seg in (".", "..") or "\\" in seg or "\0" in seg for seg in segments):
                return self.send(404, "text/html; charset=utf-8", not_found)
            target = root.joinpath(*[seg for seg in segments if seg])
            if target.is_dir():
                if not path.endswith("/"):
                    return self.send(301, "", b"", location=path + "/")
                target = target / "index.html"
            if not target.is_file():
                return self.send(404, "text/html; charset=utf-8", not_found)
            kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
            if kind.startswith("text/") or kind.endswith("javascript"):
                kind += "; charset=utf-8"
            return self.send(200, kind, target.read_bytes())

        def send(self, status: int, kind: str, data: bytes, location: str = "") -> None:
            self.send_response(status)
            if location:
                self.send_header("Location", location)
            if kind:
                self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real content, built once for this module under the /repo/ sub-path."""
    return build_into(tmp_path_factory.mktemp("reader") / "site", base_url=SUBPATH_BASE_URL).out


@pytest.fixture(scope="module")
def base(site: Path) -> Iterator[str]:
    """http://127.0.0.1:PORT/repo/, serving the build."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make_handler(site))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{PREFIX}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def browsing(browser: Browser, **options: Any) -> Iterator[Page]:
    """A page in a fresh context (`options` as for `Browser.new_context`)."""
    context = browser.new_context(**options)
    context.set_default_timeout(WAIT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    with browsing(browser) as opened:
        yield opened


def visit(page: Page, base: str, path: str, status: int = 200) -> None:
    response = page.goto(base + path)
    assert response is not None, f"{path}: no response"
    assert response.status == status, f"{base + path}: HTTP {response.status}, expected {status}"


def view_missing_message(path: str) -> str:
    return f"{path} is not in the build: the reader views (generator/views.py) are not hooked in yet"


def visit_view(page: Page, base: str, path: str) -> None:
    """Like `visit`, for the reader views, with a message saying why one is missing."""
    response = page.goto(base + path)
    assert response is not None and response.status == 200, view_missing_message(path)


RESULT_LINKS = ".pagefind-ui__result > .pagefind-ui__result-inner > .pagefind-ui__result-title a"


def search(page: Page, term: str) -> Locator:
    """Type `term` into the search box; the result links once results are shown.

    Pagefind shows each result as a placeholder first and fills in its link when the
    result's fragment has loaded: this waits until every result shown has its link.
    """
    page.locator("#search input").fill(term)
    expect(page.locator(".pagefind-ui__message")).to_contain_text(term, timeout=WAIT_MS)
    page.locator(".pagefind-ui__result").first.wait_for(timeout=WAIT_MS)
    page.wait_for_function(
        """selector => {
            const shown = document.querySelectorAll('.pagefind-ui__result').length;
            return shown > 0 && document.querySelectorAll(selector).length === shown;
        }""",
        arg=RESULT_LINKS,
        timeout=WAIT_MS,
    )
    return page.locator(RESULT_LINKS)


def absolute_hrefs(links: Locator) -> list[str]:
    return links.evaluate_all("links => links.map(a => a.href)")


# -- 1. search -----------------------------------------------------------------------------------


def test_search_puts_the_summit_first_under_the_sub_path(page: Page, base: str) -> None:
    visit(page, base, "")
    results = search(page, "Hanoi")
    first = absolute_hrefs(results)[0]
    assert first == base + HANOI, f"first result {first}, expected {base + HANOI}"
    results.first.click()
    page.wait_for_url(base + HANOI)
    expect(page.locator("h1")).to_contain_text("Hanoi")


def test_the_kind_filter_restricts_results_to_sources(page: Page, base: str) -> None:
    visit(page, base, "")
    results = search(page, "Hanoi")
    groups = page.locator(".pagefind-ui__filter-group, .pagefind-ui__filter-block")
    kind = groups.filter(has_text="kind").first
    expect(kind).to_be_attached(timeout=WAIT_MS)
    boxes = kind.locator("input[type=checkbox]")
    # Pagefind fills the filter in once its filter index has loaded: wait for every kind
    # (then check the values, so a filter that never offers them still fails, and says so).
    with contextlib.suppress(PlaywrightTimeoutError):
        expect(boxes).to_have_count(len(SEARCH_KINDS), timeout=WAIT_MS)
    values = set(boxes.evaluate_all("boxes => boxes.map(b => b.value)"))
    assert values == SEARCH_KINDS, f"kind filter offers {sorted(values)}"
    before = absolute_hrefs(results)
    assert any(not href.startswith(base + "sources/") for href in before), before

    kind.locator("input[type=checkbox][value=Source]").check()
    # Filtered results replace the others as they load: wait until every result shown is
    # a source with its link (then check, so results that never narrow still fail).
    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_function(
            """([selector, prefix]) => {
                const shown = document.querySelectorAll('.pagefind-ui__result').length;
                const links = [...document.querySelectorAll(selector)];
                return links.length > 0 && links.length === shown
                    && links.every(a => a.href.startsWith(prefix));
            }""",
            arg=[RESULT_LINKS, base + "sources/"],
            timeout=WAIT_MS,
        )
    after = absolute_hrefs(results)
    assert after and all(href.startswith(base + "sources/") for href in after), after


def test_slash_focuses_the_search_box(page: Page, base: str) -> None:
    visit(page, base, HANOI)
    page.locator("#search input").wait_for()
    page.evaluate("document.activeElement && document.activeElement.blur()")
    assert page.evaluate("document.activeElement === document.body")
    page.keyboard.press("/")
    expect(page.locator("#search input"), "'/' did not focus the search input").to_be_focused(timeout=WAIT_MS)
    assert page.locator("#search input").input_value() == "", "'/' was typed into the search box"


# -- 2. citation previews ----------------------------------------------------------------------


def test_a_citation_previews_its_quote_on_focus_and_hover(page: Page, base: str) -> None:
    visit(page, base, HANOI)
    link = page.locator("sup.cite a").first
    quote, source = link.get_attribute("data-quote"), link.get_attribute("data-source")
    assert quote and source, "the first citation mark has no data-quote or data-source"
    preview = page.locator("#citation-preview")
    expect(preview).to_be_hidden()

    link.focus()
    expect(preview).to_be_visible()
    expect(preview).to_have_attribute("role", "tooltip")
    expect(preview).to_contain_text(quote)
    expect(preview).to_contain_text(source)
    expect(link).to_have_attribute("aria-describedby", "citation-preview")

    page.keyboard.press("Escape")
    expect(preview).to_be_hidden()

    page.locator("h1").hover()
    link.hover()
    expect(preview).to_be_visible()
    expect(preview).to_contain_text(quote)


def test_without_javascript_a_citation_still_leads_to_its_passage(browser: Browser, base: str) -> None:
    with browsing(browser, java_script_enabled=False) as page:
        visit(page, base, HANOI)
        link = page.locator("sup.cite a").first
        href, quote = link.get_attribute("href") or "", link.get_attribute("data-quote") or ""
        target = urljoin(base + HANOI, href)
        parts = urlsplit(target)
        assert parts.path.startswith(PREFIX + "sources/") and parts.path.endswith("/"), target
        anchor = unquote(parts.fragment).split(":~:", 1)[0]
        assert anchor, f"{href}: no #fragment"
        visit(page, base, parts.path[len(PREFIX) :])
        element = page.locator(f'[id="{anchor}"]')
        expect(element).to_have_count(1)
        assert normalize(quote) in normalize(element.inner_text()), f"#{anchor} does not hold {quote!r}"


# -- 3. comparison matrix → evidence ------------------------------------------------------------


def matrix(page: Page, ident: str) -> Locator:
    """The table `ident` names: the table itself, or the one in the section it heads."""
    return page.locator(f"table#{ident}, #{ident} table, section:has(> #{ident}) table").first


def test_a_matrix_cell_leads_to_the_quoted_passage(page: Page, base: str) -> None:
    visit_view(page, base, "compare/")
    table = matrix(page, "summits-proposals")
    expect(table, "compare/ has no #summits-proposals table").to_be_attached()
    mark = table.locator("td a[data-quote][href*='sources/']").first
    expect(mark, "no citation mark in a cell of #summits-proposals").to_be_attached()
    quote = mark.get_attribute("data-quote") or ""
    target = mark.evaluate("a => a.href")
    parts = urlsplit(target)
    anchor = unquote(parts.fragment).split(":~:", 1)[0]
    assert parts.path.startswith(PREFIX + "sources/") and anchor, target

    mark.click()
    page.wait_for_url(lambda url: urlsplit(url).path == parts.path)
    element = page.locator(f'[id="{anchor}"]')
    expect(element).to_have_count(1)
    # A quote from a table row is written `cell | cell`: each cell's words must be there.
    text = normalize(element.inner_text())
    for cell in quote.split(" | "):
        assert normalize(cell) in text, f"#{anchor} does not hold {cell!r} (of {quote!r})"


# -- 4. axe-core -------------------------------------------------------------------------------

PAGES = {
    "home": "",
    "summits index": "summits/",
    "summit": HANOI,
    "proposals index": "proposals/",
    "proposal": "proposals/three-phase-deal/",
    "stakeholders index": "stakeholders/",
    "stakeholder": "stakeholders/kim-jong-un/",
    "sources index": "sources/",
    "source": "sources/wit-dmz-meeting/",
    "404": "no/such/page/",
    "timeline": "timeline/",
    "compare": "compare/",
    "book": "book/",
}
VIEWS = {"timeline", "compare", "book"}
DARK = ("home", "summit", "compare", "source")
SEVERE = ("serious", "critical")


def axe_violations(page: Page) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("async () => (await axe.run(document)).violations")
    return [v for v in found if v.get("impact") in SEVERE]


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"][:8]:
            lines.append(f"    {' '.join(map(str, node['target']))}: {node.get('failureSummary', '')!r}")
        if len(v["nodes"]) > 8:
            lines.append(f"    ... and {len(v['nodes']) - 8} more")
    return "\n".join(lines)


@pytest.mark.parametrize(
    ("name", "scheme"),
    [(name, "light") for name in PAGES] + [(name, "dark") for name in DARK],
    ids=lambda value: str(value).replace(" ", "-"),
)
def test_no_serious_accessibility_violations(browser: Browser, base: str, name: str, scheme: str) -> None:
    assert AXE.is_file(), f"{AXE} is missing: run `npm ci`"
    with browsing(browser, color_scheme=scheme) as page:
        if name in VIEWS:
            visit_view(page, base, PAGES[name])
        else:
            visit(page, base, PAGES[name], status=404 if name == "404" else 200)
        page.locator("#search input").wait_for()
        violations = axe_violations(page)
        assert not violations, f"{name} ({scheme}): {len(violations)} serious or critical\n" + describe(
            violations
        )


# -- 5. print ----------------------------------------------------------------------------------


@pytest.fixture
def printed(page: Page, base: str) -> Page:
    page.emulate_media(media="print")
    visit(page, base, HANOI)
    page.locator("#search input").wait_for(state="attached")
    return page


def shown(locator: Locator) -> bool:
    """Whether the element takes up room and is drawn."""
    return locator.evaluate(
        """el => getComputedStyle(el).display !== 'none'
            && getComputedStyle(el).visibility !== 'hidden' && el.getClientRects().length > 0"""
    )


def test_print_leaves_out_the_site_chrome(printed: Page) -> None:
    chrome = {
        "header nav": ".site-header nav",
        "footer": ".site-footer",
        "search box": "#search",
        "skip link": ".skip-link",
    }
    still = [name for name, selector in chrome.items() if shown(printed.locator(selector).first)]
    assert not still, f"printed, the summit page still shows: {', '.join(still)}"
    assert shown(printed.locator(".notes")), "the notes are not printed"


def test_print_shows_the_url_of_each_note(printed: Page) -> None:
    links = printed.locator(".notes li a")
    assert links.count() > 0
    missing = links.evaluate_all(
        """links => links
            .map(a => ({url: a.dataset.url || '', after: getComputedStyle(a, '::after').content}))
            .filter(x => !x.url.startsWith('https://') || !x.after.includes(x.url))"""
    )
    assert not missing, (
        f"{len(missing)} of {links.count()} note links print without their URL; the first: {missing[0]}"
    )


def test_the_summit_page_prints_to_pdf(printed: Page, tmp_path: Path) -> None:
    pdf = tmp_path / "hanoi.pdf"
    printed.pdf(path=str(pdf), format="A4")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and len(data) > 10_000, f"{len(data)} bytes: {data[:16]!r}"


# -- 6. keyboard -------------------------------------------------------------------------------

TABBABLE = "a[href], button, input, select, textarea, summary, [tabindex]"


def test_every_control_is_reachable_by_tab_with_a_visible_focus(page: Page, base: str) -> None:
    visit(page, base, HANOI)
    page.locator("#search input").wait_for()
    count = page.evaluate(
        """selector => {
            const tabbable = [...document.querySelectorAll(selector)].filter(el =>
                el.tabIndex >= 0 && !el.disabled && el.getClientRects().length > 0
                && getComputedStyle(el).visibility !== 'hidden');
            tabbable.forEach((el, i) => { el.dataset.tabStop = String(i); });
            return tabbable.length;
        }""",
        TABBABLE,
    )
    assert count > 10, f"only {count} focusable elements on the summit page"
    reached: set[str] = set()
    invisible: list[str] = []
    for _ in range(count * 2 + 10):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """() => {
                const el = document.activeElement;
                if (!el || el === document.body) return null;
                const style = getComputedStyle(el);
                const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
                return {stop: el.dataset.tabStop ?? null, html: el.outerHTML.slice(0, 120),
                        ring: outline || style.boxShadow !== 'none'};
            }"""
        )
        if focused is None:  # past the last element: the focus left the document
            if reached:
                break
            continue
        if focused["stop"] in reached:
            break  # wrapped around
        elif focused["stop"] is not None:
            reached.add(focused["stop"])
        if not focused["ring"]:
            invisible.append(focused["html"])
    missed = page.evaluate(
        """reached => [...document.querySelectorAll('[data-tab-stop]')]
            .filter(el => !reached.includes(el.dataset.tabStop)).map(el => el.outerHTML.slice(0, 120))""",
        sorted(reached),
    )
    assert not missed, f"{len(missed)} of {count} controls are not reached by Tab:\n" + "\n".join(missed[:10])
    assert not invisible, f"{len(invisible)} focused elements show no focus indicator:\n" + "\n".join(
        invisible[:10]
    )
