"""Exporting results as PNG files on disk, read back and checked; the original is never overwritten."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import make_photo

from cutout_app.core.errors import ExportError
from cutout_app.core.files import export
from cutout_app.core.files.destination import output_path_for
from cutout_app.core.files.export import compose, export_result
from cutout_app.core.files.export_options import ExportMode, ExportOptions
from cutout_app.core.files.imageio import Photo, read_image

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0

#: The photo's own colours, undecontaminated: what these tests of the compositing arithmetic check.
#: Decontamination has its own tests (test_foreground.py).
PLAIN = ExportOptions(decontaminate=False)


def ramp_alpha(h: int = 120, w: int = 160) -> np.ndarray:
    """0 on the left, 255 on the right, a ramp in between: every alpha value occurs."""
    return np.tile(np.clip(np.arange(w) * 2 - 30, 0, 255).astype(np.uint8), (h, 1))


def read_png(path: Path) -> np.ndarray:
    """The PNG's samples as stored (gray, or RGB/RGBA order), any depth."""
    img = cv2.imdecode(np.fromfile(path, np.uint8), cv2.IMREAD_UNCHANGED)
    assert img is not None
    if img.ndim == 3:
        img = cv2.cvtColor(img, cv2.COLOR_BGRA2RGBA if img.shape[2] == 4 else cv2.COLOR_BGR2RGB)
    return img


@pytest.fixture
def photo(tmp_path: Path) -> Photo:
    """A real photo on disk (PNG, so it could be confused with a result) read back."""
    path = tmp_path / "photo.png"
    ok, data = cv2.imencode(".png", cv2.cvtColor(make_photo(), cv2.COLOR_RGB2BGR))
    assert ok
    path.write_bytes(data.tobytes())
    return read_image(path)


def test_output_path_for() -> None:
    assert output_path_for(Path("/a/b/cat.photo.JPG"), Path("/out")) == Path("/out/cat.photo.png")
    assert output_path_for("猫.webp", "结果") == Path("结果/猫.png")


def test_rgba_export(photo: Photo, tmp_path: Path) -> None:
    alpha = ramp_alpha()
    out = export_result(photo, alpha, tmp_path / "out" / "cut.png", PLAIN)
    assert out == tmp_path / "out" / "cut.png"
    back = read_png(out)
    assert back.shape == (120, 160, 4) and back.dtype == np.uint8
    seen = alpha > 0
    np.testing.assert_array_equal(back[seen][:, :3], photo.pixels[seen])
    assert (back[~seen] == 0).all() and (~seen).any()  # fully transparent pixels are written as 0 (smaller PNG)
    np.testing.assert_array_equal(back[..., 3], alpha)


def test_rgba_export_multiplies_the_photos_own_alpha(tmp_path: Path) -> None:
    rgba = np.dstack([make_photo(), np.full((120, 160), 128, np.uint8)])
    alpha = ramp_alpha()
    back = read_png(export_result(Photo(rgba), alpha, tmp_path / "cut.png", PLAIN))
    expected = np.round(128 * alpha.astype(np.float64) / 255).astype(np.uint8)
    np.testing.assert_array_equal(back[..., 3], expected)
    seen = expected > 0
    np.testing.assert_array_equal(back[seen][:, :3], rgba[seen][:, :3])


def test_16_bit_photo_gives_16_bit_rgba(tmp_path: Path) -> None:
    rgb16 = make_photo().astype(np.uint16) * 257 + 3
    alpha = ramp_alpha()
    back = read_png(export_result(Photo(rgb16), alpha, tmp_path / "cut16.png", PLAIN))
    assert back.dtype == np.uint16 and back.shape == (120, 160, 4)
    seen = alpha > 0
    np.testing.assert_array_equal(back[seen][:, :3], rgb16[seen])
    np.testing.assert_array_equal(back[..., 3], alpha.astype(np.uint16) * 257)
    assert back[..., 3].max() == 65535


