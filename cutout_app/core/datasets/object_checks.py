"""Checks that one click takes one object, on real photos where other things are in the picture.

- :func:`part_click_scores`: ``ccp-parts``' validation photos; one keep click in a garment, scored against
  that garment: the candidate shown first, and the best of them (what Tab reaches);
- :func:`held_removal_scores`: the same photos, automatic mask, then one remove click on the bag the
  person carries, scored against the person without it;
- :func:`instance_click_runs`: ``coco128-instances``: the click protocol on every object of everyday
  scenes, most of them not the photo's main subject (crowd regions ignored);
- :func:`box_scores`: a box around one object of a held-out composite, scored against that object.

Every check runs the model as the window does (``core.inference.interactive``); ``bench/bench_clicks.py``
prints them beside the targets.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np

from cutout_app.core.datasets.composite_eval import composite_cases
from cutout_app.core.datasets.evaluation import ClickRun, click_protocol
from cutout_app.core.datasets.folders import Pair, split_pairs
from cutout_app.core.datasets.metrics import iou
from cutout_app.core.datasets.parts import HELD_NAMES, find_part_maps, held_mask, label_names, regions
from cutout_app.core.edges.settings import MaskSettings
from cutout_app.core.errors import CutoutError
from cutout_app.core.files.imageio import SUPPORTED_EXTENSIONS, read_image, read_labels, read_mask
from cutout_app.core.inference.clicks import Click
from cutout_app.core.inference.box_steps import Box, box_step
from cutout_app.core.inference.click_steps import click_step
from cutout_app.core.inference.interactive import refine_step
from cutout_app.core.inference.pipeline import segment_photo
from cutout_app.core.inference.two_stage import CutoutModel

#: Labels that are parts of the body rather than garments: a garment check leaves them out.
BODY_NAMES = frozenset({"skin", "hair"})
#: The value of a crowd region in an instance map (ignored, as COCO does).
CROWD = 255
#: Objects smaller than this share of the photo are counted apart: they are where clicking is hardest.
SMALL_SHARE = 0.025


def deepest_point(mask: np.ndarray) -> Click:
    """A keep click at the pixel of ``mask`` (bool) farthest from its border: where a user clicks an object."""
    dist = cv2.distanceTransform(np.pad(mask.astype(np.uint8), 1), cv2.DIST_L2, 5)[1:-1, 1:-1]
    y, x = np.unravel_index(int(np.argmax(dist)), dist.shape)
    return Click(float(x), float(y), True)


def _val_part_maps(parts_dir: Path, photos_dir: Path, limit: int) -> list[Pair]:
    return sorted(split_pairs(find_part_maps(parts_dir, photos_dir))[1], key=lambda p: p.key)[:limit]


@dataclass
class PartScore:
    """One garment's IoU after one click: of the candidate shown first, and of the best candidate."""

    name: str
    shown: float
    best: float


def part_click_scores(model: CutoutModel, parts_dir: str | Path, photos_dir: str | Path, limit: int = 50,
                      settings: MaskSettings | None = None) -> list[PartScore]:
    """One keep click at the deepest point of every garment region of the first ``limit`` validation photos."""
    parts_dir, photos_dir = Path(parts_dir), Path(photos_dir)
    names = label_names(parts_dir)
    settings = settings or MaskSettings()
    scores = []
    for pair in _val_part_maps(parts_dir, photos_dir, limit):
        rgb, labels = read_image(pair.image).rgb8(), read_labels(pair.mask)
        prepared = model.prepare(rgb)
        empty = np.zeros(labels.shape, np.uint8)
        for region in regions(labels, names):
            if region.name in BODY_NAMES or region.name in HELD_NAMES:
                continue
            click = deepest_point(region.mask)
            step = click_step(model, rgb, prepared, (click,), empty)
            ious = []
            for k in range(max(1, step.candidates)):
                shown = step if k == 0 else step.with_candidate((step.candidate or 0) + k)
                soft, _ = refine_step(model, rgb, shown, refine_edges=settings.refine)
                ious.append(iou(soft, region.mask))
            scores.append(PartScore(region.name, ious[0], max(ious)))
    return scores


