"""Refresh the translation sources from the GUI code and compile them.

    .venv/bin/python resources/translations/update.py            # lupdate + lrelease
    .venv/bin/python resources/translations/update.py --release  # only lrelease (after editing a .ts)

lupdate collects every ``self.tr("...")`` / ``QCoreApplication.translate(...)`` string of
``cutout_app/gui/*.py``, and the ``QT_TRANSLATE_NOOP`` strings of core (``cutout_app/core/wording.py``
says why), into ``cutout_<lang>.ts`` (keeping existing translations, dropping strings
that are gone); lrelease compiles each ``.ts`` to the ``.qm`` that the app loads.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
GUI_DIR = ROOT / "cutout_app" / "gui"
CORE_DIR = ROOT / "cutout_app" / "core"
LANGUAGES = ["zh_CN"]  # keep in step with cutout_app/gui/i18n.py


def _tool(name: str) -> str:
    """The PySide6 tool next to this Python (the venv's bin/Scripts), else the one on PATH."""
    for candidate in (Path(sys.executable).parent / name, Path(sys.executable).parent / f"{name}.exe"):
        if candidate.is_file():
            return str(candidate)
    found = shutil.which(name)
    if not found:
        sys.exit(f"{name} not found: install PySide6 (it ships pyside6-lupdate and pyside6-lrelease)")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--release", action="store_true", help="only compile the .ts files to .qm")
    args = parser.parse_args()
    marked = [p for p in CORE_DIR.rglob("*.py") if p.name != "wording.py" and "QT_TRANSLATE_NOOP(" in p.read_text("utf-8")]
    sources = sorted(str(p.relative_to(ROOT)) for p in [*GUI_DIR.glob("*.py"), *marked])
    for lang in LANGUAGES:
        ts = HERE / f"cutout_{lang}.ts"
        if not args.release:
            cmd = [_tool("pyside6-lupdate"), "-no-obsolete", "-locations", "none", "-source-language", "en",
                   "-target-language", lang, *sources, "-ts", str(ts.relative_to(ROOT))]
            subprocess.run(cmd, cwd=ROOT, check=True)
        subprocess.run([_tool("pyside6-lrelease"), str(ts), "-qm", str(ts.with_suffix(".qm"))], cwd=ROOT, check=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
