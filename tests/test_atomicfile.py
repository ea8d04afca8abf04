"""The one way files are replaced in place: whole or not at all."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from generator.atomicfile import replace_file, write_temporary
from generator.contentfiles import is_ignored_name


def test_replace_file_keeps_the_mode_and_leaves_nothing_beside(tmp_path: Path) -> None:
    path = tmp_path / "hanoi-2019.yaml"
    path.write_bytes(b"old")
    path.chmod(0o600)
    replace_file(path, b"new", durable=True)
    assert path.read_bytes() == b"new"
    assert path.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hanoi-2019.yaml"]


def test_a_failed_replacement_keeps_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "hanoi-2019.yaml"
    path.write_bytes(b"old")

    with pytest.raises(TypeError):  # bytes that cannot be written: the write fails midway
        replace_file(path, object(), durable=False)  # type: ignore[arg-type]
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hanoi-2019.yaml"]


def test_the_temporary_is_hidden_from_the_loader_and_the_watcher(tmp_path: Path) -> None:
    temp = write_temporary(tmp_path / "hanoi-2019.yaml", b"draft")
    try:
        assert is_ignored_name(temp.name)
        assert temp.parent == tmp_path
        assert temp.read_bytes() == b"draft"
    finally:
        os.unlink(temp)
