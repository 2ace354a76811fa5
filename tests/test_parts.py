"""Per-part label maps as click targets (core.datasets.parts) and the training samples drawn from them."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from cutout_app.core.datasets import Granularity, click_targets, find_part_maps, label_names, regions, split_pairs
from cutout_app.core.errors import CutoutError
from cutout_app.core.files import read_labels
from cutout_app.model.global_data import load_set, part_sample

NAMES = {1: "skin", 2: "coat", 3: "bag", 4: "shoes"}


def _person() -> np.ndarray:
    """A 60 x 40 label map: a coat, skin above it, two separate shoes below, a bag beside it."""
    labels = np.zeros((60, 40), np.uint8)
    labels[5:15, 15:25] = 1
    labels[15:45, 10:30] = 2
    labels[45:55, 10:18] = 4
    labels[45:55, 22:30] = 4
    labels[25:40, 30:38] = 3
    return labels


def test_each_connected_region_of_a_label_is_its_own_target() -> None:
    found = regions(_person(), NAMES, min_share=0.0)
    shoes = [r for r in found if r.name == "shoes"]
    assert len(shoes) == 2  # one label, two regions
    assert sorted(np.count_nonzero(r.mask) for r in shoes) == [80, 80]
    assert not (shoes[0].mask & shoes[1].mask).any()


def test_a_worn_part_reads_as_the_part_the_person_and_the_person_with_her_bag() -> None:
    labels = _person()
    coat = next(r for r in regions(labels, NAMES) if r.name == "coat")
    readings = click_targets(labels, coat, NAMES)
    assert [g for g, _ in readings] == [Granularity.PART, Granularity.OBJECT, Granularity.WHOLE]
    part, person, whole = (m for _, m in readings)
    assert np.array_equal(part, labels == 2)
    assert np.array_equal(whole, labels > 0)  # the union of every part
    assert np.array_equal(person, (labels > 0) & (labels != 3))  # the union without what she carries


def test_a_carried_thing_reads_as_itself_and_as_the_person_with_it() -> None:
    labels = _person()
    bag = next(r for r in regions(labels, NAMES) if r.name == "bag")
    readings = click_targets(labels, bag, NAMES)
    assert [g for g, _ in readings] == [Granularity.OBJECT, Granularity.WHOLE]
    assert np.array_equal(readings[0][1], labels == 3)


def test_without_a_carried_thing_the_person_is_one_reading() -> None:
    labels = _person()
    labels[labels == 3] = 0
    coat = next(r for r in regions(labels, NAMES) if r.name == "coat")
    assert [g for g, _ in click_targets(labels, coat, NAMES)] == [Granularity.PART, Granularity.OBJECT]


def _write_set(root: Path) -> tuple[Path, Path]:
    parts, photos = root / "parts", root / "people"
    (parts / "labels").mkdir(parents=True)
    (photos / "images").mkdir(parents=True)
    (parts / "labels.txt").write_text("".join(f"{n}\t{name}\n" for n, name in NAMES.items()), encoding="utf-8")
    rng = np.random.default_rng(0)
    for stem in ("a", "b", "c"):
        cv2.imwrite(str(parts / "labels" / f"{stem}.png"), _person())
        cv2.imwrite(str(photos / "images" / f"{stem}.png"), rng.integers(0, 255, (60, 40, 3), dtype=np.uint8))
    return parts, photos


def test_label_maps_are_found_with_their_photos_keyed_by_the_photo_folder(tmp_path: Path) -> None:
    parts, photos = _write_set(tmp_path)
    pairs = find_part_maps(parts, photos)
    assert [p.key for p in pairs] == ["people/a", "people/b", "people/c"]
    assert label_names(parts) == NAMES
    assert np.array_equal(read_labels(pairs[0].mask), _person())  # values stay labels (no 0/1 scaling)
    assert split_pairs(pairs)[1]  # a validation side, by the photos' keys
    with pytest.raises(CutoutError):
        find_part_maps(tmp_path / "nothing", photos)


def test_a_part_sample_clicks_inside_its_region_and_its_targets_are_readings(tmp_path: Path) -> None:
    parts, photos = _write_set(tmp_path)
    rgb, labels = load_set(find_part_maps(parts, photos)[:1], 64, labels=True)[0]
    assert set(np.unique(labels)) <= set(NAMES) | {0}  # shrunk as labels: no blended values
    seen_ambiguous = seen_settled = False
    for seed in range(30):
        sample = part_sample(rgb, labels, NAMES, 64, np.random.default_rng(seed))
        assert sample is not None and sample.rgb.shape == (64, 64, 3)
        first = sample.clicks[0]
        assert first.positive and sample.target[int(first.y), int(first.x)] == 255  # the click is in its target
        assert sample.cand_target is not None and sample.cand_target[int(first.y), int(first.x)] == 255
        if sample.ambiguous:
            seen_ambiguous = True
        else:
            seen_settled = True
            for click in sample.clicks[1:]:  # the clicks that settle the reading agree with the target
                assert (sample.target[int(click.y), int(click.x)] == 255) == click.positive
    assert seen_ambiguous and seen_settled
