"""Measure the export's edge steps on composites whose true alpha and foreground are known (not a test).

The photos are ``cutout synth --hair`` composites (:func:`cutout_app.core.datasets.synthetic.make_matting_composite`):
subjects with hair-like strands on textured backgrounds. The mask stands in for a model's: the true
alpha's body at 1/8 resolution, strands lost (``coarse_probability``), then the app's own guided-filter
refinement and threshold. Each export configuration is scored against the truth:

- **alpha SAD** (sum of absolute differences, in thousands of full-alpha pixels) and **gradient error**
  (Rhemann et al.: squared difference of Gaussian-derivative gradients, sigma 1.4, in thousands) of the
  exported alpha, both inside the trimap's unknown band, where matting works;
- **colour error**: mean absolute difference (0..255) between the exported RGB and the true foreground
  where both the true and the exported alpha are above 0 (what the cut-out shows of the subject);
  also only where the true alpha is partial (hair, edges), where decontamination works.

Then one 12-megapixel composite is exported once per configuration, each in a fresh process: seconds
of ``export_result`` (edge steps, compose, PNG encode and write) and the process's peak RSS (the
photo and mask read included). Linux only (peak RSS from /proc).

    python bench/bench_edges.py                   # 12 composites of 480x640, then the 12 MP timing
    python bench/bench_edges.py --count 4 --no-timing
    python bench/bench_edges.py --softness-sweep     # the default alpha at softness 0.1 .. 1.0
    python bench/bench_edges.py --vs-pymatting --size 2000 2667 --count 2   # decontamination methods side by side
    python bench/bench_edges.py --too-wide        # the rim rule, on the composites and with the mask 2-4 px too wide
    python bench/bench_edges.py --rim-cost --repeats 7   # what the rim rule costs the 12 MP export

``--vs-pymatting`` scores cutout's decontamination (blur fusion, ``core/edges/foreground.py``) against
pymatting's multi-level estimate (which cutout used before), both tile by tile over the band, on three
alphas per composite: the default one, the same feathered over 10 px, and the matted one.

``--too-wide`` scores the rim rule (``core/edges/rim.py``), the default export with and without it, on the
composites and on the same with the default alpha dilated by 2-4 px (a model's mask that is too wide on a fuzzy
subject): besides alpha SAD and gradient error, at the pixels the export makes fully opaque within 3
guided-filter radii of its outline, the colour error of what they show (against the true subject over a black
and a white page) and the share of background they hold. The 12 MP timing has the default export without the
rim rule as a row too.

``--rim-cost`` times only that: the 12 MP composite's export without edge steps, decontaminated without the rim
rule and as it is (each run in a fresh process, the three alternated ``--repeats`` times: on a busy machine one
run says little), then ``trim_rim`` alone in one process (its first call, as the export makes it, and the median
of the calls after it), with the memory Python's allocators hold at its peak beyond the photo and mask.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cutout_app.core.datasets.synthetic import coarse_probability, make_matting_composite  # noqa: E402
from cutout_app.core.edges.alpha import alpha_from_soft, default_radius, mask_alpha, refine_mask, to_soft_u8  # noqa: E402
from cutout_app.core.edges.settings import MaskSettings  # noqa: E402
from cutout_app.core.edges.rim import trim_rim  # noqa: E402
from cutout_app.core.edges.trimap_matting import UNKNOWN, band_radius, make_trimap, matte  # noqa: E402
from cutout_app.core.files.export import compose, export_alpha  # noqa: E402
from cutout_app.core.files.export_options import ExportOptions  # noqa: E402
from cutout_app.core.files.imageio import Photo  # noqa: E402
from cutout_app.core.table import format_table  # noqa: E402

CONFIGS = {
    "neither": ExportOptions(decontaminate=False, matting=False),
    "decontaminate (default)": ExportOptions(decontaminate=True, matting=False),
    "matting": ExportOptions(decontaminate=False, matting=True),
    "both": ExportOptions(decontaminate=True, matting=True),
}


def app_alpha(image: np.ndarray, truth: np.ndarray, softness: float | None = None) -> np.ndarray:
    """The alpha the export gets without matting: a model-like probability, refined, then the default
    threshold and softness (or ``softness``)."""
    settings = MaskSettings()
    soft = to_soft_u8(refine_mask(coarse_probability(truth), image))
    return alpha_from_soft(soft, settings.threshold, settings.softness if softness is None else softness)


def gradient_error(a: np.ndarray, b: np.ndarray, where: np.ndarray) -> float:
    """Rhemann et al.'s gradient error of alphas in [0, 1] over ``where`` (Gaussian derivatives, sigma 1.4)."""
    def grad(x: np.ndarray) -> np.ndarray:
        smooth = cv2.GaussianBlur(x.astype(np.float64), (0, 0), 1.4)
        return np.hypot(cv2.Sobel(smooth, cv2.CV_64F, 1, 0, ksize=1), cv2.Sobel(smooth, cv2.CV_64F, 0, 1, ksize=1))

    return float(((grad(a) - grad(b)) ** 2)[where].sum())


