"""Click-guided segmentation of an open photo: one click's quick mask, then its refined mask.

A click runs the two-stage model twice over: the global pass (fast, shown at once) and the
full-resolution refinement (slow, cancellable) that replaces it. Both take the current mask as the
previous mask, and pixels the user painted with the brush (:class:`Stroke`) stay as painted: the
model never overwrites a correction the user made by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import cv2
import numpy as np

from cutout_app.core.edges.alpha import refine_mask, to_soft_u8
from cutout_app.core.inference.clicks import Click
from cutout_app.core.inference.global_net import GlobalInput, GlobalPrediction
from cutout_app.core.inference.two_stage import CutoutModel, Refinement
from cutout_app.core.progress import CancelToken, ProgressCallback


@dataclass(frozen=True)
class Stroke:
    """A brush stroke as the pixels it covered: its dab centres (photo pixels) and the brush radius."""

    points: tuple[tuple[float, float], ...]
    radius: float


@dataclass(frozen=True)
class Guidance:
    """What guides the next click: the clicks so far and the brush strokes whose pixels stay as painted."""

    clicks: tuple[Click, ...] = ()
    strokes: tuple[Stroke, ...] = field(default=(), repr=False)

    def with_click(self, click: Click) -> Guidance:
        """These clicks and one more."""
        return Guidance(self.clicks + (click,), self.strokes)

    def with_stroke(self, stroke: Stroke) -> Guidance:
        """These strokes and one more."""
        return Guidance(self.clicks, self.strokes + (stroke,))


def painted_pixels(strokes: Sequence[Stroke], height: int, width: int) -> np.ndarray | None:
    """A uint8 map (1 = covered by a stroke) of ``height`` x ``width``, or None without strokes."""
    if not strokes:
        return None
    covered = np.zeros((height, width), np.uint8)
    for stroke in strokes:
        thickness = max(1, int(np.ceil(2 * stroke.radius + 1)))
        points = [(int(round(x - 0.5)), int(round(y - 0.5))) for x, y in stroke.points]
        cv2.circle(covered, points[0], thickness // 2, 1, thickness=-1)
        for a, b in zip(points, points[1:]):
            cv2.line(covered, a, b, 1, thickness=thickness)
    return covered


def _keep_painted(soft: np.ndarray, previous: np.ndarray, painted: np.ndarray | None) -> np.ndarray:
    if painted is not None:
        np.copyto(soft, previous, where=painted.view(bool))
    return soft


def quick_mask(
    model: CutoutModel, photo: GlobalInput, clicks: Sequence[Click], previous: np.ndarray
) -> tuple[GlobalPrediction, np.ndarray]:
    """The global pass of a click: its prediction (for :func:`refined_mask`) and its preview.

    The preview is the soft mask (uint8) at the model's size: shown at once, scaled up by the view, and
    turned into a photo-size mask by :func:`full_size_mask` only when it is kept. ``previous`` is the
    current soft mask (photo size).
    """
    prediction = model.predict_global(photo, clicks, previous)
    return prediction, to_soft_u8(prediction.probability)


def full_size_mask(preview: np.ndarray, width: int, height: int, previous: np.ndarray, painted: np.ndarray | None) -> np.ndarray:
    """A click preview (see :func:`quick_mask`) as the photo-size soft mask; painted pixels keep ``previous``."""
    # Upsampling the uint8 mask rather than the float probability: the same picture at a quarter of the memory.
    soft = cv2.resize(preview, (width, height), interpolation=cv2.INTER_LINEAR)
    return _keep_painted(soft, previous, painted)


def refined_mask(
    model: CutoutModel,
    rgb: np.ndarray,
    prediction: GlobalPrediction,
    previous: np.ndarray,
    painted: np.ndarray | None,
    refine_edges: bool = True,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    reuse: Refinement | None = None,
) -> tuple[np.ndarray, Refinement]:
    """The full-resolution soft mask of a click (uint8), and its :class:`Refinement` for the next click.

    The refiner runs where ``reuse`` (the previous click's refinement) does not already hold the answer,
    then the edge refinement if asked. Cancellable between tiles (``cancel``); painted pixels keep
    ``previous`` as in :func:`full_size_mask`.
    """
    prob = model.refine(rgb, prediction, reuse=reuse, progress=progress, cancel=cancel)
    refinement = Refinement(prediction, prob)
    if refine_edges:
        if cancel is not None:
            cancel.raise_if_cancelled()
        prob = refine_mask(prob, rgb)
    return _keep_painted(to_soft_u8(prob), previous, painted), refinement
