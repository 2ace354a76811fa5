"""Where cutout finds its bundled model and resources (sample photos, translations, icon).

The repository's ``models/`` and ``resources/`` are the source of truth. A built wheel (``pip install .``)
carries copies inside the package, in ``cutout_app/_bundled/`` (``setup.py`` copies them at build
time), found through importlib.resources wherever the package is installed. A source checkout or an
editable install (``pip install -e .``) has no such folder and reads the repository's folders in place.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

#: The project root of a source checkout (``pip install -e .``), holding models/ and resources/.
PROJECT_ROOT = Path(__file__).resolve().parents[2]
#: The package folder in which a wheel carries models/ and resources/.
BUNDLE_DIR_NAME = "_bundled"
BUNDLED_MODEL_NAME = "cutout"


def bundle_root() -> Path:
    """The folder holding models/ and resources/: inside the installed package, else the checkout."""
    bundled = resources.files("cutout_app") / BUNDLE_DIR_NAME
    # pip installs wheels unpacked, so the package's files are real files (onnxruntime and Qt need paths).
    if isinstance(bundled, Path) and bundled.is_dir():
        return bundled
    return PROJECT_ROOT


MODELS_DIR = bundle_root() / "models"
RESOURCES_DIR = bundle_root() / "resources"


def default_model_path() -> Path:
    """The model the app uses unless told otherwise: ``$CUTOUT_MODEL`` or the bundled one."""
    env = os.environ.get("CUTOUT_MODEL")
    return Path(env) if env else MODELS_DIR / BUNDLED_MODEL_NAME


def sample_photo_path() -> Path:
    """The bundled sample photo that the README's run command opens."""
    return RESOURCES_DIR / "samples" / "coffee.jpg"


def desktop_entry_path() -> Path:
    """The Linux desktop entry template (``cutout_app.desktop`` fills in the command)."""
    return RESOURCES_DIR / "cutout.desktop"


def icon_path() -> Path:
    """The app icon (SVG)."""
    return RESOURCES_DIR / "icons" / "cutout.svg"
