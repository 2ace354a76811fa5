"""The global pass: the whole photo, resized to the model's input size, with clicks and the previous mask.

The global net sees every pixel of the (small) photo at once, so it can tell what the subject is;
its probability is then upsampled to the photo and refined tile by tile (``core.two_stage``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np

from cutout_app.core.errors import ArgumentError, ModelError
from cutout_app.core.inference.clicks import Click, check_clicks, click_maps
from cutout_app.core.inference.engine import ModelSession
from cutout_app.core.inference.providers import ProviderChoice


#: A candidate shows first only where its predicted IoU beats the net's own answer by this much: the IoU head
#: of cutout-global 5 ranks them roughly, and on 40 held-out composites a set the one-click IoU was 0.781 / 0.775
#: (duts-tr / ccp-people) with this margin, 0.768 / 0.760 without, 0.770 / 0.777 with the answer alone.
CANDIDATE_MARGIN = 0.05


@dataclass(frozen=True)
class GlobalInput:
    """A photo prepared once for any number of global passes (one per click): resized, normalised, padded."""

    rgb: np.ndarray  # float32 (3, S, S), normalised and mirror-padded
    height: int  # the photo's size
    width: int
    small_h: int  # the photo's size inside the padded square
    small_w: int

    @property
    def scale(self) -> float:
        """Global-net pixels per photo pixel."""
        return self.small_w / self.width


@dataclass(frozen=True)
class GlobalPrediction:
    """The global net's probability at its own size, for a photo of ``height`` x ``width``.

    A net with candidates also gives its readings of an ambiguous click, ``candidates``: its single answer
    (output 0) first, then each candidate output, with each one's predicted IoU in ``scores``;
    :meth:`chosen` picks one, :meth:`best_candidate` the one rated best.
    """

    probability: np.ndarray  # float32 (small_h, small_w) in [0, 1]
    height: int
    width: int
    candidates: np.ndarray | None = None  # float32 (1 + K, small_h, small_w): output 0, then the K candidates
    scores: np.ndarray | None = None  # float32 (1 + K,)

    def best_candidate(self) -> int:
        """The reading to show first: the one with the highest predicted IoU, where it beats the net's own answer
        (reading 0) by :data:`CANDIDATE_MARGIN`; else that answer (0 without candidates too)."""
        if self.scores is None or self.candidates is None:
            return 0
        k = int(np.argmax(self.scores))
        return k if self.scores[k] > self.scores[0] + CANDIDATE_MARGIN else 0

    def chosen(self, candidate: int) -> GlobalPrediction:
        """This prediction with reading ``candidate`` (wrapping round) as its probability; itself without candidates."""
        if self.candidates is None:
            return self
        return GlobalPrediction(self.candidates[candidate % len(self.candidates)], self.height, self.width,
                                self.candidates, self.scores)

    def upsampled(self) -> np.ndarray:
        """The probability at the photo's size (float32, bilinear)."""
        return self.upsampled_at(slice(0, self.height), slice(0, self.width))

    def upsampled_at(self, rows: slice | np.ndarray, cols: slice | np.ndarray) -> np.ndarray:
        """Rows ``rows`` and columns ``cols`` (photo pixels: slices, or index arrays) of :meth:`upsampled`,
        made without the rest: a tile's window of a 250 MP photo costs its own size only.

        Bilinear with pixel centres aligned, as OpenCV's ``INTER_LINEAR`` resize (edges clamped).
        """
        r0, r1, wr = _bilinear_axis(rows, self.probability.shape[0], self.height)
        c0, c1, wc = _bilinear_axis(cols, self.probability.shape[1], self.width)
        if len(r0) == 0:
            return np.empty((0, len(c0)), np.float32)
        lo, hi = int(r0.min()), int(r1.max()) + 1
        r0, r1 = r0 - lo, r1 - lo
        across = self.probability[lo:hi, c0]  # the source rows in reach, at the wanted columns
        across += (self.probability[lo:hi, c1] - across) * wc
        out = np.empty((len(r0), len(c0)), np.float32)
        # Runs of target rows between the same two source rows: first + weight * (second - first), two
        # passes over the output where a gather per term took five.
        bounds = [*np.flatnonzero(np.diff(r0)) + 1, len(r0)]
        for start, stop in zip([0, *bounds[:-1]], bounds):
            first = across[r0[start]]
            np.multiply(wr[start:stop, None], across[r1[start]] - first, out=out[start:stop])
            out[start:stop] += first
        return out


    def footprint(self, rows: slice, cols: slice) -> np.ndarray:
        """The probability's own pixels that :meth:`upsampled_at` interpolates rows ``rows`` x columns
        ``cols`` from: every upsampled value there lies between their minimum and maximum."""
        r0, r1 = _bilinear_span(rows, self.probability.shape[0], self.height)
        c0, c1 = _bilinear_span(cols, self.probability.shape[1], self.width)
        return self.probability[r0:r1, c0:c1]


def _bilinear_span(index: slice, source: int, target: int) -> tuple[int, int]:
    """The source pixels (start, stop) that target pixels ``index`` of :func:`_bilinear_axis` read from:
    the same span as its arrays give, from the slice's two ends (positions grow with the index), so that a
    band of a 250 MP photo is looked at without an index array of its length."""
    start, stop, step = index.indices(target)
    if step != 1 or stop <= start:
        first, second, _ = _bilinear_axis(index, source, target)
        return (int(first.min()), int(second.max()) + 1) if len(first) else (0, 0)
    ends = np.clip((np.array([start, stop - 1]) + 0.5) * (source / target) - 0.5, 0, source - 1).astype(np.intp)
    return int(ends[0]), min(int(ends[1]) + 1, source - 1) + 1


