"""What an export makes: the mode (transparent, the mask, or on a colour) and the edge steps.

Plain Python, no numpy or OpenCV: the command line builds its options from these defaults before
anything heavy loads (so that the photo's decoder process starts at once).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

#: The colours that :func:`parse_colour` knows by name.
NAMED_COLOURS = {"white": (255, 255, 255), "black": (0, 0, 0), "grey": (128, 128, 128), "gray": (128, 128, 128)}


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


def parse_colour(text: str) -> tuple[int, int, int]:
    """A colour written as a name (white, black, grey), #RRGGBB or R,G,B with values 0..255, as (R, G, B).

    Raises ValueError, whose message says how to write one, for anything else.
    """
    value = text.strip().lower()
    if value in NAMED_COLOURS:
        return NAMED_COLOURS[value]
    hexdigits = "0123456789abcdef"
    if value.startswith("#") and len(value) == 7 and all(c in hexdigits for c in value[1:]):
        return tuple(int(value[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]
    parts = value.split(",")
    if len(parts) == 3 and all(p.strip().isdigit() and 0 <= int(p) <= 255 for p in parts):
        return tuple(int(p) for p in parts)  # type: ignore[return-value]
    raise ValueError(f"'{text}' is not a colour: use a name (white), #RRGGBB or R,G,B")
