"""The one naming rule for results: ``photo.jpg`` -> ``photo-cutout.png`` beside it.

The window's export, ``cutout segment`` and an in-place batch (output folder = input folder) all use it,
and a batch never takes such a file as a photo to cut out.
"""

from __future__ import annotations

from pathlib import Path

from cutout_app.core.filenames import fit_name

#: Added to a photo's stem to name its cut-out.
CUTOUT_SUFFIX = "-cutout"


def cutout_path(photo: str | Path, folder: str | Path | None = None) -> Path:
    """``<folder>/<stem>-cutout.png`` for ``photo`` (``folder`` defaults to the photo's own): never the photo itself.

    A stem too long for the file system is shortened so that the name fits (``filenames.fit_name``).
    """
    photo = Path(photo)
    return Path(folder if folder is not None else photo.parent) / fit_name(photo.stem, f"{CUTOUT_SUFFIX}.png")


def is_cutout_path(path: str | Path) -> bool:
    """True for a ``<stem>-cutout.png`` file: a result, not a photo."""
    path = Path(path)
    return path.suffix.lower() == ".png" and path.stem.endswith(CUTOUT_SUFFIX)
