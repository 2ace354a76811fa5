"""Turning uint8 photos into the nets' input on the training device: normalisation and colour jitter."""

from __future__ import annotations

import torch

from cutout_app.core.inference import ModelInfo


def normalise(images: torch.Tensor, info: ModelInfo) -> torch.Tensor:
    """uint8 (N, H, W, 3) RGB -> float (N, 3, H, W) as the engine feeds the model: (rgb/255 - mean) / std."""
    x = images.permute(0, 3, 1, 2).float().div_(255.0)
    mean = torch.tensor(info.mean, device=x.device).view(1, 3, 1, 1)
    std = torch.tensor(info.std, device=x.device).view(1, 3, 1, 1)
    return (x - mean) / std


def colour_jitter(images: torch.Tensor, strength: float = 1.0) -> torch.Tensor:
    """Small random brightness, contrast, saturation and white-balance changes of uint8 (N, H, W, 3) images."""
    n = images.shape[0]
    dev = images.device
    x = images.float() / 255.0

    def rand(lo: float, hi: float, *shape: int) -> torch.Tensor:
        return lo + (hi - lo) * torch.rand(n, *shape, device=dev)

    s = strength
    x = x * rand(1 - 0.15 * s, 1 + 0.15 * s, 1, 1, 1)
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    x = (x - mean) * rand(1 - 0.2 * s, 1 + 0.2 * s, 1, 1, 1) + mean
    gray = x.mean(dim=3, keepdim=True)
    x = (x - gray) * rand(1 - 0.25 * s, 1 + 0.25 * s, 1, 1, 1) + gray
    x = x * rand(1 - 0.05 * s, 1 + 0.05 * s, 1, 1, 3)
    return (x.clamp_(0, 1) * 255.0 + 0.5).to(torch.uint8)
