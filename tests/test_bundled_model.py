"""The model shipped in models/: it loads by default, describes itself, and has learned its task."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cutout_app.core.datasets.evaluation import list_pairs
from cutout_app.core.datasets.metrics import iou
from cutout_app.core.files.imageio import read_image, read_mask
from cutout_app.core.inference.clicks import next_click
from cutout_app.core.inference.two_stage import CutoutModel, open_model
from cutout_app.core.paths import BUNDLED_MODEL_NAME, MODELS_DIR, PROJECT_ROOT, default_model_path

DATASETS = PROJECT_ROOT.parent / "shared" / "datasets"


@pytest.fixture(scope="module")
def model() -> CutoutModel:
    m = open_model(MODELS_DIR / BUNDLED_MODEL_NAME, provider="cpu")
    assert isinstance(m, CutoutModel)
    return m


def test_the_bundled_model_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CUTOUT_MODEL", raising=False)
    assert default_model_path() == MODELS_DIR / BUNDLED_MODEL_NAME
    assert isinstance(open_model(), CutoutModel)


def test_its_metadata_says_what_it_is(model: CutoutModel) -> None:
    glob, refiner = model.parts["global"], model.parts["refiner"]
    assert (glob.padding, glob.role) == ("same", "global") and glob.depth >= 5
    assert glob.input_size % 2**glob.depth == 0 and glob.click_radius > 0
    assert (refiner.padding, refiner.role) == ("valid", "refiner")
    for info in (glob, refiner):
        assert "duts-tr" in info.training_data and "ccp-people" in info.training_data


def _validation_pairs(name: str, count: int) -> list[tuple[Path, Path]]:
    folder = DATASETS / name
    if not folder.is_dir():
        pytest.skip(f"{folder} is not here (CI and the project's machines have ../shared beside the checkout)")
    pairs, _ = list_pairs(folder / "images", folder / "masks", split="val")
    return [(p.image, p.mask) for p in pairs[:count]]


@pytest.mark.parametrize("name", ["duts-tr", "ccp-people"])
def test_it_finds_subjects_in_photos_it_never_saw(model: CutoutModel, name: str) -> None:
    # The validation split: training never saw these pairs. A model that learned nothing scores ~0.2-0.3.
    scores = []
    for image, mask in _validation_pairs(name, 6):
        truth = read_mask(mask)
        scores.append(iou(model.predict(read_image(image).rgb8()), truth))
    assert np.mean(scores) > 0.45, scores


def test_clicks_help_on_average(model: CutoutModel) -> None:
    gains = []
    for image, mask in _validation_pairs("duts-tr", 6):
        rgb, truth = read_image(image).rgb8(), read_mask(mask)
        auto = model.predict(rgb)
        clicks = []
        prediction = auto
        for _ in range(3):
            click = next_click(prediction, truth)
            if click is None:
                break
            clicks.append(click)
            prediction = model.predict(rgb, clicks=clicks, previous=prediction)
        gains.append(iou(prediction, truth) - iou(auto, truth))
    assert np.mean(gains) > 0, gains
