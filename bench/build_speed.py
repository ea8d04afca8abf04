"""The build-speed benchmark behind `bench/run`: cold, no-op and one-edit builds of
generated briefings, save-to-reload latency under `briefing serve`, peak memory, and the
same sources as a plain Markdown corpus built by the briefing and by Hugo (+ Pagefind).

Every figure comes from the real command line run as a separate process, timed from the
outside; the figures depend on the machine, so this is not a test.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import WORDS, counts, make_plain_corpus, make_project, markdown_mismatches, source_texts
from reload_latency import measure

REPO = Path(__file__).resolve().parents[1]
VENV = REPO / ".venv"
#: What a cold build starts without: the site and the build cache.
BUILD_STATE = ("site", ".cache")
HUGO_STATE = ("public", "resources", ".hugo_cache")
#: The summary whose claim is edited, and its page (what the serve latency waits for).
EDITED_SUMMARY = "content/proposals/proposal-000.yaml"
EDITED_PAGE = "proposals/proposal-000/index.html"
PLAIN_MIN_SOURCES = 1000

# (key in the pasteable summary, label in the table); the order of the table.
ROWS = [
    ("cold", "cold build"),
    ("cold_no_search", "cold build --no-search"),
    ("noop", "no-op rebuild"),
    ("noop_no_search", "no-op rebuild --no-search"),
    ("summary_edit", "1 summary edit → build"),
    ("summary_edit_no_search", "1 summary edit → build --no-search"),
    ("source_edit", "1 source edit → build"),
    ("source_edit_no_search", "1 source edit → build --no-search"),
]


class BenchError(Exception):
    """A build or server failed; the message says which and why."""


@dataclass
class Run:
    """One finished process: wall time, peak RSS (KiB) and what it printed."""

    seconds: float
    rss_kib: int
    returncode: int
    stdout: str
    stderr: str


@dataclass
class Series:
    """The measured runs of one row (warm-ups excluded)."""

    runs: list[Run] = field(default_factory=list)
    unit: str = "s"

    @property
    def values(self) -> list[float]:
        return [run.seconds for run in self.runs]

    def median(self) -> float:
        return statistics.median(self.values)

    def peak_mib(self) -> float:
        return max(run.rss_kib for run in self.runs) / 1024

    def cli_ms(self) -> float | None:
        """The median build time the CLI reports itself (without interpreter start-up)."""
        said = [float(m.group(1)) for run in self.runs if (m := re.search(r" in (\d+) ms", run.stdout))]
        return statistics.median(said) if said else None

    def cli_peak_mib(self) -> float | None:
        """The peak memory the CLI reports itself, if it prints one."""
        found = []
        for run in self.runs:
            match = re.search(r"peak(?: RSS| memory)?\D{0,20}?([\d.]+)\s*([KMG])i?B", run.stdout, re.I)
            if match:
                found.append(
                    float(match.group(1)) * {"K": 1 / 1024, "M": 1, "G": 1024}[match.group(2).upper()]
                )
        return max(found) if found else None


@dataclass
class SizeResult:
    sources: int
    pages: str = "?"
    rows: dict[str, Series | None] = field(default_factory=dict)
    reload: Series | None = None
    serve_rebuild_ms: float | None = None


@dataclass
class PlainResult:
    sources: int
    briefing: Series | None = None
    briefing_search: bool = False
    hugo: Series | None = None
    pagefind: Series | None = None
    note: str = ""


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_timed(command: Sequence[str], cwd: Path) -> Run:
    """Run `command` to its end; time it and take its peak RSS from wait4 (ru_maxrss is
    the larger of the process and its largest waited-for descendant, e.g. Pagefind)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        # Files, not pipes: a full pipe would stall the child while we sit in wait4.
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)  # so Popen does not wait again
        out.seek(0)
        err.seek(0)
        return Run(seconds, usage.ru_maxrss, process.returncode, out.read(), err.read())


def briefing_command() -> list[str]:
    """The CLI this checkout installs into .venv, else whichever is on PATH."""
    for candidate in (VENV / "bin" / "briefing", shutil.which("briefing")):
        if candidate and Path(candidate).exists():
            return [str(candidate)]
    return [sys.executable, "-m", "generator"]


def has_option(command: Sequence[str], option: str) -> bool:
    help_text = subprocess.run([*command, "--help"], capture_output=True, text=True, check=False).stdout
    return option in help_text


def clear(folder: Path, names: Sequence[str]) -> Callable[[int], None]:
    def before(_: int) -> None:
        for name in names:
            shutil.rmtree(folder / name, ignore_errors=True)

    return before


