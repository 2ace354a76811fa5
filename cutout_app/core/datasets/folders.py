"""Data sets on disk: folders of ``images/`` and ``masks/`` with the same file stems, and their split.

The split into training and validation pairs is by a hash of each pair's key, so training, evaluation
and any later session draw the same validation pairs without a list to keep.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from cutout_app.core.errors import CutoutError
from cutout_app.core.files.imageio import SUPPORTED_EXTENSIONS

#: Share of each data set held out for validation, and the seed of the split, unless told otherwise.
VAL_FRACTION = 0.1
SPLIT_SEED = 0


@dataclass(frozen=True)
class Pair:
    """One photo and its mask on disk."""

    image: Path
    mask: Path
    key: str  # "<data dir name>/<stem>", stable across machines (used for the validation split)


def find_pairs(data_dirs: Sequence[str | Path]) -> list[Pair]:
    """All image/mask pairs in ``data_dirs`` (each with ``images/`` and ``masks/``, matched by stem).

    Raises :class:`CutoutError` if a folder lacks ``images/`` or ``masks/`` or no pair is found.
    """
    pairs: list[Pair] = []
    for root in map(Path, data_dirs):
        img_dir, mask_dir = root / "images", root / "masks"
        if not img_dir.is_dir() or not mask_dir.is_dir():
            raise CutoutError(f"Data folder '{root}' needs 'images' and 'masks' subfolders")
        masks = {p.stem: p for p in sorted(mask_dir.iterdir()) if p.suffix.lower() in SUPPORTED_EXTENSIONS}
        for image in sorted(img_dir.iterdir()):
            if image.suffix.lower() in SUPPORTED_EXTENSIONS and image.stem in masks:
                pairs.append(Pair(image, masks[image.stem], f"{root.name}/{image.stem}"))
    if not pairs:
        raise CutoutError("No image/mask pairs found in " + ", ".join(f"'{d}'" for d in data_dirs))
    return pairs


def split_pairs(pairs: Sequence[Pair], val_fraction: float = VAL_FRACTION, seed: int = SPLIT_SEED) -> tuple[list[Pair], list[Pair]]:
    """Deterministic train/validation split by a hash of each pair's key.

    A pair stays on the same side when others are added or removed. With ``val_fraction > 0`` and at
    least two pairs, both sides get at least one pair.
    """
    if not 0 <= val_fraction < 1:
        raise ValueError("val_fraction must be in [0, 1)")
    ranked = sorted(pairs, key=lambda p: zlib.crc32(f"{seed}:{p.key}".encode()))
    scores = [zlib.crc32(f"{seed}:{p.key}".encode()) / 2**32 for p in ranked]
    n_val = sum(s < val_fraction for s in scores)
    if val_fraction > 0 and len(ranked) >= 2:
        n_val = min(max(n_val, 1), len(ranked) - 1)
    return ranked[n_val:], ranked[:n_val]