def softness_sweep(count: int, size: tuple[int, int], values: tuple[float, ...] = (0.1, 0.2, 0.3, 0.5, 0.7, 1.0)) -> list[list[object]]:
    """Alpha SAD, gradient error and the share of partly transparent pixels for each softness."""
    sums = np.zeros((len(values), 3))
    for seed in range(count):
        ex = make_matting_composite(*size, np.random.default_rng([2026, seed]))
        band = make_trimap(app_alpha(ex.image, ex.alpha), band_radius(*size)) == UNKNOWN
        truth = ex.alpha / 255.0
        for i, softness in enumerate(values):
            alpha = app_alpha(ex.image, ex.alpha, softness) / 255.0
            sums[i] += [np.abs(alpha - truth)[band].sum() / 1e3, gradient_error(alpha, truth, band) / 1e3,
                        100 * ((alpha > 0) & (alpha < 1)).mean()]
    default = MaskSettings().softness
    return [[f"{v:g}" + (" (default)" if v == default else ""), f"{s[0] / count:.2f}", f"{s[1] / count:.3f}", f"{s[2] / count:.2f}"]
            for v, s in zip(values, sums)]


def quality(count: int, size: tuple[int, int]) -> list[list[object]]:
    sums = {name: np.zeros(5) for name in CONFIGS}
    for seed in range(count):
        ex = make_matting_composite(*size, np.random.default_rng([2026, seed]))
        base = app_alpha(ex.image, ex.alpha)
        matted = matte(ex.image, base)
        band = make_trimap(base, band_radius(*size)) == UNKNOWN
        truth = ex.alpha / 255.0
        for name, options in CONFIGS.items():
            # The export's alpha: matted (once for both matting rows), its opaque rim trimmed when decontaminating.
            alpha = export_alpha(Photo(ex.image), matted if options.matting else base, dataclasses.replace(options, matting=False))
            rgba = compose(Photo(ex.image), alpha, options)
            seen = (ex.alpha > 0) & (alpha > 0)
            partial = seen & (ex.alpha < 255)
            err = np.abs(rgba[..., :3].astype(np.float64) - ex.foreground)
            sums[name] += [np.abs(alpha / 255.0 - truth)[band].sum() / 1e3,
                           gradient_error(alpha / 255.0, truth, band) / 1e3,
                           err[seen].mean(), err[partial].mean(), 1]  # fmt: skip
    rows = []
    for name, s in sums.items():
        n = s[4]
        rows.append([name, f"{s[0] / n:.2f}", f"{s[1] / n:.3f}", f"{s[2] / n:.2f}", f"{s[3] / n:.2f}"])
    return rows


def widened(alpha: np.ndarray, px: int) -> np.ndarray:
    """``alpha`` with its outline ``px`` pixels too far out all round, as a model draws a fuzzy subject."""
    return cv2.dilate(alpha, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * px + 1, 2 * px + 1)))