def series(
    what: str,
    command: Sequence[str],
    cwd: Path,
    runs: int,
    warmups: int = 0,
    before: Callable[[int], None] | None = None,
) -> Series:
    """`warmups` unmeasured runs, then `runs` measured ones; `before(i)` prepares run i."""
    result = Series()
    total = warmups + runs
    for i in range(total):
        if before is not None:
            before(i)
        progress(f"{what} {'warm-up' if i < warmups else f'{i - warmups + 1}/{runs}'} ...")
        run = run_timed(command, cwd)
        if run.returncode != 0:
            raise BenchError(
                f"{what}: `{' '.join(command)}` exited with {run.returncode} in {cwd}\n"
                f"{run.stderr.strip() or run.stdout.strip()}"
            )
        if i >= warmups:
            result.runs.append(run)
    return result


class Edit:
    """Rewrites one line of a file, differently at every call, so each build sees a change."""

    def __init__(self, path: Path, pattern: str, change: Callable[[re.Match[str], int], str]) -> None:
        self.path = path
        self.original = path.read_text(encoding="utf-8")
        self.match = re.search(pattern, self.original, re.MULTILINE)
        if self.match is None:
            raise BenchError(f"nothing to edit in {path}: no line matches {pattern!r}")
        self.change = change
        self.count = 0

    def __call__(self, _: int) -> None:
        self.count += 1
        assert self.match is not None
        start, end = self.match.span()
        new = self.original[:start] + self.change(self.match, self.count) + self.original[end:]
        self.path.write_text(new, encoding="utf-8")


def summary_edit(project: Path) -> Edit:
    """One claim's text gains a word (a different one each time)."""
    return Edit(
        project / EDITED_SUMMARY,
        r"^(\s*- text: )(.+)\.$",
        lambda m, n: f"{m.group(1)}{m.group(2)} {WORDS[n % len(WORDS)]} {n}.",
    )


def source_edit(project: Path) -> Edit:
    """A sentence appended to the last paragraph of a cited source: the words that
    summaries quote stay as they are, so every citation still verifies."""
    cited = sorted(set(re.findall(r"source: (source-\d+)", (project / EDITED_SUMMARY).read_text())))
    path = project / "content" / "sources" / f"{cited[0]}.txt"
    paragraphs = [
        line
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.count(".") >= 3 and "|" not in line and not line.startswith("- ")
    ]
    return Edit(
        path,
        "^" + re.escape(paragraphs[-1]) + "$",
        lambda m, n: f"{m.group(0)} Revised {WORDS[n % len(WORDS)]} {n}.",
    )


def bench_size(
    size: int, tmp: Path, args: argparse.Namespace, briefing: list[str], no_search: bool
) -> SizeResult:
    result = SizeResult(size)
    progress(f"size {size}: generating {size} sources ...")
    project = make_project(tmp / f"briefing-{size}", sources=size, seed=args.seed)
    build, quick = [*briefing, "build"], [*briefing, "build", "--no-search"]
    variants = [("", build), ("_no_search", quick if no_search else None)]
    cold = clear(project, BUILD_STATE)
    for suffix, command in variants:
        name = f"size {size}: cold build{' --no-search' if suffix else ''}"
        result.rows["cold" + suffix] = series(name, command, project, args.runs, 1, cold) if command else None
    if result.rows["cold"] is not None:
        match = re.search(r"built (\d+) pages", result.rows["cold"].runs[-1].stdout)
        result.pages = match.group(1) if match else "?"
    for suffix, command in reversed(variants):  # the last cold build was --no-search, if any
        if command is None:
            result.rows["noop" + suffix] = None
            continue
        # The first build after the other variant's may have work to do (the index).
        label = f"size {size}: no-op rebuild{' --no-search' if suffix else ''}"
        result.rows["noop" + suffix] = series(label, command, project, args.runs, 1)
    for key, edit, what in (
        ("summary_edit", summary_edit(project), "1 summary edit"),
        ("source_edit", source_edit(project), "1 source edit"),
    ):
        for suffix, command in variants:
            label = f"size {size}: {what} → build{' --no-search' if suffix else ''}"
            result.rows[key + suffix] = (
                series(label, command, project, args.runs, 0, edit) if command else None
            )
    if not args.no_serve:
        progress(f"size {size}: save-to-reload under serve, {args.edits} edits ...")
        copy = tmp / f"serve-{size}"
        shutil.copytree(project, copy, ignore=shutil.ignore_patterns(*BUILD_STATE))
        log = io.StringIO()
        try:
            with contextlib.redirect_stdout(log):
                latencies = measure(copy, copy / EDITED_SUMMARY, EDITED_PAGE, args.edits)
        except (RuntimeError, TimeoutError, OSError) as error:
            raise BenchError(f"size {size}: briefing serve failed: {error}\n{log.getvalue()}") from error
        result.reload = Series([Run(ms, 0, 0, "", "") for ms in latencies], unit="ms")
        said = re.search(r"median (\d+) ms", log.getvalue())
        result.serve_rebuild_ms = float(said.group(1)) if said else None
    return result


