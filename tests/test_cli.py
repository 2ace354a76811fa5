"""The `cutout` command line, run in-process on real files and a real ONNX model."""

from pathlib import Path

import cv2
import numpy as np
import pytest

from cutout_app.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, main
from tests.conftest import make_photo


def _write_jpeg(path: Path, seed: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    ok, data = cv2.imencode(".jpg", make_photo(seed=seed))
    assert ok
    path.write_bytes(data.tobytes())
    return path


def _read_png(path: Path) -> np.ndarray:
    return cv2.imdecode(np.fromfile(str(path), dtype=np.uint8), cv2.IMREAD_UNCHANGED)


def test_segment_writes_a_transparent_png(tmp_path, tiny_model_path, capsys):
    src = _write_jpeg(tmp_path / "照片" / "猫.jpg")
    out = tmp_path / "out" / "猫.png"
    assert main(["segment", str(src), "-o", str(out), "--model", str(tiny_model_path), "--provider", "cpu"]) == EXIT_OK
    png = _read_png(out)
    assert png.shape == (120, 160, 4)
    assert "wrote" in capsys.readouterr().out


def test_segment_mask_mode_and_default_output_name(tmp_path, tiny_model_path):
    src = _write_jpeg(tmp_path / "a.jpg")
    assert main(["segment", str(src), "--mode", "mask", "--model", str(tiny_model_path)]) == EXIT_OK
    assert _read_png(tmp_path / "a-cutout.png").ndim == 2


def test_segment_refuses_to_overwrite_the_original(tmp_path, tiny_model_path, capsys):
    src = tmp_path / "a.png"
    assert cv2.imwrite(str(src), make_photo())
    before = src.read_bytes()
    code = main(["segment", str(src), "-o", str(src), "--overwrite", "--model", str(tiny_model_path)])
    assert code == EXIT_USAGE
    assert src.read_bytes() == before
    assert "error:" in capsys.readouterr().err


def test_segment_of_a_corrupt_file_gives_a_clear_error(tmp_path, tiny_model_path, capsys):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    assert main(["segment", str(bad), "--model", str(tiny_model_path)]) == EXIT_USAGE
    assert "broken.jpg" in capsys.readouterr().err


def test_missing_model_gives_a_clear_error(tmp_path, capsys):
    src = _write_jpeg(tmp_path / "a.jpg")
    assert main(["segment", str(src), "--model", str(tmp_path / "none.onnx")]) == EXIT_USAGE
    assert "does not exist" in capsys.readouterr().err


def test_batch_goes_on_past_a_bad_file_and_fails_the_exit_code(tmp_path, tiny_model_path, capsys):
    _write_jpeg(tmp_path / "in" / "one.jpg")
    _write_jpeg(tmp_path / "in" / "sub" / "two.jpg", seed=1)
    (tmp_path / "in" / "bad.jpg").write_bytes(b"")
    code = main(["batch", str(tmp_path / "in"), str(tmp_path / "out"), "--model", str(tiny_model_path)])
    assert code == EXIT_FAILED
    assert (tmp_path / "out" / "one.png").is_file() and (tmp_path / "out" / "sub" / "two.png").is_file()
    assert "bad.jpg" in capsys.readouterr().out
    (tmp_path / "in" / "bad.jpg").unlink()
    assert main(["batch", str(tmp_path / "in"), str(tmp_path / "out"), "--model", str(tiny_model_path)]) == EXIT_OK


def test_info_names_the_model_and_provider(tiny_model_path, capsys):
    assert main(["info", "--model", str(tiny_model_path)]) == EXIT_OK
    out = capsys.readouterr().out
    assert "tiny-test" in out and "CPUExecutionProvider" in out


def test_eval_prints_a_table(tmp_path, tiny_model_path, capsys):
    for i in range(2):
        _write_jpeg(tmp_path / "images" / f"{i}.jpg", seed=i)
        mask = np.zeros((120, 160), np.uint8)
        mask[30:90, 40:120] = 255
        (tmp_path / "masks").mkdir(exist_ok=True)
        assert cv2.imwrite(str(tmp_path / "masks" / f"{i}.png"), mask)
    assert main(["eval", str(tmp_path / "images"), str(tmp_path / "masks"), "--model", str(tiny_model_path)]) == EXIT_OK
    out = capsys.readouterr().out
    assert "IoU" in out and "boundary F" in out and "mean of 2" in out


def test_export_onnx_from_a_checkpoint(tmp_path, capsys):
    from cutout_app.model.checkpoint import save_checkpoint
    from cutout_app.model.unet import UNet

    ckpt = save_checkpoint(UNet(base_width=4, depth=2), tmp_path / "m.pt", tile_size=88, name="cli-test", version="9")
    out = tmp_path / "m.onnx"
    assert main(["export-onnx", str(ckpt), "-o", str(out)]) == EXIT_OK
    assert "max abs diff" in capsys.readouterr().out
    assert main(["info", "--model", str(out)]) == EXIT_OK
    assert "cli-test 9" in capsys.readouterr().out
    assert main(["export-onnx", str(ckpt), "-o", str(out), "--version-tag", "10"]) == EXIT_OK
    capsys.readouterr()
    assert main(["info", "--model", str(out)]) == EXIT_OK
    assert "cli-test 10" in capsys.readouterr().out


def test_bad_colour_is_a_usage_error(tmp_path):
    with pytest.raises(SystemExit):
        main(["segment", "x.jpg", "--mode", "background", "--background", "purplish"])


@pytest.mark.parametrize("option", ["--workers", "--threads", "--actors"])
def test_a_negative_count_is_a_usage_error(tmp_path, option, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["batch", str(tmp_path), str(tmp_path / "out"), option, "-1"])
    assert exit_info.value.code == 2
    assert "not a count" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("command", "option", "words"), [
    ("batch", "--workers", "more than this machine's"), ("batch", "--threads", "more than this machine's"),
    ("segment", "--threads", "more than this machine's"), ("batch", "--actors", "actors is more than"),
])
def test_a_count_beyond_the_machine_is_a_usage_error(tmp_path, command, option, words, capsys):
    target = [str(tmp_path), str(tmp_path / "out")] if command == "batch" else [str(tmp_path / "x.jpg")]
    with pytest.raises(SystemExit) as exit_info:
        main([command, *target, option, "99999"])
    assert exit_info.value.code == 2
    assert words in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_batch_with_one_worker_writes_every_photo(tmp_path, tiny_model_path):
    for i in range(3):
        _write_jpeg(tmp_path / "in" / f"{i}.jpg", seed=i)
    code = main(["batch", str(tmp_path / "in"), str(tmp_path / "out"), "--model", str(tiny_model_path),
                 "--workers", "1", "--threads", "1"])
    assert code == EXIT_OK
    assert sorted(p.name for p in (tmp_path / "out").glob("*.png")) == ["0.png", "1.png", "2.png"]


