"""`briefing` leaves this repository: the built wheel (not an editable install), in a
fresh virtual environment, starts a briefing in an empty folder, builds, checks and
serves it, with nothing read from this checkout.

The wheel is built with `pip wheel` and installed with pip; its dependencies come from
the package index pip is configured with (PyPI on CI).
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from conftest import ROOT

#: Upper bounds, never sleeps: each wait ends as soon as its condition holds.
PIP_DEADLINE = 600
COMMAND_DEADLINE = 120
SERVE_DEADLINE = 60


def run(*args: str | Path, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=COMMAND_DEADLINE
    )
    assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
    assert "Traceback" not in done.stderr
    return done


def clean_environment(venv: Path) -> dict[str, str]:
    """The environment of a shell with only the new venv on PATH: nothing of this
    checkout's venv or PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["PATH"] = os.pathsep.join([str(venv / "bin"), *env.get("PATH", "").split(os.pathsep)])
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["VIRTUAL_ENV"] = str(venv)
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


#: Straight to the local server, whatever proxy the environment names.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def fetch(url: str) -> tuple[int, str]:
    with OPENER.open(url, timeout=10) as response:
        return response.status, response.read().decode("utf-8")


def wait_for(url: str, server: subprocess.Popen[str]) -> str:
    deadline = time.monotonic() + SERVE_DEADLINE
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"briefing serve exited with {server.returncode}: {server.communicate()[1]}")
        try:
            status, body = fetch(url)
        except (OSError, http.client.HTTPException):  # not listening yet, or not answering yet
            time.sleep(0.1)  # a poll interval, not a wait for the server
            continue
        assert status == 200
        return body
    raise AssertionError(f"briefing serve did not answer at {url} within {SERVE_DEADLINE} s")


def test_the_wheel_installed_in_a_fresh_venv_starts_builds_checks_and_serves(tmp_path: Path) -> None:
    wheels, venv, empty = tmp_path / "wheels", tmp_path / "venv", tmp_path / "empty"
    empty.mkdir()
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(wheels), str(ROOT)],
        check=True,
        timeout=PIP_DEADLINE,
    )
    (wheel,) = wheels.glob("briefing-*.whl")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=COMMAND_DEADLINE)
    env = clean_environment(venv)
    python, briefing = venv / "bin" / "python", venv / "bin" / "briefing"
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", str(wheel)], check=True, env=env, timeout=PIP_DEADLINE
    )

    # The package and its theme are files in the venv, not links to this checkout.
    where = run(
        python,
        "-c",
        "import generator, generator.theme as t; print(generator.__file__); print(t.THEME)",
        cwd=empty,
        env=env,
    ).stdout.split()
    assert all(Path(p).resolve().is_relative_to(venv.resolve()) for p in where), where
    assert (Path(where[1]) / "base.html").is_file()

    started = run(briefing, "init", "mybriefing", cwd=empty, env=env)
    assert "cd mybriefing && briefing serve" in started.stdout
    project = empty / "mybriefing"
    assert not (project / "templates").exists()
    for name in (
        ".gitignore",
        ".github/workflows/pages.yml",
        "requirements.txt",
        "schemas/config.schema.json",
    ):
        assert (project / name).is_file(), name
    built = run(briefing, "build", cwd=project, env=env)
    assert built.stdout.startswith("built 13 pages"), built.stdout
    assert (project / "site/static/style.css").is_file()
    checked = run(briefing, "check", "--strict", cwd=project, env=env)
    assert "0 warnings" in checked.stdout

    port = free_port()
    server = subprocess.Popen(
        [briefing, "serve", "--port", str(port)],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        home = wait_for(f"http://127.0.0.1:{port}/", server)
        assert "<title>Mybriefing" in home
        status, page = fetch(f"http://127.0.0.1:{port}/summits/example-summit/")
        assert status == 200 and "Example summit" in page
        server.send_signal(signal.SIGINT)
        _, errors = server.communicate(timeout=COMMAND_DEADLINE)
    finally:
        if server.poll() is None:
            server.kill()
            server.communicate()
    assert server.returncode in (0, 130), errors
    assert "Traceback" not in errors
