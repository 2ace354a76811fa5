"""The one door to pymatting: imported on first use, and safe to call from several threads.

Why pymatting (and so numba, llvmlite and scipy, ~100 MB installed): it is a maintained, cited
implementation of Levin et al.'s closed-form matting with an incomplete-Cholesky preconditioned
solver, which ``--matting`` runs (:mod:`cutout_app.core.edges.trimap_matting`). Writing it again would
need scipy's sparse matrices anyway. The default export does not use it: its colour decontamination
is OpenCV only (:mod:`cutout_app.core.edges.foreground`). The costs, and how cutout pays them:

- ``import pymatting`` compiles every numba kernel of the package the first time, then loads them from
  numba's on-disk cache (``bench/README.md`` has both times). So nothing imports it at start-up (see
  ``tests/test_layering.py``); the first export runs it in the export worker, which shows progress.
- numba's default thread pool ("workqueue") aborts the process when two threads launch parallel kernels
  at once, e.g. two photos of a batch, or a window export beside a batch. So cutout asks numba for its
  thread-safe OpenMP layer where numba has it (Linux and Windows wheels, unless the user set
  ``NUMBA_THREADING_LAYER``), and :func:`using_pymatting` lets calls run at once only on a thread-safe
  layer; on any other it serialises them (``bench/README.md``: what running them at once gains).
  (GNU OpenMP is not fork-safe: cutout starts its
  child processes with spawn or exec, never a bare fork.)
- pymatting's kernels launch many small parallel loops per call, and each launch waits for the pool's
  threads, which on busy cores costs more than the loops (``bench/README.md``). cutout works on many
  small tiles, so calls run on one numba thread.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from types import ModuleType

#: Held around every pymatting call unless numba runs a thread-safe threading layer.
_LOCK = threading.RLock()

#: numba's threading layers that take parallel kernels from several threads at once.
_THREAD_SAFE_LAYERS = ("tbb", "omp")

_module: ModuleType | None = None
_concurrent = False  # True once numba is known to run a thread-safe layer


def pymatting() -> ModuleType:
    """The pymatting package, imported (and on a first run, compiled) on the first call."""
    global _module
    with _LOCK:
        if _module is None:
            _prefer_thread_safe_layer()
            import pymatting as module

            _module = module
        return _module


def import_meanwhile() -> threading.Thread | None:
    """Start importing pymatting on another thread, so that its import (``bench/README.md``) overlaps work
    that does not hold the GIL, such as the model's run; None if it is imported already.

    Not a daemon thread: an interpreter that exits must not do so in the middle of numba's start.
    """
    if _module is not None:
        return None
    thread = threading.Thread(target=pymatting, name="import pymatting")
    thread.start()
    return thread


def _prefer_thread_safe_layer() -> None:
    """Before numba starts its threads: OpenMP where this numba has it, unless the user chose a layer."""
    if os.environ.get("NUMBA_THREADING_LAYER"):
        return
    try:
        from numba.np.ufunc import omppool  # noqa: F401 - only whether it loads
    except ImportError:
        return
    import numba

    numba.config.THREADING_LAYER = "omp"


@contextmanager
def using_pymatting() -> Iterator[ModuleType]:
    """Hold pymatting for one call: imported, numba on one thread (of this thread), and no other
    thread inside unless numba's threading layer is thread-safe."""
    global _concurrent
    with nullcontext() if _concurrent else _LOCK:
        module = pymatting()
        import numba

        threads = numba.get_num_threads()  # the first call starts numba's threading layer
        _concurrent = numba.threading_layer() in _THREAD_SAFE_LAYERS
        numba.set_num_threads(1)  # for this thread only
        try:
            yield module
        finally:
            numba.set_num_threads(threads)
