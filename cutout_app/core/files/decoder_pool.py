"""Decoder children for the threads of one process: many reads at once, each with a child's limits and isolation.

:class:`~cutout_app.core.files.safe_decode.DecoderProcess` serves one caller at a time. Training reads thousands
of photos, masks and label maps with a few threads; :class:`DecoderPool` gives each thread that reads its own
child (started at the thread's first read and kept for its next ones), so the reads go on ``threads`` at a
time while every file is still decoded in a child, with the same scanners and byte budget as a photo the
window opens, and a decoder crash or hang is that file's :class:`ImageReadError`. A process forked from the
owner (a data-loader worker) starts children of its own: the owner's pipes are not its to use.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from cutout_app.core.files.safe_decode import DECODE_TIMEOUT_S, DecoderProcess

if TYPE_CHECKING:
    import numpy as np

    from cutout_app.core.files.imageio import Photo


class DecoderPool:
    """One :class:`DecoderProcess` per reading thread; thread-safe. Use as a context manager, or :meth:`close`."""

    def __init__(self, timeout: float = DECODE_TIMEOUT_S) -> None:
        self.timeout = timeout
        self._lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self._pid = os.getpid()
        self._local = threading.local()
        self._decoders: list[DecoderProcess] = []

    def __enter__(self) -> DecoderPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _decoder(self) -> DecoderProcess:
        """This thread's child (started by its first read)."""
        with self._lock:
            if os.getpid() != self._pid:  # forked: the children belong to the parent
                self._reset()
            decoder = getattr(self._local, "decoder", None)
            if decoder is None:
                decoder = self._local.decoder = DecoderProcess(self.timeout)
                self._decoders.append(decoder)
        return decoder

    @property
    def children(self) -> int:
        """How many children this process's pool has started (one per thread that read)."""
        return len(self._decoders) if os.getpid() == self._pid else 0

    def read(self, path: str | Path) -> Photo:
        """A photo, as :meth:`DecoderProcess.read` reads it."""
        return self._decoder().read(path)

    def read_mask(self, path: str | Path) -> np.ndarray:
        """A ground-truth mask, as :meth:`DecoderProcess.read_mask` reads it."""
        return self._decoder().read_mask(path)

    def read_labels(self, path: str | Path) -> np.ndarray:
        """A label map, as :meth:`DecoderProcess.read_labels` reads it."""
        return self._decoder().read_labels(path)

    def close(self) -> None:
        """Stop every child this process started (a later read starts new ones)."""
        with self._lock:
            decoders = self._decoders if os.getpid() == self._pid else []
            self._reset()
        for decoder in decoders:
            decoder.close()
