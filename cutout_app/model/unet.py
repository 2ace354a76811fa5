"""The U-Net of Ronneberger, Fischer and Brox (2015), with its padding mode, depth and width as parameters."""

from __future__ import annotations

import torch
from torch import nn

from cutout_app.core.model_info import ModelInfo, Padding


class DoubleConv(nn.Sequential):
    """Two 3x3 convolutions, each followed by a ReLU."""

    def __init__(self, in_channels: int, out_channels: int, padding: Padding) -> None:
        pad = 1 if padding == "same" else 0
        super().__init__(
            nn.Conv2d(in_channels, out_channels, 3, padding=pad),
            nn.ReLU(inplace=True),
            nn.Conv2d(out_channels, out_channels, 3, padding=pad),
            nn.ReLU(inplace=True),
        )


def center_crop(skip: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """The paper's "copy and crop": the centre ``height`` x ``width`` of a skip connection."""
    top = (skip.shape[-2] - height) // 2
    left = (skip.shape[-1] - width) // 2
    return skip[..., top : top + height, left : left + width]


class UNet(nn.Module):
    """A U-Net that maps an RGB batch (N, in, H, W) to logits (N, out, H', W').

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
    ) -> None:
        super().__init__()
        if padding not in ("valid", "same"):
            raise ValueError(f"padding must be 'valid' or 'same', not {padding!r}")
        self.padding: Padding = padding
        self.depth = depth
        self.base_width = base_width
        widths = [base_width * 2**i for i in range(depth + 1)]
        self.down = nn.ModuleList()
        channels = in_channels
        for width in widths[:-1]:
            self.down.append(DoubleConv(channels, width, padding))
            channels = width
        self.pool = nn.MaxPool2d(2)
        self.bottom = DoubleConv(widths[-2], widths[-1], padding)
        self.up = nn.ModuleList()
        self.up_conv = nn.ModuleList()
        for width in reversed(widths[:-1]):
            self.up.append(nn.ConvTranspose2d(width * 2, width, kernel_size=2, stride=2))
            self.up_conv.append(DoubleConv(width * 2, width, padding))
        self.head = nn.Conv2d(widths[0], out_channels, kernel_size=1)

    def info(self, **fields: object) -> ModelInfo:
        """The :class:`ModelInfo` describing this network's geometry, with any other fields given."""
        return ModelInfo(padding=self.padding, depth=self.depth, base_width=self.base_width, **fields)  # type: ignore[arg-type]

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
    """The network as exported: normalised RGB in, foreground probability (sigmoid of the logits) out."""

    def __init__(self, net: UNet) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.net(x))
