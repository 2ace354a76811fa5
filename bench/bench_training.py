"""Training speed of the global net (not a test): samples per second by precision, encoder and input size.

One optimisation step is forward + BCE/Dice loss + backward + AdamW on a batch of random inputs of the global
net's shape (6 channels), timed after warm-up steps, median of the rest; torch on ``--threads`` CPU threads.
Run it on a quiet machine.

    python bench/bench_training.py                                   # lite0, S 256 and 320, every precision
    python bench/bench_training.py --encoders efficientnet-lite0 efficientnet-lite2 --sizes 320 --steps 4
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

#: (label, bf16 autocast, channels_last)
MODES = (("fp32", False, False), ("fp32 + channels_last", False, True), ("bf16 autocast", True, False),
         ("bf16 autocast + channels_last", True, True))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--encoders", nargs="+", default=["efficientnet-lite0"])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 320])
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--steps", type=int, default=5, help="timed steps after 2 warm-up steps")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    import torch

    from cutout_app.core.table import format_table
    from cutout_app.model.device import Precision, cpu_has_bf16
    from cutout_app.model.encoder_unet import EncoderUNet
    from cutout_app.model.losses import segmentation_loss

    torch.set_num_threads(args.threads)
    device = torch.device("cpu")
    rows = []
    for encoder in args.encoders:
        for size in args.sizes:
            for label, bf16, channels_last in MODES:
                precision = Precision(torch.bfloat16 if bf16 else None, channels_last)
                net = EncoderUNet(encoder).train()
                x = torch.randn(args.batch_size, 6, size, size)
                y = (torch.rand(args.batch_size, 1, size, size) > 0.5).float()
                if channels_last:
                    net = net.to(memory_format=torch.channels_last)
                    x = x.contiguous(memory_format=torch.channels_last)
                optimizer = torch.optim.AdamW(net.parameters(), lr=1e-4)
                times = []
                for i in range(args.steps + 2):
                    start = time.perf_counter()
                    optimizer.zero_grad(set_to_none=True)
                    with precision.autocast(device):
                        logits = net(x)
                    segmentation_loss(logits, y).backward()
                    optimizer.step()
                    if i >= 2:
                        times.append(time.perf_counter() - start)
                step = statistics.median(times)
                rows.append([encoder, size, label, f"{step:.2f}", f"{args.batch_size / step:.2f}"])
                print(f"{encoder} S {size} {label}: {step:.2f} s/step", file=sys.stderr, flush=True)
    print(f"global net training step, batch {args.batch_size}, {args.threads} threads, "
          f"CPU bf16 units (AMX/AVX-512 BF16): {cpu_has_bf16()}")
    print(format_table(["encoder", "S", "precision", "s/step", "samples/s"], rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
