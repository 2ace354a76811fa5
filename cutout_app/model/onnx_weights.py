"""A trainable global net rebuilt from its exported ONNX file, so that a bundled model can be fine-tuned.

The export folds every BatchNorm into the convolution before it, so the ONNX file holds one weight and
one bias per convolution and no normalisation statistics. :func:`net_from_onnx` puts them back into an
:class:`EncoderUNet` of the same shape: each convolution gets its folded weight, and the BatchNorm after
it becomes the identity plus the folded bias (weight 1, mean 0, variance 1 - eps). In eval mode the net
then computes exactly what the ONNX file does. Training it with batch statistics would undo the folding,
so either the statistics stay frozen (:func:`freeze_batchnorm`), or :func:`calibrate_batchnorm` first
measures what each BatchNorm sees on real inputs and rewrites it as the same function of those
statistics, after which it trains as any BatchNorm does.

The convolutions are matched in the order the graph runs them, which is the order torch's tracer wrote
them; every shape is checked, so a file of another architecture is refused rather than half loaded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from torch import nn

from cutout_app.core.errors import ModelError
from cutout_app.core.inference import METADATA_KEY, ModelInfo
from cutout_app.model.encoder_unet import EncoderUNet


def onnx_info(path: str | Path) -> ModelInfo:
    """The cutout metadata of an ONNX file."""
    model = onnx.load(str(path), load_external_data=False)
    for entry in model.metadata_props:
        if entry.key == METADATA_KEY:
            return ModelInfo.from_json(entry.value)
    raise ModelError(f"'{path}' has no cutout metadata")


def net_from_onnx(path: str | Path, candidates: int = 0) -> EncoderUNet:
    """The global net of ``path`` as an :class:`EncoderUNet` (eval mode), with ``candidates`` new candidate
    outputs (zero-initialised: copies of output 0) when the file has none."""
    path = Path(path)
    info = onnx_info(path)
    if info.role != "global" or not info.encoder:
        raise ModelError(f"'{path}' is not a global net on a pretrained encoder")
    model = onnx.load(str(path))
    weights = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    convs = [(weights.get(n.input[1]), weights.get(n.input[2]) if len(n.input) > 2 else None)
             for n in model.graph.node if n.op_type == "Conv"]
    source = EncoderUNet(info.encoder, in_channels=len(info.channels), candidates=info.candidates)
    order = _run_order(source, len(info.channels))
    torch_convs = [m for m in order if isinstance(m, nn.Conv2d)]
    if len(torch_convs) != len(convs):
        raise ModelError(f"'{path}' has {len(convs)} convolutions where this net has {len(torch_convs)}")
    with torch.no_grad():
        for k, module in enumerate(order):
            if not isinstance(module, nn.Conv2d):
                continue
            weight, bias = convs[torch_convs.index(module)]
            if weight is None or tuple(weight.shape) != tuple(module.weight.shape):
                raise ModelError(f"'{path}' does not match this net's convolutions (shape {None if weight is None else weight.shape})")
            module.weight.copy_(torch.from_numpy(np.array(weight)))
            bias_t = torch.from_numpy(np.array(bias)) if bias is not None else torch.zeros(module.out_channels)
            after = order[k + 1] if k + 1 < len(order) else None
            if isinstance(after, nn.BatchNorm2d):
                after.weight.fill_(1.0)
                after.bias.copy_(bias_t)
                after.running_mean.zero_()
                after.running_var.fill_(1.0 - after.eps)
            elif module.bias is not None:
                module.bias.copy_(bias_t)
    _load_iou_head(source, model, weights)
    if candidates and not info.candidates:
        net = EncoderUNet(info.encoder, in_channels=len(info.channels), candidates=candidates)
        missing, unexpected = net.load_state_dict(source.state_dict(), strict=False)
        if unexpected or any(not name.startswith(("cand_", "iou_head")) for name in missing):
            raise ModelError(f"'{path}' does not fit a net with candidates")
        source = net
    return source.eval()


def _run_order(net: EncoderUNet, channels: int) -> list[nn.Module]:
    """The net's convolutions and BatchNorms in the order a forward pass runs them."""
    order: list[nn.Module] = []
    hooks = [m.register_forward_hook(lambda module, *_: order.append(module))
             for m in net.modules() if isinstance(m, (nn.Conv2d, nn.BatchNorm2d))]
    try:
        with torch.no_grad():
            net.eval()(torch.zeros(1, channels, 64, 64))
    finally:
        for hook in hooks:
            hook.remove()
    return order


