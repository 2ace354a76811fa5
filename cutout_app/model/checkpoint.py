"""Saving and loading trained U-Nets: the weights plus what is needed to rebuild and describe them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from cutout_app.core.errors import ModelError
from cutout_app.core.inference import ModelInfo
from cutout_app.model.encoder_unet import EncoderUNet
from cutout_app.model.unet import UNet

Net = UNet | EncoderUNet


def build_net(config: dict[str, Any]) -> Net:
    """The untrained network that ``config`` (a net's ``config()``) describes."""
    config = dict(config)
    if config.pop("arch", "unet") == "encoder-unet":
        return EncoderUNet(**config)
    return UNet(**config)


def save_checkpoint(net: Net, path: str | Path, training_state: dict[str, Any] | None = None, **meta: Any) -> Path:
    """Write ``net`` and ``meta`` (training data, metrics, tile size...) to ``path`` atomically.

    ``training_state`` (optimiser, step, ...) is what a resumed run needs; :func:`load_training_state` reads it.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "config": net.config(),
        "state_dict": net.state_dict(),
        "meta": meta,
    }
    if training_state is not None:
        payload["training_state"] = training_state
    tmp = path.with_name(path.name + ".tmp")
    torch.save(payload, tmp)
    tmp.replace(path)
    return path


def load_checkpoint(path: str | Path) -> tuple[Net, dict[str, Any]]:
    """Rebuild the net saved by :func:`save_checkpoint`; returns it (in eval mode) and its meta."""
    try:
        payload = torch.load(Path(path), map_location="cpu", weights_only=True)
        net = build_net(payload["config"])
        net.load_state_dict(payload["state_dict"])
    except FileNotFoundError as exc:
        raise ModelError(f"Checkpoint '{path}' does not exist") from exc
    except Exception as exc:  # torch raises many types for a broken file
        raise ModelError(f"Checkpoint '{path}' cannot be loaded: {exc}") from exc
    net.eval()
    return net, dict(payload.get("meta", {}))


def load_training_state(path: str | Path) -> dict[str, Any]:
    """The training state saved with a checkpoint (for a resumed run); :class:`ModelError` if there is none."""
    try:
        payload = torch.load(Path(path), map_location="cpu", weights_only=True)
    except FileNotFoundError as exc:
        raise ModelError(f"Nothing to resume: '{path}' does not exist") from exc
    except Exception as exc:  # torch raises many types for a broken file
        raise ModelError(f"Checkpoint '{path}' cannot be loaded: {exc}") from exc
    if "training_state" not in payload:
        raise ModelError(f"Checkpoint '{path}' holds no training state to resume from")
    return payload["training_state"]


def info_from_checkpoint_meta(net: Net, meta: dict[str, Any]) -> ModelInfo:
    """The :class:`ModelInfo` to export with ``net``, from the meta that training saved with it.

    Takes tile size, name, version, training-data text and mean/std from ``meta`` where present
    (ModelInfo's defaults otherwise) and puts the validation IoU and epochs into ``extra``.
    """
    fields: dict[str, Any] = {}
    for key in ("tile_size", "name", "version", "training_data", "role", "input_size", "click_radius"):
        if meta.get(key) is not None:
            fields[key] = meta[key]
    for key in ("mean", "std"):
        if meta.get(key) is not None:
            fields[key] = tuple(float(v) for v in meta[key])
    extra: dict[str, str] = {}
    if meta.get("val_iou") is not None:
        extra["val_iou"] = f"{float(meta['val_iou']):.4f}"
    if meta.get("epochs") is not None:
        extra["epochs"] = str(meta["epochs"])
    try:
        info = net.info(extra=extra, **fields)
    except (TypeError, ValueError) as exc:
        raise ModelError(f"The checkpoint's description is invalid: {exc}") from exc
    try:
        info.check()
    except ValueError as exc:
        raise ModelError(f"The checkpoint's description does not fit its U-Net: {exc}") from exc
    if len(info.channels) != net.in_channels:
        raise ModelError(f"The checkpoint's U-Net takes {net.in_channels} channels but its role {info.role!r} needs {len(info.channels)}")
    return info
