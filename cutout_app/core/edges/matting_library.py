"""The one door to pymatting: the three parts matting uses, loaded on first use, and safe to call from several threads.

Why pymatting (and so numba, llvmlite and scipy, ~100 MB installed): it is a maintained, cited
implementation of Levin et al.'s closed-form matting with an incomplete-Cholesky preconditioned
solver, which ``--matting`` runs (:mod:`cutout_app.core.edges.trimap_matting`). Writing it again would
need scipy's sparse matrices anyway. The default export does not use it: its colour decontamination
is OpenCV only (:mod:`cutout_app.core.edges.foreground`). The costs, and how cutout pays them:

- ``import pymatting`` compiles all 39 numba kernels of the package the first time (69 s on this busy
  2-core machine, issue 26 saw 98 s), then loads them from numba's on-disk cache. Matting needs three of
  its modules: the closed-form Laplacian, the incomplete Cholesky preconditioner and conjugate gradients
  (:data:`PARTS`). :func:`pymatting` loads those files alone, under their own module names but without
  the package's ``__init__``, so a first use compiles 4 kernels (5 s of CPU) and later ones load them
  from the same cache that ``import pymatting`` uses (``bench/README.md``); where the package's files are
  not laid out as expected it imports the package whole. Nothing loads it at start-up (see
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

import importlib.util
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from types import ModuleType, SimpleNamespace

#: Held around every pymatting call unless numba runs a thread-safe threading layer.
_LOCK = threading.RLock()

#: numba's threading layers that take parallel kernels from several threads at once.
_THREAD_SAFE_LAYERS = ("tbb", "omp")

#: What matting uses of pymatting: a name and the file (under the package's folder) that defines it.
PARTS = {"cf_laplacian": "laplacian/cf_laplacian.py", "ichol": "preconditioner/ichol.py", "cg": "solver/cg.py"}

_module: ModuleType | SimpleNamespace | None = None
_concurrent = False  # True once numba is known to run a thread-safe layer


def pymatting() -> ModuleType | SimpleNamespace:
    """pymatting's :data:`PARTS` as attributes (``cf_laplacian``, ``ichol``, ``cg``), loaded (and on a first
    run, compiled) on the first call."""
    global _module
    with _LOCK:
        if _module is None:
            _prefer_thread_safe_layer()
            _module = _parts() or _whole()
        return _module


def _parts() -> SimpleNamespace | None:
    """:data:`PARTS` loaded from pymatting's own files under their own names, its ``__init__`` (which compiles
    every kernel of the package) left out; None where the files are not there."""
    spec = importlib.util.find_spec("pymatting")
    if spec is None or not spec.submodule_search_locations:
        return None
    root = Path(next(iter(spec.submodule_search_locations)))
    if not all((root / file).is_file() for file in PARTS.values()):
        return None
    parts = SimpleNamespace()
    for name, file in PARTS.items():
        # Its real name: numba's cache records it, so entries made here and by ``import pymatting`` fit both.
        module_name = "pymatting." + file.removesuffix(".py").replace("/", ".")
        module = sys.modules.get(module_name)
        if module is None:
            file_spec = importlib.util.spec_from_file_location(module_name, root / file)
            assert file_spec is not None and file_spec.loader is not None
            module = importlib.util.module_from_spec(file_spec)
            sys.modules[module_name] = module  # before it runs: numba's cache imports it by name while loading
            try:
                file_spec.loader.exec_module(module)
            except BaseException:
                del sys.modules[module_name]
                raise
        setattr(parts, name, getattr(module, name))
    return parts


def _whole() -> ModuleType:
    import pymatting as module

    return module


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
def using_pymatting() -> Iterator[ModuleType | SimpleNamespace]:
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
