"""Guided-filter refinement, soft-mask rounding and the threshold/softness LUT."""

from __future__ import annotations

import numpy as np
import pytest

from cutout_app.core.edges.alpha import (
    MaskSettings,
    alpha_from_soft,
    default_radius,
    lut_for,
    refine_mask,
    threshold_level,
    to_soft_u8,
)

H, W = 120, 160
EDGE = 80  # image edge: columns < EDGE are bright


def _two_tone(noise: int = 8, seed: int = 0) -> np.ndarray:
    xx = np.arange(W)[None, :].repeat(H, 0)
    rgb = np.where((xx < EDGE)[..., None], 200, 40) * np.ones(3, int)
    rng = np.random.default_rng(seed)
    rgb = rgb + rng.integers(-noise, noise + 1, rgb.shape)
    return np.clip(rgb, 0, 255).astype(np.uint8)


def _ramp(centre: float, width: float) -> np.ndarray:
    """A soft vertical edge: 1 left of ``centre``, 0 right of it, linear over ``width`` px."""
    xx = np.arange(W, dtype=np.float32)[None, :].repeat(H, 0) + 0.5
    return np.clip((centre - xx) / width + 0.5, 0, 1).astype(np.float32)


def _crossing(row: np.ndarray, level: float = 0.5) -> float:
    """Sub-pixel column where a decreasing profile crosses ``level`` (pixel centres at i + 0.5)."""
    i = int(np.nonzero(row < level)[0][0])
    a, b = float(row[i - 1]), float(row[i])
    return i - 1 + 0.5 + (a - level) / (a - b)


def test_refine_keeps_an_aligned_binary_mask() -> None:
    rgb = _two_tone()
    prob = (np.arange(W)[None, :].repeat(H, 0) < EDGE).astype(np.float32)
    out = refine_mask(prob, rgb, radius=6)
    assert out.dtype == np.float32 and out.shape == prob.shape
    assert 0.0 <= out.min() and out.max() <= 1.0
    assert np.abs(out - prob).mean() < 0.01
    assert np.abs(out - prob).max() < 0.15
    # the hard cut stays where it was
    assert (out[:, EDGE - 1] > 0.85).all() and (out[:, EDGE] < 0.15).all()


