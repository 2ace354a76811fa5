"""Training a tiled U-Net (the refiner, or a plain RGB net) on folders of image/mask pairs.

With ``coarse_input`` the net is the two-stage model's refiner: its fourth input channel is a coarse
mask made by degrading the true one (``model.degrade``), as the global pass's upsampled probability
will be at run time. The global net has its own loop in ``train_global``.

Each data folder holds ``images/`` and ``masks/`` with the same file stems; ``model.tile_data`` cuts
the training tiles, and normalisation and colour jitter run on the training device. Loss is
BCE-with-logits plus soft Dice, optimised with Adam and a cosine learning rate after a short
warm-up. The checkpoint with the best validation IoU is kept.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, RandomSampler

from cutout_app.core.datasets import Pair, find_pairs, split_pairs
from cutout_app.core.errors import CutoutError
from cutout_app.core.inference import GlobalNet, ModelInfo, Padding
from cutout_app.core.progress import CancelToken, ProgressCallback
from cutout_app.model.checkpoint import load_checkpoint, save_checkpoint
from cutout_app.model.device import resolve_device, training_precision
from cutout_app.model.losses import segmentation_loss
from cutout_app.model.net_inputs import colour_jitter, normalise
from cutout_app.model.run_folder import CHECKPOINT_NAME, HISTORY_NAME, learning_rate, plain_config
from cutout_app.model.teacher import PortraitTeacher
from cutout_app.model.tile_data import CoarseMix, DecodedCache, Teaching, TileDataset, centre_tile, read_all, read_pair, worker_init
from cutout_app.model.unet import UNet


@dataclass
class TrainConfig:
    """Everything a training run needs. ``out`` is a folder; the best checkpoint goes to ``out/best.pt``."""

    data_dirs: list[Path]
    out: Path
    base_width: int = 16
    depth: int = 4
    padding: Padding = "valid"
    tile_size: int = 572
    batch_size: int = 4
    epochs: int = 10
    steps_per_epoch: int | None = None  # None: one pass over the training images per epoch
    lr: float = 1e-3
    val_fraction: float = 0.15
    seed: int = 0
    device: str = "auto"
    workers: int = 2
    name: str = "cutout-unet"
    version: str = "1"
    training_data_note: str = ""
    #: Stop after this many seconds of training (the cosine schedule follows the clock then); None: no limit.
    time_budget_s: float | None = None
    #: Start from this checkpoint's weights (same depth, width and padding) instead of random ones.
    init: Path | None = None
    #: Decode the training photos once (into a raw file the OS keeps in RAM) when they fit in this many GiB.
    cache_gb: float = 8.0
    #: Train a refiner: a fourth input channel holds a degraded copy of the true mask.
    coarse_input: bool = False
    #: Refiner: a trained global net (its global.onnx) whose own probability is the coarse input of
    #: ``global_share`` of the tiles (the rest get degraded true masks); None: degraded masks only.
    global_model: Path | None = None
    global_share: float = 0.5
    #: Refiner, with ``global_model``: the share of those tiles whose coarse input is the global net's probability
    #: after a first keep click (computed once per photo, like the automatic one), and the factors by which the
    #: probability is resampled down and back up (as the global net's answer is upsampled on a larger photo).
    click_share: float = 0.0
    coarse_scales: tuple[float, ...] = (1.0,)
    #: Refiner: a portrait matting ONNX model (MODNet's interface, ``model.teacher``; training-time only, never
    #: shipped) whose alpha around the outline becomes the target of the training photos of the data folders
    #: named in ``teacher_sets``. Validation keeps the human masks.
    teacher: Path | None = None
    teacher_sets: tuple[str, ...] = ("ccp-people",)


@dataclass
class TrainResult:
    """What a finished run produced."""

    checkpoint: Path
    best_val_iou: float
    epochs_run: int
    seconds: float
    n_train: int
    n_val: int
    history: list[dict[str, float]] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# Device-side preparation, loss and steps
# --------------------------------------------------------------------------------------------


def he_init(net: nn.Module) -> None:
    """He (Kaiming) initialisation of every convolution, as in the U-Net paper; biases zero."""
    for module in net.modules():
        if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
            if module.bias is not None:
                nn.init.zeros_(module.bias)


def load_weights(net: UNet, checkpoint: str | Path) -> None:
    """Copy a checkpoint's weights into ``net``; raises :class:`CutoutError` if its geometry differs."""
    source, _ = load_checkpoint(checkpoint)
    if source.config() != net.config():
        raise CutoutError(f"Checkpoint '{checkpoint}' is a {_describe(source)}; this run trains a {_describe(net)}")
    net.load_state_dict(source.state_dict())


