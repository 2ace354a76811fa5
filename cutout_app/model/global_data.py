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
- **clicks on a real photo**: 1..N keep clicks inside the subject, 0..N remove clicks outside it; some
  views are zoomed in on the subject, as the engine zooms in from the second click (RITM's zoom-in);
- **clicks on a label map** (``parts_share`` of the click samples, ``core.datasets.parts``): a click on a
  garment, a bag or the skin of a person, whose target is one of its readings (the part, the person, the
  person with what she carries), or a keep click plus a remove click that settle which one.

A sample with one keep click and nothing else is *ambiguous*: a net with candidate outputs learns its
readings there (SAM's rule: the loss of the best candidate), while output 0 learns the object.
The training loop then adds 0..``max_rounds`` rounds of iterative clicks (Sofiiuk et al. 2021) to the
samples that are not ambiguous.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Mapping, Sequence

import cv2
import numpy as np

from cutout_app.core.datasets import (
    HELD_NAMES,
    Granularity,
    Pair,
    Region,
    click_targets,
    interior_points,
    paste_subjects,
    regions,
)
from cutout_app.core.files import DecoderPool
from cutout_app.core.inference import Click
from cutout_app.model.tile_data import read_pair

#: Random rotations of this many degrees at most, on this share of the views.
ROTATION_DEGREES = 15.0
ROTATION_SHARE = 0.3
#: A view is a crop of this share of the photo's area (or the whole photo, 40 % of the time).
CROP_AREA = (0.35, 1.0)
#: Share of the click samples on real photos that are zoomed in on the subject, and how far around its
#: bounding box such a view reaches (a factor of the box's size; the engine zooms with 1.4 to 2).
ZOOM_SHARE = 0.5
ZOOM_EXPAND = (1.3, 2.4)
#: Share of the label-map samples that are ambiguous (one keep click, no previous mask).
AMBIGUOUS_PART_SHARE = 0.5
#: Samples whose target reading is not known by granularity.
NO_HINT = -1


@dataclass
class Batch:
    """One training batch, ready for the device: the first ``n_auto`` samples have no clicks."""

    images: np.ndarray  # uint8 (N, S, S, 3), colour-jittered
    targets: np.ndarray  # uint8 (N, S, S)
    clicks: list[list[Click]]
    previous: np.ndarray  # float32 (N, S, S), 0 where no previous mask
    n_auto: int
    rounds: int  # iterative rounds the loop should add to the click samples that are not ambiguous
    #: The reading the candidate outputs are scored against (uint8 (N, S, S)), its Granularity (or NO_HINT),
    #: and which samples are ambiguous (one keep click, no previous mask): the candidates learn on those.
    cand_targets: np.ndarray
    hints: np.ndarray  # int8 (N,)
    ambiguous: np.ndarray  # bool (N,)


@dataclass
class Sample:
    """One sample of a batch (see :class:`Batch`); ``cand_target`` None means ``target``."""

    rgb: np.ndarray
    target: np.ndarray
    clicks: list[Click]
    previous: np.ndarray | None = None
    cand_target: np.ndarray | None = None
    hint: int = NO_HINT

    @property
    def ambiguous(self) -> bool:
        """One keep click and no previous mask: more than one reading is right."""
        return len(self.clicks) == 1 and self.clicks[0].positive and self.previous is None


def fit_long_side(
    rgb: np.ndarray, mask: np.ndarray, size: int, shrink_only: bool = False, nearest: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Both arrays resized so that the long side is ``size`` (area filter down, linear up; the mask by its
    nearest pixel when ``nearest``, as a label map must be)."""
    h, w = mask.shape
    scale = size / max(h, w)
    if scale == 1 or (shrink_only and scale > 1):
        return rgb, mask
    dsize = (max(1, round(w * scale)), max(1, round(h * scale)))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return cv2.resize(rgb, dsize, interpolation=interp), cv2.resize(mask, dsize, interpolation=cv2.INTER_NEAREST if nearest else interp)


def load_set(pairs: Sequence[Pair], max_side: int, threads: int = 2, labels: bool = False) -> list[tuple[np.ndarray, np.ndarray]]:
    """Decode every pair (in decoder children, ``threads`` at a time) and keep it in memory (uint8), shrunk to long
    side ``max_side`` where larger.

    ``labels``: the pairs' masks are label maps (``core.datasets.parts``), read and shrunk as labels."""

    def load(pair: Pair) -> tuple[np.ndarray, np.ndarray]:
        if not labels:
            return fit_long_side(*read_pair(pair, decoders), max_side, shrink_only=True)
        rgb, label_map = np.ascontiguousarray(decoders.read(pair.image).rgb8()), decoders.read_labels(pair.mask)
        if label_map.shape != rgb.shape[:2]:
            label_map = cv2.resize(label_map, (rgb.shape[1], rgb.shape[0]), interpolation=cv2.INTER_NEAREST)
        return fit_long_side(rgb, label_map, max_side, shrink_only=True, nearest=True)

    with DecoderPool() as decoders, ThreadPoolExecutor(max(1, threads)) as pool:
        return list(pool.map(load, pairs))


def pad_square(rgb: np.ndarray, mask: np.ndarray, size: int, top: int = 0, left: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Mirror-pad both arrays to ``size`` x ``size`` with the content at (``top``, ``left``)."""
    return mirror_pad(rgb, size, top, left), mirror_pad(mask, size, top, left)


def mirror_pad(array: np.ndarray, size: int, top: int = 0, left: int = 0) -> np.ndarray:
    """One array mirror-padded to ``size`` x ``size`` with the content at (``top``, ``left``)."""
    h, w = array.shape[:2]
    return cv2.copyMakeBorder(array, top, size - h - top, left, size - w - left, cv2.BORDER_REFLECT_101)


def rotate(rgb: np.ndarray, mask: np.ndarray, degrees: float, nearest: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Both arrays rotated about their centre, mirrored beyond the corners (as the engine pads)."""
    h, w = mask.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    mask_interp = cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR
    return (cv2.warpAffine(rgb, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101),
            cv2.warpAffine(mask, m, (w, h), flags=mask_interp, borderMode=cv2.BORDER_REFLECT_101))


def zoom_box(mask: np.ndarray, rng: np.random.Generator) -> tuple[int, int, int, int] | None:
    """A crop (y0, y1, x0, x1) around the subject's bounding box, grown by a random :data:`ZOOM_EXPAND`
    factor about a slightly shifted centre and clipped to the photo; None without a subject."""
    ys, xs = np.nonzero(mask >= 128)
    if len(ys) == 0:
        return None
    h, w = mask.shape
    factor = rng.uniform(*ZOOM_EXPAND)
    bh, bw = (ys.max() - ys.min() + 1) * factor, (xs.max() - xs.min() + 1) * factor
    side = max(bh, bw, 16.0)  # square-ish, as the engine's zoom-in crops are
    cy = (ys.min() + ys.max()) / 2 + rng.uniform(-0.1, 0.1) * side
    cx = (xs.min() + xs.max()) / 2 + rng.uniform(-0.1, 0.1) * side
    y0, x0 = int(max(0, cy - side / 2)), int(max(0, cx - side / 2))
    y1, x1 = int(min(h, cy + side / 2)), int(min(w, cx + side / 2))
    return (y0, y1, x0, x1) if y1 - y0 >= 8 and x1 - x0 >= 8 else None


def random_view(
    rgb: np.ndarray, mask: np.ndarray, size: int, rng: np.random.Generator, zoom: bool = False, nearest: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """A training view: :func:`view_content` mirror-padded square at a random place."""
    rgb, mask = view_content(rgb, mask, size, rng, zoom, nearest)
    h, w = mask.shape
    top, left = int(rng.integers(0, size - h + 1)), int(rng.integers(0, size - w + 1))
    return pad_square(rgb, mask, size, top, left)


def view_content(
    rgb: np.ndarray, mask: np.ndarray, size: int, rng: np.random.Generator, zoom: bool = False, nearest: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """The whole photo or a random crop (area and aspect changes), maybe rotated, resized to long side
    ``size`` and maybe mirrored (contiguous arrays, not yet padded square).

    ``zoom``: the crop is around the subject instead (:func:`zoom_box`). ``nearest``: ``mask`` is a label
    map, resized and rotated by its nearest pixel."""
    h, w = mask.shape
    box = zoom_box(mask, rng) if zoom else None
    if box is not None:
        y0, y1, x0, x1 = box
        rgb, mask = rgb[y0:y1, x0:x1], mask[y0:y1, x0:x1]
    elif rng.random() < 0.6:
        area = rng.uniform(*CROP_AREA) * h * w
        aspect = (w / h) * math.exp(rng.uniform(-0.3, 0.3))
        ch = int(min(h, max(8, round(math.sqrt(area / aspect)))))
        cw = int(min(w, max(8, round(ch * aspect))))
        y0, x0 = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
        rgb, mask = rgb[y0 : y0 + ch, x0 : x0 + cw], mask[y0 : y0 + ch, x0 : x0 + cw]
    if rng.random() < ROTATION_SHARE:
        degrees = rng.uniform(-ROTATION_DEGREES, ROTATION_DEGREES)
        rgb, mask = rotate(np.ascontiguousarray(rgb), np.ascontiguousarray(mask), degrees, nearest)
    rgb, mask = fit_long_side(rgb, mask, size, nearest=nearest)
    if rng.random() < 0.5:
        rgb, mask = rgb[:, ::-1], mask[:, ::-1]
    return np.ascontiguousarray(rgb), np.ascontiguousarray(mask)


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
    #: Share of the click samples drawn from label maps (when the batches have any).
    parts_share: float = 0.0
    #: Every click sample is ambiguous: one keep click, no previous mask (to train the candidate outputs alone).
    ambiguous_only: bool = False


class GlobalBatches:
    """Draws training batches from photos held in memory; ``groups`` weights the data folders.

    ``shares`` maps a data folder's name to the share of samples drawn from it (e.g. people
    oversampled); the other folders share the rest in proportion to their size.
    """

    def __init__(self, data: Sequence[tuple[np.ndarray, np.ndarray]], pairs: Sequence[Pair],
                 settings: BatchSettings, shares: Mapping[str, float] | None = None,
                 parts: Sequence[tuple[np.ndarray, np.ndarray]] = (), label_names: Mapping[int, str] | None = None) -> None:
        self.data = data
        self.settings = settings
        self.probabilities = sample_weights(pairs, shares or {})
        self.parts = parts  # (photo, label map) pairs, ``core.datasets.parts``
        self.label_names = dict(label_names or {})

    def _pick(self, rng: np.random.Generator, count: int) -> np.ndarray:
        return rng.choice(len(self.data), size=count, p=self.probabilities)

    def batch(self, step: int) -> Batch:
        """The batch of training step ``step`` (the same for the same seed and step)."""
        s = self.settings
        rng = np.random.default_rng([s.seed, step])
        n_auto = int(round(s.auto_share * s.batch_size))
        samples = [self._sample(rng, interactive=k >= n_auto) for k in range(s.batch_size)]
        prev_arr = np.zeros((s.batch_size, s.size, s.size), np.float32)
        for k, sample in enumerate(samples):
            if sample.previous is not None:
                prev_arr[k] = sample.previous
        rounds = int(rng.integers(0, s.max_rounds + 1)) if n_auto < s.batch_size else 0
        return Batch(
            colour_jitter(np.stack([x.rgb for x in samples]), rng),
            np.ascontiguousarray(np.stack([x.target for x in samples])),
            [x.clicks for x in samples], prev_arr, n_auto, rounds,
            cand_targets=np.ascontiguousarray(np.stack([x.target if x.cand_target is None else x.cand_target for x in samples])),
            hints=np.array([x.hint for x in samples], np.int8),
            ambiguous=np.array([k >= n_auto and x.ambiguous for k, x in enumerate(samples)], bool),
        )

    def _sample(self, rng: np.random.Generator, interactive: bool) -> Sample:
        s = self.settings
        if interactive and self.parts and rng.random() < s.parts_share:
            sample = self._part_sample(rng)
            if sample is not None:
                return sample
        if interactive and rng.random() < s.composite_share:
            sample = self._composite_sample(rng)
            if sample is not None:
                return sample
        zoom = interactive and rng.random() < ZOOM_SHARE
        rgb, mask = random_view(*self.data[self._pick(rng, 1)[0]], s.size, rng, zoom=zoom)
        clicks = initial_clicks(mask, rng, s.max_positive, s.max_negative) if interactive else []
        if s.ambiguous_only:
            clicks = clicks[:1]
        return Sample(rgb, mask, clicks, hint=int(Granularity.OBJECT) if interactive else NO_HINT)

    def _composite_sample(self, rng: np.random.Generator) -> Sample | None:
        s = self.settings
        picks = self._pick(rng, int(rng.integers(2, 5)))
        comp = paste_subjects(self.data[picks[0]], [self.data[i] for i in picks[1:]], s.size, rng)
        if not comp.targets:
            return None
        target = comp.targets[int(rng.integers(0, len(comp.targets)))]
        clicks, previous = composite_clicks(comp.objects, target, rng)
        if s.ambiguous_only:
            clicks, previous = clicks[:1], None
        rgb, mask = comp.rgb, comp.objects[target]
        if rng.random() < 0.5:
            rgb, mask, clicks = rgb[:, ::-1], mask[:, ::-1], [Click(s.size - 1 - p.x, p.y, p.positive) for p in clicks]
            previous = None if previous is None else previous[:, ::-1]
        return Sample(rgb, mask, clicks, previous, hint=int(Granularity.OBJECT))

    def _part_sample(self, rng: np.random.Generator) -> Sample | None:
        """A click on a label map's region (see :func:`part_sample`)."""
        photo, labels = self.parts[int(rng.integers(0, len(self.parts)))]
        rgb, labels = view_content(photo, labels, self.settings.size, rng, nearest=True)
        return part_sample(rgb, labels, self.label_names, self.settings.size, rng,
                           1.0 if self.settings.ambiguous_only else AMBIGUOUS_PART_SHARE)


def part_sample(rgb: np.ndarray, labels: np.ndarray, names: Mapping[int, str], size: int,
                rng: np.random.Generator, ambiguous_share: float = AMBIGUOUS_PART_SHARE) -> Sample | None:
    """A sample from a view of a label map (not yet padded): a region is picked and clicked.

    Ambiguous (``ambiguous_share`` of the samples): one keep click; the candidates learn a random reading
    (``core.datasets.parts.click_targets``) and output 0 the object (the person, or the bag itself).
    Otherwise one reading is the target and the clicks settle it: for the part, a second keep click in it or
    a remove click elsewhere on the person; for the person without what she carries, a remove click on that
    thing, with the person as the previous mask half the time; for the person with it, a keep click on it.
    None when the view holds no region to click.
    """
    found = regions(labels, dict(names))
    if not found:
        return None
    region = found[int(rng.integers(0, len(found)))]
    readings = click_targets(labels, region, dict(names))
    keep = interior_points(region.mask.astype(np.uint8) * 255, rng, 1)
    if not keep:
        return None
    clicks = [Click(float(keep[0][0]), float(keep[0][1]), True)]
    person = labels > 0
    previous = None
    if rng.random() < ambiguous_share:
        granularity, cand = readings[int(rng.integers(0, len(readings)))]
        target = next(m for g, m in readings if g >= Granularity.OBJECT)
    else:
        granularity, target = readings[int(rng.integers(0, len(readings)))]
        cand = target
        others = [r for r in found if r.label != region.label or not np.array_equal(r.mask, region.mask)]
        held = [r for r in others if r.name in HELD_NAMES]
        if granularity == Granularity.PART:
            outside = [r for r in others if not (r.mask & region.mask).any()]
            if outside and rng.random() < 0.5:
                clicks += _region_clicks(outside[int(rng.integers(0, len(outside)))], rng, positive=False)
            else:
                clicks += _region_clicks(region, rng, positive=True)
        elif granularity == Granularity.OBJECT and region.name not in HELD_NAMES and held:
            clicks += _region_clicks(held[int(rng.integers(0, len(held)))], rng, positive=False)
            if rng.random() < 0.5:
                previous = person.astype(np.float32)
        elif granularity == Granularity.WHOLE and held:
            thing = held[int(rng.integers(0, len(held)))] if region.name not in HELD_NAMES else None
            clicks += _region_clicks(thing, rng, positive=True) if thing is not None else [
                Click(float(x), float(y), True) for x, y in interior_points((person & ~region.mask).astype(np.uint8) * 255, rng, 1)]
        else:
            clicks += _region_clicks(region, rng, positive=True)
    h, w = labels.shape
    top, left = int(rng.integers(0, size - h + 1)), int(rng.integers(0, size - w + 1))
    moved = [Click(c.x + left, c.y + top, c.positive) for c in clicks]

    def square(mask: np.ndarray) -> np.ndarray:
        return mirror_pad(mask.astype(np.uint8) * 255, size, top, left)

    prev = None if previous is None else square(previous > 0).astype(np.float32) / 255.0
    return Sample(mirror_pad(rgb, size, top, left), square(target), moved, prev, square(cand), int(granularity))


def _region_clicks(region: Region, rng: np.random.Generator, positive: bool) -> list[Click]:
    return [Click(float(x), float(y), positive) for x, y in interior_points(region.mask.astype(np.uint8) * 255, rng, 1)]


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
