"""The U-Net of Ronneberger, Fischer and Brox (2015), with its padding mode, depth and width as parameters."""

from __future__ import annotations

import torch
from torch import nn

from cutout_app.core.inference import ModelInfo, Norm, Padding


class DoubleConv(nn.Sequential):
    """Two 3x3 convolutions, each followed by a ReLU (and BatchNorm before it with ``norm="batch"``)."""

    def __init__(self, in_channels: int, out_channels: int, padding: Padding, norm: Norm = "none") -> None:
        pad = 1 if padding == "same" else 0
        layers: list[nn.Module] = []
        for c_in in (in_channels, out_channels):
            layers.append(nn.Conv2d(c_in, out_channels, 3, padding=pad, bias=norm == "none"))
            if norm == "batch":
                layers.append(nn.BatchNorm2d(out_channels))
            layers.append(nn.ReLU(inplace=True))
        super().__init__(*layers)


def center_crop(skip: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """The paper's "copy and crop": the centre ``height`` x ``width`` of a skip connection."""
    top = (skip.shape[-2] - height) // 2
    left = (skip.shape[-1] - width) // 2
    return skip[..., top : top + height, left : left + width]


class UNet(nn.Module):
    """A U-Net that maps a batch (N, in_channels, H, W) to logits (N, out, H', W').

    The first three input channels are normalised RGB; more channels carry guidance (click maps,
    a previous or coarse mask). ``norm="batch"`` puts BatchNorm after every 3x3 convolution, which
    makes a from-scratch net start learning at once; the ONNX export folds it into the convolutions.

    ``depth`` is the number of 2x2 max-pool steps (4 in the paper) and ``base_width`` the channels of
    the first level (64 in the paper); each level doubles them. With ``padding="valid"`` the output
    is smaller than the input by ``2 * ModelInfo.margin`` (572 -> 388 for the paper's net); with
    ``"same"`` it has the input's size, which must be a multiple of ``2**depth``.
    """

    def __init__(
        self,
        in_channels: int = 3,
        out_channels: int = 1,
        base_width: int = 64,
        depth: int = 4,
        padding: Padding = "valid",
        norm: Norm = "none",
    ) -> None:
        super().__init__()
        if padding not in ("valid", "same"):
            raise ValueError(f"padding must be 'valid' or 'same', not {padding!r}")
        if norm not in ("none", "batch"):
            raise ValueError(f"norm must be 'none' or 'batch', not {norm!r}")
        self.padding: Padding = padding
        self.depth = depth
        self.base_width = base_width
        self.in_channels = in_channels
        self.norm: Norm = norm
        widths = [base_width * 2**i for i in range(depth + 1)]
        self.down = nn.ModuleList()
        channels = in_channels
        for width in widths[:-1]:
            self.down.append(DoubleConv(channels, width, padding, norm))
            channels = width
        self.pool = nn.MaxPool2d(2)
        self.bottom = DoubleConv(widths[-2], widths[-1], padding, norm)
        self.up = nn.ModuleList()
        self.up_conv = nn.ModuleList()
        for width in reversed(widths[:-1]):
            self.up.append(nn.ConvTranspose2d(width * 2, width, kernel_size=2, stride=2))
            self.up_conv.append(DoubleConv(width * 2, width, padding, norm))
        self.head = nn.Conv2d(widths[0], out_channels, kernel_size=1)

    def info(self, **fields: object) -> ModelInfo:
        """The :class:`ModelInfo` describing this network's geometry, with any other fields given."""
        return ModelInfo(padding=self.padding, depth=self.depth, base_width=self.base_width, norm=self.norm, **fields)  # type: ignore[arg-type]

    def config(self) -> dict[str, object]:
        """The constructor arguments that rebuild this network (saved in checkpoints)."""
        return {"in_channels": self.in_channels, "base_width": self.base_width, "depth": self.depth,
                "padding": self.padding, "norm": self.norm}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for block in self.down:
            x = block(x)
            skips.append(x)
            x = self.pool(x)
        x = self.bottom(x)
        for up, conv, skip in zip(self.up, self.up_conv, reversed(skips)):
            x = up(x)
            x = torch.cat([center_crop(skip, x.shape[-2], x.shape[-1]), x], dim=1)
            x = conv(x)
        return self.head(x)


class ProbabilityUNet(nn.Module):
    """The network as exported: normalised RGB (plus guidance channels) in, probability (sigmoid of the logits) out."""

    def __init__(self, net: UNet) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        if getattr(self.net, "candidates", 0):  # a global net with candidates also predicts each output's IoU
            logits, iou = self.net.forward_all(x)
            return torch.sigmoid(logits), torch.sigmoid(iou)
        return torch.sigmoid(self.net(x))
