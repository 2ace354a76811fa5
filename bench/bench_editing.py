"""Timing of the editing hot paths on a 24-megapixel (6000 x 4000) mask. Not a test: prints a table.

Run: ``python bench/bench_editing.py [--repeat N]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

from cutout_app.core.edges.alpha import alpha_from_soft, refine_mask, to_soft_u8
from cutout_app.core.editing.autosave_journal import AutosaveJournal
from cutout_app.core.editing.display import PreviewPyramid, composite_on_checker, overlay_rgba
from cutout_app.core.geometry import Rect
from cutout_app.core.editing.mask_edit import EditableMask
from cutout_app.core.table import format_table

H, W = 4000, 6000


def _scene() -> tuple[np.ndarray, np.ndarray]:
    """A photo-like RGB image and a matching soft probability with blurred edges."""
    rng = np.random.default_rng(0)
    yy, xx = np.ogrid[:H, :W]
    subject = ((yy - H / 2) ** 2 / (H / 3) ** 2 + (xx - W / 2) ** 2 / (W / 4) ** 2) < 1
    speck = ((yy - 400) ** 2 + (xx - 500) ** 2) < 150**2
    fg = (subject | speck).astype(np.uint8)
    rgb = np.where(fg[..., None] > 0, np.uint8(190), np.uint8(60)) * np.ones(3, np.uint8)
    rgb = cv2.add(rgb, rng.integers(0, 40, (H, W, 3), dtype=np.uint8))
    prob = cv2.GaussianBlur(fg.astype(np.float32), (0, 0), 3)
    return rgb, prob


def _time(fn: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best * 1000.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3, help="runs per operation; the best is shown")
    args = parser.parse_args()
    rgb, prob = _scene()
    soft = to_soft_u8(prob)
    rows: list[tuple[str, float]] = []

    rows.append(("refine_mask (guided filter, r=8, strips)", _time(lambda: refine_mask(prob, rgb), args.repeat)))
    rows.append(("to_soft_u8", _time(lambda: to_soft_u8(prob), args.repeat)))
    rows.append(("alpha_from_soft (full mask)", _time(lambda: alpha_from_soft(soft, 0.5, 0.1), args.repeat)))

    mask = EditableMask(soft.copy())

    def one_dab() -> None:
        mask.begin_stroke()
        mask.dab(3000, 2000, 40, 0.5, "erase")
        mask.end_stroke()

    rows.append(("dab r=40 (begin + dab + end_stroke)", _time(one_dab, args.repeat)))
    mask.begin_stroke()
    rows.append(("dab r=40 (inside a stroke)", _time(lambda: mask.dab(3100, 2100, 40, 0.5, "add"), args.repeat)))
    mask.end_stroke()

    modes = iter(["erase", "add"] * args.repeat)

    def stroke() -> None:  # alternate erase/add so that every run really changes pixels
        mode = next(modes)
        mask.begin_stroke()
        mask.stroke_to(1000, 1000, 40, 0.8, mode)
        for i in range(1, 50):  # 50 dabs, 10 px apart
            mask.dab(1000 + 10 * i, 1000 + 6 * i, 40, 0.8, mode)
        mask.end_stroke()

    rows.append(("50-dab stroke + end_stroke", _time(stroke, args.repeat)))
    rows.append(("undo of that 50-dab stroke", _time(mask.undo, 1)))
    rows.append(("redo of that 50-dab stroke", _time(mask.redo, 1)))

    def long_stroke() -> None:
        mask.begin_stroke()
        mask.stroke_to(100, 100, 40, 0.8, "erase")
        mask.stroke_to(5900, 3900, 40, 0.8, "erase")  # diagonal across the whole mask
        mask.end_stroke()

    rows.append(("diagonal stroke over the mask (~720 dabs)", _time(long_stroke, 1)))
    rows.append(("undo of the diagonal stroke", _time(mask.undo, 1)))
    rows.append(("redo of the diagonal stroke", _time(mask.redo, 1)))
    mask.undo()
    state = mask.soft.copy()

    def keep() -> None:
        mask.soft[...] = state
        assert mask.keep_regions_at([(3000, 1500)], 0.5) is not None

    rows.append(("keep_regions_at (drop a speck)", _time(keep, args.repeat)))
    mask.soft[...] = state
    rows.append(("remove_region_at (the speck)", _time(lambda: mask.remove_region_at((500, 400), 0.5) or 1 / 0, 1)))
    rows.append(("replace_all (undoable full copy)", _time(lambda: mask.replace_all(state), 1)))
    rows.append(("undo history size after all this (MB)", mask.undo_bytes / 1e6))

    rows.append(("overlay_rgba 1920x1080 view region", _time(lambda: overlay_rgba(soft[:1080, :1920]), args.repeat)))
    rows.append(
        (
            "composite_on_checker 1920x1080 region",
            _time(lambda: composite_on_checker(rgb[:1080, :1920], soft[:1080, :1920], 0, 0), args.repeat),
        )
    )
    rows.append(("PreviewPyramid build (mask)", _time(lambda: PreviewPyramid(soft), args.repeat)))
    rows.append(("PreviewPyramid build (RGB photo)", _time(lambda: PreviewPyramid(rgb), args.repeat)))
    pyr = PreviewPyramid(mask.soft)

    rows.append(("PreviewPyramid.update 81x81 dab rect", _time(lambda: pyr.update(Rect(2960, 1960, 81, 81)), args.repeat)))

    with tempfile.TemporaryDirectory() as tmp:
        photo = Path(tmp) / "photo.jpg"
        photo.write_bytes(b"not really a photo, the journal only stats it")
        journal = AutosaveJournal.open_for(photo, Path(tmp) / "autosave")
        rows.append(("autosave start/snapshot (PNG base, fsync)", _time(lambda: journal.start(mask.soft, {}), 1)))
        patch = mask.soft[1960:2041, 2960:3041].copy()
        rows.append(("autosave append one dab record (fsync)", _time(lambda: journal.append((2960, 1960, 81, 81), patch), args.repeat)))
        rows.append(("autosave restore (base + journal)", _time(lambda: journal.restore(), 1)))
        journal.discard()

    print(format_table(["operation (6000x4000 mask)", "ms"], [[name, f"{ms:.1f}"] for name, ms in rows]))


if __name__ == "__main__":
    main()
