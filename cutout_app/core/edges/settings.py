"""The mask settings: how a probability becomes the soft mask and the soft mask becomes alpha.

Plain Python, no numpy or OpenCV: the command line builds its options from these defaults before
anything heavy loads (so that the photo's decoder process starts at once).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass, fields
from typing import Any

#: The widest edge and the largest shift, in pixels (a larger one is a different cut-out, not an edge).
MAX_EDGE_PX = 200.0
MAX_SHIFT_PX = 100


@dataclass
class MaskSettings:
    """How a probability becomes the soft mask (``refine``) and how the soft mask becomes alpha.

    ``threshold`` (0..1) is where the alpha ramp is centred; ``softness`` (0..1) is the ramp's width
    (0 = hard cut-out). ``threshold=0.5, softness=1.0`` shows the soft mask unchanged. ``edge_px``
    and ``shift_px`` then shape the outline in pixels (:mod:`cutout_app.core.edges.edge_shape`): a
    feathered edge that never reaches the interior, and shrink (negative) or grow (positive).
    Every value is checked here: anything else raises ValueError, whatever its type.
    """

    threshold: float = 0.5
    # 0.3, not a harder 0.1: on hair composites it keeps the alpha error (SAD) and lowers the stair-step
    # gradient error by 16 % (bench/bench_edges.py --softness-sweep); wider ramps blur solid edges.
    softness: float = 0.3
    refine: bool = True
    edge_px: float = 0.0
    shift_px: int = 0

    def __post_init__(self) -> None:
        self.threshold = _number("threshold", self.threshold, 0.0, 1.0)
        self.softness = _number("softness", self.softness, 0.0, 1.0)
        self.edge_px = _number("edge_px", self.edge_px, 0.0, MAX_EDGE_PX)
        shift = _number("shift_px", self.shift_px, -MAX_SHIFT_PX, MAX_SHIFT_PX)
        if shift != int(shift):
            raise ValueError(f"shift_px must be a whole number of pixels, got {shift:g}")
        self.shift_px = int(shift)
        if not isinstance(self.refine, (bool, int)) or isinstance(self.refine, float):
            raise ValueError(f"refine must be true or false, got {self.refine!r}")
        self.refine = bool(self.refine)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy (used by the autosave meta file and the GUI settings)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MaskSettings:
        """Settings from :meth:`to_dict` output; unknown keys are ignored, missing ones take defaults."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        """The names of the settings, in order."""
        return tuple(f.name for f in fields(cls))

    @property
    def shapes_edges(self) -> bool:
        """True when the outline is shifted or given a width (alpha then depends on the neighbours)."""
        return self.edge_px > 0 or self.shift_px != 0


def _number(name: str, value: object, low: float, high: float) -> float:
    """``value`` as a float in ``[low, high]``; ValueError for anything else (None, a list, a string, NaN, 1e400)."""
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a number between {low:g} and {high:g}, got {shown}")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not low <= number <= high:  # NaN fails too
        raise ValueError(f"{name} must be between {low:g} and {high:g}, got {shown}")
    return number
