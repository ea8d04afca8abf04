"""Hostile text in every text and URL field: the build succeeds or fails cleanly.

A small valid briefing (one summit, proposal, stakeholder and source, citing each other)
is built once with the real command line, `briefing build`. Each Hypothesis example then
writes one generated value into one field (control characters, NUL, lone surrogates,
zero-width and bidi characters, combining marks, emoji, YAML punctuation, line breaks,
very long strings), written as a JSON/YAML double-quoted scalar, a double-quoted scalar
with raw escape sequences, a single-quoted or block scalar, or as raw text after `key: `
(which may well break the YAML); or replaces the source's text with arbitrary text or
bytes. The build runs in-process through `generator.cli.main`, and must:

- return 0 or 1, never raise, never print a traceback, and finish within 10 s;
- on 1, print coded errors (`file:line:col: error: ... [BRF0NN name]`), end with the
  `build failed` line, and leave `site/` byte for byte as it was;
- never print a raw control character (C0 other than tab and newline, DEL, C1) or a
  bidirectional override, since messages echo content (`generator.errors.printable`).

After each example the original files are restored; if the example's build succeeded
(and so changed `site/`), the original project is rebuilt, which must reproduce the
recorded site exactly. `HOSTILE_EXAMPLES=N` runs N examples per field instead of the
default (sized so the file runs in about a minute on two cores). `FOUND` keeps the
inputs the property has found so far, so that every run tries them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import json
import os
import re
import shutil
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from generator.cli import main

ROOT = Path(__file__).resolve().parents[1]

#: The longest a build of this tiny briefing may take, whatever its content.
BUILD_LIMIT = 10.0
#: Past this, a build is interrupted (so a hang fails the test instead of stalling it).
HANG_LIMIT = 12.0
EXAMPLES_PER_FIELD = int(os.environ.get("HOSTILE_EXAMPLES", "20"))

ORIGINAL_BODY = "The Hanoi summit ended with Mr. Trump walking away from the negotiating table.\n"

# -- the project -----------------------------------------------------------------------------
# Each @@marker@@ is one field under test; the defaults below fill the others.

TEMPLATES = {
    "config.yaml": (
        "title: @@config.title@@\n"
        "description: @@config.description@@\n"
        "author: @@config.author@@\n"
        "base_url: @@config.base_url@@\n"
    ),
    "content/summits/hanoi-2019.yaml": (
        "id: hanoi-2019\n"
        "name: @@summit.name@@\n"
        "aliases:\n"
        "  - @@summit.aliases-item@@\n"
        "status: held\n"
        "start: 2019-02-27\n"
        "end: 2019-02-28\n"
        "duration: @@summit.duration@@\n"
        "place: @@summit.place@@\n"
        "participants:\n"
        "  - donald-trump\n"
        "outcome: @@summit.outcome@@\n"
        "summary:\n"
        "  - text: @@summit.claim-text@@\n"
        "    cite:\n"
        "      - source: example-source\n"
        "        quote: @@summit.quote@@\n"
        "proposals:\n"
        "  - proposal: sanctions-relief\n"
        "    text: Sanctions relief was discussed but not agreed.\n"
    ),
    "content/proposals/sanctions-relief.yaml": (
        "id: sanctions-relief\n"
        "title: @@proposal.title@@\n"
        "category: sanctions-and-economy\n"
        "proposed_by:\n"
        "  - donald-trump\n"
        "components:\n"
        "  - name: @@proposal.component-name@@\n"
        "    text: @@proposal.component-text@@\n"
        "positions:\n"
        "  - stakeholder: donald-trump\n"
        "    stance: conditional\n"
        "    text: @@proposal.position-text@@\n"
        "    cite:\n"
        "      - source: example-source\n"
        "        quote: The Hanoi summit ended\n"
    ),
    "content/stakeholders/donald-trump.yaml": (
        "id: donald-trump\n"
        "name: @@stakeholder.name@@\n"
        "kind: person\n"
        "aliases:\n"
        "  - @@stakeholder.aliases-item@@\n"
        "role: @@stakeholder.role@@\n"
    ),
    "content/sources/example-source.yaml": (
        "id: example-source\n"
        "title: @@source.title@@\n"
        "author: @@source.author@@\n"
        "publisher: @@source.publisher@@\n"
        "date: 2019-03-01\n"
        "url: @@source.url@@\n"
        "kind: analysis\n"
    ),
    "content/sources/example-source.txt": "@@source.body@@",
}

DEFAULTS = {
    "config.title": "Example briefing",
    "config.description": "A small briefing for hostile input.",
    "config.author": "The desk",
    "config.base_url": "https://example.org/repo/",
    "summit.name": "Hanoi summit",
    "summit.aliases-item": "Hanoi summit",
    "summit.duration": "two days",
    "summit.place": "Hanoi, Vietnam",
    "summit.outcome": "No agreement.",
    "summit.claim-text": "Trump walked away from the table.",
    "summit.quote": "walking away from the negotiating table",
    "proposal.title": "Sanctions relief",
    "proposal.component-name": "Freeze",
    "proposal.component-text": "A freeze comes first.",
    "proposal.position-text": "Only in exchange for *denuclearization*.",
    "stakeholder.name": "Donald Trump",
    "stakeholder.aliases-item": "Mr. Trump",
    "stakeholder.role": "US president",
    "source.title": "Example",
    "source.author": "A. Writer",
    "source.publisher": "The Paper",
    "source.url": "https://example.org/article",
    "source.body": ORIGINAL_BODY,
}

#: Every YAML field under test (a marker above).
YAML_FIELDS = [name for name in DEFAULTS if name != "source.body"]
#: The quote and the source text both hold the value (so the quote can match).
QUOTE_IN_BODY = "summit.quote+source.body"
#: Arbitrary text or bytes as the whole source text (or after its original sentence).
BODY_TEXT = "source.body:text"
BODY_BYTES = "source.body:bytes"
FIELDS = [*YAML_FIELDS, QUOTE_IN_BODY, BODY_TEXT, BODY_BYTES]
URL_FIELDS = ("source.url", "config.base_url")
URL_PREFIXES = ["", "https://", "http://", "https://example.org/", "HTTPS://", "https://[", "http://user@"]


def render(fields: dict[str, str | bytes]) -> dict[str, bytes]:
    """The project's files with `fields` (marker → YAML text, or raw bytes) in place."""
    files = {}
    for path, template in TEMPLATES.items():
        text = template
        for name, default in DEFAULTS.items():
            marker = f"@@{name}@@"
            if marker in text and not isinstance(fields.get(name), bytes):
                text = text.replace(marker, str(fields.get(name, default)))
        data = text.encode("utf-8", "surrogatepass")
        for name, value in fields.items():
            if isinstance(value, bytes):
                data = data.replace(f"@@{name}@@".encode(), value)
        files[path] = data
    return files


