"""Evaluation: the automatic and click protocols, the validation split and the JSON summary."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import make_photo

from cutout_app.cli import EXIT_OK, main
from cutout_app.core.datasets.evaluation import EvalReport, ImageScore, evaluate, list_pairs
from cutout_app.core.datasets.folders import split_pairs
from cutout_app.core.datasets.metrics import precision_recall_counts
from cutout_app.core.inference.two_stage import open_model


@pytest.fixture
def pairs_dir(tmp_path: Path) -> Path:
    """Six photos of a disc with the disc's true mask, in data-set layout (images/, masks/)."""
    root = tmp_path / "discs"
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    yy, xx = np.mgrid[:120, :160]
    truth = (((yy - 60) ** 2 + (xx - 80) ** 2) < 40**2).astype(np.uint8) * 255
    for i in range(6):
        cv2.imwrite(str(root / "images" / f"p{i}.png"), make_photo(120, 160, seed=i)[..., ::-1])
        cv2.imwrite(str(root / "masks" / f"p{i}.png"), truth)
    return root


def test_max_f_of_a_perfect_and_of_an_empty_prediction() -> None:
    truth = np.zeros((20, 20), np.uint8)
    truth[5:15, 5:15] = 255
    precision, recall = precision_recall_counts(truth, truth)
    assert precision[128] == 1 and recall[128] == 1
    report = EvalReport()
    report._pr.append((precision, recall))
    assert report.max_f() == pytest.approx(1.0)
    precision, recall = precision_recall_counts(np.zeros_like(truth), truth)
    assert recall[1] == 0 and recall[0] == 1  # threshold 0 takes every pixel


def test_noc_and_iou_at_k_from_click_ious() -> None:
    report = EvalReport(max_clicks=20)
    report.scores = [
        ImageScore("perfect", 1, 0, 1, 0, [1.0] * 20),
        ImageScore("slow", 0, 0, 0, 0, [0.5, 0.7, 0.86, 0.88, 0.95]),  # stopped early after reaching 0.95
        ImageScore("never", 0, 0, 0, 0, [0.1] * 20),
    ]
    assert report.noc(0.85) == pytest.approx((1 + 3 + 20) / 3)
    assert report.noc(0.90) == pytest.approx((1 + 5 + 20) / 3)
    assert report.iou_at(1) == pytest.approx((1 + 0.5 + 0.1) / 3)
    assert report.iou_at(5) == pytest.approx((1 + 0.95 + 0.1) / 3)


def test_click_protocol_on_the_wired_model_improves_with_clicks(pairs_dir: Path, tiny_two_stage_path: Path) -> None:
    model = open_model(tiny_two_stage_path, provider="cpu")
    report = evaluate(model, pairs_dir / "images", pairs_dir / "masks", limit=2, max_clicks=5)
    assert len(report.scores) == 2
    assert report.mean("iou") == 0  # no clicks: the wired model takes nothing
    assert report.iou_at(1) > 0 and report.iou_at(5) > report.iou_at(1)  # each click adds a disk inside the subject
    assert all(len(s.click_ious) == 5 for s in report.scores)


def test_validation_split_matches_training(pairs_dir: Path) -> None:
    pairs, missing = list_pairs(pairs_dir / "images", pairs_dir / "masks", split="val")
    assert not missing
    _, val = split_pairs(list_pairs(pairs_dir / "images", pairs_dir / "masks")[0])
    assert sorted(p.key for p in pairs) == sorted(p.key for p in val)
    assert all(p.key.startswith("discs/") for p in pairs)


def test_cli_eval_json_has_every_key(pairs_dir: Path, tmp_path: Path, tiny_two_stage_path: Path) -> None:
    out = tmp_path / "scores.json"
    args = ["eval", str(pairs_dir / "images"), str(pairs_dir / "masks"), "--model", str(tiny_two_stage_path),
            "--limit", "3", "--clicks", "3", "--json", str(out)]
    assert main(args) == EXIT_OK
    data = json.loads(out.read_text())
    assert data["count"] == 3
    assert set(data["auto"]) == {"iou", "mae", "max_f", "boundary_f", "s_per_mp", "lost_inside"}
    assert set(data["clicks"]) == {"noc85", "noc90", "iou_at_1", "iou_at_3", "iou_at_5", "iou_at_10", "outside_focus_share"}
    assert data["clicks"]["noc90"] == 3  # the wired model's disks never cover 90 % of the disc in 3 clicks
    assert data["clicks"]["outside_focus_share"] == 0  # no click changed a pixel outside its focus region


def test_lost_inside_counts_holes_in_the_mask_not_missed_edges() -> None:
    from cutout_app.core.datasets.metrics import lost_inside

    truth = np.zeros((40, 40), np.uint8)
    truth[5:35, 5:35] = 255
    holed = truth.copy()
    holed[15:20, 15:20] = 0  # a hole in the face: 25 of 900 pixels
    thinner = truth.copy()
    thinner[5:35, 5:10] = 0  # a missed edge: not a hole
    assert lost_inside(holed, truth) == pytest.approx(25 / 900)
    assert lost_inside(thinner, truth) == 0.0 and lost_inside(truth, truth) == 0.0
