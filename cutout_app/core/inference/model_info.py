"""What cutout needs to know about a segmentation model, stored as JSON inside the ONNX file.

The same description drives the U-Net's geometry (``cutout_app.model``), the export that writes it
and the engine that reads it, so this module is the one place where U-Net sizes are computed.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Literal

from cutout_app.core.errors import ModelError

#: Key of the JSON blob in the ONNX file's ``metadata_props``.
METADATA_KEY = "cutout"
#: Bumped when the meaning of a field changes (2: role, channels, input size and clicks).
FORMAT_VERSION = 2
#: The longest metadata read (cutout writes a few hundred characters).
MAX_METADATA_CHARS = 64 * 1024

Padding = Literal["valid", "same"]
Norm = Literal["none", "batch"]
#: What a model does in the two-stage pipeline: ``global`` sees the whole photo resized to
#: ``input_size`` with click guidance; ``refiner`` runs tile by tile at full resolution on RGB plus the
#: upsampled global probability; ``single`` is a plain RGB model run tile by tile.
Role = Literal["single", "global", "refiner"]

#: The largest input edge, in pixels, of a global pass or a tile: one inference of that size already needs
#: 400 MB of float32 (4096 x 4096 x 6 channels), and beyond it resizing the photo fails.
MAX_INPUT_EDGE = 4096
#: The most candidate masks a global net may give for one click.
MAX_CANDIDATES = 8
#: The deepest U-Net cutout runs (its tiles align to 2**depth pixels).
MAX_DEPTH = 8
#: Bounds of the RGB normalisation ``(rgb / 255 - mean) / std``: within them every input is a finite
#: float32 a net can have been trained on (std 1e-45 makes 1 / std infinite, mean inf every input).
STD_RANGE = (1e-3, 1e3)
MEAN_RANGE = (-1e3, 1e3)

RGB_CHANNELS = ("red", "green", "blue")
#: Input channels, in order, of each role. Click maps are disks of ``click_radius`` px (1 inside).
ROLE_CHANNELS: dict[str, tuple[str, ...]] = {
    "single": RGB_CHANNELS,
    "global": RGB_CHANNELS + ("positive_clicks", "negative_clicks", "previous_mask"),
    "refiner": RGB_CHANNELS + ("coarse_probability",),
}


def unet_margin(depth: int) -> int:
    """Context in pixels that a U-Net of ``depth`` pooling steps needs on each side of an output pixel.

    Each level loses 4 pixels (two 3x3 convs) at its scale on the way down and again on the way up,
    plus 4 at the bottom: ``sum(2 * 4 * 2**i) + 4 * 2**depth = 12 * 2**depth - 8`` in all, half per
    side. For the paper's depth 4 this is 92, the 572 -> 388 of Ronneberger et al.
    """
    if depth < 1:
        raise ValueError("depth must be at least 1")
    return 6 * 2**depth - 4


def valid_output_size(input_size: int, depth: int) -> int | None:
    """Output edge of a valid-padded U-Net for ``input_size``, or None if that input is not allowed.

    An input is allowed when every max-pool sees an even size and nothing shrinks below one pixel.
    """
    size = input_size
    for _ in range(depth):
        size -= 4
        if size < 2 or size % 2:
            return None
        size //= 2
    size -= 4  # bottom double conv
    if size < 1:
        return None
    for _ in range(depth):
        size = size * 2 - 4
        if size < 1:
            return None
    return size


def valid_input_for_output(min_output: int, depth: int) -> int:
    """Smallest allowed input of a valid-padded U-Net whose output edge is at least ``min_output``."""
    step = 2**depth
    # Outputs are 2**depth * b - 4 * (2**depth - 1) for a bottom size b >= 1.
    b = max(1, -(-(min_output + 4 * (step - 1)) // step))
    while True:
        out = step * b - 4 * (step - 1)
        if out >= max(min_output, 1):
            return out + 2 * unet_margin(depth)
        b += 1


@dataclass(frozen=True)
class ModelInfo:
    """The description of a U-Net segmentation model that travels inside its ONNX file.

    RGB is normalised as ``(rgb / 255 - mean) / std``; guidance channels are in [0, 1] as they are.
    """

    role: Role = "single"
    padding: Padding = "valid"
    depth: int = 4
    base_width: int = 64
    tile_size: int = 572
    mean: tuple[float, float, float] = (0.485, 0.456, 0.406)
    std: tuple[float, float, float] = (0.229, 0.224, 0.225)
    name: str = "cutout-unet"
    version: str = "0"
    training_data: str = "untrained"
    output: Literal["probability"] = "probability"
    format_version: int = FORMAT_VERSION
    norm: Norm = "none"
    #: Global role: the photo's long side is resized to this many pixels (0 for tiled roles).
    input_size: int = 0
    #: Global role: radius in pixels (at ``input_size``) of the disk that encodes one click.
    click_radius: float = 0.0
    #: The pretrained encoder under the U-Net decoder (e.g. "efficientnet-lite0"); "" for a plain U-Net.
    encoder: str = ""
    #: Global role: how many candidate masks the net gives for an ambiguous click, besides its single answer
    #: (0: the single answer only). Such a net has a second output, ``scores``: each output's predicted IoU.
    candidates: int = 0
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def channels(self) -> tuple[str, ...]:
        """The input channels, in order."""
        return ROLE_CHANNELS[self.role]

    @property
    def margin(self) -> int:
        """Context pixels each tile carries on every side (the receptive-field margin)."""
        return unet_margin(self.depth)

    @property
    def alignment(self) -> int:
        """Tile origins must be multiples of this so that pooling grids line up across tiles."""
        return 2**self.depth

    def output_size(self, input_size: int) -> int | None:
        """Edge of the model's output for a square input of ``input_size``; None if not allowed."""
        if self.padding == "valid":
            return valid_output_size(input_size, self.depth)
        return input_size if input_size > 0 and input_size % self.alignment == 0 else None

    def input_for_output(self, min_output: int) -> int:
        """Smallest allowed input edge whose output covers ``min_output`` pixels."""
        if self.padding == "valid":
            return valid_input_for_output(min_output, self.depth)
        a = self.alignment
        return max(a, -(-min_output // a) * a)

    def to_json(self) -> str:
        """Serialise for the ONNX metadata; the derived margin is written too, for other readers."""
        return json.dumps({**asdict(self), "margin": self.margin, "channels": list(self.channels)}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "ModelInfo":
        """Parse the ONNX metadata written by :meth:`to_json`; raises :class:`ModelError` if it is unusable
        (longer than :data:`MAX_METADATA_CHARS`, nested too deep, not these fields)."""
        if len(text) > MAX_METADATA_CHARS:
            raise ModelError(f"The model's cutout metadata is invalid: {len(text):,} characters, at most "
                             f"{MAX_METADATA_CHARS:,} are read")  # fmt: skip
        try:
            raw = json.loads(text)
            if not isinstance(raw, dict):
                raise ValueError("not a JSON object")
            if int(raw.get("format_version", 0)) > FORMAT_VERSION:
                raise ValueError(f"format version {raw['format_version']} is newer than this cutout understands")
            known = {f for f in cls.__dataclass_fields__}
            kwargs = {k: v for k, v in raw.items() if k in known}
            for key in ("mean", "std"):
                if key in kwargs:
                    kwargs[key] = tuple(float(v) for v in kwargs[key])
                    if len(kwargs[key]) != 3:
                        raise ValueError(f"{key} needs 3 values")
            if "channels" in raw and tuple(raw["channels"]) != ROLE_CHANNELS.get(raw.get("role", "single")):
                raise ValueError(f"channels {raw['channels']} do not match the role {raw.get('role', 'single')!r}")
            info = cls(**kwargs)
            info.check()
            if "margin" in raw and raw["margin"] != info.margin:
                raise ValueError(f"margin {raw['margin']} contradicts a depth-{info.depth} U-Net (margin {info.margin})")
            return info
        except RecursionError:
            raise ModelError("The model's cutout metadata is invalid: it is nested too deep") from None
        except (TypeError, ValueError, KeyError, OverflowError) as exc:
            raise ModelError(f"The model's cutout metadata is invalid: {exc}") from exc

    def check(self) -> None:
        """Raise ValueError if the fields contradict each other or cannot work (sizes, normalisation, depth)."""
        for name in ("role", "padding", "norm", "name", "version", "training_data", "encoder", "output"):
            if not isinstance(getattr(self, name), str):
                raise ValueError(f"{name} is {type(getattr(self, name)).__name__}, not text")
        if not isinstance(self.extra, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in self.extra.items()):
            raise ValueError("extra must map text to text")
        if not _whole(self.base_width) or self.base_width < 1:
            raise ValueError(f"base width {self.base_width!r} is not a whole number of channels")
        if self.role not in ROLE_CHANNELS:
            raise ValueError(f"unknown role {self.role!r}")
        if self.padding not in ("valid", "same"):
            raise ValueError(f"unknown padding {self.padding!r}")
        if not _whole(self.depth) or not 1 <= self.depth <= MAX_DEPTH:
            raise ValueError(f"depth {self.depth!r} is not a whole number from 1 to {MAX_DEPTH}")
        (lo, hi), (mean_lo, mean_hi) = STD_RANGE, MEAN_RANGE
        if not all(lo <= s <= hi for s in self.std) or not all(mean_lo <= m <= mean_hi for m in self.mean):
            raise ValueError(f"std {self.std} must be between {lo:g} and {hi:g}, and mean {self.mean} between "
                             f"{mean_lo:g} and {mean_hi:g}")  # fmt: skip
        if self.role == "global":
            if not _whole(self.input_size) or not 0 < self.input_size <= MAX_INPUT_EDGE:
                raise ValueError(f"input size {self.input_size!r} is not a whole number of pixels from 1 to {MAX_INPUT_EDGE}")
            if self.padding != "same" or self.input_size < self.alignment or self.input_size % self.alignment:
                raise ValueError(f"a global model needs same padding and an input size that is a multiple of {self.alignment}")
            if not 0 < self.click_radius <= self.input_size:
                raise ValueError(f"a global model needs a click radius from 0 to its input size, not {self.click_radius!r}")
            if not _whole(self.candidates) or not 0 <= self.candidates <= MAX_CANDIDATES:
                raise ValueError(f"candidates {self.candidates!r} is not a whole number from 0 to {MAX_CANDIDATES}")
        elif self.candidates:
            raise ValueError(f"only a global model gives candidates, not a {self.role} model")
        elif not _whole(self.tile_size) or not 0 < self.tile_size <= MAX_INPUT_EDGE:
            raise ValueError(f"tile size {self.tile_size!r} is not a whole number of pixels from 1 to {MAX_INPUT_EDGE}")
        elif self.output_size(self.tile_size) is None:
            raise ValueError(f"tile size {self.tile_size} does not fit a depth-{self.depth} {self.padding} U-Net")


def _whole(value: object) -> bool:
    """A whole number (not a bool, not a float)."""
    return isinstance(value, int) and not isinstance(value, bool)
