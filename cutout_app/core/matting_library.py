"""The one door to pymatting: imported on first use, and one caller at a time.

Why pymatting (and so numba, llvmlite and scipy, ~100 MB installed): it is a maintained, cited
implementation of both edge methods cutout uses, Germer et al.'s multi-level foreground estimation
and Levin et al.'s closed-form matting with an incomplete-Cholesky preconditioned solver. Writing
them again in numpy would be slower (the foreground solver is a per-pixel Gauss-Seidel sweep) and
would need scipy's sparse matrices anyway. The costs, and how cutout pays them:

- ``import pymatting`` compiles every numba kernel of the package the first time (~15-35 s on 2 cores),
  then loads them from numba's on-disk cache (~1 s). So nothing imports it at start-up (see
  ``tests/test_layering.py``); the first export runs it in the export worker, which shows progress.
- numba's default thread pool ("workqueue") aborts the process when two threads launch parallel kernels
  at once, e.g. a window export beside a batch. :func:`using_pymatting` serialises every call.
- The foreground estimate launches ~50 small parallel kernels per call, and each launch waits for the
  pool's threads: on 2 busy cores a 640 x 640 tile took 0.39 s with two threads and 0.05 s with one.
  cutout works on many small tiles, so calls run on one numba thread.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

#: Held around every pymatting call: numba's workqueue threading layer is not thread-safe.
_LOCK = threading.RLock()

_module: ModuleType | None = None


def is_loaded() -> bool:
    """True once pymatting is imported in this process (its first import may take half a minute)."""
    return _module is not None


def pymatting() -> ModuleType:
    """The pymatting package, imported (and on a first run, compiled) on the first call."""
    global _module
    with _LOCK:
        if _module is None:
            import pymatting as module

            _module = module
        return _module


@contextmanager
def using_pymatting() -> Iterator[ModuleType]:
    """Hold pymatting for one call: imported, no other thread inside, numba on one thread."""
    with _LOCK:
        module = pymatting()
        import numba

        threads = numba.get_num_threads()
        numba.set_num_threads(1)
        try:
            yield module
        finally:
            numba.set_num_threads(threads)
