"""Where a result may be written: checked before long work, so that a bad name or folder fails at once.

Plain Python, no numpy or OpenCV (the command line checks the destination before the model loads).
"""

from __future__ import annotations

import os
from pathlib import Path

from cutout_app.core.errors import ExportError
from cutout_app.core.files.atomic import check_writable_folder, os_error_reason
from cutout_app.core.files.names import MAX_NAME_BYTES, name_bytes


def output_path_for(src: str | Path, out_dir: str | Path) -> Path:
    """The result file for photo ``src`` in ``out_dir``: the photo's name with a ``.png`` suffix."""
    return Path(out_dir) / (Path(src).stem + ".png")


def check_destination(out_path: str | Path, source: str | Path | None, overwrite: bool = False) -> None:
    """Raise :class:`ExportError` unless a result may be written to ``out_path``.

    Refused: a name not ending in ``.png``, a name too long for the file system, the ``source`` photo
    itself, a folder, an existing file unless ``overwrite``, and a folder where no file can be created.
    Callers check before long work so that a bad name or a read-only folder fails at once.
    """
    out_path = Path(out_path)
    if out_path.suffix.lower() != ".png":
        raise ExportError(f"Cannot export to '{out_path}': results are PNG files, the name must end in .png")
    length = name_bytes(out_path.name)
    if length > MAX_NAME_BYTES:
        raise ExportError(f"Cannot export to '{out_path}': the file name is too long ({length} bytes; "
                          f"file systems take at most {MAX_NAME_BYTES}); choose a shorter name")  # fmt: skip
    if source is not None and _same_file(out_path, Path(source)):
        raise ExportError(f"Refusing to overwrite the original photo '{source}': choose another name or folder")
    try:
        if out_path.is_dir():
            raise ExportError(f"Cannot export to '{out_path}': it is a folder")
        if out_path.exists() and not overwrite:
            raise ExportError(f"'{out_path}' already exists; choose another name or allow overwriting")
    except OSError as exc:
        raise ExportError(f"Cannot export to '{out_path}': {os_error_reason(exc)}") from exc
    check_writable_folder(out_path.parent)


def _same_file(a: Path, b: Path) -> bool:
    """True if ``a`` and ``b`` name the same file (following links, case rules of the OS)."""
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    try:
        a, b = a.resolve(), b.resolve()
    except (OSError, RuntimeError):  # e.g. a symlink loop
        a, b = a.absolute(), b.absolute()
    return os.path.normcase(a) == os.path.normcase(b)
