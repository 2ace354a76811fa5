"""Training the global net: a U-Net decoder on a pretrained encoder, the whole photo at ``input_size`` px.

The decoded data set is held in memory; batches (``model.global_data``) are prepared on a background
thread while the net trains. Each step adds 0..``max_rounds`` rounds of iterative click training
(Sofiiuk et al. 2021, "Reviving Iterative Training with Mask Guidance for Interactive Segmentation"):
the net predicts without gradients, the simulator puts the next click in its largest error region
(``core.clicks.next_click``), and its prediction becomes the previous-mask input.

Where the hardware has bf16 units (AMX on this project's Xeon, or a CUDA GPU) the forward pass runs
under bf16 autocast with channels_last tensors and fp32 master weights (``model.device``). AdamW with
warm-up and a cosine schedule that follows ``time_budget_s`` (training seconds, summed over resumed
sessions) when one is set; the encoder learns at ``encoder_lr_scale`` times the rate.

Every ``checkpoint_every_s`` seconds the run is validated and ``last.pt`` is written with everything a
resume needs (weights, optimiser, step, seconds, best score, history; the batches are a function of seed
and step); ``best.pt`` keeps the weights with the best automatic-mode validation IoU.
"""

from __future__ import annotations

import collections
import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence

import cv2
import numpy as np
import torch

from cutout_app.core.datasets import (
    HELD_NAMES,
    VAL_FRACTION,
    composite_cases,
    deepest_point,
    find_pairs,
    find_part_maps,
    label_names,
    regions,
    split_pairs,
)
from cutout_app.core.datasets.object_checks import BODY_NAMES
from cutout_app.core.errors import Cancelled, CutoutError
from cutout_app.core.inference import Click, ModelInfo, click_maps, next_click
from cutout_app.core.progress import CancelToken, ProgressCallback
from cutout_app.model.checkpoint import load_checkpoint, load_training_state, save_checkpoint
from cutout_app.model.device import Precision, resolve_device, training_precision
from cutout_app.model.encoder_unet import STRIDE, EncoderUNet
from cutout_app.model.global_data import Batch, BatchSettings, GlobalBatches, fit_long_side, load_set, pad_square
from cutout_app.model.losses import candidate_loss, mask_iou, segmentation_loss
from cutout_app.model.net_inputs import normalise
from cutout_app.model.onnx_weights import calibrate_batchnorm, freeze_batchnorm, net_from_onnx
from cutout_app.model.run_folder import CHECKPOINT_NAME, HISTORY_NAME, LAST_NAME, learning_rate, plain_config

#: Photos are kept in memory at up to this multiple of the input size (crops zoom in up to ~1.7x).
KEEP_SCALE = 1.4
#: Batches whose statistics a net from an ONNX file gets for its BatchNorms (``onnx_weights``).
CALIBRATION_BATCHES = 8


