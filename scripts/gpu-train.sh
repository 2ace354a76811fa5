#!/usr/bin/env bash
# Train the global net on a lent GPU machine (see ../shared/device/README.md), ready for one `run`.
#
# On the device the checkout has no .venv: it runs `python3 -m cutout_app.cli` on the machine's torch.
# Before it, one `run` per data part (from `bash ../shared/device/pack-datasets.sh`), each carrying .packN:
#     mkdir -p /tmp/data && cp -r .packN/* /tmp/data/
# then, carrying the checkpoint to start from (a run folder under runs/, ignored by git):
#     bash scripts/gpu-train.sh 420 runs/global-cpu3/best.pt
# It trains for SECONDS on the GPU at S = 320 from INIT (or from scratch), keeps the best checkpoint, the
# history and the log under $OUT, and exports global.onnx. Files over 15 MiB are split (the device returns
# files of at most 16 MiB): rejoin them here with `cat best.pt.part* > best.pt`.
# Here, to check it on the CPU with a tiny budget:
#     DEVICE=cpu DATA=../shared/datasets OUT=/tmp/gpu-out PYTHON=.venv/bin/python bash scripts/gpu-train.sh 30 runs/global-cpu3/best.pt
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:?usage: gpu-train.sh SECONDS [INIT_CHECKPOINT]}"
init="${2:-}"
data="${DATA:-/tmp/data}"
out="${OUT:?OUT must name the folder whose files come back}"
python="${PYTHON:-python3}"
cutout=("$python" -m cutout_app.cli)
sets=("$data/duts-tr" "$data/ccp-people")

"${cutout[@]}" train "${sets[@]}" -o "$out/global" --stage global --device "${DEVICE:-cuda}" \
  --input-size "${SIZE:-320}" --batch-size "${BATCH:-32}" --time-budget "$seconds" --checkpoint-every 120 \
  ${init:+--init "$init"} ${init:+--lr 1e-3} \
  --note "GPU run of ${seconds} s at S=${SIZE:-320}${init:+, fine-tuned from $init}" 2>&1 | tee "$out/train.log"
"${cutout[@]}" export-onnx "$out/global/best.pt" -o "$out/global.onnx" 2>&1 | tee -a "$out/train.log"
mv "$out/global/best.pt" "$out/global/history.json" "$out/"
rm -rf "$out/global"
for big in "$out/best.pt" "$out/global.onnx"; do
  split -b 15M -d "$big" "$big.part" && rm "$big"
done
ls -l "$out"