ORIGINAL_FILES = render({})


def write_files(root: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def site_hashes(site: Path) -> dict[str, str]:
    """Every file below `site` (hidden ones included) with the SHA-256 of its bytes."""
    if not site.is_dir():
        return {}
    return {
        path.relative_to(site).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(site.rglob("*"))
        if path.is_file() or path.is_symlink()
    }


def differing(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """The files added, removed or changed between two `site_hashes`."""
    return sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))


# -- running the command line --------------------------------------------------------------


class BuildHang(Exception):
    """The build ran past HANG_LIMIT and was interrupted."""


@dataclass(frozen=True)
class Run:
    code: object
    stdout: str
    stderr: str
    seconds: float


def _interrupt(signum: int, frame: object) -> None:
    raise BuildHang(f"build still running after {HANG_LIMIT:.0f} s")


def build(root: Path) -> Run:
    """`briefing build --config config.yaml --no-search --no-cache` in `root`, in-process."""
    out, err = io.StringIO(), io.StringIO()
    before = Path.cwd()
    previous = signal.signal(signal.SIGALRM, _interrupt)
    os.chdir(root)
    start = time.monotonic()
    try:
        signal.setitimer(signal.ITIMER_REAL, HANG_LIMIT)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["build", "--config", "config.yaml", "--no-search", "--no-cache"])
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        seconds = time.monotonic() - start
        os.chdir(before)
    return Run(code, out.getvalue(), err.getvalue(), seconds)


