"""The global net's training batches (numpy only): views, augmentation, composites and first clicks.

Every batch is a pure function of (seed, step): :meth:`GlobalBatches.batch` seeds its own generator
from both, so a run that resumes at step k draws exactly the batches it would have drawn, and a
background thread can prepare the next batches while the net trains on this one.

A batch holds three kinds of sample:

- **automatic** (``auto_share``): a real photo, no clicks, no previous mask; the target is its subject;
- **clicks on a composite** (``composite_share`` of the rest): 2-4 objects (``core.composites``), one of
  them the target; a first keep click inside it, sometimes a remove click on a neighbour, and sometimes
  the union of the target and that neighbour as the previous mask, so that "remove" learns to drop only
  its own object;
- **clicks on a real photo**: 1..N keep clicks inside the subject, 0..N remove clicks outside it.

The training loop then adds 0..``max_rounds`` rounds of iterative clicks (Sofiiuk et al. 2021).
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Mapping, Sequence

import cv2
import numpy as np

from cutout_app.core.datasets import Pair, interior_points, paste_subjects
from cutout_app.core.inference import Click
from cutout_app.model.tile_data import read_pair

#: Random rotations of this many degrees at most, on this share of the views.
ROTATION_DEGREES = 15.0
ROTATION_SHARE = 0.3
#: A view is a crop of this share of the photo's area (or the whole photo, 40 % of the time).
CROP_AREA = (0.35, 1.0)


@dataclass
class Batch:
    """One training batch, ready for the device: the first ``n_auto`` samples have no clicks."""

    images: np.ndarray  # uint8 (N, S, S, 3), colour-jittered
    targets: np.ndarray  # uint8 (N, S, S)
    clicks: list[list[Click]]
    previous: np.ndarray  # float32 (N, S, S), 0 where no previous mask
    n_auto: int
    rounds: int  # iterative rounds the loop should add to the click samples


def fit_long_side(rgb: np.ndarray, mask: np.ndarray, size: int, shrink_only: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Both arrays resized so that the long side is ``size`` (area filter down, linear up)."""
    h, w = mask.shape
    scale = size / max(h, w)
    if scale == 1 or (shrink_only and scale > 1):
        return rgb, mask
    dsize = (max(1, round(w * scale)), max(1, round(h * scale)))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return cv2.resize(rgb, dsize, interpolation=interp), cv2.resize(mask, dsize, interpolation=interp)


def load_set(pairs: Sequence[Pair], max_side: int, threads: int = 2) -> list[tuple[np.ndarray, np.ndarray]]:
    """Decode every pair and keep it in memory (uint8), shrunk to long side ``max_side`` where larger."""

    def load(pair: Pair) -> tuple[np.ndarray, np.ndarray]:
        return fit_long_side(*read_pair(pair), max_side, shrink_only=True)

    with ThreadPoolExecutor(max(1, threads)) as pool:
        return list(pool.map(load, pairs))