@dataclass
class GlobalTrainConfig:
    """Everything a global-net training run needs; checkpoints go to ``out/best.pt`` and ``out/last.pt``."""

    data_dirs: list[Path]
    out: Path
    encoder: str = "efficientnet-lite0"
    input_size: int = 320
    batch_size: int = 16
    lr: float = 1e-3
    encoder_lr_scale: float = 0.3
    weight_decay: float = 1e-4
    val_fraction: float = VAL_FRACTION
    seed: int = 0
    device: str = "auto"
    precision: str = "auto"  # "auto": bf16 where the hardware has it, "bf16" or "fp32"
    #: Stop after this many training seconds (the cosine schedule follows the clock); None: after ``max_steps``.
    time_budget_s: float | None = None
    max_steps: int = 10_000
    auto_share: float = 0.4
    composite_share: float = 0.5
    #: Share of samples drawn from named data folders, e.g. {"ccp-people": 0.2}; the rest by size.
    data_shares: dict[str, float] = field(default_factory=dict)
    max_positive: int = 3
    max_negative: int = 3
    max_rounds: int = 3
    click_radius: float = 5.0
    #: Start from this checkpoint's weights, or an exported ``global.onnx`` (same encoder); None: the
    #: encoder's ImageNet weights. New candidate outputs start as copies of output 0.
    init: Path | None = None
    #: Candidate outputs for ambiguous clicks (0: the single answer only; see ``model.encoder_unet``).
    candidates: int = 0
    #: Label maps for part clicks (``core.datasets.parts``) and the data folder of their photos.
    parts_dir: Path | None = None
    parts_photos: Path | None = None
    #: Share of the click samples drawn from the label maps.
    parts_share: float = 0.25
    #: Weight of the hinted candidate's loss beside the best one's (``losses.candidate_loss``), and of the
    #: IoU head's squared error.
    hint_weight: float = 0.1
    iou_weight: float = 1.0
    #: The candidate outputs and the IoU head learn at this multiple of the rate (they start from nothing).
    candidate_lr_scale: float = 5.0
    #: Keep BatchNorm statistics fixed (always so from an ONNX file, whose BatchNorms are folded away).
    freeze_bn: bool = False
    #: Train the candidate outputs and the IoU head alone: the rest of the net (output 0) stays exactly as
    #: ``init`` has it, every click sample is ambiguous, and a step is a forward pass plus the small heads'
    #: backward (several times the samples a second of full training on the CPU).
    candidates_only: bool = False
    #: best.pt is the checkpoint with the best automatic IoU ("auto"), the best mean of that and the
    #: composites' one-click IoU ("auto+clicks"), or the best mean of the best-rated candidate's IoU on the
    #: composites and on held-out garments ("candidates").
    select_by: str = "auto"
    #: Continue the run in ``out`` from its ``last.pt`` (weights, optimiser, schedule, step).
    resume: bool = False
    name: str = "cutout-global"
    version: str = "1"
    training_data_note: str = ""
    checkpoint_every_s: float = 600.0
    val_count: int = 300
    val_composites: int = 100
    threads: int = 0  # torch CPU threads; 0: torch's default
    #: Threads that prepare batches: 1 beside CPU training, which has the cores; more to keep a GPU fed.
    loader_threads: int = 1


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
def predict(net: torch.nn.Module, x: torch.Tensor, precision: Precision) -> np.ndarray:
    """The net's output 0 as probabilities (N, H, W), float32 numpy, without gradients."""
    return predict_all(net, x, precision)[0][:, 0]


@torch.no_grad()
def predict_all(net: torch.nn.Module, x: torch.Tensor, precision: Precision) -> tuple[np.ndarray, np.ndarray | None]:
    """Every output's probabilities (N, 1 + K, H, W) and, with candidates, their predicted IoU (N, 1 + K)."""
    if precision.channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    with precision.autocast(x.device):
        logits, iou = net.forward_all(x)
    return torch.sigmoid(logits.float()).cpu().numpy(), None if iou is None else torch.sigmoid(iou.float()).cpu().numpy()


def add_feedback_clicks(
    net: torch.nn.Module, images: torch.Tensor, masks: np.ndarray, clicks: list[list[Click]],
    previous: torch.Tensor, rounds: int, info: ModelInfo, precision: Precision,
) -> torch.Tensor:
    """Run ``rounds`` of iterative training's click loop in place on ``clicks``; returns the previous-mask input."""
    was_training = net.training
    net.eval()
    for _ in range(rounds):
        prob = predict(net, global_input(images, clicks, previous, info), precision)
        for i in range(len(clicks)):
            click = next_click(prob[i], masks[i])
            if click is not None:
                clicks[i].append(click)
        previous = torch.from_numpy(prob).unsqueeze(1).to(images.device)
    net.train(was_training)
    return previous


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


View = tuple[np.ndarray, np.ndarray, tuple[int, int], list[Click]]


def validation_views(data: Sequence[tuple[np.ndarray, np.ndarray]], size: int) -> list[View]:
    """Each validation photo at long side ``size``, padded square at the top left as the engine pads it; no clicks."""
    views = []
    for rgb, mask in data:
        rgb, mask = fit_long_side(rgb, mask, size)
        views.append((*pad_square(rgb, mask, size), mask.shape, []))
    return views


def composite_views(data: Sequence[tuple[np.ndarray, np.ndarray]], size: int, count: int) -> list[View]:
    """``count`` held-out composites of validation photos, each with one keep click inside one object."""
    return [(case.rgb, case.target, (size, size), [case.click]) for case in composite_cases(data, size, count)]


