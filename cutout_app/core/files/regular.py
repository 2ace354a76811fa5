"""Opening files that someone else may have planted: regular files only, never through a link, reads bounded.

Every file cutout reads from a user's folders (photos, masks, autosave journals, batch manifests) or
appends to in a folder it was given (the manifest, claim files, the autosave journal) is opened here:

- **Regular files only.** A FIFO named ``photo.jpg`` would block a reader for ever, a link to
  ``/dev/zero`` would feed it without end, and a device may do anything on open. The path is looked at
  with ``stat`` before it is opened, opened without blocking, and looked at again with ``fstat``: the
  same regular file both times, or :class:`NotRegularFileError`.
- **Never through a link cutout did not make** (``follow=False``): the last component is opened with
  ``O_NOFOLLOW``, so a manifest planted as a link to ``~/.bashrc`` is refused, not appended to.
- **Bounded reads**: :func:`read_regular` refuses a file larger than the caller's limit before reading
  it (an 8 GB sparse file costs nothing), and never reads more than the limit if the file grows meanwhile.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation


class NotRegularFileError(OSError):
    """The path is not a regular file (a FIFO, a device, a socket, a folder), or a link where none may be."""


class FileTooLargeError(OSError):
    """The file is larger than the reader allows."""


def kind_of(mode: int) -> str:
    """What a file of ``st_mode`` is, in a user's words ("a FIFO (named pipe)", "a device"...)."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISLNK(mode):
        return "a link"
    return "not a regular file"


def is_regular(path: str | os.PathLike[str], follow: bool = True) -> bool:
    """True if ``path`` is a regular file (through links unless ``follow`` is False); never raises."""
    try:
        st = os.stat(path) if follow else os.lstat(path)
    except (OSError, ValueError):
        return False
    return stat.S_ISREG(st.st_mode)


def open_regular(path: str | os.PathLike[str], flags: int = os.O_RDONLY, mode: int = 0o644, *,
                 follow: bool = True) -> int:
    """A file descriptor for the regular file ``path``, opened with ``flags`` (``O_CREAT`` may create it).

    Raises :class:`NotRegularFileError` when ``path`` is anything but a regular file, when it changed
    between the look and the open, or (``follow=False``) when it is a link; other OSErrors as ``os.open``
    raises them. The descriptor is blocking and close-on-exec; the caller closes it.
    """
    before = _look(path, follow)
    if before is not None and not stat.S_ISREG(before.st_mode):
        raise NotRegularFileError(errno.EINVAL, f"it is {kind_of(before.st_mode)}, not a regular file", os.fspath(path))
    try:
        fd = os.open(path, flags | _NONBLOCK | _CLOEXEC | _BINARY | (0 if follow else _NOFOLLOW), mode)
    except OSError as exc:
        if not follow and exc.errno in (errno.ELOOP, errno.EMLINK) and os.path.islink(path):
            raise NotRegularFileError(exc.errno, "it is a link, and cutout never writes through a link it did not make",
                                      os.fspath(path)) from None
        raise
    try:
        after = os.fstat(fd)
        if not stat.S_ISREG(after.st_mode):
            raise NotRegularFileError(errno.EINVAL, f"it is {kind_of(after.st_mode)}, not a regular file", os.fspath(path))
        if before is not None and (before.st_dev, before.st_ino) != (after.st_dev, after.st_ino):
            raise NotRegularFileError(errno.EAGAIN, "it was replaced while being opened", os.fspath(path))
        if _NONBLOCK:
            import fcntl

            fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~_NONBLOCK)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_regular(path: str | os.PathLike[str], limit: int, *, follow: bool = True, prefix: bool = False) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them.

    Raises :class:`FileTooLargeError` for a file larger than ``limit`` (before reading it), unless
    ``prefix``: then its first ``limit`` bytes are the answer. :class:`NotRegularFileError` as
    :func:`open_regular` raises it, and other OSErrors as reading raises them.
    """
    fd = open_regular(path, os.O_RDONLY, follow=follow)
    try:
        size = os.fstat(fd).st_size
        if size > limit and not prefix:
            raise FileTooLargeError(errno.EFBIG, f"it is {size:,} bytes; at most {limit:,} are read", os.fspath(path))
        parts, total = [], 0
        while True:
            part = os.read(fd, min(1 << 24, limit + 1 - total))
            if not part:
                break
            parts.append(part)
            total += len(part)
            if total > limit:
                if prefix:
                    return b"".join(parts)[:limit]
                raise FileTooLargeError(errno.EFBIG, f"it grew beyond {limit:,} bytes while being read", os.fspath(path))
        return b"".join(parts)
    finally:
        os.close(fd)


def check_no_links_below(root: str | os.PathLike[str], path: str | os.PathLike[str]) -> None:
    """Raise :class:`NotRegularFileError` if a folder between ``root`` and ``path`` (``root`` itself excluded)
    is a link: a batch writes into the output folder it was given, never where a link planted in it leads.

    Folders that do not exist yet are fine (they will be made as real folders). ``path`` must lie under ``root``.
    """
    root, path = Path(root), Path(path)
    current = root
    for part in path.parent.relative_to(root).parts:
        current = current / part
        try:
            st = os.lstat(current)
        except FileNotFoundError:
            return
        if stat.S_ISLNK(st.st_mode):
            raise NotRegularFileError(errno.ELOOP, f"the folder '{current}' inside the output folder is a link, "
                                                   "and cutout never writes through a link it did not make",
                                      os.fspath(path))  # fmt: skip


def _look(path: str | os.PathLike[str], follow: bool) -> os.stat_result | None:
    """``stat`` (or ``lstat``) of ``path``; None when it does not exist (an ``O_CREAT`` open may make it)."""
    try:
        st = os.stat(path) if follow else os.lstat(path)
    except FileNotFoundError:
        return None
    if not follow and stat.S_ISLNK(st.st_mode):
        raise NotRegularFileError(errno.ELOOP, "it is a link, and cutout never writes through a link it did not make",
                                  os.fspath(path))
    return st