def _describe(net: UNet) -> str:
    return f"depth-{net.depth}, width-{net.base_width} {net.padding} U-Net ({net.in_channels} input channels, norm {net.norm})"


def train_step(
    net: nn.Module, optimizer: torch.optim.Optimizer, x: torch.Tensor, target: torch.Tensor, amp_dtype: torch.dtype | None = None
) -> torch.Tensor:
    """One optimisation step on a prepared batch; returns the loss (a detached 0-d tensor, no sync)."""
    optimizer.zero_grad(set_to_none=True)
    with torch.autocast(x.device.type, dtype=amp_dtype or torch.float32, enabled=amp_dtype is not None):
        logits = net(x)
    loss = segmentation_loss(logits, target)
    loss.backward()
    optimizer.step()
    return loss.detach()


def _prepare(images: torch.Tensor, masks: torch.Tensor, info: ModelInfo, device: torch.device, augment: bool, channels_last: bool) -> tuple[torch.Tensor, torch.Tensor]:
    images = images.to(device, non_blocking=True)
    masks = masks.to(device, non_blocking=True)
    rgb, guidance = images[..., :3], images[..., 3:]
    if augment:
        rgb = colour_jitter(rgb)
    x = normalise(rgb, info)
    if guidance.shape[-1]:
        x = torch.cat([x, guidance.permute(0, 3, 1, 2).float().div_(255.0)], dim=1)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    return x, masks.unsqueeze(1).float().div_(255.0)


@torch.no_grad()
def evaluate(
    net: nn.Module,
    tiles: Sequence[tuple[np.ndarray, np.ndarray]],
    info: ModelInfo,
    device: torch.device,
    batch_size: int,
    amp_dtype: torch.dtype | None = None,
    channels_last: bool = False,
) -> tuple[float, float]:
    """Mean loss and IoU (threshold 0.5, pixels pooled over all tiles) of ``net`` on validation tiles."""
    net.eval()
    inter = union = torch.zeros((), device=device)
    loss_sum, count = 0.0, 0
    for start in range(0, len(tiles), batch_size):
        chunk = tiles[start : start + batch_size]
        images = torch.from_numpy(np.stack([t[0] for t in chunk]))
        masks = torch.from_numpy(np.stack([t[1] for t in chunk]))
        x, y = _prepare(images, masks, info, device, augment=False, channels_last=channels_last)
        with torch.autocast(device.type, dtype=amp_dtype or torch.float32, enabled=amp_dtype is not None):
            logits = net(x)
        loss_sum += float(segmentation_loss(logits, y)) * len(chunk)
        count += len(chunk)
        pred, truth = logits.float() >= 0, y >= 0.5
        inter = inter + (pred & truth).sum()
        union = union + (pred | truth).sum()
    net.train()
    iou = 1.0 if float(union) == 0 else float(inter) / float(union)
    return loss_sum / max(1, count), iou


# --------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------


