"""Model quality against the targets (not a test): prints one table per protocol.

Scores a model on the validation split (pairs that training never sees) of each real data set in
``../shared/datasets``, in automatic mode and with the click protocol, beside the project's targets and
the level to beat (ISNet, general use, scored alike on 100 pairs of each set; its figures are from the
issue that set the targets, measured on this 2-core machine).

    python bench/bench_quality.py                         # bundled model, 100 pairs a set, 20 clicks
    python bench/bench_quality.py --model runs/x --limit 30 --clicks 5 --json scores.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DATA_ROOT = ROOT.parent / "shared" / "datasets"
SETS = ("duts-tr", "ccp-people")
#: Automatic-mode mean IoU targets per set, and the click targets (IoU after 3 clicks, NoC@90).
AUTO_TARGET = {"duts-tr": 0.80, "ccp-people": 0.92}
CLICK_TARGET = {"iou_at_3": 0.90, "noc90": 5.0}
#: ISNet (general use, onnxruntime at 1024x1024) on 100 pairs of each set: mean IoU, MAE.
ISNET = {"duts-tr": (0.972, 0.009), "ccp-people": (0.957, 0.013)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=None, help="model folder (default: the bundled one)")
    parser.add_argument("--data", type=Path, default=DATA_ROOT)
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--clicks", type=int, default=20)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    from cutout_app.core.datasets.evaluation import evaluate
    from cutout_app.core.inference.two_stage import open_model
    from cutout_app.core.table import format_table

    model = open_model(args.model, provider="cpu", threads=args.threads)
    auto_rows, click_rows, results = [], [], {}
    for name in SETS:
        folder = args.data / name
        report = evaluate(model, folder / "images", folder / "masks", limit=args.limit, max_clicks=args.clicks, split="val")
        summary = report.to_dict()
        results[name] = summary
        auto = summary["auto"]
        isnet_iou, isnet_mae = ISNET[name]
        auto_rows.append([name, summary["count"], auto["iou"], AUTO_TARGET[name], isnet_iou, auto["mae"], isnet_mae,
                          auto["max_f"], auto["boundary_f"], auto["s_per_mp"]])
        clicks = summary.get("clicks", {})
        if clicks:
            click_rows.append([name, clicks["iou_at_1"], clicks["iou_at_3"], CLICK_TARGET["iou_at_3"], clicks["iou_at_5"],
                               clicks["noc85"], clicks["noc90"], CLICK_TARGET["noc90"]])
        print(f"done {name}", file=sys.stderr, flush=True)
    print(f"model: {model.describe()}; validation split, first {args.limit} pairs by name")
    print(format_table(["set", "pairs", "IoU", "target", "ISNet IoU", "MAE", "ISNet MAE", "max F", "boundary F", "s/MP"], auto_rows))
    if click_rows:
        print(f"click protocol, up to {args.clicks} clicks")
        print(format_table(["set", "IoU@1", "IoU@3", "target", "IoU@5", "NoC@85", "NoC@90", "target"], click_rows))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
