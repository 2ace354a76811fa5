"""Per-garment label maps (``ccp-parts``) as click targets: "this part", "this person", "with what she holds".

A label map gives every pixel of a photo of a person a label number (0 background, then skin, hair,
coat, bag, shoes...). One click on such a photo is ambiguous in the way a user's click is: on the coat
it may mean the coat (a part) or the person (the object); on the bag it may mean the bag (an object of its
own) or the person with the bag. :func:`click_targets` lists those readings, smallest first, each with
its :class:`Granularity`; the candidate outputs of the global net learn them, and the evaluation scores
them (``core.datasets.part_eval``).

The photos are ``ccp-people``'s, and a map is keyed by its photo (``ccp-people/<stem>``), so the maps fall
on the same side of the validation split as their photos.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path

import cv2
import numpy as np

from cutout_app.core.datasets.folders import Pair
from cutout_app.core.errors import CutoutError
from cutout_app.core.files.imageio import SUPPORTED_EXTENSIONS

#: Labels of things a person carries rather than wears: "the person" may mean without them.
HELD_NAMES = frozenset({"bag", "purse", "wallet"})
#: A connected region is a click target when it covers at least this share of the photo.
MIN_REGION_SHARE = 0.002


class Granularity(IntEnum):
    """What a reading of a click takes, smallest first: the index of the candidate output that learns it."""

    PART = 0
    OBJECT = 1
    WHOLE = 2  # the object with what it holds


@dataclass(frozen=True)
class Region:
    """One connected region of one label."""

    label: int
    name: str
    mask: np.ndarray  # bool H x W


def label_names(parts_dir: str | Path) -> dict[int, str]:
    """``labels.txt`` of a label-map folder (``number<TAB>name`` lines) as a dict."""
    path = Path(parts_dir) / "labels.txt"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise CutoutError(f"Label list '{path}' cannot be read: {exc.strerror or exc}") from None
    names = {}
    for line in lines:
        number, _, name = line.partition("\t")
        if number.strip().isdigit() and name.strip():
            names[int(number)] = name.strip()
    if not names:
        raise CutoutError(f"Label list '{path}' holds no 'number<TAB>name' lines")
    return names


def find_part_maps(parts_dir: str | Path, photos_dir: str | Path) -> list[Pair]:
    """Every label map of ``parts_dir/labels`` with its photo in ``photos_dir/images`` (same stem), keyed
    by the photo's folder so that it shares the photo's side of the split. ``Pair.mask`` is the label map."""
    photos_dir = Path(photos_dir)
    label_dir, image_dir = Path(parts_dir) / "labels", photos_dir / "images"
    if not label_dir.is_dir() or not image_dir.is_dir():
        raise CutoutError(f"Need '{label_dir}' and '{image_dir}'")
    images = {p.stem: p for p in image_dir.iterdir() if p.suffix.lower() in SUPPORTED_EXTENSIONS}
    pairs = [Pair(images[m.stem], m, f"{photos_dir.name}/{m.stem}") for m in sorted(label_dir.iterdir())
             if m.suffix.lower() in SUPPORTED_EXTENSIONS and m.stem in images]
    if not pairs:
        raise CutoutError(f"No label map in '{label_dir}' has a photo in '{image_dir}'")
    return pairs


def regions(labels: np.ndarray, names: dict[int, str], min_share: float = MIN_REGION_SHARE) -> list[Region]:
    """The connected regions (8-connected) of every label of ``labels``, largest first, of at least ``min_share``
    of the photo."""
    found = []
    least = min_share * labels.size
    for label in np.unique(labels):
        if label == 0:
            continue
        count, components = cv2.connectedComponents((labels == label).astype(np.uint8), connectivity=8)
        for k in range(1, count):
            mask = components == k
            if np.count_nonzero(mask) >= least:
                found.append(Region(int(label), names.get(int(label), str(label)), mask))
    return sorted(found, key=lambda r: -np.count_nonzero(r.mask))


def held_mask(labels: np.ndarray, names: dict[int, str]) -> np.ndarray:
    """Pixels of things the person carries (:data:`HELD_NAMES`)."""
    held = [n for n, name in names.items() if name in HELD_NAMES]
    return np.isin(labels, held)


def click_targets(labels: np.ndarray, region: Region, names: dict[int, str]) -> list[tuple[Granularity, np.ndarray]]:
    """The readings of one click inside ``region``, smallest first, as (granularity, bool mask).

    On a worn part: the part, the person without what she carries, the person with it (the last two are
    one reading when she carries nothing). On a carried thing: the thing (an object), the person with it.
    """
    person = labels > 0
    held = held_mask(labels, names)
    if region.name in HELD_NAMES:
        return [(Granularity.OBJECT, region.mask), (Granularity.WHOLE, person)]
    readings = [(Granularity.PART, region.mask)]
    if held.any():
        readings.append((Granularity.OBJECT, person & ~held))
    readings.append((Granularity.WHOLE if held.any() else Granularity.OBJECT, person))
    return readings