def bench_plain(
    size: int, tmp: Path, args: argparse.Namespace, briefing: list[str], no_search: bool
) -> PlainResult:
    result = PlainResult(size)
    progress(f"plain corpus {size}: generating ...")
    root = make_plain_corpus(tmp / f"plain-{size}", sources=size, seed=args.seed)
    command = [*briefing, "build", *(["--no-search"] if no_search else [])]
    result.briefing_search = not no_search
    flag = " --no-search" if no_search else ""
    result.briefing = series(
        f"plain corpus {size}: briefing build{flag}",
        command,
        root / "briefing",
        args.runs,
        1,
        clear(root / "briefing", BUILD_STATE),
    )
    hugo = shutil.which("hugo")
    if args.no_hugo or hugo is None:
        result.note = "skipped (--no-hugo)" if args.no_hugo else "hugo not on PATH (apt-get install hugo)"
        return result
    site = root / "hugo"
    hugo_command = [hugo, "--quiet", "--cacheDir", str(site / ".hugo_cache")]
    if has_option([hugo], "--noBuildLock"):
        hugo_command.append("--noBuildLock")  # no .hugo_build.lock left in the project
    result.hugo = series(
        f"plain corpus {size}: hugo", hugo_command, site, args.runs, 1, clear(site, HUGO_STATE)
    )
    from pagefind.service import get_executable  # from the venv, which re-exec ensures

    binary = get_executable()
    if binary is None:
        result.note = "the Pagefind binary is missing (pip install 'pagefind[bin]')"
        return result
    index = tmp / f"pagefind-{size}"
    result.pagefind = series(
        f"plain corpus {size}: pagefind on hugo's public/",
        [str(binary), "--site", "public", "--output-path", str(index), "--silent"],
        site,
        args.runs,
        1,
        lambda _: shutil.rmtree(index, ignore_errors=True),
    )
    return result


# -- output -------------------------------------------------------------------------------


def fmt(value: float | None, unit: str = "s") -> str:
    if value is None:
        return "n/a"
    return f"{value:.0f} ms" if unit == "ms" else f"{value:.3f} s" if value < 10 else f"{value:.2f} s"


def table_row(label: str, found: Series | None) -> list[str]:
    if found is None:
        return [label, "n/a", "", "", "", "", ""]
    unit = found.unit
    rss = f"{found.peak_mib():.0f} MiB" if unit == "s" else ""
    cli_peak = found.cli_peak_mib()
    if cli_peak is not None:
        rss += f" (CLI: {cli_peak:.0f})"
    cli = found.cli_ms()
    return [
        label,
        fmt(found.median(), unit),
        fmt(min(found.values), unit),
        fmt(max(found.values), unit),
        str(len(found.runs)),
        rss,
        f"{cli:.0f} ms" if cli is not None else "",
    ]


def print_table(title: str, rows: list[list[str]]) -> None:
    header = ["", "median", "min", "max", "runs", "peak RSS", "CLI says"]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    print(title)
    for row in [header, *rows]:
        cells = [cell.rjust(width) for cell, width in zip(row, widths, strict=True)]
        cells[0] = row[0].ljust(widths[0])
        print("  " + "  ".join(cells).rstrip())
    print()


def median_of(found: Series | None) -> float | None:
    return found.median() if found is not None else None


def ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}" if a is not None and b else "n/a"


def num(value: float | None, digits: int = 3) -> str:
    return f"{value:.{digits}f}" if value is not None else "n/a"


