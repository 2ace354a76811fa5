#!/usr/bin/env bash
# Measure the CUDA provider on a lent GPU machine (issue 27's CUDA table), in one `run` after the setup runs.
#
# The machine has Python 3.12, torch, numpy, OpenCV and onnxruntime (CPU only), no network (../shared/device/README.md):
# 1. Here: `bash ../shared/device/split-ort-gpu.sh` (onnxruntime-gpu in five pieces, .ort0 ... .ort4), and
#    `bash scripts/gpu-bench.sh --pack` (the isal wheel for Python 3.12, which the PNG export needs, into .gpuwheels/).
# 2. Five runs, each carrying .ortN: `mkdir -p /tmp/ort && cp .ortN/* /tmp/ort/`.
# 3. One run carrying .gpuwheels:  `bash scripts/gpu-bench.sh` (installs both into /tmp/site, then measures).
# It prints, and writes under $OUT: `cutout segment` as whole processes at 12 and 50 MP (bench/bench_engine.py),
# `cutout batch` on 20 photos (bench/bench_batch.py, the pipelined run), and the click steps on a 24 MP photo
# (bench/bench_steps.py: global pass, view-scale refinement, full refinement, a later click's focus region).
# Here, to check it on the CPU:  PROVIDER=cpu SIZES="0.67" COUNT=4 OUT=/tmp/gpu-bench PYTHON=.venv/bin/python \
#     bash scripts/gpu-bench.sh --no-install
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-python3}"
if [ "${1:-}" = "--pack" ]; then
  mkdir -p .gpuwheels
  "$python" -m pip download isal --python-version 3.12 --only-binary=:all: --platform manylinux2014_x86_64 --no-deps -d .gpuwheels -q
  grep -qx '/.gpuwheels/' .git/info/exclude 2>/dev/null || echo '/.gpuwheels/' >> .git/info/exclude
  ls -l .gpuwheels
  exit 0
fi
out="${OUT:?OUT must name the folder whose files come back}"
provider="${PROVIDER:-cuda}"
if [ "${1:-}" != "--no-install" ]; then
  cat /tmp/ort/part* > /tmp/ort/onnxruntime_gpu-1.31.1-cp312-cp312-manylinux_2_28_x86_64.whl
  "$python" -m pip install -q --no-index --no-deps --target /tmp/site /tmp/ort/*.whl .gpuwheels/*.whl
  export PYTHONPATH="/tmp/site:${PYTHONPATH:-}"
  "$python" -c "import torch, onnxruntime as o; print(o.__version__, o.get_available_providers())"
fi
mkdir -p "$out"
{
  echo "== cutout segment, whole processes ($provider)"
  "$python" bench/bench_engine.py --sizes ${SIZES:-12 50} --provider "$provider" --model models/cutout
  echo "== cutout batch ($provider)"
  "$python" bench/bench_batch.py --provider "$provider" --count "${COUNT:-20}" --runs pipelined --min-mp 2 --max-mp 12
  echo "== click steps ($provider)"
  "$python" bench/bench_steps.py --provider "$provider" --megapixels "${CLICK_MP:-24}"
} 2>&1 | tee "$out/gpu-bench.txt"
