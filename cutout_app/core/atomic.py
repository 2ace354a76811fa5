"""Writing files so that a crash, a full disk or a power cut never leaves a half-written result.

The data goes to a temporary file in the destination folder (the same file system, so the final
``os.replace`` is an atomic rename), is flushed to disk, and only then takes the destination's name.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from cutout_app.core.errors import ExportError

# The process umask, read once at import: mkstemp creates files 0600, but a result should get the
# permissions any new file in that folder would get. (os.umask can only be read by setting it.)
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def atomic_write_bytes(path: str | Path, data: bytes | bytearray | memoryview) -> Path:
    """Write ``data`` to ``path`` atomically: readers see the old file or the whole new one, never a part.

    The parent folder must exist. A file already at ``path`` is replaced (keeping its permissions).
    On any failure the temporary file is removed and the destination is untouched. Raises
    :class:`ExportError` with a message naming the folder for permission problems, a read-only
    file system, a full disk and other OS errors. Returns ``path``.
    """
    path = Path(path)
    folder = path.parent
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise ExportError(_message(path, exc)) from exc

    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
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


def os_error_reason(exc: OSError) -> str:
    """A short user-facing reason for an OS error from writing a file or creating a folder."""
    if isinstance(exc, PermissionError):
        return "permission denied (the folder is read-only or belongs to another user)"
    if exc.errno == errno.EROFS:
        return "the disk is read-only"
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return "the disk is full"
    if isinstance(exc, (FileExistsError, NotADirectoryError)):
        return "part of that path is a file, not a folder"
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
