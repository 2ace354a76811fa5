"""Evaluate a model on photos with ground-truth masks, by the field's usual protocols.

- Automatic mode (no clicks): mean IoU at 0.5, MAE, max F-measure (beta^2 = 0.3, precision and
  recall averaged over the photos at each of 256 thresholds, as in salient-object detection),
  boundary F, the share of the subject lost inside the mask's outline (holes), and seconds per megapixel.
- Interactive mode (two-stage models), the protocol of RITM's evaluator: the standard click simulator
  (``core.clicks.next_click``) places up to K clicks, each on the best pixel not clicked yet, and each runs
  as a click in the window does (``core.inference.interactive``: progressive merge, zoom-in); a mask's
  unknown band (128) is ignored in scoring and in placing clicks. NoC@85 / NoC@90 (clicks needed to reach
  that IoU, K when never reached), the mean IoU after 1, 3, 5 and 10 clicks, and the share of clicks that
  changed a pixel outside their focus region (which must be 0).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from cutout_app.core.datasets.folders import Pair, split_pairs
from cutout_app.core.datasets.metrics import boundary_f_score, iou, lost_inside, mae, precision_recall_counts, unknown_band
from cutout_app.core.edges.settings import MaskSettings
from cutout_app.core.errors import CutoutError, ImageReadError, printable
from cutout_app.core.files.imageio import Photo, is_supported_image, read_image, read_mask
from cutout_app.core.inference.clicks import Click, next_click
from cutout_app.core.inference.click_steps import click_step
from cutout_app.core.inference.interactive import refine_step
from cutout_app.core.inference.pipeline import segment_photo
from cutout_app.core.inference.two_stage import CutoutModel, Segmenter
from cutout_app.core.progress import CancelToken, ProgressCallback
from cutout_app.core.table import format_table

F_BETA2 = 0.3
NOC_LEVELS = (0.85, 0.90)
IOU_AT = (1, 3, 5, 10)


@dataclass
class ImageScore:
    """Scores of one photo."""

    name: str
    iou: float
    mae: float
    boundary_f: float
    seconds_per_mp: float
    click_ious: list[float] = field(default_factory=list)  # IoU after 1, 2, ... clicks
    lost_inside: float = 0.0  # share of the subject left out inside the mask's own outline (holes)
    merged_clicks: int = 0  # clicks after the first (merged into a mask)
    outside_focus: int = 0  # of those, clicks that changed a pixel outside their focus region


@dataclass
class EvalReport:
    """Scores of every photo and their means."""

    max_clicks: int = 0
    scores: list[ImageScore] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    _pr: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list, repr=False)

    def mean(self, attr: str) -> float:
        """Mean of one score over all photos (NaN when there are none)."""
        values = [getattr(s, attr) for s in self.scores]
        return float(np.mean(values)) if values else float("nan")

    def max_f(self) -> float:
        """Max F-measure over thresholds of the photo-averaged precision and recall (NaN without photos)."""
        if not self._pr:
            return float("nan")
        precision = np.mean([p for p, _ in self._pr], axis=0)
        recall = np.mean([r for _, r in self._pr], axis=0)
        f = (1 + F_BETA2) * precision * recall / np.maximum(F_BETA2 * precision + recall, 1e-12)
        return float(f.max())

    def noc(self, level: float) -> float:
        """Mean number of clicks to reach IoU ``level`` (``max_clicks`` where never reached)."""
        counts = [_clicks_to(s.click_ious, level, self.max_clicks) for s in self.scores if s.click_ious]
        return float(np.mean(counts)) if counts else float("nan")

    def iou_at(self, k: int) -> float:
        """Mean IoU after ``k`` clicks (the last IoU reached, for photos that stopped early)."""
        values = [s.click_ious[min(k, len(s.click_ious)) - 1] for s in self.scores if s.click_ious]
        return float(np.mean(values)) if values else float("nan")

    def to_dict(self) -> dict[str, object]:
        """The summary as ``--json`` writes it."""
        result: dict[str, object] = {
            "auto": {"iou": self.mean("iou"), "mae": self.mean("mae"), "max_f": self.max_f(),
                     "boundary_f": self.mean("boundary_f"), "s_per_mp": self.mean("seconds_per_mp"),
                     "lost_inside": self.mean("lost_inside")},
            "count": len(self.scores),
        }
        if self.max_clicks:
            clicks: dict[str, float] = {f"noc{round(level * 100)}": self.noc(level) for level in NOC_LEVELS}
            clicks.update({f"iou_at_{k}": self.iou_at(k) for k in IOU_AT})
            merged = sum(s.merged_clicks for s in self.scores)
            clicks["outside_focus_share"] = sum(s.outside_focus for s in self.scores) / merged if merged else 0.0
            result["clicks"] = clicks
        return result

    def table(self, per_image: bool = False) -> str:
        """The report as text tables; one row per photo if ``per_image``, then the mean."""
        headers = ["image", "IoU", "MAE", "boundary F", "lost inside", "s/MP"]
        rows: list[list[object]] = []
        if per_image:
            rows += [[printable(s.name), s.iou, s.mae, s.boundary_f, s.lost_inside, s.seconds_per_mp] for s in self.scores]
        rows.append([f"mean of {len(self.scores)}"] + [self.mean(a) for a in ("iou", "mae", "boundary_f", "lost_inside", "seconds_per_mp")])
        text = format_table(headers, rows) + f"\nmax F (beta^2 = {F_BETA2}): {self.max_f():.4f}"
        if self.max_clicks:
            summary = self.to_dict()["clicks"]
            assert isinstance(summary, dict)
            text += "\n" + format_table(
                [f"clicks (up to {self.max_clicks})"] + list(summary), [["mean"] + list(summary.values())]
            )
        return text


def _clicks_to(ious: Sequence[float], level: float, max_clicks: int) -> int:
    return next((k for k, value in enumerate(ious, start=1) if value >= level), max_clicks)


def list_pairs(images_dir: str | Path, masks_dir: str | Path, split: str = "all") -> tuple[list[Pair], list[str]]:
    """Photos of ``images_dir`` with a mask of the same stem in ``masks_dir``, and the names left out.

    ``split`` ``"val"`` or ``"train"`` keeps one side of the training split (``core.datasets``), which
    keys pairs by the name of the folder above ``images/``.
    Raises :class:`CutoutError` when a folder is missing or unreadable, or no photo has a mask.
    """
    masks = {p.stem: p for p in _listing(masks_dir, "Mask") if p.is_file()}
    key_root = Path(images_dir).resolve().parent.name
    pairs, missing = [], []
    for path in sorted(p for p in _listing(images_dir, "Photo") if is_supported_image(p)):
        if path.stem in masks:
            pairs.append(Pair(path, masks[path.stem], f"{key_root}/{path.stem}"))
        else:
            missing.append(f"{printable(path.name)}: no mask")
    if not pairs:
        raise CutoutError(f"No photo in '{images_dir}' has a mask of the same name in '{masks_dir}': nothing to score")
    if split != "all":
        train, val = split_pairs(pairs)
        pairs = sorted(val if split == "val" else train, key=lambda p: p.image.name)
        if not pairs:
            raise CutoutError(f"None of the {len(train) + len(val)} pairs in '{images_dir}' is in the {split} split: nothing to score")
    return pairs, missing


def _listing(folder: str | Path, kind: str) -> list[Path]:
    """The entries of ``folder`` (``kind``: Photo or Mask, for the message); CutoutError if it cannot be listed."""
    try:
        return list(Path(folder).iterdir())
    except FileNotFoundError:
        raise CutoutError(f"{kind} folder '{folder}' does not exist") from None
    except NotADirectoryError:
        raise CutoutError(f"{kind} folder '{folder}' is a file, not a folder") from None
    except OSError as exc:
        raise CutoutError(f"{kind} folder '{folder}' cannot be read: {exc.strerror or exc}") from None


def evaluate(
    engine: Segmenter,
    images_dir: str | Path,
    masks_dir: str | Path,
    settings: MaskSettings | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    *,
    limit: int | None = None,
    max_clicks: int = 0,
    split: str = "all",
    read: Callable[[Path], Photo] = read_image,
    read_truth: Callable[[Path], np.ndarray] = read_mask,
    zoom: bool = True,
) -> EvalReport:
    """Score ``engine`` on the photos of ``images_dir`` that have a mask of the same stem in ``masks_dir``.

    ``limit`` takes the first N pairs (by name); ``max_clicks`` > 0 runs the click protocol as well
    (two-stage models only); ``split`` is ``"all"``, ``"val"`` or ``"train"`` (see :func:`list_pairs`).
    ``read`` decodes each photo and ``read_truth`` each mask (the command line passes its decoder
    process's: masks are as untrusted as photos); ``zoom`` False keeps the whole photo in the global net's
    view on every click.
    """
    if max_clicks and not isinstance(engine, CutoutModel):
        raise CutoutError("The click protocol needs a two-stage model (a folder with global.onnx and refiner.onnx)")
    pairs, report_skipped = list_pairs(images_dir, masks_dir, split)
    pairs = pairs[:limit] if limit else pairs
    report = EvalReport(max_clicks=max_clicks, skipped=report_skipped)
    for i, pair in enumerate(pairs):
        if cancel is not None:
            cancel.raise_if_cancelled()
        try:
            photo = read(pair.image)
            truth = read_truth(pair.mask)
            if truth.shape != (photo.height, photo.width):
                raise ImageReadError(pair.mask, f"mask is {truth.shape[1]}x{truth.shape[0]}, photo {photo.width}x{photo.height}")
            start = time.perf_counter()
            soft = segment_photo(engine, photo, settings, cancel=cancel)
            seconds = time.perf_counter() - start
            clicked = click_protocol(engine, photo, truth, settings, max_clicks, cancel, zoom) if max_clicks else None
        except CutoutError as exc:
            report.skipped.append(f"{printable(pair.image.name)}: {exc}")
            continue
        megapixels = photo.height * photo.width / 1e6
        score = ImageScore(pair.image.name, iou(soft, truth, ignore=unknown_band(truth)), mae(soft, truth),
                           boundary_f_score(soft, truth), seconds / megapixels, lost_inside=lost_inside(soft, truth))
        if clicked is not None:
            score.click_ious, score.merged_clicks, score.outside_focus = clicked.ious, clicked.merged, clicked.outside_focus
        report.scores.append(score)
        report._pr.append(precision_recall_counts(soft, truth))
        if progress is not None:
            progress(i + 1, len(pairs))
    return report


@dataclass
class ClickRun:
    """One photo's run of the click protocol."""

    ious: list[float] = field(default_factory=list)  # after each click
    clicks: list[Click] = field(default_factory=list)
    merged: int = 0  # clicks merged into a mask (all but a first click)
    outside_focus: int = 0  # of those, clicks that changed a pixel outside their focus region


def click_protocol(
    engine: CutoutModel, photo: Photo, truth: np.ndarray, settings: MaskSettings | None, max_clicks: int,
    cancel: CancelToken | None = None, zoom: bool = True, first: Sequence[Click] = (),
) -> ClickRun:
    """Up to ``max_clicks`` simulated clicks from an empty mask, each run as the window runs a click; stops
    early once past every reported level. ``first`` clicks, when given, are placed before the simulator's."""
    settings = settings or MaskSettings()
    rgb = photo.rgb8()
    prepared = engine.prepare(rgb)
    ignore = unknown_band(truth)
    run = ClickRun()
    soft: np.ndarray | None = None
    for k in range(1, max_clicks + 1):
        if k <= len(first):
            click: Click | None = first[k - 1]
        else:
            click = next_click(np.zeros_like(truth) if soft is None else soft, truth, ignore=ignore, clicked=run.clicks)
        if click is None:  # nothing left to click: it stays as it is
            run.ious.extend([run.ious[-1] if run.ious else 0.0] * (max_clicks - len(run.ious)))
            break
        run.clicks.append(click)
        if cancel is not None:
            cancel.raise_if_cancelled()
        step = click_step(engine, rgb, prepared, run.clicks, soft, zoom=zoom)
        new, _ = refine_step(engine, rgb, step, refine_edges=settings.refine, cancel=cancel)
        if soft is not None and step.focus is not None:
            run.merged += 1
            outside = new != soft
            outside[step.focus.slices] = False
            run.outside_focus += bool(outside.any())
        soft = new
        run.ious.append(iou(soft, truth, ignore=ignore))
        if k >= max(IOU_AT) and run.ious[-1] >= max(NOC_LEVELS):
            break
    return run


def write_json(report: EvalReport, path: str | Path) -> Path:
    """Write :meth:`EvalReport.to_dict` as JSON to ``path``."""
    path = Path(path)
    path.write_text(json.dumps(report.to_dict(), indent=1) + "\n", encoding="utf-8")
    return path
