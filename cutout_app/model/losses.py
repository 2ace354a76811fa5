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


def per_sample_loss(logits: torch.Tensor, target: torch.Tensor, smooth: float = 1.0) -> torch.Tensor:
    """:func:`segmentation_loss` of each sample (N,) of (N, 1, H, W) logits and targets, in float32."""
    logits = logits.float()
    bce = F.binary_cross_entropy_with_logits(logits, target, reduction="none").flatten(1).mean(1)
    prob, t = torch.sigmoid(logits).flatten(1), target.flatten(1)
    dice = (2 * (prob * t).sum(1) + smooth) / (prob.sum(1) + t.sum(1) + smooth)
    return bce + 1 - dice


def candidate_loss(logits: torch.Tensor, target: torch.Tensor, hints: torch.Tensor, hint_weight: float) -> torch.Tensor:
    """SAM's rule for K candidate logits (N, K, H, W) against one target (N, 1, H, W): each sample's loss is
    that of its best candidate (N,), plus ``hint_weight`` times that of the candidate its ``hints`` names
    (a Granularity index, or -1 for none), which gives each candidate a stable meaning (part, object,
    whole) and breaks the tie of candidates that start equal."""
    losses = torch.stack([per_sample_loss(logits[:, k : k + 1], target) for k in range(logits.shape[1])], dim=1)
    best = losses.min(dim=1).values
    known = hints >= 0
    hinted = losses.gather(1, hints.clamp_min(0).long().unsqueeze(1)).squeeze(1)
    return best + hint_weight * torch.where(known, hinted, torch.zeros_like(hinted))


def mask_iou(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """IoU at 0.5 of each of (N, K, H, W) logits with a (N, 1, H, W) target in [0, 1]: (N, K), no gradient."""
    with torch.no_grad():
        pred = logits.float() > 0
        truth = target >= 0.5
        inter = (pred & truth).flatten(2).sum(2).float()
        union = (pred | truth).flatten(2).sum(2).float()
        return torch.where(union > 0, inter / union.clamp_min(1), torch.ones_like(union))
