"""What an editor sees: the real yaml-language-server (the engine of VS Code's YAML
extension), started over stdio on a content file, completes keys, choices and ids from
the schema its first line names, and flags a misspelt key.

The server comes from npm (package.json), installed by `make test`.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SERVER = ROOT / "node_modules" / ".bin" / "yaml-language-server"
HANOI = ROOT / "content" / "summits" / "hanoi-2019.yaml"


class LanguageServer:
    """A minimal LSP client: enough to open a document, ask for completions, read diagnostics."""

    def __init__(self) -> None:
        assert SERVER.exists(), "yaml-language-server is missing: run `make test`, which installs it"
        self.process = subprocess.Popen(
            [str(SERVER), "--stdio"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        self.inbox: queue.Queue[dict[str, Any]] = queue.Queue()
        self.diagnostics: dict[str, list[dict[str, Any]]] = {}
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()
        self.request("initialize", {"processId": os.getpid(), "rootUri": ROOT.as_uri(), "capabilities": {}})
        self.notify("initialized", {})
        self.notify("workspace/didChangeConfiguration", {"settings": {"yaml": {"validate": True}}})

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = 0
            while (line := stream.readline().decode()) not in ("\r\n", ""):
                if line.lower().startswith("content-length:"):
                    length = int(line.split(":")[1])
            if not length:
                return
            self.inbox.put(json.loads(stream.read(length)))

    def _send(self, message: dict[str, Any]) -> None:
        data = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.process.stdin is not None
        self.process.stdin.write(f"Content-Length: {len(data)}\r\n\r\n".encode() + data)
        self.process.stdin.flush()

    def notify(self, method: str, params: dict[str, Any]) -> None:
        self._send({"method": method, "params": params})

    def request(self, method: str, params: dict[str, Any]) -> Any:
        self.next_id += 1
        self._send({"id": self.next_id, "method": method, "params": params})
        return self.wait(lambda m: m.get("id") == self.next_id and "method" not in m).get("result")

    def wait(self, done: Any, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                message = self.inbox.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if message.get("method") == "textDocument/publishDiagnostics":
                self.diagnostics[message["params"]["uri"]] = message["params"]["diagnostics"]
            elif "method" in message and "id" in message:  # the server asks for settings
                count = len(message.get("params", {}).get("items", [None]))
                self._send({"id": message["id"], "result": [{"validate": True}] * count})
            if done(message):
                return message
        raise TimeoutError("the language server did not answer")

    def open(self, uri: str, text: str) -> None:
        params = {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}}
        self.notify("textDocument/didOpen", params)

    def complete(self, uri: str, line: int, character: int) -> set[str]:
        params = {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}}
        result = self.request("textDocument/completion", params) or []
        items = result.get("items", []) if isinstance(result, dict) else result
        return {item["label"] for item in items}

    def close(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def server() -> Iterator[LanguageServer]:
    running = LanguageServer()
    try:
        yield running
    finally:
        running.close()


def edited(replace: str, by: str) -> tuple[str, str, int]:
    """The Hanoi file with its first line starting with `replace` changed; uri, text, line."""
    lines = HANOI.read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines) if line.startswith(replace))
    lines[number] = by
    # A distinct uri per edit, in the same folder, so the relative $schema path resolves.
    uri = HANOI.with_name(f"hanoi-2019-{abs(hash(by))}.yaml").as_uri()
    return uri, "\n".join(lines) + "\n", number


def test_the_schema_line_is_what_the_server_reads() -> None:
    assert HANOI.read_text(encoding="utf-8").startswith(
        "# yaml-language-server: $schema=../../schemas/summit.schema.json\n"
    )


def test_completes_the_choices_of_a_field(server: LanguageServer) -> None:
    uri, text, line = edited("status:", "status: ")
    server.open(uri, text)
    assert server.complete(uri, line, len("status: ")) == {"held", "prospective", "cancelled"}


def test_completes_stakeholder_ids_in_participants(server: LanguageServer) -> None:
    uri, text, line = edited("  - donald-trump", "  - ")
    server.open(uri, text)
    completions = server.complete(uri, line, 4)
    assert {"donald-trump", "kim-jong-un", "john-bolton", "united-states"} <= completions
    assert "hanoi-2019" not in completions  # a summit is not a stakeholder


def test_completes_keys(server: LanguageServer) -> None:
    uri, text, line = edited("duration:", "dur")
    server.open(uri, text)
    assert "duration" in server.complete(uri, line, 3)


def test_flags_a_misspelt_key_while_typing(server: LanguageServer) -> None:
    uri, text, line = edited("place:", "plcae: Hanoi, Vietnam")
    server.open(uri, text)
    server.wait(lambda m: any("plcae" in d["message"] for d in server.diagnostics.get(uri, [])))
    flagged = [d for d in server.diagnostics[uri] if "plcae" in d["message"]]
    assert flagged and flagged[0]["range"]["start"]["line"] == line
