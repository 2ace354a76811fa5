"""The model shipped in models/: it loads by default, describes itself, and has learned its task."""

from __future__ import annotations

import numpy as np
import pytest

from cutout_app.core.engine import SegmentationEngine
from cutout_app.core.metrics import iou
from cutout_app.core.paths import BUNDLED_MODEL_NAME, MODELS_DIR, default_model_path
from cutout_app.core.synthetic import make_composite


@pytest.fixture(scope="module")
def engine() -> SegmentationEngine:
    return SegmentationEngine(MODELS_DIR / BUNDLED_MODEL_NAME, provider="cpu")


def test_the_bundled_model_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CUTOUT_MODEL", raising=False)
    assert default_model_path() == MODELS_DIR / BUNDLED_MODEL_NAME
    assert default_model_path().is_file()


def test_its_metadata_says_what_it_is(engine: SegmentationEngine) -> None:
    info = engine.info
    assert (info.padding, info.depth) == ("valid", 4)
    assert info.output_size(info.tile_size) is not None
    assert "synthetic" in info.training_data
    assert float(info.extra["val_iou"]) > 0.6


def test_it_finds_subjects_in_unseen_composites(engine: SegmentationEngine) -> None:
    # Seeds 1000+ were never drawn for training (that used write_dataset's per-example seeds of seed 1).
    scores = []
    for seed in range(8):
        rgb, truth = make_composite(384, 384, np.random.default_rng(1000 + seed))
        scores.append(iou(engine.predict(rgb), truth))
    assert np.mean(scores) > 0.6, scores
