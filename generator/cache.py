"""The build cache: what the last good build read and wrote, kept between runs.

`briefing build` is run again and again on a project that rarely changed much. The
cache lets the next run (a new process) skip a build whose inputs and output are
exactly as the last build left them, and rebuild an edited project incrementally from
the last build's state. It lives in `.cache/briefing/` beside config.yaml (git-ignored).

Every file is identified by a digest of its bytes; the (mtime, size, inode, ctime)
recorded beside it only spares re-reading files that were not touched. A cache that is missing,
unreadable, from another version of briefing or Python, or for other options, is
ignored and the build runs whole: the cache can make a build faster, never different.
This module needs only the standard library, so that a run with nothing to do is over
before the pipeline's modules would have finished importing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import marshal
import os
import pickle
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from generator import __version__
from generator.atomicfile import replace_file
from generator.contentfiles import (
    BODY_SUFFIXES,
    KIND_FOLDERS,
    YAML_SUFFIXES,
    Stat,
    files_below,
    is_ignored_name,
    stat_signature,
)
from generator.theme import PACKAGED_THEME

#: Where the cache lives, relative to the folder of config.yaml.
CACHE_FOLDER = Path(".cache") / "briefing"
_FINGERPRINT = "fingerprint.marshal"
_STATE = "state.pickle"
_FORMAT = 2


class BuildRequest(NamedTuple):
    """What a `briefing build` run was asked for: the cache is valid only for the same."""

    config_file: Path
    content_dir: Path | None
    output_dir: Path | None
    base_url: str | None
    search: bool

    def key(self) -> str:
        """A digest of the request, the configuration's bytes, and the code that builds."""
        try:
            config = self.config_file.read_bytes()
        except OSError:
            config = b""
        parts = [
            _FORMAT,
            __version__,
            sys.version,
            _code_digest(),
            str(self.config_file.resolve()),
            config.hex(),
            str(self.content_dir and self.content_dir.resolve()),
            str(self.output_dir and self.output_dir.absolute()),
            self.base_url,
            self.search,
        ]
        return hashlib.blake2b(json.dumps(parts).encode(), digest_size=16).hexdigest()


def file_digest(path: str) -> str:
    with open(path, "rb") as handle:
        return hashlib.blake2b(handle.read(), digest_size=16).hexdigest()


def stat_of(path: str) -> Stat | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return stat_signature(info)