def part_views(data: Sequence[tuple[np.ndarray, np.ndarray]], names: dict[int, str], size: int, seed: int = 1) -> list[View]:
    """One view a held-out label map: the photo at long side ``size``, a keep click at the deepest point of one
    garment region (chosen with ``seed``), the region as the target: what a part candidate should take."""
    rng = np.random.default_rng(seed)
    views = []
    for rgb, labels in data:
        rgb, labels = fit_long_side(rgb, labels, size, nearest=True)
        garments = [r for r in regions(labels, names) if r.name not in BODY_NAMES | HELD_NAMES]
        if not garments:
            continue
        region = garments[int(rng.integers(0, len(garments)))]
        target = region.mask.astype(np.uint8) * 255
        views.append((*pad_square(rgb, target, size), target.shape, [deepest_point(region.mask)]))
    return views


@torch.no_grad()
def validate(net: torch.nn.Module, views: Sequence[View], info: ModelInfo, device: torch.device,
             precision: Precision, batch_size: int, best_candidate: bool = False) -> float:
    """Mean IoU over ``views`` (each with its clicks, no previous mask): of output 0, or with
    ``best_candidate`` of the reading (output 0 or a candidate) whose predicted IoU is highest."""
    ious = []
    for start in range(0, len(views), batch_size):
        chunk = views[start : start + batch_size]
        images = torch.from_numpy(np.stack([v[0] for v in chunk])).to(device)
        previous = torch.zeros(len(chunk), 1, *images.shape[1:3], device=device)
        was_training = net.training
        net.eval()
        probs, scores = predict_all(net, global_input(images, [v[3] for v in chunk], previous, info), precision)
        net.train(was_training)
        if best_candidate and scores is not None:
            prob = probs[np.arange(len(chunk)), np.argmax(scores, axis=1)]  # output 0 is a reading too
        else:
            prob = probs[:, 0]
        for i, (_, mask, (h, w), _) in enumerate(chunk):
            p, t = prob[i, :h, :w] >= 0.5, mask[:h, :w] >= 128
            union = np.count_nonzero(p | t)
            ious.append(1.0 if union == 0 else np.count_nonzero(p & t) / union)
    return float(np.mean(ious)) if ious else float("nan")


# --------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------


def build_net(config: GlobalTrainConfig) -> EncoderUNet:
    """The net to train: from ``init`` (a checkpoint or an exported ONNX file) when given, else with the
    encoder's ImageNet weights. Candidate outputs that ``init`` lacks start as copies of its output 0."""
    net = EncoderUNet(config.encoder, in_channels=6, candidates=config.candidates)
    if config.init is None:
        net.load_pretrained_encoder()
        return net
    if Path(config.init).suffix.lower() == ".onnx":
        source: torch.nn.Module = net_from_onnx(config.init, config.candidates)
    else:
        source, _ = load_checkpoint(config.init)
    if not isinstance(source, EncoderUNet) or source.encoder_name != config.encoder or source.candidates not in (0, config.candidates):
        raise CutoutError(f"'{config.init}' is not a {config.encoder} global net with 0 or {config.candidates} candidates")
    missing, unexpected = net.load_state_dict(source.state_dict(), strict=False)
    if unexpected or any(not name.startswith(("cand_", "iou_head")) for name in missing):
        raise CutoutError(f"'{config.init}' does not fit this global net")
    return net


