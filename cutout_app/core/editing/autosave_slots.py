"""One autosave per window: the slots of a photo's autosave folder, and the lock a window holds on its slot.

A photo's autosaves live in folders named after its version's digest: ``<digest>`` (the first slot,
the name every autosave had before slots) and ``<digest>-2``, ``<digest>-3``... for further windows
on the same photo. A window holds its slot's lock (``flock`` on the slot's ``.lock`` file, which
discarding or setting aside the autosave leaves in place) for as long as it edits there, so a second window never writes into the first one's files
and never offers or deletes them; the kernel drops the lock when the window's process dies, even by
``kill -9``, and the slot is then offered for restore. Where ``flock`` does not exist (Windows),
every slot looks free.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import BinaryIO

from cutout_app.core.files.filelock import try_lock

LOCK_NAME = ".lock"
_SLOT = re.compile(r"^([0-9a-f]{40})(?:-([0-9]+))?$")


def slot_name(digest: str, number: int) -> str:
    """The folder name of slot ``number`` (1, 2, ...) of the photo whose digest is ``digest``."""
    return digest if number == 1 else f"{digest}-{number}"


def parse_slot(name: str) -> tuple[str, int] | None:
    """``(digest, number)`` of a slot folder name, or None for any other name."""
    match = _SLOT.match(name)
    if match is None:
        return None
    number = int(match.group(2) or 1)
    return (match.group(1), number) if number >= 1 and slot_name(match.group(1), number) == name else None


def slot_folders(root: Path, digest: str) -> list[Path]:
    """The slot folders of ``digest`` that exist under ``root``, by slot number."""
    found = []
    try:
        names = [entry.name for entry in os.scandir(root) if entry.is_dir(follow_symlinks=False)]
    except OSError:
        return []
    for name in names:
        parsed = parse_slot(name)
        if parsed is not None and parsed[0] == digest:
            found.append((parsed[1], root / name))
    return [folder for _, folder in sorted(found)]


class SlotLock:
    """A window's hold on one slot; :meth:`take` returns None while another window (any process) holds it."""

    def __init__(self, path: Path, handle: BinaryIO) -> None:
        self.path = path
        self._handle: BinaryIO | None = handle

    @classmethod
    def take(cls, folder: Path, create: bool = True) -> SlotLock | None:
        """Lock slot ``folder`` (created if need be, unless not ``create``); None if another window holds it.

        OSError if no lock file can be made (or, without ``create``, when the slot does not exist).
        """
        if create:
            folder.mkdir(parents=True, exist_ok=True)
        path = folder / LOCK_NAME
        handle = open(path, "a+b")  # noqa: SIM115 - held for the slot's lifetime
        if not try_lock(handle.fileno()):
            handle.close()
            return None
        return cls(path, handle)

    @property
    def held(self) -> bool:
        return self._handle is not None

    def release(self) -> None:
        """Let other windows have the slot (closing the file drops the lock); a slot left empty is removed."""
        if self._handle is None:
            return
        folder = self.path.parent
        try:
            if [p.name for p in folder.iterdir()] == [LOCK_NAME]:
                self.path.unlink()
                folder.rmdir()
        except OSError:
            pass  # another window just took it, or it is not ours to remove
        finally:
            self._handle.close()
            self._handle = None


def is_held(folder: Path) -> bool:
    """True while some window holds slot ``folder``."""
    try:
        lock = SlotLock.take(folder, create=False)
    except OSError:
        return False
    if lock is None:
        return True
    lock.release()
    return False
