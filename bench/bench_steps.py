"""A click's steps without the window (not a test): what the window waits for, on the CPU or the CUDA provider.

On the bundled sample photo enlarged to ``--megapixels`` (as bench_engine.py makes it): the global pass of a
first click, its refinement at the scale a 1400 x 900 view shows the photo at (``core.inference.view_step``),
its full-resolution refinement, and then later clicks (merged: global pass plus their focus region refined).
Medians of ``--clicks`` later remove clicks at random places inside the first click's object.

    python bench/bench_steps.py --provider cpu --megapixels 24
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_engine import SHAPES, make_photo  # noqa: E402

VIEW = (1400, 900)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--provider", default="auto", choices=["auto", "cuda", "cpu"])
    parser.add_argument("--megapixels", type=float, default=24, choices=sorted(SHAPES))
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--clicks", type=int, default=5)
    args = parser.parse_args()

    import tempfile

    from cutout_app.core.files import read_image
    from cutout_app.core.inference import Click, click_step, open_model, refine_step, view_step
    from cutout_app.core.table import format_table

    height, width = SHAPES[args.megapixels]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "photo.jpg"
        make_photo(path, height, width)
        rgb = read_image(path).rgb8()
    started = time.perf_counter()
    model = open_model(args.model, provider=args.provider)
    rows = [("open the model", (time.perf_counter() - started) * 1000)]

    def timed(label: str, fn):  # noqa: ANN001, ANN202
        t = time.perf_counter()
        result = fn()
        rows.append((label, (time.perf_counter() - t) * 1000))
        return result

    photo = timed("prepare the photo for the global net", lambda: model.prepare(rgb))
    first = Click(width / 2, height / 2)
    step = timed("first click: global pass", lambda: click_step(model, rgb, photo, [first], np.zeros((height, width), np.uint8)))
    scale = min(VIEW[0] / width, VIEW[1] / height, 1.0)
    timed(f"first click: refined at the view's scale ({scale * 100:.0f}%)", lambda: view_step(model, rgb, step, scale))
    soft, _ = timed("first click: full-resolution refinement", lambda: refine_step(model, rgb, step))
    rng = np.random.default_rng(3)
    ys, xs = np.nonzero(soft[::8, ::8] >= 128)
    global_ms, refine_ms, clicks = [], [], [first]
    for i in range(args.clicks):
        k = int(rng.integers(0, len(ys))) if len(ys) else 0
        clicks.append(Click(float(xs[k] * 8) if len(xs) else width / 3, float(ys[k] * 8) if len(ys) else height / 3, positive=False))
        t = time.perf_counter()
        step = click_step(model, rgb, photo, clicks, soft)
        t1 = time.perf_counter()
        soft, _ = refine_step(model, rgb, step)
        global_ms.append((t1 - t) * 1000)
        refine_ms.append((time.perf_counter() - t1) * 1000)
    rows += [(f"later click: global pass (median of {args.clicks})", statistics.median(global_ms)),
             (f"later click: focus region refined (median of {args.clicks})", statistics.median(refine_ms))]
    print(f"{model.describe()}; photo {width}x{height}")
    print(format_table(["step", "ms"], [[label, f"{ms:.0f}"] for label, ms in rows]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
