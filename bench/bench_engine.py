"""Benchmark the engine end to end on large photos (not a test): prints a table.

For each size: the time from JPEG on disk to transparent PNG on disk (read, tiled inference, edge
refinement, export), seconds per megapixel, the peak resident memory of that run, and the time of the
model alone tiled versus in one untiled pass. Every case runs in a fresh process so that peak RSS
belongs to it alone.

    python bench/bench_engine.py                      # 12 and 50 MP, bundled model, auto provider
    python bench/bench_engine.py --sizes 12 --provider cpu --untiled-limit-gb 8
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# 4:3 photos of about 12 and 50 megapixels, like a phone and a high-resolution camera.
SHAPES = {12: (3000, 4000), 24: (4000, 6000), 50: (6144, 8192)}


def make_photo(path: Path, height: int, width: int) -> None:
    """A photo-sized synthetic composite, made small and enlarged (big composites are slow to draw)."""
    import cv2
    import numpy as np

    from cutout_app.core.synthetic import make_composite

    rgb, _ = make_composite(height // 8, width // 8, np.random.default_rng(0))
    big = cv2.resize(rgb, (width, height), interpolation=cv2.INTER_CUBIC)
    noise = np.random.default_rng(1).integers(-6, 7, big.shape, dtype=np.int16)
    big = np.clip(big.astype(np.int16) + noise, 0, 255).astype(np.uint8)
    ok, data = cv2.imencode(".jpg", cv2.cvtColor(big, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    path.write_bytes(data.tobytes())


def child(case: dict) -> dict:
    """Run one measurement in this (fresh) process and return its numbers."""
    import resource

    from cutout_app.core.engine import SegmentationEngine
    from cutout_app.core.imageio import read_image
    from cutout_app.core.pipeline import cut_out_file

    engine = SegmentationEngine(case["model"], provider=case["provider"], threads=case["threads"])
    result: dict = {"provider": engine.provider}
    if case["kind"] == "end_to_end":
        start = time.perf_counter()
        cut_out_file(engine, case["photo"], case["output"], overwrite=True)
        result["seconds"] = time.perf_counter() - start
    else:
        rgb = read_image(case["photo"]).rgb8()
        tile = case["tile_size"] if case["kind"] == "tiled" else 10**6
        result["tiles"] = len(engine.plan(rgb.shape[0], rgb.shape[1], tile))
        start = time.perf_counter()
        engine.predict(rgb, tile_size=tile, batch_size=case["batch_size"])
        result["seconds"] = time.perf_counter() - start
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def run_case(case: dict) -> dict:
    """Run :func:`child` in a fresh interpreter."""
    proc = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps(case)], capture_output=True, text=True, cwd=ROOT
    )
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["killed"])[-1]
        return {"error": f"exit {proc.returncode}: {tail[:80]}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def untiled_gb(height: int, width: int, base_width: int) -> float:
    """Rough activation memory of one untiled pass: a few full-resolution feature maps at level 0."""
    return height * width * base_width * 4 * 6 / 1e9


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--sizes", type=int, nargs="+", default=[12, 50], choices=sorted(SHAPES))
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--provider", default="auto", choices=["auto", "cuda", "cpu"])
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--tile-size", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--untiled-limit-gb", type=float, default=12.0,
                        help="skip the untiled pass when it would need more memory than this")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return 0

    from cutout_app.core.engine import SegmentationEngine
    from cutout_app.core.paths import default_model_path
    from cutout_app.core.table import format_table

    model = args.model or default_model_path()
    info = SegmentationEngine(model, provider="cpu").info
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for mp in args.sizes:
            h, w = SHAPES[mp]
            photo = Path(tmp) / f"photo{mp}.jpg"
            make_photo(photo, h, w)
            base = {"model": str(model), "provider": args.provider, "threads": args.threads, "photo": str(photo),
                    "output": str(Path(tmp) / f"out{mp}.png"), "tile_size": args.tile_size or info.tile_size,
                    "batch_size": args.batch_size}
            e2e = run_case({**base, "kind": "end_to_end"})
            tiled = run_case({**base, "kind": "tiled"})
            need = untiled_gb(h, w, info.base_width)
            if need > args.untiled_limit_gb:
                untiled = {"error": f"skipped: needs ~{need:.0f} GB"}
            else:
                untiled = run_case({**base, "kind": "untiled"})
            megapixels = h * w / 1e6
            rows.append([
                f"{w}x{h}", f"{megapixels:.1f}", tiled.get("tiles", "-"), e2e.get("provider", "-"),
                _num(e2e, "seconds"), _num(e2e, "seconds", megapixels), _num(e2e, "peak_rss_mb"),
                _num(tiled, "seconds"), _num(tiled, "peak_rss_mb"), _num(untiled, "seconds"), _num(untiled, "peak_rss_mb"),
            ])
            print(f"done {mp} MP", file=sys.stderr, flush=True)
    print(f"model: {model.name} ({info.padding}, depth {info.depth}, width {info.base_width}, tile {args.tile_size or info.tile_size}); "
          f"{os.cpu_count()} CPU cores")
    print(format_table(
        ["photo", "MP", "tiles", "provider", "end-to-end s", "s/MP", "peak RSS MB",
         "tiled predict s", "tiled RSS MB", "untiled predict s", "untiled RSS MB"], rows))
    return 0


def _num(result: dict, key: str, divide: float = 1.0) -> str:
    if key not in result:
        return result.get("error", "-")
    return f"{result[key] / divide:.2f}" if key == "seconds" else f"{result[key]:.0f}"


if __name__ == "__main__":
    raise SystemExit(main())
