"""``import cutout``: remove() on every kind of input, the command line's pixels, its errors, a Session's reuse
and threads, and a cheap import. Real onnxruntime on the bundled model, real files."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from dataclasses import fields
from pathlib import Path

import cv2
import numpy as np
import onnxruntime
import pytest
from conftest import make_photo
from icc_support import display_p3_profile, jpeg_with_profile

import cutout
from cutout._options import EXPORT_EDGE_OPTIONS
from cutout_app.cli import EXIT_OK, EXIT_USAGE, main
from cutout_app.core import errors
from cutout_app.core.edges import MaskSettings
from cutout_app.core.files import ExportOptions, read_image
from cutout_app.core.files.icc import png_profile
from cutout_app.core.paths import MODELS_DIR, RESOURCES_DIR

BUNDLED = MODELS_DIR / "cutout"
CAT = RESOURCES_DIR / "samples" / "cat.jpg"  # 451 x 300, 9 refiner tiles


@pytest.fixture(scope="module")
def session() -> cutout.Session:
    return cutout.Session(BUNDLED, provider="cpu")


def _png_pixels(data: bytes) -> np.ndarray:
    """A PNG's pixels as RGB(A), the order remove() uses."""
    pixels = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if pixels.ndim == 3:
        pixels = cv2.cvtColor(pixels, cv2.COLOR_BGRA2RGBA if pixels.shape[2] == 4 else cv2.COLOR_BGR2RGB)
    return pixels


class CountingSession(onnxruntime.InferenceSession):
    """onnxruntime's own session, counted: each one made is a model (part) loaded; and how many runs of a
    global net were under way at once (one run per remove() call, in the caller's thread)."""

    made = 0
    global_runs = 0
    most_global_runs = 0
    _lock = threading.Lock()

    def __init__(self, path: str, *args, **kwargs) -> None:
        type(self).made += 1
        self.is_global = Path(path).name == "global.onnx"
        super().__init__(path, *args, **kwargs)

    def run(self, *args, **kwargs):  # noqa: ANN201 - onnxruntime's
        if not self.is_global:
            return super().run(*args, **kwargs)
        cls = type(self)
        with cls._lock:
            cls.global_runs += 1
            cls.most_global_runs = max(cls.most_global_runs, cls.global_runs)
        try:
            return super().run(*args, **kwargs)
        finally:
            with cls._lock:
                cls.global_runs -= 1


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> type[CountingSession]:
    """Counts the onnxruntime sessions made from here on (core makes them as ``onnxruntime.InferenceSession``)."""
    for name in ("made", "global_runs", "most_global_runs"):
        monkeypatch.setattr(CountingSession, name, 0)
    monkeypatch.setattr(onnxruntime, "InferenceSession", CountingSession)
    return CountingSession


# ---------------------------------------------------------------------------------------------- kinds


def test_each_kind_of_image_comes_back_as_its_kind_with_the_same_pixels(session: cutout.Session, tmp_path: Path) -> None:
    from PIL import Image

    p3 = display_p3_profile()
    path = tmp_path / "photo p3.jpg"
    path.write_bytes(jpeg_with_profile(make_photo(90, 120, seed=4), p3))
    rgb = read_image(path).pixels  # what every kind below decodes to

    from_array = cutout.remove(rgb, session=session)
    assert isinstance(from_array, np.ndarray) and from_array.shape == (90, 120, 4) and from_array.dtype == np.uint8
    assert 0 < (from_array[..., 3] > 127).mean() < 1  # a subject was cut out, not everything or nothing

    from_path = cutout.remove(path, session=session)
    np.testing.assert_array_equal(from_path, from_array)
    np.testing.assert_array_equal(cutout.remove(str(path), session=session), from_array)

    png = cutout.remove(path.read_bytes(), session=session)
    assert isinstance(png, bytes) and png.startswith(b"\x89PNG")
    np.testing.assert_array_equal(_png_pixels(png), from_array)
    assert png_profile(png) == p3  # the photo's colour profile travels, as with the command line
    assert cutout.remove(memoryview(path.read_bytes()), session=session) == png
    assert cutout.remove(bytearray(path.read_bytes()), session=session) == png

    with Image.open(path) as opened:
        from_pil = cutout.remove(opened, session=session)
    assert isinstance(from_pil, Image.Image) and from_pil.mode == "RGBA" and from_pil.size == (120, 90)
    np.testing.assert_array_equal(np.asarray(from_pil), from_array)
    assert from_pil.info["icc_profile"] == p3  # saved with the image by Pillow

    written = cutout.remove(path, session=session, out=tmp_path / "out" / "cut.png")
    assert written == tmp_path / "out" / "cut.png" and written.read_bytes() == png
    assert not [p for p in written.parent.iterdir() if p != written]  # atomic: no temporary file left

    grey = cutout.remove(Image.fromarray(rgb[..., 0]), session=session)  # other PIL modes: converted to RGB
    assert grey.mode == "RGBA" and grey.size == (120, 90)


