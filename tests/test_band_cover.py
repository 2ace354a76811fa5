"""Refiner tiles fitted to the uncertain band: the geometry, and the same refined values as grid tiles."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import make_photo, open_two_stage

from cutout_app.core.geometry import Rect
from cutout_app.core.inference.band_cover import fit_to_band
from cutout_app.core.inference.global_net import GlobalPrediction, _bilinear_axis, _bilinear_span
from cutout_app.core.inference.model_info import ModelInfo
from cutout_app.core.inference.tiling import plan_tiles, tile_window
from cutout_app.core.inference.two_stage import UNCERTAIN, CutoutModel

REFINER = ModelInfo(padding="valid", depth=3, tile_size=532)  # as the bundled refiner: 532 px, CPU plans of 260


def _ring(height: int, width: int, small: int = 40) -> GlobalPrediction:
    """A global prediction at ``small`` px (long side) of an ellipse with a soft outline, for a photo of
    ``height`` x ``width``: sure inside and outside, uncertain along a band."""
    h, w = (small, round(small * width / height)) if height >= width else (round(small * height / width), small)
    yy, xx = np.mgrid[:h, :w]
    distance = np.hypot((yy - h / 2) / (h / 3), (xx - w / 2) / (w / 3)) - 1
    return GlobalPrediction((1 / (1 + np.exp(distance * 12))).astype(np.float32), height, width)


def _uncertain(coarse: GlobalPrediction) -> np.ndarray:
    up = coarse.upsampled()
    return (up > UNCERTAIN[0]) & (up < UNCERTAIN[1])


def _unsure_of(mask: np.ndarray):
    return lambda rows, cols: bool(mask[rows, cols].any())


@pytest.mark.parametrize("seed", range(6))
def test_fitted_tiles_cover_every_uncertain_pixel_inside_their_row_for_less_input(seed: int) -> None:
    rng = np.random.default_rng(seed)
    height, width = int(rng.integers(300, 1400)), int(rng.integers(300, 1400))
    band = np.zeros((height, width), np.uint8)  # a few random strokes of uncertainty
    for _ in range(int(rng.integers(1, 6))):
        p, q = rng.integers(0, (width, height), 2), rng.integers(0, (width, height), 2)
        cv2.line(band, (int(p[0]), int(p[1])), (int(q[0]), int(q[1])), 1, int(rng.integers(1, 40)))
    band = band.astype(bool)
    plan = plan_tiles(height, width, REFINER, 260)
    unsure = _unsure_of(band)
    run = {t for t in plan.tiles if unsure(slice(t.y, t.y + t.h), slice(t.x, t.x + t.w))}
    fitted = fit_to_band(plan, run, unsure, REFINER)
    covered = np.zeros_like(band)
    rows = {t.y: t.h for t in plan.tiles}
    for y, tiles in fitted.items():
        for tile in tiles:
            assert y <= tile.y and tile.y + tile.h <= y + rows[y]  # inside its row of grid tiles
            assert tile.y % REFINER.alignment == 0 and tile.x % REFINER.alignment == 0  # on the pooling grid
            assert REFINER.output_size(tile.input_h) >= tile.h and REFINER.output_size(tile.input_w) >= tile.w
            assert tile.input_w <= REFINER.tile_size  # merged no wider than the model's own tile: memory bounded
            covered[tile.y : tile.y + tile.h, tile.x : tile.x + tile.w] = True
    assert covered[band].all()
    fitted_input = sum(t.input_h * t.input_w for tiles in fitted.values() for t in tiles)
    assert fitted_input <= len(run) * plan.input_h * plan.input_w


@pytest.fixture(scope="module")
def model(tiny_random_two_stage_path: Path) -> CutoutModel:
    return open_two_stage(tiny_random_two_stage_path, threads=2)


def test_the_band_holds_the_refiners_values_and_the_rest_the_global_ones(model: CutoutModel) -> None:
    rgb = make_photo(700, 900, seed=2)
    coarse = _ring(700, 900)
    size = model.refiner.info.tile_size
    fitted = model.refine(rgb, coarse, tile_size=size)
    every = model.refine(rgb, coarse, tile_size=size, everywhere=True)  # the refiner's value at every pixel
    up = coarse.upsampled()
    uncertain = _uncertain(coarse)
    assert uncertain.mean() > 0.02
    assert np.abs(fitted[uncertain] - every[uncertain]).max() <= 1e-5
    refined = np.abs(fitted - every) <= 1e-5
    assert (refined | (fitted == up)).all()
    assert (~refined).mean() > 0.3  # the sure pixels away from the band were left alone


def test_fitted_tiles_run_less_input_than_the_grid(model: CutoutModel) -> None:
    coarse = _ring(1200, 1600)
    plan, by_row, _ = model._layout(1200, 1600, coarse, tile_size=model.tile_size)
    run, _ = model._select(plan, coarse, False, None)
    fitted = [t for tiles in by_row.values() for t in tiles]
    assert sum(t.input_h * t.input_w for t in fitted) < 0.8 * len(run) * plan.input_h * plan.input_w


def test_a_photo_of_one_tile_runs_band_fitted_tiles_where_they_read_less(model: CutoutModel) -> None:
    rgb = make_photo(700, 900, seed=7)
    coarse = _ring(700, 900)
    whole = model.plan(700, 900)
    assert len(whole) == 1
    plan, by_row, _ = model._layout(700, 900, coarse)
    fitted = [t for tiles in by_row.values() for t in tiles]
    assert len(plan) > 1 and sum(t.input_h * t.input_w for t in fitted) < whole.input_h * whole.input_w
    result = model.refine(rgb, coarse)
    every = model.refine(rgb, coarse, everywhere=True)  # the one tile over the whole photo
    uncertain = _uncertain(coarse)
    assert np.abs(result[uncertain] - every[uncertain]).max() <= 1e-5
    assert ((np.abs(result - every) <= 1e-5) | (result == coarse.upsampled())).all()
    # A photo whose band is most of it keeps its one tile.
    busy = GlobalPrediction(np.full((31, 40), 0.5, np.float32), 700, 900)
    assert model._layout(700, 900, busy)[0] == whole


def test_a_region_refines_to_the_same_values_as_the_whole_photo(model: CutoutModel) -> None:
    rgb = make_photo(300, 2200, seed=5)  # wider than one tile may be: the photo is cut into tiles
    coarse = _ring(300, 2200, small=120)
    assert len(model.plan(300, 2200)) > 1
    whole = model.refine(rgb, coarse)
    for x, w in ((0, 300), (700, 450), (1950, 250)):
        region = model.refine_region(rgb, coarse, Rect(x, 40, w, 200))
        np.testing.assert_array_equal(region, whole[40:240, x : x + w])


def test_tiles_of_several_sizes_give_the_same_in_batches_as_one_at_a_time(model: CutoutModel) -> None:
    rgb = make_photo(500, 700, seed=3)
    coarse = _ring(500, 700)
    plan, by_row, _ = model._layout(500, 700, coarse, tile_size=model.refiner.info.tile_size)
    tiles = [t for tiles in by_row.values() for t in tiles]
    assert len({(t.input_h, t.input_w) for t in tiles}) > 1

    def window(tile):
        return [coarse.upsampled_at(*tile_window(plan, tile))]

    one = dict(model.refiner.predict_tiles(rgb, plan, tiles, window, batch_size=1))
    batched = dict(model.refiner.predict_tiles(rgb, plan, tiles, window, batch_size=4))
    for tile in tiles:
        np.testing.assert_allclose(batched[tile], one[tile], atol=1e-5)


def test_a_slices_source_span_is_the_one_its_index_arrays_give() -> None:
    rng = np.random.default_rng(0)
    for _ in range(3000):
        source, target = int(rng.integers(1, 400)), int(rng.integers(1, 6000))
        start = int(rng.integers(0, target))
        stop = int(rng.integers(start + 1, target + 1))
        first, second, _ = _bilinear_axis(slice(start, stop), source, target)
        assert _bilinear_span(slice(start, stop), source, target) == (first.min(), second.max() + 1)
