"""The portrait matting teacher: soft targets for the refiner on people photos, at training time only."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from cutout_app.cli import EXIT_OK, main
from cutout_app.core.datasets import find_pairs
from cutout_app.core.datasets.synthetic import write_dataset
from cutout_app.core.edges.trimap_matting import UNKNOWN, band_radius, make_trimap
from cutout_app.core.errors import CutoutError, ModelError
from cutout_app.model.checkpoint import load_checkpoint
from cutout_app.model.teacher import PortraitTeacher, soft_target, working_size
from cutout_app.model.tile_data import Teaching, read_all
from cutout_app.model.train import TrainConfig, train

PACKAGE = Path(__file__).resolve().parents[1] / "cutout_app"


@pytest.fixture(scope="module")
def matting_onnx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny matting model with MODNet's interface: ``input`` N x 3 x H x W in [-1, 1] -> ``output`` N x 1 x H x W,
    here the sigmoid of 6 times the pixel's mean colour (bright subject, dark background)."""
    graph = helper.make_graph(
        [helper.make_node("ReduceMean", ["input"], ["mean"], axes=[1], keepdims=1),
         helper.make_node("Mul", ["mean", "gain"], ["scaled"]),
         helper.make_node("Sigmoid", ["scaled"], ["output"])],
        "tiny-matting",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["n", 3, "h", "w"])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["n", 1, "h", "w"])],
        [helper.make_tensor("gain", TensorProto.FLOAT, [], [6.0])],
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    path = tmp_path_factory.mktemp("teacher") / "matting.onnx"
    onnx.save(model, str(path))
    return path


@pytest.fixture(scope="module")
def people(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """6 synthetic 96 x 96 composites in a folder named like the people set."""
    return write_dataset(tmp_path_factory.mktemp("sets") / "ccp-people", 6, size=(96, 96), seed=3)


def test_the_teacher_sees_a_photo_at_modnets_size() -> None:
    assert working_size(640, 426) == (416, 640)  # one side under 512, one over: kept, rounded down to 32
    assert working_size(300, 400) == (672, 512)  # both under: the shorter side becomes 512
    assert working_size(1200, 900) == (512, 672) and working_size(900, 1200) == (672, 512)  # both over: likewise


def test_the_teachers_alpha_and_soft_targets(matting_onnx: Path) -> None:
    rgb = np.zeros((120, 160, 3), np.uint8)
    rgb[30:90, 40:120] = 230  # a bright subject on a dark background
    alpha = PortraitTeacher(matting_onnx).alpha(rgb)
    assert alpha.shape == (120, 160) and alpha.dtype == np.uint8
    assert alpha[60, 80] > 240 and alpha[5, 5] < 15
    mask = np.zeros((120, 160), np.uint8)
    mask[28:92, 38:122] = 255  # the human mask, a little wider
    target = soft_target(mask, alpha)
    band = make_trimap(mask, band_radius(120, 160)) == UNKNOWN
    np.testing.assert_array_equal(target[band], alpha[band])
    np.testing.assert_array_equal(target[~band], mask[~band])
    assert ((target > 0) & (target < 255)).any() and not ((mask > 0) & (mask < 255)).any()


def test_a_file_that_is_no_matting_model_is_refused(tmp_path: Path, tiny_two_stage_path: Path) -> None:
    (tmp_path / "junk.onnx").write_bytes(b"not a model")
    with pytest.raises(ModelError, match="cannot be loaded"):
        PortraitTeacher(tmp_path / "junk.onnx")


def test_only_the_named_sets_training_photos_get_soft_targets(people: Path, matting_onnx: Path, tmp_path: Path) -> None:
    other = write_dataset(tmp_path / "duts-tr", 2, size=(96, 96), seed=4)
    pairs = find_pairs([people, other])
    teaching = Teaching(PortraitTeacher(matting_onnx), frozenset({"ccp-people"}))
    plain, taught = read_all(pairs, 2), read_all(pairs, 2, teaching=teaching)
    for pair, (_, mask), (_, target) in zip(pairs, plain, taught):
        if pair.key.startswith("ccp-people/"):
            assert (target != mask).any()
        else:
            np.testing.assert_array_equal(target, mask)


def test_a_refiner_trains_on_soft_targets_and_the_global_nets_click_answers(people: Path, matting_onnx: Path, tmp_path: Path,
                                                                             tiny_two_stage_path: Path) -> None:  # fmt: skip
    config = TrainConfig(data_dirs=[people], out=tmp_path / "run", base_width=4, depth=2, tile_size=92, batch_size=2, epochs=1,
                         steps_per_epoch=2, workers=0, coarse_input=True, global_model=tiny_two_stage_path / "global.onnx",
                         click_share=0.5, coarse_scales=(1.0, 2.0, 4.0), teacher=matting_onnx)  # fmt: skip
    result = train(config, log=lambda _: None)
    _, meta = load_checkpoint(result.checkpoint)
    assert "after a first keep click on 50% of the global net's), resampled by 1/2/4x" in meta["training_data"]
    assert "soft targets around the outline from the portrait matting teacher matting.onnx" in meta["training_data"]
    with pytest.raises(CutoutError, match="refiner stage"):
        train(TrainConfig(data_dirs=[people], out=tmp_path / "plain", teacher=matting_onnx), log=lambda _: None)


def test_cli_refiner_with_a_teacher(people: Path, matting_onnx: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    assert main(["train", str(people), "-o", str(run), "--stage", "refiner", "--base-width", "4", "--depth", "2",
                 "--tile-size", "92", "--batch-size", "2", "--epochs", "1", "--steps-per-epoch", "2", "--workers", "0",
                 "--teacher", str(matting_onnx), "--teacher-sets", "ccp-people"]) == EXIT_OK  # fmt: skip
    assert (run / "best.pt").is_file()


def test_the_teacher_is_a_training_time_dependency_only() -> None:
    # The app (core, window, command line, library) never loads the teacher's module, photobooth or MODNet, and no
    # module outside model/ names them; the wheel holds no teacher model (tests/test_install.py checks its files).
    script = ("import cutout, cutout_app.cli, cutout_app.desktop\nfrom cutout_app.gui.app import build_parser\n"
              "from cutout_app.core.inference.pipeline import segment_photo\nimport sys\nprint('\\n'.join(sys.modules))")
    loaded = set(subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                                env={"QT_QPA_PLATFORM": "offscreen", "PATH": ""}).stdout.split())  # fmt: skip
    assert "cutout_app.core.inference.pipeline" in loaded
    assert not {m for m in loaded if m == "cutout_app.model.teacher" or m.split(".")[0] in ("photobooth", "torch")}
    for path in PACKAGE.rglob("*.py"):
        if "model" not in path.relative_to(PACKAGE).parts[:1] and path.name != "cli.py":
            text = path.read_text(encoding="utf-8")
            assert "model.teacher" not in text and "modnet" not in text.lower() and "photobooth" not in text, path
    assert not list(PACKAGE.parent.glob("**/modnet*.onnx"))
