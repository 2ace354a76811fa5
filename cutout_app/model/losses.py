"""Training losses: BCE-with-logits plus soft Dice, computed in float32 whatever the autocast."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def soft_dice_loss(logits: torch.Tensor, target: torch.Tensor, smooth: float = 1.0) -> torch.Tensor:
    """1 - soft Dice coefficient per image, averaged over the batch."""
    prob = torch.sigmoid(logits).flatten(1)
    t = target.flatten(1)
    dice = (2 * (prob * t).sum(1) + smooth) / (prob.sum(1) + t.sum(1) + smooth)
    return (1 - dice).mean()


def segmentation_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """BCE-with-logits plus soft Dice, in float32; ``target`` is in [0, 1] (soft at anti-aliased edges)."""
    logits = logits.float()
    return F.binary_cross_entropy_with_logits(logits, target) + soft_dice_loss(logits, target)