def test_an_rgba_image_keeps_its_own_transparency(session: cutout.Session) -> None:
    rgba = np.dstack([make_photo(60, 80, seed=5), np.full((60, 80), 255, np.uint8)])
    rgba[:, :40, 3] = 0  # the left half already transparent
    out = cutout.remove(rgba, session=session)
    assert out.shape == (60, 80, 4) and not out[:, :40, 3].any()
    assert out[:, 40:, 3].any()


def test_mask_and_background_modes_give_their_arrays(session: cutout.Session) -> None:
    rgb = make_photo(60, 80, seed=6)
    rgba = cutout.remove(rgb, session=session)
    mask = cutout.remove(rgb, session=session, mode="mask")
    assert mask.shape == (60, 80) and mask.dtype == np.uint8
    np.testing.assert_array_equal(mask, rgba[..., 3])
    on_white = cutout.remove(rgb, session=session, background="white")  # a colour implies the background mode
    assert on_white.shape == (60, 80, 3)
    np.testing.assert_array_equal(on_white[rgba[..., 3] == 0], 255)
    np.testing.assert_array_equal(cutout.remove(rgb, session=session, mode="background", background=(255, 255, 255)),
                                  on_white)  # fmt: skip
    np.testing.assert_array_equal(cutout.remove(rgb, session=session, mode="rgba"), rgba)


# ------------------------------------------------------------------------------------ same as the CLI


def test_the_library_writes_the_bytes_the_command_line_writes(session: cutout.Session, tmp_path: Path) -> None:
    by_cli = tmp_path / "cli.png"
    run = subprocess.run([sys.executable, "-m", "cutout_app", "segment", str(CAT), "-o", str(by_cli),
                          "--model", str(BUNDLED), "--provider", "cpu"], capture_output=True, text=True, timeout=300)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert cutout.remove(CAT.read_bytes(), session=session) == by_cli.read_bytes()
    np.testing.assert_array_equal(cutout.remove(CAT, session=session), _png_pixels(by_cli.read_bytes()))
    by_library = cutout.remove(CAT, session=session, out=tmp_path / "library.png")
    assert by_library.read_bytes() == by_cli.read_bytes()


@pytest.mark.parametrize(
    ("cli", "library"),
    [
        (["--keep", "225,150", "--keep", "300,120", "--remove", "20,20"],
         {"keep": [(225, 150), (300, 120)], "remove": [(20, 20)]}),
        (["--mode", "background", "--background", "#336699", "--threshold", "0.4", "--softness", "0.1",
          "--edge-width", "3", "--shift-edge", "-1", "--no-decontaminate"],
         {"background": "#336699", "threshold": 0.4, "softness": 0.1, "edge_px": 3, "shift_px": -1,
          "decontaminate": False}),
        (["--mode", "mask", "--no-refine", "--keep", "200,160"], {"mode": "mask", "refine": False, "keep": [(200, 160)]}),
        (["--box", "120,30,380,290"], {"box": (120, 30, 380, 290)}),
        (["--box", "120,30,380,290", "--keep", "250,150", "--remove", "140,270"],
         {"box": (120, 30, 380, 290), "keep": [(250, 150)], "remove": [(140, 270)]}),
        (["--keep", "225,150", "--candidate", "3"], {"keep": [(225, 150)], "candidate": 3}),
    ],
    ids=["clicks", "background-and-edges", "mask", "box", "box-and-clicks", "candidate"],
)  # fmt: skip
def test_the_library_gives_the_command_lines_pixels_with_the_same_options(
    session: cutout.Session, tmp_path: Path, cli: list[str], library: dict
) -> None:
    out = tmp_path / "cli.png"
    assert main(["segment", str(CAT), "-o", str(out), "--model", str(BUNDLED), "--provider", "cpu", *cli]) == EXIT_OK
    np.testing.assert_array_equal(cutout.remove(CAT, session=session, **library), _png_pixels(out.read_bytes()))


