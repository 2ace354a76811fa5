"""Names of results: the one naming rule (``photo.jpg`` -> ``photo-cutout.png``) and names that fit the file system.

The window's export, ``cutout segment`` and an in-place batch (output folder = input folder) all use
:func:`cutout_path`, and a batch never takes such a file as a photo to cut out.

Most file systems (ext4, XFS, APFS; NTFS counts characters) take names of at most 255 bytes, however
long the whole path may be. A photo's name near that limit gains ``-cutout`` or ``-jpg`` in its result's
name, so these helpers cut the stem at a character boundary to make the name fit.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

#: The longest file name, in bytes, that common file systems accept.
MAX_NAME_BYTES = 255


def name_bytes(name: str) -> int:
    """Length of a file name in bytes, as the file system sees it."""
    return len(os.fsencode(name))


def fit_name(stem: str, tail: str, limit: int = MAX_NAME_BYTES) -> str:
    """``stem + tail``, the stem shortened at a character boundary until the name fits in ``limit`` bytes."""
    room = limit - name_bytes(tail)
    encoded = os.fsencode(stem)
    if len(encoded) <= room:
        return stem + tail
    short = os.fsdecode(encoded[: max(room, 0)])
    while name_bytes(short) > room:  # a cut inside a multi-byte character decodes to escapes: drop them
        short = short[:-1]
    return short + tail


def hidden_name(name: str, suffix: str) -> str:
    """``.NAME<suffix>`` for a working file beside ``name``; a long NAME is shortened and tagged with its
    hash (``~1a2b3c4d``) so that the name fits and still differs from that of any other NAME."""
    full = f".{name}{suffix}"
    if name_bytes(full) <= MAX_NAME_BYTES:
        return full
    tag = "~" + hashlib.sha1(os.fsencode(name)).hexdigest()[:8]
    return fit_name("." + name, tag + suffix)


#: Added to a photo's stem to name its cut-out.
CUTOUT_SUFFIX = "-cutout"


def cutout_path(photo: str | Path, folder: str | Path | None = None) -> Path:
    """``<folder>/<stem>-cutout.png`` for ``photo`` (``folder`` defaults to the photo's own): never the photo itself.

    A stem too long for the file system is shortened so that the name fits (:func:`fit_name`).
    """
    photo = Path(photo)
    return Path(folder if folder is not None else photo.parent) / fit_name(photo.stem, f"{CUTOUT_SUFFIX}.png")


def is_cutout_path(path: str | Path) -> bool:
    """True for a ``<stem>-cutout.png`` file: a result, not a photo."""
    path = Path(path)
    return path.suffix.lower() == ".png" and path.stem.endswith(CUTOUT_SUFFIX)
