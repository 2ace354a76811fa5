#!/usr/bin/env bash
# Rebuild the bundled two-stage model models/cutout/ (global.onnx + refiner.onnx) the way it was made,
# then score it on the validation split that training never saw. Every step is a plain `cutout` command.
#   models/retrain.sh [DATA_ROOT] [WORK_DIR]
#   DATA_ROOT: the folder holding duts-tr/ and ccp-people/ (default ../shared/datasets)
#   WORK_DIR:  run folders (default runs/retrain, ignored by git)
# GLOBAL_SECONDS / REFINER_SECONDS / FINETUNE_SECONDS / FINETUNE2_SECONDS set the time budgets (the bundled
# model: 7500 s and 2400 s, both on the 2-core CPU at once, the refiner with one thread; then 7800 s and
# 4500 s of fine-tuning the global net from its best weights, each with a new cosine cycle). Needs the
# training extras (scripts/test installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:-../shared/datasets}"
work="${2:-runs/retrain}"
cutout="${CUTOUT:-.venv/bin/cutout}"
sets=("$data/duts-tr" "$data/ccp-people")

OMP_NUM_THREADS=1 $cutout train "${sets[@]}" -o "$work/refiner" --stage refiner --base-width 8 --depth 3 \
  --tile-size 188 --batch-size 8 --epochs 30 --steps-per-epoch 150 --time-budget "${REFINER_SECONDS:-2400}" \
  --workers 1 --note "CPU run, 1 thread beside the global run" &
$cutout train "${sets[@]}" -o "$work/global" --stage global --input-size 192 --time-budget "${GLOBAL_SECONDS:-7500}" \
  --threads 2 --checkpoint-every 600 --note "CPU run, 2 cores"
wait
$cutout train "${sets[@]}" -o "$work/global2" --stage global --input-size 192 --time-budget "${FINETUNE_SECONDS:-7800}" \
  --lr 1e-3 --init "$work/global/best.pt" --threads 2 --checkpoint-every 600 \
  --note "CPU run, 2 cores: 7500 s from scratch, then 7800 s fine-tuned from that best.pt (--init, lr 1e-3, a second cosine cycle)"
$cutout train "${sets[@]}" -o "$work/global3" --stage global --input-size 192 --time-budget "${FINETUNE2_SECONDS:-4500}" \
  --lr 5e-4 --init "$work/global2/best.pt" --threads 2 --checkpoint-every 600 \
  --note "CPU run, 2 cores: 7500 s from scratch, 7800 s fine-tuned from that best.pt (--init, lr 1e-3), then 4500 s more from that run's best.pt (--init, lr 5e-4), each a cosine cycle"

$cutout export-onnx "$work/global3/best.pt" -o models/cutout/global.onnx --version-tag 3
# Larger inference tiles than training crops waste less work on the 44 px context margin.
$cutout export-onnx "$work/refiner/best.pt" -o models/cutout/refiner.onnx --tile-size 532
for set in duts-tr ccp-people; do
  $cutout eval "$data/$set/images" "$data/$set/masks" --split val --limit 100 --clicks 20 \
    --json "$work/eval-$set.json"
done