def test_16_bit_rgba_photo_alpha_is_multiplied(tmp_path: Path) -> None:
    rgba16 = np.full((10, 12, 4), 40000, np.uint16)
    rgba16[..., 3] = 65535 // 2
    alpha = np.full((10, 12), 255, np.uint8)
    alpha[:, :6] = 0
    back = read_png(export_result(Photo(rgba16), alpha, tmp_path / "cut.png"))
    assert (back[:, :6, 3] == 0).all() and (back[:, 6:, 3] == 65535 // 2).all()


def test_mask_export(photo: Photo, tmp_path: Path) -> None:
    alpha = ramp_alpha()
    out = export_result(photo, alpha, tmp_path / "mask.png", ExportOptions(mode=ExportMode.MASK))
    back = read_png(out)
    assert back.ndim == 2 and back.dtype == np.uint8
    np.testing.assert_array_equal(back, alpha)


@pytest.mark.parametrize("depth", [8, 16])
def test_background_export(tmp_path: Path, depth: int) -> None:
    rgb = make_photo()
    full = 255 if depth == 8 else 65535
    pixels = rgb if depth == 8 else rgb.astype(np.uint16) * 257
    alpha = ramp_alpha()
    options = ExportOptions(mode=ExportMode.BACKGROUND, background=(255, 0, 40), decontaminate=False)
    back = read_png(export_result(Photo(pixels), alpha, tmp_path / "bg.png", options))
    assert back.shape == (120, 160, 3) and back.dtype == pixels.dtype
    scale = full / 255
    opaque, clear = alpha == 255, alpha == 0
    np.testing.assert_array_equal(back[opaque], pixels[opaque])
    assert (back[clear] == np.array([255, 0, 40]) * scale).all()  # red stays red: RGB order
    a = alpha[..., None] / 255.0
    expected = np.round(pixels * a + np.array([255, 0, 40]) * scale * (1 - a))
    assert np.abs(back - expected).max() <= 1


def test_background_strips_match_one_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rgba = np.dstack([make_photo(), np.full((120, 160), 200, np.uint8)])
    photo, alpha = Photo(rgba), ramp_alpha()
    options = ExportOptions(mode="background", background=(10, 20, 30), decontaminate=False)  # type: ignore[arg-type]
    whole = compose(photo, alpha, options)
    monkeypatch.setattr(export, "_STRIP_PIXELS", 160 * 7)  # 7-row strips, last one partial
    np.testing.assert_array_equal(compose(photo, alpha, options), whole)
    a = (alpha / 255.0) * (200 / 255.0)
    expected = np.round(rgba[..., :3] * a[..., None] + np.array([10, 20, 30]) * (1 - a[..., None]))
    assert np.abs(whole - expected).max() <= 1


def test_alpha_must_match_the_photo(photo: Photo, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="160x120"):
        compose(photo, np.zeros((60, 80), np.uint8), ExportOptions())
    with pytest.raises(ValueError, match="uint8"):
        compose(photo, np.zeros((120, 160), np.float32), ExportOptions())
    with pytest.raises(ValueError):
        export_result(photo, np.zeros((121, 160), np.uint8), tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


def test_options_validate() -> None:
    assert ExportOptions(mode="mask").mode is ExportMode.MASK  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        ExportOptions(mode="jpeg")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        ExportOptions(background=(0, 0, 256))
    with pytest.raises(ValueError):
        ExportOptions(background=(0, 0))  # type: ignore[arg-type]


def test_never_overwrites_the_original(photo: Photo, tmp_path: Path) -> None:
    assert photo.path is not None
    original = photo.path.read_bytes()
    alpha = ramp_alpha()
    spellings = [photo.path, tmp_path / "sub" / ".." / "photo.png", output_path_for(photo.path, tmp_path)]
    link = tmp_path / "link.png"
    link.symlink_to(photo.path)
    spellings.append(link)
    for target in spellings:
        for overwrite in (False, True):
            with pytest.raises(ExportError, match="original"):
                export_result(photo, alpha, target, overwrite=overwrite)
    assert photo.path.read_bytes() == original


def test_existing_file_needs_overwrite(photo: Photo, tmp_path: Path) -> None:
    target = tmp_path / "result.png"
    target.write_bytes(b"earlier result")
    with pytest.raises(ExportError, match="already exists"):
        export_result(photo, ramp_alpha(), target)
    assert target.read_bytes() == b"earlier result"
    export_result(photo, ramp_alpha(), target, overwrite=True)
    assert read_png(target).shape == (120, 160, 4)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photo.png", "result.png"]


def test_only_png_names(photo: Photo, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match=r"\.png"):
        export_result(photo, ramp_alpha(), tmp_path / "result.jpg")
    assert not (tmp_path / "result.jpg").exists()


def test_non_ascii_output_path(photo: Photo, tmp_path: Path) -> None:
    out = export_result(photo, ramp_alpha(), tmp_path / "结果" / "猫.png")
    assert read_png(out).shape == (120, 160, 4)


def test_parent_is_a_file(photo: Photo, tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("file")
    for target in (blocker / "out.png", blocker / "deeper" / "out.png"):
        with pytest.raises(ExportError) as info:
            export_result(photo, ramp_alpha(), target)
        assert str(blocker) in str(info.value)
    assert blocker.read_text() == "file"


@pytest.mark.skipif(IS_ROOT, reason="running as root: chmod 0o555 does not stop root from writing")
def test_read_only_output_folder(photo: Photo, tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(ExportError, match="permission denied") as info:
            export_result(photo, ramp_alpha(), folder / "out.png")
        assert str(folder) in str(info.value)
        assert os.listdir(folder) == []
    finally:
        folder.chmod(0o755)


def test_a_refused_destination_fails_before_any_tile_runs(tmp_path: Path, tiny_model_path: Path) -> None:
    from cutout_app.core.inference.engine import SegmentationEngine
    from cutout_app.core.inference.pipeline import cut_out_file

    src = tmp_path / "photo.png"
    assert cv2.imwrite(str(src), make_photo())
    engine = SegmentationEngine(tiny_model_path, provider="cpu")
    tiles: list[int] = []
    for dst in (src, tmp_path / "result.jpg"):
        with pytest.raises(ExportError):
            cut_out_file(engine, src, dst, overwrite=True, progress=lambda done, total: tiles.append(done))
    assert tiles == []
    cut_out_file(engine, src, tmp_path / "result.png", progress=lambda done, total: tiles.append(done))
    assert tiles and (tmp_path / "result.png").is_file()


@pytest.mark.parametrize("mode", list(ExportMode))
@pytest.mark.parametrize("depth", [8, 16])
def test_the_png_holds_exactly_the_composed_pixels(tmp_path: Path, mode: ExportMode, depth: int,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # Lossless: the written PNG decodes to the very array that compose() makes, block by block or not.
    from cutout_app.core.files import png_writer

    monkeypatch.setattr(png_writer, "BLOCK_BYTES", 5000)  # the export's rows come in many blocks
    rgb = make_photo()
    pixels = rgb if depth == 8 else rgb.astype(np.uint16) * 257 + 3
    photo, alpha = Photo(pixels), ramp_alpha()
    options = ExportOptions(mode=mode, background=(10, 200, 30))  # decontaminated, as by default
    expected = compose(photo, alpha, options)
    back = read_png(export_result(photo, alpha, tmp_path / f"{mode}.png", options))
    assert back.dtype == expected.dtype and back.shape == expected.shape
    np.testing.assert_array_equal(back, expected)