@pytest.mark.parametrize("centre", [84.0, 76.0])
def test_refine_pulls_a_misaligned_soft_edge_to_the_image_edge(centre: float) -> None:
    rgb = _two_tone()
    prob = _ramp(centre, 8.0)
    out = refine_mask(prob, rgb, radius=8)
    row_in, row_out = prob[H // 2], out[H // 2]
    assert abs(_crossing(row_in) - EDGE) >= 3.5
    assert abs(_crossing(row_out) - EDGE) < abs(_crossing(row_in) - EDGE) - 2.0
    # the steepest step of the result sits on the image edge; the input's ramp had no such step
    steps = np.abs(np.diff(out[H // 2]))
    assert int(np.argmax(steps)) == EDGE - 1
    assert steps.max() > 3 * np.abs(np.diff(row_in)).max()


def test_refine_never_punches_holes_in_confident_areas() -> None:
    rng = np.random.default_rng(3)
    rgb = rng.integers(0, 256, (H, W, 3), dtype=np.uint8)  # wild texture everywhere
    prob = np.zeros((H, W), np.float32)
    prob[20:100, 30:130] = 0.99
    prob[50:70, 60:100] = 0.5  # an uncertain island
    out = refine_mask(prob, rgb, radius=4)
    r = 4
    fg_core = np.zeros((H, W), bool)
    fg_core[20 + r : 100 - r, 30 + r : 130 - r] = True
    fg_core[50 - r : 70 + r, 60 - r : 100 + r] = False
    assert (out[fg_core] >= 0.99 - 1e-6).all()
    bg_core = np.ones((H, W), bool)
    bg_core[20 - r : 100 + r, 30 - r : 130 + r] = False
    assert (out[bg_core] <= 1e-6).all()


def test_strips_equal_a_single_pass() -> None:
    rgb = _two_tone(noise=30, seed=5)
    rng = np.random.default_rng(1)
    prob = np.clip(_ramp(83, 10) + rng.normal(0, 0.1, (H, W)).astype(np.float32), 0, 1)
    single = refine_mask(prob, rgb, radius=5, strip_rows=10_000)
    for rows in (1, 7, 32):
        assert np.abs(refine_mask(prob, rgb, radius=5, strip_rows=rows) - single).max() < 1e-4


def test_refine_accepts_rgba_and_16_bit_guides() -> None:
    rgb = _two_tone()
    prob = _ramp(84, 8)
    ref = refine_mask(prob, rgb, radius=4)
    rgba = np.dstack([rgb, np.full((H, W), 255, np.uint8)])
    assert np.abs(refine_mask(prob, rgba, radius=4) - ref).max() < 1e-5
    wide = rgb.astype(np.uint16) * 257
    assert np.abs(refine_mask(prob, wide, radius=4) - ref).max() < 1e-2


def test_refine_rejects_mismatched_sizes() -> None:
    with pytest.raises(ValueError, match="differ"):
        refine_mask(np.zeros((10, 10), np.float32), np.zeros((10, 11, 3), np.uint8))


def test_default_radius_scales_with_size() -> None:
    assert default_radius(120, 160) == 2
    assert default_radius(4000, 6000) == 8
    assert default_radius(6000, 8000) == 12


def test_to_soft_u8_rounds_and_clips() -> None:
    prob = np.array([[-0.5, 0.0, 0.5 / 255, 0.499, 0.5, 1.0, 7.0]], np.float32)
    assert to_soft_u8(prob).tolist() == [[0, 0, 0, 127, 128, 255, 255]]
    assert to_soft_u8(prob).dtype == np.uint8


def test_lut_identity_and_hard_threshold() -> None:
    assert lut_for(0.5, 1.0).tolist() == list(range(256))
    hard = lut_for(0.5, 0.0)
    assert hard[127] == 0 and hard[128] == 255 and set(hard.tolist()) == {0, 255}
    assert threshold_level(0.5) == 128 and threshold_level(0.2) == 51 and threshold_level(0.0) == 0


def test_lut_ramp_is_centred_and_monotone() -> None:
    lut = lut_for(0.4, 0.2)  # ramp from 0.3 to 0.5
    assert lut.dtype == np.uint8 and lut.shape == (256,)
    assert (np.diff(lut.astype(int)) >= 0).all()
    assert lut[int(0.3 * 255) - 1] == 0 and lut[int(0.5 * 255) + 1] == 255
    assert abs(int(lut[102]) - 128) <= 2  # 102/255 = 0.4: the middle of the ramp


def test_alpha_from_soft_applies_the_lut_to_a_region() -> None:
    soft = np.arange(256, dtype=np.uint8).reshape(16, 16)
    alpha = alpha_from_soft(soft[2:10, 3:9], 0.5, 0.0)
    assert alpha.shape == (8, 6)
    assert np.array_equal(alpha, np.where(soft[2:10, 3:9] >= 128, 255, 0))
    assert np.array_equal(alpha_from_soft(soft, 0.5, 1.0), soft)
    with pytest.raises(ValueError):
        alpha_from_soft(soft.astype(np.float32), 0.5, 0.1)


def test_mask_settings_validate_and_round_trip() -> None:
    s = MaskSettings(threshold=0.3, softness=0.2, refine=False)
    assert MaskSettings.from_dict({**s.to_dict(), "unknown": 1}) == s
    with pytest.raises(ValueError, match="threshold"):
        MaskSettings(threshold=1.5)


def test_the_filter_works_near_uncertain_pixels_only() -> None:
    # A large photo is mostly far from its subject's outline: there the probability is kept as it is,
    # and within the filter's reach of an uncertain pixel the result is the whole photo's filter.
    from cutout_app.core.edges import alpha

    rng = np.random.default_rng(3)
    height, width, radius = 300, 900, 4
    rgb = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    prob = np.where(np.arange(width)[None, :] < 450, np.float32(0.99), np.float32(0.01)).repeat(height, 0)
    prob[100:140, 200:260] = rng.random((40, 60), dtype=np.float32)  # one uncertain patch
    out = refine_mask(prob, rgb, radius=radius)
    whole = alpha._guided_strip(prob.copy(), alpha._gray01(rgb), radius, 1e-3)
    near = np.zeros((height, width), bool)
    near[100 - 2 * radius : 140 + 2 * radius, 200 - 2 * radius : 260 + 2 * radius] = True
    np.testing.assert_allclose(out[near], whole[near], atol=1e-5)
    np.testing.assert_array_equal(out[~near], prob[~near])  # the sharp 0.99 / 0.01 step is confident
    assert np.abs(out[near] - prob[near]).max() > 0.1  # and near the patch the filter did work
