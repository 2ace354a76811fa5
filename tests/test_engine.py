"""The inference engine on real ONNX models in real onnxruntime sessions."""

import threading

import numpy as np
import pytest

from cutout_app.core.errors import Cancelled, ModelError
from cutout_app.core.inference.engine import SegmentationEngine
from cutout_app.core.progress import CancelToken


def _photo(h, w, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def test_tiled_equals_untiled_with_valid_padding(tiny_model_path):
    engine = SegmentationEngine(tiny_model_path, provider="cpu")
    image = _photo(203, 317)  # non-square, not a multiple of the tile
    tiled_plan = engine.plan(203, 317)
    assert len(tiled_plan) > 4
    tiled = engine.predict(image)
    untiled = engine.predict(image, tile_size=4000)
    assert len(engine.plan(203, 317, 4000)) == 1
    assert tiled.shape == (203, 317) and tiled.dtype == np.float32
    assert np.max(np.abs(tiled - untiled)) < 1e-5


def test_batching_does_not_change_the_result(tiny_model_path):
    engine = SegmentationEngine(tiny_model_path, provider="cpu")
    image = _photo(150, 130, seed=3)
    assert np.max(np.abs(engine.predict(image, batch_size=1) - engine.predict(image, batch_size=5))) < 1e-5


def test_same_padding_tiles_stitch_close_to_untiled(tiny_same_model_path):
    engine = SegmentationEngine(tiny_same_model_path, provider="cpu")
    image = _photo(150, 190, seed=1)
    tiled = engine.predict(image, tile_size=64)
    assert len(engine.plan(150, 190, 64)) > 1
    untiled = engine.predict(image, tile_size=1024)
    assert np.max(np.abs(tiled - untiled)) < 1e-3


def test_output_is_a_probability_and_depends_on_the_image(tiny_model_path):
    engine = SegmentationEngine(tiny_model_path, provider="cpu")
    a = engine.predict(_photo(64, 64, seed=1))
    b = engine.predict(_photo(64, 64, seed=2))
    assert 0.0 <= a.min() and a.max() <= 1.0
    assert np.abs(a - b).max() > 1e-4


def test_tiny_images_work(tiny_model_path):
    engine = SegmentationEngine(tiny_model_path, provider="cpu")
    assert engine.predict(_photo(1, 1)).shape == (1, 1)
    assert engine.predict(_photo(3, 200)).shape == (3, 200)


def test_progress_reports_every_tile(tiny_model_path):
    engine = SegmentationEngine(tiny_model_path, provider="cpu")
    calls = []
    engine.predict(_photo(200, 200), batch_size=2, progress=lambda d, t: calls.append((d, t)))
    total = len(engine.plan(200, 200))
    assert calls[-1] == (total, total)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_cancel_stops_between_tiles(tiny_model_path):
    engine = SegmentationEngine(tiny_model_path, provider="cpu")
    token = CancelToken()
    seen = []

    def progress(done, total):
        seen.append(done)
        token.cancel()

    with pytest.raises(Cancelled):
        engine.predict(_photo(200, 200), batch_size=1, progress=progress, cancel=token)
    assert seen == [1]


def test_auto_provider_runs_on_what_onnxruntime_offers(tiny_model_path):
    engine = SegmentationEngine(tiny_model_path, provider="auto", threads=1)
    assert engine.provider in ("CUDA", "CPU")
    assert engine.info.name == "tiny-test"
    assert engine.provider in engine.describe()


def test_cuda_request_without_cuda_falls_back_and_says_so(tiny_model_path):
    import onnxruntime as ort

    if "CUDAExecutionProvider" in ort.get_available_providers():
        pytest.skip("this machine has CUDA; the fallback is for machines without it")
    engine = SegmentationEngine(tiny_model_path, provider="cuda")
    assert engine.provider == "CPU"
    assert "CUDA" in engine.provider_note
    assert engine.predict(_photo(20, 20)).shape == (20, 20)


def test_missing_model_is_a_model_error(tmp_path):
    with pytest.raises(ModelError, match="does not exist"):
        SegmentationEngine(tmp_path / "nope.onnx")


def test_broken_model_is_a_model_error(tmp_path):
    path = tmp_path / "broken.onnx"
    path.write_bytes(b"this is not onnx")
    with pytest.raises(ModelError, match="cannot be loaded"):
        SegmentationEngine(path)


def test_truncated_model_is_a_model_error(tmp_path, tiny_model_path):
    path = tmp_path / "truncated.onnx"
    path.write_bytes(tiny_model_path.read_bytes()[:500])
    with pytest.raises(ModelError):
        SegmentationEngine(path)


def test_model_without_cutout_metadata_is_refused(tmp_path, tiny_model_path):
    import onnx

    model = onnx.load(str(tiny_model_path))
    del model.metadata_props[:]
    path = tmp_path / "plain.onnx"
    onnx.save(model, str(path))
    with pytest.raises(ModelError, match="no cutout metadata"):
        SegmentationEngine(path)


def test_predict_from_a_worker_thread(tiny_model_path):
    engine = SegmentationEngine(tiny_model_path, provider="cpu")
    image = _photo(90, 70)
    out = {}
    thread = threading.Thread(target=lambda: out.setdefault("mask", engine.predict(image)))
    thread.start()
    thread.join()
    assert np.array_equal(out["mask"], engine.predict(image))


def test_wrong_input_is_refused(tiny_model_path):
    engine = SegmentationEngine(tiny_model_path, provider="cpu")
    with pytest.raises(ValueError):
        engine.predict(np.zeros((10, 10), dtype=np.uint8))
