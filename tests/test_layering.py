"""The dependency rules of the layout: core imports neither Qt nor torch, and the app starts without torch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cutout_app

PACKAGE = Path(cutout_app.__file__).parent


def _modules_after(code: str) -> set[str]:
    """The module names loaded by a fresh interpreter after running ``code``."""
    script = code + "\nimport sys\nprint('\\n'.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                         env={"QT_QPA_PLATFORM": "offscreen", "PATH": ""}).stdout
    return set(out.split())


def _imports(folder: str) -> str:
    return "\n".join(f"import cutout_app.{folder}.{p.stem}" for p in sorted((PACKAGE / folder).glob("[!_]*.py")))


def test_core_needs_neither_qt_nor_torch_nor_the_layers_above_it() -> None:
    loaded = _modules_after(_imports("core"))
    assert "cutout_app.core.engine" in loaded
    assert not {m for m in loaded if m.split(".")[0] in ("PySide6", "torch")}
    assert not {m for m in loaded if m.startswith(("cutout_app.gui", "cutout_app.model", "cutout_app.cli"))}


def test_the_window_and_the_command_line_start_without_torch() -> None:
    loaded = _modules_after(_imports("gui") + "\nimport cutout_app.cli\nfrom cutout_app.gui.app import build_parser")
    assert "cutout_app.gui.main_window" in loaded and "PySide6.QtWidgets" in loaded
    assert "torch" not in loaded
    assert not {m for m in loaded if m.startswith("cutout_app.model")}


def test_numba_and_pymatting_wait_for_the_first_export() -> None:
    # Their first import compiles for half a minute: never on the way to the window or the command line.
    heavy = ("numba", "pymatting", "scipy", "llvmlite")
    start_up = "\nimport cutout_app.cli\nimport cutout_app.desktop\nfrom cutout_app.gui.app import build_parser"
    loaded = _modules_after(_imports("core") + "\n" + _imports("gui") + start_up)
    assert "cutout_app.core.foreground" in loaded and "cutout_app.core.trimap_matting" in loaded
    assert not {m for m in loaded if m.split(".")[0] in heavy}
    used = _modules_after("from cutout_app.core.matting_library import pymatting\npymatting()")
    assert {"numba", "pymatting"} <= used  # the check above would notice them