# --- usage errors: a clear sentence and exit 2, never a traceback ----------------------------------


@pytest.mark.parametrize("option,value,words", [
    ("--threshold", "7", "must be"), ("--threshold", "-1", "must be"), ("--threshold", "nan", "must be"),
    ("--threshold", "1e309", "must be"), ("--softness", "5", "must be"), ("--softness", "-0.5", "must be"),
    ("--threshold", "half", "not a number"),
])  # fmt: skip
def test_mask_settings_out_of_range_are_usage_errors(tmp_path, option, value, words, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["segment", str(tmp_path / "a.jpg"), f"{option}={value}"])
    assert exit_info.value.code == EXIT_USAGE
    err = capsys.readouterr().err
    assert f"'{value}'" in err and words in err and "Traceback" not in err


def test_a_click_left_of_the_photo_and_a_bad_hex_colour_get_clear_messages(tmp_path, tiny_two_stage_path, capsys):
    src = _write_jpeg(tmp_path / "a.jpg")
    code = main(["segment", str(src), "--keep", "-5,10", "--model", str(tiny_two_stage_path)])  # parsed, then refused
    err = capsys.readouterr().err
    assert code == EXIT_USAGE and "expected one argument" not in err and "-5" in err
    with pytest.raises(SystemExit) as exit_info:
        main(["segment", str(src), "--mode", "background", "--background", "#zzzzzz"])
    assert exit_info.value.code == EXIT_USAGE
    err = capsys.readouterr().err
    assert "'#zzzzzz' is not a colour" in err and "_parse_colour" not in err and "_colour" not in err