def _load_iou_head(net: EncoderUNet, model: onnx.ModelProto, weights: dict[str, np.ndarray]) -> None:
    """The IoU head's two linear layers (Gemm nodes, in order), where the net has one."""
    if not net.candidates:
        return
    linears = [m for m in net.iou_head if isinstance(m, nn.Linear)]
    gemms = [n for n in model.graph.node if n.op_type == "Gemm"]
    if len(gemms) != len(linears):
        raise ModelError("the ONNX file's IoU head does not match this net's")
    with torch.no_grad():
        for linear, node in zip(linears, gemms):
            weight, bias = weights[node.input[1]], weights[node.input[2]]
            transposed = any(a.name == "transB" and a.i == 1 for a in node.attribute)
            linear.weight.copy_(torch.from_numpy(np.array(weight if transposed else weight.T)))
            linear.bias.copy_(torch.from_numpy(np.array(bias)))


@torch.no_grad()
def calibrate_batchnorm(net: nn.Module, inputs: Iterable[torch.Tensor]) -> None:
    """Give every BatchNorm of a net from :func:`net_from_onnx` real statistics, keeping its function.

    Runs ``inputs`` through the net in eval mode (the BatchNorms still identity plus bias), measures each
    BatchNorm's input mean m and variance v per channel, then sets running mean m, running variance v,
    weight sqrt(v + eps) and bias m + b: in eval mode the same x + b as before, and in training mode
    batch statistics near m and v give nearly that too.
    """
    norms = [m for m in net.modules() if isinstance(m, nn.BatchNorm2d)]
    sums: dict[nn.Module, list[torch.Tensor]] = {}

    def record(module: nn.Module, args: tuple[torch.Tensor, ...]) -> None:
        x = args[0].float()
        acc = sums.setdefault(module, [torch.zeros(x.shape[1], dtype=torch.float64)] * 2 + [torch.zeros((), dtype=torch.float64)])
        acc[0] = acc[0] + x.sum(dim=(0, 2, 3)).double()
        acc[1] = acc[1] + (x * x).sum(dim=(0, 2, 3)).double()
        acc[2] = acc[2] + x.numel() / x.shape[1]

    hooks = [m.register_forward_pre_hook(record) for m in norms]
    was_training = net.training
    try:
        net.eval()
        for x in inputs:
            net(x)
    finally:
        for hook in hooks:
            hook.remove()
        net.train(was_training)
    for module in norms:
        if module not in sums:
            continue
        total, squares, count = sums[module]
        mean = total / count
        var = (squares / count - mean * mean).clamp_min(0.0)
        bias = module.bias.double().clone()  # the folded bias b of the identity form
        module.running_mean.copy_(mean.float())
        module.running_var.copy_(var.float())
        module.weight.copy_(torch.sqrt(var + module.eps).float())
        module.bias.copy_((mean + bias).float())


def freeze_batchnorm(net: nn.Module) -> None:
    """Keep every BatchNorm of ``net`` in eval mode from now on, whatever ``net.train()`` says: running
    statistics fixed, weight and bias still learning."""
    for module in net.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.train = _stay_in_eval.__get__(module)  # type: ignore[method-assign]
            module.eval()


def _stay_in_eval(self: nn.Module, mode: bool = True) -> nn.Module:
    return nn.Module.train(self, False)
