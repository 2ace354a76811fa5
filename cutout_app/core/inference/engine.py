"""Running cutout's ONNX models: one onnxruntime session per model, and the tiled run over a photo."""

from __future__ import annotations

import collections
import logging
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np

from cutout_app.core.errors import ModelError
from cutout_app.core.inference.model_guard import (
    check_declared_outputs,
    check_output,
    failure_text,
    guard_session_options,
    run_guarded,
    run_seconds,
)
from cutout_app.core.inference.model_info import METADATA_KEY, ModelInfo
from cutout_app.core.inference.providers import ProviderChoice
from cutout_app.core.inference.tiling import Tile, TilePlan, plan_tiles, tile_input
from cutout_app.core.progress import CancelToken, ProgressCallback

log = logging.getLogger(__name__)

CUDA = "CUDAExecutionProvider"
#: The most tiles run at once on the CPU: a bound on threads and memory (only 2 cores were measured).
TILE_WORKERS_MAX = 8
CPU = "CPUExecutionProvider"


def available_providers() -> list[str]:
    """The execution providers this onnxruntime build offers."""
    import onnxruntime as ort

    return list(ort.get_available_providers())


def _preload_cuda_libraries() -> None:
    # onnxruntime-gpu finds the CUDA/cuDNN libraries that pip wheels (torch, nvidia-*) ship only once
    # they are loaded; without this a present GPU is silently not used.
    import onnxruntime as ort

    preload = getattr(ort, "preload_dlls", None)
    if preload is not None:
        try:
            preload()
        except Exception as exc:  # noqa: BLE001 - best effort, the session creation reports the real failure
            log.debug("onnxruntime.preload_dlls failed: %s", exc)


