"""ONNX export: onnxruntime agrees with torch, sizes are dynamic, and the metadata survives the trip."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from cutout_app.core.errors import ModelError
from cutout_app.core.inference.model_info import METADATA_KEY, ModelInfo
from cutout_app.model.export_onnx import INPUT_NAME, export_onnx, max_abs_difference
from cutout_app.model.unet import ProbabilityUNet, UNet


def _export(tmp_path: Path, padding: str, depth: int = 2, width: int = 4) -> tuple[UNet, Path, ModelInfo]:
    torch.manual_seed(3)
    net = UNet(base_width=width, depth=depth, padding=padding).eval()
    tile = net.info().input_for_output(32) if padding == "valid" else 64
    info = net.info(tile_size=tile, name="test-net", version="7", training_data="nothing", extra={"val_iou": "0.5000"})
    return net, export_onnx(net, tmp_path / f"{padding}.onnx", info), info


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_onnxruntime_matches_torch(tmp_path: Path, padding: str) -> None:
    net, path, _ = _export(tmp_path, padding)
    assert max_abs_difference(net, path) < 1e-4


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_batch_height_and_width_are_dynamic(tmp_path: Path, padding: str) -> None:
    net, path, info = _export(tmp_path, padding)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    sizes = [(1, info.input_for_output(20), info.input_for_output(36)), (3, info.input_for_output(44), info.input_for_output(12))]
    for n, h, w in sizes:
        x = rng.standard_normal((n, 3, h, w)).astype(np.float32)
        got = session.run(None, {INPUT_NAME: x})[0]
        with torch.no_grad():
            expected = ProbabilityUNet(net)(torch.from_numpy(x)).numpy()
        assert got.shape == expected.shape == (n, 1, info.output_size(h), info.output_size(w))
        assert np.abs(got - expected).max() < 1e-4
        assert got.min() >= 0 and got.max() <= 1


def test_metadata_round_trip(tmp_path: Path) -> None:
    _, path, info = _export(tmp_path, "valid")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    meta = session.get_modelmeta().custom_metadata_map
    assert ModelInfo.from_json(meta[METADATA_KEY]) == info
    loaded = ModelInfo.from_json(meta[METADATA_KEY])
    assert (loaded.margin, loaded.tile_size, loaded.extra["val_iou"]) == (20, info.tile_size, "0.5000")
    assert json.loads(meta[METADATA_KEY])["margin"] == 20  # readable without cutout's code


def test_export_fixes_geometry_that_contradicts_the_net(tmp_path: Path) -> None:
    torch.manual_seed(0)
    net = UNet(base_width=4, depth=2, padding="valid").eval()
    wrong = replace(net.info(tile_size=92), depth=3, base_width=8)
    path = export_onnx(net, tmp_path / "m.onnx", wrong)
    stored = onnx.load(str(path)).metadata_props
    info = ModelInfo.from_json({p.key: p.value for p in stored}[METADATA_KEY])
    assert (info.depth, info.base_width, info.padding) == (2, 4, "valid")


@pytest.fixture(scope="module")
def valid_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _export(tmp_path_factory.mktemp("export"), "valid")[1]


def _with_metadata(src: Path, dst: Path, text: str) -> Path:
    model = onnx.load(str(src))
    for prop in model.metadata_props:
        if prop.key == METADATA_KEY:
            prop.value = text
    onnx.save(model, str(dst))
    return dst


@pytest.mark.parametrize(
    "text",
    [
        "{not json",
        "[1, 2]",
        '{"padding": "diagonal"}',
        '{"depth": 4, "tile_size": 570}',
        '{"mean": [0.5, 0.5]}',
        '{"format_version": 99}',
        '{"depth": 4, "margin": 20}',
    ],
)
def test_broken_metadata_raises_model_error(tmp_path: Path, valid_export: Path, text: str) -> None:
    broken = _with_metadata(valid_export, tmp_path / "broken.onnx", text)
    session = ort.InferenceSession(str(broken), providers=["CPUExecutionProvider"])
    with pytest.raises(ModelError):
        ModelInfo.from_json(session.get_modelmeta().custom_metadata_map[METADATA_KEY])
