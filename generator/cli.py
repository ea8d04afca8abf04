"""Command line: `briefing build [--watch]`, `briefing check` and `briefing serve`.

Problems in the content are printed all together, with their positions and hints, and
the exit code is 1; there is never a traceback for a mistake in the content.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from generator import __version__
from generator.cache import BuildCache, BuildRequest, template_inputs
from generator.errors import BriefingError, Location, Problem, printable, relative_name

if TYPE_CHECKING:
    from generator.build import BuildResult, BuildState
    from generator.config import Config

# The pipeline's modules are imported where a command needs them: a build with nothing
# to do answers before they would have finished loading.


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="briefing", description="Build a cross-linked briefing site.")
    parser.add_argument("--version", action="version", version=f"briefing {__version__}")
    # The options several commands share, declared once.
    project = argparse.ArgumentParser(add_help=False)
    project.add_argument("--config", type=Path, default=Path("config.yaml"), help="default: config.yaml")
    content = argparse.ArgumentParser(add_help=False)
    content.add_argument("--content", type=Path, help="content folder (default: from config.yaml)")
    output = argparse.ArgumentParser(add_help=False)
    output.add_argument("--out", type=Path, help="output directory (default: from config.yaml)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    build_cmd = commands.add_parser(
        "build", parents=[project, content, output], help="build the site into the output directory"
    )
    build_cmd.add_argument("--base-url", help="published address, e.g. https://user.github.io/repo/")
    build_cmd.add_argument("--watch", action="store_true", help="rebuild on every change until Ctrl-C")
    build_cmd.add_argument(
        "--no-search", action="store_true", help="skip the search index (a faster draft; search is off)"
    )
    build_cmd.add_argument(
        "--no-cache", action="store_true", help="build everything, ignoring what the last build left"
    )
    check_cmd = commands.add_parser(
        "check",
        parents=[project, content, output],
        help="build, then verify every internal link, #fragment and the sitemap",
    )
    check_cmd.add_argument("--base-url", help="check the site as served at this address")
    check_cmd.add_argument("--site", type=Path, help="check this existing build instead of building")
    check_cmd.add_argument("--strict", action="store_true", help="fail on editorial warnings too")
    check_cmd.add_argument("--format", choices=("text", "json"), default="text", help="default: text")
    new_cmd = commands.add_parser(
        "new", parents=[project], help="write a valid, commented skeleton of a new file"
    )
    new_cmd.add_argument("kind", choices=("summit", "proposal", "stakeholder", "source"))
    new_cmd.add_argument("slug", help="the new id, e.g. hanoi-2019 (lower case, digits, hyphens)")
    new_cmd.add_argument("--title", help="title or name (default: from the slug, or the text's first line)")
    new_cmd.add_argument(
        "--from", dest="source_file", type=Path, help="for a source: the pasted text (default: stdin)"
    )
    commands.add_parser(
        "schema",
        parents=[project],
        help="write JSON Schemas for editors into schemas/ and name them in every content file",
    )
    init_cmd = commands.add_parser("init", help="start a new briefing in a new or empty folder")
    init_cmd.add_argument("folder", type=Path, metavar="DIR", help="where to write it (made if missing)")
    init_cmd.add_argument("--title", help="the briefing's title (default: from the folder's name)")
    serve_cmd = commands.add_parser(
        "serve", parents=[project, content], help="build, serve and rebuild on change with live reload"
    )
    # Kept only to refuse it with a hint: serve builds into its own preview folder.
    serve_cmd.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    serve_cmd.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on, and the one name besides localhost that requests may use "
        "(default: 127.0.0.1)",
    )
    serve_cmd.add_argument("--port", type=_port, default=8000, help="port to listen on (default: 8000)")
    serve_cmd.add_argument("--open", action="store_true", help="open the site in the web browser")
    return parser


def _port(text: str) -> int:
    """A TCP port number, or the usage error argparse shows (exit 2, no traceback)."""
    if not (text.isascii() and text.isdigit() and 0 <= int(text) <= 65535):
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number from 0 to 65535")
    return int(text)


def main(argv: Sequence[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    try:
        if args.command == "serve" or (args.command == "build" and args.watch):
            from generator.serve.preview import Overrides, run_serve, run_watch
        if args.command == "build" and args.watch:
            overrides = Overrides(args.content, args.out, args.base_url)
            return run_watch(args.config, overrides)
        if args.command == "build":
            return run_build(args)
        if args.command == "schema":
            return run_schema(args)
        if args.command == "new":
            return run_new(args)
        if args.command == "init":
            return run_init(args)
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
        shown = f"error: {error.strerror or error}: {error.filename or ''}".rstrip(": ")
        print(printable(shown), file=sys.stderr)
        return 1
    return 2


def run_schema(args: argparse.Namespace) -> int:
    """Regenerate schemas/ from the models and the current ids; add missing header lines."""
    from generator.config import load_config
    from generator.schema import SCHEMA_FOLDER, add_schema_headers

    config = load_config(args.config)
    changed = refresh_schemas(config) + add_schema_headers(config.content_dir, config.root)
    for path in changed:
        print(f"wrote {relative_name(path, Path.cwd())}")
    print(f"schemas are up to date in {relative_name(config.root / SCHEMA_FOLDER, Path.cwd())}/")
    return 0


def refresh_schemas(config: Config) -> list[Path]:
    """Rewrite the schemas whose content changed (the id choices follow the content)."""
    from generator.schema import schema_ids, write_schemas

    return write_schemas(config.root, schema_ids(config.content_dir, config.root))


def run_new(args: argparse.Namespace) -> int:
    """`briefing new KIND SLUG`: write the files, say where they are."""
    try:
        return _write_new(args)
    except BriefingError as error:
        raise BriefingError(error.problems, summary="nothing was written") from None


def _write_new(args: argparse.Namespace) -> int:
    from generator.config import load_config
    from generator.scaffold import new_source, new_summary

    config = load_config(args.config)
    if args.kind != "source":
        if args.source_file is not None:
            raise BriefingError(
                [Problem(Location("--from"), "--from is for sources only", "drop it", code="BRF020")]
            )
        written = [new_summary(config, args.kind, args.slug, args.title)]
    else:
        from generator.textfile import BODY_LIMIT, decode_text, read_text, too_large

        # The pasted text is checked as the build will read it: size, UTF-8, no control characters.
        if args.source_file is None:
            data = sys.stdin.buffer.read(BODY_LIMIT + 1)
            if len(data) > BODY_LIMIT:
                raise BriefingError([too_large("<stdin>", BODY_LIMIT)])
            text, problems = decode_text(data, "<stdin>")
            suffix = ".txt"
        else:
            text, problems = read_text(str(args.source_file), str(args.source_file), BODY_LIMIT)
            suffix = ".md" if args.source_file.suffix == ".md" else ".txt"
        if text is None:
            raise BriefingError(problems)
        written = list(new_source(config, args.slug, text, args.title, suffix))
    # The new id joins the choices editors complete from; other schemas stay as they are.
    # Written where missing too: the new file's header names them.
    written += refresh_schemas(config)
    for path in written:
        print(f"wrote {relative_name(path, Path.cwd())}")
    return 0


def run_init(args: argparse.Namespace) -> int:
    """`briefing init DIR`: write a new briefing, say what was written and what comes next."""
    import shlex

    from generator.init import init_project

    written, note = init_project(args.folder, args.title)
    for path in written:
        print(f"wrote {relative_name(path, Path.cwd())}")
    if note:
        print(f"note: {note}")
    folder = relative_name(args.folder.absolute(), Path.cwd())
    go = "" if folder == "." else f"cd {shlex.quote(folder)} && "
    print(f"a new briefing is ready: {go}briefing serve")
    return 0


def run_check(args: argparse.Namespace) -> int:
    """Build (or take `--site`), check links, fragments and the sitemap, then report on the
    content as an editor would. Link problems fail the check; editorial notes only with
    `--strict`."""
    from generator.build import load_site, rebuild
    from generator.check import check_site
    from generator.config import load_config
    from generator.editorial import editorial_report, format_json, format_text

    as_json = args.format == "json"
    config = load_config(args.config, args.content, args.out, args.base_url)
    if args.site is None:
        state, result = rebuild(config)
        folder = config.output_dir
        print(build_summary(result, config, 0.0), file=sys.stderr if as_json else sys.stdout)
        site, content = state.site, state.validated
    else:
        folder = args.site
        if not folder.is_dir():
            hint = "build first, or fix --site"
            raise BriefingError([Problem(Location(str(folder)), "no such folder", hint, code="BRF034")])
        site, _, content = load_site(config)
    links = check_site(folder, config.site.base_url)
    report = editorial_report(site, content, dt.date.today())
    failed = bool(links) or (args.strict and bool(report.notes))
    pages = sum(1 for _ in folder.rglob("*.html"))
    if as_json:
        print(
            json.dumps(
                {
                    "ok": not failed,
                    "pages": pages,
                    "links": [{"page": p.page, "link": p.link, "reason": p.reason} for p in links],
                    "editorial": json.loads(format_json(report)),
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return 1 if failed else 0
    for problem in links:
        print(problem)
    if links:
        print(f"links: {len(links)} problems in {pages} pages")
    else:
        print(
            f"links: {pages} pages checked as served at {config.site.base_url}; every link, "
            "fragment and sitemap entry resolves"
        )
    print(format_text(report))
    if failed:
        reason = "link problems" if links else "editorial warnings (--strict)"
        print(f"check failed: {reason}", file=sys.stderr)
    return 1 if failed else 0


def run_build(args: argparse.Namespace) -> int:
    """Build the site; with nothing changed since the last build, say so and stop."""
    start = time.perf_counter()
    request = BuildRequest(args.config, args.content, args.out, args.base_url, search=not args.no_search)
    cache = BuildCache.beside(args.config)
    key = request.key()
    if not args.no_cache:
        output = cache.up_to_date(key)
        if output is not None:
            took = (time.perf_counter() - start) * 1000
            shown = relative_name(output, Path.cwd())
            print(f"nothing changed since the last build: {shown}/ is up to date (checked in {took:.0f} ms)")
            return 0
    from generator.build import no_collector_pauses, rebuild
    from generator.config import load_config
    from generator.parallel import default_processes
    from generator.progress import Progress, summary_table

    config = load_config(args.config, args.content, args.out, args.base_url)
    previous = None if args.no_cache else cache.previous_state(key)
    progress = Progress(sys.stderr)
    encoding: list[threading.Thread] = []
    encoded: list[bytes] = []

    def encode_state(state: BuildState) -> None:
        # Pickling the state takes a while; in a thread it overlaps the search indexing.
        thread = threading.Thread(target=lambda: encoded.append(cache.encode(state)), name="briefing-cache")
        encoding.append(thread)
        thread.start()

    with no_collector_pauses():
        try:
            state, result = rebuild(
                config,
                previous,
                search=request.search,
                processes=default_processes(),
                progress=progress,
                on_state=encode_state,
            )
        finally:
            progress.finish()
            built = time.perf_counter()
            for thread in encoding:
                thread.join()
        save_cache(cache, key, state, encoded[0] if encoded else cache.encode(state), config)
        # What the cache added after the build (its encoding may have overlapped the index).
        result.seconds["cache"] = time.perf_counter() - built
    print(build_summary(result, config, time.perf_counter() - start))
    print(
        summary_table(
            result.pages_by_kind,
            result.citations,
            result.write.written,
            result.write.unchanged,
            result.write.removed,
            result.seconds,
        )
    )
    return 0


def search_bundle_outputs(folder: Path, name: str) -> list[str]:
    """What the cache checks of the search bundle: its top-level files and its folders
    (a file added or removed changes its folder). The thousands of files inside are
    named by their content, so they are not checked one by one."""
    if not folder.is_dir():
        return []
    return [f"{name}/{entry.name}" + ("/" if entry.is_dir() else "") for entry in os.scandir(folder)]


def save_cache(cache: BuildCache, key: str, state: BuildState, encoded: bytes, config: Config) -> None:
    """Record the build for the next run: its state (`encoded` by `BuildCache.encode`),
    and every input and output file."""
    from generator.search import BUNDLE
    from generator.write import MANIFEST

    inputs = {
        os.path.join(config.root, name): (stat, digest.hex())
        for name, (stat, digest, _) in state.loaded.parsed.items()
    }
    inputs |= template_inputs(config.templates_dir)
    out = config.output_dir
    outputs = [*state.outputs, MANIFEST, *search_bundle_outputs(out / BUNDLE, BUNDLE)]
    cache.save(key, encoded, inputs, out, outputs, (config.content_dir, config.templates_dir))


def build_summary(result: BuildResult, config: Config, seconds: float) -> str:
    """One line: what was built, where, how fast, and what was written."""
    shown = relative_name(config.output_dir, Path.cwd())
    took = f" in {seconds * 1000:.0f} ms" if seconds else ""
    return (
        f"built {result.pages} pages from {result.summaries} summaries and {result.sources} sources, "
        f"{result.citations} citations verified, into {shown}/{took} ({result.write.written} written, "
        f"{result.write.unchanged} unchanged, {result.write.removed} removed)"
    )