def held_removal_scores(model: CutoutModel, parts_dir: str | Path, photos_dir: str | Path, limit: int = 200,
                        settings: MaskSettings | None = None) -> list[float]:
    """The person's IoU (without what she carries) after the automatic mask and one remove click at the
    deepest point of the largest carried thing, on the validation photos (of the first ``limit``) that have one."""
    parts_dir, photos_dir = Path(parts_dir), Path(photos_dir)
    names = label_names(parts_dir)
    settings = settings or MaskSettings()
    scores = []
    for pair in _val_part_maps(parts_dir, photos_dir, limit):
        labels = read_labels(pair.mask)
        held = [r for r in regions(labels, names) if r.name in HELD_NAMES]
        if not held:
            continue
        photo = read_image(pair.image)
        rgb = photo.rgb8()
        automatic = segment_photo(model, photo, settings)
        click = deepest_point(held[0].mask)
        step = click_step(model, rgb, model.prepare(rgb), (Click(click.x, click.y, False),), automatic)
        soft, _ = refine_step(model, rgb, step, refine_edges=settings.refine)
        scores.append(iou(soft, (labels > 0) & ~held_mask(labels, names)))
    return scores


@dataclass
class InstanceRun:
    """The click protocol on one object of a scene."""

    photo: str
    category: str
    share: float  # of the photo
    run: ClickRun


def instance_click_runs(model: CutoutModel, folder: str | Path, max_clicks: int = 20, limit: int = 0,
                        min_pixels: int = 64, settings: MaskSettings | None = None, zoom: bool = True) -> list[InstanceRun]:
    """The click protocol on every object (of at least ``min_pixels``) of the first ``limit`` photos (0: all) of
    an instance folder (``images/`` + ``instances/`` with ids 1..N, 255 crowd; ``meta.json`` names them);
    ``zoom`` False keeps the whole photo in the global net's view."""
    import json

    folder = Path(folder)
    if not (folder / "images").is_dir() or not (folder / "instances").is_dir():
        raise CutoutError(f"Instance folder '{folder}' needs 'images' and 'instances' subfolders")
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8")) if (folder / "meta.json").is_file() else {}
    maps = sorted(p for p in (folder / "instances").iterdir() if p.suffix.lower() in SUPPORTED_EXTENSIONS)
    runs = []
    for path in maps[:limit] if limit else maps:
        image = next((folder / "images" / (path.stem + ext) for ext in (".jpg", ".png", ".jpeg")
                      if (folder / "images" / (path.stem + ext)).is_file()), None)
        if image is None:
            continue
        photo, ids = read_image(image), read_labels(path)
        categories = meta.get(path.stem, {}).get("instance_categories", [])
        for k in sorted(set(np.unique(ids)) - {0, CROWD}):
            truth = ids == k
            if np.count_nonzero(truth) < min_pixels:
                continue
            mask = np.where(ids == CROWD, 128, truth.astype(np.uint8) * 255).astype(np.uint8)  # crowd: the ignored band
            run = click_protocol(model, photo, mask, settings, max_clicks, zoom=zoom)
            name = categories[k - 1] if k - 1 < len(categories) else str(k)
            runs.append(InstanceRun(path.stem, name, np.count_nonzero(truth) / truth.size, run))
    return runs


def box_scores(model: CutoutModel, pairs: Sequence[Pair], count: int = 100, size: int = 512, seed: int = 1,
               margin: float = 0.02) -> list[float]:
    """IoU of the boxed object on ``count`` held-out composites of ``pairs``: a box around its visible part,
    ``margin`` of the photo's side looser than tight (a user's drag), the global net in box mode."""
    data = [(read_image(p.image).rgb8(), read_mask(p.mask)) for p in pairs]
    scores = []
    for case in composite_cases(data, size, count, seed):
        ys, xs = np.nonzero(case.target >= 128)
        pad = margin * size
        box = Box(max(0.0, xs.min() - pad), max(0.0, ys.min() - pad), min(float(size), xs.max() + 1 + pad),
                  min(float(size), ys.max() + 1 + pad))
        step = box_step(model, case.rgb, box, np.zeros(case.target.shape, np.uint8))
        soft, _ = refine_step(model, case.rgb, step)
        scores.append(iou(soft, case.target))
    return scores