def _bilinear_axis(index: slice | np.ndarray, source: int, target: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For target pixels ``index`` of an axis resized from ``source`` to ``target`` pixels: the two source
    pixels each one lies between, and the weight of the second (float32)."""
    if isinstance(index, slice):
        index = np.arange(*index.indices(target))
    position = np.clip((index + 0.5) * (source / target) - 0.5, 0, source - 1)
    first = position.astype(np.intp)  # floor: position is not negative
    return first, np.minimum(first + 1, source - 1), (position - first).astype(np.float32)


def _fit(height: int, width: int, size: int) -> tuple[int, int]:
    scale = size / max(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))


def resize_mask(mask: np.ndarray, height: int, width: int, samples: int = 8) -> np.ndarray:
    """A mask (uint8 0..255 or float 0..1) as float32 in [0, 1] at ``height`` x ``width``.

    Far larger masks are first subsampled to ``samples`` times the target (nearest), so that a click on a large
    photo does not average every pixel (``bench/README.md``); the area filter then averages ``samples`` squared
    samples per pixel.
    """
    if mask.shape[0] > samples * height and mask.shape[1] > samples * width:
        mask = cv2.resize(mask, (samples * width, samples * height), interpolation=cv2.INTER_NEAREST)
    interp = cv2.INTER_AREA if height < mask.shape[0] else cv2.INTER_LINEAR
    small = cv2.resize(mask, (width, height), interpolation=interp)
    return small.astype(np.float32) / 255.0 if small.dtype == np.uint8 else small.astype(np.float32)


def check_reading(number: object) -> None:
    """:class:`ArgumentError` unless ``number`` can name a reading (a whole number, not below 0): before a model is open."""
    if isinstance(number, bool) or not isinstance(number, int) or number < 0:
        raise ArgumentError(f"candidate {number!r}: a whole number, 1 for the net's own answer (0: the model's choice)")


def reading_index(number: int, candidates: int) -> int | None:
    """A first click's reading ``number`` as a user counts them (1: the net's own answer, then its ``candidates``,
    as Tab cycles them in the window; 0: the one the model rates best) as the index :func:`click_step` takes;
    :class:`ArgumentError` for a number the model does not give."""
    check_reading(number)
    if not number:
        return None
    count = candidates + 1 if candidates else 0  # its own answer is reading 1
    if number > count:
        has = f"reads a click {count} ways" if count else "gives no candidates"
        raise ArgumentError(f"candidate {number}: the model {has}")
    return number - 1


class GlobalNet:
    """The global net of a two-stage model, loaded into onnxruntime (see :class:`ModelSession`)."""

    def __init__(self, model_path: str | Path, provider: ProviderChoice = "auto", threads: int = 0) -> None:
        self.session = ModelSession(model_path, provider, threads)
        if self.session.info.role != "global":
            raise ModelError(f"Model file '{model_path}' is a {self.session.info.role} model, not a global net")

    @property
    def size(self) -> int:
        """The input's edge S in pixels: the photo's long side is resized to it."""
        return self.session.info.input_size

    @property
    def candidates(self) -> int:
        """How many candidate masks the net gives for an ambiguous click (0: none)."""
        return self.session.info.candidates

    def prepare(self, rgb: np.ndarray) -> GlobalInput:
        """Resize, normalise and pad an RGB uint8 photo (or a window of one) once; reuse the result for every click."""
        height, width = rgb.shape[:2]
        h, w = _fit(height, width, self.size)
        small = cv2.resize(rgb, (w, h), interpolation=cv2.INTER_AREA)
        # The training views were padded the same way: content at the top left, mirrored beyond.
        small = cv2.copyMakeBorder(small, 0, self.size - h, 0, self.size - w, cv2.BORDER_REFLECT_101)
        scale, offset = self.session.normalisation()
        x = small.astype(np.float32) * scale + offset
        return GlobalInput(np.ascontiguousarray(x.transpose(2, 0, 1)), height, width, h, w)

    def predict(
        self, photo: GlobalInput | np.ndarray, clicks: Sequence[Click] = (), previous: np.ndarray | None = None
    ) -> GlobalPrediction:
        """The subject's probability at the net's size.

        ``photo`` is an RGB uint8 array or a :meth:`prepare` result; ``clicks`` are in photo pixels
        (:class:`CutoutError` if one lies outside); ``previous`` is the current mask at the photo's size
        or already at the net's (``small_h`` x ``small_w``), uint8 0..255 or float 0..1, or None.
        """
        prepared = photo if isinstance(photo, GlobalInput) else self.prepare(photo)
        clicks = check_clicks(clicks, prepared.height, prepared.width)
        s = self.size
        x = np.zeros((1, 6, s, s), np.float32)
        x[0, :3] = prepared.rgb
        x[0, 3:5] = click_maps(clicks, s, s, self.session.info.click_radius, prepared.scale)
        if previous is not None:
            if previous.shape[:2] == (prepared.small_h, prepared.small_w):  # already at the net's size
                small = previous.astype(np.float32) / (255.0 if previous.dtype == np.uint8 else 1.0)
            elif previous.shape[:2] != (prepared.height, prepared.width):
                raise ValueError("the previous mask must have the photo's size (or the net's view of it)")
            else:
                small = resize_mask(previous, prepared.small_h, prepared.small_w)
            x[0, 5] = cv2.copyMakeBorder(small, 0, s - prepared.small_h, 0, s - prepared.small_w, cv2.BORDER_REFLECT_101)
        out, scores = self.session.run_with_scores(x)
        probs = np.clip(out[0, :, : prepared.small_h, : prepared.small_w], 0.0, 1.0)
        if scores is None:
            return GlobalPrediction(probs[0], prepared.height, prepared.width)
        return GlobalPrediction(probs[0], prepared.height, prepared.width, probs, scores[0])
