"""Hidden working files beside results: the locks that say their writer is alive, and cleaning up after dead ones.

An atomic write's temporary file (``.NAME.XXXXXXXX.tmp``) and a batch's claim on an output
(``.NAME.cutout-lock``) are held under an advisory lock (``flock``) for as long as their writer works.
The kernel drops the lock when the writer dies, even by ``kill -9``, so an unlocked one is a leftover:
:func:`remove_stale_files` deletes those. Where ``flock`` does not exist (Windows), only leftovers
older than a day are deleted, and claims never block.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from pathlib import Path
from typing import Iterator

from cutout_app.core.files.names import hidden_name
from cutout_app.core.files.regular import open_regular

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

CLAIM_SUFFIX = ".cutout-lock"

#: A working file this recent is never taken for a leftover: its writer may not have locked it yet.
_MIN_AGE_S = 60.0
#: Without flock, working files older than this are taken for leftovers.
_UNLOCKED_MAX_AGE_S = 86400.0
_TEMP_PATTERN = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp$")


def try_lock(fd: int) -> bool:
    """Take an exclusive advisory lock on an open file without waiting; False if another process holds one.

    Always True where locks are not supported.
    """
    if fcntl is None:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError:
        return True  # a file system without locks: behave as if there were none
    return True


@contextlib.contextmanager
def claim(path: Path) -> Iterator[bool]:
    """Claim the right to produce ``path`` among cutout processes, for the ``with`` block.

    Yields True when this process holds the claim, False when another live process does (then leave
    ``path`` alone). The claim file is removed afterwards. Yields True if no claim file can be made; a
    claim file that is a link, a FIFO or a device (planted in a folder someone sent) is neither opened
    through nor removed: the link's target is never created or touched.
    """
    lock = Path(path).parent / hidden_name(Path(path).name, CLAIM_SUFFIX)
    try:
        fd = open_regular(lock, os.O_RDWR | os.O_CREAT, 0o644, follow=False)
    except OSError:
        yield True
        return
    try:
        if not try_lock(fd):
            yield False
            return
        try:
            yield True
        finally:
            with contextlib.suppress(OSError):
                os.unlink(lock)
    finally:
        os.close(fd)


def remove_stale_files(folder: Path, target_suffix: str = "") -> list[Path]:
    """Delete the temporary and claim files in ``folder`` that no live process holds; returns them.

    Only working files of targets whose name ends in ``target_suffix`` (e.g. ``".png"``) are looked
    at; they must also be older than a minute (a day where files cannot be locked).
    """
    removed: list[Path] = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    now = time.time()
    for name in names:
        if not name.startswith("."):
            continue
        if name.endswith(CLAIM_SUFFIX):
            target = name[1 : -len(CLAIM_SUFFIX)]
        elif _TEMP_PATTERN.match(name):
            target = name[1 : -len(".XXXXXXXX.tmp")]
        else:
            continue
        if not target.endswith(target_suffix) and "~" not in target:
            continue
        path = Path(folder) / name
        if _remove_if_abandoned(path, now):
            removed.append(path)
    return removed


def _remove_if_abandoned(path: Path, now: float) -> bool:
    """Delete ``path`` if it is an old, unlocked regular file; True if it was deleted."""
    try:
        st = os.lstat(path)
        if not os.path.isfile(path) or os.path.islink(path) or now - st.st_mtime < _MIN_AGE_S:
            return False
        if fcntl is None:
            if now - st.st_mtime < _UNLOCKED_MAX_AGE_S:
                return False
            os.unlink(path)
            return True
        fd = open_regular(path, os.O_RDWR, follow=False)
    except OSError:
        return False
    try:
        if not try_lock(fd):
            return False
        os.unlink(path)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)
