"""Command line: `briefing build [--watch]`, `briefing check` and `briefing serve`.

Problems in the content are printed all together, with their positions and hints, and
the exit code is 1; there is never a traceback for a mistake in the content.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from generator import __version__
from generator.build import build
from generator.check import check_site
from generator.config import load_config
from generator.errors import BriefingError, Location, Problem
from generator.serve.preview import Overrides, run_serve, run_watch


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="briefing", description="Build a cross-linked briefing site.")
    parser.add_argument("--version", action="version", version=f"briefing {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    build_cmd = commands.add_parser("build", help="build the site into the output directory")
    build_cmd.add_argument("--config", type=Path, default=Path("config.yaml"), help="default: config.yaml")
    build_cmd.add_argument("--content", type=Path, help="content folder (default: from config.yaml)")
    build_cmd.add_argument("--out", type=Path, help="output directory (default: from config.yaml)")
    build_cmd.add_argument("--base-url", help="published address, e.g. https://user.github.io/repo/")
    build_cmd.add_argument("--watch", action="store_true", help="rebuild on every change until Ctrl-C")
    check_cmd = commands.add_parser(
        "check", help="build, then verify every internal link, #fragment and the sitemap"
    )
    check_cmd.add_argument("--config", type=Path, default=Path("config.yaml"), help="default: config.yaml")
    check_cmd.add_argument("--content", type=Path, help="content folder (default: from config.yaml)")
    check_cmd.add_argument("--out", type=Path, help="output directory (default: from config.yaml)")
    check_cmd.add_argument("--base-url", help="check the site as served at this address")
    check_cmd.add_argument("--site", type=Path, help="check this existing build instead of building")
    serve_cmd = commands.add_parser("serve", help="build, serve and rebuild on change with live reload")
    serve_cmd.add_argument("--config", type=Path, default=Path("config.yaml"), help="default: config.yaml")
    serve_cmd.add_argument("--content", type=Path, help="content folder (default: from config.yaml)")
    serve_cmd.add_argument("--out", type=Path, help="output directory (default: from config.yaml)")
    serve_cmd.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve_cmd.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
    serve_cmd.add_argument("--open", action="store_true", help="open the site in the web browser")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    try:
        if args.command == "build" and args.watch:
            overrides = Overrides(args.content, args.out, args.base_url)
            return run_watch(args.config, overrides)
        if args.command == "build":
            return run_build(args)
        if args.command == "check":
            return run_check(args)
        if args.command == "serve":
            overrides = Overrides(args.content, args.out)
            return run_serve(args.config, overrides, args.host, args.port, args.open)
    except BriefingError as error:
        print(error.report(), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except OSError as error:
        print(f"error: {error.strerror or error}: {error.filename or ''}".rstrip(": "), file=sys.stderr)
        return 1
    return 2


def run_check(args: argparse.Namespace) -> int:
    """Check a build (a fresh one, or `--site`); print problems as `page: link: reason`."""
    config = load_config(args.config, args.content, args.out, args.base_url)
    if args.site is None:
        run_build(args)
        folder = config.output_dir
    else:
        folder = args.site
        if not folder.is_dir():
            raise BriefingError(
                [
                    Problem(
                        Location(str(folder)), "no such folder", "build first, or fix --site", code="BRF034"
                    )
                ]
            )
    problems = check_site(folder, config.site.base_url)
    for problem in problems:
        print(problem)
    pages = sum(1 for _ in folder.rglob("*.html"))
    if problems:
        print(f"check failed: {len(problems)} problems in {pages} pages", file=sys.stderr)
        return 1
    base = config.site.base_url
    print(f"checked {pages} pages as served at {base}: every link, fragment and sitemap entry resolves")
    return 0


def run_build(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    config = load_config(args.config, args.content, args.out, args.base_url)
    result = build(config)
    elapsed = time.perf_counter() - start
    out = config.output_dir
    try:
        shown = out.relative_to(Path.cwd())
    except ValueError:
        shown = out
    print(
        f"built {result.pages} pages from {result.summaries} summaries and {result.sources} sources, "
        f"{result.citations} citations verified, into {shown}/ in {elapsed * 1000:.0f} ms "
        f"({result.write.written} written, {result.write.unchanged} unchanged, "
        f"{result.write.removed} removed)"
    )
    return 0