def describe_training_data(config: TrainConfig, n_train: int, n_val: int) -> str:
    """One line for the model's metadata: where the data came from and how much of it."""
    dirs = ", ".join(Path(d).name or str(d) for d in config.data_dirs)
    text = f"{n_train} train / {n_val} validation image-mask pairs from {dirs}"
    if config.coarse_input and config.global_model is not None:
        text += (f"; coarse input: the global net's own probability ({Path(config.global_model).name}) on "
                 f"{config.global_share:.0%} of the tiles, degraded true masks on the rest")
        if config.click_share > 0:
            text += f" (after a first keep click on {config.click_share:.0%} of the global net's)"
        if config.coarse_scales != (1.0,):
            text += f", resampled by {'/'.join(f'{f:g}' for f in config.coarse_scales)}x"
    if config.teacher is not None:
        text += (f"; soft targets around the outline from the portrait matting teacher {Path(config.teacher).name} "
                 f"on the training photos of {', '.join(config.teacher_sets)}")
    return f"{text}; {config.training_data_note}" if config.training_data_note else text


def _check_config(config: TrainConfig, info: ModelInfo) -> int:
    """The output size of a training tile; raises :class:`CutoutError` for unusable settings."""
    out = info.output_size(config.tile_size)
    if out is None:
        allowed = next(t for t in range(max(1, config.tile_size), config.tile_size + 4 * info.alignment) if info.output_size(t))
        raise CutoutError(
            f"Tile size {config.tile_size} does not fit a depth-{config.depth} {config.padding} U-Net "
            f"(the next allowed size is {allowed})"
        )
    if config.batch_size < 1 or config.epochs < 1:
        raise CutoutError("batch_size and epochs must be at least 1")
    if not 0 <= config.click_share <= 1 or not config.coarse_scales or min(config.coarse_scales) < 1:
        raise CutoutError("click_share must be in 0..1 and the coarse scales 1 or more")
    if (config.teacher is not None or config.global_model is not None) and not config.coarse_input:
        raise CutoutError("A global model's predictions and a teacher's targets are for the refiner stage")
    return out


def train(
    config: TrainConfig,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    log: Callable[[str], None] = print,
) -> TrainResult:
    """Train a U-Net as ``config`` says and keep the best checkpoint (by validation IoU) in ``config.out``.

    ``progress(step, total_steps)`` is called after every step. If ``cancel`` is cancelled the run
    raises :class:`Cancelled` before its next step; checkpoints of completed epochs stay, nothing of
    the interrupted epoch is written. Raises :class:`CutoutError` for unusable data or settings.
    Loader workers are spawned processes, so a script calling this with ``workers > 0`` needs the
    usual ``if __name__ == "__main__":`` guard.
    """
    started = time.perf_counter()
    torch.manual_seed(config.seed)
    device = resolve_device(config.device)
    net = UNet(in_channels=4 if config.coarse_input else 3, base_width=config.base_width, depth=config.depth,
               padding=config.padding, norm="batch" if config.coarse_input else "none")
    info = net.info(role="refiner" if config.coarse_input else "single", tile_size=config.tile_size, name=config.name,
                    version=config.version)
    out_size = _check_config(config, info)
    if config.init is not None:
        load_weights(net, config.init)
    else:
        he_init(net)

    pairs = find_pairs(config.data_dirs)
    train_pairs, val_pairs = split_pairs(pairs, config.val_fraction, config.seed)
    if not train_pairs:
        raise CutoutError("No training pairs left after the validation split")
    threads = max(2, min(16, os.cpu_count() or 2))
    first_rgb, _ = read_pair(train_pairs[0])
    clicks = config.global_model is not None and config.click_share > 0
    planes = 3 + (config.global_model is not None) + clicks + 1  # photo, global net's planes, mask
    est_gb = first_rgb.size / 3 * planes * len(train_pairs) / 2**30
    global_net = None if config.global_model is None else GlobalNet(config.global_model, "cpu", threads=0)
    teaching = None if config.teacher is None else Teaching(PortraitTeacher(config.teacher), frozenset(config.teacher_sets))
    if (global_net is not None or teaching is not None) and est_gb > config.cache_gb:
        raise CutoutError(f"The global net's predictions and the teacher's targets are kept with the decoded photos, "
                          f"which need ~{est_gb:.1f} GiB (more than cache_gb {config.cache_gb:g})")
    val_tiles = [
        centre_tile(rgb, mask, config.tile_size, out_size, i if config.coarse_input else None)
        for i, (rgb, mask) in enumerate(read_all(val_pairs, threads, global_net))
    ]
    out_dir = Path(config.out)
    out_dir.mkdir(parents=True, exist_ok=True)

    with contextlib.ExitStack() as stack:
        cache = None
        if est_gb <= config.cache_gb:
            tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix=".decoded-", dir=out_dir, ignore_cleanup_errors=True))
            cache = DecodedCache.build(train_pairs, Path(tmp) / "pairs.raw", threads, global_net=global_net, clicks=clicks,
                                       teaching=teaching)  # fmt: skip
        log(
            f"data: {len(train_pairs)} train, {len(val_pairs)} validation pairs"
            f" ({'decoded once' if cache is not None else 'decoded on the fly'}, ~{est_gb:.1f} GiB); "
            f"tile {config.tile_size} -> {out_size}; device {device}; {config.workers} loader workers"
        )
        run = _Run(config, net, info, device, train_pairs, val_pairs, val_tiles, cache, out_size)
        try:
            history = run.fit(progress, cancel, log)
        finally:
            run.close()  # stop the loader workers before the cache file goes

    (out_dir / HISTORY_NAME).write_text(json.dumps(history, indent=1), encoding="utf-8")
    return TrainResult(
        checkpoint=run.checkpoint,
        best_val_iou=run.best_iou if val_tiles else float("nan"),
        epochs_run=len(history),
        seconds=time.perf_counter() - started,
        n_train=len(train_pairs),
        n_val=len(val_pairs),
        history=history,
    )