class ModelSession:
    """One cutout ONNX model in onnxruntime: where it runs, its metadata, and a checked ``run``.

    ``provider`` is ``"auto"`` (CUDA when onnxruntime offers it, else CPU), ``"cuda"`` or ``"cpu"``.
    When CUDA cannot be used the session runs on the CPU and says why in :attr:`provider_note`; a
    CUDA failure while running switches to the CPU too. ``threads`` sets onnxruntime's intra-op
    threads (0: its default, all cores). Raises :class:`ModelError` for a missing or broken file, and
    for metadata or outputs that do not match what cutout runs (input channels, a probability map).
    Runs are guarded (:mod:`cutout_app.core.inference.model_guard`): a memory cap, a time budget
    (``run_budget_s``, default by input size), and outputs checked for shape and finite values.
    """

    def __init__(self, model_path: str | Path, provider: ProviderChoice = "auto", threads: int = 0,
                 run_budget_s: float | None = None) -> None:
        self.model_path = Path(model_path)
        self.threads = threads
        self.run_budget_s = run_budget_s
        self.provider_note: str | None = None
        if provider not in ("auto", "cuda", "cpu"):
            raise ValueError(f"provider must be auto, cuda or cpu, not {provider!r}")
        if self.model_path.is_dir():
            raise ModelError(f"'{self.model_path}' is a folder; this part of a model is one .onnx file")
        if self.model_path.exists() and not self.model_path.is_file():
            raise ModelError(f"Model file '{self.model_path}' is not a regular file (a device, a FIFO...); "
                             "a model is an .onnx file")  # fmt: skip
        if not self.model_path.is_file():
            raise ModelError(f"Model file '{self.model_path}' does not exist")
        want_cuda = provider == "cuda" or (provider == "auto" and CUDA in available_providers())
        if provider == "cuda" and CUDA not in available_providers():
            self.provider_note = "CUDA was requested but this onnxruntime has no CUDA provider; running on the CPU"
            want_cuda = False
        self._session = self._create_session(want_cuda)
        self.info = self._read_info()
        self._input_name = self._session.get_inputs()[0].name
        self._check_channels()
        check_declared_outputs(self._session, self.model_path)

    @property
    def provider(self) -> str:
        """``"CUDA"`` or ``"CPU"``: where the model actually runs."""
        return "CUDA" if CUDA in self._session.get_providers() else "CPU"

    def _create_session(self, use_cuda: bool):  # -> ort.InferenceSession
        import onnxruntime as ort

        options = ort.SessionOptions()
        if self.threads:
            options.intra_op_num_threads = self.threads
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Idle pool threads sleep instead of spinning: they shared 2 cores with the photo's decoder process
        # and the tile workers. A 0.03 / 0.67 MP cut-out took 0.59 / 0.94 s against 0.64 / 1.03 s spinning
        # (median of 8); 12 MP was within the noise (3.94 against 3.84 s, median of 6).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        # No memory pattern: from its second run onnxruntime adds one planned block per input shape beside the
        # arena it already holds (the global net: +46 MB at its second pass, as a second click makes), and the
        # refiner's band-fitted tiles come in many shapes. 72 -> 75 ms a global pass.
        options.enable_mem_pattern = False
        guard_session_options(options)
        providers = [CUDA, CPU] if use_cuda else [CPU]
        if use_cuda:
            _preload_cuda_libraries()
        try:
            session = ort.InferenceSession(str(self.model_path), sess_options=options, providers=providers)
        except Exception as exc:  # noqa: BLE001 - onnxruntime raises several unrelated types
            if use_cuda:
                self.provider_note = f"CUDA failed ({_first_line(exc)}); running on the CPU"
                log.warning(self.provider_note)
                return self._create_session(False)
            raise ModelError(f"Model file '{self.model_path}' cannot be loaded: {_first_line(exc)}") from exc
        if use_cuda and CUDA not in session.get_providers():
            self.provider_note = "CUDA could not be initialised (see onnxruntime's log); running on the CPU"
            log.warning(self.provider_note)
        return session

    def _read_info(self) -> ModelInfo:
        try:
            meta = self._session.get_modelmeta().custom_metadata_map
        except Exception as exc:  # noqa: BLE001 - metadata onnxruntime cannot turn into strings
            raise ModelError(f"Model file '{self.model_path}' has unreadable metadata: {_first_line(exc)}") from exc
        if METADATA_KEY not in meta:
            raise ModelError(
                f"Model file '{self.model_path}' has no cutout metadata; export it with 'cutout export-onnx'"
            )
        return ModelInfo.from_json(meta[METADATA_KEY])

    def _check_channels(self) -> None:
        shape = self._session.get_inputs()[0].shape
        channels = shape[1] if len(shape) == 4 else None
        if channels != len(self.info.channels):
            raise ModelError(
                f"Model file '{self.model_path}' takes {channels} input channels, but its metadata describes a "
                f"{self.info.role} model with {len(self.info.channels)} ({', '.join(self.info.channels)})"
            )

    def run(self, inputs: np.ndarray) -> np.ndarray:
        """The model's output for a float32 (N, C, H, W) batch; raises :class:`ModelError` if it fails, runs
        past its time budget, or gives anything but a finite probability map of the expected size."""
        return self.run_with_scores(inputs)[0]

    def run_with_scores(self, inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """:meth:`run`'s output and, for a global net with candidates (``info.candidates``), its second output:
        each output's predicted IoU, (N, 1 + K), finite and in [0, 1]; None for other models."""
        budget = self.run_budget_s if self.run_budget_s is not None else run_seconds(inputs)
        try:
            outputs = run_guarded(self._session, {self._input_name: inputs}, budget)
        except TimeoutError as exc:
            raise ModelError(f"The model '{self.model_path}' did not finish a run within {budget:g} s "
                             "(its graph loops or is far too large)") from exc  # fmt: skip
        except Exception as exc:  # noqa: BLE001
            if self.provider != "CUDA":
                raise ModelError(f"The model failed to run: {failure_text(exc)}") from exc
            # Out of GPU memory or a missing kernel: finish the job on the CPU rather than fail it.
            self.provider_note = f"CUDA failed while running ({_first_line(exc)}); switched to the CPU"
            log.warning(self.provider_note)
            self._session = self._create_session(False)
            return self.run_with_scores(inputs)
        size = tuple(self.info.output_size(edge) for edge in inputs.shape[2:])
        probability = check_output(outputs[0], inputs, size, self.model_path)  # type: ignore[arg-type]
        if not self.info.candidates:
            return probability, None
        expected = (inputs.shape[0], 1 + self.info.candidates)
        scores = outputs[1] if len(outputs) > 1 else None
        if (not isinstance(scores, np.ndarray) or scores.shape != expected or probability.shape[1] != expected[1]
                or not np.isfinite(scores).all()):
            raise ModelError(f"Model file '{self.model_path}' describes {self.info.candidates} candidates but does not "
                             f"give {expected[1]} probability maps and a {expected[0]}x{expected[1]} 'scores' output")
        return probability, np.clip(scores.astype(np.float32), 0.0, 1.0)

    def normalisation(self) -> tuple[np.ndarray, np.ndarray]:
        """(scale, offset) per RGB channel so that ``rgb8 * scale + offset`` is the model's normalised input."""
        std = np.asarray(self.info.std, dtype=np.float32)
        mean = np.asarray(self.info.mean, dtype=np.float32)
        return 1.0 / (255.0 * std), -mean / std

    def describe(self) -> str:
        """One line: model name, version and provider (and why it is not the one asked for)."""
        text = f"{self.info.name} {self.info.version} on {self.provider}"
        return f"{text} ({self.provider_note})" if self.provider_note else text


class SegmentationEngine:
    """A tiled model (a refiner, or a plain RGB model) run over a photo with the overlap-tile strategy.

    See :class:`ModelSession` for ``provider`` and ``threads``. :meth:`predict` may be called from
    any one thread at a time.
    """

    def __init__(self, model_path: str | Path, provider: ProviderChoice = "auto", threads: int = 0) -> None:
        self.session = ModelSession(model_path, provider, threads)
        self._single: ModelSession | None = None
        self._lock = threading.Lock()
        if self.session.info.role == "global":
            raise ModelError(f"Model file '{model_path}' is a global net, which is not run tile by tile; open its model folder")

    @property
    def model_path(self) -> Path:
        """The ONNX file."""
        return self.session.model_path

    @property
    def info(self) -> ModelInfo:
        """The model's metadata."""
        return self.session.info

    @property
    def provider(self) -> str:
        """``"CUDA"`` or ``"CPU"``: where the model actually runs."""
        return self.session.provider

    @property
    def provider_note(self) -> str | None:
        """Why the model runs on the CPU although CUDA was asked for, or None."""
        return self.session.provider_note

    def default_batch_size(self) -> int:
        """Tiles per onnxruntime call: several on a GPU, one on the CPU (where batching gains nothing)."""
        return 8 if self.provider == "CUDA" else 1

    def plan(self, height: int, width: int, tile_size: int | None = None) -> TilePlan:
        """The tiles that :meth:`predict` will run for a photo of this size."""
        return plan_tiles(height, width, self.info, tile_size)

    def predict(
        self,
        rgb: np.ndarray,
        *,
        guidance: Sequence[np.ndarray] = (),
        select: Callable[[Tile], bool] | None = None,
        out: np.ndarray | None = None,
        tile_size: int | None = None,
        batch_size: int | None = None,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> np.ndarray:
        """Foreground probability (float32, H x W, in [0, 1]) of an RGB uint8 photo, at full resolution.

        ``guidance`` holds the model's channels after RGB (float32 H x W maps in [0, 1], for a refiner
        the coarse probability). Only tiles for which ``select(tile)`` is true are run; the others keep
        what ``out`` holds there (``out``, H x W float32, is written in place and returned). Runs tile by
        tile; ``progress(done, total)`` is called after each tile and ``cancel`` is checked before each
        batch, raising :class:`~cutout_app.core.errors.Cancelled`. Memory beyond the photo, the
        guidance and the mask grows with the tile and batch size, not the photo.
        """
        if len(guidance) != len(self.info.channels) - 3 or any(g.shape != rgb.shape[:2] for g in guidance):
            raise ValueError(f"this {self.info.role} model needs {len(self.info.channels) - 3} guidance maps of the photo's size")
        plan = self.plan(rgb.shape[0], rgb.shape[1], tile_size)
        mask = np.empty(rgb.shape[:2], dtype=np.float32) if out is None else out
        tiles = [t for t in plan.tiles if select is None or select(t)]
        windows = (lambda tile: [tile_input(g, plan, tile) for g in guidance]) if guidance else None
        for done, (tile, prediction) in enumerate(self.predict_tiles(rgb, plan, tiles, windows, batch_size, cancel), 1):
            mask[tile.y : tile.y + tile.h, tile.x : tile.x + tile.w] = prediction
            if progress is not None:
                progress(done, len(tiles))
        return mask

    def predict_tiles(
        self,
        rgb: np.ndarray,
        plan: TilePlan,
        tiles: Sequence[Tile],
        guidance: Callable[[Tile], Sequence[np.ndarray]] | None = None,
        batch_size: int | None = None,
        cancel: CancelToken | None = None,
    ) -> Iterator[tuple[Tile, np.ndarray]]:
        """Each of ``tiles`` of ``plan`` with its probability (float32 ``tile.h`` x ``tile.w``, in [0, 1]).

        ``guidance(tile)`` gives the input windows of the model's channels after RGB (see :meth:`predict`),
        so that a caller can make them on demand rather than hold them for the whole photo. ``cancel`` is
        checked before each batch of ``batch_size`` tiles (default :meth:`default_batch_size`).
        """
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError(f"expected an H x W x 3 uint8 RGB image, got {rgb.shape} {rgb.dtype}")
        n_extra = len(self.info.channels) - 3
        if n_extra and guidance is None:
            raise ValueError(f"this {self.info.role} model needs {n_extra} guidance maps of the photo's size")
        o = plan.output_offset
        workers = self._tile_workers() if len(tiles) > 1 and batch_size is None else 1
        if workers > 1:
            session = self._single_thread_session()

            def run_one(tile: Tile) -> np.ndarray:
                if cancel is not None:
                    cancel.raise_if_cancelled()
                return session.run(self._inputs(rgb, plan, [tile], guidance))[0, 0, o : o + tile.h, o : o + tile.w]

            with ThreadPoolExecutor(workers) as pool:
                # A window of tiles ahead, not all of them: results wait in memory until consumed.
                pending: collections.deque[tuple[Tile, Future[np.ndarray]]] = collections.deque()
                for tile in tiles:
                    pending.append((tile, pool.submit(run_one, tile)))
                    if len(pending) > 2 * workers:
                        done, future = pending.popleft()
                        yield done, np.clip(future.result(), 0.0, 1.0)
                while pending:
                    done, future = pending.popleft()
                    yield done, np.clip(future.result(), 0.0, 1.0)
            return
        for chunk in _batches(plan, tiles, max(1, batch_size or self.default_batch_size())):
            if cancel is not None:
                cancel.raise_if_cancelled()
            outputs = self.session.run(self._inputs(rgb, plan, chunk, guidance))
            for i, tile in enumerate(chunk):
                yield tile, np.clip(outputs[i, 0, o : o + tile.h, o : o + tile.w], 0.0, 1.0)

    def _inputs(self, rgb: np.ndarray, plan: TilePlan, tiles: Sequence[Tile],
                guidance: Callable[[Tile], Sequence[np.ndarray]] | None) -> np.ndarray:
        """The model's input batch (float32 N x C x H x W) for ``tiles``: normalised RGB, then the guidance."""
        scale, offset = self.session.normalisation()
        inputs = np.empty((len(tiles), len(self.info.channels), *plan.input_shape(tiles[0])), dtype=np.float32)
        for i, tile in enumerate(tiles):
            pixels = tile_input(rgb, plan, tile)
            # (x / 255 - mean) / std as one multiply-add per channel, written channels-first.
            for c in range(3):
                np.multiply(pixels[..., c], scale[c], out=inputs[i, c], casting="unsafe")
                inputs[i, c] += offset[c]
            if guidance is not None:
                for c, window in enumerate(guidance(tile), start=3):
                    inputs[i, c] = window
        return inputs

    def _tile_workers(self) -> int:
        """Tiles run at once: on the CPU one per core (or per ``threads``), each on one onnxruntime thread.

        Two tiles at once on one thread each took 40 ms a refiner tile where one tile on two threads
        took 46, and each tile's preparation in Python overlaps the other's run (``bench/README.md``).
        """
        if self.provider != "CPU":
            return 1
        return max(1, min(self.session.threads or os.cpu_count() or 1, TILE_WORKERS_MAX))

    def _single_thread_session(self) -> ModelSession:
        """The same model on one onnxruntime thread, for :meth:`_tile_workers` concurrent runs (made once)."""
        with self._lock:
            if self._single is None:
                self._single = ModelSession(self.model_path, "cpu", threads=1)
            return self._single

    def describe(self) -> str:
        """One line for a status bar or ``cutout info``: model name, version and provider."""
        return self.session.describe()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]


def _batches(plan: TilePlan, tiles: Sequence[Tile], size: int) -> Iterator[Sequence[Tile]]:
    """``tiles`` in order, in batches of up to ``size`` tiles that share one input shape."""
    start = 0
    while start < len(tiles):
        shape = plan.input_shape(tiles[start])
        stop = start + 1
        while stop < min(len(tiles), start + size) and plan.input_shape(tiles[stop]) == shape:
            stop += 1
        yield tiles[start:stop]
        start = stop