@dataclass
class Project:
    root: Path
    baseline: dict[str, str] = dataclasses.field(repr=False)
    entries: frozenset[str] = dataclasses.field(repr=False)

    def _repr_pretty_(self, printer: object, cycle: bool) -> None:  # how Hypothesis shows it
        printer.text(f"Project({str(self.root)!r})")  # type: ignore[attr-defined]

    @property
    def site(self) -> Path:
        return self.root / "site"

    def restore(self) -> None:
        """The original files, no cache, and the originally built site."""
        write_files(self.root, ORIGINAL_FILES)
        shutil.rmtree(self.root / ".cache", ignore_errors=True)
        if site_hashes(self.site) != self.baseline:
            run = build(self.root)
            assert run.code == 0, f"the original project no longer builds:\n{run.stderr}"
            now = site_hashes(self.site)
            changed = differing(self.baseline, now)
            assert now == self.baseline, f"rebuilding the original project changed site/: {changed}"
            shutil.rmtree(self.root / ".cache", ignore_errors=True)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Project]:
    root = tmp_path_factory.mktemp("hostile") / "project"
    root.mkdir()
    shutil.copytree(ROOT / "templates", root / "templates")
    write_files(root, ORIGINAL_FILES)
    run = build(root)
    assert run.code == 0, f"the small project must build:\n{run.stdout}\n{run.stderr}"
    assert "2 citations verified" in run.stdout, run.stdout
    shutil.rmtree(root / ".cache", ignore_errors=True)
    yield Project(root, site_hashes(root / "site"), frozenset(os.listdir(root)))


# -- hostile values ----------------------------------------------------------------------------

# fmt: off
SPECIAL = [
    # controls, line ends, NUL, BOM, noncharacters
    "\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x1b[31m", "\x1b]0;title\x07", "\x7f",
    "\x85", "\x9b", "\x9f", "\r", "\r\n", "\n", "\n\n", "\t", "\u2028", "\u2029", "\ufeff",
    "\ufffe", "\uffff", "\ufdd0", "\U0010ffff", "\U0001fffe",
    # lone surrogates (as a surrogate-escaped byte would decode to)
    "\ud800", "\udfff", "\udc80", "\udcff",
    # invisible and bidi
    "\u200b", "\u200c", "\u200d", "\u2060", "\u00ad", "\u200e", "\u200f", "\u202a", "\u202b",
    "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\u061c", "\u180e",
    # combining marks, case and normalisation surprises, wide and astral characters
    "e\u0301", "\u0301", "\u0345", "\u20dd", "Z\u0351\u0352\u0353\u0354\u0355\u0356", "\u0130", "\u0131",
    "\u00df", "\ufb01", "\ufdfa", "\u1e9e", "\u2126", "\u212a", "\uff21", "\u3000", "\u00a0",
    "\U0001f600", "\U0001f469\u200d\U0001f4bb", "\U0001f1fa\U0001f1f8", "\u0627\u0644", "\u05d0",
    "\u212b", "A\u030a", "\u0344", "\u0958", "\u1100\u1161", "\u1e9b\u0323", "\u0387", "\u2002", "\u205f",
    "\u2018", "\u2019", "\u201c", "\u201d", "\u2013", "\u2014", "\u2026",
    # YAML punctuation and forms
    ": ", ":", " #", "#", "&anchor ", "*anchor", "!", "!!python/object:os.system ", "!tag ", "%",
    "%YAML 1.1", "'", "''", '"', '\\', "\\x1b", "- ", "? ", "|", ">", "{", "}", "[", "]", ",", "@",
    "`", "---", "...", "~", "null", "true", "no", "0x1F", "1e3", "2019-02-30", "<<: *a",
    # Markdown, HTML, URLs
    "*", "**", "_", "[x](javascript:alert(1))", "[x](http://[::1)", "<script>alert(1)</script>",
    "&amp;", "&#0;", "]]>", "<!--", "https://", "http://exa mple.org/", "https://xn--",
    "https://\u0435xample.org/", "https://example.org/\u202e", "mailto:a@b", "//evil.example/",
    # regular-expression and format specials (aliases become patterns, names messages)
    "(", ")", "(?", "\\b", "$", "^", ".*", "+", "{0}", "%s", "{{ x }}", "{% raw %}",
]