class _Run:
    """The state of one training run: loader, optimiser, schedule and best checkpoint."""

    def __init__(
        self,
        config: TrainConfig,
        net: UNet,
        info: ModelInfo,
        device: torch.device,
        train_pairs: list[Pair],
        val_pairs: list[Pair],
        val_tiles: list[tuple[np.ndarray, np.ndarray]],
        cache: DecodedCache | None,
        out_size: int,
    ) -> None:
        self.config, self.net, self.info, self.device = config, net, info, device
        self.cuda = device.type == "cuda"
        self.precision = training_precision(device)
        self.amp_dtype = self.precision.amp_dtype
        if self.cuda:
            torch.backends.cudnn.benchmark = True
        self.n_train, self.n_val = len(train_pairs), len(val_pairs)
        self.val_tiles = val_tiles
        self.steps_per_epoch = config.steps_per_epoch or max(1, len(train_pairs) // config.batch_size)
        self.total_steps = self.steps_per_epoch * config.epochs
        generator = torch.Generator().manual_seed(config.seed)
        workers = config.workers
        self.loader: DataLoader | None = DataLoader(
            TileDataset(train_pairs, config.tile_size, out_size, cache, config.coarse_input,
                        CoarseMix(config.global_share if config.global_model is not None else 0.0, config.click_share,
                                  tuple(config.coarse_scales))),
            batch_size=config.batch_size,
            sampler=RandomSampler(range(len(train_pairs)), num_samples=self.steps_per_epoch * config.batch_size, generator=generator),
            num_workers=workers,
            pin_memory=self.cuda,
            drop_last=True,
            worker_init_fn=worker_init if workers > 0 else None,
            generator=generator,
            persistent_workers=workers > 0,
            prefetch_factor=4 if workers > 0 else None,
            # Spawned workers start clean: forking after OpenCV or CUDA were used can hang.
            multiprocessing_context="spawn" if workers > 0 else None,
        )
        net.to(device)
        if self.precision.channels_last:
            net.to(memory_format=torch.channels_last)
        net.train()
        self.optimizer = torch.optim.Adam(net.parameters(), lr=config.lr)
        self.warmup = min(200, max(1, self.total_steps // 20))
        self.checkpoint = Path(config.out) / CHECKPOINT_NAME
        self.training_data = describe_training_data(config, self.n_train, self.n_val)
        self.data_dirs = [str(d) for d in config.data_dirs]
        self.best_iou = -1.0
        self.step = 0

    def close(self) -> None:
        self.loader = None  # drops the persistent worker processes

    def fit(self, progress: ProgressCallback | None, cancel: CancelToken | None, log: Callable[[str], None]) -> list[dict[str, float]]:
        config = self.config
        history: list[dict[str, float]] = []
        started = time.perf_counter()
        for epoch in range(1, config.epochs + 1):
            epoch_started = time.perf_counter()
            train_loss, n_steps, out_of_time = self._epoch(started, progress, cancel)
            if self.val_tiles:
                val_loss, val_iou = evaluate(
                    self.net, self.val_tiles, self.info, self.device, config.batch_size * 2, self.amp_dtype, self.precision.channels_last
                )
            else:
                val_loss, val_iou = float("nan"), float("nan")
            seconds = time.perf_counter() - epoch_started
            history.append(
                {"epoch": epoch, "steps": n_steps, "train_loss": train_loss, "val_loss": val_loss, "val_iou": val_iou,
                 "lr": self.optimizer.param_groups[0]["lr"], "seconds": seconds}
            )
            improved = not self.val_tiles or val_iou > self.best_iou
            log(
                f"epoch {epoch}/{config.epochs}: train loss {train_loss:.4f}, val loss {val_loss:.4f}, "
                f"val IoU {val_iou:.4f}{' (best)' if improved else ''}; "
                f"{n_steps * config.batch_size / seconds:.1f} tiles/s, {seconds:.1f} s"
            )
            if improved:
                self.best_iou = val_iou
                self._save(epoch, val_iou)
            if out_of_time:
                log(f"time budget of {config.time_budget_s:.0f} s reached after {self.step} steps")
                break
        if progress:
            progress(self.total_steps, self.total_steps)
        return history

    def _epoch(self, started: float, progress: ProgressCallback | None, cancel: CancelToken | None) -> tuple[float, int, bool]:
        """One pass of ``steps_per_epoch`` steps; returns (mean loss, steps, time budget used up)."""
        config = self.config
        budget = config.time_budget_s
        loss_sum = torch.zeros((), device=self.device)
        n_steps = 0
        assert self.loader is not None
        for images, masks in self.loader:
            if cancel is not None:
                cancel.raise_if_cancelled()
            frac = self.step / self.total_steps
            if budget:
                frac = max(frac, (time.perf_counter() - started) / budget)
            for group in self.optimizer.param_groups:
                group["lr"] = learning_rate(config.lr, self.step, frac, self.warmup)
            x, y = _prepare(images, masks, self.info, self.device, augment=True, channels_last=self.precision.channels_last)
            loss_sum += train_step(self.net, self.optimizer, x, y, self.amp_dtype)
            self.step += 1
            n_steps += 1
            if progress:
                progress(self.step, self.total_steps)
            if budget and time.perf_counter() - started >= budget:
                return float(loss_sum) / n_steps, n_steps, True
        return float(loss_sum) / max(1, n_steps), n_steps, False

    def _save(self, epoch: int, val_iou: float) -> None:
        config = self.config
        save_checkpoint(
            self.net,
            self.checkpoint,
            name=config.name,
            version=config.version,
            role=self.info.role,
            tile_size=config.tile_size,
            mean=list(self.info.mean),
            std=list(self.info.std),
            val_iou=None if math.isnan(val_iou) else val_iou,
            epochs=epoch,
            steps=self.step,
            training_data=self.training_data,
            training_data_detail={"dirs": self.data_dirs, "n_train": self.n_train, "n_val": self.n_val, "note": config.training_data_note},
            train_config={k: v for k, v in plain_config(config).items() if k not in ("data_dirs", "out")},
        )


