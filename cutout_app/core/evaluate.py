"""Evaluate a model on a folder of photos and a folder of ground-truth masks."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cutout_app.core.engine import SegmentationEngine
from cutout_app.core.errors import CutoutError, ImageReadError
from cutout_app.core.imageio import is_supported_image, read_image, read_mask
from cutout_app.core.matting import MaskSettings
from cutout_app.core.metrics import boundary_f_score, iou, mae
from cutout_app.core.pipeline import segment_photo
from cutout_app.core.progress import CancelToken, ProgressCallback
from cutout_app.core.table import format_table


@dataclass
class ImageScore:
    """Scores of one photo."""

    name: str
    iou: float
    mae: float
    boundary_f: float
    seconds_per_mp: float


@dataclass
class EvalReport:
    """Scores of every photo and their means."""

    scores: list[ImageScore] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def mean(self, attr: str) -> float:
        """Mean of one score over all photos (NaN when there are none)."""
        values = [getattr(s, attr) for s in self.scores]
        return float(np.mean(values)) if values else float("nan")

    def table(self, per_image: bool = False) -> str:
        """The report as a text table; one row per photo if ``per_image``, then the mean."""
        headers = ["image", "IoU", "MAE", "boundary F", "s/MP"]
        rows: list[list[object]] = []
        if per_image:
            rows += [[s.name, s.iou, s.mae, s.boundary_f, s.seconds_per_mp] for s in self.scores]
        rows.append([f"mean of {len(self.scores)}"] + [self.mean(a) for a in ("iou", "mae", "boundary_f", "seconds_per_mp")])
        return format_table(headers, rows)


def evaluate(
    engine: SegmentationEngine,
    images_dir: str | Path,
    masks_dir: str | Path,
    settings: MaskSettings | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> EvalReport:
    """Segment every photo in ``images_dir`` that has a mask of the same stem in ``masks_dir`` and score it."""
    masks = {p.stem: p for p in Path(masks_dir).iterdir() if p.is_file()}
    images = sorted(p for p in Path(images_dir).iterdir() if is_supported_image(p))
    report = EvalReport()
    for i, path in enumerate(images):
        if cancel is not None:
            cancel.raise_if_cancelled()
        if path.stem not in masks:
            report.skipped.append(f"{path.name}: no mask")
            continue
        try:
            photo = read_image(path)
            truth = read_mask(masks[path.stem])
            if truth.shape != (photo.height, photo.width):
                raise ImageReadError(masks[path.stem], f"mask is {truth.shape[1]}x{truth.shape[0]}, photo {photo.width}x{photo.height}")
            start = time.perf_counter()
            soft = segment_photo(engine, photo, settings, cancel=cancel)
            seconds = time.perf_counter() - start
        except CutoutError as exc:
            report.skipped.append(f"{path.name}: {exc}")
            continue
        megapixels = photo.height * photo.width / 1e6
        report.scores.append(
            ImageScore(path.name, iou(soft, truth), mae(soft, truth), boundary_f_score(soft, truth), seconds / megapixels)
        )
        if progress is not None:
            progress(i + 1, len(images))
    return report
