"""The open photo as the global net takes it, made once per photo and model and shared.

Clicks, the hover preview and Space all start with the photo resized, normalised and padded for the global
net (:meth:`CutoutModel.prepare`): about a third of a first click's time on a 24 MP photo. It is made in the
background as soon as a photo and a model are both there, so the first click finds it ready.
"""

from __future__ import annotations

import threading

import numpy as np

from cutout_app.core.inference import CutoutModel, GlobalInput
from cutout_app.gui.workers import TaskWorker, WorkerPool


class PreparedPhoto:
    """The global net's input for one photo and model; :meth:`get` may be called from any thread."""

    def __init__(self, pool: WorkerPool) -> None:
        self.pool = pool
        self._lock = threading.Lock()  # held while the input is made: a second caller waits for it
        self._model: CutoutModel | None = None
        self._rgb: np.ndarray | None = None
        self._input: GlobalInput | None = None

    def reset(self, model: CutoutModel | None, rgb: np.ndarray | None) -> None:
        """From now on keep ``model``'s input for ``rgb`` (the document's photo), made in the background now."""
        with self._lock:
            self._model, self._rgb, self._input = model, rgb, None
        if model is not None and rgb is not None:
            self.pool.start(TaskWorker(lambda progress, cancel: self.get(model, rgb), "prepare"))

    def get(self, model: CutoutModel, rgb: np.ndarray) -> GlobalInput:
        """``model``'s input for ``rgb``: the one kept, waited for while it is being made, or made now."""
        with self._lock:
            kept = self._model is model and self._rgb is rgb
            if kept and self._input is not None:
                return self._input
            prepared = model.prepare(rgb)
            if kept:
                self._input = prepared
            return prepared