ESCAPES = [
    "\\x1b", "\\x00", "\\0", "\\e", "\\a", "\\b", "\\v", "\\f", "\\r", "\\n", "\\t", "\\N", "\\_",
    "\\L", "\\P", "\\x7f", "\\x85", "\\x9b", "\\ud800", "\\udfff", "\\ud83d\\ude00", "\\u200b",
    "\\u202e", "\\u2066", "\\ufeff", "\\ufffe", "\\uffff", "\\U0001F600", "\\U0010FFFF",
    "\\U0001FFFE", "\\U00110000", "\\q", "\\x", "\\u12", "\\", '\\"', "\\/", "\\ ", "\\\n",
]
# fmt: on


def refused(text: str) -> bool:
    """Whether `text` holds what the loader refuses outright (controls other than tab and
    line ends, lone surrogates, noncharacters); values free of these get past loading to
    validation, linking and rendering."""
    return any(
        (ord(c) < 0x20 and c not in "\t\n\r")
        or 0x7F <= ord(c) <= 0x9F
        or 0xD800 <= ord(c) <= 0xDFFF
        or 0xFDD0 <= ord(c) <= 0xFDEF
        or ord(c) & 0xFFFE == 0xFFFE
        for c in text
    )


ANY_CHARACTER = st.one_of(
    st.characters(),
    st.characters(max_codepoint=0x9F),
    st.integers(0xD800, 0xDFFF).map(chr),
    st.sampled_from([c for c in SPECIAL if len(c) == 1]),
)
SHOWN_CHARACTER = st.one_of(
    st.characters(exclude_categories=("Cc", "Cs")),
    st.sampled_from([c for c in SPECIAL if len(c) == 1]),
).filter(lambda c: not refused(c))


def text_of(alphabet: st.SearchStrategy[str], specials: list[str]) -> st.SearchStrategy[str]:
    pieces = st.one_of(st.sampled_from(specials), st.text(alphabet=alphabet, max_size=12))
    return st.lists(pieces, max_size=8).map("".join)


#: Anything at all; or text the loader lets through, to reach the later stages.
short_text = st.one_of(
    text_of(ANY_CHARACTER, SPECIAL),
    text_of(SHOWN_CHARACTER, [s for s in SPECIAL if not refused(s)]),
)
#: Lengths around and far past the limits: names 300, texts 10,000, a YAML file 1 MiB.
LENGTHS = [None] * 6 + [299, 301, 9_999, 10_001, 100_000, 1_100_000]