def rim_scores(ex: object, alpha: np.ndarray, band: np.ndarray, rgb: np.ndarray) -> np.ndarray:
    """Alpha SAD and gradient error in ``band``; at the pixels the export makes fully opaque within 3 guided-filter
    radii of its outline: the colour error of what they show (against the true subject over a black and a white
    page, averaged) and the share of background they hold (1 - true alpha)."""
    truth = ex.alpha / 255.0  # type: ignore[attr-defined]
    near = 3 * default_radius(*alpha.shape)
    rim = (cv2.dilate((alpha < 255).astype(np.uint8), np.ones((2 * near + 1, 2 * near + 1), np.uint8)) > 0) & (alpha == 255)
    shown = ex.foreground * truth[..., None]  # type: ignore[attr-defined]
    error = np.mean([np.abs(rgb[rim].astype(np.float64) - (shown + (1 - truth[..., None]) * page)[rim]).mean()
                     for page in (0.0, 255.0)])  # fmt: skip
    return np.array([np.abs(alpha / 255.0 - truth)[band].sum() / 1e3, gradient_error(alpha / 255.0, truth, band) / 1e3,
                     error, 100 * (1 - truth[rim]).mean()])  # fmt: skip


def too_wide(count: int, size: tuple[int, int]) -> list[list[object]]:
    """The default export with and without the rim rule, on the hair composites and on the same with the mask
    2-4 px too wide (the default alpha dilated)."""
    rows = []
    for kind in ("as made", "2-4 px too wide"):
        sums = {"decontaminate, no rim rule (before)": np.zeros(4), "decontaminate + rim rule (default)": np.zeros(4)}
        for seed in range(count):
            ex = make_matting_composite(*size, np.random.default_rng([2026, seed]))
            base = app_alpha(ex.image, ex.alpha)
            if kind != "as made":
                base = widened(base, 2 + seed % 3)
            band = make_trimap(base, band_radius(*size)) == UNKNOWN
            for name, alpha in zip(sums, (base, trim_rim(ex.image, base))):
                sums[name] += rim_scores(ex, alpha, band, compose(Photo(ex.image), alpha, ExportOptions())[..., :3])
        rows += [[kind, name, *(f"{v / count:.{d}f}" for v, d in zip(s, (2, 3, 2, 2)))] for name, s in sums.items()]
    return rows


CHILD = r"""
import json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import cv2
from cutout_app.core.files.export import export_result
from cutout_app.core.files.export_options import ExportOptions
from cutout_app.core.files.imageio import read_image
photo = read_image(sys.argv[2])
alpha = cv2.imread(sys.argv[3], cv2.IMREAD_GRAYSCALE)
settings = json.loads(sys.argv[5])
if not settings.pop("rim", True):  # the export as it was before the rim rule
    import cutout_app.core.files.export as export
    export.trim_rim = lambda rgb, alpha, **_: alpha
options = ExportOptions(**settings)
start = time.perf_counter()
export_result(photo, alpha, Path(sys.argv[4]), options, overwrite=True)
seconds = time.perf_counter() - start
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forked parent across exec.
peak_kb = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
print(json.dumps({"seconds": seconds, "rss_mb": peak_kb / 1024, "png_mb": Path(sys.argv[4]).stat().st_size / 1e6}))
"""


