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


def wire_shallow_path(net, channels: dict[int, float], bias: float) -> None:
    """Hand-set a U-Net (BatchNorm, no other weights) so that its logit is ``bias + sum(w * input[c])``.

    Every weight is zeroed except a centre-tap path through the first level's convolutions, the skip
    connection and the last level's convolutions to the head; a disk in a guidance channel then comes
    out as a disk in the probability. Tests use it for models whose clicks and coarse masks act visibly.
    """
    import torch

    with torch.no_grad():
        for param in net.parameters():
            param.zero_()
        for module in net.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.weight.fill_(1.0)
        first, last = net.down[0], net.up_conv[-1]
        for out_c, in_c in enumerate(channels):
            first[0].weight[out_c, in_c, 1, 1] = 1.0
            first[3].weight[out_c, out_c, 1, 1] = 1.0
            last[0].weight[out_c, out_c, 1, 1] = 1.0  # the skip comes first in the concatenation
            last[3].weight[out_c, out_c, 1, 1] = 1.0
            net.head.weight[0, out_c, 0, 0] = list(channels.values())[out_c]
        net.head.bias[0] = bias


def open_two_stage(folder: Path, threads: int = 1):  # noqa: ANN201 (CutoutModel, imported late like the rest)
    """The two-stage model folder ``folder`` opened on the CPU, checked to be one."""
    from cutout_app.core.inference.two_stage import CutoutModel, open_model

    model = open_model(folder, provider="cpu", threads=threads)
    assert isinstance(model, CutoutModel)
    return model


def export_tiny_two_stage(folder: Path, seed: int = 3, wired: bool = True) -> Path:
    """A two-stage model folder of tiny nets: global (same padding, depth 2, S 64) and refiner (valid, depth 2).

    ``wired``: the global net's mask is the keep-click disks plus the previous mask, less the remove-click
    disks, and the refiner passes the coarse mask through (see :func:`wire_shallow_path`); otherwise
    the weights are random.
    """
    import torch

    from cutout_app.core.inference.two_stage import GLOBAL_FILE, REFINER_FILE
    from cutout_app.model.export_onnx import export_onnx
    from cutout_app.model.unet import UNet

    torch.manual_seed(seed)
    folder.mkdir(parents=True, exist_ok=True)
    glob = UNet(in_channels=6, base_width=4, depth=2, padding="same", norm="batch").eval()
    ref = UNet(in_channels=4, base_width=4, depth=2, padding="valid", norm="batch").eval()
    if wired:
        wire_shallow_path(glob, {3: 10.0, 4: -20.0, 5: 10.0}, -5.0)
        wire_shallow_path(ref, {3: 10.0}, -5.0)
    note = "none (hand-wired weights)" if wired else "none (random weights)"
    export_onnx(glob, folder / GLOBAL_FILE, glob.info(role="global", input_size=64, tile_size=64, click_radius=3.0,
                                                      name="tiny-two-stage", version="test", training_data=note))
    export_onnx(ref, folder / REFINER_FILE, ref.info(role="refiner", tile_size=ref.info().input_for_output(48),
                                                     name="tiny-two-stage", version="test", training_data=note))
    return folder


def export_object_two_stage(folder: Path) -> Path:
    """A two-stage model folder of tiny hand-wired nets whose global net also finds the bright disc of
    :func:`make_photo` on its own: its mask is the bright pixels (each RGB channel above the normalisation's mean)
    plus the keep-click disks and the previous mask, less the remove-click disks; the refiner passes the coarse
    mask through. A box around part of the disc finds the part inside the box."""
    import torch

    from cutout_app.core.inference.two_stage import GLOBAL_FILE, REFINER_FILE
    from cutout_app.model.export_onnx import export_onnx
    from cutout_app.model.unet import UNet

    torch.manual_seed(4)
    folder.mkdir(parents=True, exist_ok=True)
    glob = UNet(in_channels=6, base_width=6, depth=2, padding="same", norm="batch").eval()
    ref = UNet(in_channels=4, base_width=4, depth=2, padding="valid", norm="batch").eval()
    wire_shallow_path(glob, {0: 5.0, 1: 5.0, 2: 5.0, 3: 10.0, 4: -20.0, 5: 10.0}, -5.0)
    wire_shallow_path(ref, {3: 10.0}, -5.0)
    note = "none (hand-wired weights)"
    export_onnx(glob, folder / GLOBAL_FILE, glob.info(role="global", input_size=64, tile_size=64, click_radius=3.0,
                                                      name="tiny-object", version="test", training_data=note))
    export_onnx(ref, folder / REFINER_FILE, ref.info(role="refiner", tile_size=ref.info().input_for_output(48),
                                                     name="tiny-object", version="test", training_data=note))
    return folder


def export_candidates_two_stage(folder: Path, seed: int = 5) -> Path:
    """A two-stage model folder whose global net has 3 candidates: a random EncoderUNet (efficientnet-lite0, input
    64, click radius 3) with non-zero candidate layers, so that the candidates differ, and the wired tiny refiner
    of :func:`export_tiny_two_stage` (it passes the coarse mask through)."""
    import torch

    from cutout_app.core.inference.two_stage import GLOBAL_FILE
    from cutout_app.model.encoder_unet import EncoderUNet
    from cutout_app.model.export_onnx import export_onnx

    export_tiny_two_stage(folder, seed=seed)
    torch.manual_seed(seed)
    net = EncoderUNet("efficientnet-lite0", in_channels=6, candidates=3).eval()
    with torch.no_grad():
        for conv in (net.cand_coarse, net.cand_fine):
            conv.weight.normal_(0, 0.5)
            conv.bias.normal_(0, 1.0)
    export_onnx(net, folder / GLOBAL_FILE, net.info(role="global", input_size=64, tile_size=64, click_radius=3.0,
                                                    name="tiny-candidates", version="test",
                                                    training_data="none (random weights)"))
    return folder


@pytest.fixture(scope="session")
def tiny_two_stage_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A two-stage model folder of tiny hand-wired nets: the mask follows the clicks (see export_tiny_two_stage)."""
    return export_tiny_two_stage(tmp_path_factory.mktemp("models") / "tiny-two-stage")


@pytest.fixture(scope="session")
def tiny_random_two_stage_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A two-stage model folder of tiny nets with random weights."""
    return export_tiny_two_stage(tmp_path_factory.mktemp("models") / "tiny-random-two-stage", wired=False)


@pytest.fixture(scope="session")
def tiny_object_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A two-stage model folder of tiny hand-wired nets that find the bright disc (see export_object_two_stage)."""
    return export_object_two_stage(tmp_path_factory.mktemp("models") / "tiny-object")


@pytest.fixture(scope="session")
def tiny_candidates_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A two-stage model folder whose global net answers a first click with 3 candidates (see
    export_candidates_two_stage)."""
    return export_candidates_two_stage(tmp_path_factory.mktemp("models") / "tiny-candidates")


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


def write_photo(path: Path, seed: int = 1, height: int = 60, width: int = 80) -> Path:
    """:func:`make_photo` encoded as ``path``'s format (by its suffix) and written there; parents created."""
    path.parent.mkdir(parents=True, exist_ok=True)
    ok, data = cv2.imencode(path.suffix, cv2.cvtColor(make_photo(height, width, seed), cv2.COLOR_RGB2BGR))
    assert ok
    path.write_bytes(data.tobytes())
    return path


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
