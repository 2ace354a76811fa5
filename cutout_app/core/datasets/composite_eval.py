"""The clicked object alone: its IoU after one keep click, on held-out composites with a neighbour in the picture.

Training checks it on small views (``model.train_global``), ``bench/bench_quality.py`` on the model as the
app runs it; both draw the same kind of case from validation pairs with a fixed seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from cutout_app.core.datasets.composites import interior_points, paste_subjects
from cutout_app.core.datasets.folders import Pair
from cutout_app.core.datasets.metrics import iou
from cutout_app.core.edges.settings import MaskSettings
from cutout_app.core.files.imageio import Photo, read_image, read_mask
from cutout_app.core.inference.clicks import Click
from cutout_app.core.inference.pipeline import segment_photo
from cutout_app.core.inference.two_stage import Segmenter


@dataclass
class ClickCase:
    """A composite, the mask of one object in it, and a keep click inside that object."""

    rgb: np.ndarray
    target: np.ndarray
    click: Click


def composite_cases(data: Sequence[tuple[np.ndarray, np.ndarray]], size: int, count: int, seed: int = 1) -> list[ClickCase]:
    """``count`` composites of 2-4 of the ``data`` photos (``size`` square), each with two or more
    clickable objects; the target is one of them, the click at a random point well inside it."""
    rng = np.random.default_rng(seed)
    cases: list[ClickCase] = []
    while len(cases) < count and len(data) >= 2:
        picks = rng.choice(len(data), size=min(len(data), int(rng.integers(2, 5))), replace=False)
        comp = paste_subjects(data[picks[0]], [data[i] for i in picks[1:]], size, rng)
        if len(comp.targets) < 2:
            continue  # a neighbour must be in the picture
        target = comp.targets[int(rng.integers(0, len(comp.targets)))]
        points = interior_points(comp.objects[target], rng, 1)
        if points:
            cases.append(ClickCase(comp.rgb, comp.objects[target], Click(*map(float, points[0]), True)))
    return cases


def composite_click_scores(engine: Segmenter, pairs: Sequence[Pair], count: int = 100, size: int = 512,
                           settings: MaskSettings | None = None, seed: int = 1) -> list[float]:
    """IoU of the clicked object after one keep click, on ``count`` composites of ``pairs`` (read from disk)."""
    data = [(read_image(p.image).rgb8(), read_mask(p.mask)) for p in pairs]
    return [iou(segment_photo(engine, Photo(case.rgb), settings, clicks=[case.click]), case.target)
            for case in composite_cases(data, size, count, seed)]
