"""The edge in pixels: a width that never reaches the interior, shrink/grow, exact by region, on the command line."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from cutout_app.cli import build_parser
from cutout_app.core.edges import MaskSettings, alpha_from_soft, mask_alpha, shape_edges


def _disc_mask(soft_inside: int = 140) -> np.ndarray:
    """A 300x400 soft mask: a disc of radius 100 whose inside the model was unsure of (``soft_inside``)."""
    soft = np.zeros((300, 400), np.uint8)
    cv2.circle(soft, (200, 150), 100, 255, -1)
    cv2.circle(soft, (200, 150), 60, soft_inside, -1)  # an unsure inside, far from the outline
    return cv2.GaussianBlur(soft, (0, 0), 2.0)


def test_full_softness_turns_the_inside_transparent_but_an_edge_width_does_not() -> None:
    soft = _disc_mask()
    plain = mask_alpha(soft, MaskSettings(softness=1.0))
    assert plain[150, 200] < 200  # the complaint: at 100 % the subject's inside is partly transparent
    shaped = mask_alpha(soft, MaskSettings(softness=1.0, edge_px=6.0))
    dist_inside = cv2.distanceTransform((plain >= 128).view(np.uint8), cv2.DIST_L2, 5)
    dist_outside = cv2.distanceTransform((plain < 128).view(np.uint8), cv2.DIST_L2, 5)
    assert (shaped[dist_inside > 4.5] == 255).all()  # everything farther than 3 px (+1) inside is solid
    assert (shaped[dist_outside > 4.5] == 0).all()
    ring = (dist_inside <= 2) & (dist_inside > 0)
    assert 0 < shaped[ring].mean() < 255  # the edge itself is feathered


def test_edge_width_feathers_over_about_that_many_pixels() -> None:
    hard = np.zeros((100, 200), np.uint8)
    hard[:, 100:] = 255  # a straight vertical edge
    for width in (2.0, 8.0, 20.0):
        row = shape_edges(hard, edge_px=width)[50].astype(int)
        partial = np.count_nonzero((row > 5) & (row < 250))
        assert width * 0.4 <= partial <= width + 2, (width, partial)
        assert (np.diff(row) >= 0).all()  # a monotone ramp, no ringing


def test_shift_moves_the_outline_by_whole_pixels() -> None:
    soft = _disc_mask(255)
    base = (mask_alpha(soft, MaskSettings()) >= 128).sum(axis=1)[150]
    for shift in (-5, 3, 10):
        row = mask_alpha(soft, MaskSettings(shift_px=shift))[150]
        assert (row >= 128).sum() == pytest.approx(base + 2 * shift, abs=1)


def test_a_region_is_computed_exactly_as_in_the_whole_mask() -> None:
    soft = _disc_mask()
    settings = MaskSettings(softness=0.6, edge_px=9.0, shift_px=-4)
    whole = mask_alpha(soft, settings)
    for x, y, w, h in ((90, 40, 50, 30), (0, 0, 400, 300), (280, 200, 120, 100), (195, 145, 10, 10)):
        np.testing.assert_array_equal(mask_alpha(soft, settings, (x, y, w, h)), whole[y : y + h, x : x + w])


def test_big_masks_are_shaped_tile_by_tile_with_the_same_result() -> None:
    soft = np.zeros((1500, 1700), np.uint8)
    cv2.circle(soft, (800, 700), 600, 255, -1)
    cv2.circle(soft, (300, 300), 40, 200, -1)
    from cutout_app.core.edges.edge_shape import feather_edges, shift_edges

    for edge, shift in ((12.0, 0), (0.0, -7), (30.0, 15)):
        tiled = shape_edges(soft, edge, shift)
        np.testing.assert_array_equal(tiled, feather_edges(shift_edges(soft, shift), edge))


def test_without_edge_settings_the_alpha_is_the_ramp_as_before() -> None:
    soft = _disc_mask()
    np.testing.assert_array_equal(mask_alpha(soft, MaskSettings(threshold=0.4, softness=0.3)), alpha_from_soft(soft, 0.4, 0.3))


@pytest.mark.parametrize("bad", [None, [], {}, [0.5], "0.5", True, float("nan"), float("inf"), 10**400])
def test_mask_settings_refuse_every_bad_value_with_one_error(bad: object) -> None:
    for name in ("threshold", "softness", "edge_px", "shift_px"):
        with pytest.raises(ValueError):
            MaskSettings(**{name: bad})


def test_mask_settings_limits() -> None:
    for field, value in (("threshold", 1.01), ("softness", -0.1), ("edge_px", -1), ("edge_px", 1e6), ("shift_px", 10**6),
                         ("shift_px", 2.5)):
        with pytest.raises(ValueError):
            MaskSettings(**{field: value})
    assert MaskSettings(shift_px=-3.0).shift_px == -3 and isinstance(MaskSettings(shift_px=-3.0).shift_px, int)


def test_the_command_line_takes_edge_width_and_shift_with_defaults_from_mask_settings() -> None:
    parser = build_parser()
    args = parser.parse_args(["segment", "in.jpg", "--edge-width", "4", "--shift-edge", "-2"])
    assert args.edge_width == 4.0 and args.shift_edge == -2
    defaults = parser.parse_args(["batch", "in", "out"])
    assert defaults.edge_width == MaskSettings().edge_px and defaults.shift_edge == MaskSettings().shift_px
    for bad in (["--shift-edge", "1.5"], ["--edge-width", "-3"], ["--edge-width", "1e309"]):
        with pytest.raises(SystemExit) as exc:
            parser.parse_args(["segment", "in.jpg", *bad])
        assert exc.value.code == 2
