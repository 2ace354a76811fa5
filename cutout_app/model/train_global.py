"""Training the global net: the whole photo at ``input_size`` px, with simulated clicks and mask feedback.

The decoded data set is held in memory at the training size, so that every second trains. Each batch:

- a share of it (``auto_share``) gets no clicks and no previous mask: automatic mode, the main subject;
- the rest gets 1..N positive clicks inside the subject and 0..N negative ones outside it, then
  0..``max_rounds`` rounds of iterative training (Sofiiuk et al. 2021, "Reviving Iterative Training with
  Mask Guidance for Interactive Segmentation"): the net predicts without gradients, the simulator puts the
  next click in its largest error region (``core.clicks.next_click``), and its prediction becomes the
  previous-mask input.

Augmentation: a random crop (or the whole photo), resized to the long side ``input_size``, mirror-padded
to a square, flips and colour jitter. Loss: BCE + soft Dice (``train.segmentation_loss``). AdamW with
warm-up and a cosine schedule that follows ``time_budget_s`` when one is set. ``best.pt`` (by
validation IoU in automatic mode) and ``last.pt`` are written every ``checkpoint_every_s`` seconds, so a
run cut off keeps its best.
"""

from __future__ import annotations

import json
import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import cv2
import numpy as np
import torch

from cutout_app.core.clicks import Click, click_maps, next_click
from cutout_app.core.datasets import VAL_FRACTION
from cutout_app.core.errors import CutoutError
from cutout_app.core.model_info import ModelInfo
from cutout_app.core.progress import CancelToken, ProgressCallback
from cutout_app.model.checkpoint import save_checkpoint
from cutout_app.model.train import (
    CHECKPOINT_NAME,
    HISTORY_NAME,
    Pair,
    plain_config,
    colour_jitter,
    find_pairs,
    learning_rate,
    load_weights,
    normalise,
    read_pair,
    resolve_device,
    segmentation_loss,
    split_pairs,
)
from cutout_app.model.unet import UNet

#: The latest checkpoint beside ``best.pt`` (``train.CHECKPOINT_NAME``), written at every check.
LAST_NAME = "last.pt"


@dataclass
class GlobalTrainConfig:
    """Everything a global-net training run needs; checkpoints go to ``out/best.pt`` and ``out/last.pt``."""

    data_dirs: list[Path]
    out: Path
    input_size: int = 192
    base_width: int = 16
    depth: int = 5
    batch_size: int = 16
    lr: float = 2e-3
    weight_decay: float = 1e-4
    val_fraction: float = VAL_FRACTION
    seed: int = 0
    device: str = "auto"
    #: Stop after this many seconds (the cosine schedule follows the clock); None: after ``max_steps``.
    time_budget_s: float | None = None
    max_steps: int = 10_000
    auto_share: float = 0.4
    max_positive: int = 3
    max_negative: int = 3
    max_rounds: int = 3
    click_radius: float = 4.0
    init: Path | None = None
    name: str = "cutout-global"
    version: str = "1"
    training_data_note: str = ""
    checkpoint_every_s: float = 600.0
    val_count: int = 400
    threads: int = 0  # torch CPU threads; 0: torch's default


@dataclass
class GlobalTrainResult:
    """What a finished run produced."""

    checkpoint: Path
    best_val_iou: float
    steps: int
    seconds: float
    n_train: int
    n_val: int
    history: list[dict[str, float]] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# Data in memory and its augmentation (numpy)
# --------------------------------------------------------------------------------------------


