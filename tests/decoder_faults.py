"""Faults injected into the decoder child from outside: a ``sitecustomize`` on its PYTHONPATH whose audit hook
acts when the child opens a file whose name holds a marker. The child then dies as a decoder bug would
(SIGSEGV) or stops for good (SIGSTOP: a decode that never ends), at a known file and nowhere else;
cutout's own code has no test hook."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

_HOOK = textwrap.dedent(
    """
    import os, signal, sys

    def _fault(event, args):
        if event == "open" and args and isinstance(args[0], (str, bytes)) and {marker!r} in os.fsdecode(args[0]) \\
                and sys.argv and sys.argv[0].endswith("safe_decode.py"):
            os.kill(os.getpid(), signal.{signal})

    sys.addaudithook(_fault)
    """
)


def inject(monkeypatch: pytest.MonkeyPatch, folder: Path, marker: str, signal: str = "SIGSEGV") -> None:
    """Make every decoder child started from now on get ``signal`` when it opens a file whose path holds ``marker``."""
    hooks = folder / "decoder-faults"
    hooks.mkdir(parents=True, exist_ok=True)
    (hooks / "sitecustomize.py").write_text(_HOOK.format(marker=marker, signal=signal))
    inherited = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(hooks), *inherited]))
