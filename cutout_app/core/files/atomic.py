"""Writing files so that a crash, a full disk or a power cut never leaves a half-written result.

The data goes to a temporary file in the destination folder (the same file system, so the final
``os.replace`` is an atomic rename), is flushed to disk, and only then takes the destination's name.
The temporary file is locked while it is written, so that one left by a killed writer can be told
from one being written (:func:`cutout_app.core.files.filelock.remove_stale_files`).
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from cutout_app.core.errors import ExportError
from cutout_app.core.files.filelock import try_lock
from cutout_app.core.files.names import hidden_name

#: The errno values of a disk with no space (or no quota) left.
DISK_FULL_ERRORS = frozenset({errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)})

_TEMP_TAIL = "XXXXXXXX.tmp"  # what mkstemp adds: 8 random characters, then the suffix

# The process umask, read once at import: mkstemp creates files 0600, but a result should get the
# permissions any new file in that folder would get. (os.umask can only be read by setting it.)
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def atomic_write_bytes(path: str | Path, data: bytes | bytearray | memoryview | list[bytes]) -> Path:
    """Write ``data`` (or a list of byte strings, one after the other) to ``path`` atomically: readers see
    the old file or the whole new one, never a part.

    The parent folder must exist. A file already at ``path`` is replaced (keeping its permissions).
    On any failure the temporary file is removed and the destination is untouched. Raises
    :class:`ExportError` with a message naming the folder for permission problems, a read-only
    file system, a full disk and other OS errors. Returns ``path``.
    """
    path = Path(path)
    folder = path.parent
    prefix = hidden_name(path.name, "." + _TEMP_TAIL)[: -len(_TEMP_TAIL)]
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=folder)
    except OSError as exc:
        raise ExportError(_message(path, exc)) from exc
    try_lock(fd)
    lock_fd = os.dup(fd)  # keeps the lock after the file object closes, until the rename is done

    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as f:
            for part in data if isinstance(data, list) else [data]:
                f.write(part)
            f.flush()
            os.fsync(f.fileno())
        try:
            mode = path.stat().st_mode & 0o7777
        except OSError:
            mode = 0o666 & ~_UMASK
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            tmp.unlink()
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise ExportError(_message(path, exc)) from exc
        raise
    finally:
        os.close(lock_fd)
    _fsync_folder(folder)
    return path


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where folders cannot be opened (Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def check_writable_folder(folder: str | Path) -> None:
    """Raise :class:`ExportError` unless a file can be created in ``folder`` (or, if it does not exist yet,
    in its nearest existing parent, where it would be created).

    Proven by creating and removing a small hidden file, which is the only test that also holds for
    read-only file systems, network shares and the root user.
    """
    folder = Path(folder)
    probe_in = folder
    while not probe_in.exists() and probe_in.parent != probe_in:
        probe_in = probe_in.parent
    if not probe_in.is_dir():
        raise ExportError(f"Cannot write into the folder '{folder}': '{probe_in}' is a file, not a folder")
    try:
        fd, probe = tempfile.mkstemp(dir=probe_in, prefix=".cutout-write-test-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise ExportError(f"Cannot write into the folder '{probe_in}': {os_error_reason(exc)}") from exc


def os_error_reason(exc: OSError) -> str:
    """A short user-facing reason for an OS error from writing a file or creating a folder."""
    if isinstance(exc, PermissionError):
        return "permission denied (the folder is read-only or belongs to another user)"
    if exc.errno == errno.EROFS:
        return "the disk is read-only"
    if exc.errno in DISK_FULL_ERRORS:
        return "the disk is full"
    if isinstance(exc, (FileExistsError, NotADirectoryError)):
        return "part of that path is a file, not a folder"
    if exc.errno == errno.ENAMETOOLONG:
        return "the name is too long for the file system"
    return str(exc.strerror or exc)


def _message(path: Path, exc: OSError) -> str:
    folder = path.parent
    where = f"Cannot write '{path.name}' in the folder '{folder}'"
    if not folder.exists():
        return f"{where}: the folder does not exist"
    if not folder.is_dir():
        return f"{where}: '{folder}' is a file, not a folder"
    if path.is_dir():
        return f"{where}: a folder with that name is in the way"
    return f"{where}: {os_error_reason(exc)}"
