"""Broken and hostile models, made with the onnx package and run by the real onnxruntime: each is one clear
ModelError (or usage error on the command line), never a traceback, an endless run, gigabytes of memory or
an opaque PNG."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import onnx
import pytest
from conftest import write_photo
from onnx import TensorProto as T
from onnx import helper as h

from cutout_app.cli import EXIT_USAGE, main
from cutout_app.core.errors import ModelError
from cutout_app.core.inference import open_model
from cutout_app.core.inference.engine import ModelSession
from cutout_app.core.inference.model_guard import MODEL_MEMORY_BYTES
from cutout_app.core.inference.model_info import METADATA_KEY, ModelInfo

INFO = ModelInfo(role="single", padding="same", depth=1, tile_size=64, name="hostile", version="test")
X = h.make_tensor_value_info("x", T.FLOAT, ["n", 3, "h", "w"])


def _save(path: Path, nodes: list, output: onnx.ValueInfoProto, initializers: list = (), metadata: str | None = None) -> Path:
    graph = h.make_graph(nodes, "hostile", [X], [output], list(initializers))
    model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])
    model.ir_version = 8
    h.set_model_props(model, {METADATA_KEY: INFO.to_json() if metadata is None else metadata})
    onnx.save(model, path)
    return path


def _map(name: str = "map") -> list:
    """Nodes that make a zero map ``name`` of N x 1 x H x W from the input (a 1x1 convolution with zero weights)."""
    return [h.make_node("Conv", ["x", "zero_w"], [name])]


ZERO_W = h.make_tensor("zero_w", T.FLOAT, [1, 3, 1, 1], [0.0, 0.0, 0.0])
PROBABILITY = h.make_tensor_value_info("y", T.FLOAT, ["n", 1, "h", "w"])


def nan_model(path: Path) -> Path:
    """0 / 0 everywhere: NaN."""
    return _save(path, _map() + [h.make_node("Div", ["map", "map"], ["y"])], PROBABILITY, [ZERO_W])


def infinite_model(path: Path) -> Path:
    return _save(path, _map() + [h.make_node("Reciprocal", ["map"], ["y"])], PROBABILITY, [ZERO_W])


def rank3_model(path: Path) -> Path:
    out = h.make_tensor_value_info("y", T.FLOAT, ["n", "h", "w"])
    return _save(path, _map() + [h.make_node("Squeeze", ["map", "axis"], ["y"])], out,
                 [ZERO_W, h.make_tensor("axis", T.INT64, [1], [1])])  # fmt: skip


def string_model(path: Path) -> Path:
    out = h.make_tensor_value_info("y", T.STRING, ["n", 1, "h", "w"])
    return _save(path, _map() + [h.make_node("Cast", ["map"], ["y"], to=T.STRING)], out, [ZERO_W])


def empty_model(path: Path) -> Path:
    """A map of width 0 (a slice that takes nothing)."""
    consts = [ZERO_W, *(h.make_tensor(n, T.INT64, [1], [v]) for n, v in (("s", 0), ("e", 0), ("a", 3)))]
    return _save(path, _map() + [h.make_node("Slice", ["map", "s", "e", "a"], ["y"])], PROBABILITY, consts)


def loop_model(path: Path) -> Path:
    """A Loop whose trip count is 2^62 and whose condition stays true: it never ends."""
    body = h.make_graph(
        [h.make_node("Identity", ["cond_in"], ["cond_out"]), h.make_node("Add", ["v_in", "one"], ["v_out"])],
        "body",
        [h.make_tensor_value_info("i", T.INT64, []), h.make_tensor_value_info("cond_in", T.BOOL, []),
         h.make_tensor_value_info("v_in", T.FLOAT, None)],
        [h.make_tensor_value_info("cond_out", T.BOOL, []), h.make_tensor_value_info("v_out", T.FLOAT, None)],
        [h.make_tensor("one", T.FLOAT, [], [1.0])])  # fmt: skip
    nodes = _map() + [h.make_node("Loop", ["trip", "cond", "map"], ["y"], body=body)]
    return _save(path, nodes, PROBABILITY, [ZERO_W, h.make_tensor("trip", T.INT64, [], [2**62]),
                                            h.make_tensor("cond", T.BOOL, [], [True])])  # fmt: skip


def constant_model(path: Path, values: int) -> Path:
    """A ConstantOfShape of ``values`` floats, summed into the map."""
    nodes = _map() + [
        h.make_node("ConstantOfShape", ["shape"], ["big"], value=h.make_tensor("v", T.FLOAT, [1], [0.0])),
        h.make_node("ReduceSum", ["big"], ["total"], keepdims=0),
        h.make_node("Add", ["map", "total"], ["y"]),
    ]
    return _save(path, nodes, PROBABILITY, [ZERO_W, h.make_tensor("shape", T.INT64, [1], [values])])


def nested_metadata_model(path: Path, depth: int = 30_000) -> Path:
    return _save(path, _map("y"), PROBABILITY, [ZERO_W], metadata="[" * depth + "]" * depth)


BLANK = np.zeros((1, 3, 64, 64), np.float32)


@pytest.mark.parametrize("make, words", [(nan_model, "NaN"), (infinite_model, "infinite")])
def test_nan_and_infinite_outputs_are_refused(tmp_path: Path, make, words: str) -> None:  # noqa: ANN001
    session = ModelSession(make(tmp_path / "m.onnx"), "cpu", 1)
    with pytest.raises(ModelError, match=words):
        session.run(BLANK)


def test_a_nan_model_never_exports_an_opaque_png(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = nan_model(tmp_path / "nan.onnx")
    photo = write_photo(tmp_path / "photo.jpg")
    out = tmp_path / "out.png"
    assert main(["segment", str(photo), "-o", str(out), "--model", str(model), "--provider", "cpu"]) == EXIT_USAGE
    assert "NaN" in capsys.readouterr().err and not out.exists()
    assert main(["info", "--model", str(model), "--provider", "cpu"]) == EXIT_USAGE
    assert "NaN" in capsys.readouterr().err


@pytest.mark.parametrize("make, words", [
    (rank3_model, "rank 3"), (string_model, "tensor\\(string\\)"), (nested_metadata_model, "nested too deep"),
    (lambda p: nested_metadata_model(p, 100_000), "at most 65,536"),
])  # fmt: skip
def test_broken_shapes_types_and_metadata_are_refused_on_opening(tmp_path: Path, make, words: str) -> None:  # noqa: ANN001
    with pytest.raises(ModelError, match=words):
        open_model(make(tmp_path / "m.onnx"), "cpu", 1)


def test_an_empty_output_is_refused_when_it_comes(tmp_path: Path) -> None:
    session = ModelSession(empty_model(tmp_path / "m.onnx"), "cpu", 1)
    with pytest.raises(ModelError, match=r"shape \(1, 1, 64, 0\)"):
        session.run(BLANK)


def test_a_loop_that_never_ends_is_stopped_by_the_time_budget(tmp_path: Path) -> None:
    session = ModelSession(loop_model(tmp_path / "loop.onnx"), "cpu", 1, run_budget_s=1.0)
    start = time.monotonic()
    with pytest.raises(ModelError, match="did not finish a run within 1 s"):
        session.run(BLANK)
    assert time.monotonic() - start < 120  # a guard against a hang, not a speed limit


def test_a_huge_constant_is_refused_by_the_memory_cap(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    values = MODEL_MEMORY_BYTES // 4 + (64 << 20)  # just over the cap, in float32
    model = constant_model(tmp_path / "constant.onnx", values)
    assert main(["info", "--model", str(model), "--provider", "cpu"]) == EXIT_USAGE
    assert "more memory than models may use" in capsys.readouterr().err
    small = ModelSession(constant_model(tmp_path / "small.onnx", 1000), "cpu", 1)
    assert small.run(BLANK).shape == (1, 1, 64, 64)  # the same graph within the cap runs


def test_a_device_given_as_the_model_says_what_it_is(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", "--model", "/dev/null"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "not a regular file" in err and "does not exist" not in err


@pytest.mark.parametrize("make, words", [(nan_model, "NaN"), (infinite_model, "infinite"),
                                         (lambda p: constant_model(p, MODEL_MEMORY_BYTES // 4 + (64 << 20)),
                                          "more memory than models may use")])  # fmt: skip
def test_opening_with_the_probe_refuses_what_only_a_run_shows(tmp_path: Path, make, words: str) -> None:  # noqa: ANN001
    path = make(tmp_path / "m.onnx")
    assert open_model(path, "cpu", 1).info.name == "hostile"  # its metadata and declared outputs are sound...
    with pytest.raises(ModelError, match=words):
        open_model(path, "cpu", 1, probe=True)  # ...its runs are not


def test_the_window_refuses_a_model_whose_probe_fails_and_keeps_one_that_runs(qtbot, tmp_path: Path,
                                                                               tiny_model_path: Path) -> None:
    from gui_support import make_settings

    from cutout_app.gui.main_window import MainWindow
    from cutout_app.gui.prompts import ScriptedPrompter

    checked: dict[str, list[bool]] = {"nan": [], "good": []}
    prompter = ScriptedPrompter()
    windows = {}
    for name, model in (("nan", nan_model(tmp_path / "nan.onnx")), ("good", tiny_model_path)):
        folder = tmp_path / name
        folder.mkdir()
        window = windows[name] = MainWindow(model, settings=make_settings(folder), prompter=prompter)
        qtbot.addWidget(window)
        window.model_checked.connect(checked[name].append)
        assert window.engine is not None  # it opened: the probe runs in the background
        window.show()
    qtbot.waitUntil(lambda: bool(checked["nan"] and checked["good"]), timeout=30000)
    assert checked == {"nan": [False], "good": [True]}
    nan = windows["nan"]
    assert nan.engine is None and "NaN" in (nan.model_error or "")  # refused as if it could not be loaded
    assert any("NaN" in message for _, message in prompter.errors) and not nan.ui_actions.batch.isEnabled()
    assert windows["good"].engine is not None
