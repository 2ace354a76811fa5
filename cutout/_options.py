"""remove()'s options as core's: the export's mode and colour (``ExportOptions``) and the edge options
(``MaskSettings``, plus the export's edge steps).

Every default is core's: an option that is not given keeps the value that ``ExportOptions`` and
``MaskSettings`` give it, as the command line does. Every value is checked by those classes; what they
refuse becomes an :class:`~cutout_app.core.errors.ArgumentError`.
"""

from __future__ import annotations

import numbers
from typing import Iterable, Literal, Mapping, Sequence, TypedDict, Union

from cutout_app.core.edges import MaskSettings
from cutout_app.core.errors import ArgumentError
from cutout_app.core.files import ExportMode, ExportOptions, parse_colour

#: What a result holds: the photo made transparent around the subject ("transparent", or the command
#: line's name "rgba"), the mask alone, or the subject on a ``background`` colour.
Mode = Literal["transparent", "rgba", "mask", "background"]
#: A colour: a name (white, black, grey), "#RRGGBB", "R,G,B", or three ints 0..255.
Colour = Union[str, Sequence[int]]

#: remove()'s name for the command line's ``--mode rgba``.
_ALIASES = {"transparent": ExportMode.RGBA}


class EdgeOptions(TypedDict, total=False):
    """The keyword options of :func:`cutout.remove` that shape the edge (all optional; defaults are core's).

    ``threshold``, ``softness`` (0..1), ``refine`` (the guided filter), ``edge_px`` (feather the
    outline over that many pixels) and ``shift_px`` (grow, or shrink when negative) are
    ``MaskSettings``' fields, the command line's ``--threshold``, ``--softness``, ``--no-refine``,
    ``--edge-width`` and ``--shift-edge``; ``decontaminate`` and ``matting`` are the export's
    (``--no-decontaminate``, ``--matting``).
    """

    threshold: float
    softness: float
    refine: bool
    edge_px: float
    shift_px: int
    decontaminate: bool
    matting: bool


#: The options of :class:`EdgeOptions` that belong to the export rather than to the mask.
EXPORT_EDGE_OPTIONS = ("decontaminate", "matting")


def make_options(mode: str | None, background: Colour | None, edges: Mapping[str, object]) -> tuple[ExportOptions, MaskSettings]:
    """Core's export options and mask settings for remove()'s ``mode``, ``background`` and ``**options``.

    ``mode`` None is the export's default, or "background" when a ``background`` colour is given.
    Raises :class:`ArgumentError` for an unknown option or a value core refuses.
    """
    unknown = sorted(set(edges) - set(EdgeOptions.__annotations__))
    if unknown:
        raise ArgumentError(f"remove() takes no option {unknown[0]!r}; its edge options are "
                            f"{', '.join(EdgeOptions.__annotations__)}")  # fmt: skip
    export = {k: edges[k] for k in EXPORT_EDGE_OPTIONS if k in edges}
    mask = {k: v for k, v in edges.items() if k not in EXPORT_EDGE_OPTIONS}
    chosen = _mode(mode, background)
    if chosen is not None:
        export["mode"] = chosen
    if background is not None:
        export["background"] = _colour(background)
    try:
        return ExportOptions(**export), MaskSettings(**mask)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise ArgumentError(str(exc)) from None


def _mode(mode: str | None, background: Colour | None) -> ExportMode | None:
    """The export mode that ``mode`` names (None: the export's default, or BACKGROUND with a colour)."""
    if mode is None:
        return ExportMode.BACKGROUND if background is not None else None
    names = [*_ALIASES, *(m.value for m in ExportMode)]
    if not isinstance(mode, str) or mode.lower() not in names:
        raise ArgumentError(f"mode must be one of {', '.join(repr(n) for n in names)}; got {mode!r}")
    chosen = _ALIASES.get(mode.lower()) or ExportMode(mode.lower())
    if background is not None and chosen is not ExportMode.BACKGROUND:
        raise ArgumentError(f"background= is the colour of mode='background', not of mode={mode!r}")
    return chosen


def _colour(background: Colour) -> tuple[int, ...]:
    """``background`` as (R, G, B); ExportOptions checks the range."""
    if isinstance(background, str):
        try:
            return parse_colour(background)
        except ValueError as exc:
            raise ArgumentError(str(exc)) from None
    values = tuple(background) if isinstance(background, Iterable) else ()
    if len(values) != 3 or not all(isinstance(c, numbers.Integral) and not isinstance(c, bool) for c in values):
        raise ArgumentError(f"background must be a colour name, '#RRGGBB', 'R,G,B' or three ints 0..255; "
                            f"got {background!r}")  # fmt: skip
    return tuple(int(c) for c in values)
