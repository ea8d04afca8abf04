"""Save-to-reload latency of `briefing serve`.

For each briefing (the seed briefing in this repository, and a generated one), starts
`briefing serve` on a copy, connects as a browser would (Server-Sent Events), then
edits one summary file 20 times and measures, for each edit, the time from the moment
the file is written to the moment the `reload` event for that summary's page arrives
(pages that gather everything, such as the briefing book, follow in a second event).
Each save waits for the previous rebuild to finish. Prints the median and the spread.
Not a test: the figures depend on the machine.

    .venv/bin/python bench/reload_latency.py [--sources 1000] [--edits 20]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import make_project

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class EventListener:
    """Reads the SSE stream and timestamps every `reload` event, with the pages it names."""

    def __init__(self, port: int) -> None:
        self.reloads: list[tuple[float, list[str]]] = []
        self.arrived = threading.Condition()
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.connection.request("GET", "/__briefing/events")
        self.response = self.connection.getresponse()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        event, data = "", ""
        for raw in self.response:
            line = raw.decode().rstrip("\n")
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                data = line[6:]
            elif line == "" and event == "reload":
                with self.arrived:
                    self.reloads.append((time.perf_counter(), json.loads(data)["pages"]))
                    self.arrived.notify_all()
                event = ""

    def wait_for(self, page: str, after: float, timeout: float = 30) -> float:
        """When the first reload event after `after` that reloads `page` arrived."""

        def arrived() -> float | None:
            return next((t for t, pages in self.reloads if t > after and (not pages or page in pages)), None)

        with self.arrived:
            if not self.arrived.wait_for(lambda: arrived() is not None, timeout):
                raise TimeoutError("no reload event")
            return arrived()  # type: ignore[return-value]


def measure(project: Path, summary: Path, page: str, edits: int) -> list[float]:
    """Latencies until the page of `summary` (site-relative `page`) is told to reload."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "generator", "serve", "--port", str(port)],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert server.stdout is not None
        seen = []
        for line in server.stdout:  # wait for the first build and the server
            seen.append(line)
            if "serving" in line:
                break
        else:
            raise RuntimeError("briefing serve did not start:\n" + "".join(seen))
        rebuilds: list[str] = []
        threading.Thread(target=lambda: rebuilds.extend(server.stdout), daemon=True).start()  # type: ignore[arg-type]
        listener = EventListener(port)
        time.sleep(0.5)
        original = summary.read_text(encoding="utf-8")
        latencies = []
        for i in range(edits):
            text = original.replace("\nname: ", f"\nname: Edit {i} ", 1).replace(
                "\ntitle: ", f"\ntitle: Edit {i} ", 1
            )
            start = time.perf_counter()
            summary.write_text(text, encoding="utf-8")
            arrived = listener.wait_for(page, start)
            latencies.append((arrived - start) * 1000)
            # One save at a time: the rest of its rebuild (the pages that gather every
            # record) finishes before the next save, as when an author reads the result.
            deadline = time.monotonic() + 60
            while sum(line.startswith("rebuilt") for line in rebuilds) <= i and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(0.3)
        times = [
            float(line.split(" in ")[1].split(" ms")[0]) for line in rebuilds if line.startswith("rebuilt")
        ]
        if times:
            print(f"  (rebuild itself, as the server logs it: median {statistics.median(times):.0f} ms)")
        return latencies
    finally:
        server.terminate()
        server.wait(timeout=10)


def report(name: str, latencies: list[float]) -> None:
    ordered = sorted(latencies)
    print(
        f"{name}: median {statistics.median(ordered):.0f} ms, min {ordered[0]:.0f} ms, "
        f"max {ordered[-1]:.0f} ms over {len(ordered)} edits"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, default=1000, help="size of the generated briefing")
    parser.add_argument("--edits", type=int, default=20)
    args = parser.parse_args()
    os.environ.setdefault("PYTHONPATH", str(REPO))
    with tempfile.TemporaryDirectory(prefix="briefing-bench-") as tmp:
        seed = Path(tmp) / "seed"
        seed.mkdir()
        for folder in ("content", "templates"):
            shutil.copytree(REPO / folder, seed / folder)
        shutil.copy(REPO / "config.yaml", seed / "config.yaml")
        report(
            "seed briefing (3 sources, 31 summaries)",
            measure(
                seed,
                seed / "content/proposals/financial-aid.yaml",
                "proposals/financial-aid/index.html",
                args.edits,
            ),
        )
        generated = make_project(Path(tmp) / "generated", sources=args.sources)
        report(
            f"generated briefing ({args.sources} sources, {args.sources // 10} summaries)",
            measure(
                generated,
                generated / "content/proposals/proposal-000.yaml",
                "proposals/proposal-000/index.html",
                args.edits,
            ),
        )


if __name__ == "__main__":
    main()
