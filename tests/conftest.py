"""Shared fixtures: small real ONNX models exported by the tests themselves, and real photos on disk."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _export_tiny(path: Path, padding: str, depth: int, seed: int) -> Path:
    import torch

    from cutout_app.model.export_onnx import export_onnx
    from cutout_app.model.unet import UNet

    torch.manual_seed(seed)
    net = UNet(base_width=4, depth=depth, padding=padding).eval()
    info = net.info()
    tile = info.input_for_output(48) if padding == "valid" else 64
    return export_onnx(net, path, net.info(tile_size=tile, name="tiny-test", version="test", training_data="none (random weights)"))


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A valid-padded depth-2 U-Net with random weights (margin 20 px, tile 88 -> 48), as ONNX."""
    return _export_tiny(tmp_path_factory.mktemp("models") / "tiny-valid.onnx", "valid", 2, seed=1)


@pytest.fixture(scope="session")
def tiny_same_model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A same-padded depth-2 U-Net with random weights, as ONNX."""
    return _export_tiny(tmp_path_factory.mktemp("models") / "tiny-same.onnx", "same", 2, seed=2)


def make_photo(height: int = 120, width: int = 160, seed: int = 0) -> np.ndarray:
    """A small RGB uint8 'photo': a textured disc on a textured background."""
    rng = np.random.default_rng(seed)
    bg = rng.integers(0, 80, (height, width, 3), dtype=np.uint8)
    yy, xx = np.mgrid[:height, :width]
    disc = (yy - height / 2) ** 2 + (xx - width / 2) ** 2 < (min(height, width) / 3) ** 2
    fg = rng.integers(150, 255, (height, width, 3), dtype=np.uint8)
    return np.where(disc[..., None], fg, bg)


@pytest.fixture
def photo_rgb() -> np.ndarray:
    """A 120x160 RGB uint8 array."""
    return make_photo()


@pytest.fixture
def photo_path(tmp_path: Path) -> Path:
    """A real JPEG on disk made from :func:`make_photo`."""
    path = tmp_path / "photo.jpg"
    ok, data = cv2.imencode(".jpg", cv2.cvtColor(make_photo(), cv2.COLOR_RGB2BGR))
    assert ok
    path.write_bytes(data.tobytes())
    return path