def versus_pymatting(count: int, size: tuple[int, int]) -> list[list[object]]:
    from cutout_app.core.edges.band_tiles import band_tiles
    from cutout_app.core.edges.foreground import BandColours, band_part, foreground_colours
    from cutout_app.core.edges.matting_library import using_pymatting

    def pymatting_colours(rgb: np.ndarray, alpha: np.ndarray) -> BandColours:
        band = (alpha > 0) & (alpha < 255)
        found = []
        for tile in band_tiles(band, 128, 32):  # the tiles cutout gave it
            with using_pymatting():  # its thread settings; the estimate is not among the parts cutout loads
                import pymatting as library

                fg = library.estimate_foreground_ml(rgb[tile.rows, tile.cols] / 255.0, alpha[tile.rows, tile.cols] / 255.0)
            ys, xs = np.nonzero(band[tile.core])
            colours = np.rint(fg[tile.core_rows, tile.core_cols][ys, xs] * 255).astype(np.uint8)
            found.append(band_part(tile.core[0].start, tile.core[1].start, ys, xs, colours))
        return BandColours(tuple(found))

    methods = {"blur fusion (cutout)": foreground_colours, "pymatting multi-level": pymatting_colours}
    errors: dict[tuple[str, str], list[float]] = {}
    seconds = dict.fromkeys(methods, 0.0)
    for seed in range(count):
        ex = make_matting_composite(*size, np.random.default_rng([2026, seed]))
        base = app_alpha(ex.image, ex.alpha)
        alphas = {"default": base, "feathered 10 px": mask_alpha(base, MaskSettings(softness=1.0, edge_px=10)),
                  "matted": matte(ex.image, base)}  # fmt: skip
        for kind, alpha in alphas.items():
            partial = (ex.alpha > 0) & (ex.alpha < 255) & (alpha > 0)
            for name, colours_of in methods.items():
                rgb = ex.image.copy()
                start = time.perf_counter()
                colours_of(rgb, alpha).apply(rgb)
                seconds[name] += time.perf_counter() - start
                errors.setdefault((kind, name), []).append(np.abs(rgb[partial].astype(np.float64) - ex.foreground[partial]).mean())
    return [[kind, name, f"{np.mean(values):.2f}"] for (kind, name), values in errors.items()] + [
        ["(CPU-bound seconds per composite)", name, f"{total / (3 * count):.3f}"] for name, total in seconds.items()]


def write_12mp_composite(folder: Path) -> tuple[Path, Path]:
    """The 12 MP (4000 x 3000) hair composite the timings export, and the app's alpha of it, as PNGs in ``folder``."""
    ex = make_matting_composite(3000, 4000, np.random.default_rng([2026, 12]))
    photo, mask = folder / "photo.png", folder / "alpha.png"
    cv2.imwrite(str(photo), cv2.cvtColor(ex.image, cv2.COLOR_RGB2BGR))
    cv2.imwrite(str(mask), app_alpha(ex.image, ex.alpha))
    return photo, mask


def timing(folder: Path) -> list[list[object]]:
    photo, mask = write_12mp_composite(folder)
    rows = []
    runs = [(name, {"decontaminate": options.decontaminate, "matting": options.matting}) for name, options in CONFIGS.items()]
    runs.insert(1, ("decontaminate, no rim rule (before)", {"decontaminate": True, "matting": False, "rim": False}))
    for name, settings in runs:
        command = [sys.executable, "-c", CHILD, str(ROOT), str(photo), str(mask), str(folder / "out.png"), json.dumps(settings)]
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        result = json.loads(out.splitlines()[-1])
        rows.append([name, f"{result['seconds']:.2f}", f"{result['rss_mb']:.0f}", f"{result['png_mb']:.1f}"])
    return rows


RIM_CHILD = r"""
import json, statistics, sys, time, tracemalloc
sys.path.insert(0, sys.argv[1])
import cv2
from cutout_app.core.edges.rim import trim_rim
from cutout_app.core.files.imageio import read_image
photo = read_image(sys.argv[2])
alpha = cv2.imread(sys.argv[3], cv2.IMREAD_GRAYSCALE)
rgb = photo.pixels[:, :, :3]
seconds = []
for _ in range(int(sys.argv[4]) + 1):
    start = time.perf_counter()
    trimmed = trim_rim(rgb, alpha)
    seconds.append(time.perf_counter() - start)
tracemalloc.start()
trim_rim(rgb, alpha)
peak = tracemalloc.get_traced_memory()[1]
print(json.dumps({"first": seconds[0], "median": statistics.median(seconds[1:]), "peak_mb": peak / 2**20,
                  "lowered": int((trimmed != alpha).sum())}))
"""


