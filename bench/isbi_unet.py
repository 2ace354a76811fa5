"""Show that the project's U-Net learns real data: the ISBI 2012 EM stack of the U-Net paper (not a test).

Trains on sections 00-24 (the training run holds some of them out for its own validation), exports to
ONNX, then scores the engine on the unseen sections 25-29 and prints a table. As in the paper, the
foreground is the membrane (label 0 in the data), so the masks are inverted on the way in. The data
stays in ../shared; the prepared copy goes to .data/isbi (ignored by git).

    python bench/isbi_unet.py --time-budget 1500      # CPU: ~25 minutes
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cutout_app.core.datasets.evaluation import evaluate  # noqa: E402
from cutout_app.core.datasets.metrics import iou  # noqa: E402
from cutout_app.core.edges.alpha import MaskSettings  # noqa: E402
from cutout_app.core.inference.engine import SegmentationEngine  # noqa: E402
from cutout_app.core.table import format_table  # noqa: E402

DATA = ROOT.parent / "shared" / "datasets" / "isbi2012-em"
TEST_STEMS = {f"{i:02d}" for i in range(25, 30)}


def prepare(out: Path) -> tuple[Path, Path]:
    """Copy the stack into ``out``/train and ``out``/test with membranes (label 0) as foreground."""
    for split in ("train", "test"):
        (out / split / "images").mkdir(parents=True, exist_ok=True)
        (out / split / "masks").mkdir(parents=True, exist_ok=True)
    for image in sorted((DATA / "images").glob("*.png")):
        split = "test" if image.stem in TEST_STEMS else "train"
        label = cv2.imread(str(DATA / "masks" / image.name), cv2.IMREAD_GRAYSCALE)
        cv2.imwrite(str(out / split / "images" / image.name), cv2.imread(str(image), cv2.IMREAD_GRAYSCALE))
        cv2.imwrite(str(out / split / "masks" / image.name), np.where(label < 128, 255, 0).astype(np.uint8))
    return out / "train", out / "test"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-budget", type=float, default=1500.0, help="training seconds")
    parser.add_argument("--work", type=Path, default=ROOT / ".data" / "isbi")
    parser.add_argument("--base-width", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()

    from cutout_app.model.checkpoint import info_from_checkpoint_meta, load_checkpoint
    from cutout_app.model.export_onnx import export_onnx
    from cutout_app.model.train import TrainConfig, train

    train_dir, test_dir = prepare(args.work)
    config = TrainConfig(
        data_dirs=[train_dir], out=args.work / "run", base_width=args.base_width, depth=4, padding="valid",
        tile_size=572, batch_size=4, epochs=100, steps_per_epoch=25, lr=1e-3, val_fraction=0.2,
        workers=args.workers, name="isbi-membranes", training_data_note="ISBI 2012 EM sections 00-24, membranes as foreground",
        time_budget_s=args.time_budget,
    )
    result = train(config)
    net, meta = load_checkpoint(result.checkpoint)
    model = export_onnx(net, args.work / "isbi.onnx", info_from_checkpoint_meta(net, meta))
    report = evaluate(SegmentationEngine(model, provider="cpu"), test_dir / "images", test_dir / "masks", MaskSettings(refine=False))
    truths = [cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) for p in sorted((test_dir / "masks").glob("*.png"))]
    baseline = float(np.mean([iou(np.full_like(t, 255), t) for t in truths]))
    print(f"trained {result.seconds:.0f}s, {result.epochs_run} epochs, best validation IoU {result.best_val_iou:.4f}")
    print(report.table(per_image=True))
    print(format_table(["held-out sections 25-29", "membrane IoU"],
                       [["this U-Net", report.mean("iou")], ["everything membrane (baseline)", baseline]]))


if __name__ == "__main__":
    main()
