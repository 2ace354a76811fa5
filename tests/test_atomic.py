"""Atomic file writes on a real file system: replace, permissions, failures leave nothing behind."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from cutout_app.core.errors import ExportError
from cutout_app.core.files.atomic import atomic_write_bytes

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_writes_new_file_with_normal_permissions(tmp_path: Path) -> None:
    target = tmp_path / "out.png"
    assert atomic_write_bytes(target, b"hello") == target
    assert target.read_bytes() == b"hello"
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~current_umask()
    assert os.listdir(tmp_path) == ["out.png"]


def test_replaces_existing_file_and_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "out.png"
    target.write_bytes(b"old contents that are longer")
    target.chmod(0o640)
    atomic_write_bytes(target, memoryview(b"new"))
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert os.listdir(tmp_path) == ["out.png"]


def test_non_ascii_name(tmp_path: Path) -> None:
    target = tmp_path / "結果 é.png"
    atomic_write_bytes(target, b"x")
    assert target.read_bytes() == b"x"


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="does not exist") as info:
        atomic_write_bytes(tmp_path / "nope" / "out.png", b"x")
    assert str(tmp_path / "nope") in str(info.value)


def test_parent_is_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("I am a file")
    with pytest.raises(ExportError, match="is a file, not a folder") as info:
        atomic_write_bytes(blocker / "out.png", b"x")
    assert str(blocker) in str(info.value)
    assert blocker.read_text() == "I am a file"
    assert os.listdir(tmp_path) == ["file.txt"]


@pytest.mark.skipif(IS_ROOT, reason="running as root: chmod 0o555 does not stop root from writing")
def test_read_only_folder(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(ExportError, match="permission denied") as info:
            atomic_write_bytes(folder / "out.png", b"x")
        assert str(folder) in str(info.value)
        assert os.listdir(folder) == []
    finally:
        folder.chmod(0o755)


def test_failed_replace_removes_the_temp_file_and_keeps_the_target(tmp_path: Path) -> None:
    """A non-empty folder where the file should go: the temp file is written, the rename fails."""
    target = tmp_path / "out.png"
    target.mkdir()
    (target / "keep.txt").write_text("precious")
    with pytest.raises(ExportError, match="folder with that name"):
        atomic_write_bytes(target, b"x" * 10_000)
    assert sorted(os.listdir(tmp_path)) == ["out.png"]
    assert (target / "keep.txt").read_text() == "precious"


def test_failed_write_removes_the_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "out.png"
    target.write_bytes(b"original")
    with pytest.raises(TypeError):
        atomic_write_bytes(target, "not bytes")  # type: ignore[arg-type]
    assert os.listdir(tmp_path) == ["out.png"]
    assert target.read_bytes() == b"original"