def rim_cost(folder: Path, repeats: int) -> list[list[object]]:
    """The 12 MP composite's export without edge steps, decontaminated without and with the rim rule (fresh
    processes, alternated, ``repeats`` each: median and least seconds, median peak RSS), then ``trim_rim``
    alone in one process."""
    photo, mask = write_12mp_composite(folder)
    runs = {"neither": {"decontaminate": False, "matting": False},
            "decontaminate, no rim rule": {"decontaminate": True, "matting": False, "rim": False},
            "decontaminate + rim rule (default)": {"decontaminate": True, "matting": False}}  # fmt: skip
    results: dict[str, list[dict]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, settings in runs.items():
            command = [sys.executable, "-c", CHILD, str(ROOT), str(photo), str(mask), str(folder / "out.png"), json.dumps(settings)]
            out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
            results[name].append(json.loads(out.splitlines()[-1]))
    rows = []
    for name, found in results.items():
        seconds = sorted(r["seconds"] for r in found)
        rows.append([name, f"{np.median(seconds):.3f}", f"{seconds[0]:.3f}", f"{np.median([r['rss_mb'] for r in found]):.0f}"])
    command = [sys.executable, "-c", RIM_CHILD, str(ROOT), str(photo), str(mask), str(repeats)]
    alone = json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout.splitlines()[-1])
    rows.append([f"trim_rim alone: first call / median of {repeats} more ({alone['lowered']} pixels lowered)",
                 f"{alone['first']:.3f} / {alone['median']:.3f}", "", f"+{alone['peak_mb']:.0f} (Python's peak)"])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=12, help="composites for the quality table")
    parser.add_argument("--size", type=int, nargs=2, default=(480, 640), metavar=("H", "W"))
    parser.add_argument("--no-timing", action="store_true", help="skip the 12 MP timing")
    parser.add_argument("--softness-sweep", action="store_true", help="only the default alpha, at several softness values")
    parser.add_argument("--vs-pymatting", action="store_true", help="only decontamination: cutout's against pymatting's")
    parser.add_argument("--too-wide", action="store_true", help="only the rim rule: on the composites and with a too wide mask")
    parser.add_argument("--rim-cost", action="store_true",
                        help="only what the rim rule costs the 12 MP export: alternated fresh processes, then trim_rim alone")
    parser.add_argument("--repeats", type=int, default=5, help="with --rim-cost: runs of each export")
    args = parser.parse_args()
    if args.rim_cost:
        with tempfile.TemporaryDirectory() as tmp:
            print(f"12 MP (4000x3000) hair composite, export_result in a fresh process each, {args.repeats} runs alternated:")
            print(format_table(["export", "median s", "least s", "peak RSS MB"], rim_cost(Path(tmp), args.repeats)))
        print(f"\nmachine load (1/5/15 min): {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        return
    if args.too_wide:
        print(f"{args.count} hair composites of {args.size[1]}x{args.size[0]}; opaque rim: alpha full within 3 radii of the outline")
        print(format_table(["mask", "export", "alpha SAD in band", "gradient error in band", "colour error, opaque rim",
                            "% background in opaque rim"], too_wide(args.count, tuple(args.size))))  # fmt: skip
        return
    if args.vs_pymatting:
        print(f"{args.count} hair composites of {args.size[1]}x{args.size[0]}, colour error where 0 < true alpha < 1:")
        print(format_table(["alpha", "decontamination", "colour error"], versus_pymatting(args.count, tuple(args.size))))
        return
    if args.softness_sweep:
        print(f"{args.count} hair composites of {args.size[1]}x{args.size[0]}, alpha without matting:")
        print(format_table(["softness", "alpha SAD in band", "gradient error in band", "% pixels partly transparent"],
                           softness_sweep(args.count, tuple(args.size))))
        return
    start = time.perf_counter()
    rows = quality(args.count, tuple(args.size))
    print(f"{args.count} hair composites of {args.size[1]}x{args.size[0]} ({time.perf_counter() - start:.0f} s)")
    print(format_table(["export", "alpha SAD in band", "gradient error in band", "colour error (alpha > 0)",
                        "colour error (0 < alpha < 1)"], rows))  # fmt: skip
    if not args.no_timing:
        with tempfile.TemporaryDirectory() as tmp:
            print("\n12 MP (4000x3000) hair composite, export_result in a fresh process each:")
            print(format_table(["export", "seconds", "peak RSS MB", "PNG MB"], timing(Path(tmp))))
    print(f"\nmachine load (1/5/15 min): {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