def prefetch(batches: GlobalBatches, first_step: int, threads: int = 1, ahead: int = 2) -> Iterator[Batch]:
    """The batches of steps ``first_step``, ``first_step + 1``, ... prepared by ``threads`` background threads
    (OpenCV and numpy release the GIL), ``ahead`` more than the threads in flight."""
    pool = ThreadPoolExecutor(max(1, threads), thread_name_prefix="global-batches")
    try:
        pending = collections.deque(pool.submit(batches.batch, s) for s in range(first_step, first_step + threads + ahead))
        step = first_step + len(pending)
        while True:
            ready = pending.popleft()
            pending.append(pool.submit(batches.batch, step))
            step += 1
            yield ready.result()
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def train_global(
    config: GlobalTrainConfig,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    log: Callable[[str], None] = print,
) -> GlobalTrainResult:
    """Train the global net as ``config`` says; keeps ``best.pt`` (validation IoU, automatic mode) and ``last.pt``."""
    started = time.perf_counter()
    if config.input_size % STRIDE:
        raise CutoutError(f"input size {config.input_size} must be a multiple of {STRIDE}")
    if config.threads:
        torch.set_num_threads(config.threads)
    cv2.setNumThreads(1)  # the batch thread; torch has the cores
    torch.manual_seed(config.seed)
    device = resolve_device(config.device)
    precision = training_precision(device, config.precision)
    out = Path(config.out)
    state = load_training_state(out / LAST_NAME) if config.resume else None
    net = build_net(config) if state is None else _resumed_net(out / LAST_NAME, config)
    info = net.info(role="global", input_size=config.input_size, click_radius=config.click_radius,
                    tile_size=config.input_size, name=config.name, version=config.version)
    from_onnx = state is None and config.init is not None and Path(config.init).suffix.lower() == ".onnx"
    if config.candidates_only:
        if not config.candidates:
            raise CutoutError("Training the candidates alone needs candidates (e.g. 3)")
        for name, param in net.named_parameters():
            param.requires_grad_(name.startswith(("cand_", "iou_head")))
    if config.freeze_bn or config.candidates_only:
        freeze_batchnorm(net)
    net.to(device).train()
    if precision.channels_last:
        net.to(memory_format=torch.channels_last)

    pairs = find_pairs(config.data_dirs)
    train_pairs, val_pairs = split_pairs(pairs, config.val_fraction, config.seed)
    load_started = time.perf_counter()
    keep = int(round(config.input_size * KEEP_SCALE))
    data = load_set(train_pairs, keep)
    val_data = load_set(val_pairs[: max(config.val_count, config.val_composites)], keep)
    val_views = validation_views(val_data[: config.val_count], config.input_size)
    comp_views = composite_views(val_data, config.input_size, config.val_composites)
    parts, names, n_parts, garment_views = [], {}, 0, []
    if config.parts_dir is not None:
        if config.parts_photos is None:
            raise CutoutError("Label maps need the folder of their photos (parts_photos)")
        part_pairs = split_pairs(find_part_maps(config.parts_dir, config.parts_photos), config.val_fraction, config.seed)[0]
        parts, names, n_parts = load_set(part_pairs, keep, labels=True), label_names(config.parts_dir), len(part_pairs)
        val_parts = split_pairs(find_part_maps(config.parts_dir, config.parts_photos), config.val_fraction, config.seed)[1]
        garment_views = part_views(load_set(val_parts[: config.val_composites], keep, labels=True), names, config.input_size)
    log(f"data: {len(train_pairs)} train, {len(val_pairs)} validation pairs ({len(val_views)} photos and "
        f"{len(comp_views)} composites per check), {n_parts} training label maps, decoded in "
        f"{time.perf_counter() - load_started:.0f}s; input {config.input_size}px; {config.encoder}"
        f"{f', {config.candidates} candidates' if config.candidates else ''}; device {device}, {precision.name}")

    out.mkdir(parents=True, exist_ok=True)
    encoder_params = [p for p in net.encoder.parameters() if p.requires_grad]
    candidate_params = [p for name, p in net.named_parameters() if name.startswith(("cand_", "iou_head"))]
    own_ids = {id(p) for p in encoder_params + candidate_params}
    groups = [{"params": encoder_params, "scale": config.encoder_lr_scale},
              {"params": [p for p in net.parameters() if id(p) not in own_ids and p.requires_grad], "scale": 1.0}]
    if candidate_params:
        groups.append({"params": candidate_params, "scale": config.candidate_lr_scale})
    optimizer = torch.optim.AdamW(groups, lr=config.lr, weight_decay=config.weight_decay)
    warmup = min(200, max(1, config.max_steps // 20))
    meta = _meta(config, info, len(train_pairs), len(val_pairs), precision)
    history: list[dict[str, float]] = []
    best, step, seconds_before = -1.0, 0, 0.0
    if state is not None:
        optimizer.load_state_dict(state["optimizer"])
        step, seconds_before, best = int(state["step"]), float(state["seconds"]), float(state["best"])
        history = list(state["history"])
        torch.set_rng_state(state["torch_rng"])
        log(f"resumed {out / LAST_NAME} at step {step}, {seconds_before:.0f}s trained, best {best:.4f}")
    batches = GlobalBatches(data, train_pairs, BatchSettings(
        config.input_size, config.batch_size, config.auto_share, config.composite_share, config.max_positive,
        config.max_negative, config.max_rounds, config.seed, config.parts_share if parts else 0.0,
        config.candidates_only), config.data_shares,
        parts, names)
    if from_onnx and not (config.freeze_bn or config.candidates_only):
        calibrate_batchnorm(net, (_net_input(batches.batch(k), info, device, precision) for k in range(CALIBRATION_BATCHES)))
        log(f"BatchNorm statistics of {config.init} measured on {CALIBRATION_BATCHES} batches")
    loss_sum, loss_n = 0.0, 0
    train_started = last_check = time.perf_counter()
    budget = config.time_budget_s

    def trained_seconds() -> float:
        return seconds_before + time.perf_counter() - train_started

    def save_last(**scores: float) -> None:
        training_state = {"optimizer": optimizer.state_dict(), "step": step, "seconds": trained_seconds(), "best": best,
                          "history": history, "torch_rng": torch.get_rng_state()}
        save_checkpoint(net, out / LAST_NAME, training_state=training_state, **meta, steps=step, **scores)

    def check() -> None:
        nonlocal best, loss_sum, loss_n, last_check
        val_iou = validate(net, val_views, info, device, precision, config.batch_size)
        click_iou = validate(net, comp_views, info, device, precision, config.batch_size)
        scores = {"val_iou": val_iou, "composite_1click_iou": click_iou}
        if config.candidates:
            scores["composite_best_candidate_iou"] = validate(net, comp_views, info, device, precision, config.batch_size, True)
            if garment_views:
                scores["garment_best_candidate_iou"] = validate(net, garment_views, info, device, precision, config.batch_size, True)
        elapsed = trained_seconds()
        entry = {"step": step, "seconds": round(elapsed, 1), "train_loss": loss_sum / max(1, loss_n), **scores,
                 "lr": optimizer.param_groups[1]["lr"],
                 "samples_per_s": loss_n * config.batch_size / max(1e-9, time.perf_counter() - last_check)}
        history.append(entry)
        if config.select_by == "candidates":
            score = (scores.get("composite_best_candidate_iou", 0.0) + scores.get("garment_best_candidate_iou", 0.0)) / 2
        elif config.select_by == "auto+clicks":
            score = (val_iou + max(click_iou, scores.get("composite_best_candidate_iou", 0.0))) / 2
        else:
            score = val_iou
        improved = score > best
        best = max(best, score)
        log(f"step {step}: train loss {entry['train_loss']:.4f}, val IoU {val_iou:.4f}, composite 1-click IoU {click_iou:.4f}"
            + (f" (best candidate {scores['composite_best_candidate_iou']:.4f})" if config.candidates else "")
            + (f", garment best candidate {scores['garment_best_candidate_iou']:.4f}" if "garment_best_candidate_iou" in scores else "")
            + f"{' (best)' if improved else ''}; {entry['samples_per_s']:.2f} samples/s, {elapsed:.0f}s")
        save_last(**scores)
        if improved:
            save_checkpoint(net, out / CHECKPOINT_NAME, **meta, steps=step, **scores)
        (out / HISTORY_NAME).write_text(json.dumps(history, indent=1), encoding="utf-8")
        loss_sum, loss_n = 0.0, 0
        last_check = time.perf_counter()

    stream = prefetch(batches, step, config.loader_threads)
    try:
        while True:
            elapsed = trained_seconds()
            if (step >= config.max_steps) if not budget else (elapsed >= budget):
                break
            if cancel is not None:
                cancel.raise_if_cancelled()
            frac = elapsed / budget if budget else step / config.max_steps
            rate = learning_rate(config.lr, step, frac, warmup)
            for group in optimizer.param_groups:
                group["lr"] = rate * group["scale"]
            loss_sum += _step(net, optimizer, next(stream), info, device, precision, config)
            loss_n += 1
            step += 1
            if progress is not None:
                progress(step, config.max_steps)
            if time.perf_counter() - last_check >= config.checkpoint_every_s:
                check()
        if loss_n or not history:
            check()
    except (Cancelled, KeyboardInterrupt):
        save_last()  # so that --resume goes on from this step
        log(f"stopped at step {step}; {out / LAST_NAME} resumes it")
        raise
    finally:
        stream.close()
    return GlobalTrainResult(out / CHECKPOINT_NAME, best, step, time.perf_counter() - started, len(train_pairs), len(val_pairs), history)


def _resumed_net(path: Path, config: GlobalTrainConfig) -> EncoderUNet:
    net, _ = load_checkpoint(path)
    if not isinstance(net, EncoderUNet) or net.encoder_name != config.encoder:
        raise CutoutError(f"'{path}' is not a {config.encoder} global net; cannot resume it with these settings")
    return net


def _net_input(batch: Batch, info: ModelInfo, device: torch.device, precision: Precision) -> torch.Tensor:
    """A prepared batch as the net's input (its own clicks and previous masks, no feedback rounds)."""
    images = torch.from_numpy(batch.images).to(device)
    previous = torch.from_numpy(batch.previous).unsqueeze(1).to(device)
    x = global_input(images, batch.clicks, previous, info)
    return x.contiguous(memory_format=torch.channels_last) if precision.channels_last else x


def _step(net: EncoderUNet, optimizer: torch.optim.Optimizer, batch: Batch, info: ModelInfo,
          device: torch.device, precision: Precision, config: GlobalTrainConfig) -> float:
    """One optimisation step on a prepared batch (plus its iterative click rounds); returns the loss.

    Output 0 learns every sample's target. With candidates, those learn the ambiguous samples' readings by
    SAM's rule (``losses.candidate_loss``), and the IoU head each output's IoU with what it learns."""
    images = torch.from_numpy(batch.images).to(device)
    previous = torch.from_numpy(batch.previous).unsqueeze(1).to(device)
    clicks = batch.clicks
    refined = [i for i in range(batch.n_auto, len(clicks)) if not batch.ambiguous[i]]
    if batch.rounds and refined:
        index = torch.tensor(refined, device=device)
        chosen = [clicks[i] for i in refined]
        previous[index] = add_feedback_clicks(net, images[index], batch.targets[refined], chosen, previous[index],
                                              batch.rounds, info, precision)
        for i, c in zip(refined, chosen):
            clicks[i] = c
    x = global_input(images, clicks, previous, info)
    if precision.channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    target = torch.from_numpy(batch.targets).to(device).unsqueeze(1).float().div_(255.0)
    optimizer.zero_grad(set_to_none=True)
    with precision.autocast(device):
        logits, iou_logits = net.forward_all(x)
    loss = torch.zeros((), device=device) if config.candidates_only else segmentation_loss(logits[:, :1], target)
    if iou_logits is not None:
        n = len(clicks)
        ambiguous = torch.from_numpy(batch.ambiguous).to(device)
        cand_target = torch.from_numpy(batch.cand_targets).to(device).unsqueeze(1).float().div_(255.0)
        hints = torch.from_numpy(batch.hints).to(device)
        if ambiguous.any():
            loss = loss + candidate_loss(logits[ambiguous, 1:], cand_target[ambiguous], hints[ambiguous], config.hint_weight).sum() / n
        actual = torch.cat([mask_iou(logits[:, :1], target), mask_iou(logits[:, 1:], cand_target)], dim=1)
        weight = torch.ones_like(actual)
        weight[:, 1:] = ambiguous.float().unsqueeze(1)
        error = (torch.sigmoid(iou_logits.float()) - actual) ** 2 * weight
        loss = loss + config.iou_weight * error.sum() / weight.sum()
    loss.backward()
    optimizer.step()
    return float(loss.detach())


def _meta(config: GlobalTrainConfig, info: ModelInfo, n_train: int, n_val: int, precision: Precision) -> dict[str, object]:
    dirs = ", ".join(Path(d).name for d in config.data_dirs)
    text = (f"{n_train} train / {n_val} validation photo-mask pairs from {dirs} (split by hash of the stem, seed "
            f"{config.seed}), plus composites of their subjects; encoder {config.encoder} from ImageNet weights")
    if config.training_data_note:
        text += f"; {config.training_data_note}"
    plain = plain_config(config)
    return {
        "name": config.name, "version": config.version, "role": "global", "input_size": config.input_size,
        "tile_size": config.input_size, "click_radius": config.click_radius, "mean": list(info.mean), "std": list(info.std),
        "training_data": text, "precision": precision.name,
        "train_config": {k: v for k, v in plain.items() if k != "out"},
    }
