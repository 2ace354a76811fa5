"""Benchmark a folder batch three ways on the same photos (not a test): prints a Markdown table.

``count`` JPEGs from the bundled sample photo, enlarged to sizes spread evenly between ``--min-mp`` and
``--max-mp`` megapixels (landscape and portrait in turn), are cut out by

- **one-worker**: :func:`cutout_app.core.batch.local.run_pipelined` with one worker, a photo at a time on
  onnxruntime's default threads (the baseline);
- **pipelined**: :func:`cutout_app.core.batch.local.run_pipelined` (decoding overlapped, whole photos on
  ``batch_workers()`` threads);
- **ray-local**: :func:`cutout_app.core.batch.ray_job.run_ray_batch` on a local Ray instance with ``--ray-cpus``.

Each run is a fresh process into its own empty output folder; its time starts after the model is loaded
(and Ray has started) and ends when the last PNG is written. The outputs of every run are compared with
the one-worker run's, byte for byte. Where nvidia-smi is found, the GPU's mean utilisation while a run
goes is sampled every 200 ms ("GPU busy").

    python bench/bench_batch.py                                   # 50 photos of 2-12 MP, all three runs
    python bench/bench_batch.py --count 4 --min-mp 0.3 --max-mp 1  # a quick check that it all works
    python bench/bench_batch.py --provider cuda --runs one-worker pipelined  # on a GPU
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_engine import make_photo  # noqa: E402 - the same enlarged sample photo as the engine benchmark

RUNS = ("one-worker", "pipelined", "ray-local")


def photo_shapes(count: int, min_mp: float, max_mp: float) -> list[tuple[int, int]]:
    """(height, width) of ``count`` 4:3 photos from ``min_mp`` to ``max_mp`` megapixels, alternately portrait."""
    shapes = []
    for i in range(count):
        mp = min_mp + (max_mp - min_mp) * i / max(1, count - 1)
        short = round((mp * 1e6 * 3 / 4) ** 0.5)
        long = round(short * 4 / 3)
        shapes.append((short, long) if i % 2 == 0 else (long, short))
    return shapes


class GpuBusy:
    """The GPU's mean utilisation (%) while the ``with`` block runs, sampled by nvidia-smi every 200 ms.

    ``percent`` stays None where there is no nvidia-smi.
    """

    def __enter__(self) -> GpuBusy:
        self.percent: float | None = None
        self._proc = None
        if shutil.which("nvidia-smi"):
            self._proc = subprocess.Popen(["nvidia-smi", "--query-gpu=utilization.gpu", "--format=csv,noheader,nounits",
                                           "-lms", "200"], stdout=subprocess.PIPE, text=True)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._proc is None:
            return
        self._proc.terminate()
        samples = [float(line) for line in self._proc.communicate()[0].split() if line.strip().isdigit()]
        self.percent = sum(samples) / len(samples) if samples else None


def run_child(args: argparse.Namespace) -> dict:
    """One run, in this fresh process: returns its timing and counts."""
    from cutout_app.core.batch.plan import BatchOptions, plan_batch

    photos, out = args.workdir / "photos", args.workdir / args.child
    options = BatchOptions()
    if args.child == "ray-local":
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # listen on 127.0.0.1 only
        import ray

        from cutout_app.core.batch.ray_job import open_source, plan_source, run_ray_batch

        ray.init(num_cpus=args.ray_cpus, include_dashboard=False, configure_logging=False, log_to_driver=False)
        source = open_source(str(photos))
        plan = plan_source(source, out)
        provider = "CUDA" if ray.cluster_resources().get("GPU") else "CPU"
        start = time.perf_counter()
        with GpuBusy() as gpu:
            report = run_ray_batch(args.model, source, plan, options, actors=args.actors, threads=args.threads)
        seconds = time.perf_counter() - start
        ray.shutdown()
    else:
        from cutout_app.core.batch.local import batch_workers, inference_threads, run_pipelined
        from cutout_app.core.inference.two_stage import open_model

        # One worker at onnxruntime's default threads, and the pipeline as `cutout batch` runs it, its
        # workers sharing the cores.
        workers = 1 if args.child == "one-worker" else args.workers or batch_workers()
        threads = args.threads if args.threads or args.child == "one-worker" else inference_threads(workers)
        engine = open_model(args.model, provider=args.provider, threads=threads)
        plan = plan_batch(photos, out)
        provider = engine.provider
        start = time.perf_counter()
        with GpuBusy() as gpu:
            report = run_pipelined(engine, plan, options, workers=workers)
        seconds = time.perf_counter() - start
    return {
        "run": args.child,
        "files": len(plan.items),
        "done": len(report.done),
        "failed": [f"{r.src.name}: {r.error}" for r in report.failed],
        "seconds": seconds,
        "provider": provider,
        "gpu_busy": gpu.percent,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def same_outputs(a: Path, b: Path) -> str:
    """"yes" if both folders hold the same PNGs byte for byte, else what differs."""
    names_a = sorted(p.relative_to(a) for p in a.rglob("*.png"))
    names_b = sorted(p.relative_to(b) for p in b.rglob("*.png"))
    if names_a != names_b:
        return f"no: {len(names_a)} vs {len(names_b)} files"
    differ = [n for n in names_a if (a / n).read_bytes() != (b / n).read_bytes()]
    return "yes" if not differ else f"no: {len(differ)} differ"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--child", choices=RUNS, help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--min-mp", type=float, default=2.0)
    parser.add_argument("--max-mp", type=float, default=12.0)
    parser.add_argument("--runs", nargs="+", choices=RUNS, default=list(RUNS))
    parser.add_argument("--model", type=Path, default=None, help="model folder or file (default: the bundled one)")
    parser.add_argument("--provider", default="cpu", choices=["auto", "cuda", "cpu"], help="local runs' provider")
    parser.add_argument("--threads", type=int, default=0, help="onnxruntime threads (0: as cutout batch chooses)")
    parser.add_argument("--ray-cpus", type=int, default=os.cpu_count() or 2, help="CPUs of the local Ray instance")
    parser.add_argument("--actors", type=int, default=None, help="Ray actors (default: as cutout batch --ray chooses)")
    parser.add_argument("--workers", type=int, default=0, help="pipelined workers (0: as cutout batch chooses)")
    parser.add_argument("--workdir", type=Path, default=None, help="keep photos and outputs here (default: a temp folder)")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_child(args)))
        return 0

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="cutout-bench-batch-"))
    photos = workdir / "photos"
    photos.mkdir(parents=True, exist_ok=True)
    shapes = photo_shapes(args.count, args.min_mp, args.max_mp)
    for i, (h, w) in enumerate(shapes):
        path = photos / f"photo-{i:03d}-{w}x{h}.jpg"
        if not path.exists():
            make_photo(path, h, w)
    total_mp = sum(h * w for h, w in shapes) / 1e6
    print(f"{args.count} photos, {args.min_mp:g}-{args.max_mp:g} MP ({total_mp:.0f} MP in all), in {photos}", file=sys.stderr)

    results = []
    for run in args.runs:
        shutil.rmtree(workdir / run, ignore_errors=True)
        command = [sys.executable, __file__, "--child", run, "--workdir", str(workdir), "--threads", str(args.threads),
                   "--provider", args.provider, "--ray-cpus", str(args.ray_cpus), "--workers", str(args.workers)]
        command += ["--model", str(args.model)] if args.model else []
        command += ["--actors", str(args.actors)] if args.actors else []
        child = subprocess.run(command, capture_output=True, text=True)
        if child.returncode != 0:
            print(f"{run} failed:\n{child.stderr[-3000:]}", file=sys.stderr)
            return 1
        result = json.loads(child.stdout.strip().splitlines()[-1])
        print(f"{run}: {result['seconds']:.1f} s", file=sys.stderr)
        results.append(result)

    base = next((r for r in results if r["run"] == "one-worker"), None)
    print("| run | provider | files | s | files/s | MP/s | speed-up | GPU busy | same PNGs as one worker | "
          "peak RSS MB (driver) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        speed = f"{base['seconds'] / r['seconds']:.2f}x" if base else "-"
        same = same_outputs(workdir / "one-worker", workdir / r["run"]) if base and r is not base else "-"
        busy = f"{r['gpu_busy']:.0f} %" if r["gpu_busy"] is not None else "-"
        print(f"| {r['run']} | {r['provider']} | {r['done']}/{r['files']} | {r['seconds']:.1f} | "
              f"{r['done'] / r['seconds']:.3f} | {total_mp / r['seconds']:.2f} | {speed} | {busy} | {same} | "
              f"{r['rss_mb']:.0f} |")
        for failure in r["failed"]:
            print(f"  failed in {r['run']}: {failure}", file=sys.stderr)
    if not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
