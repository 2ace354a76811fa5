"""Where cutout finds its bundled model and resources."""

from __future__ import annotations

import os
from pathlib import Path

#: The project root of a source checkout (``pip install -e .``), holding models/ and resources/.
PROJECT_ROOT = Path(__file__).resolve().parents[2]
MODELS_DIR = PROJECT_ROOT / "models"
RESOURCES_DIR = PROJECT_ROOT / "resources"
BUNDLED_MODEL_NAME = "cutout-unet.onnx"


def default_model_path() -> Path:
    """The model the app uses unless told otherwise: ``$CUTOUT_MODEL`` or the bundled one."""
    env = os.environ.get("CUTOUT_MODEL")
    return Path(env) if env else MODELS_DIR / BUNDLED_MODEL_NAME


def sample_photo_path() -> Path:
    """The bundled sample photo that the README's run command opens."""
    return RESOURCES_DIR / "samples" / "coffee.jpg"
