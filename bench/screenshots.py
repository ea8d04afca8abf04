"""Screenshots of the seed briefing for the README, at phone and desktop widths.

Builds the briefing in `content/` into a temporary folder, serves it on 127.0.0.1 (a
free port; Pagefind needs http), and photographs the first screen of a few pages in
headless Debian Chromium (Playwright, no downloaded browser): the home page, a summit, a
proposal, a source and the comparison view, each at 390×844 and 1280×900, written as
`OUT/<page>-<phone|desktop>.png`. A page the build does not have yet is reported and
left out.

    .venv/bin/python bench/screenshots.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import functools
import http.server
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, sync_playwright

from generator.build import build
from generator.config import load_config

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]

#: Page name in the file name → its path in the site.
PAGES = {
    "home": "",
    "summit": "summits/hanoi-2019/",
    "proposal": "proposals/three-phase-deal/",
    "source": "sources/wit-dmz-meeting/",
    "compare": "compare/",
}
#: Width name → browser context options.
VIEWPORTS: dict[str, dict[str, Any]] = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1280, "height": 900}},
}


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serving(folder: Path) -> Iterator[str]:
    """Serve `folder` on a free port of 127.0.0.1; yields the base URL."""
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def shoot(browser: Browser, base: str, out: Path) -> list[Path]:
    """Photograph every page at every width; the files written."""
    written: list[Path] = []
    for width, options in VIEWPORTS.items():
        context = browser.new_context(color_scheme="light", device_scale_factor=1, **options)
        page = context.new_page()
        for name, path in PAGES.items():
            response = page.goto(base + path, wait_until="load")
            if response is None or response.status != 200:
                status = response.status if response else "no response"
                print(f"skipped {name} ({width}): {path} answers {status}", file=sys.stderr)
                continue
            page.locator("#search input").wait_for(timeout=5000)
            page.evaluate("document.fonts.ready")
            target = out / f"{name}-{width}.png"
            page.screenshot(path=str(target), type="png")
            written.append(target)
        context.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots", help="output folder")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        sys.exit(f"{CHROMIUM} is missing: install Debian's chromium (`sudo apt-get install chromium`)")
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="briefing-shots-") as tmp:
        site = Path(tmp) / "site"
        build(load_config(REPO / "config.yaml", output_dir=site))
        with serving(site) as base, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                written = shoot(browser, base, out)
            finally:
                browser.close()
    total = 0
    for path in written:
        size = path.stat().st_size
        total += size
        shown = path.relative_to(REPO) if path.is_relative_to(REPO) else path
        print(f"wrote {shown} ({size / 1024:.0f} KiB)")
    print(f"{len(written)} screenshots, {total / 1024:.0f} KiB in all")


if __name__ == "__main__":
    main()