class BuildCache:
    """The cache folder of one project."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @classmethod
    def beside(cls, config_file: Path) -> BuildCache:
        return cls(config_file.resolve().parent / CACHE_FOLDER)

    def up_to_date(self, key: str) -> Path | None:
        """The output folder, if the last build was for `key` and no input or output
        changed since; else None."""
        fingerprint = self._fingerprint(key)
        if (
            fingerprint is not None
            and _inputs_unchanged(fingerprint)
            and _outputs_unchanged(fingerprint["output"], fingerprint["outputs"])
        ):
            return Path(fingerprint["output"])
        return None

    def previous_state(self, key: str) -> Any:
        """The last build's state, if it was for `key` and its output is untouched; the
        inputs may have changed (that is what an incremental rebuild is for)."""
        fingerprint = self._fingerprint(key)
        if fingerprint is None or not _outputs_unchanged(fingerprint["output"], fingerprint["outputs"]):
            return None
        try:
            with open(self.folder / _STATE, "rb") as handle:
                if handle.read(16).hex() != fingerprint["build"]:
                    return None
                return pickle.load(handle)
        except Exception:  # a truncated or foreign file: never trusted, only ignored
            return None

    @staticmethod
    def encode(state: Any) -> bytes:
        """The build state as `save` stores it."""
        return pickle.dumps(state, protocol=5)

    def save(
        self,
        key: str,
        state: bytes,
        inputs: Mapping[str, tuple[Stat, str]],
        output_dir: Path,
        outputs: Iterable[str],
        watched: tuple[Path, Path],
    ) -> None:
        """Record a successful build: its `encode`d state, and each input (by absolute path) and
        output (relative to `output_dir`) as it is now. `watched` are the content and
        templates folders, listed again by `up_to_date` to see added files."""
        build = os.urandom(16)
        fingerprint = {
            "format": _FORMAT,
            "key": key,
            "build": build.hex(),
            "content": str(watched[0]),
            "templates": str(watched[1]),
            "output": str(output_dir),
            "inputs": {path: [*stat, digest] for path, (stat, digest) in inputs.items()},
            "outputs": _output_stats(output_dir, outputs),
        }
        self.folder.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            (self.folder / _FINGERPRINT).unlink()  # the old one no longer describes the output
        # The build id first, then the state: a state is trusted only with its fingerprint.
        replace_file(self.folder / _STATE, build + state)
        replace_file(self.folder / _FINGERPRINT, marshal.dumps(fingerprint))

    def _fingerprint(self, key: str) -> dict[str, Any] | None:
        try:  # marshal: plain data only, and several times quicker to read than JSON
            fingerprint = marshal.loads((self.folder / _FINGERPRINT).read_bytes())
        except (OSError, ValueError, EOFError, TypeError):
            return None
        if not isinstance(fingerprint, dict) or fingerprint.get("format") != _FORMAT:
            return None
        return fingerprint if fingerprint.get("key") == key else None


def template_inputs(templates_dir: Path) -> dict[str, tuple[Stat, str]]:
    """Stat and digest of every file of the templates folder, by absolute path."""
    found = {}
    for path in files_below(templates_dir):
        stat = stat_of(path)
        if stat is not None:
            found[path] = (stat, file_digest(path))
    return found


def _inputs_unchanged(fingerprint: dict[str, Any]) -> bool:
    """True if the content and templates folders hold the recorded files, each with its
    recorded stat or else its recorded digest."""
    recorded: dict[str, list[Any]] = fingerprint["inputs"]
    found: dict[str, os.stat_result] = {}
    content = fingerprint["content"]
    try:
        for folder in KIND_FOLDERS.values():
            _scan(os.path.join(content, folder), YAML_SUFFIXES + BODY_SUFFIXES, found)
        _scan(fingerprint["templates"], None, found)
    except OSError:
        return False
    if found.keys() != recorded.keys():
        return False
    for path, info in found.items():
        *stat, digest = recorded[path]
        if stat_signature(info) != tuple(stat):
            try:
                if info.st_size != stat[1] or file_digest(path) != digest:
                    return False
            except OSError:
                return False
    return True


def _scan(folder: str, suffixes: tuple[str, ...] | None, found: dict[str, os.stat_result]) -> None:
    """The stat of every file below `folder` that `files_below` lists (with one of
    `suffixes`, if given); a missing folder has none."""
    try:
        entries = os.scandir(folder)
    except FileNotFoundError:
        return
    with entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if not entry.name.startswith("."):
                    _scan(entry.path, suffixes, found)
            elif entry.is_dir():  # a link to a folder: os.walk does not follow it either
                continue
            elif not is_ignored_name(entry.name) and (suffixes is None or entry.name.endswith(suffixes)):
                found[entry.path] = entry.stat()


def _output_stats(output_dir: Path, outputs: Iterable[str]) -> dict[str, list[int]]:
    """(mtime, size) of each output file and of each folder holding one: a file added
    to a folder, or removed from it, changes the folder's mtime."""
    paths = set(outputs)
    paths |= {(folder or ".") + "/" for path in paths for folder in _folders_of(path)}
    stats = {}
    for path in sorted(paths):
        stat = stat_of(os.path.join(output_dir, path))
        if stat is not None:
            stats[path] = [stat[0], stat[1] if not path.endswith("/") else 0]
    return stats


def _folders_of(path: str) -> Iterable[str]:
    parts = path.split("/")[:-1]
    yield ""
    for end in range(1, len(parts) + 1):
        yield "/".join(parts[:end])


def _outputs_unchanged(output_dir: str, outputs: dict[str, list[int]]) -> bool:
    """True if every file the build wrote is still there as it was written, and nothing
    was added beside them."""
    stat = os.stat
    prefix = output_dir + os.sep
    try:
        for path, (mtime, size) in outputs.items():
            info = stat(prefix + path)
            if info.st_mtime_ns != mtime or (info.st_size != size and size):
                return False
    except OSError:
        return False
    return bool(outputs)


def _code_digest() -> str:
    """A digest of the package's own source and of the theme a wheel carries inside it,
    so that a changed generator never reuses a state built by the old one. (A checkout's
    theme, outside the package, is covered as the inputs of the repository's own briefing,
    whose templates folder it is.)"""
    digest = hashlib.blake2b(digest_size=16)
    package = Path(__file__).resolve().parent
    theme = [Path(name) for name in files_below(PACKAGED_THEME)]
    for path in sorted([*package.rglob("*.py"), *theme]):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()
