"""Progress reporting and cancellation shared by long operations (inference, batch, training)."""

from __future__ import annotations

import threading
from typing import Callable

from cutout_app.core.errors import Cancelled

#: Called as ``progress(done, total)`` after each unit of work (a tile, a file).
ProgressCallback = Callable[[int, int], None]


class CancelToken:
    """A thread-safe flag that a UI or signal handler sets and a worker polls."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        """Ask the operation to stop at its next check."""
        self._event.set()

    @property
    def cancelled(self) -> bool:
        """True once :meth:`cancel` was called."""
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        """Raise :class:`Cancelled` if cancellation was requested."""
        if self._event.is_set():
            raise Cancelled("Cancelled by the user")
