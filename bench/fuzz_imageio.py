"""Fuzz cutout's image reader for longer than the test suite does: ``python bench/fuzz_imageio.py --cases 20000``.

The fuzzer itself is tests/fuzz_support.py (the suite runs 3,000 cases of it). Prints the counts by
outcome and saves every crashing, hanging or stray-exception case to ``--out`` for a regression test.
``--target opencv`` fuzzes bare ``cv2.imdecode`` instead, to see what the reader guards against.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import fuzz_support  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--start", type=int, default=0, help="first case number")
    parser.add_argument("--chunk", type=int, default=2000, help="cases per child process")
    parser.add_argument("--hang-seconds", type=float, default=20.0)
    parser.add_argument("--target", choices=["cutout", "opencv"], default="cutout")
    parser.add_argument("--out", type=Path, default=Path("fuzz-findings"), help="where findings are saved")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        corpus_dir = fuzz_support.write_corpus(Path(tmp), fuzz_support.seed_corpus())
        corpus = fuzz_support.load_corpus(corpus_dir)
        start = time.perf_counter()
        report = fuzz_support.run_fuzzer(corpus_dir, args.cases, args.seed, args.chunk, args.hang_seconds,
                                         args.start, args.target)  # fmt: skip
        seconds = time.perf_counter() - start
    print(f"{args.target}, seed {args.seed}: {report.line()} in {seconds:.1f} s")
    findings = [(c, f"crash-{why}") for c, why in report.crashes] + [(c, "hang") for c in report.hangs]
    findings += [(c, "exception") for c, _ in report.other_cases]
    for case, kind in findings:
        args.out.mkdir(parents=True, exist_ok=True)
        path = args.out / f"{args.target}-seed{args.seed}-case{case}-{kind}.bin"
        path.write_bytes(fuzz_support.case_bytes(corpus, args.seed, case))
        print(f"  {kind}: case {case} -> {path}")
    for case, detail in report.other_cases[:20]:
        print(f"  case {case}: {detail}")
    return 1 if findings else 0


if __name__ == "__main__":
    raise SystemExit(main())
