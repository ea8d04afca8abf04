"""Write: output files → a staging directory → swapped into the output directory.

The last good site is replaced only once the new one is complete on disk, so a failed or
interrupted build never leaves a half-written site. Files whose bytes did not change are
hard-linked from the previous build rather than rewritten (their mtime stays put). The
writer only ever touches the output directory and its own staging siblings, and refuses
an output directory that is not clearly its own.

A build killed outright (SIGKILL, power loss) cannot clean up after itself, so the next
build does: it deletes the staging folders of dead builds (marked and no longer locked,
see `generator.tempdirs`) and the retired sites nobody finished deleting (they hold our
manifest), and nothing else.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable, Collection, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from generator.atomicfile import write_temporary
from generator.errors import BriefingError, Location, Problem, relative_name
from generator.render import OutputFile
from generator.tempdirs import make_marked_dir, remove_stale, remove_tree

#: Written into every output directory; marks it as ours and lists what we wrote.
MANIFEST = ".briefing-manifest.json"


@dataclass(frozen=True)
class WriteReport:
    """What a write did, for the build summary."""

    written: int
    unchanged: int
    removed: int
    #: Paths written with new bytes or removed, sorted.
    changed: tuple[str, ...] = ()


def check_output_dir(out_dir: Path, project_root: Path, sources: Sequence[Path]) -> list[Problem]:
    """Refuse an output directory that would overwrite the project or someone's files.

    `sources` are the folders the build reads (content, templates): the output may be
    neither one of them, nor inside them, nor around them.
    """
    out = out_dir.resolve()
    shown = Location(relative_name(out_dir, Path.cwd()))
    hint = "choose a separate output directory, e.g. --out site"
    for path in (project_root, *sources):
        guarded = path.resolve()
        if out == guarded or out in guarded.parents:
            return [
                Problem(
                    shown,
                    f"refusing to write the site over {relative_name(path, Path.cwd()) or '.'}, "
                    "which holds project files",
                    hint,
                    code="BRF031",
                )
            ]
    for path in sources:
        if path.resolve() in out.parents:
            return [
                Problem(
                    shown,
                    f"refusing to write the site inside {relative_name(path, Path.cwd())}",
                    hint,
                    code="BRF031",
                )
            ]
    if out.exists() and not out.is_dir():
        return [
            Problem(
                shown,
                "output path exists and is not a directory",
                "remove it or choose another --out",
                code="BRF031",
            )
        ]
    if out.is_dir() and any(out.iterdir()) and not (out / MANIFEST).is_file():
        return [
            Problem(
                shown,
                "output directory is not empty and was not created by briefing",
                "choose an empty or new directory, or delete this one if you no longer need it",
                code="BRF031",
            )
        ]
    return []


def write_site(
    files: Iterable[OutputFile],
    out_dir: Path,
    project_root: Path,
    sources: Sequence[Path],
    swap_guard: AbstractContextManager[object] | None = None,
    discard: Callable[[Path], None] | None = None,
    prepare: Callable[[Path], None] | None = None,
) -> WriteReport:
    """Write `files` as the complete new content of `out_dir`.

    `prepare` runs on the complete staging directory before it goes live (the search
    index is built there). `swap_guard` is held while the directories are swapped (a
    server holds it while it opens a file, and so never sees a half-swap). `discard`
    deletes the replaced tree.

    Leftovers of killed builds beside `out_dir` are removed first (`_remove_leftovers`).
    The staging folder carries a locked marker while this build runs, so a concurrent
    build leaves it alone; the marker is removed just before the swap and so is never
    published.
    """
    problems = check_output_dir(out_dir, project_root, sources)
    if problems:
        raise BriefingError(problems)
    out = out_dir.absolute()
    out.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(out)
    previous = _read_manifest(out)
    marked = make_marked_dir(out.parent, f".{out.name}.staging-")
    staging = marked.path
    unchanged = 0
    written: list[str] = []
    paths: list[str] = []
    try:
        staging.chmod(0o755)  # mkdtemp makes it private; the published site must be readable
        for file in files:
            paths.append(file.path)
            target = staging / file.path
            target.parent.mkdir(parents=True, exist_ok=True)
            old = out / file.path
            if file.path in previous and _same_bytes(old, file.data):
                os.link(old, target)
                unchanged += 1
            else:
                target.write_bytes(file.data)
                written.append(file.path)
        # Page paths come from (kind, id) and ids are unique per kind (BRF021), so no two
        # pages can share a URL; a duplicate here would be a bug, not a content error.
        assert len(set(paths)) == len(paths), "two outputs with one path"
        (staging / MANIFEST).write_text(json.dumps(sorted(paths), indent=0) + "\n", encoding="utf-8")
        if prepare is not None:
            prepare(staging)
        marked.unmark()
        with swap_guard or contextlib.nullcontext():
            retired = _swap(staging, out)
    except BaseException:
        marked.discard()
        raise
    if retired is not None:
        (discard or _delete_tree)(retired)
    removed = previous - set(paths)
    return WriteReport(len(written), unchanged, len(removed), tuple(sorted({*written, *removed})))


def update_site(
    files: Sequence[OutputFile],
    remove: Collection[str],
    out_dir: Path,
    project_root: Path,
    sources: Sequence[Path],
    swap_guard: AbstractContextManager[object] | None = None,
) -> WriteReport:
    """Apply an incremental build to the output in place: `files` whose bytes changed are
    replaced, `remove` deleted, everything else left alone.

    Made for rebuilds while previewing, where a few files change among thousands: new
    bytes go to temporary files first, then all renames happen at once under
    `swap_guard`, so a server holding the guard sees the old site or the new one.
    """
    problems = check_output_dir(out_dir, project_root, sources)
    if problems:
        raise BriefingError(problems)
    out = out_dir.absolute()
    if not (out / MANIFEST).is_file():
        raise BriefingError(
            [
                Problem(
                    Location(str(out_dir)), "no previous build to update", "run a full build", code="BRF031"
                )
            ]
        )
    listed = _read_manifest(out)
    changed = [f for f in files if not (f.path in listed and _same_bytes(out / f.path, f.data))]
    temporary: list[tuple[Path, Path]] = []
    try:
        for file in changed:
            target = out / file.path
            target.parent.mkdir(parents=True, exist_ok=True)
            temp = write_temporary(target, file.data)
            os.chmod(temp, 0o644)  # the published site must be readable, whatever the umask
            temporary.append((temp, target))
        paths = sorted((listed | {f.path for f in files}) - set(remove))
        manifest = write_temporary(out / MANIFEST, (json.dumps(paths, indent=0) + "\n").encode())
        temporary.append((manifest, out / MANIFEST))  # renamed last: it lists what is there
        with swap_guard or contextlib.nullcontext():
            for source, target in temporary[:-1]:
                os.replace(source, target)
            for path in remove:
                with contextlib.suppress(FileNotFoundError):
                    (out / path).unlink()
                _prune_empty_parents(out / path, out)
            os.replace(manifest, out / MANIFEST)
    except BaseException:
        for source, _ in temporary:
            with contextlib.suppress(OSError):
                source.unlink()
        raise
    gone = set(remove) & listed
    touched = tuple(sorted({*(f.path for f in changed), *gone}))
    return WriteReport(len(changed), len(paths) - len(changed), len(gone), touched)


def _remove_leftovers(out: Path) -> None:
    """Delete what killed builds of `out` left beside it, and only that.

    Staging folders go if their marker is present and unlocked (their build is dead);
    retired sites (`.old-*`) go if they hold our manifest, which every site we retire
    does. Anything else with a similar name is someone else's and stays.
    """
    remove_stale(out.parent, f".{out.name}.staging-*")
    for retired in sorted(out.parent.glob(f".{out.name}.old-*")):
        if not retired.is_symlink() and (retired / MANIFEST).is_file():
            remove_tree(retired, last=MANIFEST)


def _prune_empty_parents(path: Path, top: Path) -> None:
    folder = path.parent
    while folder != top and top in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def _read_manifest(out: Path) -> set[str]:
    try:
        listed = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    return {p for p in listed if isinstance(p, str)} if isinstance(listed, list) else set()


def _same_bytes(path: Path, data: bytes) -> bool:
    try:
        return (
            path.is_file()
            and not path.is_symlink()
            and path.stat().st_size == len(data)
            and path.read_bytes() == data
        )
    except OSError:
        return False


def _swap(staging: Path, out: Path) -> Path | None:
    """Put `staging` in place of `out` with two renames; returns the replaced tree.

    An output folder without our manifest is empty (`check_output_dir` made sure), so it
    is removed rather than retired: every retired tree then holds the manifest that lets
    a later build recognise it as ours, should this one die before deleting it.
    """
    if out.is_dir() and not out.is_symlink() and not (out / MANIFEST).is_file():
        out.rmdir()
        try:
            staging.rename(out)
        except OSError:
            out.mkdir(exist_ok=True)
            raise
        return None
    if not out.exists():
        staging.rename(out)
        return None
    retired = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    retired.rmdir()
    out.rename(retired)
    try:
        staging.rename(out)
    except OSError:
        retired.rename(out)
        raise
    return retired


def _delete_tree(path: Path) -> None:
    """Delete a retired site, its manifest last, so a deletion cut short is finished later."""
    remove_tree(path, last=MANIFEST)
