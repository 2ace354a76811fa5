"""What an export makes: the mode (transparent, the mask, or on a colour) and the edge steps.

Plain Python, no numpy or OpenCV: the command line builds its options from these defaults before
anything heavy loads (so that the photo's decoder process starts at once).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ExportMode(StrEnum):
    """What an exported PNG contains."""

    RGBA = "rgba"  #: the photo, transparent where the mask is 0 (and RGB 0 there)
    MASK = "mask"  #: the mask alone, as an 8-bit grayscale image
    BACKGROUND = "background"  #: the subject composited over a solid colour, no transparency


@dataclass
class ExportOptions:
    """How to export: the mode, the RGB colour (0..255 each) that BACKGROUND mode fills with, and the edges.

    ``decontaminate``: the subject's own colours where alpha is partial (RGBA and BACKGROUND modes).
    ``matting``: recompute alpha along the outline with alpha matting (slower; for hair and fur).
    """

    mode: ExportMode = ExportMode.RGBA
    background: tuple[int, int, int] = (255, 255, 255)
    decontaminate: bool = True
    matting: bool = False

    def __post_init__(self) -> None:
        self.mode = ExportMode(self.mode)
        self.decontaminate = bool(self.decontaminate)
        self.matting = bool(self.matting)
        background = tuple(int(c) for c in self.background)
        if len(background) != 3 or not all(0 <= c <= 255 for c in background):
            raise ValueError(f"background must be three values in 0..255, got {self.background!r}")
        self.background = background  # type: ignore[assignment]
