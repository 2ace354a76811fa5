"""remove()'s prompts as core's, checked against the photo: keep and remove clicks, and a box, in photo pixels.

Points are (x, y), x to the right and y down from the photo's top-left corner, as on the command line
(``--keep X,Y``). A box is (x0, y0, x1, y1): its left, top, right and bottom edges, x0 < x1 and y0 < y1,
inside the photo (0 <= x0, x1 <= width, 0 <= y0, y1 <= height), as ``--box X0,Y0,X1,Y1``.
"""

from __future__ import annotations

import math
import numbers
from typing import Iterable, Sequence

from cutout_app.core.errors import ArgumentError, CutoutError
from cutout_app.core.inference import Box, Click, check_box, check_clicks

#: A point of the photo: (x, y) in pixels.
Point = Sequence[float]
#: A box of the photo: (x0, y0, x1, y1) in pixels.
BoxLike = Sequence[float]


def make_clicks(keep: Iterable[Point], remove: Iterable[Point], width: int, height: int) -> list[Click]:
    """The keep clicks, then the remove clicks, as core's; :class:`ArgumentError` for a malformed one or one outside."""
    clicks = [_click(p, True) for p in _points(keep, "keep")] + [_click(p, False) for p in _points(remove, "remove")]
    try:
        return check_clicks(clicks, height, width)
    except CutoutError as exc:
        raise ArgumentError(str(exc)) from None


def make_boxes(box: BoxLike | None, width: int, height: int) -> list[Box]:
    """``box`` as core's box prompts (none for None); :class:`ArgumentError` for one that is malformed or
    not inside the photo (core's :func:`check_box` says which)."""
    if box is None:
        return []
    x0, y0, x1, y1 = _numbers(box, 4, "box")
    return [check_box(Box(x0, y0, x1, y1), height, width)]


def _click(point: Point, positive: bool) -> Click:
    x, y = _numbers(point, 2, "keep" if positive else "remove")
    return Click(x, y, positive)


def _points(points: Iterable[Point], name: str) -> list[Point]:
    """``points`` as a list; a single point given where a list of them belongs is refused with the fix."""
    if isinstance(points, (str, bytes)) or not isinstance(points, Iterable):
        raise ArgumentError(f"{name}= takes a list of (x, y) points; got {_shown(points)}")
    listed = list(points)
    if len(listed) == 2 and all(_is_number(v) for v in listed):
        raise ArgumentError(f"{name}= takes a list of (x, y) points: {name}=[{_shown(tuple(listed))}]")
    return listed


def _numbers(values: object, count: int, name: str) -> tuple[float, ...]:
    """``values`` as ``count`` finite floats; :class:`ArgumentError` naming ``name`` otherwise."""
    what = "an (x, y) point" if count == 2 else "(x0, y0, x1, y1)"
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise ArgumentError(f"{name}: expected {what} in photo pixels; got {_shown(values)}")
    listed = list(values)
    if len(listed) != count or not all(_is_number(v) and math.isfinite(float(v)) for v in listed):
        raise ArgumentError(f"{name}: expected {what} of finite numbers in photo pixels; got {_shown(values)}")
    return tuple(float(v) for v in listed)


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _shown(value: object) -> str:
    """A short repr for a message."""
    text = repr(tuple(value) if isinstance(value, list) else value)
    return text if len(text) <= 60 else text[:57] + "..."
