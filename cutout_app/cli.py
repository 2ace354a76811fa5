"""The ``cutout`` command line: segment, batch, info, gui, synth, train, export-onnx, quantize, eval.

Heavy modules (onnxruntime, torch, Qt) are imported inside the commands that need them, so that
``cutout --help`` is instant and the app's commands never load torch.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Sequence, TextIO

from cutout_app import __version__
from cutout_app.core.errors import Cancelled, CutoutError, printable

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_CANCELLED = 0, 1, 2, 130


class ProgressBar:
    """A one-line text progress bar on stderr (plain lines when stderr is not a terminal)."""

    def __init__(self, label: str, stream: TextIO | None = None, width: int = 30) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.width = width
        self.tty = self.stream.isatty()
        self.start = time.perf_counter()
        self._last_pct = -1

    def __call__(self, done: int, total: int) -> None:
        pct = 100 * done // max(total, 1)
        if not self.tty:
            if pct // 10 != self._last_pct // 10 or done == total:
                print(f"{self.label}: {done}/{total} ({pct}%)", file=self.stream, flush=True)
            self._last_pct = pct
            return
        filled = self.width * done // max(total, 1)
        elapsed = time.perf_counter() - self.start
        bar = "#" * filled + "-" * (self.width - filled)
        end = "\n" if done >= total else ""
        print(f"\r{self.label} [{bar}] {done}/{total} {elapsed:5.1f}s", end=end, file=self.stream, flush=True)


def _count(text: str) -> int:
    """A count of pairs or clicks: a whole number, 0 or more."""
    if not text.strip().isdigit():
        raise argparse.ArgumentTypeError(f"'{text}' is not a count: use a whole number, 0 or more")
    return int(text)


#: Ray actors per job at most (a cluster may have more cores than this machine; nothing sane needs more).
MAX_ACTORS = 1024


def _machine_count(text: str) -> int:
    """A count of threads or workers on this machine: 0 (cutout chooses) up to its number of cores."""
    from cutout_app.core.batch import machine_cores

    value, cores = _count(text), machine_cores()
    if value > cores:
        raise argparse.ArgumentTypeError(f"{value} is more than this machine's {cores} cores: use 0 (cutout chooses) to {cores}")
    return value


def _actor_count(text: str) -> int:
    """A count of Ray actors: 0 (cutout chooses) up to :data:`MAX_ACTORS`."""
    value = _count(text)
    if value > MAX_ACTORS:
        raise argparse.ArgumentTypeError(f"{value} actors is more than {MAX_ACTORS}: use 0 (one per GPU or core) to {MAX_ACTORS}")
    return value


def _colour(text: str) -> tuple[int, int, int]:
    """A colour: a name (white, black, grey), #RRGGBB or R,G,B with values 0..255."""
    from cutout_app.core.files import parse_colour

    try:
        return parse_colour(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _mask_value(name: str):  # noqa: ANN202 - an argparse type
    """An argparse type for a MaskSettings field, checked by MaskSettings itself (the rule is written there)."""
    from cutout_app.core.edges import MaskSettings

    def parse(text: str) -> float:
        try:
            return getattr(MaskSettings(**{name: float(text)}), name)
        except ValueError as exc:
            reason = str(exc) if "must be" in str(exc) else "not a number"
            raise argparse.ArgumentTypeError(f"'{text}': {reason}") from None

    parse.__name__ = name
    return parse


#: Options whose values may start with '-' (a click left of the photo, -5,10), which argparse would take for an option.
_POINT_OPTIONS = ("--keep", "--remove", "--box")


class _ClickAction(argparse.Action):
    """``--keep`` and ``--remove`` append (keep?, text) to one list, so that the clicks keep their order."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:  # noqa: ANN001
        clicks = list(getattr(namespace, self.dest, None) or [])
        clicks.append((option_string == "--keep", values))
        setattr(namespace, self.dest, clicks)


def _join_point_values(argv: list[str]) -> list[str]:
    """``--keep -5,10`` as ``--keep=-5,10``, so that the value reaches the point parser and its clear message."""
    out: list[str] = []
    it = iter(argv)
    for arg in it:
        if arg in _POINT_OPTIONS:
            value = next(it, None)
            out.append(arg if value is None else f"{arg}={value}")
        else:
            out.append(arg)
    return out


def _add_model_args(p: argparse.ArgumentParser) -> None:
    from typing import get_args

    from cutout_app.core.inference import ProviderChoice

    p.add_argument("--model", type=Path, default=None,
                   help="model folder (global.onnx + refiner.onnx) or single .onnx file (default: $CUTOUT_MODEL or the bundled one)")
    p.add_argument("--provider", choices=get_args(ProviderChoice), default="auto", help="where to run the model")
    p.add_argument("--threads", type=_machine_count, default=0, help="CPU threads for onnxruntime (0: all cores; a local batch shares them among its --workers)")


def _add_output_args(p: argparse.ArgumentParser) -> None:
    from cutout_app.core.edges import MaskSettings
    from cutout_app.core.files import ExportMode, ExportOptions

    export, mask = ExportOptions(), MaskSettings()
    p.add_argument("--mode", choices=[m.value for m in ExportMode], default=export.mode.value,
                   help="transparent PNG (rgba), the mask alone, or the subject on a --background colour")
    p.add_argument("--background", type=_colour, default=export.background,
                   help="colour for --mode background: a name (white), #RRGGBB or R,G,B (default white)")
    p.add_argument("--threshold", type=_mask_value("threshold"), default=mask.threshold,
                   help=f"mask threshold in [0, 1] (default {mask.threshold:g})")
    p.add_argument("--softness", type=_mask_value("softness"), default=mask.softness,
                   help=f"width of the soft edge around the threshold, in [0, 1] (default {mask.softness:g})")
    p.add_argument("--edge-width", type=_mask_value("edge_px"), default=mask.edge_px, metavar="PX",
                   help="feather the outline over PX pixels; the subject's inside stays solid "
                        f"(default {mask.edge_px:g}: the edge as the model and --softness make it)")
    p.add_argument("--shift-edge", type=_mask_value("shift_px"), default=mask.shift_px, metavar="PX",
                   help=f"move the outline out (grow) or in (shrink, negative) by whole pixels (default {mask.shift_px:g})")
    p.add_argument("--no-refine", action="store_true", help="skip the edge refinement (guided filter)")
    p.add_argument("--no-decontaminate", action="store_true",
                   help="keep the photo's colours in partly transparent pixels (default: the subject's own colours)")
    p.add_argument("--matting", action="store_true",
                   help="recompute alpha along the outline with alpha matting, for hair and fur (slower)")
    p.add_argument("--overwrite", action="store_true", help="replace outputs that exist (never the originals)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(prog="cutout", description="Cut subjects out of photos.")
    parser.add_argument("--version", action="version", version=f"cutout {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("segment", help="cut the subject out of one photo")
    p.add_argument("input", type=Path)
    p.add_argument("-o", "--output", type=Path, help="output PNG (default: INPUT-cutout.png beside the input)")
    p.add_argument("--keep", action=_ClickAction, dest="clicks", default=[], metavar="X,Y",
                   help="a click on what to keep (photo pixels); repeat for more: clicks run in the order given, "
                        "each only adding or removing what it is about, as in the window")
    p.add_argument("--remove", action=_ClickAction, dest="clicks", default=[], metavar="X,Y",
                   help="a click on what to remove (photo pixels); repeat for more")
    p.add_argument("--box", action="append", default=[], metavar="X0,Y0,X1,Y1",
                   help="the object in this box (photo pixels: left, top, right, bottom); repeatable, run before the clicks")
    p.add_argument("--candidate", type=_count, default=0, metavar="N",
                   help="for one ambiguous first click, take the model's reading N (1: its own answer, then its "
                        "candidates, as Tab cycles them in the window; default: the one it rates best)")
    _add_output_args(p)
    _add_model_args(p)

    p = sub.add_parser("batch", help="cut out every photo in a folder")
    p.add_argument("input_dir", help="folder of photos; with --ray also a URL (s3://, gs://, file://...)")
    p.add_argument("output_dir", type=Path)
    p.add_argument("--no-recursive", action="store_true", help="only the top folder")
    p.add_argument("--retry-failed", action="store_true",
                   help="retry the photos that failed in an earlier run (the manifest in OUTPUT_DIR lists them)")
    p.add_argument("--ray", nargs="?", const="", default=None, metavar="ADDRESS",
                   help="run as a Ray Data job on the cluster at ADDRESS (HOST:PORT, ray://HOST:PORT, auto), "
                        "or on a local Ray instance; needs the cluster extra")
    p.add_argument("--actors", type=_actor_count, default=0, metavar="N",
                   help="with --ray: model actors (default: one per GPU, else one per core of each node, at most 4)")
    p.add_argument("--workers", type=_machine_count, default=0, metavar="N",
                   help="without --ray: photos cut out at once (default: one per core, at most 4); each needs "
                        "its photo's working memory")
    _add_output_args(p)
    _add_model_args(p)

    p = sub.add_parser("info", help="show the model and the execution providers")
    _add_model_args(p)

    # Everything after "gui" goes to the window's own parser (see main); this entry is for --help.
    sub.add_parser("gui", help="open the window (cutout gui --help lists its options)", add_help=False)

    p = sub.add_parser("synth", help="write synthetic training composites (images/ + masks/)")
    p.add_argument("output_dir", type=Path)
    p.add_argument("--count", type=int, default=1000)
    p.add_argument("--size", type=int, nargs=2, default=(512, 512), metavar=("H", "W"))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--textures", type=Path, default=None, help="folder of photos to use as textures")
    p.add_argument("--workers", type=int, default=0, help="processes (0: one per CPU core)")
    p.add_argument("--hair", action="store_true",
                   help="subjects with hair-like strands, lossless PNGs, true alpha in masks/ and true colours in foregrounds/")

    p = sub.add_parser("train", help="train the global net or the refiner on image/mask folder pairs")
    p.add_argument("data_dirs", type=Path, nargs="+", help="folders that each hold images/ and masks/")
    p.add_argument("-o", "--output", type=Path, required=True,
                   help="run folder: the best checkpoint goes to OUTPUT/best.pt, the history to OUTPUT/history.json")
    p.add_argument("--stage", choices=["global", "refiner", "plain"], default="global",
                   help="global: whole photo with clicks; refiner: full-resolution tiles with a coarse mask; "
                        "plain: an RGB-only tiled U-Net")
    p.add_argument("--time-budget", type=float, default=None, metavar="SECONDS",
                   help="stop after this long; the learning-rate schedule follows the clock")
    p.add_argument("--batch-size", type=int, default=None, help="default: 16 (global), 4 (refiner, plain)")
    p.add_argument("--lr", type=float, default=None, help="default: 1e-3")
    p.add_argument("--base-width", type=int, default=16)
    p.add_argument("--depth", type=int, default=None, help="refiner and plain nets: default 3 (refiner), 4 (plain)")
    p.add_argument("--val-fraction", type=float, default=None, help="default: 0.1 (global, refiner), 0.15 (plain)")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--name", default=None)
    p.add_argument("--version-tag", dest="model_version", default="1")
    p.add_argument("--note", default="", help="describe the training data for the model card")
    p.add_argument("--init", type=Path, default=None,
                   help="fine-tune: start from this checkpoint's weights (global net: or from an exported global.onnx)")
    g = p.add_argument_group("global net (defaults: model/train_global.py GlobalTrainConfig)")
    g.add_argument("--encoder", default=None, help="efficientnet-lite0, -lite1 or -lite2 (ImageNet weights from the train extra)")
    g.add_argument("--input-size", type=int, default=None, help="long side S of the resized photo, a multiple of 32")
    g.add_argument("--steps", type=int, default=None, help="stop after this many steps (without --time-budget)")
    g.add_argument("--auto-share", type=float, default=None, help="share of each batch trained without clicks")
    g.add_argument("--composite-share", type=float, default=None,
                   help="share of the click samples that are multi-object composites")
    g.add_argument("--data-share", action="append", default=[], metavar="FOLDER=SHARE",
                   help="draw this share of the samples from the data folder of that name (repeatable), "
                        "e.g. ccp-people=0.2")
    g.add_argument("--max-rounds", type=int, default=None, help="most iterative click rounds per batch")
    g.add_argument("--click-radius", type=float, default=None, help="click disk radius in pixels at S")
    g.add_argument("--precision", choices=["auto", "bf16", "fp32"], default=None,
                   help="auto: bf16 autocast + channels_last where the CPU (AMX, AVX-512 BF16) or GPU has it")
    g.add_argument("--resume", action="store_true", help="continue the run in OUTPUT from its last.pt")
    g.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    g.add_argument("--loader-threads", type=int, default=None, help="threads preparing batches (more to feed a GPU)")
    g.add_argument("--checkpoint-every", type=float, default=None, metavar="SECONDS")
    g.add_argument("--candidates", type=int, default=None,
                   help="candidate masks for an ambiguous click besides the single answer (SAM's rule; e.g. 3)")
    g.add_argument("--parts", type=Path, default=None, metavar="LABELS_DIR",
                   help="per-part label maps (labels/ + labels.txt, e.g. ccp-parts) for part and remove clicks")
    g.add_argument("--parts-photos", type=Path, default=None, metavar="DATA_DIR",
                   help="the data folder holding the label maps' photos (e.g. ccp-people)")
    g.add_argument("--parts-share", type=float, default=None, help="share of the click samples from the label maps")
    g.add_argument("--select-by", choices=["auto", "auto+clicks", "candidates"], default=None,
                   help="best.pt by automatic IoU, by its mean with the composites' one-click IoU, or by the best-rated "
                        "candidate's IoU on composites and held-out garments")
    g.add_argument("--freeze-bn", action="store_true", default=None,
                   help="keep BatchNorm statistics fixed")
    g.add_argument("--candidates-only", action="store_true", default=None,
                   help="train the candidate outputs and the IoU head alone: the rest of the net stays as --init has it")
    t = p.add_argument_group("refiner and plain (tiled) nets")
    t.add_argument("--padding", choices=["valid", "same"], default="valid")
    t.add_argument("--tile-size", type=int, default=None, help="training crop (default: 188 refiner, 572 plain)")
    t.add_argument("--epochs", type=int, default=10)
    t.add_argument("--steps-per-epoch", type=int, default=None)
    t.add_argument("--workers", type=int, default=2)
    t.add_argument("--global-model", type=Path, default=None, metavar="GLOBAL_ONNX",
                   help="refiner: train on this global net's own predictions as well as on degraded masks")
    t.add_argument("--global-share", type=float, default=None, help="refiner: share of tiles whose coarse input is the global net's")
    t.add_argument("--click-share", type=float, default=None,
                   help="refiner: share of those whose coarse input is the global net's answer to a first keep click")
    t.add_argument("--coarse-scales", type=float, nargs="+", default=None, metavar="FACTOR",
                   help="refiner: resample the global net's probability down by one of these and back up, as on a "
                        "photo that many times larger (e.g. 1 2 4 8)")
    t.add_argument("--teacher", type=Path, default=None, metavar="MATTING_ONNX",
                   help="refiner: soft targets around the outline from this portrait matting model (MODNet's "
                        "interface; used for training only, never shipped)")
    t.add_argument("--teacher-sets", nargs="+", default=None, metavar="FOLDER",
                   help="refiner: the data folders whose training photos get the teacher's targets "
                        "(default: model/train.py TrainConfig)")

    p = sub.add_parser("export-onnx", help="export a checkpoint to ONNX and check it against torch")
    p.add_argument("checkpoint", type=Path)
    p.add_argument("-o", "--output", type=Path, required=True)
    p.add_argument("--tile-size", type=int, default=None, help="default tile of the engine (default: training crop)")
    p.add_argument("--version-tag", dest="model_version", default=None,
                   help="the model version to record (default: the checkpoint's)")

    p = sub.add_parser("quantize", help="add an int8 refiner for the CPU to a model folder (refiner-int8.onnx)")
    p.add_argument("model_folder", type=Path)
    p.add_argument("data_dirs", nargs="+", type=Path, metavar="DATA_DIR",
                   help="image/mask folder pairs whose training split's photos calibrate it (as for 'cutout train')")
    p.add_argument("--tiles", type=_count, default=None, metavar="N", help="calibration tiles (default 64)")
    p.add_argument("--threads", type=int, default=0)

    p = sub.add_parser("eval", help="score a model on photos with ground-truth masks")
    p.add_argument("images", type=Path)
    p.add_argument("masks", type=Path)
    p.add_argument("--per-image", action="store_true")
    p.add_argument("--no-refine", action="store_true")
    p.add_argument("--limit", type=_count, default=0, metavar="N", help="only the first N pairs (by name; 0: all)")
    p.add_argument("--clicks", type=_count, default=0, metavar="K",
                   help="also run the click protocol with up to K clicks (20 is the field's usual)")
    p.add_argument("--split", choices=["all", "val", "train"], default="all",
                   help="val: only the pairs that training holds out (the split of 'cutout train')")
    p.add_argument("--no-zoom", action="store_true",
                   help="clicks: keep the whole photo in the global net's view (no zoom-in), to measure what it brings")
    p.add_argument("--json", type=Path, default=None, metavar="FILE", help="write the summary as JSON")
    _add_model_args(p)
    return parser


def _engine(args: argparse.Namespace, threads: int | None = None, probe: bool = False):
    """The model of ``args`` on its provider, with ``threads`` (default: ``--threads``) onnxruntime threads; ``probe``:
    run each part once first (a model that gives NaN, loops or asks for gigabytes is refused before any photo)."""
    from cutout_app.core.inference import open_model

    engine = open_model(args.model, provider=args.provider, threads=args.threads if threads is None else threads,
                        probe=probe)
    if engine.provider_note:
        print(f"note: {engine.provider_note}", file=sys.stderr)
    return engine


def _clicks(args: argparse.Namespace) -> list:
    from cutout_app.core.inference import Click, parse_point

    return [Click(*parse_point(text), keep) for keep, text in args.clicks]


def _boxes(args: argparse.Namespace) -> list:
    from cutout_app.core.inference import Box, parse_box

    return [Box(*parse_box(text)) for text in args.box]


def _options(args: argparse.Namespace):
    from cutout_app.core.edges import MaskSettings
    from cutout_app.core.files import ExportMode, ExportOptions

    export = ExportOptions(mode=ExportMode(args.mode), background=args.background,
                           decontaminate=not args.no_decontaminate, matting=args.matting)
    settings = MaskSettings(threshold=args.threshold, softness=args.softness, refine=not args.no_refine,
                            edge_px=args.edge_width, shift_px=args.shift_edge)
    return export, settings


def cmd_segment(args: argparse.Namespace) -> int:
    from cutout_app.core.files import DecoderProcess, check_destination, cutout_path

    export, settings = _options(args)
    output = args.output or cutout_path(args.input)
    check_destination(output, args.input, args.overwrite)  # an unwritable folder fails before the model loads
    with DecoderProcess() as decoder:  # the photo is decoded in a child process while the model loads
        decoder.prefetch(args.input)  # first: numpy and OpenCV, which the rest loads, load while the child starts
        from cutout_app.core.inference import cut_out_file, reading_index

        clicks, boxes = _clicks(args), _boxes(args)
        engine = _engine(args)
        candidate = reading_index(args.candidate, engine.info.candidates)
        start = time.perf_counter()
        written = cut_out_file(engine, args.input, output, export, settings, overwrite=args.overwrite,
                               progress=ProgressBar("tiles"), clicks=clicks, read=decoder.read, boxes=boxes,
                               candidate=candidate)
    print(f"wrote {printable(str(written))} in {time.perf_counter() - start:.1f}s ({engine.provider})")
    return EXIT_OK


def cmd_batch(args: argparse.Namespace) -> int:
    from cutout_app.core.batch import BatchOptions, Manifest, plan_batch

    export, settings = _options(args)
    options = BatchOptions(recursive=not args.no_recursive, overwrite=args.overwrite, export=export, mask=settings)
    if args.ray is not None:
        from cutout_app.core.batch import open_source, plan_source, run_ray_batch

        source = open_source(args.input_dir)
        plan = plan_source(source, args.output_dir, options.recursive, options.overwrite, args.retry_failed)
        report = run_ray_batch(args.model, source, plan, options, address=args.ray or None, actors=args.actors,
                               threads=args.threads, progress=ProgressBar("files"))
    else:
        from cutout_app.core.batch import batch_workers, inference_threads, run_pipelined

        if "://" in args.input_dir:
            raise CutoutError(f"'{args.input_dir}' is a URL: reading photos from URLs needs --ray")
        plan = plan_batch(Path(args.input_dir), args.output_dir, options.recursive, options.overwrite,
                          args.retry_failed)
        workers = args.workers or batch_workers()
        engine = _engine(args, args.threads or inference_threads(workers), probe=True)
        report = run_pipelined(engine, plan, options, progress=ProgressBar("files"), workers=workers)
    print(report.summary())
    print(Manifest(args.output_dir).summary().text())
    if report.cancelled:
        return EXIT_CANCELLED
    return EXIT_FAILED if report.failed or report.failed_before or report.unreadable else EXIT_OK


def cmd_info(args: argparse.Namespace) -> int:
    import onnxruntime

    from cutout_app.core.inference import available_providers
    from cutout_app.core.table import format_table

    print(f"cutout {__version__}, onnxruntime {onnxruntime.__version__}")
    print(f"providers offered: {', '.join(available_providers())}")
    engine = _engine(args, probe=True)  # weights that contradict the metadata, NaN or a loop fail only when they run
    from cutout_app.core.inference import CutoutModel

    parts = engine.parts if isinstance(engine, CutoutModel) else {"single": engine.info}
    print(f"model: {printable(str(engine.model_path))}, running on {engine.provider}"
          + (f" ({engine.provider_note})" if engine.provider_note else ""))
    for role, info in parts.items():
        if info.role == "global":
            size = f"photo resized to {info.input_size} px (long side), clicks as {info.click_radius:g} px disks"
        else:
            size = f"tiles of {info.tile_size} px, {info.margin} px context margin"
        rows = [
            ["name", f"{info.name} {info.version}"],
            ["U-Net", f"decoder on an {info.encoder} encoder" if info.encoder else
             f"{info.padding} padding, depth {info.depth}, base width {info.base_width}, norm {info.norm}"],
            ["inputs", ", ".join(info.channels)],
            ["size", size],
            ["trained on", info.training_data],
        ]
        if info.candidates:
            rows.insert(4, ["candidates", f"its answer and {info.candidates} candidates for one click (Tab, --candidate)"])
        rows += [[k, v] for k, v in sorted(info.extra.items())]
        print(format_table([role, ""], rows))
    return EXIT_OK


def cmd_synth(args: argparse.Namespace) -> int:
    from cutout_app.core.datasets import write_dataset

    out = write_dataset(args.output_dir, args.count, size=tuple(args.size), seed=args.seed,
                        texture_dir=args.textures, progress=ProgressBar("composites"), workers=args.workers,
                        hair=args.hair)
    print(f"wrote {args.count} composites to {out}")
    return EXIT_OK


def cmd_train(args: argparse.Namespace) -> int:
    from cutout_app.core.datasets import VAL_FRACTION

    if args.stage == "global":
        from cutout_app.model.train_global import GlobalTrainConfig, train_global

        # Options not given keep GlobalTrainConfig's defaults, which are written there only.
        given = {
            "encoder": args.encoder, "input_size": args.input_size, "batch_size": args.batch_size, "lr": args.lr,
            "val_fraction": args.val_fraction, "max_steps": args.steps, "auto_share": args.auto_share,
            "composite_share": args.composite_share, "max_rounds": args.max_rounds, "click_radius": args.click_radius,
            "name": args.name, "precision": args.precision, "checkpoint_every_s": args.checkpoint_every,
            "loader_threads": args.loader_threads, "candidates": args.candidates, "parts_dir": args.parts,
            "parts_photos": args.parts_photos, "parts_share": args.parts_share, "select_by": args.select_by,
            "freeze_bn": args.freeze_bn, "candidates_only": args.candidates_only,
        }
        config = GlobalTrainConfig(
            data_dirs=list(args.data_dirs), out=args.output, seed=args.seed, device=args.device,
            time_budget_s=args.time_budget, init=args.init, resume=args.resume, version=args.model_version,
            training_data_note=args.note, threads=args.threads, data_shares=_parse_shares(args.data_share),
            **{k: v for k, v in given.items() if v is not None},
        )
        result = train_global(config)
        what = "IoU" if config.select_by == "auto" else f"score ({config.select_by})"
        print(f"wrote {result.checkpoint}: best validation {what} {result.best_val_iou:.4f} after {result.steps} steps "
              f"({result.n_train} train / {result.n_val} validation images, {result.seconds:.0f}s)")
        return EXIT_OK

    from cutout_app.model.train import TrainConfig, train

    refiner = args.stage == "refiner"
    config = TrainConfig(
        data_dirs=list(args.data_dirs), out=args.output, base_width=args.base_width,
        depth=args.depth or (3 if refiner else 4), padding=args.padding,
        tile_size=args.tile_size or (188 if refiner else 572), batch_size=args.batch_size or 4, epochs=args.epochs,
        steps_per_epoch=args.steps_per_epoch, lr=args.lr or 1e-3,
        val_fraction=(VAL_FRACTION if refiner else 0.15) if args.val_fraction is None else args.val_fraction, seed=args.seed,
        device=args.device, workers=args.workers, name=args.name or ("cutout-refiner" if refiner else "cutout-unet"),
        version=args.model_version, training_data_note=args.note, time_budget_s=args.time_budget, init=args.init,
        coarse_input=refiner, global_model=args.global_model, teacher=args.teacher,
        **{k: v for k, v in {"global_share": args.global_share, "click_share": args.click_share,
                             "coarse_scales": args.coarse_scales and tuple(args.coarse_scales),
                             "teacher_sets": args.teacher_sets and tuple(args.teacher_sets)}.items() if v is not None},
    )
    result = train(config, progress=ProgressBar("steps"))
    print(f"wrote {result.checkpoint}: best validation IoU {result.best_val_iou:.4f} after {result.epochs_run} epochs "
          f"({result.n_train} train / {result.n_val} validation images, {result.seconds:.0f}s)")
    return EXIT_OK


def _parse_shares(items: Sequence[str]) -> dict[str, float]:
    """``--data-share FOLDER=SHARE`` values as a dict; :class:`CutoutError` for a malformed one."""
    shares = {}
    for item in items:
        name, _, value = item.partition("=")
        try:
            share = float(value)
        except ValueError:
            share = -1.0
        if not name or not 0 < share < 1:
            raise CutoutError(f"--data-share '{item}' is not FOLDER=SHARE with a share between 0 and 1")
        shares[name] = share
    return shares


def cmd_export(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from cutout_app.model.checkpoint import info_from_checkpoint_meta, load_checkpoint
    from cutout_app.model.export_onnx import export_onnx, max_abs_difference

    net, meta = load_checkpoint(args.checkpoint)
    info = info_from_checkpoint_meta(net, meta)
    if args.model_version:
        info = replace(info, version=args.model_version)
    if args.tile_size:
        info = replace(info, tile_size=args.tile_size)
        if info.output_size(info.tile_size) is None:
            raise CutoutError(f"--tile-size {args.tile_size} is not a valid input for this U-Net; "
                              f"try {info.input_for_output(info.tile_size - 2 * info.margin)}")
    path = export_onnx(net, args.output, info)
    diff = max_abs_difference(net, path)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB); torch vs onnxruntime max abs diff {diff:.2e}")
    if diff >= 1e-4:
        print("error: the exported model disagrees with torch", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def cmd_quantize(args: argparse.Namespace) -> int:
    import numpy as np

    from cutout_app.core.datasets import find_pairs, split_pairs
    from cutout_app.core.files import DecoderProcess
    from cutout_app.core.inference import CALIBRATION_TILES, REFINER_FILE, CutoutModel, calibration_tiles, quantize_refiner

    train, _ = split_pairs(find_pairs(args.data_dirs))
    order = np.random.default_rng(0).permutation(len(train))  # a fixed sample across the sets
    model = CutoutModel(args.model_folder, "cpu", args.threads, int8=False)
    with DecoderProcess() as decoder:  # photos are decoded in a child process, as training reads them
        photos = (decoder.read(train[i].image).rgb8() for i in order)
        tiles = calibration_tiles(model, photos, args.tiles or CALIBRATION_TILES)
    path = quantize_refiner(args.model_folder, tiles)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB), calibrated on {len(tiles)} tiles; "
          f"the CPU runs it instead of {REFINER_FILE}")
    return EXIT_OK


def cmd_eval(args: argparse.Namespace) -> int:
    from cutout_app.core.datasets import evaluate, list_pairs, write_json
    from cutout_app.core.edges import MaskSettings
    from cutout_app.core.files import DecoderProcess

    list_pairs(args.images, args.masks, args.split)  # missing folders, or nothing to score, before the model loads
    with DecoderProcess() as decoder:  # photos are decoded in a child process, started while the model loads
        decoder.start()
        engine = _engine(args)
        report = evaluate(engine, args.images, args.masks, MaskSettings(refine=not args.no_refine),
                          progress=ProgressBar("images"), limit=args.limit, max_clicks=args.clicks, split=args.split,
                          read=decoder.read, read_truth=decoder.read_mask, zoom=not args.no_zoom)
    print(f"model: {engine.describe()}")
    print(report.table(per_image=args.per_image))
    if args.json:
        print(f"wrote {write_json(report, args.json)}")
    for line in report.skipped:
        print(f"skipped {line}", file=sys.stderr)
    return EXIT_OK if report.scores else EXIT_FAILED


COMMANDS = {
    "segment": cmd_segment, "batch": cmd_batch, "info": cmd_info, "synth": cmd_synth,
    "train": cmd_train, "export-onnx": cmd_export, "quantize": cmd_quantize, "eval": cmd_eval,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 1 some work failed, 2 bad input, 130 cancelled)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["gui"]:
        from cutout_app.gui.app import main as gui_main

        return gui_main(argv[1:])
    args = build_parser().parse_args(_join_point_values(argv))
    try:
        return COMMANDS[args.command](args)
    except Cancelled:
        print("cancelled", file=sys.stderr)
        return EXIT_CANCELLED
    except KeyboardInterrupt:
        print("\ncancelled", file=sys.stderr)
        return EXIT_CANCELLED
    except CutoutError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    raise SystemExit(main())
