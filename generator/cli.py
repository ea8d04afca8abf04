"""Command line: `briefing build [--watch]` and `briefing serve`.

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
from generator.config import load_config
from generator.errors import BriefingError
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