@st.composite
def hostile_text(draw: st.DrawFn) -> str:
    value = draw(short_text)
    length = draw(st.sampled_from(LENGTHS))
    if length is not None:
        unit = value or draw(st.sampled_from(SPECIAL))
        value = (unit * (length // len(unit) + 1))[:length]
    return value


def escaped_surrogates(text: str) -> str:
    return re.sub("[\ud800-\udfff]", lambda m: f"\\u{ord(m.group(0)):04x}", text)


def double_quoted(value: str, ascii_only: bool) -> str:
    """`value` as a YAML double-quoted scalar (JSON's string syntax is a subset of it)."""
    return escaped_surrogates(json.dumps(value, ensure_ascii=ascii_only))


@st.composite
def yaml_scalar(draw: st.DrawFn, value: str) -> str:
    """`value` written after `key: ` in one of several ways (some of which break the YAML)."""
    how = draw(st.sampled_from(["json", "json-ascii", "escapes", "raw", "single", "block"]))
    if how == "json":
        return double_quoted(value, ascii_only=False)
    if how == "json-ascii":
        return double_quoted(value, ascii_only=True)
    if how == "escapes":
        # the value's text, with raw escape sequences put in among it
        parts = [double_quoted(value, ascii_only=False)[1:-1]]
        for _ in range(draw(st.integers(1, 4))):
            at = draw(st.integers(0, len(parts)))
            parts.insert(at, draw(st.sampled_from(ESCAPES)))
        return '"' + "".join(parts) + '"'
    if how == "single":
        return "'" + value.replace("'", "''") + "'"
    if how == "block":
        style = draw(st.sampled_from(["|", "|-", ">", ">-", "|+"]))
        return style + "\n" + "\n".join(" " * 12 + line for line in value.split("\n"))
    return value


@st.composite
def hostile_change(draw: st.DrawFn, field: str) -> dict[str, str | bytes]:
    """The marker values one example writes for `field`."""
    if field == BODY_BYTES:
        data = draw(st.binary(max_size=300))
        if draw(st.booleans()):
            data = ORIGINAL_BODY.encode() + data
        return {"source.body": data}
    value = draw(hostile_text())
    if field in URL_FIELDS:  # often shaped like an address, to get past the first checks
        value = draw(st.sampled_from(URL_PREFIXES)) + value
    if field == BODY_TEXT:
        keep = draw(st.booleans())
        return {"source.body": (ORIGINAL_BODY if keep else "") + value}
    if field == QUOTE_IN_BODY:
        return {"summit.quote": draw(yaml_scalar(value)), "source.body": ORIGINAL_BODY + value + "\n"}
    return {field: draw(yaml_scalar(value))}


# -- the property ------------------------------------------------------------------------------

CODED_ERROR = re.compile(r": error: .* \[BRF\d{3} [a-z-]+\]")
#: What must never reach the terminal raw (`generator.errors.printable` escapes it).
UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


#: Inputs the property found, kept so that every run tries them (field, marker values).
FOUND = {
    # PyYAML's scanner raises ValueError (not a YAMLError) for an escape past U+10FFFF
    "yaml-escape-past-unicode": ("summit.place", {"summit.place": '"\\U00110000"'}),
    # urlsplit raises ValueError on an unbalanced IPv6 bracket in a Markdown link target
    "markdown-link-bad-ipv6": ("proposal.component-text", {"proposal.component-text": '"[x](http://[::1)"'}),
    "markdown-autolink-bad-ipv6": ("summit.claim-text", {"summit.claim-text": '"<https://a]b>"'}),
    # a quote not found in a long unbroken run of curly quotes: the hint's passage is
    # matched with one character class per character
    "quote-hint-long-curly-run": ("source.body:text", {"source.body": "\u2018" * 300_000}),
    # 20,000 identical lines (40 KB): each paragraph's anchor tries -2, -3, ... from the start
    "identical-paragraphs": ("source.body:text", {"source.body": ORIGINAL_BODY + "x\n" * 20_000}),
}


@pytest.mark.parametrize("field", FIELDS)
@settings(
    max_examples=EXAMPLES_PER_FIELD,
    deadline=None,
    database=None,  # nothing is written into the working tree; failures print their example
    # no "explain" phase: it traces every line, which slows builds past any time limit
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(data=st.data())
def test_hostile_value_builds_or_fails_cleanly(project: Project, field: str, data: st.DataObject) -> None:
    check_build(project, data.draw(hostile_change(field), label="change"))


@pytest.mark.parametrize("case", FOUND)
def test_found_example_builds_or_fails_cleanly(project: Project, case: str) -> None:
    field, change = FOUND[case]
    assert field in FIELDS
    check_build(project, change)


def check_build(project: Project, change: dict[str, str | bytes]) -> None:
    """Build the project with `change` written in; it must succeed or fail cleanly."""
    project.restore()
    try:
        write_files(project.root, render(change))
        run = build(project.root)
        after = site_hashes(project.site)
        entries = frozenset(os.listdir(project.root))
    finally:
        project.restore()

    shown = (
        f"exit {run.code!r} in {run.seconds:.1f} s\n"
        f"--- stdout\n{run.stdout[-3000:]}\n--- stderr\n{run.stderr[-3000:]}"
    )
    assert run.code in (0, 1), shown
    assert "Traceback" not in run.stdout and "Traceback" not in run.stderr, shown
    for name, output in (("stdout", run.stdout), ("stderr", run.stderr)):
        raw = UNPRINTABLE.search(output)
        assert raw is None, f"raw {raw.group(0)!r} on {name}\n{shown}"
    run.stdout.encode("utf-8")  # a lone surrogate would crash a real terminal's stdout
    assert run.seconds < BUILD_LIMIT, shown
    left = sorted(entries - project.entries - {".cache"})
    assert not left, f"left behind in the project folder: {left}\n{shown}"
    if run.code == 1:
        lines = run.stderr.rstrip("\n").splitlines()
        assert any(CODED_ERROR.search(line) for line in lines), shown
        assert lines[-1].startswith("build failed"), shown
        changed = differing(project.baseline, after)
        assert after == project.baseline, f"a failed build changed site/: {changed}\n{shown}"
