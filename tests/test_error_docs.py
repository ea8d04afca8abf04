"""docs/errors.md is executable: every documented code is raised by its example.

Each `## BRFnnn name` section of the page holds an example (files to add to a small
valid briefing, or a `briefing` command) and the exact error text it produces. This
test runs every example and checks the code and the text, and that every code in
generator.errors.CODES is documented. After changing a message on purpose, refresh the
page with: `.venv/bin/python tests/test_error_docs.py --write`.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import shutil
import socket
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from generator.cli import main
from generator.errors import CODES

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "errors.md"
SECTION = re.compile(r"^## (BRF\d{3}) ([a-z-]+)$", re.MULTILINE)
BLOCK = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)

BASE_FILES = {
    "config.yaml": "title: Example briefing\ndescription: A small briefing for the examples.\n",
    "content/stakeholders/donald-trump.yaml": "id: donald-trump\nname: Donald Trump\nkind: person\n",
    "content/sources/example-source.yaml": "id: example-source\ntitle: Example\nkind: analysis\n",
    "content/sources/example-source.txt": (
        "The Hanoi summit ended with Mr. Trump walking away from the negotiating table.\n"
    ),
}


@dataclass
class Example:
    code: str
    name: str
    files: dict[str, tuple[str, str]] = field(default_factory=dict)  # path → (text, encoding)
    command: str = "briefing build"
    error: str = ""


def examples() -> list[Example]:
    text = DOC.read_text(encoding="utf-8")
    found = []
    heads = list(SECTION.finditer(text))
    for head, following in zip(heads, [*heads[1:], None], strict=True):
        body = text[head.end() : following.start() if following else len(text)]
        example = Example(head.group(1), head.group(2))
        for block in BLOCK.finditer(body):
            language, info, content = block.group(1), block.group(2).split(), block.group(3)
            options = dict(item.split("=", 1) for item in info if "=" in item)
            if "file" in options:  # repeat=N: the block N times over (a file too large to show)
                content *= int(options.get("repeat", "1"))
                example.files[options["file"]] = (content, options.get("encoding", "utf-8"))
            elif language == "sh":
                example.command = content.strip()
            elif "error" in info:
                example.error = content.rstrip("\n")
        found.append(example)
    return found


def run(example: Example, root: Path) -> tuple[int, str]:
    """Build the base briefing plus the example's files in `root`; the exit code and stderr."""
    for path, text in BASE_FILES.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    shutil.copytree(ROOT / "templates", root / "templates")
    for path, (text, encoding) in example.files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(text.encode(encoding))
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        # BRF033's example needs a port in use: this one, for as long as it runs
        port = busy.getsockname()[1]
        command = example.command.replace("BUSY_PORT", str(port))
        status, stderr = _main_in(root, shlex.split(command)[1:])
    return status, stderr.replace(str(port + 1), "NEXT_PORT").replace(str(port), "BUSY_PORT")


def _main_in(root: Path, argv: list[str]) -> tuple[int, str]:
    before = Path.cwd()
    errors = io.StringIO()
    os.chdir(root)
    try:
        with contextlib.redirect_stderr(errors), contextlib.redirect_stdout(io.StringIO()):
            code = main(argv)
    finally:
        os.chdir(before)
    return code, errors.getvalue()


def test_every_code_is_documented_once() -> None:
    documented = [example.code for example in examples()]
    assert sorted(documented) == sorted(CODES), "document each code of generator.errors.CODES once"
    for example in examples():
        assert CODES[example.code] == example.name, example.code


@pytest.mark.parametrize("example", examples(), ids=lambda e: f"{e.code}-{e.name}")
def test_documented_example_raises_its_code(example: Example, tmp_path: Path) -> None:
    assert example.error, f"{example.code}: the page shows no error text"
    status, stderr = run(example, tmp_path)
    assert status == 1, stderr
    assert "Traceback" not in stderr
    assert f"[{example.code} {example.name}]" in stderr
    assert example.error in stderr, f"{example.code}: the documented error text is out of date"


def write_outputs() -> None:
    """Refresh the error text of every example in docs/errors.md from what it prints now."""
    text = DOC.read_text(encoding="utf-8")
    for example in examples():
        with tempfile.TemporaryDirectory() as tmp:
            _, stderr = run(example, Path(tmp))
        lines = [line for line in stderr.splitlines() if not line.startswith(("build failed", "the preview"))]
        block = "```text error\n" + "\n".join(lines) + "\n```"
        section = re.search(rf"^## {example.code} .*?(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
        assert section is not None
        updated = re.sub(
            r"^```text error\n.*?^```$",
            lambda _, block=block: block,
            section.group(0),
            count=1,
            flags=re.MULTILINE | re.DOTALL,
        )
        text = text[: section.start()] + updated + text[section.end() :]
    DOC.write_text(text, encoding="utf-8")


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    write_outputs()
