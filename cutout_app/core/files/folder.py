"""The photos of a folder in the order a file manager shows them, for stepping from one photo to the next."""

from __future__ import annotations

import os
import re
from pathlib import Path

from cutout_app.core.files.imageio import is_supported_image
from cutout_app.core.files.names import is_cutout_path


def _natural_key(name: str) -> list[object]:
    """``photo2`` before ``photo10``, case ignored."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name.casefold())]


def folder_photos(folder: str | Path) -> list[Path]:
    """The photos in ``folder`` (not its sub-folders, not hidden files, not cut-outs), in natural name order."""
    try:
        entries = [e for e in os.scandir(folder) if not e.name.startswith(".")]
    except OSError:
        return []
    photos = []
    for entry in entries:
        try:
            is_file = entry.is_file()
        except OSError:
            continue
        if is_file and is_supported_image(entry.name) and not is_cutout_path(entry.name):
            photos.append(Path(entry.path))
    return sorted(photos, key=lambda p: _natural_key(p.name))


def neighbour_photo(photo: str | Path, step: int) -> Path | None:
    """The photo ``step`` places after ``photo`` in its folder (before, when negative); None past either end.

    ``photo`` need not be in the list any more (deleted or renamed meanwhile): its neighbours by name are used.
    """
    photo = Path(photo)
    photos = folder_photos(photo.parent)
    names = [_natural_key(p.name) for p in photos]
    key = _natural_key(photo.name)
    if photo in photos:
        index = photos.index(photo) + step
    else:
        after = sum(1 for n in names if n < key)  # where it would be
        index = after + step - 1 if step > 0 else after + step
    return photos[index] if 0 <= index < len(photos) else None
