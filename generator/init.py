"""`briefing init DIR`: a new briefing that builds, checks (also with --strict) and serves
as it is written.

It holds config.yaml, one small example of each kind in content/ (a summit, a proposal
and a stakeholder, each citing the one example source), the editor schemas in schemas/,
.gitignore, requirements.txt (the generator to install), the GitHub Pages workflow and a
README stub. The templates are not copied: the packaged theme is used until the project
adds files of its own to templates/ (`generator.theme`).

The fixed files are package data in `generator/starter/`; the title is filled in, every
YAML file gets its schema header (relative to DIR, as `briefing schema` writes it), and
the schemas are generated from the models with the example ids. DIR must be new or empty
(a `.git` folder alone is allowed: a fresh clone); nothing is overwritten, and if any
file cannot be written, none is left behind.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import os
from pathlib import Path

from slugify import slugify

from generator import __version__
from generator.config import SiteConfig
from generator.contentfiles import KIND_FOLDERS, YAML_SUFFIXES
from generator.errors import BriefingError, Location, Problem
from generator.scaffold import readable, yaml_scalar
from generator.schema import CONFIG_FILE, SCHEMA_FOLDER, json_schemas, schema_header, schema_text, with_header
from generator.validate import validate_document
from generator.yamlfile import parse_yaml

#: The fixed files of a new briefing, by their path in it (but for RENAMED).
STARTER = Path(__file__).resolve().parent / "starter"
#: Starter files kept under another name in the package, which holds no hidden files.
RENAMED = {"gitignore": ".gitignore", "pages.yml": ".github/workflows/pages.yml"}
#: What the folder may hold already: the repository of a fresh clone.
ALLOWED = frozenset({".git"})
#: Where the title goes in config.yaml and README.md.
TITLE = b"{title}"
DISTRIBUTION = "briefing"


def init_project(folder: Path, title: str | None = None) -> tuple[list[Path], str]:
    """Write a new briefing into `folder` (made if missing), titled `title` or after the
    folder's name. Returns the files written, and a note for the author ('' if none):
    what to change before publishing. Raises BriefingError, writing nothing, if the
    folder holds anything, or the title is not valid."""
    _refuse_occupied(folder)
    root = folder.absolute()
    heading = " ".join((title or "").split()) or readable(slugify(root.resolve().name) or "briefing")
    files = starter_files(heading)
    requirement, local = install_requirement()
    files["requirements.txt"] = requirements_text(requirement, local).encode("utf-8")
    written = _write_new(root, files)
    note = ""
    if local:
        note = (
            f"requirements.txt names briefing as installed here, from a local {local} that GitHub's "
            "runners cannot reach: give it an address they can before publishing"
        )
    return written, note


def starter_files(title: str) -> dict[str, bytes]:
    """Every file of a new briefing titled `title` but requirements.txt, by its path in the
    briefing ('/'-separated)."""
    files: dict[str, bytes] = {}
    for path in sorted(STARTER.rglob("*")):
        if path.is_file() and not path.name.startswith(".") and "__pycache__" not in path.parts:
            name = path.relative_to(STARTER).as_posix()
            files[RENAMED.get(name, name)] = path.read_bytes()
    files[CONFIG_FILE] = files[CONFIG_FILE].replace(TITLE, yaml_scalar(title).encode("utf-8"))
    files["README.md"] = files["README.md"].replace(TITLE, title.encode("utf-8"))
    _check_config(files[CONFIG_FILE])
    root = Path("/briefing")  # any root: headers are relative paths within the briefing
    ids: dict[str, list[str]] = {}
    for kind, folder in KIND_FOLDERS.items():
        prefix = f"content/{folder}/"
        names = sorted(n for n in files if n.startswith(prefix) and n.endswith(YAML_SUFFIXES))
        for name in names:
            files[name] = with_header(files[name], schema_header(kind, root / name, root))
        ids[kind] = [Path(name).stem for name in names]
    files[CONFIG_FILE] = with_header(files[CONFIG_FILE], schema_header("config", root / CONFIG_FILE, root))
    for name, schema in json_schemas(ids).items():
        files[f"{SCHEMA_FOLDER}/{name}"] = schema_text(schema).encode("utf-8")
    return dict(sorted(files.items()))


def install_requirement() -> tuple[str, str]:
    """The pip requirement that installs this briefing again, as it was installed (PEP 610's
    direct_url.json), and '' if GitHub's runners can use it, else what they cannot reach:
    "file" or "folder"."""
    try:
        distribution = importlib.metadata.distribution(DISTRIBUTION)
        version, recorded = distribution.version, distribution.read_text("direct_url.json")
    except importlib.metadata.PackageNotFoundError:  # run from a checkout, not installed
        version, recorded = __version__, json.dumps({"url": STARTER.parents[1].as_uri(), "dir_info": {}})
    if recorded is None:  # from a package index
        return f"{DISTRIBUTION}=={version}", ""
    direct = json.loads(recorded)
    url = str(direct.get("url", ""))
    vcs = direct.get("vcs_info")
    if isinstance(vcs, dict):
        revision = vcs.get("commit_id") or vcs.get("requested_revision")
        address = f"{vcs.get('vcs', 'git')}+{url}" + (f"@{revision}" if revision else "")
        if direct.get("subdirectory"):
            address += f"#subdirectory={direct['subdirectory']}"
    else:
        address = url
    requirement = f"{DISTRIBUTION} @ {address}"
    if url.startswith(("https://", "http://", "ssh://")):
        return requirement, ""
    return requirement, "folder" if "dir_info" in direct else "file"


def requirements_text(requirement: str, local: str) -> str:
    """requirements.txt: the one requirement, explained; `local` as `install_requirement` says."""
    lines = ["# The briefing generator the Pages workflow installs: the one this briefing was started with."]
    if local:
        lines += [
            f"# It was installed from a local {local}, which GitHub's runners cannot reach: before",
            "# publishing, replace the line below with an address they can, e.g.",
            "#   briefing @ git+https://github.com/USER/briefing@v1.0.0",
        ]
    return "\n".join([*lines, requirement]) + "\n"


def _check_config(data: bytes) -> None:
    """Validate config.yaml as the build will, so that a title the model rejects (too long,
    a control character) is reported now."""
    document, problems = parse_yaml(data.decode("utf-8"), CONFIG_FILE)
    if document is not None and not problems:
        problems = validate_document(SiteConfig, document)[1]
    if problems:
        raise BriefingError(problems, "nothing written: the title is not valid")


def _refuse_occupied(folder: Path) -> None:
    """Raise BriefingError (BRF031) unless `folder` is missing or empty (but for ALLOWED)."""
    shown = folder.as_posix()
    hint = "name a new or empty folder, e.g. briefing init my-briefing"
    if folder.is_symlink() and not folder.exists():
        message = f"{shown} is a link to nothing"
    elif folder.exists() and not folder.is_dir():
        message = f"refusing to start a briefing in {shown}, which is a file"
    elif folder.is_dir():
        entries = sorted(name for name in os.listdir(folder) if name not in ALLOWED)
        if not entries:
            return
        listed = ", ".join(entries[:3]) + (", ..." if len(entries) > 3 else "")
        message = f"refusing to start a briefing in {shown}, which is not empty ({listed})"
    else:
        return
    raise BriefingError([Problem(Location(shown), message, hint, code="BRF031")], "nothing was written")


def _write_new(root: Path, files: dict[str, bytes]) -> list[Path]:
    """Create every file below `root`, never replacing one; on any failure, remove what
    was written and the folders made, and raise."""
    made: list[Path] = []
    written: list[Path] = []
    try:
        for name, data in files.items():
            path = root / name
            _make_folders(path.parent, made)
            try:  # os.open with 0o666 honours the umask, so the file gets the usual permissions
                descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            except FileExistsError:
                where = Location(path.as_posix())
                hint = "another program created it just now; look at the folder, then try again"
                message = f"{path.as_posix()} appeared while writing; it is left as it is"
                raise BriefingError(
                    [Problem(where, message, hint, code="BRF031")], "nothing was written"
                ) from None
            written.append(path)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
    except BaseException:
        for path in reversed(written):
            path.unlink(missing_ok=True)
        for folder in reversed(made):
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
    return written


def _make_folders(folder: Path, made: list[Path]) -> None:
    """Make `folder` and its missing parents, adding each one made to `made`."""
    missing = []
    while not folder.is_dir():
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        path.mkdir()
        made.append(path)
