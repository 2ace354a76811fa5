"""Fuzz cutout's readers for longer than the test suite does: ``python bench/fuzz_imageio.py --minutes 40``.

The fuzzer itself is tests/fuzz_support.py (the suite runs a few thousand cases of each target). This
runs blocks of cases of each target (photos: ``decode``, masks: ``mask``, pasted clipboard bytes: ``clipboard``,
the autosave journal: ``autosave``, batch manifests: ``manifest``, model metadata: ``metadata``; shares set by
``--shares``) until ``--cases`` or ``--minutes`` run out, prints the totals after every block (so a run
in the background can be followed and stopped), then per target: cases, clean results, clear errors
(cutout's own), other exceptions (tracebacks), crashes, hangs, peak memory of a worker and the rate.
``--target T --cases N`` runs one entry point alone (the issue-28 long run: 1,000,000 cases of each).
Every crashing, hanging or stray-exception case is saved to ``--out`` for a regression test.
``--start`` continues a run where an earlier one stopped. ``--target opencv`` fuzzes bare
``cv2.imdecode``, to see what the reader guards against.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import fuzz_support  # noqa: E402

DEFAULT_SHARES = "decode=0.4,mask=0.15,clipboard=0.1,autosave=0.15,manifest=0.1,metadata=0.1"


def _shares(text: str) -> dict[str, float]:
    shares = {}
    for item in text.split(","):
        target, _, share = item.partition("=")
        if target not in fuzz_support.TARGETS:
            raise argparse.ArgumentTypeError(f"unknown target {target!r}: use {', '.join(fuzz_support.TARGETS)}")
        shares[target] = float(share)
    return shares


def _add(total: fuzz_support.FuzzReport, part: fuzz_support.FuzzReport) -> None:
    total.cases += part.cases
    total.clean += part.clean
    total.own_error += part.own_error
    total.other.update(part.other)
    total.other_cases += part.other_cases
    total.crashes += part.crashes
    total.hangs += part.hangs
    total.fuzzer_errors += part.fuzzer_errors
    total.peak_rss = max(total.peak_rss, part.peak_rss)
    total.seconds += part.seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20_000, help="cases in all (0: until --minutes run out)")
    parser.add_argument("--minutes", type=float, default=0.0, help="stop after the block running at this time")
    parser.add_argument("--shares", type=_shares, default=_shares(DEFAULT_SHARES),
                        help=f"targets and their shares of the cases (default {DEFAULT_SHARES})")
    parser.add_argument("--target", choices=fuzz_support.TARGETS, default=None, help="one target only")
    parser.add_argument("--block", type=int, default=20_000, help="cases per block (totals are printed after each)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--start", type=int, default=0, help="first case number of every target")
    parser.add_argument("--chunk", type=int, default=2000, help="cases per child process")
    parser.add_argument("--jobs", type=int, default=2, help="child processes at once")
    parser.add_argument("--hang-seconds", type=float, default=20.0)
    parser.add_argument("--out", type=Path, default=Path("fuzz-findings"), help="where findings are saved")
    args = parser.parse_args()
    shares = {args.target: 1.0} if args.target else args.shares
    deadline = time.monotonic() + args.minutes * 60 if args.minutes else None

    totals = {target: fuzz_support.FuzzReport(target) for target in shares}
    next_case = {target: args.start for target in shares}
    began = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        corpus_dir = fuzz_support.write_corpus(Path(tmp), fuzz_support.seed_corpus())
        fuzz_support.write_autosave_seed(corpus_dir)
        done = 0
        while (not args.cases or done < args.cases) and (deadline is None or time.monotonic() < deadline):
            block = args.block if not args.cases else min(args.block, args.cases - done)
            for target, share in shares.items():
                count = max(1, round(block * share / sum(shares.values())))
                part = fuzz_support.run_fuzzer(corpus_dir, count, args.seed, args.chunk, args.hang_seconds,
                                               next_case[target], target, args.jobs)  # fmt: skip
                next_case[target] += count
                _add(totals[target], part)
                done += part.cases
            elapsed = time.perf_counter() - began
            print(f"[{elapsed / 60:.1f} min] {done} cases ({done / elapsed:.0f}/s): "
                  + "; ".join(f"{t} {r.cases} clean {r.clean} clear {r.own_error} other {sum(r.other.values())} "
                              f"crashes {len(r.crashes)} hangs {len(r.hangs)}" for t, r in totals.items()),
                  flush=True)  # fmt: skip
        findings = _save_findings(totals, corpus_dir, args.seed, args.out)

    elapsed = time.perf_counter() - began
    print(f"seed {args.seed}, cases {args.start}.. of each target, {elapsed / 60:.1f} min, {done / elapsed:.0f} cases/s in all:")
    for report in totals.values():
        print(f"  {report.line()}; next --start {next_case[report.target]}")
    peak = max(r.peak_rss for r in totals.values())
    print(f"  all: {done} cases, clean {sum(r.clean for r in totals.values())}, "
          f"clear errors {sum(r.own_error for r in totals.values())}, "
          f"other exceptions {sum(sum(r.other.values()) for r in totals.values())}, "
          f"crashes {sum(len(r.crashes) for r in totals.values())}, hangs {sum(len(r.hangs) for r in totals.values())}, "
          f"peak memory of a worker {peak / 2**20:.0f} MB")  # fmt: skip
    for report in totals.values():
        for case, detail in report.other_cases[:20]:
            print(f"  {report.target} case {case}: {detail}")
        for case, detail in report.fuzzer_errors[:20]:
            print(f"  {report.target} case {case} not run, the fuzzer failed to make it: {detail}")
    return 1 if findings or any(r.fuzzer_errors for r in totals.values()) else 0


def _save_findings(totals: dict[str, fuzz_support.FuzzReport], corpus_dir: Path, seed: int, out: Path) -> int:
    """Write each crashing, hanging or stray-exception case's files under ``out``; returns how many."""
    count = 0
    for target, report in totals.items():
        findings = [(c, f"crash-{why}") for c, why in report.crashes] + [(c, "hang") for c in report.hangs]
        findings += [(c, "exception") for c, _ in report.other_cases]
        for case, kind in findings:
            folder = out / f"{target}-seed{seed}-case{case}-{kind}"
            folder.mkdir(parents=True, exist_ok=True)
            for name, data in fuzz_support.case_files(target, corpus_dir, seed, case).items():
                if data is not None:
                    (folder / name).write_bytes(data)
            print(f"  {kind}: {target} case {case} -> {folder}")
            count += 1
    return count


if __name__ == "__main__":
    raise SystemExit(main())
