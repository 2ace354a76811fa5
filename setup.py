"""Build hook: a wheel carries the bundled model and resources inside the package.

All metadata is in pyproject.toml. models/ and resources/ at the repository root stay the source of
truth; building a wheel copies the files below into ``cutout_app/_bundled/`` (see
``cutout_app/core/paths.py``), where importlib.resources finds them once installed. An editable install
reads the repository's folders in place, so nothing is copied for it. MANIFEST.in puts the same
folders into the sdist, so that a wheel built from the sdist has them too.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
from cutout_app.core.paths import BUNDLED_MODEL_NAME  # noqa: E402 - the standard library only

#: What a wheel carries, as glob patterns relative to the repository root: the bundled model alone
#: (models/ may hold other experiments), the sample photos, the compiled translations, the desktop files.
BUNDLED = [
    f"models/{BUNDLED_MODEL_NAME}/*.onnx",
    "resources/samples/*.jpg",
    "resources/translations/*.qm",
    "resources/icons/*",
    "resources/cutout.desktop",
]


class BuildPyWithBundle(build_py):
    """build_py that also copies :data:`BUNDLED` into ``cutout_app/_bundled/`` of the build."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "cutout_app" / "_bundled"
        for pattern in BUNDLED:
            for src in sorted(ROOT.glob(pattern)):
                if src.is_file():
                    dst = target / src.relative_to(ROOT)
                    dst.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(src, dst)


setup(cmdclass={"build_py": BuildPyWithBundle})