def test_eval_on_a_missing_or_empty_folder_is_a_usage_error(tmp_path, tiny_model_path, capsys):
    (tmp_path / "images").mkdir()
    (tmp_path / "masks").mkdir()
    args = ["--model", str(tiny_model_path)]
    assert main(["eval", str(tmp_path / "nowhere"), str(tmp_path / "masks"), *args]) == EXIT_USAGE
    assert "Photo folder" in capsys.readouterr().err
    assert main(["eval", str(tmp_path / "images"), str(tmp_path / "masks"), *args]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "nothing to score" in err and "nan" not in err
    _write_jpeg(tmp_path / "images" / "a.jpg")
    assert main(["eval", str(tmp_path / "images"), str(tmp_path / "masks"), *args]) == EXIT_USAGE  # a photo, no mask
    assert "has a mask of the same name" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["eval", str(tmp_path / "images"), str(tmp_path / "masks"), "--limit", "-3"])
    assert exit_info.value.code == EXIT_USAGE and "not a count" in capsys.readouterr().err


def _with_metadata(src: Path, dst: Path, **changes) -> Path:
    """A copy of ONNX model ``src`` whose cutout metadata has ``changes`` (written as they are, even if absurd)."""
    import json

    import onnx

    model = onnx.load(str(src))
    (prop,) = [p for p in model.metadata_props if p.key == "cutout"]
    prop.value = json.dumps({**json.loads(prop.value), **changes})
    onnx.save(model, str(dst))
    return dst


@pytest.mark.parametrize("changes,words", [
    ({"std": [1e-45, 0.224, 0.225]}, "std"), ({"mean": [float("inf"), 0.456, 0.406]}, "mean"),
    ({"tile_size": 1 << 30}, "tile size"), ({"depth": 10**9}, "depth"),
])  # fmt: skip
def test_model_metadata_that_cannot_work_is_refused_when_the_model_opens(tmp_path, tiny_model_path, changes, words, capsys):
    """std 1e-45 or mean inf wrote an all-transparent PNG with exit 0; a huge size ended in a cv2.error traceback."""
    model = _with_metadata(tiny_model_path, tmp_path / "odd.onnx", **changes)
    src = _write_jpeg(tmp_path / "a.jpg")
    assert main(["segment", str(src), "-o", str(tmp_path / "a.png"), "--model", str(model)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "metadata is invalid" in err and words in err
    assert not (tmp_path / "a.png").exists()


def test_a_global_net_claiming_a_huge_input_size_is_refused(tmp_path, tiny_two_stage_path, capsys):
    import shutil

    folder = tmp_path / "model"
    shutil.copytree(tiny_two_stage_path, folder)
    _with_metadata(tiny_two_stage_path / "global.onnx", folder / "global.onnx", input_size=1 << 24)
    src = _write_jpeg(tmp_path / "a.jpg")
    assert main(["segment", str(src), "-o", str(tmp_path / "a.png"), "--model", str(folder)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "input size" in err and "4096" in err and "cv2" not in err


def test_info_refuses_a_refiner_whose_weights_contradict_its_channels(tmp_path, tiny_two_stage_path, capsys):
    """The refiner declares four input channels; its first convolution's weights take five. info said all was well."""
    import shutil

    import onnx
    from onnx import numpy_helper

    folder = tmp_path / "model"
    shutil.copytree(tiny_two_stage_path, folder)
    model = onnx.load(str(folder / "refiner.onnx"))
    first = next(n for n in model.graph.node if n.op_type == "Conv" and model.graph.input[0].name in n.input)
    weight = next(w for w in model.graph.initializer if w.name == first.input[1])
    kernel = numpy_helper.to_array(weight)
    weight.CopyFrom(numpy_helper.from_array(np.zeros((kernel.shape[0], 5, *kernel.shape[2:]), kernel.dtype), weight.name))
    onnx.save(model, str(folder / "refiner.onnx"))
    assert main(["info", "--model", str(folder)]) == EXIT_USAGE
    assert "does not run on the input its metadata describes" in capsys.readouterr().err
    assert main(["info", "--model", str(tiny_two_stage_path)]) == EXIT_OK  # the sound model passes
