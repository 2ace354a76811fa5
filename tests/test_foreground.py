"""Colour decontamination: partly transparent pixels get the subject's own colour, not the old background's."""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np
import pytest

from cutout_app.core.datasets.synthetic import make_matting_composite
from cutout_app.core.edges.alpha import default_radius
from cutout_app.core.edges.band_tiles import band_tiles
from cutout_app.core.edges.foreground import decontaminate
from cutout_app.core.errors import Cancelled
from cutout_app.core.files.export import export_result
from cutout_app.core.files.export_options import ExportOptions
from cutout_app.core.files.imageio import Photo, read_image
from cutout_app.core.progress import CancelToken


def blond_hair_on_a_green_wall(h: int = 160, w: int = 200) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Photo, true alpha and true foreground: a yellow disc with soft edges and strands over green."""
    yy, xx = np.mgrid[:h, :w]
    dist = np.hypot(yy - h / 2, xx - w / 2)
    alpha = np.clip((50 - dist) / 20 + 0.5, 0, 1)
    strands = np.sin(np.arctan2(yy - h / 2, xx - w / 2) * 40) > 0.6
    alpha += strands * np.clip((75 - dist) / 25, 0, 1) * (1 - alpha) * 0.7
    hair = np.array([230, 200, 90], np.float64)
    green = np.array([40, 170, 60], np.float64)
    photo = alpha[..., None] * hair + (1 - alpha[..., None]) * green
    alpha_u8 = np.rint(alpha * 255).astype(np.uint8)
    return np.rint(photo).astype(np.uint8), alpha_u8, np.broadcast_to(hair, photo.shape).astype(np.uint8)


def _error(rgb: np.ndarray, truth: np.ndarray, where: np.ndarray) -> float:
    return float(np.abs(rgb[where].astype(np.float64) - truth[where]).mean())


def test_the_green_halo_goes() -> None:
    photo, alpha, hair = blond_hair_on_a_green_wall()
    soft = (alpha > 0) & (alpha < 255)
    rgb = photo.copy()
    decontaminate(rgb, alpha)
    before, after = _error(photo, hair, soft), _error(rgb, hair, soft)
    assert after < 0.25 * before, (before, after)
    # The halo itself: green above red where the wall showed through; none is left.
    assert (photo[soft][:, 1].astype(int) - photo[soft][:, 0] > 0).any()
    assert not (rgb[soft & (alpha > 25)][:, 1].astype(int) - rgb[soft & (alpha > 25)][:, 0] > 10).any()
    np.testing.assert_array_equal(rgb[alpha == 255], photo[alpha == 255])  # opaque pixels untouched
    assert (rgb[alpha == 0] == 0).all()


@pytest.mark.parametrize("seed", [0, 1])
def test_it_lowers_the_colour_error_on_hair_composites(seed: int) -> None:
    example = make_matting_composite(240, 320, np.random.default_rng(seed))
    seen = example.alpha > 0
    rgb = example.image.copy()
    decontaminate(rgb, example.alpha)
    assert _error(rgb, example.foreground, seen) < 0.7 * _error(example.image, example.foreground, seen)


def test_sixteen_bit_and_progress_and_tiles(monkeypatch: pytest.MonkeyPatch) -> None:
    from cutout_app.core.edges import foreground

    photo, alpha, hair = blond_hair_on_a_green_wall()
    rgb16, alpha16 = photo.astype(np.uint16) * 257, alpha.astype(np.uint16) * 257
    monkeypatch.setattr(foreground, "TILE", 48)  # several tiles on a small photo
    calls: list[tuple[int, int]] = []
    decontaminate(rgb16, alpha16, progress=lambda d, t: calls.append((d, t)))
    total = len(band_tiles((alpha16 > 0) & (alpha16 < 65535), *foreground.tile_and_margin(*alpha.shape)))
    assert total > 4 and calls[0] == (0, total) and calls[-1] == (total, total)
    soft = (alpha > 0) & (alpha < 255)
    assert _error(rgb16 / 257.0, hair, soft) < 0.25 * _error(photo, hair, soft)


@pytest.mark.parametrize("step", [1, 3])
def test_tiles_give_the_whole_photos_values(monkeypatch: pytest.MonkeyPatch, step: int) -> None:
    # Each tile's context covers the filters' reach: tiling changes no colour (but float rounding), also
    # where the means are computed on blocks of pixels (large photos; here forced on a small one).
    from cutout_app.core.edges import foreground

    example = make_matting_composite(240, 320, np.random.default_rng(7))
    monkeypatch.setattr(foreground, "TILE", 24)
    monkeypatch.setattr(foreground, "means_step", lambda height, width: step)
    tiled = example.image.copy()
    decontaminate(tiled, example.alpha)
    assert len(band_tiles((example.alpha > 0) & (example.alpha < 255), *foreground.tile_and_margin(240, 320))) > 10
    far = foreground.FarColours.of(example.image, example.alpha, foreground.FAR_CELL * default_radius(240, 320))
    whole = foreground.blur_fusion(example.image, example.alpha, foreground.blur_radii(240, 320),
                                   lambda k: far.at(slice(0, 240), slice(0, 320), k), step=step)
    band = (example.alpha > 0) & (example.alpha < 255)
    difference = np.abs(tiled[band].astype(int) - np.rint(whole[band] * 255).astype(int))
    assert difference.max() <= 1 and (difference == 0).mean() > 0.99


def test_cancel_stops_it() -> None:
    photo, alpha, _ = blond_hair_on_a_green_wall()
    token = CancelToken()
    token.cancel()
    rgb = photo.copy()
    with pytest.raises(Cancelled):
        decontaminate(rgb, alpha, cancel=token)
    np.testing.assert_array_equal(rgb, photo)


def test_band_tiles_cover_every_band_pixel_once() -> None:
    band = np.zeros((100, 130), bool)
    band[5, 5] = band[60:62, :] = band[99, 129] = True
    tiles = band_tiles(band, 32, 8)
    count = np.zeros(band.shape, int)
    for tile in tiles:
        count[tile.core] += 1
        assert tile.rows.start <= tile.core[0].start and tile.core[0].stop <= tile.rows.stop
    assert (count[band] == 1).all() and count.max() == 1
    assert len(tiles) == 1 + 5 + 1  # the corner, the row of 5 tiles across, the far corner
    assert band_tiles(np.zeros((10, 10), bool), 4, 2) == []


def test_export_decontaminates_by_default_and_not_when_asked(tmp_path: Path) -> None:
    photo_rgb, alpha, hair = blond_hair_on_a_green_wall()
    ok, png = cv2.imencode(".png", cv2.cvtColor(photo_rgb, cv2.COLOR_RGB2BGR))
    (tmp_path / "hair.png").write_bytes(png.tobytes())
    photo = read_image(tmp_path / "hair.png")
    soft = (alpha > 0) & (alpha < 255)

    def exported(name: str, options: ExportOptions) -> np.ndarray:
        back = cv2.imread(str(export_result(photo, alpha, tmp_path / name, options)), cv2.IMREAD_UNCHANGED)
        return cv2.cvtColor(back, cv2.COLOR_BGRA2RGBA)

    clean, plain = exported("clean.png", ExportOptions()), exported("plain.png", ExportOptions(decontaminate=False))
    np.testing.assert_array_equal(plain[soft][:, :3], photo_rgb[soft])
    assert _error(clean[..., :3], hair, soft) < 0.25 * _error(plain[..., :3], hair, soft)
    np.testing.assert_array_equal(clean[..., 3], alpha)
    # On a white page the cut-out now shows no green fringe.
    a = alpha[..., None] / 255.0
    on_white = clean[..., :3] * a + 255 * (1 - a)
    truth_on_white = hair * a + 255 * (1 - a)
    assert np.abs(on_white[soft] - truth_on_white[soft]).mean() < 3


def test_background_mode_uses_the_clean_colours() -> None:
    from cutout_app.core.files.export import compose
    from cutout_app.core.files.export_options import ExportMode

    photo_rgb, alpha, hair = blond_hair_on_a_green_wall()
    soft = (alpha > 0) & (alpha < 255)
    options = ExportOptions(mode=ExportMode.BACKGROUND, background=(255, 255, 255))
    a = alpha[..., None] / 255.0
    truth = hair * a + 255 * (1 - a)
    clean = compose(Photo(photo_rgb), alpha, options)
    plain = compose(Photo(photo_rgb), alpha, ExportOptions(mode=ExportMode.BACKGROUND, decontaminate=False))
    assert _error(clean, truth, soft) < 0.25 * _error(plain, truth, soft)


def test_threads_decontaminate_at_once_with_the_same_result() -> None:
    # Two batch workers export at the same time: their tile pools must not mix results.
    examples = [make_matting_composite(300, 400, np.random.default_rng(seed)) for seed in (3, 4, 5, 6)]
    alone = []
    for example in examples:
        rgb = example.image.copy()
        decontaminate(rgb, example.alpha)
        alone.append(rgb)
    together = [example.image.copy() for example in examples]
    threads = [threading.Thread(target=decontaminate, args=(rgb, example.alpha))
               for rgb, example in zip(together, examples)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for rgb, expected in zip(together, alone):
        np.testing.assert_array_equal(rgb, expected)


def test_band_colours_applied_strip_by_strip_equal_the_whole_photo_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from cutout_app.core.edges import foreground

    example = make_matting_composite(240, 320, np.random.default_rng(9))
    monkeypatch.setattr(foreground, "TILE", 24)  # many tiles, several in each strip
    colours = foreground.foreground_colours(example.image, example.alpha)
    assert len(colours.parts) > 10 and all(part[2].dtype == np.uint16 for part in colours.parts)
    whole = example.image.copy()
    colours.apply(whole)
    band = (example.alpha > 0) & (example.alpha < 255)
    assert (whole[band] != example.image[band]).any(axis=1).mean() > 0.5  # the band got new colours...
    assert np.array_equal(whole[~band], example.image[~band])  # ...and nothing else did
    strips = example.image.copy()
    for y0 in range(0, 240, 7):  # strips that cut through tiles
        colours.apply(strips[y0 : y0 + 7], y0)
    assert np.array_equal(strips, whole)
