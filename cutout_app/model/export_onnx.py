"""Export a U-Net to ONNX with cutout's metadata inside, and check onnxruntime agrees with torch."""

from __future__ import annotations

import os
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import onnx
import torch

from cutout_app.core.errors import ModelError
from cutout_app.core.inference import METADATA_KEY, ModelInfo
from cutout_app.model.checkpoint import Net
from cutout_app.model.unet import ProbabilityUNet

INPUT_NAME = "image"
OUTPUT_NAME = "probability"
#: The second output of a global net with candidates: each output's predicted IoU, (N, 1 + K).
SCORES_NAME = "scores"
OPSET = 17


def export_onnx(net: Net, path: str | Path, info: ModelInfo | None = None) -> Path:
    """Write ``net`` as an ONNX graph with dynamic batch, height and width and ``info`` as metadata.

    The graph takes the channels ``info.channels`` names, normalised RGB first, (N, C, H, W) float32,
    and returns probabilities (N, 1, H', W'): (N, 1 + K, H', W') and the predicted IoU of each output
    (N, 1 + K) for a global net with K candidates. The file is written atomically. Returns ``path``.
    Raises :class:`ModelError` if the net's input channels do not match ``info``'s role.
    """
    path = Path(path)
    geometry = net.info()
    info = info or geometry
    fields = ("padding", "depth", "base_width", "norm", "encoder")
    if any(getattr(info, f) != getattr(geometry, f) for f in fields):
        info = replace(info, **{f: getattr(geometry, f) for f in fields})
    if len(info.channels) != net.in_channels:
        raise ModelError(f"A {info.role} model takes {len(info.channels)} input channels; this U-Net takes {net.in_channels}")
    wrapper = ProbabilityUNet(net).eval()
    example = torch.zeros(1, net.in_channels, info.tile_size, info.tile_size)
    outputs = [OUTPUT_NAME] + ([SCORES_NAME] if getattr(net, "candidates", 0) else [])
    axes = {INPUT_NAME: {0: "batch", 2: "height", 3: "width"}, OUTPUT_NAME: {0: "batch", 2: "out_height", 3: "out_width"}}
    if len(outputs) > 1:
        axes[SCORES_NAME] = {0: "batch"}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # The TorchScript exporter gives a plain graph of Conv/Relu/MaxPool/ConvTranspose/Concat/Slice
        # that every onnxruntime provider runs natively.
        torch.onnx.export(
            wrapper,
            (example,),
            str(tmp),
            dynamo=False,
            opset_version=OPSET,
            input_names=[INPUT_NAME],
            output_names=outputs,
            dynamic_axes=axes,
        )
    model = onnx.load(str(tmp))
    del model.metadata_props[:]
    entry = model.metadata_props.add()
    entry.key, entry.value = METADATA_KEY, info.to_json()
    model.producer_name = "cutout"
    body = f"on {info.encoder}" if info.encoder else f"({info.padding}, depth {info.depth}, width {info.base_width})"
    model.doc_string = f"{info.name} {info.version}: {info.role} U-Net {body}"
    onnx.checker.check_model(model)
    onnx.save(model, str(tmp))
    os.replace(tmp, path)
    return path


def max_abs_difference(net: Net, onnx_path: str | Path, size: int | None = None, seed: int = 0) -> float:
    """Largest absolute difference between torch and onnxruntime (CPU) outputs on random input."""
    import onnxruntime as ort

    geometry = net.info()
    info_size = size or geometry.input_for_output(64)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, net.in_channels, info_size, info_size + geometry.alignment)).astype(np.float32)
    with torch.no_grad():
        expected = ProbabilityUNet(net).eval()(torch.from_numpy(x))
    expected_all = [t.numpy() for t in (expected if isinstance(expected, tuple) else (expected,))]
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    got_all = session.run(None, {INPUT_NAME: x})
    worst = 0.0
    for got, want in zip(got_all, expected_all, strict=True):
        if got.shape != want.shape:
            raise AssertionError(f"onnxruntime gave shape {got.shape}, torch {want.shape}")
        worst = max(worst, float(np.max(np.abs(got - want))))
    return worst
