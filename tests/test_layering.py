"""The dependency rules of the layout: core imports neither Qt nor torch, its folders depend on each other one
way, front ends use the folders' faces, and the app starts without torch."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import cutout_app

PACKAGE = Path(cutout_app.__file__).parent
#: The Python library's public face, ``import cutout``: a front end like the command line.
LIBRARY = PACKAGE.parent / "cutout"


def _modules_after(code: str) -> set[str]:
    """The module names loaded by a fresh interpreter after running ``code``."""
    script = code + "\nimport sys\nprint('\\n'.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                         env={"QT_QPA_PLATFORM": "offscreen", "PATH": ""}).stdout
    return set(out.split())


#: core's folders, lowest first: each may import only from the folders before it (and core's own modules).
CORE_LAYERS = ("edges", "files", "inference", "editing", "batch", "datasets")


def _modules(folder: str) -> list[str]:
    """Every module under ``cutout_app/<folder>``, subfolders included, as dotted names."""
    names = []
    for path in sorted((PACKAGE / folder).rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def _imports(folder: str) -> str:
    return "\n".join(f"import {name}" for name in _modules(folder))


def _imported_modules(path: Path) -> set[str]:
    """The ``cutout_app`` modules that ``path`` imports, by its import statements (run-time and typing ones)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("cutout_app"):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("cutout_app"))
    return found


def test_every_core_module_is_covered_by_the_rules() -> None:
    modules = _modules("core")
    assert len(modules) > 40 and "cutout_app.core.files.safe_decode" in modules  # recursive, not just core/*.py
    folders = {p.name for p in (PACKAGE / "core").iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders == set(CORE_LAYERS)


def test_core_folders_depend_on_each_other_one_way() -> None:
    wrong = []
    for rank, folder in enumerate(CORE_LAYERS):
        allowed = {f"cutout_app.core.{f}" for f in CORE_LAYERS[: rank + 1]}
        for path in sorted((PACKAGE / "core" / folder).rglob("*.py")):
            for module in _imported_modules(path):
                parts = module.split(".")
                if len(parts) >= 3 and parts[2] in CORE_LAYERS and ".".join(parts[:3]) not in allowed:
                    wrong.append(f"{path.relative_to(PACKAGE)} imports {module}")
    assert not wrong, "core folders must only import from the folders below them:\n" + "\n".join(wrong)


def test_front_ends_import_core_folders_through_their_faces() -> None:
    deep = []
    front_ends = [PACKAGE / "cli.py", PACKAGE / "desktop.py", *sorted((PACKAGE / "gui").glob("*.py")),
                  *sorted(LIBRARY.glob("*.py"))]  # fmt: skip
    for path in front_ends:
        for module in _imported_modules(path):
            parts = module.split(".")
            if len(parts) > 3 and parts[1] == "core" and parts[2] in CORE_LAYERS:
                deep.append(f"{path.relative_to(PACKAGE.parent)} imports {module}")
    assert not deep, "front ends use the faces (cutout_app.core.<folder>):\n" + "\n".join(deep)


def test_core_needs_neither_qt_nor_torch_nor_the_layers_above_it() -> None:
    loaded = _modules_after(_imports("core"))
    assert "cutout_app.core.inference.engine" in loaded
    assert not {m for m in loaded if m.split(".")[0] in ("PySide6", "torch")}
    assert not {m for m in loaded if m.startswith(("cutout_app.gui", "cutout_app.model", "cutout_app.cli"))}


def test_the_window_and_the_command_line_start_without_torch() -> None:
    loaded = _modules_after(_imports("gui") + "\nimport cutout_app.cli\nfrom cutout_app.gui.app import build_parser")
    assert "cutout_app.gui.main_window" in loaded and "PySide6.QtWidgets" in loaded
    assert "torch" not in loaded
    assert not {m for m in loaded if m.startswith("cutout_app.model")}


def test_the_python_library_needs_neither_qt_nor_torch_nor_the_other_front_ends() -> None:
    modules = sorted("cutout." + p.stem for p in LIBRARY.glob("*.py") if p.stem != "__init__")
    assert "cutout._remove" in modules
    loaded = _modules_after("\n".join(f"import {m}" for m in ["cutout", *modules]))
    assert "cutout_app.core.inference.pipeline" in loaded
    assert not {m for m in loaded if m.split(".")[0] in ("PySide6", "torch", "numba", "pymatting")}
    assert not {m for m in loaded if m.startswith(("cutout_app.gui", "cutout_app.model", "cutout_app.cli"))}


def test_numba_and_pymatting_wait_for_the_first_export() -> None:
    # Their first import compiles for half a minute: never on the way to the window or the command line.
    heavy = ("numba", "pymatting", "scipy", "llvmlite")
    start_up = "\nimport cutout_app.cli\nimport cutout_app.desktop\nfrom cutout_app.gui.app import build_parser"
    loaded = _modules_after(_imports("core") + "\n" + _imports("gui") + start_up)
    assert "cutout_app.core.edges.foreground" in loaded and "cutout_app.core.edges.trimap_matting" in loaded
    assert not {m for m in loaded if m.split(".")[0] in heavy}
    used = _modules_after("from cutout_app.core.edges.matting_library import pymatting\npymatting()")
    assert {"numba", "pymatting.laplacian.cf_laplacian"} <= used  # the check above would notice them
    # Only the parts matting uses: the package's __init__ would compile all of its 39 kernels on a first run.
    assert "pymatting" not in used and "pymatting.alpha.estimate_alpha_sm" not in used


def test_a_cut_out_without_matting_never_loads_numba(tmp_path: Path, tiny_two_stage_path: Path) -> None:
    # A whole `cutout segment` run, colour decontamination included, pays for pymatting's import only with --matting.
    import cv2
    from conftest import make_photo

    photo = tmp_path / "photo.png"
    cv2.imwrite(str(photo), make_photo())
    run = (f"import sys\nfrom cutout_app.cli import main\n"
           f"assert main(['segment', {str(photo)!r}, '-o', {str(tmp_path / 'out.png')!r}, "
           f"'--model', {str(tiny_two_stage_path)!r}]) == 0")  # fmt: skip
    loaded = _modules_after(run)
    assert "cutout_app.core.files.png_writer" in loaded and "onnxruntime" in loaded  # it did cut out
    assert "cutout_app.core.edges.foreground" in loaded
    assert not {m for m in loaded if m.split(".")[0] in ("numba", "pymatting", "scipy", "llvmlite", "torch")}