def pad_square(rgb: np.ndarray, mask: np.ndarray, size: int, top: int = 0, left: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Mirror-pad both arrays to ``size`` x ``size`` with the content at (``top``, ``left``)."""
    h, w = mask.shape
    border = (top, size - h - top, left, size - w - left)
    return (cv2.copyMakeBorder(rgb, *border, cv2.BORDER_REFLECT_101), cv2.copyMakeBorder(mask, *border, cv2.BORDER_REFLECT_101))


def rotate(rgb: np.ndarray, mask: np.ndarray, degrees: float) -> tuple[np.ndarray, np.ndarray]:
    """Both arrays rotated about their centre, mirrored beyond the corners (as the engine pads)."""
    h, w = mask.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    flags = dict(flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
    return cv2.warpAffine(rgb, m, (w, h), **flags), cv2.warpAffine(mask, m, (w, h), **flags)


def random_view(rgb: np.ndarray, mask: np.ndarray, size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A training view: the whole photo or a random crop (area and aspect changes), maybe rotated,
    resized to long side ``size``, mirror-padded square and maybe mirrored."""
    h, w = mask.shape
    if rng.random() < 0.6:
        area = rng.uniform(*CROP_AREA) * h * w
        aspect = (w / h) * math.exp(rng.uniform(-0.3, 0.3))
        ch = int(min(h, max(8, round(math.sqrt(area / aspect)))))
        cw = int(min(w, max(8, round(ch * aspect))))
        y0, x0 = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
        rgb, mask = rgb[y0 : y0 + ch, x0 : x0 + cw], mask[y0 : y0 + ch, x0 : x0 + cw]
    if rng.random() < ROTATION_SHARE:
        rgb, mask = rotate(np.ascontiguousarray(rgb), np.ascontiguousarray(mask), rng.uniform(-ROTATION_DEGREES, ROTATION_DEGREES))
    rgb, mask = fit_long_side(rgb, mask, size)
    if rng.random() < 0.5:
        rgb, mask = rgb[:, ::-1], mask[:, ::-1]
    h, w = mask.shape
    top, left = int(rng.integers(0, size - h + 1)), int(rng.integers(0, size - w + 1))
    return pad_square(np.ascontiguousarray(rgb), np.ascontiguousarray(mask), size, top, left)


def initial_clicks(mask: np.ndarray, rng: np.random.Generator, max_positive: int, max_negative: int) -> list[Click]:
    """1..``max_positive`` clicks well inside the subject and 0..``max_negative`` outside it, near it or anywhere."""
    clicks = [Click(x, y, True) for x, y in interior_points(mask, rng, int(rng.integers(1, max_positive + 1)))]
    bg = mask < 128
    n_neg = int(rng.integers(0, max_negative + 1))
    if bg.any() and n_neg:
        dist = cv2.distanceTransform(np.pad(bg.astype(np.uint8), 1), cv2.DIST_L2, 5)[1:-1, 1:-1]
        near = (dist >= 3) & (dist <= 40)
        ys, xs = np.nonzero(near if near.any() and rng.random() < 0.7 else bg)
        for i in rng.choice(len(ys), size=min(len(ys), n_neg), replace=False):
            clicks.append(Click(float(xs[i]), float(ys[i]), False))
    return clicks


def composite_clicks(
    objects: Sequence[np.ndarray], target: int, rng: np.random.Generator
) -> tuple[list[Click], np.ndarray | None]:
    """A keep click inside object ``target``; sometimes a remove click on a neighbour and, then, half the
    time the union of both as the previous mask. Returns the clicks and that mask (float32) or None."""
    clicks = [Click(x, y, True) for x, y in interior_points(objects[target], rng, 1)]
    others = [i for i in range(len(objects)) if i != target and np.count_nonzero(objects[i] >= 128)]
    previous = None
    if others and rng.random() < 0.5:
        neighbour = objects[others[int(rng.integers(0, len(others)))]]
        clicks += [Click(x, y, False) for x, y in interior_points(neighbour, rng, 1)]
        if rng.random() < 0.5:
            union = np.maximum(objects[target], neighbour).astype(np.float32) / 255.0
            previous = cv2.GaussianBlur(union, (0, 0), 1.0)
    return clicks, previous


def colour_jitter(images: np.ndarray, rng: np.random.Generator, strength: float = 1.0) -> np.ndarray:
    """Random brightness, contrast, saturation and white-balance changes of uint8 (N, H, W, 3) images."""
    n = images.shape[0]
    x = images.astype(np.float32) / 255.0
    s = strength

    def rand(lo: float, hi: float, *shape: int) -> np.ndarray:
        return rng.uniform(lo, hi, size=(n, *shape)).astype(np.float32)

    x *= rand(1 - 0.15 * s, 1 + 0.15 * s, 1, 1, 1)
    mean = x.mean(axis=(1, 2, 3), keepdims=True)
    x = (x - mean) * rand(1 - 0.2 * s, 1 + 0.2 * s, 1, 1, 1) + mean
    gray = x.mean(axis=3, keepdims=True)
    x = (x - gray) * rand(1 - 0.25 * s, 1 + 0.25 * s, 1, 1, 1) + gray
    x *= rand(1 - 0.05 * s, 1 + 0.05 * s, 1, 1, 3)
    return (np.clip(x, 0, 1) * 255.0 + 0.5).astype(np.uint8)


@dataclass(frozen=True)
class BatchSettings:
    """What :class:`GlobalBatches` draws; the training config holds the values."""

    size: int
    batch_size: int
    auto_share: float
    composite_share: float
    max_positive: int
    max_negative: int
    max_rounds: int
    seed: int


class GlobalBatches:
    """Draws training batches from photos held in memory; ``groups`` weights the data folders.

    ``shares`` maps a data folder's name to the share of samples drawn from it (e.g. people
    oversampled); the other folders share the rest in proportion to their size.
    """

    def __init__(self, data: Sequence[tuple[np.ndarray, np.ndarray]], pairs: Sequence[Pair],
                 settings: BatchSettings, shares: Mapping[str, float] | None = None) -> None:
        self.data = data
        self.settings = settings
        self.probabilities = sample_weights(pairs, shares or {})

    def _pick(self, rng: np.random.Generator, count: int) -> np.ndarray:
        return rng.choice(len(self.data), size=count, p=self.probabilities)

    def batch(self, step: int) -> Batch:
        """The batch of training step ``step`` (the same for the same seed and step)."""
        s = self.settings
        rng = np.random.default_rng([s.seed, step])
        n_auto = int(round(s.auto_share * s.batch_size))
        images, targets, clicks, previous = [], [], [], []
        for k in range(s.batch_size):
            prev = None
            if k >= n_auto and rng.random() < s.composite_share:
                picks = self._pick(rng, int(rng.integers(2, 5)))
                comp = paste_subjects(self.data[picks[0]], [self.data[i] for i in picks[1:]], s.size, rng)
                if comp.targets:
                    target = comp.targets[int(rng.integers(0, len(comp.targets)))]
                    c, prev = composite_clicks(comp.objects, target, rng)
                    rgb, mask = comp.rgb, comp.objects[target]
                    if rng.random() < 0.5:
                        rgb, mask, c = rgb[:, ::-1], mask[:, ::-1], [Click(s.size - 1 - p.x, p.y, p.positive) for p in c]
                        prev = None if prev is None else prev[:, ::-1]
                    images.append(rgb), targets.append(mask), clicks.append(c), previous.append(prev)
                    continue
            rgb, mask = random_view(*self.data[self._pick(rng, 1)[0]], s.size, rng)
            images.append(rgb)
            targets.append(mask)
            clicks.append([] if k < n_auto else initial_clicks(mask, rng, s.max_positive, s.max_negative))
            previous.append(None)
        prev_arr = np.zeros((s.batch_size, s.size, s.size), np.float32)
        for k, p in enumerate(previous):
            if p is not None:
                prev_arr[k] = p
        rounds = int(rng.integers(0, s.max_rounds + 1)) if n_auto < s.batch_size else 0
        return Batch(colour_jitter(np.stack(images), rng), np.ascontiguousarray(np.stack(targets)), clicks, prev_arr, n_auto, rounds)


def sample_weights(pairs: Sequence[Pair], shares: Mapping[str, float]) -> np.ndarray:
    """Probability of drawing each pair: folders named in ``shares`` get that share of all draws,
    spread evenly over their pairs; the other pairs share the rest evenly."""
    folders = [p.key.split("/", 1)[0] for p in pairs]
    counts = {f: folders.count(f) for f in set(folders)}
    fixed = {f: v for f, v in shares.items() if f in counts}
    rest = 1.0 - sum(fixed.values())
    n_rest = sum(c for f, c in counts.items() if f not in fixed)
    if rest < 0 or (n_rest == 0 and rest > 1e-9 and fixed):
        raise ValueError(f"data shares {dict(shares)} do not leave a valid rest for the other folders")
    weights = np.array([fixed[f] / counts[f] if f in fixed else rest / max(1, n_rest) for f in folders], np.float64)
    return weights / weights.sum()
