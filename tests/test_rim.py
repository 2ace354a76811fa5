"""The rim rule: background colour at full alpha along the outline becomes partly transparent, thin parts stay."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import cv2
import numpy as np
import pytest

from cutout_app.core.datasets.synthetic import coarse_probability, make_matting_composite
from cutout_app.core.edges import rim
from cutout_app.core.edges.alpha import alpha_from_soft, refine_mask, to_soft_u8
from cutout_app.core.edges.band_tiles import band_tiles, grid_tiles, range_tiles
from cutout_app.core.edges.foreground import sample_grid
from cutout_app.core.edges.rim import RimGeometry, trim_rim
from cutout_app.core.edges.settings import MaskSettings
from cutout_app.core.errors import Cancelled
from cutout_app.core.files.export import export_alpha, export_result
from cutout_app.core.files.export_options import ExportMode, ExportOptions
from cutout_app.core.files.imageio import Photo, read_image
from cutout_app.core.progress import CancelToken


def _widened(alpha: np.ndarray, px: int) -> np.ndarray:
    """A mask ``px`` pixels too wide all round, as a model gives on a fuzzy subject."""
    return cv2.dilate(alpha, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * px + 1, 2 * px + 1)))


def stick_on_a_soft_background(stick: tuple[float, float, float]) -> tuple[np.ndarray, np.ndarray]:
    """A 240 x 240 photo and its true alpha: an orange disc with a 3 px solid stick of colour ``stick`` on
    top, over a blurred pale-blue gradient."""
    yy, xx = np.mgrid[:240, :240].astype(np.float32)
    sky = np.dstack([0.55 + 0.2 * yy / 240, 0.7 + 0.1 * xx / 240, np.full_like(xx, 0.9)])
    sky = cv2.GaussianBlur(sky, (0, 0), 8)
    body = (yy - 190) ** 2 + (xx - 120) ** 2 <= 50**2
    thin = (np.abs(xx - 120) <= 1) & (yy >= 40) & (yy <= 150)
    truth = (body | thin).astype(np.float32)
    colour = np.where(body[..., None], np.float32([0.85, 0.5, 0.15]), np.float32(stick))
    photo = colour * truth[..., None] + sky * (1 - truth[..., None])
    return np.rint(photo * 255).astype(np.uint8), (truth * 255).astype(np.uint8)


@pytest.mark.parametrize("stick", [(0.25, 0.22, 0.2), (0.85, 0.5, 0.15), (0.45, 0.55, 0.6)])
def test_the_rim_rule_does_not_eat_thin_solid_parts(stick: tuple[float, float, float]) -> None:
    # A 3 px solid stick on a soft background survives, though the mask is 2 px too wide everywhere
    # and the rule does trim that rim along the body.
    photo, truth = stick_on_a_soft_background(stick)
    wide = _widened(truth, 2)
    trimmed = trim_rim(photo, wide)
    thin = np.zeros(truth.shape, bool)
    thin[40:135, 119:122] = True  # the stick, but for the few pixels where it joins the body
    assert (trimmed[thin] == 255).all()
    assert (trimmed[truth == 255] == 255).mean() > 0.999
    rim = (wide == 255) & (truth == 0)
    assert (trimmed[rim] < 128).sum() > 0.5 * (rim & (np.arange(240)[:, None] > 136)).sum()


@pytest.mark.parametrize("seed", [0, 3])
def test_it_takes_the_background_out_of_a_too_wide_mask(seed: int) -> None:
    example = make_matting_composite(240, 320, np.random.default_rng([2026, seed]))
    settings = MaskSettings()
    app = alpha_from_soft(to_soft_u8(refine_mask(coarse_probability(example.alpha), example.image)),
                          settings.threshold, settings.softness)  # fmt: skip
    wide = _widened(app, 3)
    trimmed = trim_rim(example.image, wide)
    truth = example.alpha / 255.0
    assert np.abs(trimmed / 255.0 - truth).sum() < 0.85 * np.abs(wide / 255.0 - truth).sum()
    near = (cv2.dilate((wide < 255).astype(np.uint8), np.ones((7, 7), np.uint8)) > 0) & (wide == 255)
    background_before = (1 - truth[near]).mean()
    background_after = (1 - truth[near & (trimmed == 255)]).mean()
    assert background_after < 0.5 * background_before, (background_before, background_after)
    assert (trimmed <= wide).all()


@pytest.mark.parametrize("step", [1, 3])
def test_tiles_give_the_whole_photos_values(monkeypatch: pytest.MonkeyPatch, step: int) -> None:
    from cutout_app.core.edges import rim

    example = make_matting_composite(240, 320, np.random.default_rng(7))
    alpha = _widened(np.where(example.alpha >= 128, 255, 0).astype(np.uint8), 3)
    monkeypatch.setattr(rim, "means_step", lambda height, width: step)
    monkeypatch.setattr(rim, "TILE", 1000)
    whole = trim_rim(example.image, alpha)
    monkeypatch.setattr(rim, "TILE", 24)
    counted: list[tuple[int, int]] = []
    tiled = trim_rim(example.image, alpha, progress=lambda done, total: counted.append((done, total)))
    assert counted[0][0] == 0 and counted[-1][0] == counted[-1][1] > 10
    assert (whole != alpha).sum() > 100
    difference = np.abs(tiled.astype(int) - whole)
    assert difference.max() <= 1 and (difference == 0).mean() > 0.999  # but float rounding


def test_sixteen_bit_photos_and_cancel() -> None:
    photo, truth = stick_on_a_soft_background((0.25, 0.22, 0.2))
    wide = _widened(truth, 2)
    eight = trim_rim(photo, wide)
    sixteen = trim_rim(photo.astype(np.uint16) * 257, wide)
    assert np.abs(eight.astype(int) - sixteen).max() <= 1
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        trim_rim(photo, wide, cancel=token)
    with pytest.raises(ValueError):
        trim_rim(photo, wide.astype(np.uint16))


def test_the_export_trims_the_rim_with_decontamination_only(tmp_path: Path) -> None:
    photo_rgb, truth = stick_on_a_soft_background((0.25, 0.22, 0.2))
    wide = _widened(truth, 2)
    path = tmp_path / "stick.png"
    path.write_bytes(cv2.imencode(".png", cv2.cvtColor(photo_rgb, cv2.COLOR_RGB2BGR))[1].tobytes())
    photo = read_image(path)
    written = cv2.imread(str(export_result(photo, wide, tmp_path / "out.png")), cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(written[..., 3], trim_rim(photo_rgb, wide))
    assert (written[..., 3] != wide).any()
    plain = ExportOptions(decontaminate=False)
    np.testing.assert_array_equal(export_alpha(photo, wide, plain), wide)
    np.testing.assert_array_equal(export_alpha(photo, wide, ExportOptions(mode=ExportMode.MASK)), wide)
    assert export_alpha(Photo(photo_rgb), wide, ExportOptions(mode=ExportMode.BACKGROUND)).tobytes() == written[..., 3].tobytes()


def test_the_geometry_scales_with_the_photo() -> None:
    small, large = RimGeometry.of(480, 640), RimGeometry.of(3000, 4000)
    assert small.reach == 4 and small.step == 1 and large.reach == 12 and large.step == 3
    for geometry in (small, large):
        core, margin = geometry.tile_and_margin()
        assert core % geometry.step == 0 and margin % geometry.step == 0 and margin >= geometry.shell


def whole_photo_rule(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """The rule as rim.py's docstring states it, on the whole photo at once: every distance, mean and ring
    over the whole photo, nothing tiled, nothing skipped (the first, untiled form of the rule)."""
    geometry = RimGeometry.of(*alpha.shape)
    reach, step = geometry.reach, geometry.step
    opaque = cv2.compare(alpha, 255, cv2.CMP_EQ)
    depth = cv2.distanceTransform(opaque, cv2.DIST_L2, cv2.DIST_MASK_3)
    backed = cv2.distanceTransform(cv2.compare(depth, reach, cv2.CMP_LE), cv2.DIST_L2, cv2.DIST_MASK_3) <= reach + 1
    ys, xs = np.nonzero(backed & (opaque > 0) & (depth <= reach))
    outside = cv2.distanceTransform(cv2.compare(alpha, 0, cv2.CMP_EQ), cv2.DIST_L2, cv2.DIST_MASK_3)
    subject = ((depth > reach) & (depth <= geometry.shell)).astype(np.float32)
    background = (outside > geometry.background).astype(np.float32)
    image = rgb.astype(np.float32) * np.float32(1 / np.iinfo(rgb.dtype).max)
    squares = cv2.transform(cv2.multiply(image, image), np.ones((1, 3), np.float32)).reshape(alpha.shape)

    def means(layers: list[np.ndarray]) -> np.ndarray:
        stack = cv2.merge(layers)
        if step > 1:
            height, width = alpha.shape
            stack = cv2.copyMakeBorder(stack, 0, -height % step, 0, -width % step, cv2.BORDER_REFLECT_101)
            stack = cv2.resize(stack, (stack.shape[1] // step, stack.shape[0] // step), interpolation=cv2.INTER_AREA)
        stack = cv2.blur(stack, (geometry.box, geometry.box))
        values = sample_grid(stack, (ys + 0.5) / step - 0.5, (xs + 0.5) / step - 0.5)
        values[:, :3] /= values[:, 3:4] + rim._EPS
        values[:, 4:] /= values[:, 3:4] + rim._EPS
        return values

    fg = means([image * subject[..., None], subject, squares * subject])
    bg = means([image * background[..., None], background])
    colour, diff = image[ys, xs], fg[:, :3] - bg[:, :3]
    contrast = (diff * diff).sum(axis=1)
    t = ((colour - bg[:, :3]) * diff).sum(axis=1) / np.maximum(contrast, rim._EPS)
    spread = np.maximum(fg[:, 4] - (fg[:, :3] ** 2).sum(axis=1), 0)
    apart = ((colour - fg[:, :3]) ** 2).sum(axis=1) > rim.SPREAD**2 * spread + rim.NOISE**2
    on_line = ((colour - bg[:, :3] - t[:, None] * diff) ** 2).sum(axis=1) <= rim.OFF_LINE**2 * contrast
    decided = on_line & apart & (fg[:, 3] > 0.01) & (bg[:, 3] > 0.01) & (contrast >= rim.CONTRAST**2)
    decided &= t < rim.TRIM_AT
    lower = np.zeros(alpha.shape, bool)
    lower[ys[decided], xs[decided]] = True
    values = np.zeros(alpha.shape, np.uint8)
    values[ys, xs] = np.rint(np.clip(t / rim.TRIM_AT, 0, 1) * 255).astype(np.uint8)
    out = alpha.copy()
    for _ in range(reach):  # one ring a step, from the outside in
        solid = cv2.erode(opaque, np.ones((3, 3), np.uint8), borderType=cv2.BORDER_REPLICATE)
        edge = lower & (opaque > 0) & (solid == 0)
        if not edge.any():
            break
        out[edge] = values[edge]
        opaque[edge] = 0
    return out


@pytest.mark.parametrize("step", [1, 2, 3])
def test_the_tiled_rule_is_the_whole_photos(monkeypatch: pytest.MonkeyPatch, step: int) -> None:
    # On composites of several tiles, sizes no multiple of a block (part blocks at the far edges), with the
    # mask as made and too wide: tiles, blocks made only where read, rings judged only when reached and
    # the thickness tested only where a pixel would go give the whole photo's rule, pixel for pixel.
    monkeypatch.setattr(rim, "means_step", lambda height, width: step)
    lowered = 0
    for seed, px in ((4, 0), (5, 2), (6, 3)):
        example = make_matting_composite(241, 322, np.random.default_rng([2027, seed]))
        settings = MaskSettings()
        alpha = alpha_from_soft(to_soft_u8(refine_mask(coarse_probability(example.alpha), example.image)),
                                settings.threshold, settings.softness)  # fmt: skip
        alpha = _widened(alpha, px) if px else alpha
        core, _ = RimGeometry.of(*alpha.shape).tile_and_margin()
        assert alpha.shape[0] > core and alpha.shape[1] > 2 * core
        tiled = trim_rim(example.image, alpha)
        np.testing.assert_array_equal(tiled, whole_photo_rule(example.image, alpha))
        lowered += int((tiled != alpha).sum())
    assert lowered > 200


def test_the_rim_tiles_are_those_whose_core_holds_the_rim() -> None:
    # Opaque pixels within reach (a square's) of one that is not, found from each tile's least and largest
    # alpha: the same tiles as from the whole photo's rim, without an array of its size.
    rng = np.random.default_rng(11)
    for reach, tile in ((4, 16), (12, 20), (7, 9)):
        alpha = np.full((150, 170), 255, np.uint8)
        for _ in range(6):  # holes and soft spots of all sizes, some near tiles' corners
            y, x, r = rng.integers(0, 150), rng.integers(0, 170), rng.integers(1, 25)
            cv2.circle(alpha, (int(x), int(y)), int(r), int(rng.integers(0, 255)), -1)
        alpha[rng.random(alpha.shape) < 0.0005] = 0
        opaque = (alpha == 255).astype(np.uint8)
        whole = opaque & cv2.dilate(1 - opaque, np.ones((2 * reach + 1, 2 * reach + 1), np.uint8))
        expected = band_tiles(whole.astype(bool), tile, 3)
        assert grid_tiles(rim._rim_tiles(alpha, reach, tile), alpha.shape, tile, 3) == expected
        assert expected


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_the_export_finds_the_partly_transparent_bands_tiles_a_strip_at_a_time(dtype: type) -> None:
    # Decontamination's tiles (after the rim rule, the second edge step), without a band the photo's size.
    rng = np.random.default_rng(12)
    full = np.iinfo(dtype).max
    values = np.where(rng.random((203, 317)) < 0.002, rng.integers(1, full, (203, 317)), 0).astype(dtype)
    values[150:, 200:] = full
    for tile, margin in ((32, 8), (50, 0), (128, 40)):
        expected = band_tiles((values > 0) & (values < full), tile, margin)
        assert range_tiles(values, 1, full - 1, tile, margin) == expected and expected


def test_the_rule_holds_no_array_of_the_photos_size_but_its_answer() -> None:
    # Its temporaries are per tile: at 6 MP it asks for little more than the alpha it returns.
    photo = np.empty((2000, 3000, 3), np.uint8)
    photo[...] = np.linspace([140, 180, 230], [190, 205, 230], 2000).astype(np.uint8)[:, None]  # a pale sky
    body = np.zeros((2000, 3000), np.uint8)
    cv2.ellipse(body, (1500, 1100), (1100, 700), 0, 0, 360, 255, -1)
    photo[body > 0] = (217, 128, 38)  # an orange subject
    alpha = _widened(body, 8)  # the mask 8 px too wide
    tracemalloc.start()
    try:
        trimmed = trim_rim(photo, alpha)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (trimmed != alpha).sum() > 5000  # the too wide rim goes
    assert peak < alpha.nbytes + 8 * 2**20, peak / 2**20
