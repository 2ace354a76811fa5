"""Int8 refiner, measured (not a test): onnxruntime's static quantisation against the fp32 refiner.

Calibrates on refiner tiles of training photos (the global net's own probability as the coarse input, as
the app runs it), writes ``refiner-int8.onnx`` beside a copy of the model's global.onnx in ``--out`` (a
model folder the app can open), then scores both folders on the same validation pairs (automatic IoU and
boundary F) and times one refiner tile batch each on this CPU.

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


def calibration_tiles(model, pairs, count: int) -> list[np.ndarray]:  # noqa: ANN001
    """Refiner inputs (1 x 4 x T x T) of uncertain tiles of ``pairs``' photos, as the app makes them."""
    from cutout_app.core.files import read_image
    from cutout_app.core.inference.tiling import tile_window

    tiles: list[np.ndarray] = []
    for pair in pairs:
        rgb = read_image(pair.image).rgb8()
        coarse = model.predict_global(rgb)
        plan = model.plan(*rgb.shape[:2])
        run, _ = model._select(plan, coarse, False, None)
        for tile in list(run)[:4]:
            window = coarse.upsampled_at(*tile_window(plan, tile))
            tiles.append(model.refiner._inputs(rgb, plan, [tile], lambda t, w=window: [w]))
        if len(tiles) >= count:
            break
    return tiles[:count]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "cutout")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--limit", type=int, default=60, help="validation pairs a set")
    parser.add_argument("--calibration", type=int, default=64, help="tiles")
    args = parser.parse_args()

    import onnxruntime as ort
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    from cutout_app.core.datasets import evaluate, find_pairs, split_pairs
    from cutout_app.core.inference import open_model
    from cutout_app.core.table import format_table

    model = open_model(args.model, provider="cpu")
    train, _ = split_pairs(find_pairs([DATA_ROOT / "duts-tr", DATA_ROOT / "ccp-people"]))
    rng = np.random.default_rng(0)
    tiles = calibration_tiles(model, [train[i] for i in rng.choice(len(train), 200, replace=False)], args.calibration)

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self._it = iter(tiles)

        def get_next(self):  # noqa: ANN201
            x = next(self._it, None)
            return None if x is None else {"image": x}

    args.out.mkdir(parents=True, exist_ok=True)
    shutil.copy(args.model / "global.onnx", args.out / "global.onnx")
    started = time.perf_counter()
    quantize_static(str(args.model / "refiner.onnx"), str(args.out / "refiner.onnx"), Reader(),
                    quant_format=QuantFormat.QDQ, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                    per_channel=True)
    print(f"quantised in {time.perf_counter() - started:.1f}s: {args.out / 'refiner.onnx'}", file=sys.stderr)

    rows = []
    batch = np.concatenate(tiles[:2])
    for label, folder in (("fp32", args.model), ("int8", args.out)):
        session = ort.InferenceSession(str(folder / "refiner.onnx"), providers=["CPUExecutionProvider"])
        session.run(None, {"image": batch})
        times = []
        for _ in range(10):
            t = time.perf_counter()
            session.run(None, {"image": batch})
            times.append(time.perf_counter() - t)
        segmenter = open_model(folder, provider="cpu")
        scores = []
        for name in ("duts-tr", "ccp-people"):
            report = evaluate(segmenter, DATA_ROOT / name / "images", DATA_ROOT / name / "masks", limit=args.limit, split="val")
            auto = report.to_dict()["auto"]
            scores += [auto["iou"], auto["boundary_f"]]
        rows.append([label, *scores, 1000 * float(np.median(times))])
    print(format_table(["refiner", "duts IoU", "duts boundary F", "ccp IoU", "ccp boundary F", "ms / 2 tiles"], rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
