"""Benchmark the two-stage model end to end on large photos (not a test): prints a table.

For each size, a real photo (the bundled coffee cup, enlarged) is written as a JPEG, then:

- **whole process**: ``cutout segment photo.jpg -o out.png`` run as a user runs it, timed from start to
  exit (interpreter start, imports, model load, read, both stages, edge filter, PNG written), with the
  peak resident memory of that process;
- **stages**: the same steps timed one by one in a fresh process: read, global pass, refiner (tiles
  refined of all tiles), guided-filter edges, alpha + PNG export.

    python bench/bench_engine.py                      # 12 and 50 MP, bundled model, auto provider
    python bench/bench_engine.py --sizes 12 --provider cpu --model models/cutout
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# 4:3 photos of about 12, 24 and 50 megapixels, like a phone and high-resolution cameras.
SHAPES = {12: (3000, 4000), 24: (4000, 6000), 50: (6144, 8192)}


def make_photo(path: Path, height: int, width: int) -> None:
    """The sample photo enlarged to ``height`` x ``width`` with a little noise, as a JPEG."""
    import cv2
    import numpy as np

    from cutout_app.core.paths import sample_photo_path

    small = cv2.imread(str(sample_photo_path()))
    h0, w0 = small.shape[:2]
    scale = max(height / h0, width / w0)
    big = cv2.resize(small, (round(w0 * scale), round(h0 * scale)), interpolation=cv2.INTER_CUBIC)[:height, :width]
    noise = np.random.default_rng(1).integers(-4, 5, big.shape, dtype=np.int16)
    big = np.clip(big.astype(np.int16) + noise, 0, 255).astype(np.uint8)
    ok, data = cv2.imencode(".jpg", big, [cv2.IMWRITE_JPEG_QUALITY, 92])
    assert ok
    path.write_bytes(data.tobytes())


def stages(case: dict) -> dict:
    """Each step of segmenting one photo, timed in this (fresh) process."""
    from cutout_app.core.edges.alpha import MaskSettings, alpha_from_soft, refine_mask, to_soft_u8
    from cutout_app.core.files.export import ExportOptions, export_result
    from cutout_app.core.files.imageio import read_image
    from cutout_app.core.inference.two_stage import open_model

    model = open_model(case["model"], provider=case["provider"], threads=case["threads"])
    times: dict = {"provider": model.provider}
    t = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        times[name] = now - t
        t = now

    photo = read_image(case["photo"])
    rgb = photo.rgb8()
    lap("read")
    coarse = model.predict_global(rgb)
    lap("global")
    counts: list[int] = []
    prob = model.refine(rgb, coarse, progress=lambda done, total: counts.append(total))
    lap("refiner")
    times["tiles"] = f"{counts[-1] if counts else 0}/{len(model.refiner.plan(*rgb.shape[:2]))}"
    soft = to_soft_u8(refine_mask(prob, rgb))
    lap("edges")
    settings = MaskSettings()
    export_result(photo, alpha_from_soft(soft, settings.threshold, settings.softness), Path(case["output"]),
                  ExportOptions(), overwrite=True)
    lap("export")
    times["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return times


def whole_process(case: dict) -> dict:
    """``cutout segment`` as a user runs it: wall time and peak RSS of that process."""
    cmd = [sys.executable, "-m", "cutout_app", "segment", case["photo"], "-o", case["output"], "--overwrite",
           "--provider", case["provider"], "--threads", str(case["threads"])]
    if case["model"]:
        cmd += ["--model", case["model"]]
    with tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage: its peak RSS
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            return {"error": f"exit {proc.returncode}: {(err.read().strip().splitlines() or ['?'])[-1][:80]}"}
    return {"seconds": seconds, "peak_rss_mb": usage.ru_maxrss / 1024}


def run_stages(case: dict) -> dict:
    """Run :func:`stages` in a fresh interpreter."""
    proc = subprocess.run([sys.executable, __file__, "--child", json.dumps(case)], capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        return {"error": f"exit {proc.returncode}: {(proc.stderr.strip().splitlines() or ['killed'])[-1][:80]}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--sizes", type=int, nargs="+", default=[12, 50], choices=sorted(SHAPES))
    parser.add_argument("--model", type=Path, default=None, help="model folder (default: the bundled one)")
    parser.add_argument("--provider", default="auto", choices=["auto", "cuda", "cpu"])
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(stages(json.loads(args.child))))
        return 0

    from cutout_app.core.paths import default_model_path
    from cutout_app.core.table import format_table

    model = args.model or default_model_path()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for mp in args.sizes:
            h, w = SHAPES[mp]
            photo = Path(tmp) / f"photo{mp}.jpg"
            make_photo(photo, h, w)
            case = {"model": str(model), "provider": args.provider, "threads": args.threads, "photo": str(photo),
                    "output": str(Path(tmp) / f"out{mp}.png")}
            whole = whole_process(case)
            parts = run_stages(case)
            rows.append([f"{w}x{h}", f"{h * w / 1e6:.1f}", parts.get("provider", "-"), _num(whole, "seconds"),
                         _num(whole, "peak_rss_mb"), *(_num(parts, k) for k in ("read", "global", "refiner")),
                         parts.get("tiles", "-"), *(_num(parts, k) for k in ("edges", "export"))])
            print(f"done {mp} MP", file=sys.stderr, flush=True)
    print(f"model: {model}; {os.cpu_count()} CPU cores; photo: resources/samples/coffee.jpg enlarged")
    print(format_table(["photo", "MP", "provider", "whole process s", "peak RSS MB", "read s", "global s", "refiner s",
                        "tiles refined", "edges s", "export s"], rows))
    return 0


def _num(result: dict, key: str) -> str:
    if key not in result:
        return result.get("error", "-")
    return f"{result[key]:.0f}" if key == "peak_rss_mb" else f"{result[key]:.2f}"


if __name__ == "__main__":
    raise SystemExit(main())
