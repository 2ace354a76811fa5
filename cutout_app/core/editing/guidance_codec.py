"""The click tool's guidance (clicks and painted strokes) as JSON, for the autosave: written by us, read with suspicion.

A stored guidance may come back damaged or hand-edited: :func:`guidance_from_json` checks every field
and raises ValueError for anything that is not a guidance of a photo of the given size.
"""

from __future__ import annotations

import math
from typing import Any

from cutout_app.core.inference import Click, Guidance, Stroke

#: More clicks, strokes or stroke points than this is not a guidance a person made.
MAX_CLICKS = 10_000
MAX_STROKES = 100_000
MAX_POINTS = 2_000_000


def guidance_to_json(guidance: Guidance) -> dict[str, Any]:
    """``guidance`` as a JSON-ready dict."""
    return {
        "clicks": [[c.x, c.y, bool(c.positive)] for c in guidance.clicks],
        "strokes": [{"radius": s.radius, "points": [[x, y] for x, y in s.points]} for s in guidance.strokes],
    }


def _coordinate(value: Any, limit: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"a coordinate must be a number, got {type(value).__name__}")
    number = float(value)
    if not -limit <= number <= limit:  # NaN fails too
        raise ValueError(f"a coordinate is out of range: {number!r}")
    return number


def guidance_from_json(data: Any, height: int, width: int) -> Guidance:
    """The guidance stored by :func:`guidance_to_json` for a ``height`` x ``width`` photo; ValueError if it is not one."""
    if not isinstance(data, dict):
        raise ValueError("the stored clicks are not a JSON object")
    clicks_raw, strokes_raw = data.get("clicks", []), data.get("strokes", [])
    if not isinstance(clicks_raw, list) or not isinstance(strokes_raw, list):
        raise ValueError("the stored clicks or strokes are not lists")
    if len(clicks_raw) > MAX_CLICKS or len(strokes_raw) > MAX_STROKES:
        raise ValueError("too many stored clicks or strokes")
    clicks = []
    for item in clicks_raw:
        if not isinstance(item, list) or len(item) != 3 or not isinstance(item[2], bool):
            raise ValueError("a stored click is not [x, y, keep]")
        x, y = _coordinate(item[0], width), _coordinate(item[1], height)
        if not (0 <= x < width and 0 <= y < height):
            raise ValueError(f"a stored click at {x:g},{y:g} is outside the {width}x{height} photo")
        clicks.append(Click(x, y, item[2]))
    strokes, points_total = [], 0
    reach = 2.0 * (height + width)  # a stroke's dabs may lie a little outside the photo
    for item in strokes_raw:
        if not isinstance(item, dict) or not isinstance(item.get("points"), list) or not item["points"]:
            raise ValueError("a stored stroke has no points")
        radius = _coordinate(item.get("radius"), reach)
        if radius <= 0 or not math.isfinite(radius):
            raise ValueError("a stored stroke has no radius")
        points_total += len(item["points"])
        if points_total > MAX_POINTS:
            raise ValueError("too many stored stroke points")
        points = []
        for point in item["points"]:
            if not isinstance(point, list) or len(point) != 2:
                raise ValueError("a stored stroke point is not [x, y]")
            points.append((_coordinate(point[0], reach), _coordinate(point[1], reach)))
        strokes.append(Stroke(tuple(points), radius))
    return Guidance(tuple(clicks), tuple(strokes))
