"""The two-stage model: a global net that finds the subject, and a refiner for full-resolution edges.

A model is a folder holding ``global.onnx`` and ``refiner.onnx``. The global pass
(:class:`~cutout_app.core.inference.global_net.GlobalNet`) sees the whole photo at a few hundred pixels, with the
user's clicks and the current mask; its probability is upsampled to the photo. The refiner, a
valid-padded U-Net, then runs with the overlap-tile strategy at full resolution, but only on tiles
where the upsampled probability is uncertain (on the CPU, tiles fitted to that band,
``core.inference.band_cover``); every other pixel keeps the global value.
:func:`open_model` is the one way every front end opens a model.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterator, Protocol, Sequence, Union

import numpy as np

from cutout_app.core.errors import ModelError
from cutout_app.core.geometry import Rect
from cutout_app.core.inference.band_cover import BAND_BLOCK, fit_to_band
from cutout_app.core.inference.clicks import Click
from cutout_app.core.inference.engine import SegmentationEngine
from cutout_app.core.inference.global_net import GlobalInput, GlobalNet, GlobalPrediction
from cutout_app.core.inference.model_info import ModelInfo
from cutout_app.core.inference.providers import ProviderChoice
from cutout_app.core.inference.quantize import REFINER_INT8_FILE, is_current
from cutout_app.core.inference.tiling import Tile, TilePlan, tile_window
from cutout_app.core.paths import default_model_path
from cutout_app.core.progress import CancelToken, ProgressCallback

GLOBAL_FILE = "global.onnx"
REFINER_FILE = "refiner.onnx"
#: A tile is refined when its upsampled global probability has a pixel strictly between these. (0.05, 0.95)
#: refined 170 of the 12 MP coffee photo's 432 tiles, these 144, and 7 photos at 12 MP (that one, three
#: ccp-people and three duts-tr photos enlarged) exported the same alpha, pixel for pixel, either way.
UNCERTAIN = (0.1, 0.9)
#: The refiner's tile input edge on the CPU, where the model's own (532) is for a GPU: small tiles follow the
#: uncertain band more closely (a 12 MP photo refined 4.8 output MP with these, 7.4 with 532 px), and
#: cost no more per output pixel on the CPU (``bench/README.md``).
CPU_TILE_SIZE = 260
#: The largest input edge (pixels) of a single refiner tile covering a whole small photo (:meth:`CutoutModel.plan`).
SINGLE_TILE_MAX = 2048
#: A click's refinement keeps the previous one's result on a tile whose global probability (with the
#: refiner's context margin) moved by at most this: far from the click the global net barely changes.
REUSE_TOLERANCE = 0.05


class Coarse(Protocol):
    """What the refiner refines: a photo-size probability read a window at a time (a :class:`GlobalPrediction`,
    or a zoom window's prediction inside the current mask, ``core.inference.zoom``)."""

    def upsampled_at(self, rows: slice | np.ndarray, cols: slice | np.ndarray) -> np.ndarray: ...

    def footprint(self, rows: slice, cols: slice) -> np.ndarray: ...


class CutoutModel:
    """A two-stage model folder loaded into onnxruntime: ``global.onnx`` plus ``refiner.onnx``.

    ``provider`` and ``threads`` apply to both parts (see :class:`~cutout_app.core.inference.engine.ModelSession`).
    Where the global net runs on the CPU and ``int8`` is set, the refiner is the folder's ``refiner-int8.onnx``
    if it was made from its ``refiner.onnx`` as it is now (:mod:`~cutout_app.core.inference.quantize`).
    """

    def __init__(self, folder: str | Path, provider: ProviderChoice = "auto", threads: int = 0, int8: bool = True) -> None:
        self.model_path = Path(folder)
        for name in (GLOBAL_FILE, REFINER_FILE):
            if not (self.model_path / name).is_file():
                raise ModelError(f"Model folder '{self.model_path}' has no {name}; a cutout model needs {GLOBAL_FILE} and {REFINER_FILE}")
        self.global_net = GlobalNet(self.model_path / GLOBAL_FILE, provider, threads)
        self.refiner = self._open_refiner(provider, threads, int8 and self.global_net.session.provider == "CPU")
        if self.refiner.info.role != "refiner":
            raise ModelError(f"'{self.refiner.model_path}' is a {self.refiner.info.role} model, not a refiner")

    def _open_refiner(self, provider: ProviderChoice, threads: int, int8: bool) -> SegmentationEngine:
        """The refiner: the folder's current ``refiner-int8.onnx`` where ``int8`` and there is one, else ``refiner.onnx``."""
        fp32 = self.model_path / REFINER_FILE
        if int8 and (self.model_path / REFINER_INT8_FILE).is_file():
            quantized = SegmentationEngine(self.model_path / REFINER_INT8_FILE, "cpu", threads)
            if quantized.info.role == "refiner" and is_current(quantized.info, fp32):
                return quantized
        return SegmentationEngine(fp32, provider, threads)

    @property
    def info(self) -> ModelInfo:
        """The global net's metadata (name, version, training data of the model)."""
        return self.global_net.session.info

    @property
    def parts(self) -> dict[str, ModelInfo]:
        """Each part's metadata, by role."""
        return {"global": self.info, "refiner": self.refiner.info}

    @property
    def provider(self) -> str:
        """``"CUDA"`` or ``"CPU"``: where the model runs (the CPU if either part fell back to it)."""
        both = {self.global_net.session.provider, self.refiner.provider}
        return "CPU" if "CPU" in both else "CUDA"

    @property
    def provider_note(self) -> str | None:
        """Why a part runs on the CPU although CUDA was asked for, or None."""
        return self.global_net.session.provider_note or self.refiner.provider_note

    def describe(self) -> str:
        """One line for a status bar: model name, version and provider."""
        text = f"{self.info.name} {self.info.version} on {self.provider}"
        return f"{text} ({self.provider_note})" if self.provider_note else text

    def prepare(self, rgb: np.ndarray) -> GlobalInput:
        """The photo resized for the global net, to reuse for every click on it."""
        return self.global_net.prepare(rgb)

    def predict_global(
        self, photo: GlobalInput | np.ndarray, clicks: Sequence[Click] = (), previous: np.ndarray | None = None
    ) -> GlobalPrediction:
        """The quick pass: the subject's probability at the global net's size (see :meth:`GlobalNet.predict`)."""
        return self.global_net.predict(photo, clicks, previous)

    def refine(
        self,
        rgb: np.ndarray,
        coarse: Coarse,
        *,
        everywhere: bool = False,
        reuse: Refinement | None = None,
        tile_size: int | None = None,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> np.ndarray:
        """The full-resolution probability (float32 H x W): the refiner on uncertain tiles, the global value elsewhere.

        ``everywhere`` runs the refiner on every tile. ``reuse`` (the previous click's
        :class:`Refinement` of the same photo) keeps its result on every tile whose global probability,
        context margin included, moved by at most :data:`REUSE_TOLERANCE`: a click refines only around
        what it changed. ``cancel`` is checked before each tile batch. :meth:`refine_rows` gives the
        same a band of rows at a time.
        """
        out = np.empty(rgb.shape[:2], np.float32)
        for y0, rows in self.refine_rows(rgb, coarse, everywhere=everywhere, reuse=reuse, tile_size=tile_size,
                                         progress=progress, cancel=cancel):
            out[y0 : y0 + len(rows)] = rows
        return out

    def refine_rows(
        self,
        rgb: np.ndarray,
        coarse: Coarse,
        *,
        everywhere: bool = False,
        reuse: Refinement | None = None,
        tile_size: int | None = None,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> Iterator[tuple[int, np.ndarray]]:
        """:meth:`refine`'s probability one row of refiner tiles at a time, from the top: (first row, float32
        rows x W). Nothing of the photo's size is made: the global probability is upsampled tile by tile."""
        if reuse is not None and (everywhere or reuse.probability.shape != rgb.shape[:2]):
            reuse = None
        plan, fitted, kept = self._layout(rgb.shape[0], rgb.shape[1], coarse, everywhere, reuse, tile_size)
        total = sum(len(tiles) for tiles in fitted.values())
        done = 0

        def window(tile: Tile) -> list[np.ndarray]:
            return [coarse.upsampled_at(*tile_window(plan, tile))]

        # One stream of tiles for the whole photo, so the refiner's workers keep going while this thread
        # fills in the next row of tiles.
        grid_rows = _tile_rows(plan)
        order = [tile for row in grid_rows for tile in fitted.get(row[0].y, ())]
        refined = self.refiner.predict_tiles(rgb, plan, order, window, cancel=cancel)
        for row in grid_rows:
            y, h = row[0].y, row[0].h
            rows = coarse.upsampled_at(slice(y, y + h), slice(0, plan.width))
            for tile in row:
                if tile in kept:
                    rows[:, tile.x : tile.x + tile.w] = reuse.probability[y : y + h, tile.x : tile.x + tile.w]  # type: ignore[union-attr]
            for _ in fitted.get(y, ()):
                tile, prediction = next(refined)
                rows[tile.y - y : tile.y - y + tile.h, tile.x : tile.x + tile.w] = prediction
                done += 1
                if progress is not None:
                    progress(done, total)
            yield y, rows

    def refine_region(
        self,
        rgb: np.ndarray,
        coarse: Coarse,
        region: Rect,
        *,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> np.ndarray:
        """:meth:`refine`'s probability over ``region`` of the photo only (float32 ``region.h`` x ``region.w``):
        only the uncertain tiles that overlap the region run, on the photo's own tile grid, so each value is
        the one :meth:`refine` would give there."""
        plan, fitted, _ = self._layout(rgb.shape[0], rgb.shape[1], coarse, region=region)
        touching = [t for tiles in fitted.values() for t in tiles if not Rect(t.x, t.y, t.w, t.h).intersect(region).empty]
        out = coarse.upsampled_at(slice(region.y, region.bottom), slice(region.x, region.right))

        def window(tile: Tile) -> list[np.ndarray]:
            return [coarse.upsampled_at(*tile_window(plan, tile))]

        done = 0
        for tile, prediction in self.refiner.predict_tiles(rgb, plan, sorted(touching, key=lambda t: (t.y, t.x)), window, cancel=cancel):
            overlap = Rect(tile.x, tile.y, tile.w, tile.h).intersect(region)
            out[overlap.y - region.y : overlap.bottom - region.y, overlap.x - region.x : overlap.right - region.x] = \
                prediction[overlap.y - tile.y : overlap.bottom - tile.y, overlap.x - tile.x : overlap.right - tile.x]
            done += 1
            if progress is not None:
                progress(done, len(touching))
        return out

    @property
    def tile_size(self) -> int:
        """The refiner's tile input edge where it runs: :data:`CPU_TILE_SIZE` on the CPU, else the model's own."""
        return CPU_TILE_SIZE if self.refiner.provider == "CPU" else self.refiner.info.tile_size

    def plan(self, height: int, width: int, tile_size: int | None = None) -> TilePlan:
        """The refiner's tiles for a photo: of ``tile_size``, else the model's size, or one tile for the whole
        photo where that tile is no larger than all the model-sized ones together (a valid-padded
        refiner gives the same values either way; a 1000 x 667 photo then costs 0.8 instead of 1.4 MP
        of input).
        """
        size = tile_size or (CPU_TILE_SIZE if self.refiner.provider == "CPU" else None)
        plan = self.refiner.plan(height, width, size)
        if tile_size is None and max(height, width) + 2 * plan.context <= SINGLE_TILE_MAX:
            whole = self.refiner.plan(height, width, SINGLE_TILE_MAX)
            if len(whole) == 1 and whole.input_h * whole.input_w <= len(plan) * plan.input_h * plan.input_w:
                return whole
        return plan

    def _select(
        self, plan: TilePlan, coarse: Coarse, everywhere: bool, reuse: Refinement | None
    ) -> tuple[set[Tile], set[Tile]]:
        """The tiles to refine, and those that keep ``reuse``'s result (see :meth:`refine`)."""
        # Both tests look at the global net's own pixels under the tile (its footprint; see _unsure).
        unsure = _unsure(coarse)
        run, kept = set(), set()
        for tile in plan.tiles:
            if not everywhere and not unsure(slice(tile.y, tile.y + tile.h), slice(tile.x, tile.x + tile.w)):
                continue
            if reuse is not None and isinstance(coarse, GlobalPrediction) and reuse.coarse.probability.shape == coarse.probability.shape:
                c = plan.context
                around = (slice(max(0, tile.y - c), min(plan.height, tile.y + tile.h + c)),
                          slice(max(0, tile.x - c), min(plan.width, tile.x + tile.w + c)))
                if np.abs(coarse.footprint(*around) - reuse.coarse.footprint(*around)).max() <= REUSE_TOLERANCE:
                    kept.add(tile)
                    continue
            run.add(tile)
        return run, kept

    def _layout(
        self, height: int, width: int, coarse: Coarse, everywhere: bool = False, reuse: Refinement | None = None,
        tile_size: int | None = None, region: Rect | None = None,
    ) -> tuple[TilePlan, dict[int, list[Tile]], set[Tile]]:
        """The refiner's plan for a photo, the tiles to run by row of the plan's tiles, and the plan's tiles that
        keep ``reuse``'s result (see :meth:`refine`).

        On the CPU the tiles to run are fitted to the uncertain band (``core.inference.band_cover``); a photo
        that :meth:`plan` makes one tile runs as band-fitted CPU tiles instead where they read less input.
        ``region``: only the rows of tiles touching it are looked at (whole rows: the tiles fitted to the band in
        a row depend on all of its uncertain tiles).
        """
        plan = self.plan(height, width, tile_size)
        fits = self._fits_band(everywhere)
        if fits and len(plan) == 1 and tile_size is None:
            grid = self.refiner.plan(height, width, CPU_TILE_SIZE)
            run, kept = self._select(grid, coarse, everywhere, reuse)
            fitted = fit_to_band(grid, run, _unsure(coarse), self.refiner.info)
            if sum(t.input_h * t.input_w for tiles in fitted.values() for t in tiles) < plan.input_h * plan.input_w:
                return grid, fitted, kept
        if region is not None:
            rows = {t.y for t in plan.tiles if not Rect(t.x, t.y, t.w, t.h).intersect(region).empty}
            plan_rows = replace(plan, tiles=tuple(t for t in plan.tiles if t.y in rows))
            run, kept = self._select(plan_rows, coarse, everywhere, reuse)
        else:
            run, kept = self._select(plan, coarse, everywhere, reuse)
        if fits and len(plan) > 1:
            return plan, fit_to_band(plan, run, _unsure(coarse), self.refiner.info), kept
        by_row: dict[int, list[Tile]] = {}
        for tile in plan.tiles:
            if tile in run:
                by_row.setdefault(tile.y, []).append(tile)
        return plan, by_row, kept

    def _fits_band(self, everywhere: bool) -> bool:
        """Whether the tiles to run are fitted to the uncertain band: on the CPU, for a valid-padded refiner
        whose pooling grid the band's blocks keep, unless every tile runs. A GPU runs grid tiles of one size in
        batches."""
        info = self.refiner.info
        return (not everywhere and self.refiner.provider == "CPU" and info.padding == "valid"
                and BAND_BLOCK % info.alignment == 0)

    def predict(
        self,
        rgb: np.ndarray,
        *,
        clicks: Sequence[Click] = (),
        previous: np.ndarray | None = None,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> np.ndarray:
        """Both stages: the subject's probability (float32 H x W in [0, 1]) at the photo's full resolution."""
        if cancel is not None:
            cancel.raise_if_cancelled()
        return self.refine(rgb, self.predict_global(rgb, clicks, previous), progress=progress, cancel=cancel)


def _unsure(coarse: Coarse) -> Callable[[slice, slice], bool]:
    """Whether ``coarse`` leaves a pixel of a window strictly inside :data:`UNCERTAIN`. It looks at the global
    net's own pixels under the window (its footprint), not at the upsampled ones: an upsampled value lies
    between the footprint's, so no uncertain pixel is missed, and a 250 MP photo's windows are checked
    without making their upsampled values."""
    lo, hi = UNCERTAIN

    def unsure(rows: slice, cols: slice) -> bool:
        source = coarse.footprint(rows, cols)
        return not (source.max() <= lo or source.min() >= hi)

    return unsure


def _tile_rows(plan: TilePlan) -> list[list[Tile]]:
    """The plan's tiles grouped by row of tiles, top to bottom (plan_tiles lists them row-major)."""
    rows: dict[int, list[Tile]] = {}
    for tile in plan.tiles:
        rows.setdefault(tile.y, []).append(tile)
    return list(rows.values())


@dataclass(frozen=True)
class Refinement:
    """A refinement and the global prediction it refined: the next click's :meth:`CutoutModel.refine` reuses it."""

    coarse: GlobalPrediction
    probability: np.ndarray  # float32 H x W, as refine returned it (not to be modified)


#: What :func:`open_model` returns: a two-stage model, or a single tiled one (no clicks).
Segmenter = Union[CutoutModel, SegmentationEngine]


def open_model(path: str | Path | None = None, provider: ProviderChoice = "auto", threads: int = 0,
               probe: bool = False) -> Segmenter:
    """Open a model for segmenting: a two-stage model folder, or a single tiled ``.onnx`` file.

    ``path`` None means ``$CUTOUT_MODEL`` or the bundled model. Every reason the model cannot be used
    is a :class:`ModelError` whose message names it (missing, unreadable, broken, a part given instead
    of its folder), so a front end catches one type and shows the message. ``probe`` runs
    :func:`check_runs` before returning (within every run's time budget and the models' memory cap), so
    that a model that gives NaN, loops or asks for gigabytes is refused here. It costs one run of each
    part: the bundled model's takes 0.15-0.25 s on 2 CPU cores, a third of a small photo's whole cut-out, so
    ``cutout segment`` (whose first run checks the same) does not probe; ``info`` and a batch do, and the window
    probes in the background once the model is open.
    """
    path = Path(path) if path is not None else default_model_path()
    try:
        if path.is_dir():
            model = CutoutModel(path, provider, threads)
            if probe:
                check_runs(model)
            return model
        if not path.exists():
            raise ModelError(f"Model '{path}' does not exist")
        engine = SegmentationEngine(path, provider, threads)
    except OSError as exc:  # an unreadable file or folder
        raise ModelError(f"Model '{path}' cannot be read: {exc.strerror or exc}") from exc
    if engine.info.role == "refiner":
        raise ModelError(f"'{path}' is the refiner of a two-stage model; give its folder ('{path.parent}')")
    if probe:
        check_runs(engine)
    return engine


def check_runs(model: Segmenter) -> None:
    """Run every part of ``model`` once, on a blank photo of one tile; :class:`ModelError` if a part does not run.

    onnxruntime checks a graph's declared input when it loads it, but weights that contradict it (a
    refiner whose first convolution takes five channels where its input and metadata say four) fail
    only when the graph runs. ``cutout info`` calls this, so that such a model is found before a photo is.
    """
    blank = np.zeros((32, 32, 3), np.uint8)
    try:
        if isinstance(model, CutoutModel):
            model.refine(blank, model.predict_global(blank), everywhere=True)
        else:
            model.predict(blank)
    except ModelError as exc:
        raise ModelError(f"Model '{model.model_path}' does not run on the input its metadata describes: {exc}") from exc
