"""What a model may cost and give: a model file is untrusted input, like a photo.

Every model cutout opens goes through these rules, in :class:`~cutout_app.core.inference.engine.ModelSession`:

- **Memory**: onnxruntime's CPU allocations, for every model of the process together, come from one
  arena capped at :data:`MODEL_MEMORY_BYTES`; a graph that asks for more (a ``ConstantOfShape`` of
  gigabytes) fails that run with a clear error instead of taking the machine's memory.
- **Time**: each run has :func:`run_seconds` to finish (by the size of its input), then onnxruntime is told
  to stop; a ``Loop`` that never ends fails that run.
- **Outputs**: the model declares a float tensor of rank 4 first, and every run gives one: N x C x H x W
  float32 of the expected size, every value finite. A model that gives NaN or infinity is refused, never
  turned into an opaque cut-out.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np

from cutout_app.core.errors import ModelError

#: onnxruntime's CPU memory for all models of a process together. The bundled refiner on one 2048 px tile
#: (the largest cutout makes) took a process to 0.94 GB in all; a batch runs up to 4 such tiles at once.
MODEL_MEMORY_BYTES = 4 << 30
#: Seconds a run may take, at least, and more per megapixel of its input: the bundled global net takes 0.1 s
#: at 320 px and the refiner 3 s on a 2048 px tile on 2 CPU cores.
RUN_SECONDS_MIN = 30.0
RUN_SECONDS_PER_MP = 30.0

_memory_lock = threading.Lock()
_memory_ready = False


def run_seconds(inputs: np.ndarray) -> float:
    """The time budget of one run on ``inputs`` (N x C x H x W)."""
    return RUN_SECONDS_MIN + RUN_SECONDS_PER_MP * inputs.shape[0] * inputs.shape[2] * inputs.shape[3] / 1e6


def guard_session_options(options: Any) -> None:  # options: ort.SessionOptions
    """Make a session take its CPU memory from the process's capped arena (registered on first use)."""
    global _memory_ready
    import onnxruntime as ort

    with _memory_lock:
        if not _memory_ready:
            info = ort.OrtMemoryInfo("Cpu", ort.OrtAllocatorType.ORT_ARENA_ALLOCATOR, 0, ort.OrtMemType.DEFAULT)
            # Grow by what is asked (strategy 1), not to the next power of two, so the cap is what is used.
            ort.create_and_register_allocator(info, ort.OrtArenaCfg(MODEL_MEMORY_BYTES, 1, -1, -1))
            _memory_ready = True
    options.add_session_config_entry("session.use_env_allocators", "1")


def run_guarded(session: Any, feeds: dict[str, np.ndarray], seconds: float) -> list[Any]:
    """``session.run`` that onnxruntime is told to stop after ``seconds``; TimeoutError when it was."""
    import onnxruntime as ort

    options = ort.RunOptions()
    stopped = threading.Event()

    def stop() -> None:
        stopped.set()
        options.terminate = True

    timer = threading.Timer(seconds, stop)
    timer.daemon = True
    timer.start()
    try:
        return session.run(None, feeds, options)
    except Exception:
        if stopped.is_set():
            raise TimeoutError(f"a run did not finish within {seconds:g} s") from None
        raise
    finally:
        timer.cancel()


def failure_text(exc: BaseException) -> str:
    """Why a run failed, in words: the memory cap said plainly, else onnxruntime's first line."""
    text = str(exc).strip() or type(exc).__name__
    if "Available memory of" in text:
        return f"it needs more memory than models may use ({MODEL_MEMORY_BYTES >> 30} GiB)"
    return text.splitlines()[0][:300]


def check_declared_outputs(session: Any, path: Path) -> None:
    """Raise :class:`ModelError` unless the graph's first output is declared a float tensor of rank 4 (or unknown rank)."""
    outputs = session.get_outputs()
    if not outputs:
        raise ModelError(f"Model file '{path}' has no outputs")
    first = outputs[0]
    shape = first.shape
    if first.type != "tensor(float)" or (isinstance(shape, list) and len(shape) != 4):
        raise ModelError(f"Model file '{path}' gives {first.type} of rank {len(shape) if isinstance(shape, list) else '?'} "
                         "first; a cutout model gives a probability map, float N x 1 x H x W")  # fmt: skip


def check_output(output: object, inputs: np.ndarray, size: tuple[int | None, int | None], path: Path) -> np.ndarray:
    """The first output of a run on ``inputs``, if it is what cutout expects; :class:`ModelError` otherwise.

    Expected: a float32 array N x C x H x W with the inputs' N, C at least 1, (H, W) as ``size`` says (None:
    any, at least 1), and every value finite.
    """
    if not isinstance(output, np.ndarray) or output.dtype != np.float32 or output.ndim != 4:
        kind = f"{output.dtype} of shape {output.shape}" if isinstance(output, np.ndarray) else type(output).__name__
        raise ModelError(f"The model '{path}' gave {kind}; a cutout model gives a probability map, float N x 1 x H x W")
    n, c, h, w = output.shape
    if n != inputs.shape[0] or c < 1 or h < 1 or w < 1 or any(s is not None and s != got for s, got in zip(size, (h, w))):
        raise ModelError(f"The model '{path}' gave a map of shape {output.shape} for an input of {inputs.shape}; "
                         f"expected {inputs.shape[0]} x 1 x {size[0] or 'H'} x {size[1] or 'W'}")  # fmt: skip
    if not np.isfinite(output).all():
        raise ModelError(f"The model '{path}' gave NaN or infinite values: it cannot be used (its weights or "
                         "its export are broken)")  # fmt: skip
    return output
