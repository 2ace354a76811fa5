"""The two-stage model on tiny real ONNX models: global pass with clicks, refiner on uncertain tiles, checks."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import onnx
import pytest
from conftest import export_tiny_two_stage, make_photo, open_two_stage

from cutout_app.cli import EXIT_OK, EXIT_USAGE, main
from cutout_app.core.errors import CutoutError, ModelError
from cutout_app.core.files.imageio import read_image
from cutout_app.core.inference.clicks import Click
from cutout_app.core.inference.engine import ModelSession, SegmentationEngine
from cutout_app.core.inference.model_info import METADATA_KEY, ModelInfo
from cutout_app.core.inference.pipeline import segment_photo
from cutout_app.core.inference.two_stage import GLOBAL_FILE, REFINER_FILE, CutoutModel, open_model


@pytest.fixture(scope="module")
def model(tiny_two_stage_path: Path) -> CutoutModel:
    return open_two_stage(tiny_two_stage_path)


def test_without_clicks_the_wired_model_finds_nothing_and_a_keep_click_adds_a_disk(model: CutoutModel) -> None:
    rgb = make_photo(300, 400)
    assert model.predict(rgb).max() < 0.5
    prob = model.predict(rgb, clicks=[Click(200, 150)])
    assert prob[150, 200] > 0.9 and prob[10, 10] < 0.1
    fg = prob > 0.5
    ys, xs = np.nonzero(fg)
    assert abs(xs.mean() - 200) < 3 and abs(ys.mean() - 150) < 3


def test_a_remove_click_and_the_previous_mask_steer_the_result(model: CutoutModel) -> None:
    rgb = make_photo(300, 400)
    first = model.predict(rgb, clicks=[Click(200, 150)])
    # The previous mask carries the first result into a pass that has only a new keep click elsewhere.
    second = model.predict(rgb, clicks=[Click(80, 80)], previous=first)
    assert second[150, 200] > 0.9 and second[80, 80] > 0.9
    # A remove click on the old subject takes it away although the previous mask holds it.
    third = model.predict(rgb, clicks=[Click(80, 80), Click(200, 150, False)], previous=second)
    assert third[150, 200] < 0.1 and third[80, 80] > 0.9


def test_the_refiner_runs_only_on_uncertain_tiles(model: CutoutModel) -> None:
    rgb = make_photo(400, 500)
    coarse = model.predict_global(rgb, [Click(60, 60)])
    upsampled = coarse.upsampled()
    size = model.refiner.info.tile_size  # not one tile for the whole photo, as model.plan would choose
    plan = model.refiner.plan(400, 500, size)
    ran: list[int] = []
    result = model.refine(rgb, coarse, tile_size=size, progress=lambda done, total: ran.append(total))
    assert ran and ran[-1] < len(plan.tiles)  # only the tiles around the click's boundary
    far = plan.tiles[-1]  # bottom right, far from the click
    region = (slice(far.y, far.y + far.h), slice(far.x, far.x + far.w))
    np.testing.assert_array_equal(result[region], upsampled[region])


def test_a_second_click_refines_only_the_tiles_it_changed(model: CutoutModel) -> None:
    from cutout_app.core.inference.two_stage import Refinement

    rgb = make_photo(400, 500)
    first = model.predict_global(rgb, [Click(60, 60)])
    size = model.refiner.info.tile_size
    refined = model.refine(rgb, first, tile_size=size)
    second = model.predict_global(rgb, [Click(60, 60), Click(420, 320)], previous=refined)
    counts: dict[str, int] = {}
    fresh = model.refine(rgb, second, tile_size=size, progress=lambda done, total: counts.__setitem__("fresh", total))
    reused = model.refine(rgb, second, reuse=Refinement(first, refined), tile_size=size,
                          progress=lambda done, total: counts.__setitem__("reused", total))
    assert 0 < counts["reused"] < counts["fresh"]  # the first click's tiles were not run again...
    np.testing.assert_allclose(reused, fresh, atol=0.05)  # ...and their reused values are the same
    near_first = (slice(40, 80), slice(40, 80))
    np.testing.assert_array_equal(reused[near_first], refined[near_first])


def test_refiner_tiled_equals_untiled_on_every_tile(tmp_path: Path, tiny_random_two_stage_path: Path) -> None:
    model = open_model(tiny_random_two_stage_path, provider="cpu")
    assert isinstance(model, CutoutModel)
    rgb = make_photo(170, 230, seed=4)
    coarse = model.predict_global(rgb)
    tiled = model.refine(rgb, coarse, everywhere=True)
    untiled = model.refine(rgb, coarse, everywhere=True, tile_size=4096)
    assert len(model.refiner.plan(170, 230)) > 4 and len(model.refiner.plan(170, 230, 4096)) == 1
    assert np.abs(tiled - untiled).max() <= 1e-5
    # So a small photo runs as one tile (less input than its model-sized tiles), a large one tile by tile.
    assert len(model.plan(170, 230)) == 1 and model.refine(rgb, coarse, everywhere=True).tobytes() == untiled.tobytes()
    assert len(model.plan(3000, 200)) > 1
    assert np.abs(tiled - coarse.upsampled()).max() > 1e-3  # the random refiner did change the values


def test_metadata_round_trips_for_both_roles(model: CutoutModel) -> None:
    for role, info in model.parts.items():
        assert info.role == role
        again = ModelInfo.from_json(info.to_json())
        assert again == info
    assert model.parts["global"].channels == ("red", "green", "blue", "positive_clicks", "negative_clicks", "previous_mask")
    assert model.parts["global"].input_size == 64 and model.parts["global"].click_radius == 3.0
    assert model.parts["refiner"].channels[-1] == "coarse_probability"


def _rewrite_metadata(src: Path, dst: Path, **changes: object) -> Path:
    proto = onnx.load(str(src))
    entry = next(p for p in proto.metadata_props if p.key == METADATA_KEY)
    import json

    raw = json.loads(entry.value)
    raw.update(changes)
    entry.value = json.dumps(raw)
    onnx.save(proto, str(dst))
    return dst


def test_a_model_whose_channels_do_not_match_its_metadata_is_refused(tmp_path: Path, tiny_two_stage_path: Path) -> None:
    # The refiner's graph takes 4 channels; metadata claiming a plain RGB model must not load.
    bad = _rewrite_metadata(tiny_two_stage_path / REFINER_FILE, tmp_path / "bad.onnx", role="single", channels=["red", "green", "blue"])
    with pytest.raises(ModelError, match="takes 4 input channels"):
        ModelSession(bad)
    zero_std = _rewrite_metadata(tiny_two_stage_path / REFINER_FILE, tmp_path / "std.onnx", std=[0.2, 0.0, 0.2])
    with pytest.raises(ModelError, match="std"):
        ModelSession(zero_std)


def test_bad_model_folders_and_parts_get_clear_errors(tmp_path: Path, tiny_two_stage_path: Path) -> None:
    folder = tmp_path / "half"
    folder.mkdir()
    (folder / GLOBAL_FILE).write_bytes((tiny_two_stage_path / GLOBAL_FILE).read_bytes())
    with pytest.raises(ModelError, match="has no refiner.onnx"):
        open_model(folder)
    with pytest.raises(ModelError, match="refiner of a two-stage model"):
        open_model(tiny_two_stage_path / REFINER_FILE)
    with pytest.raises(ModelError, match="global net"):
        open_model(tiny_two_stage_path / GLOBAL_FILE)
    with pytest.raises(ModelError, match="does not exist"):
        open_model(tmp_path / "nothing")


def test_a_single_stage_model_refuses_clicks(tiny_model_path: Path, photo_path: Path) -> None:
    engine = open_model(tiny_model_path, provider="cpu")
    assert isinstance(engine, SegmentationEngine)
    with pytest.raises(CutoutError, match="takes no clicks"):
        segment_photo(engine, read_image(photo_path), clicks=[Click(3, 3)])


def _png_alpha(path: Path) -> np.ndarray:
    img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert img is not None and img.shape[2] == 4
    return img[..., 3]


def test_cli_keep_and_remove_change_the_result(tmp_path: Path, photo_path: Path, tiny_two_stage_path: Path) -> None:
    common = ["--model", str(tiny_two_stage_path), "--provider", "cpu"]
    assert main(["segment", str(photo_path), "-o", str(tmp_path / "auto.png"), *common]) == EXIT_OK
    assert main(["segment", str(photo_path), "-o", str(tmp_path / "keep.png"), "--keep", "80,60", *common]) == EXIT_OK
    assert main(["segment", str(photo_path), "-o", str(tmp_path / "both.png"), "--keep", "80,60", "--keep", "30,30",
                 "--remove", "30,30", *common]) == EXIT_OK
    auto, keep, both = (_png_alpha(tmp_path / f"{n}.png") for n in ("auto", "keep", "both"))
    assert auto.max() < 128
    assert keep[60, 80] == 255 and keep[5, 5] == 0
    assert both[60, 80] == 255 and both[30, 30] == 0


def test_cli_click_errors(tmp_path: Path, photo_path: Path, tiny_two_stage_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    common = ["segment", str(photo_path), "-o", str(tmp_path / "x.png"), "--model", str(tiny_two_stage_path)]
    assert main([*common, "--keep", "1000,5"]) == EXIT_USAGE
    assert "outside the 160x120 photo" in capsys.readouterr().err
    assert main([*common, "--remove", "5;5"]) == EXIT_USAGE
    assert "is not a point" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


def test_cli_info_shows_both_parts(tiny_two_stage_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", "--model", str(tiny_two_stage_path)]) == EXIT_OK
    out = capsys.readouterr().out
    assert "| global" in out and "| refiner" in out
    assert "positive_clicks" in out and "coarse_probability" in out


def test_a_fresh_tiny_export_is_a_usable_model_folder(tmp_path: Path) -> None:
    folder = export_tiny_two_stage(tmp_path / "m", seed=9, wired=False)
    model = open_model(folder, provider="cpu")
    assert isinstance(model, CutoutModel)
    assert model.describe().startswith("tiny-two-stage test on CPU")


def test_the_soft_mask_made_band_by_band_equals_the_whole_photo_at_once(tiny_random_two_stage_path: Path) -> None:
    # segment_photo never holds the photo's probability: it refines and edge-filters a row of tiles at a time.
    from cutout_app.core.edges.alpha import MaskSettings, refine_mask, to_soft_u8
    from cutout_app.core.files.imageio import Photo

    model = open_model(tiny_random_two_stage_path, provider="cpu")
    assert isinstance(model, CutoutModel)
    rgb = make_photo(2400, 200, seed=2)  # tall: many rows of tiles, and the filter's reach crosses them
    plan = model.plan(2400, 200)
    assert len({tile.y for tile in plan.tiles}) >= 4
    clicks = [Click(100, 1200)]
    whole = model.refine(rgb, model.predict_global(rgb, clicks))
    assert 0 < np.count_nonzero((whole > 0.05) & (whole < 0.95))
    for refine in (True, False):
        expected = to_soft_u8(refine_mask(whole, rgb) if refine else whole)
        got = segment_photo(model, Photo(rgb), MaskSettings(refine=refine), clicks=clicks)
        np.testing.assert_array_equal(got, expected)


def test_the_global_probability_upsampled_by_windows_matches_opencvs_resize() -> None:
    from cutout_app.core.inference.global_net import GlobalPrediction

    rng = np.random.default_rng(5)
    for small, size in [((144, 192), (3000, 4000)), ((10, 7), (33, 50)), ((1, 3), (10, 20)), ((7, 9), (3, 4))]:
        coarse = GlobalPrediction(rng.random(small).astype(np.float32), *size)
        whole = coarse.upsampled()
        expected = cv2.resize(coarse.probability, size[::-1], interpolation=cv2.INTER_LINEAR)
        assert whole.shape == size and np.abs(whole - expected).max() < 1e-6
        rows, cols = np.array([size[0] - 1, 0, size[0] // 2, 0]), np.array([size[1] // 3, size[1] - 1])  # reflected windows
        np.testing.assert_array_equal(coarse.upsampled_at(rows, cols), whole[rows[:, None], cols[None, :]])
        np.testing.assert_array_equal(coarse.upsampled_at(slice(1, 3), slice(0, 2)), whole[1:3, 0:2])