def fit_long_side(rgb: np.ndarray, mask: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Both arrays resized so that the long side is ``size`` (area filter down, linear up)."""
    h, w = mask.shape
    scale = size / max(h, w)
    if scale == 1:
        return rgb, mask
    dsize = (max(1, round(w * scale)), max(1, round(h * scale)))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return cv2.resize(rgb, dsize, interpolation=interp), cv2.resize(mask, dsize, interpolation=interp)


def load_set(pairs: Sequence[Pair], size: int, threads: int = 4) -> list[tuple[np.ndarray, np.ndarray]]:
    """Decode every pair and keep it at long side ``size`` (uint8), in memory."""

    def load(pair: Pair) -> tuple[np.ndarray, np.ndarray]:
        return fit_long_side(*read_pair(pair), size)

    with ThreadPoolExecutor(max(1, threads)) as pool:
        return list(pool.map(load, pairs))


def pad_square(rgb: np.ndarray, mask: np.ndarray, size: int, top: int = 0, left: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Mirror-pad both arrays to ``size`` x ``size`` with the content at (``top``, ``left``)."""
    h, w = mask.shape
    border = (top, size - h - top, left, size - w - left)
    return (cv2.copyMakeBorder(rgb, *border, cv2.BORDER_REFLECT_101), cv2.copyMakeBorder(mask, *border, cv2.BORDER_REFLECT_101))


def random_view(rgb: np.ndarray, mask: np.ndarray, size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A training view: the whole photo or a random crop of it, resized to long side ``size``, padded square, flipped."""
    h, w = mask.shape
    if rng.random() < 0.6:
        area = rng.uniform(0.35, 1.0) * h * w
        aspect = (w / h) * math.exp(rng.uniform(-0.3, 0.3))
        ch = int(min(h, max(8, round(math.sqrt(area / aspect)))))
        cw = int(min(w, max(8, round(ch * aspect))))
        y0, x0 = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
        rgb, mask = rgb[y0 : y0 + ch, x0 : x0 + cw], mask[y0 : y0 + ch, x0 : x0 + cw]
    rgb, mask = fit_long_side(rgb, mask, size)
    if rng.random() < 0.5:
        rgb, mask = rgb[:, ::-1], mask[:, ::-1]
    h, w = mask.shape
    top, left = int(rng.integers(0, size - h + 1)), int(rng.integers(0, size - w + 1))
    return pad_square(np.ascontiguousarray(rgb), np.ascontiguousarray(mask), size, top, left)


def initial_clicks(mask: np.ndarray, rng: np.random.Generator, max_positive: int, max_negative: int) -> list[Click]:
    """1..``max_positive`` clicks well inside the subject and 0..``max_negative`` outside it, near it or anywhere."""
    fg = mask >= 128
    clicks: list[Click] = []
    if fg.any():
        dist = cv2.distanceTransform(np.pad(fg.astype(np.uint8), 1), cv2.DIST_L2, 5)[1:-1, 1:-1]
        ys, xs = np.nonzero(dist >= max(1.0, 0.25 * float(dist.max())))
        for i in rng.choice(len(ys), size=min(len(ys), int(rng.integers(1, max_positive + 1))), replace=False):
            clicks.append(Click(float(xs[i]), float(ys[i]), True))
    bg = ~fg
    n_neg = int(rng.integers(0, max_negative + 1))
    if bg.any() and n_neg:
        dist = cv2.distanceTransform(np.pad(bg.astype(np.uint8), 1), cv2.DIST_L2, 5)[1:-1, 1:-1]
        near = (dist >= 3) & (dist <= 40)
        ys, xs = np.nonzero(near if near.any() and rng.random() < 0.7 else bg)
        for i in rng.choice(len(ys), size=min(len(ys), n_neg), replace=False):
            clicks.append(Click(float(xs[i]), float(ys[i]), False))
    return clicks


# --------------------------------------------------------------------------------------------
# Net inputs (torch)
# --------------------------------------------------------------------------------------------


def global_input(
    images: torch.Tensor, clicks: Sequence[Sequence[Click]], previous: torch.Tensor, info: ModelInfo
) -> torch.Tensor:
    """The global net's input (N, 6, S, S): normalised RGB, positive and negative click maps, previous mask."""
    n, h, w, _ = images.shape
    maps = np.stack([click_maps(c, h, w, info.click_radius) for c in clicks]) if n else np.zeros((0, 2, h, w), np.float32)
    guidance = torch.from_numpy(maps).to(images.device)
    return torch.cat([normalise(images, info), guidance, previous], dim=1)


@torch.no_grad()
def _predict(net: torch.nn.Module, x: torch.Tensor) -> np.ndarray:
    return torch.sigmoid(net(x)).squeeze(1).cpu().numpy()


def add_feedback_clicks(
    net: torch.nn.Module,
    images: torch.Tensor,
    masks: np.ndarray,
    clicks: list[list[Click]],
    rounds: int,
    info: ModelInfo,
) -> torch.Tensor:
    """Run ``rounds`` of iterative training's click loop in place on ``clicks``; returns the previous-mask input."""
    n, h, w, _ = images.shape
    previous = torch.zeros(n, 1, h, w, device=images.device)
    for _ in range(rounds):
        prob = _predict(net, global_input(images, clicks, previous, info))
        for i in range(n):
            click = next_click(prob[i], masks[i])
            if click is not None:
                clicks[i].append(click)
        previous = torch.from_numpy(prob).unsqueeze(1).to(images.device)
    return previous


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


@torch.no_grad()
def validate(
    net: torch.nn.Module, views: Sequence[tuple[np.ndarray, np.ndarray, tuple[int, int]]], info: ModelInfo,
    device: torch.device, batch_size: int, clicks: int = 0,
) -> float:
    """Mean IoU over ``views`` (padded square, with the content's size), after ``clicks`` simulated clicks."""
    net.eval()
    ious = []
    for start in range(0, len(views), batch_size):
        chunk = views[start : start + batch_size]
        images = torch.from_numpy(np.stack([v[0] for v in chunk])).to(device)
        masks = np.stack([v[1] for v in chunk])
        chunk_clicks: list[list[Click]] = [[] for _ in chunk]
        previous = torch.zeros(len(chunk), 1, *masks.shape[1:], device=device)
        prob = _predict(net, global_input(images, chunk_clicks, previous, info))
        for _ in range(clicks):
            for i in range(len(chunk)):
                h, w = chunk[i][2]
                click = next_click(prob[i, :h, :w], masks[i, :h, :w])
                if click is not None:
                    chunk_clicks[i].append(click)
            previous = torch.from_numpy(prob).unsqueeze(1).to(device)
            prob = _predict(net, global_input(images, chunk_clicks, previous, info))
        for i, (_, mask, (h, w)) in enumerate(chunk):
            p, t = prob[i, :h, :w] >= 0.5, mask[:h, :w] >= 128
            union = np.count_nonzero(p | t)
            ious.append(1.0 if union == 0 else np.count_nonzero(p & t) / union)
    net.train()
    return float(np.mean(ious)) if ious else float("nan")


def validation_views(data: Sequence[tuple[np.ndarray, np.ndarray]], size: int) -> list[tuple[np.ndarray, np.ndarray, tuple[int, int]]]:
    """Each validation photo at long side ``size``, padded to a square at the top left as the engine pads it."""
    views = []
    for rgb, mask in data:
        rgb, mask = fit_long_side(rgb, mask, size)
        views.append((*pad_square(rgb, mask, size), mask.shape))
    return views


# --------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------


def train_global(
    config: GlobalTrainConfig,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    log: Callable[[str], None] = print,
) -> GlobalTrainResult:
    """Train the global net as ``config`` says; keeps ``best.pt`` (validation IoU, automatic mode) and ``last.pt``."""
    started = time.perf_counter()
    if config.input_size % 2**config.depth:
        raise CutoutError(f"input size {config.input_size} must be a multiple of {2**config.depth}")
    if config.threads:
        torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    device = resolve_device(config.device)
    net = UNet(in_channels=6, base_width=config.base_width, depth=config.depth, padding="same", norm="batch")
    info = net.info(role="global", input_size=config.input_size, click_radius=config.click_radius,
                    tile_size=config.input_size, name=config.name, version=config.version)
    if config.init is not None:
        load_weights(net, config.init)
    net.to(device).train()

    pairs = find_pairs(config.data_dirs)
    train_pairs, val_pairs = split_pairs(pairs, config.val_fraction, config.seed)
    load_started = time.perf_counter()
    data = load_set(train_pairs, config.input_size)
    val_views = validation_views(load_set(val_pairs[: config.val_count], config.input_size), config.input_size)
    log(f"data: {len(train_pairs)} train, {len(val_pairs)} validation pairs ({len(val_views)} used per check), "
        f"decoded in {time.perf_counter() - load_started:.0f}s; input {config.input_size}px; device {device}")

    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    optimizer = torch.optim.AdamW(net.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    warmup = min(200, max(1, config.max_steps // 20))
    meta = _meta(config, info, len(train_pairs), len(val_pairs))
    history: list[dict[str, float]] = []
    best = -1.0
    step, loss_sum, loss_n = 0, 0.0, 0
    train_started = last_check = time.perf_counter()
    budget = config.time_budget_s

    def check(final: bool) -> None:
        nonlocal best, loss_sum, loss_n, last_check
        val_iou = validate(net, val_views, info, device, config.batch_size * 2)
        elapsed = time.perf_counter() - train_started
        entry = {"step": step, "seconds": round(elapsed, 1), "train_loss": loss_sum / max(1, loss_n), "val_iou": val_iou,
                 "lr": optimizer.param_groups[0]["lr"]}
        history.append(entry)
        improved = val_iou > best
        log(f"step {step}: train loss {entry['train_loss']:.4f}, val IoU {val_iou:.4f}{' (best)' if improved else ''}; "
            f"{step * config.batch_size / max(elapsed, 1e-9):.1f} samples/s, {elapsed:.0f}s")
        save_checkpoint(net, out / LAST_NAME, **meta, steps=step, val_iou=val_iou)
        if improved:
            best = val_iou
            save_checkpoint(net, out / CHECKPOINT_NAME, **meta, steps=step, val_iou=val_iou)
        (out / HISTORY_NAME).write_text(json.dumps(history, indent=1), encoding="utf-8")
        loss_sum, loss_n = 0.0, 0
        last_check = time.perf_counter()

    while True:
        elapsed = time.perf_counter() - train_started
        done = step >= config.max_steps if not budget else elapsed >= budget
        if done:
            break
        if cancel is not None:
            cancel.raise_if_cancelled()
        frac = elapsed / budget if budget else step / config.max_steps
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(config.lr, step, frac, warmup)
        loss = _step(net, optimizer, data, config, info, device, rng)
        loss_sum += loss
        loss_n += 1
        step += 1
        if progress is not None:
            progress(step, config.max_steps)
        if time.perf_counter() - last_check >= config.checkpoint_every_s:
            check(False)
    check(True)
    return GlobalTrainResult(out / CHECKPOINT_NAME, best, step, time.perf_counter() - started, len(train_pairs), len(val_pairs), history)


def _step(net: UNet, optimizer: torch.optim.Optimizer, data: Sequence[tuple[np.ndarray, np.ndarray]],
          config: GlobalTrainConfig, info: ModelInfo, device: torch.device, rng: np.random.Generator) -> float:
    """One optimisation step on a fresh random batch; returns the loss."""
    picks = rng.integers(0, len(data), config.batch_size)
    views = [random_view(*data[i], config.input_size, rng) for i in picks]
    images = colour_jitter(torch.from_numpy(np.stack([v[0] for v in views])).to(device))
    masks = np.stack([v[1] for v in views])
    n_auto = int(round(config.auto_share * config.batch_size))
    clicks: list[list[Click]] = [[] for _ in range(n_auto)]
    clicks += [initial_clicks(m, rng, config.max_positive, config.max_negative) for m in masks[n_auto:]]
    previous = torch.zeros(config.batch_size, 1, config.input_size, config.input_size, device=device)
    rounds = int(rng.integers(0, config.max_rounds + 1))
    if rounds and n_auto < config.batch_size:
        interactive = clicks[n_auto:]
        previous[n_auto:] = add_feedback_clicks(net, images[n_auto:], masks[n_auto:], interactive, rounds, info)
        clicks[n_auto:] = interactive
    x = global_input(images, clicks, previous, info)
    target = torch.from_numpy(masks).to(device).unsqueeze(1).float().div_(255.0)
    optimizer.zero_grad(set_to_none=True)
    loss = segmentation_loss(net(x), target)
    loss.backward()
    optimizer.step()
    return float(loss.detach())


def _meta(config: GlobalTrainConfig, info: ModelInfo, n_train: int, n_val: int) -> dict[str, object]:
    dirs = ", ".join(Path(d).name for d in config.data_dirs)
    text = f"{n_train} train / {n_val} validation photo-mask pairs from {dirs} (split by hash of the stem, seed {config.seed})"
    if config.training_data_note:
        text += f"; {config.training_data_note}"
    plain = plain_config(config)
    return {
        "name": config.name, "version": config.version, "role": "global", "input_size": config.input_size,
        "tile_size": config.input_size, "click_radius": config.click_radius, "mean": list(info.mean), "std": list(info.std),
        "training_data": text, "train_config": {k: v for k, v in plain.items() if k != "out"},
    }
