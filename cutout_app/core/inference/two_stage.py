"""The two-stage model: a global net that finds the subject, and a refiner for full-resolution edges.

A model is a folder holding ``global.onnx`` and ``refiner.onnx``. The global pass
(:class:`~cutout_app.core.inference.global_net.GlobalNet`) sees the whole photo at a few hundred pixels, with the
user's clicks and the current mask; its probability is upsampled to the photo. The refiner, a
valid-padded U-Net, then runs with the overlap-tile strategy at full resolution, but only on tiles
where the upsampled probability is uncertain; every other tile keeps the global value.
:func:`open_model` is the one way every front end opens a model.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence, Union

import numpy as np

from cutout_app.core.errors import ModelError
from cutout_app.core.inference.clicks import Click
from cutout_app.core.inference.engine import ProviderChoice, SegmentationEngine
from cutout_app.core.inference.global_net import GlobalInput, GlobalNet, GlobalPrediction
from cutout_app.core.inference.model_info import ModelInfo
from cutout_app.core.paths import default_model_path
from cutout_app.core.progress import CancelToken, ProgressCallback

GLOBAL_FILE = "global.onnx"
REFINER_FILE = "refiner.onnx"
#: A tile is refined when its upsampled global probability has a pixel strictly between these.
UNCERTAIN = (0.05, 0.95)
#: A click's refinement keeps the previous one's result on a tile whose global probability (with the
#: refiner's context margin) moved by at most this: far from the click the global net barely changes.
REUSE_TOLERANCE = 0.05


class CutoutModel:
    """A two-stage model folder loaded into onnxruntime: ``global.onnx`` plus ``refiner.onnx``.

    ``provider`` and ``threads`` apply to both parts (see :class:`~cutout_app.core.inference.engine.ModelSession`).
    """

    def __init__(self, folder: str | Path, provider: ProviderChoice = "auto", threads: int = 0) -> None:
        self.model_path = Path(folder)
        for name in (GLOBAL_FILE, REFINER_FILE):
            if not (self.model_path / name).is_file():
                raise ModelError(f"Model folder '{self.model_path}' has no {name}; a cutout model needs {GLOBAL_FILE} and {REFINER_FILE}")
        self.global_net = GlobalNet(self.model_path / GLOBAL_FILE, provider, threads)
        self.refiner = SegmentationEngine(self.model_path / REFINER_FILE, provider, threads)
        if self.refiner.info.role != "refiner":
            raise ModelError(f"'{self.model_path / REFINER_FILE}' is a {self.refiner.info.role} model, not a refiner")

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
        coarse: GlobalPrediction,
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
        what it changed. ``cancel`` is checked before each tile batch.
        """
        upsampled = coarse.upsampled()
        out = upsampled.copy()
        lo, hi = UNCERTAIN
        plan = self.refiner.plan(rgb.shape[0], rgb.shape[1], tile_size)
        moved = None
        if reuse is not None and not everywhere and reuse.probability.shape == upsampled.shape:
            moved = np.abs(upsampled - reuse.coarse.upsampled()) > REUSE_TOLERANCE
        run = set()
        for tile in plan.tiles:
            region = (slice(tile.y, tile.y + tile.h), slice(tile.x, tile.x + tile.w))
            if not everywhere and not np.any((upsampled[region] > lo) & (upsampled[region] < hi)):
                continue
            if moved is not None:
                c = plan.context
                around = moved[max(0, tile.y - c) : tile.y + tile.h + c, max(0, tile.x - c) : tile.x + tile.w + c]
                if not around.any():
                    out[region] = reuse.probability[region]  # type: ignore[union-attr]
                    continue
            run.add(tile)
        return self.refiner.predict(
            rgb, guidance=(upsampled,), select=run.__contains__, out=out, tile_size=tile_size, progress=progress,
            cancel=cancel,
        )

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


@dataclass(frozen=True)
class Refinement:
    """A refinement and the global prediction it refined: the next click's :meth:`CutoutModel.refine` reuses it."""

    coarse: GlobalPrediction
    probability: np.ndarray  # float32 H x W, as refine returned it (not to be modified)


#: What :func:`open_model` returns: a two-stage model, or a single tiled one (no clicks).
Segmenter = Union[CutoutModel, SegmentationEngine]


def open_model(path: str | Path | None = None, provider: ProviderChoice = "auto", threads: int = 0) -> Segmenter:
    """Open a model for segmenting: a two-stage model folder, or a single tiled ``.onnx`` file.

    ``path`` None means ``$CUTOUT_MODEL`` or the bundled model. Every reason the model cannot be used
    is a :class:`ModelError` whose message names it (missing, unreadable, broken, a part given instead
    of its folder), so a front end catches one type and shows the message.
    """
    path = Path(path) if path is not None else default_model_path()
    try:
        if path.is_dir():
            return CutoutModel(path, provider, threads)
        if not path.exists():
            raise ModelError(f"Model '{path}' does not exist")
        engine = SegmentationEngine(path, provider, threads)
    except OSError as exc:  # an unreadable file or folder
        raise ModelError(f"Model '{path}' cannot be read: {exc.strerror or exc}") from exc
    if engine.info.role == "refiner":
        raise ModelError(f"'{path}' is the refiner of a two-stage model; give its folder ('{path.parent}')")
    return engine