# ------------------------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("image", "kwargs", "error", "words"),
    [
        (np.zeros((20, 30, 2), np.uint8), {}, cutout.ArgumentError, "H x W x 3 (RGB) or H x W x 4 (RGBA); got shape (20, 30, 2)"),
        (np.zeros((20, 30), np.uint8), {}, cutout.ArgumentError, "got shape (20, 30)"),
        (np.zeros((20, 30, 3), np.float32), {}, cutout.ArgumentError, "uint8 values 0..255 (or uint16); got float32"),
        (np.zeros((0, 30, 3), np.uint8), {}, cutout.ArgumentError, "is empty"),
        (b"", {}, cutout.ImageReadError, "file is empty"),
        (b"not an image at all", {}, cutout.ImageReadError, "not an image"),
        (Path("/nowhere/photo.jpg"), {}, cutout.ImageReadError, "file not found"),
        ([[1, 2, 3]], {}, cutout.ArgumentError, "takes a numpy array, bytes, a path or a PIL image; got list"),
        (None, {"box": (0, 0, 10, 10)}, cutout.ArgumentError, "got NoneType"),
        ("IMG", {"box": (-1, 0, 10, 10)}, cutout.ArgumentError, "box -1,0,10,10 reaches outside the 40x30 photo"),
        ("IMG", {"box": (0, 0, 41, 10)}, cutout.ArgumentError, "reaches outside the 40x30 photo"),
        ("IMG", {"box": (10, 5, 10, 20)}, cutout.ArgumentError, "has no area"),
        ("IMG", {"box": (20, 5, 10, 20)}, cutout.ArgumentError, "X0 < X1 and Y0 < Y1"),
        ("IMG", {"box": (0, 0, 10)}, cutout.ArgumentError, "(x0, y0, x1, y1)"),
        ("IMG", {"box": (0, 0, 10, float("nan"))}, cutout.ArgumentError, "finite numbers"),
        ("IMG", {"keep": [(40, 10)]}, cutout.ArgumentError, "keep click at 40,10 is outside the 40x30 photo"),
        ("IMG", {"remove": [(5, -1)]}, cutout.ArgumentError, "remove click at 5,-1 is outside"),
        ("IMG", {"keep": (5, 5)}, cutout.ArgumentError, "keep= takes a list of (x, y) points: keep=[(5, 5)]"),
        ("IMG", {"keep": [(5, 5, 5)]}, cutout.ArgumentError, "expected an (x, y) point"),
        ("IMG", {"threshold": 1.5}, cutout.ArgumentError, "threshold must be between 0 and 1"),
        ("IMG", {"shift_px": 0.5}, cutout.ArgumentError, "shift_px must be a whole number"),
        ("IMG", {"edge_width": 3}, cutout.ArgumentError, "no option 'edge_width'"),
        ("IMG", {"mode": "png"}, cutout.ArgumentError, "mode must be one of 'transparent'"),
        ("IMG", {"background": "plaid"}, cutout.ArgumentError, "'plaid' is not a colour"),
        ("IMG", {"background": (0, 0, 300)}, cutout.ArgumentError, "background must be three values in 0..255"),
        ("IMG", {"background": (0.5, 0, 0)}, cutout.ArgumentError, "three ints 0..255"),
        ("IMG", {"mode": "mask", "background": "white"}, cutout.ArgumentError, "background= is the colour of mode='background'"),
        ("IMG", {"session": "fast"}, cutout.ArgumentError, "session must be a cutout.Session"),
        ("IMG", {"candidate": -1}, cutout.ArgumentError, "candidate -1: a whole number"),
        ("IMG", {"candidate": "2"}, cutout.ArgumentError, "candidate '2': a whole number"),
        ("IMG", {"out": "cut.jpg"}, cutout.ExportError, "must end in .png"),
    ],
)  # fmt: skip
def test_bad_arguments_raise_the_public_errors_before_any_model_loads(
    image: object, kwargs: dict, error: type[Exception], words: str, tmp_path: Path, loads: type[CountingSession]
) -> None:
    if isinstance(image, str):  # "IMG": a 40 x 30 photo on disk
        image = tmp_path / "photo.png"
        cv2.imwrite(str(image), make_photo(30, 40))
    if "out" in kwargs:
        kwargs["out"] = tmp_path / kwargs["out"]
    with pytest.raises(error) as caught:
        cutout.remove(image, **kwargs)
    assert isinstance(caught.value, cutout.CutoutError)
    assert words in str(caught.value)
    assert caught.value.__cause__ is None  # raised where the problem is seen, not a deep failure wrapped
    assert loads.made == 0


