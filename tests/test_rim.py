"""The rim rule: background colour at full alpha along the outline becomes partly transparent, thin parts stay."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from cutout_app.core.datasets.synthetic import coarse_probability, make_matting_composite
from cutout_app.core.edges.alpha import alpha_from_soft, refine_mask, to_soft_u8
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