def report(results: list[SizeResult], plain: PlainResult | None, plain_note: str) -> None:
    for result in results:
        summits, proposals, stakeholders = counts(result.sources)
        rows = [table_row(label, result.rows.get(key)) for key, label in ROWS]
        if result.reload is not None:
            rows.append(table_row("save → reload under serve", result.reload))
        made = f"{summits} summits, {proposals} proposals, {stakeholders} stakeholders"
        print_table(
            f"size {result.sources}: {result.sources} sources, {summits + proposals + stakeholders} "
            f"summaries ({made}), {result.pages} pages",
            rows,
        )
        if result.serve_rebuild_ms is not None:
            print(f"  (serve's own rebuild log: median {result.serve_rebuild_ms:.0f} ms)\n")
    largest = results[-1]
    if plain is not None:
        flag = "" if plain.briefing_search else " --no-search"
        rows = [table_row(f"briefing build{flag} (sources only, .md)", plain.briefing)]
        rows.append(table_row("hugo --quiet", plain.hugo))
        rows.append(table_row("pagefind on hugo's public/", plain.pagefind))
        print_table(f"plain corpus: the same {plain.sources} sources as Markdown, cold builds", rows)
        if plain.note:
            print(f"  {plain.note}\n")
    print(
        "peak RSS: the larger of the process and its largest child (Pagefind), from wait4; "
        "CLI says: the build time the CLI prints, without interpreter start-up\n"
    )
    print("summary (seconds, median of measured runs; ms for latency; MiB for peak RSS):")
    for result in results:
        fields = [f"size={result.sources}"]
        fields += [f"{key}={num(median_of(result.rows.get(key)))}" for key, _ in ROWS]
        fields.append(f"reload_ms={num(median_of(result.reload), 0)}")
        for key in ("cold", "cold_no_search"):
            found = result.rows.get(key)
            fields.append(f"rss_{key}_mib={num(found.peak_mib() if found else None, 0)}")
        print(" ".join(fields))
    if plain is None:
        print(f"plain: {plain_note}")
    else:
        hugo, pagefind = median_of(plain.hugo), median_of(plain.pagefind)
        both = hugo + pagefind if hugo is not None and pagefind is not None else None
        mine = median_of(plain.briefing)
        key = "briefing_plain" if plain.briefing_search else "briefing_plain_no_search"
        print(
            f"plain size={plain.sources} {key}={num(mine)} hugo={num(hugo)} pagefind={num(pagefind)} "
            f"hugo_pagefind={num(both)}" + (f" ({plain.note})" if plain.note else "")
        )
        if hugo is not None:
            cold, cold_quick = (
                median_of(largest.rows.get("cold")),
                median_of(largest.rows.get("cold_no_search")),
            )
            print(
                f"ratios size={plain.sources} cold_no_search/hugo={ratio(cold_quick, hugo)} "
                f"cold/hugo_pagefind={ratio(cold, both)} "
                + (
                    f"plain/hugo_pagefind={ratio(mine, both)}"
                    if plain.briefing_search
                    else f"plain_no_search/hugo={ratio(mine, hugo)}"
                )
            )
    by_size = {result.sources: result for result in results}
    if 1000 in by_size and 4000 in by_size:
        growth = [
            f"{key}={ratio(median_of(by_size[4000].rows.get(key)), median_of(by_size[1000].rows.get(key)))}"
            for key in ("cold", "cold_no_search")
        ]
        print(f"growth 4000/1000 (4.00 is linear): {' '.join(growth)}")


# -- main ---------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/run", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        default="100,1000,4000",
        type=lambda text: sorted({int(part) for part in text.split(",") if part.strip()}),
        help="numbers of sources, comma-separated (default: 100,1000,4000)",
    )
    parser.add_argument("--runs", type=int, default=5, help="measured runs per figure (default: 5)")
    parser.add_argument("--edits", type=int, default=5, help="saves timed under serve (default: 5)")
    parser.add_argument("--no-serve", action="store_true", help="skip the save-to-reload latency")
    parser.add_argument("--no-hugo", action="store_true", help="skip Hugo and Pagefind on the plain corpus")
    parser.add_argument("--seed", type=int, default=7, help="corpus seed (default: 7)")
    args = parser.parse_args(argv)
    if not args.sizes or min(args.sizes) < 1 or args.runs < 1 or args.edits < 1:
        parser.error("--sizes, --runs and --edits take positive numbers")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    # `briefing serve` is started as `python -m generator`; this finds it without an install.
    os.environ.setdefault("PYTHONPATH", str(REPO))
    briefing = briefing_command()
    no_search = has_option([*briefing, "build"], "--no-search")
    if not no_search:
        progress("`briefing build --help` lists no --no-search: those rows are n/a")
    mismatches = markdown_mismatches(source_texts(random.Random(args.seed), args.sizes[0]))
    if mismatches:
        print(
            "bench: Markdown bodies differ from their plain texts:\n" + "\n".join(mismatches), file=sys.stderr
        )
        return 1
    largest = args.sizes[-1]
    results: list[SizeResult] = []
    plain: PlainResult | None = None
    plain_note = ""
    try:
        with tempfile.TemporaryDirectory(prefix="briefing-bench-") as name:
            tmp = Path(name)
            for size in args.sizes:
                results.append(bench_size(size, tmp, args, briefing, no_search))
                shutil.rmtree(tmp / f"briefing-{size}", ignore_errors=True)
                shutil.rmtree(tmp / f"serve-{size}", ignore_errors=True)
            if largest >= PLAIN_MIN_SOURCES:
                plain = bench_plain(largest, tmp, args, briefing, no_search)
            else:
                plain_note = f"skipped: the largest size, {largest}, is under {PLAIN_MIN_SOURCES} sources"
                progress(f"plain corpus / Hugo comparison {plain_note}")
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    report(results, plain, plain_note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