def test_out_is_checked_as_the_command_line_checks_it(session: cutout.Session, tmp_path: Path) -> None:
    photo = tmp_path / "photo.png"
    cv2.imwrite(str(photo), make_photo(30, 40))
    with pytest.raises(cutout.ExportError, match="Refusing to overwrite the original photo"):
        cutout.remove(photo, session=session, out=photo, overwrite=True)
    taken = tmp_path / "taken.png"
    taken.write_bytes(b"old")
    with pytest.raises(cutout.ExportError, match="already exists"):
        cutout.remove(photo, session=session, out=taken)
    assert taken.read_bytes() == b"old"
    assert cutout.remove(photo, session=session, out=taken, overwrite=True) == taken
    assert _png_pixels(taken.read_bytes()).shape == (30, 40, 4)


def test_a_bad_model_or_session_argument_raises_the_public_errors(tmp_path: Path) -> None:
    with pytest.raises(cutout.ModelError, match="does not exist"):
        cutout.Session(tmp_path / "no model")
    empty = tmp_path / "empty model"
    empty.mkdir()
    with pytest.raises(cutout.ModelError, match="has no global.onnx"):
        cutout.Session(empty)
    with pytest.raises(cutout.ArgumentError, match="provider must be one of auto, cuda, cpu; got 'gpu'"):
        cutout.Session(provider="gpu")  # type: ignore[arg-type]
    with pytest.raises(cutout.ArgumentError, match="threads must be a whole number"):
        cutout.Session(threads=-1)
    assert issubclass(cutout.ArgumentError, ValueError)  # except ValueError catches it too


def test_a_candidate_picks_a_reading_of_the_first_click_and_only_the_models_own(session: cutout.Session) -> None:
    readings = [cutout.remove(CAT, session=session, keep=[(225, 150)], candidate=k, mode="mask") for k in range(1, 5)]
    assert len({r.tobytes() for r in readings}) > 1  # the bundled net reads a click four ways
    with pytest.raises(cutout.ArgumentError, match="candidate 5: the model reads a click 4 ways"):
        cutout.remove(CAT, session=session, keep=[(225, 150)], candidate=5)


def test_the_command_line_says_the_same_of_a_candidate_the_model_lacks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["segment", str(CAT), "-o", str(tmp_path / "cat.png"), "--model", str(BUNDLED), "--keep", "225,150"]
    assert main([*args, "--candidate", "5"]) == EXIT_USAGE
    assert "candidate 5: the model reads a click 4 ways" in capsys.readouterr().err
    assert not (tmp_path / "cat.png").exists()


def test_a_box_guides_the_cut_out(session: cutout.Session) -> None:
    whole = cutout.remove(CAT, session=session, mode="mask")
    boxed = cutout.remove(CAT, session=session, mode="mask", box=(0, 0, 150, 120))  # the top-left corner only
    assert (boxed != whole).mean() > 0.05


# ------------------------------------------------------------------------------- sessions and threads


