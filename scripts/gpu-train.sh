#!/usr/bin/env bash
# Train the global net (EfficientNet-Lite U-Net) on a lent GPU machine (see ../shared/device/README.md), in one `run`.
#
# On the device the checkout has no .venv: it runs `python3 -m cutout_app.cli` on the machine's torch, which has
# no ImageNet weights package, so start from a checkpoint (a CPU run's best.pt, carried along in an ignored
# folder such as runs/). The data travels first, as a tar stream in chunks: `.venv/bin/python scripts/gpu-pack.py`
# here makes .gpack0 ... .gpack4; then one `run` for each of the first four, carrying .gpackN:
#     mkdir -p /tmp/chunks && cp .gpackN/* /tmp/chunks/
# (back to back: the machine goes back after 30 s idle), and last, carrying .gpack4 and the checkpoint:
#     mkdir -p /tmp/data && cat /tmp/chunks/* .gpack4/* | tar xf - -C /tmp/data && \
#         bash scripts/gpu-train.sh 480 runs/g4-s320/best.pt
# That is how the bundled model's GPU phases ran (an H200: four 0.2 s copies, then 480 s of training, about
# 500 s for the call; then a second call of 170 s from its best.pt with LR=2e-4).
# It trains for SECONDS at S = 320 from INIT, keeps the best checkpoint, the history and the log under $OUT, and
# exports global.onnx. Files over 15 MiB are split (the device returns files of at most 16 MiB): rejoin them here
# with `cat best.pt.part* > best.pt`. Batches are prepared by LOADER threads (default 12) so that the GPU is fed.
# Here, to check it on the CPU with a tiny budget:
#     DEVICE=cpu LOADER=1 BATCH=4 DATA=../shared/datasets OUT=/tmp/gpu-out PYTHON=.venv/bin/python \
#         bash scripts/gpu-train.sh 30 runs/g4-s256/best.pt
# INIT may also be an exported global.onnx (the bundled models/cutout/global.onnx travels with the checkout, so
# nothing else needs carrying); its weights are rebuilt from the graph and its BatchNorm statistics re-measured.
# With ccp-parts in the data (gpu-pack.py packs it), the run trains CANDIDATES (default 3) candidate outputs on its
# label maps as well (issue 25's "one click, one object"), selecting best.pt by automatic and one-click IoU:
#     bash scripts/gpu-train.sh 500 models/cutout/global.onnx
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:?usage: gpu-train.sh SECONDS INIT (a checkpoint or a global.onnx)}"
init="${2:?usage: gpu-train.sh SECONDS INIT (the device has no ImageNet weights package: start from a checkpoint or global.onnx)}"
data="${DATA:-/tmp/data}"
out="${OUT:?OUT must name the folder whose files come back}"
python="${PYTHON:-python3}"
cutout=("$python" -m cutout_app.cli)
sets=("$data/duts-tr" "$data/ccp-people")
parts=()
if [ -d "$data/ccp-parts/labels" ]; then
  parts=(--candidates "${CANDIDATES:-3}" --parts "$data/ccp-parts" --parts-photos "$data/ccp-people" --select-by auto+clicks)
fi

"${cutout[@]}" train "${sets[@]}" -o "$out/global" --stage global --device "${DEVICE:-cuda}" \
  --input-size "${SIZE:-320}" --batch-size "${BATCH:-32}" --time-budget "$seconds" --checkpoint-every 120 \
  --loader-threads "${LOADER:-12}" --data-share ccp-people=0.2 --composite-share "${COMPOSITES:-0.7}" --init "$init" --lr "${LR:-5e-4}" \
  ${parts[@]+"${parts[@]}"} \
  --note "GPU run of ${seconds} s at S=${SIZE:-320}, fine-tuned from $init" 2>&1 | tee "$out/train.log"
"${cutout[@]}" export-onnx "$out/global/best.pt" -o "$out/global.onnx" 2>&1 | tee -a "$out/train.log"
mv "$out/global/best.pt" "$out/global/history.json" "$out/"
rm -rf "$out/global"
for big in "$out/best.pt" "$out/global.onnx"; do
  split -b 15M -d "$big" "$big.part" && rm "$big"
done
ls -l "$out"
