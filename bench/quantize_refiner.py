"""Int8 refiner, measured (not a test): ``cutout quantize`` against the fp32 refiner.

Copies the model folder to ``--out``, adds its ``refiner-int8.onnx`` there as ``cutout quantize`` makes it
(calibrated on uncertain refiner tiles of training photos, the global net's own probability as the coarse
input), then scores the folder's two refiners on the same validation pairs (automatic IoU and boundary F,
the app's whole pipeline on the CPU) and times one refiner tile batch of each on one thread.

    python bench/quantize_refiner.py --out runs/int8 --limit 60
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA_ROOT = ROOT.parent / "shared" / "datasets"
SETS = ("duts-tr", "ccp-people")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "cutout")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--limit", type=int, default=60, help="validation pairs a set")
    args = parser.parse_args()

    import onnxruntime as ort

    from cutout_app.cli import main as cutout
    from cutout_app.core.datasets import evaluate, find_pairs, split_pairs
    from cutout_app.core.files import read_image
    from cutout_app.core.inference import REFINER_FILE, REFINER_INT8_FILE, CutoutModel, calibration_tiles
    from cutout_app.core.inference.two_stage import CPU_TILE_SIZE
    from cutout_app.core.table import format_table

    shutil.copytree(args.model, args.out, dirs_exist_ok=True)
    started = time.perf_counter()
    if cutout(["quantize", str(args.out), *(str(DATA_ROOT / name) for name in SETS)]):
        return 1
    print(f"quantised in {time.perf_counter() - started:.1f}s", file=sys.stderr)

    train, _ = split_pairs(find_pairs([DATA_ROOT / name for name in SETS]))
    model = CutoutModel(args.out, "cpu", int8=False)
    # Two refiner inputs of the CPU's tile size (CPU_TILE_SIZE), cut from tiles of training photos.
    size = CPU_TILE_SIZE
    tiles = calibration_tiles(model, (read_image(p.image).rgb8() for p in train[-40:]), 20)
    batch = np.concatenate([t[..., :size, :size] for t in tiles if min(t.shape[-2:]) >= size][:2])
    rows = []
    for label, int8, file in (("fp32", False, REFINER_FILE), ("int8", True, REFINER_INT8_FILE)):
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        session = ort.InferenceSession(str(args.out / file), options, providers=["CPUExecutionProvider"])
        session.run(None, {"image": batch})
        times = []
        for _ in range(10):
            t = time.perf_counter()
            session.run(None, {"image": batch})
            times.append(time.perf_counter() - t)
        segmenter = CutoutModel(args.out, "cpu", int8=int8)
        assert segmenter.refiner.model_path.name == file
        scores = []
        for name in SETS:
            report = evaluate(segmenter, DATA_ROOT / name / "images", DATA_ROOT / name / "masks", limit=args.limit, split="val")
            auto = report.to_dict()["auto"]
            scores += [auto["iou"], auto["boundary_f"]]
        rows.append([label, *scores, 1000 * float(np.median(times))])
    print(format_table(["refiner", "duts IoU", "duts boundary F", "ccp IoU", "ccp boundary F",
                        f"ms / {len(batch)} tiles of {size} px, 1 thread"], rows))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