def test_a_session_loads_both_nets_once_and_is_reused(loads: type[CountingSession]) -> None:
    session = cutout.Session(BUNDLED, provider="cpu")
    assert loads.made == 2  # the global net and the refiner
    first = cutout.remove(CAT, session=session)  # 9 refiner tiles: the refiner's single-thread copy is made once
    after_first = loads.made
    assert after_first <= 3
    for _ in range(2):
        np.testing.assert_array_equal(cutout.remove(CAT, session=session), first)
    cutout.remove(make_photo(60, 80), session=session, keep=[(40, 30)])
    assert loads.made == after_first


def test_a_session_is_safe_from_several_threads_at_once(loads: type[CountingSession]) -> None:
    session = cutout.Session(BUNDLED, provider="cpu")
    cat = read_image(CAT).pixels
    jobs = [(cat, {}), (cat, {"keep": [(225, 150)], "remove": [(20, 20)]}), (make_photo(90, 120, seed=7), {}),
            (make_photo(120, 90, seed=8), {"mode": "mask"})]  # fmt: skip
    alone = [cutout.remove(image, session=session, **kwargs) for image, kwargs in jobs]
    assert loads.most_global_runs == 1
    start = threading.Barrier(len(jobs))
    results: dict[int, list[np.ndarray]] = {i: [] for i in range(len(jobs))}
    failures: list[BaseException] = []

    def work(i: int) -> None:
        image, kwargs = jobs[i]
        try:
            start.wait()
            for _ in range(2):
                results[i].append(cutout.remove(image, session=session, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not failures
    assert loads.most_global_runs > 1  # the calls ran at the same time, not one after another behind a lock
    for i, expected in enumerate(alone):
        assert len(results[i]) == 2
        for got in results[i]:
            np.testing.assert_array_equal(got, expected)


# ------------------------------------------------------------------------------------ import and types


def test_import_cutout_is_cheap_and_the_default_session_is_made_once(tmp_path: Path) -> None:
    # A fresh interpreter: `import cutout` loads no numpy, OpenCV or onnxruntime; naming remove and Session
    # makes no onnxruntime session; the first calls, from four threads at once, make one default Session.
    photo = tmp_path / "photo.png"
    cv2.imwrite(str(photo), make_photo(60, 80))
    script = f"""
import json, sys, threading
import cutout
after_import = sorted(sys.modules)
from cutout import EdgeOptions, Session, remove
after_names = sorted(sys.modules)
import onnxruntime
made = []
class Counting(onnxruntime.InferenceSession):
    def __init__(self, *args, **kwargs):
        made.append(args[0])
        super().__init__(*args, **kwargs)
onnxruntime.InferenceSession = Counting
start = threading.Barrier(4)
def work():
    start.wait()
    remove({str(photo)!r})
threads = [threading.Thread(target=work) for _ in range(4)]
[t.start() for t in threads]
[t.join() for t in threads]
first = len(made)
remove({str(photo)!r}, keep=[(40, 30)])
print(json.dumps({{"after_import": after_import, "after_names": after_names, "first": first, "later": len(made)}}))
"""
    env = {"PATH": "", "CUTOUT_MODEL": str(BUNDLED)}
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout)
    heavy = ("numpy", "cv2", "onnxruntime", "torch", "PySide6", "PIL")
    assert not [m for m in seen["after_import"] if m.split(".")[0] in heavy]
    assert not [m for m in seen["after_names"] if m.split(".")[0] in ("onnxruntime", "torch", "PySide6", "PIL")]
    assert seen["first"] == 2 and seen["later"] == 2  # one default Session: the global net and the refiner


def test_the_edge_options_are_cores_own_fields() -> None:
    names = list(cutout.EdgeOptions.__annotations__)
    assert set(names) == set(MaskSettings.field_names()) | set(EXPORT_EDGE_OPTIONS)
    assert set(EXPORT_EDGE_OPTIONS) <= {f.name for f in fields(ExportOptions)}
    assert (Path(cutout.__file__).parent / "py.typed").is_file()
    assert {"remove", "Session", "CutoutError", "ImageReadError", "ModelError", "ArgumentError"} <= set(cutout.__all__)
    assert (cutout.CutoutError, cutout.ImageReadError, cutout.ModelError, cutout.ArgumentError) == (
        errors.CutoutError, errors.ImageReadError, errors.ModelError, errors.ArgumentError)  # core's, not copies
