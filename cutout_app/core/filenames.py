"""File names that fit the file system: a result's name is shortened rather than refused.

Most file systems (ext4, XFS, APFS; NTFS counts characters) take names of at most 255 bytes, however
long the whole path may be. A photo's name near that limit gains ``-cutout`` or ``-jpg`` in its result's
name, so these helpers cut the stem at a character boundary to make the name fit.
"""

from __future__ import annotations

import hashlib
import os

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
