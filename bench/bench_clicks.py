"""Clicking against the targets of the clicks issue (not a test): one table, every model side by side.

Each model runs as the window runs it (``core.inference.interactive``: progressive merge, zoom-in,
candidates), on data that training never saw:

- the click protocol (RITM's: up to 20 clicks, each on the best pixel not clicked yet) on the validation
  pairs of ``duts-tr`` and ``ccp-people``: NoC@90, IoU after 5 and 10 clicks, with and without zoom-in,
  and the share of clicks that changed a pixel outside their focus region;
- ``ccp-parts`` validation photos: one click on a garment (the candidate shown first, and the best one,
  which Tab reaches); the automatic mask then one remove click on the carried bag (the person's IoU);
- composites of validation photos: the clicked object alone after one click; a box around one object;
- ``coco128-instances`` (everyday scenes, held out): NoC@85 and IoU after 3 clicks on every object, and
  on the small ones (under 2.5 % of the photo) apart.

    python bench/bench_clicks.py --model runs/new --baseline models/cutout --limit 100 --instances 98
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DATA_ROOT = ROOT.parent / "shared" / "datasets"
#: The targets of the clicks issue, by row.
TARGETS = {
    "noc90 duts-tr": "<= 1.4", "noc90 ccp-people": "<= 1.2", "iou@5": ">= 0.97",
    "garment shown": ">= 0.80", "garment best": ">= 0.85", "bag removed": ">= 0.95", "composite 1 click": ">= 0.90",
    "coco noc85": "<= 3", "coco iou@3": ">= 0.85", "box": ">= 0.93", "outside focus": "0 %",
}


def _noc(ious: list[float], level: float, most: int) -> int:
    return next((k for k, v in enumerate(ious, start=1) if v >= level), most)


def _at(ious: list[float], k: int) -> float:
    return ious[min(k, len(ious)) - 1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, action="append", default=[], help="model folder (repeatable; default: bundled)")
    parser.add_argument("--data", type=Path, default=DATA_ROOT)
    parser.add_argument("--limit", type=int, default=100, help="validation pairs a set for the click protocol")
    parser.add_argument("--clicks", type=int, default=20)
    parser.add_argument("--parts", type=int, default=50, help="ccp-parts validation photos for the garment check")
    parser.add_argument("--composites", type=int, default=100)
    parser.add_argument("--instances", type=int, default=98, help="coco128 photos (their every object)")
    parser.add_argument("--no-zoom-row", action="store_true", help="skip the protocol without zoom-in")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    from cutout_app.core.datasets import (
        box_scores,
        composite_click_scores,
        evaluate,
        held_removal_scores,
        instance_click_runs,
        list_pairs,
        part_click_scores,
    )
    from cutout_app.core.inference import open_model
    from cutout_app.core.table import format_table

    results: dict[str, dict[str, float]] = {}
    for folder in args.model or [None]:
        model = open_model(folder, provider="cpu")
        name = str(folder or "bundled")
        row: dict[str, float] = {}
        started = time.perf_counter()
        for data in ("duts-tr", "ccp-people"):
            images, masks = args.data / data / "images", args.data / data / "masks"
            for zoom in (True, False) if not args.no_zoom_row else (True,):
                report = evaluate(model, images, masks, limit=args.limit, max_clicks=args.clicks, split="val", zoom=zoom)
                clicks = report.to_dict()["clicks"]
                tag = "" if zoom else " no zoom"
                row[f"noc90 {data}{tag}"] = clicks["noc90"]
                row[f"iou@5 {data}{tag}"] = clicks["iou_at_5"]
                row[f"iou@10 {data}{tag}"] = clicks["iou_at_10"]
                if zoom:
                    row[f"outside focus {data}"] = clicks["outside_focus_share"]
            pairs, _ = list_pairs(images, masks, "val")
            row[f"composite 1 click {data}"] = float(np.mean(composite_click_scores(model, pairs[: args.limit], args.composites)))
            row[f"box {data}"] = float(np.mean(box_scores(model, pairs[: args.limit], args.composites)))
            print(f"{name}: {data} done ({time.perf_counter() - started:.0f}s)", file=sys.stderr, flush=True)
        parts = part_click_scores(model, args.data / "ccp-parts", args.data / "ccp-people", args.parts)
        row["garment shown"] = float(np.mean([p.shown for p in parts]))
        row["garment best"] = float(np.mean([p.best for p in parts]))
        row["bag removed"] = float(np.mean(held_removal_scores(model, args.data / "ccp-parts", args.data / "ccp-people")))
        runs = instance_click_runs(model, args.data / "coco128-instances", args.clicks, args.instances)
        groups = [("coco", runs), ("coco small", [r for r in runs if r.share < 0.025])]
        if not args.no_zoom_row:
            unzoomed = instance_click_runs(model, args.data / "coco128-instances", args.clicks, args.instances, zoom=False)
            groups += [("coco no zoom", unzoomed), ("coco small no zoom", [r for r in unzoomed if r.share < 0.025])]
        for label, chosen in groups:
            row[f"{label} objects"] = len(chosen)
            row[f"{label} noc85"] = float(np.mean([_noc(r.run.ious, 0.85, args.clicks) for r in chosen])) if chosen else float("nan")
            row[f"{label} iou@3"] = float(np.mean([_at(r.run.ious, 3) for r in chosen])) if chosen else float("nan")
        row["seconds"] = time.perf_counter() - started
        results[name] = row
        print(f"{name}: done ({row['seconds']:.0f}s)", file=sys.stderr, flush=True)

    names = list(results)
    keys = list(next(iter(results.values())))
    table = [[key, *(results[n].get(key, float("nan")) for n in names),
              next((t for k, t in TARGETS.items() if key.startswith(k)), "")] for key in keys]
    print(f"validation pairs: first {args.limit} of each set; clicks up to {args.clicks}; ccp-parts photos: {args.parts}; "
          f"composites: {args.composites}; coco128 photos: {args.instances}")
    print(format_table(["figure", *names, "target"], table))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
