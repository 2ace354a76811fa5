"""Benchmark the two-stage model end to end on large photos (not a test): prints a table.

For each size, a real photo (the bundled coffee cup, or ``--photo``, enlarged) is written as a JPEG, then:

- **whole process**: ``cutout segment photo.jpg -o out.png`` run as a user runs it, timed from start to
  exit (interpreter start, imports, model load, read, both stages, edge filter, PNG written), with the
  CPU time (user + sys) and the peak resident memory of that process;
- **stages**: the same steps timed one by one in a fresh process: read, global pass, refiner (tiles
  refined of all tiles), guided-filter edges, alpha + PNG export.

With ``--vs-isnet PATH_TO_ONNX`` it times ISNet instead of the stages: ``../shared/peers/isnet_imgly.py``
(or ``--isnet-script``) runs that model on the same photo as a whole process too, writing its mask PNG,
alternating with cutout (A B A B, ``--repeats`` pairs), and the table shows both, the ratio and the peak
memory of each. ISNet stays outside the repository: only its path is given here.

    python bench/bench_engine.py                      # 12 and 50 MP, bundled model, auto provider
    python bench/bench_engine.py --sizes 12 --provider cpu --model models/cutout
    python bench/bench_engine.py --sizes 0.03 0.67 12 50 --vs-isnet /work/peers/isnet_medium.onnx
    python bench/bench_engine.py --sizes 50 250 --photo ../shared/datasets/ccp-people/images/ccp_0001.jpg
    python bench/bench_engine.py --sizes 0.03 --segment-option=--no-decontaminate   # the fixed cost without numba
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Photos by megapixels (height, width): a thumbnail (the fixed cost of a process), a web photo, a phone,
# high-resolution cameras, and the largest photo cutout reads (core.files.imageio.MAX_PIXELS).
SHAPES = {0.03: (150, 200), 0.67: (667, 1000), 12: (3000, 4000), 24: (4000, 6000), 50: (6144, 8192),
          250: (13680, 18240)}  # fmt: skip
#: The peer's runner, beside this repository (../shared/peers/README.md).
ISNET_SCRIPT = ROOT.parent / "shared" / "peers" / "isnet_imgly.py"


def make_photo(path: Path, height: int, width: int, source: Path | None = None) -> None:
    """A real photo (``source``, default the bundled sample) resized to ``height`` x ``width`` with a little noise, as a JPEG."""
    import cv2
    import numpy as np

    from cutout_app.core.paths import sample_photo_path

    small = cv2.imread(str(source or sample_photo_path()))
    h0, w0 = small.shape[:2]
    scale = max(height / h0, width / w0)
    interpolation = cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA
    big = cv2.resize(small, (max(width, round(w0 * scale)), max(height, round(h0 * scale))), interpolation=interpolation)
    big = big[:height, :width]
    noise = np.random.default_rng(1).integers(-4, 5, big.shape, dtype=np.int16)
    big = np.clip(big.astype(np.int16) + noise, 0, 255).astype(np.uint8)
    ok, data = cv2.imencode(".jpg", big, [cv2.IMWRITE_JPEG_QUALITY, 92])
    assert ok
    path.write_bytes(data.tobytes())


def stages(case: dict) -> dict:
    """Each step of segmenting one photo, timed in this (fresh) process."""
    from cutout_app.core.edges.alpha import MaskSettings, alpha_from_soft, refine_mask, to_soft_u8
    from cutout_app.core.files.export import export_result
    from cutout_app.core.files.export_options import ExportOptions
    from cutout_app.core.files.imageio import read_image
    from cutout_app.core.inference.two_stage import open_model

    model = open_model(case["model"], provider=case["provider"], threads=case["threads"])
    times: dict = {"provider": model.provider}
    t = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        times[name] = now - t
        t = now

    photo = read_image(case["photo"])
    rgb = photo.rgb8()
    lap("read")
    coarse = model.predict_global(rgb)
    lap("global")
    counts: list[int] = []
    prob = model.refine(rgb, coarse, progress=lambda done, total: counts.append(total))
    lap("refiner")
    times["tiles"] = f"{counts[-1] if counts else 0}/{len(model.plan(*rgb.shape[:2]))}"
    soft = to_soft_u8(refine_mask(prob, rgb))
    lap("edges")
    settings = MaskSettings()
    export_result(photo, alpha_from_soft(soft, settings.threshold, settings.softness), Path(case["output"]),
                  ExportOptions(), overwrite=True)
    lap("export")
    times["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return times


def whole_process(case: dict) -> dict:
    """``cutout segment`` as a user runs it: wall time, CPU time and peak RSS of that process."""
    cmd = [sys.executable, "-m", "cutout_app", "segment", case["photo"], "-o", case["output"], "--overwrite",
           "--provider", case["provider"], "--threads", str(case["threads"])]
    if case["model"]:
        cmd += ["--model", case["model"]]
    return timed_process(cmd + case.get("options", []))


def isnet_process(case: dict, model: Path, script: Path, out_dir: Path) -> dict:
    """The peer, ISNet, on the same photo as a whole process: its mask PNG written to ``out_dir``."""
    cmd = [sys.executable, str(script), "--out-dir", str(out_dir), "--mask", case["photo"]]
    return timed_process(cmd, {**os.environ, "ISNET_MODEL": str(model)})


def timed_process(cmd: list[str], env: dict | None = None) -> dict:
    """Run ``cmd`` from start to exit: wall seconds, CPU seconds (user + sys) and peak RSS of that process."""
    with tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, cwd=ROOT, env=env)
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage: its peak RSS
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            err.seek(0)
            return {"error": f"exit {proc.returncode}: {(err.read().strip().splitlines() or ['?'])[-1][:80]}"}
    return {"seconds": seconds, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_mb": usage.ru_maxrss / 1024}


def run_stages(case: dict) -> dict:
    """Run :func:`stages` in a fresh interpreter."""
    proc = subprocess.run([sys.executable, __file__, "--child", json.dumps(case)], capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        return {"error": f"exit {proc.returncode}: {(proc.stderr.strip().splitlines() or ['killed'])[-1][:80]}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--make-photo", help=argparse.SUPPRESS)
    parser.add_argument("--sizes", type=float, nargs="+", default=[12, 50], choices=sorted(SHAPES),
                        help="megapixels of the photos")
    parser.add_argument("--photo", type=Path, default=None, help="the real photo to enlarge (default: the bundled sample)")
    parser.add_argument("--model", type=Path, default=None, help="model folder (default: the bundled one)")
    parser.add_argument("--provider", default="auto", choices=["auto", "cuda", "cpu"])
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--vs-isnet", type=Path, default=None, metavar="PATH_TO_ONNX",
                        help="alternate with ISNet (this ONNX model, run by --isnet-script) instead of timing stages")
    parser.add_argument("--isnet-script", type=Path, default=ISNET_SCRIPT, help="the peer's runner (isnet_imgly.py)")
    parser.add_argument("--repeats", type=int, default=2, help="with --vs-isnet: pairs of runs per photo (medians shown)")
    parser.add_argument("--segment-option", action="append", default=[], metavar="OPTION",
                        help="pass this option on to the whole-process `cutout segment` (repeatable), e.g. "
                             "--segment-option=--no-decontaminate")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(stages(json.loads(args.child))))
        return 0
    if args.make_photo:
        path, height, width, source = json.loads(args.make_photo)
        make_photo(Path(path), height, width, Path(source))
        return 0
    if args.vs_isnet and not (args.vs_isnet.is_file() and args.isnet_script.is_file()):
        parser.error(f"--vs-isnet needs the model {args.vs_isnet} and the runner {args.isnet_script}")

    from cutout_app.core.paths import default_model_path, sample_photo_path
    from cutout_app.core.table import format_table

    model = args.model or default_model_path()
    source = args.photo or sample_photo_path()
    # Byte-compiled first, as pip does at install, even where PYTHONDONTWRITEBYTECODE is set (as on this
    # project's machine). It made no difference to a 0.03 MP run there (median 0.58 s of 8 both ways).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "cutout_app")], check=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for mp in args.sizes:
            h, w = SHAPES[mp]
            photo = Path(tmp) / f"photo{mp:g}.jpg"
            # In a child: a Linux process inherits its parent's peak RSS at fork, so this process stays small.
            subprocess.run([sys.executable, __file__, "--make-photo", json.dumps([str(photo), h, w, str(source)])],
                           check=True, cwd=ROOT)
            case = {"model": str(model), "provider": args.provider, "threads": args.threads, "photo": str(photo),
                    "output": str(Path(tmp) / f"out{mp:g}.png"), "options": args.segment_option}
            if args.vs_isnet:
                rows.append(_versus_row(case, args, Path(tmp), f"{w}x{h}", h * w / 1e6))
            else:
                whole = whole_process(case)
                parts = run_stages(case)
                rows.append([f"{w}x{h}", f"{h * w / 1e6:.2f}", parts.get("provider", "-"), _num(whole, "seconds"),
                             _num(whole, "cpu_s"), _num(whole, "peak_rss_mb"),
                             *(_num(parts, k) for k in ("read", "global", "refiner")), parts.get("tiles", "-"),
                             *(_num(parts, k) for k in ("edges", "export"))])  # fmt: skip
            print(f"done {mp:g} MP", file=sys.stderr, flush=True)
            Path(case["photo"]).unlink()
    print(f"model: {model}; {os.cpu_count()} CPU cores; load average {os.getloadavg()[0]:.2f}; photo: {source} resized"
          + (f"; cutout segment {' '.join(args.segment_option)}" if args.segment_option else ""))
    if args.vs_isnet:
        print(f"ISNet: {args.vs_isnet} by {args.isnet_script} (--mask); median of {args.repeats} alternating pairs")
        print(format_table(["photo", "MP", "cutout s", "cutout CPU s", "cutout peak MB", "ISNet s", "ISNet CPU s",
                            "ISNet peak MB", "cutout / ISNet"], rows))  # fmt: skip
    else:
        print(format_table(["photo", "MP", "provider", "whole process s", "CPU s", "peak RSS MB", "read s", "global s",
                            "refiner s", "tiles refined", "edges s", "export s"], rows))  # fmt: skip
    return 0


def _versus_row(case: dict, args: argparse.Namespace, tmp: Path, size: str, megapixels: float) -> list[str]:
    """cutout and ISNet in alternating whole-process runs on one photo: the medians, side by side."""
    runs: dict[str, list[dict]] = {"cutout": [], "isnet": []}
    for _ in range(max(1, args.repeats)):
        runs["cutout"].append(whole_process(case))
        runs["isnet"].append(isnet_process(case, args.vs_isnet, args.isnet_script, tmp / "isnet"))
    cells, medians = [], {}
    for name, results in runs.items():
        failed = [r for r in results if "error" in r]
        if failed:
            cells += [failed[0]["error"], "-", "-"]
            continue
        median = {k: statistics.median(r[k] for r in results) for k in ("seconds", "cpu_s", "peak_rss_mb")}
        medians[name] = median["seconds"]
        cells += [_num(median, "seconds"), _num(median, "cpu_s"), _num(median, "peak_rss_mb")]
    ratio = f"{medians['cutout'] / medians['isnet']:.2f}" if len(medians) == 2 else "-"
    return [size, f"{megapixels:.2f}", *cells, ratio]


def _num(result: dict, key: str) -> str:
    if key not in result:
        return result.get("error", "-")
    return f"{result[key]:.0f}" if key == "peak_rss_mb" else f"{result[key]:.2f}"


if __name__ == "__main__":
    raise SystemExit(main())
