"""Tile plans: geometry of the overlap-tile strategy."""

import numpy as np
import pytest

from cutout_app.core.inference.model_info import ModelInfo
from cutout_app.core.inference.tiling import plan_tiles, reflect_indices, snap_tile_size, tile_input

PAPER = ModelInfo(padding="valid", depth=4, tile_size=572)


def test_reflect_indices_match_numpy_reflect_even_beyond_the_image():
    row = np.arange(7)
    expected = np.pad(row, 20, mode="reflect")
    assert np.array_equal(row[reflect_indices(np.arange(-20, 27), 7)], expected)
    assert np.array_equal(reflect_indices(np.arange(-3, 4), 1), np.zeros(7, dtype=int))


def test_tiles_cover_the_photo_exactly_once():
    plan = plan_tiles(1000, 1500, PAPER)
    covered = np.zeros((1000, 1500), dtype=np.int32)
    for t in plan.tiles:
        covered[t.y : t.y + t.h, t.x : t.x + t.w] += 1
    assert covered.min() == 1 and covered.max() == 1
    assert (plan.input_h, plan.input_w) == (572, 572)


def test_tile_origins_align_with_the_pooling_grid():
    plan = plan_tiles(1000, 1500, PAPER)
    assert all(t.y % 16 == 0 and t.x % 16 == 0 for t in plan.tiles)
    assert plan.context == 92


def test_a_small_photo_gets_one_tile_just_big_enough():
    plan = plan_tiles(100, 300, PAPER)
    assert len(plan) == 1
    assert PAPER.output_size(plan.input_h) >= 100 and PAPER.output_size(plan.input_w) >= 300
    assert plan.input_h < 572 and plan.input_w < 572


def test_snap_tile_size_picks_an_allowed_input():
    assert snap_tile_size(PAPER, 572) == 572
    snapped = snap_tile_size(PAPER, 600)
    assert snapped <= 600 and PAPER.output_size(snapped) is not None
    same = ModelInfo(padding="same", depth=4, tile_size=512)
    assert snap_tile_size(same, 500) % 16 == 0


def test_tile_input_carries_mirrored_context_at_the_border():
    image = np.arange(30 * 40 * 3, dtype=np.int64).reshape(30, 40, 3) % 251
    info = ModelInfo(padding="valid", depth=2, tile_size=88)
    plan = plan_tiles(30, 40, info)
    pixels = tile_input(image, plan, plan.tiles[0])
    padded = np.pad(image, ((20, plan.input_h - 30 - 20), (20, plan.input_w - 40 - 20), (0, 0)), mode="reflect")
    assert np.array_equal(pixels, padded)


def test_empty_image_is_refused():
    with pytest.raises(ValueError):
        plan_tiles(0, 10, PAPER)
