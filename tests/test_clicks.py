"""Clicks: parsing, encoding, and the standard click simulator on hand-made masks."""

from __future__ import annotations

import numpy as np
import pytest

from cutout_app.core.errors import CutoutError
from cutout_app.core.inference.clicks import Click, check_clicks, click_maps, next_click, parse_point


def _square(h: int, w: int, y0: int, y1: int, x0: int, x1: int) -> np.ndarray:
    m = np.zeros((h, w), np.uint8)
    m[y0:y1, x0:x1] = 255
    return m


def test_parse_point_and_its_errors() -> None:
    assert parse_point("12,34.5") == (12.0, 34.5)
    for bad in ("12", "a,b", "1,2,3", "", "nan,3"):
        with pytest.raises(CutoutError, match="is not a point"):
            parse_point(bad)


def test_clicks_outside_the_photo_are_refused() -> None:
    assert check_clicks([Click(0, 0), Click(99, 49, False)], 50, 100)
    with pytest.raises(CutoutError, match="remove click at 100,10 is outside the 100x50 photo"):
        check_clicks([Click(100, 10, False)], 50, 100)
    with pytest.raises(CutoutError, match="keep click"):
        check_clicks([Click(5, -1)], 50, 100)


def test_click_maps_put_disks_in_the_right_map_at_scale() -> None:
    maps = click_maps([Click(40, 20, True), Click(80, 60, False)], 50, 60, radius=2, scale=0.5)
    assert maps.shape == (2, 50, 60) and maps.dtype == np.float32
    assert maps[0, 10, 20] == 1 and maps[1, 30, 40] == 1
    assert maps[0, 30, 40] == 0 and maps[1, 10, 20] == 0
    assert maps[0].sum() == pytest.approx(13, abs=4)  # a radius-2 disk


def test_a_perfect_prediction_needs_no_click() -> None:
    truth = _square(40, 40, 10, 30, 10, 30)
    assert next_click(truth, truth) is None


def test_the_next_click_is_positive_inside_the_missed_region() -> None:
    truth = _square(60, 60, 10, 50, 10, 50)
    pred = _square(60, 60, 10, 50, 10, 25)  # the right part of the subject is missed
    click = next_click(pred, truth)
    assert click is not None and click.positive
    missed = (truth > 0) & (pred == 0)
    assert missed[int(click.y), int(click.x)]
    # The most interior points of the missed 40x25 block lie on its middle column, 12 px from each side.
    assert abs(click.x - 37) <= 1 and 21 <= click.y <= 38


def test_the_next_click_is_negative_where_background_was_taken() -> None:
    truth = _square(60, 60, 20, 40, 20, 40)
    pred = np.maximum(truth, _square(60, 60, 0, 60, 45, 60))  # a wide false band on the right
    click = next_click(pred.astype(np.float32) / 255, truth)
    assert click is not None and not click.positive
    assert pred[int(click.y), int(click.x)] and not truth[int(click.y), int(click.x)]


def test_the_larger_error_region_wins() -> None:
    truth = _square(80, 80, 0, 80, 0, 40)
    pred = truth.copy()
    pred[0:4, 0:4] = 0  # small miss
    pred[20:60, 50:75] = 255  # large false region
    click = next_click(pred, truth)
    assert click is not None and not click.positive and 50 <= click.x < 75
