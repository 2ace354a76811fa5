"""The held-out composite check: one keep click on one object, with a neighbour in the picture."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from cutout_app.core.datasets import composite_cases, composite_click_scores, find_pairs, write_dataset
from cutout_app.core.inference import open_model


def test_every_case_has_a_neighbour_and_a_click_inside_its_target(tmp_path: Path) -> None:
    folder = write_dataset(tmp_path / "synth", 8, size=(80, 96), seed=2)
    data = [(np.ascontiguousarray(cv2.imread(str(p.image))[..., ::-1]),
             cv2.imread(str(p.mask), cv2.IMREAD_GRAYSCALE)) for p in find_pairs([folder])]
    cases = composite_cases(data, 96, 12, seed=4)
    assert len(cases) == 12
    for case in cases:
        assert case.target[int(case.click.y), int(case.click.x)] >= 128 and case.click.positive
        assert np.count_nonzero(case.target >= 128) < case.target.size  # not the whole picture
    again = composite_cases(data, 96, 12, seed=4)
    assert all(np.array_equal(a.rgb, b.rgb) for a, b in zip(cases, again))  # a fixed seed draws the same cases


def test_the_scores_are_the_clicked_objects_iou(tiny_two_stage_path: Path, tmp_path: Path) -> None:
    folder = write_dataset(tmp_path / "synth", 6, size=(80, 96), seed=5)
    model = open_model(tiny_two_stage_path, "cpu", 1)
    scores = composite_click_scores(model, find_pairs([folder]), count=5, size=128)
    assert len(scores) == 5
    # The hand-wired model keeps a disk around the click: inside the target, so each IoU is above 0 and below 1.
    assert all(0.0 < s < 1.0 for s in scores)
