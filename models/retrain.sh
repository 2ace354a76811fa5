#!/usr/bin/env bash
# Rebuild models/cutout-unet.onnx the way it was made: synthetic composites -> two training stages ->
# ONNX -> evaluation on composites it never saw. Every step is a plain `cutout` command.
#   models/retrain.sh [WORK_DIR]        (default WORK_DIR: .data/retrain, ignored by git)
# Needs the training extras (scripts/test installs them into .venv) and, to finish in minutes, a CUDA GPU:
# the bundled model took ~7 minutes on one H100. On a CPU it runs ~250x slower.
set -euo pipefail
cd "$(dirname "$0")/.."
work="${1:-.data/retrain}"
cutout="${CUTOUT:-.venv/bin/cutout}"
note="synthetic composites (cutout synth, seed 1): textured shapes on textured backgrounds, no real photos"
common=(--base-width 16 --depth 4 --padding valid --tile-size 572 --batch-size 16 --workers 14
        --name cutout-unet --version-tag 1 --note "$note")

$cutout synth "$work/synth-train" --count 3000 --size 768 768 --seed 1 --textures resources/textures
$cutout synth "$work/synth-test" --count 200 --size 768 768 --seed 2 --textures resources/textures
# Stage 1 sat at a constant prediction for ~7 epochs before it took off; stage 2 continues from it
# at a lower learning rate with a cosine schedule over a 300 s budget.
$cutout train "$work/synth-train" -o "$work/stage1" "${common[@]}" --lr 2e-3 --epochs 12 --steps-per-epoch 400
$cutout train "$work/synth-train" -o "$work/stage2" "${common[@]}" --lr 1e-3 --epochs 40 --steps-per-epoch 300 \
  --time-budget 300 --init "$work/stage1/best.pt"
# Inference tiles are larger than training crops: 1052 -> 868 px wastes less work on the context margin.
$cutout export-onnx "$work/stage2/best.pt" -o models/cutout-unet.onnx --tile-size 1052
$cutout eval "$work/synth-test/images" "$work/synth-test/masks" --model models/cutout-unet.onnx
