"""The int8 refiner for the CPU: made by ``cutout quantize``, run instead of the fp32 one on the CPU only while it
is the quantised form of the folder's refiner.onnx as it is now, and close to it on a real photo."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
import onnx
import pytest

from cutout_app.cli import main as cutout
from cutout_app.core.datasets.metrics import iou
from cutout_app.core.files.imageio import read_image
from cutout_app.core.inference.quantize import REFINER_INT8_FILE, SOURCE_KEY, calibration_tiles, quantize_refiner
from cutout_app.core.inference.two_stage import REFINER_FILE, CutoutModel
from cutout_app.core.paths import BUNDLED_MODEL_NAME, MODELS_DIR, PROJECT_ROOT

SAMPLES = PROJECT_ROOT / "resources" / "samples"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the bundled model with an int8 refiner calibrated on the sample photos."""
    folder = tmp_path_factory.mktemp("int8") / "model"
    shutil.copytree(MODELS_DIR / BUNDLED_MODEL_NAME, folder)
    (folder / REFINER_INT8_FILE).unlink(missing_ok=True)
    model = CutoutModel(folder, "cpu", int8=False)
    photos = [read_image(SAMPLES / name).rgb8() for name in ("coffee.jpg", "cat.jpg")]
    quantize_refiner(folder, calibration_tiles(model, photos, 8))
    return folder


def test_the_cpu_runs_the_int8_refiner_and_it_agrees_with_fp32(folder: Path) -> None:
    rgb = read_image(SAMPLES / "coffee.jpg").rgb8()
    fp32, int8 = CutoutModel(folder, "cpu", int8=False), CutoutModel(folder, "cpu")
    assert fp32.refiner.model_path.name == REFINER_FILE and int8.refiner.model_path.name == REFINER_INT8_FILE
    coarse = fp32.predict_global(rgb)
    a, b = fp32.refine(rgb, coarse, everywhere=True), int8.refine(rgb, coarse, everywhere=True)
    assert np.abs(a - b).mean() < 0.01
    assert iou(a >= 0.5, b >= 0.5) > 0.99
    assert not np.array_equal(a, b)  # another network did run


def test_the_file_is_whole_named_after_its_source_and_readable_as_the_folder(folder: Path) -> None:
    info = CutoutModel(folder, "cpu").refiner.info
    assert info.role == "refiner" and len(info.extra[SOURCE_KEY]) == 64
    assert (folder / REFINER_INT8_FILE).stat().st_mode == (folder / REFINER_FILE).stat().st_mode
    assert sorted(p.name for p in folder.iterdir()) == ["global.onnx", REFINER_INT8_FILE, REFINER_FILE]


def test_a_stale_int8_refiner_is_never_run(folder: Path, tmp_path: Path) -> None:
    # A retrained refiner.onnx (here: the same graph, saved again with another doc string) beside the old
    # int8 file: the fp32 file runs.
    stale = tmp_path / "model"
    shutil.copytree(folder, stale)
    graph = onnx.load(stale / REFINER_FILE)
    graph.doc_string = "retrained"
    onnx.save(graph, stale / REFINER_FILE)
    assert CutoutModel(stale, "cpu").refiner.model_path.name == REFINER_FILE


def test_a_broken_int8_file_is_a_model_error(folder: Path, tmp_path: Path) -> None:
    from cutout_app.core.errors import ModelError

    broken = tmp_path / "model"
    shutil.copytree(folder, broken)
    (broken / REFINER_INT8_FILE).write_bytes(b"not a model")
    with pytest.raises(ModelError, match=REFINER_INT8_FILE):
        CutoutModel(broken, "cpu")


def test_cutout_quantize_calibrates_on_the_training_split(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "set"
    (data / "images").mkdir(parents=True)
    (data / "masks").mkdir()
    rgb = read_image(SAMPLES / "coffee.jpg").rgb8()
    for k in range(3):  # the same photo under three names; at least one lands in the training split
        cv2.imwrite(str(data / "images" / f"p{k}.png"), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        cv2.imwrite(str(data / "masks" / f"p{k}.png"), np.zeros(rgb.shape[:2], np.uint8))
    model = tmp_path / "model"
    shutil.copytree(MODELS_DIR / BUNDLED_MODEL_NAME, model)
    (model / REFINER_INT8_FILE).unlink(missing_ok=True)
    assert cutout(["quantize", str(model), str(data), "--tiles", "2"]) == 0
    assert "calibrated on 2 tiles" in capsys.readouterr().out
    assert CutoutModel(model, "cpu").refiner.model_path.name == REFINER_INT8_FILE
