"""Multi-object composites: subjects cut from photos with exact masks, pasted into other photos.

They teach and test what a click means: "this object". A composite holds a background photo with its
own subject plus 1..N pasted subjects, sometimes overlapping; every object keeps its own mask (the part
that is still visible after the later ones cover it), so a click on one object has a target that is
that object alone. Training (``model.train_global``) draws them at random; evaluation
(``core.evaluate.composite_click_scores``) draws them from validation pairs with a fixed seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import cv2
import numpy as np

#: A pasted subject's long side, as a share of the composite's side.
PASTE_SCALE = (0.3, 0.65)
#: An object counts as a click target when at least this share of the composite shows it...
MIN_VISIBLE_SHARE = 0.01
#: ...and at least this share of it is not covered by objects pasted later.
MIN_VISIBLE_FRACTION = 0.5


@dataclass
class Composite:
    """A square RGB composite and the visible mask of each object in it (uint8 0..255)."""

    rgb: np.ndarray
    objects: list[np.ndarray]
    #: Indices into ``objects`` of those that are visible enough to be clicked.
    targets: list[int]


def cover_square(rgb: np.ndarray, mask: np.ndarray, size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A random square crop of the largest size that fits, resized to ``size`` x ``size``."""
    h, w = mask.shape
    side = min(h, w)
    top, left = int(rng.integers(0, h - side + 1)), int(rng.integers(0, w - side + 1))
    rgb, mask = rgb[top : top + side, left : left + side], mask[top : top + side, left : left + side]
    interp = cv2.INTER_AREA if side > size else cv2.INTER_LINEAR
    return cv2.resize(rgb, (size, size), interpolation=interp), cv2.resize(mask, (size, size), interpolation=interp)


def cut_subject(rgb: np.ndarray, mask: np.ndarray, long_side: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray] | None:
    """The subject's bounding box (plus a small margin), scaled so its long side is ``long_side``, maybe mirrored.

    None when the mask is empty.
    """
    ys, xs = np.nonzero(mask >= 128)
    if len(ys) == 0:
        return None
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    pad = max(2, (max(y1 - y0, x1 - x0)) // 20)
    y0, x0 = max(0, y0 - pad), max(0, x0 - pad)
    y1, x1 = min(mask.shape[0], y1 + pad), min(mask.shape[1], x1 + pad)
    rgb, mask = rgb[y0:y1, x0:x1], mask[y0:y1, x0:x1]
    scale = long_side / max(rgb.shape[:2])
    dsize = (max(1, round(rgb.shape[1] * scale)), max(1, round(rgb.shape[0] * scale)))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    rgb, mask = cv2.resize(rgb, dsize, interpolation=interp), cv2.resize(mask, dsize, interpolation=interp)
    if rng.random() < 0.5:
        rgb, mask = rgb[:, ::-1], mask[:, ::-1]
    return np.ascontiguousarray(rgb), np.ascontiguousarray(mask)


def paste_subjects(
    background: tuple[np.ndarray, np.ndarray],
    subjects: Sequence[tuple[np.ndarray, np.ndarray]],
    size: int,
    rng: np.random.Generator,
) -> Composite:
    """Paste ``subjects`` (photo, mask pairs) into a ``size`` square view of ``background``.

    Each subject is placed at a random spot, near an earlier object about half the time so that objects
    touch or overlap, and alpha-blended with its own mask. Object 0 is the background photo's subject.
    """
    canvas, bg_mask = cover_square(*background, size, rng)
    canvas = canvas.astype(np.float32)
    objects = [bg_mask.astype(np.float32)]
    whole = [bg_mask]  # each object's mask before later ones covered it
    for rgb, mask in subjects:
        cut = cut_subject(rgb, mask, int(round(size * rng.uniform(*PASTE_SCALE))), rng)
        if cut is None:
            continue
        piece, alpha8 = cut
        ph, pw = alpha8.shape
        top, left = _placement(objects, ph, pw, size, rng)
        alpha = np.zeros((size, size), np.float32)
        y0, x0 = max(0, top), max(0, left)
        y1, x1 = min(size, top + ph), min(size, left + pw)
        if y1 <= y0 or x1 <= x0:
            continue
        alpha[y0:y1, x0:x1] = alpha8[y0 - top : y1 - top, x0 - left : x1 - left] / 255.0
        layer = np.zeros((size, size, 3), np.float32)
        layer[y0:y1, x0:x1] = piece[y0 - top : y1 - top, x0 - left : x1 - left]
        canvas = canvas * (1 - alpha[..., None]) + layer * alpha[..., None]
        objects = [o * (1 - alpha) for o in objects]
        objects.append(alpha * 255.0)
        whole.append(objects[-1])
    rgb = np.clip(canvas + 0.5, 0, 255).astype(np.uint8)
    masks = [np.clip(o + 0.5, 0, 255).astype(np.uint8) for o in objects]
    return Composite(rgb, masks, visible_targets(masks, whole))


def visible_targets(masks: Sequence[np.ndarray], whole: Sequence[np.ndarray]) -> list[int]:
    """Indices of the masks that cover at least ``MIN_VISIBLE_SHARE`` of the picture and still show at
    least ``MIN_VISIBLE_FRACTION`` of their ``whole`` (uncovered) mask."""
    targets = []
    for i, (mask, full) in enumerate(zip(masks, whole)):
        visible = np.count_nonzero(mask >= 128)
        if visible >= MIN_VISIBLE_SHARE * mask.size and visible >= MIN_VISIBLE_FRACTION * np.count_nonzero(full >= 128):
            targets.append(i)
    return targets


def interior_points(mask: np.ndarray, rng: np.random.Generator, count: int, depth: float = 0.25) -> list[tuple[int, int]]:
    """Up to ``count`` random (x, y) points of ``mask >= 128`` at least ``depth`` of its deepest distance inside."""
    fg = mask >= 128
    if count <= 0 or not fg.any():
        return []
    dist = cv2.distanceTransform(np.pad(fg.astype(np.uint8), 1), cv2.DIST_L2, 5)[1:-1, 1:-1]
    ys, xs = np.nonzero(dist >= max(1.0, depth * float(dist.max())))
    picks = rng.choice(len(ys), size=min(len(ys), count), replace=False)
    return [(int(xs[i]), int(ys[i])) for i in picks]


def _placement(objects: Sequence[np.ndarray], ph: int, pw: int, size: int, rng: np.random.Generator) -> tuple[int, int]:
    """Top-left corner for a ``ph`` x ``pw`` piece: beside an existing object half the time, else anywhere."""
    if rng.random() < 0.5:
        source = objects[int(rng.integers(0, len(objects)))]
        ys, xs = np.nonzero(source >= 128)
        if len(ys):
            i = int(rng.integers(0, len(ys)))
            # Centre the piece a little off a point of that object, so that the two touch or overlap.
            cy = ys[i] + rng.uniform(-0.6, 0.6) * ph
            cx = xs[i] + rng.uniform(-0.6, 0.6) * pw
            top, left = int(cy - ph / 2), int(cx - pw / 2)
            return int(np.clip(top, -ph // 4, size - 3 * ph // 4)), int(np.clip(left, -pw // 4, size - 3 * pw // 4))
    return int(rng.integers(-(ph // 4), max(1, size - 3 * ph // 4))), int(rng.integers(-(pw // 4), max(1, size - 3 * pw // 4)))
