"""A loaded model for many remove() calls, and the default one that remove() makes when given none."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, get_args

from cutout_app.core.errors import ArgumentError
from cutout_app.core.inference import ProviderChoice, open_model

if TYPE_CHECKING:
    from cutout_app.core.inference import Segmenter


class Session:
    """A cutout model loaded into onnxruntime, both nets (the global net and the refiner), for many calls::

        session = cutout.Session()                      # the bundled model (or $CUTOUT_MODEL)
        session = cutout.Session("models/mine", provider="cpu", threads=2)
        rgba = cutout.remove(rgb, session=session)

    ``model`` is a model folder (``global.onnx`` + ``refiner.onnx``) or a single tiled ``.onnx`` file
    (that takes no clicks); None means ``$CUTOUT_MODEL`` or the bundled model. ``provider`` is
    ``"auto"`` (CUDA when onnxruntime offers it, else the CPU), ``"cuda"`` or ``"cpu"``; if CUDA
    cannot be used the session runs on the CPU and :attr:`provider_note` says why. ``threads`` is
    onnxruntime's CPU threads (0: all cores). The model loads here: :class:`~cutout.ModelError` if it
    cannot be used, :class:`~cutout.ArgumentError` for a provider or thread count it does not take.

    **Threads:** a Session is safe to use from several threads at once, and calls from several threads
    run at the same time (they do not queue). It holds nothing that a call changes: onnxruntime's
    sessions may run concurrently, and the one part made on first use (a single-threaded copy of the
    refiner, for running tiles side by side) is made once, under a lock. The batch command shares one
    model among its workers the same way. Calls at once share the cores, so on the CPU more threads
    than cores buy no speed; give each thread a Session only to give each its own device.
    """

    def __init__(self, model: str | os.PathLike[str] | None = None, provider: ProviderChoice = "auto",
                 threads: int = 0) -> None:  # fmt: skip
        choices = get_args(ProviderChoice)
        if provider not in choices:
            raise ArgumentError(f"provider must be one of {', '.join(choices)}; got {provider!r}")
        if isinstance(threads, bool) or not isinstance(threads, int) or threads < 0:
            raise ArgumentError(f"threads must be a whole number, 0 (all cores) or more; got {threads!r}")
        self._model: Segmenter = open_model(None if model is None else Path(model), provider=provider, threads=threads)

    @property
    def model_path(self) -> Path:
        """The model folder (or file) that this session loaded."""
        return self._model.model_path

    @property
    def provider(self) -> str:
        """``"CUDA"`` or ``"CPU"``: where the model runs."""
        return self._model.provider

    @property
    def provider_note(self) -> str | None:
        """Why the model runs on the CPU although CUDA was asked for, or None."""
        return self._model.provider_note

    def __repr__(self) -> str:
        return f"cutout.Session({self._model.describe()}, model={str(self.model_path)!r})"


_default: Session | None = None
_default_lock = threading.Lock()


def default_session() -> Session:
    """The Session that remove() uses when given none: made on the first call, once, whatever the threads."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Session()
        return _default
