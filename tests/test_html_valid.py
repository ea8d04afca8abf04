"""Every built page is valid HTML according to the W3C Nu HTML checker (vnu.jar).

The checker comes from npm (`vnu-jar` in package.json) and needs Java; `make test`
installs it. A missing checker is a failure, never a skip: the check must run.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from conftest import ROOT

VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
SETUP_HINT = "run `make test`, which installs the HTML checker (npm ci) and needs Java (default-jre-headless)"


def run_vnu(*paths: Path) -> subprocess.CompletedProcess[str]:
    java = shutil.which("java")
    assert java, f"java not found: {SETUP_HINT}"
    assert VNU_JAR.is_file(), f"{VNU_JAR.relative_to(ROOT)} not found: {SETUP_HINT}"
    return subprocess.run(
        [java, "-jar", str(VNU_JAR), "--errors-only", "--skip-non-html", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_built_sites_are_valid_html(site_dir: Path, subpath_site_dir: Path) -> None:
    run = run_vnu(site_dir, subpath_site_dir)
    output = (run.stdout + run.stderr).strip()
    assert run.returncode == 0 and output == "", f"vnu exit {run.returncode}:\n{output[:5000]}"


def test_the_checker_reports_invalid_html(tmp_path: Path) -> None:
    # Guards against a checker that accepts anything (wrong flags, wrong jar).
    (tmp_path / "bad.html").write_text(
        "<!doctype html><html lang=en><head><title>x</title></head><body><p id=a>1<p id=a>2</body></html>",
        encoding="utf-8",
    )
    run = run_vnu(tmp_path)
    assert run.returncode != 0
    assert "Duplicate ID" in run.stdout + run.stderr
