"""Brushes, region clicks, undo/redo and the change listener of EditableMask."""

from __future__ import annotations

import numpy as np
import pytest

from cutout_app.core.geometry import Rect
from cutout_app.core.editing.mask_edit import EditableMask, EditRecord, dab_weights


def _centre_dist(shape: tuple[int, int], cx: float, cy: float) -> np.ndarray:
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    return np.hypot(xx + 0.5 - cx, yy + 0.5 - cy)


def _two_blobs(h: int = 120, w: int = 160) -> np.ndarray:
    soft = np.zeros((h, w), np.uint8)
    soft[20:60, 20:60] = 255
    soft[70:110, 100:150] = 255
    soft[19, 20:60] = 90  # a soft, below-threshold rim on top of blob A
    return soft


def test_rect_geometry() -> None:
    r = Rect(5, 6, 10, 4)
    assert (r.right, r.bottom, r.area) == (15, 10, 40)
    assert r.union(Rect(0, 0, 2, 2)) == Rect(0, 0, 15, 10)
    assert r.intersect(Rect(12, 0, 10, 8)) == Rect(12, 6, 3, 2)
    assert Rect(-3, -3, 10, 10).clip(5, 5) == Rect(0, 0, 5, 5)
    assert r.intersect(Rect(100, 100, 1, 1)).empty
    assert np.zeros((20, 20))[r.slices].shape == (4, 10)


def test_dab_changes_pixels_inside_radius_only() -> None:
    m = EditableMask(np.zeros((80, 90), np.uint8))
    rect = m.dab(40.5, 30.5, 10, hardness=1.0, mode="add")
    dist = _centre_dist(m.soft.shape, 40.5, 30.5)
    changed = m.soft > 0
    assert changed.any() and dist[changed].max() < 10.5
    assert (m.soft[dist <= 9.5] == 255).all()
    ys, xs = np.nonzero(changed)
    assert rect.x <= xs.min() and xs.max() < rect.right and rect.y <= ys.min() and ys.max() < rect.bottom
    assert rect.area < 25 * 25  # the dab's box, not the mask


def test_dab_is_clipped_at_the_border() -> None:
    m = EditableMask(np.zeros((50, 50), np.uint8))
    rect = m.dab(2, 3, 8)
    assert rect.x == 0 and rect.y == 0 and rect.right <= 50
    assert m.soft[0, 0] == 255
    assert m.dab(-100, -100, 5).empty


def test_hardness_profile_is_monotone() -> None:
    profiles = []
    for hardness in (0.0, 0.3, 0.7, 1.0):
        rect, w = dab_weights(50.5, 50.5, 20, hardness)
        row = w[50 - rect.y, 50 - rect.x :].astype(int)  # centre outwards
        assert row[0] == 255 and row[-1] == 0
        assert (np.diff(row) <= 0).all()
        profiles.append(row)
    for softer, harder in zip(profiles, profiles[1:]):
        assert (harder >= softer).all() and (harder > softer).any()
    # a soft brush really is soft: half-way out it is well below full strength
    assert profiles[0][10] < 200


def test_erase_after_add() -> None:
    m = EditableMask(np.zeros((60, 60), np.uint8))
    m.dab(30, 30, 15, 1.0, "add")
    m.dab(30, 30, 5, 1.0, "erase")
    dist = _centre_dist(m.soft.shape, 30, 30)
    assert (m.soft[dist <= 4.5] == 0).all()
    assert (m.soft[(dist >= 6) & (dist <= 14)] == 255).all()
    with pytest.raises(ValueError):
        m.dab(1, 1, 3, 1.0, "paint")  # type: ignore[arg-type]


def test_fast_stroke_is_continuous() -> None:
    m = EditableMask(np.zeros((200, 300), np.uint8))
    m.begin_stroke()
    m.stroke_to(10, 20, 6)
    m.stroke_to(290, 180, 6)  # one big jump, as a fast mouse move gives
    rect = m.end_stroke()
    assert rect is not None and rect.w > 280
    # every pixel within 4 px of the segment is fully painted
    yy, xx = np.mgrid[:200, :300] + 0.5
    d = np.array([280.0, 160.0])
    t = np.clip(((xx - 10) * d[0] + (yy - 20) * d[1]) / (d @ d), 0, 1)
    dist = np.hypot(xx - 10 - t * d[0], yy - 20 - t * d[1])
    assert (m.soft[dist <= 4] == 255).all()
    assert (m.soft[dist > 7] == 0).all()


def test_stroke_spacing_carries_over_small_moves() -> None:
    a = EditableMask(np.zeros((60, 200), np.uint8))
    a.begin_stroke()
    for x in np.arange(10, 190, 0.7):  # many tiny moves, each shorter than the spacing
        a.stroke_to(float(x), 30, 8)
    a.end_stroke()
    assert (a.soft[26:35, 12:186] == 255).all()


def test_undo_restores_exact_bytes_and_redo_reapplies() -> None:
    rng = np.random.default_rng(0)
    start = rng.integers(0, 256, (100, 120), dtype=np.uint8)
    m = EditableMask(start.copy())
    m.begin_stroke()
    m.stroke_to(10, 10, 7, 0.5, "add")
    m.stroke_to(100, 80, 7, 0.5, "add")
    r1 = m.end_stroke()
    after_stroke = m.soft.copy()
    m.dab(50, 50, 12, 0.2, "erase")
    r2 = m.end_stroke()
    after_both = m.soft.copy()
    assert r1 is not None and r2 is not None and m.can_undo and not m.can_redo
    assert m.undo() == r2 and np.array_equal(m.soft, after_stroke)
    assert m.undo() == r1 and np.array_equal(m.soft, start)
    assert m.undo() is None and not m.can_undo
    assert m.redo() == r1 and np.array_equal(m.soft, after_stroke)
    assert m.redo() == r2 and np.array_equal(m.soft, after_both)
    assert m.redo() is None


def test_new_edit_clears_redo_and_dirty_tracks_clean_state() -> None:
    m = EditableMask(np.zeros((40, 40), np.uint8))
    assert not m.dirty
    m.dab(10, 10, 4)
    assert m.dirty and m.in_stroke
    m.end_stroke()
    m.mark_clean()
    assert not m.dirty
    m.dab(30, 30, 4)
    m.end_stroke()
    assert m.dirty
    m.undo()
    assert not m.dirty and m.can_redo
    m.dab(20, 20, 3)
    m.end_stroke()
    assert not m.can_redo and m.dirty


def test_stroke_that_changes_nothing_is_no_undo_step() -> None:
    m = EditableMask(np.full((40, 40), 255, np.uint8))
    m.begin_stroke()
    m.stroke_to(10, 10, 5, 1.0, "add")
    assert m.end_stroke() is None
    assert not m.can_undo and not m.dirty


def test_undo_diffs_are_region_sized() -> None:
    rng = np.random.default_rng(1)
    big = rng.integers(0, 256, (1500, 2000), dtype=np.uint8)  # incompressible: no hiding a full copy
    m = EditableMask(big)
    m.begin_stroke()
    m.stroke_to(700, 700, 10)
    m.stroke_to(760, 720, 10)
    rect = m.end_stroke()
    assert rect is not None and rect.area < 100 * 60
    assert 0 < m.undo_bytes < big.nbytes / 100


def test_history_is_bounded() -> None:
    m = EditableMask(np.zeros((50, 50), np.uint8), max_steps=3)
    for i in range(5):
        m.dab(5 + 10 * i, 25, 3)
        m.end_stroke()
    undone = 0
    while m.undo() is not None:
        undone += 1
    assert undone == 3
    assert m.soft[25, 5] == 255 and m.soft[25, 15] == 255 and m.soft[25, 25] == 0


def test_keep_regions_keeps_only_clicked_blob_and_its_rim() -> None:
    soft = _two_blobs()
    soft[0, 0] = 40  # a stray speck far from everything
    m = EditableMask(soft.copy())
    rect = m.keep_regions_at([(30.5, 30.5)], threshold=0.5)
    assert rect is not None
    assert (m.soft[20:60, 20:60] == 255).all()
    assert (m.soft[19, 20:60] == 90).all()  # the soft rim of the kept blob stays
    assert (m.soft[70:110, 100:150] == 0).all() and m.soft[0, 0] == 0
    # the diff covers the changed pixels only
    assert rect == Rect(0, 0, 150, 110)
    assert m.undo() == rect and np.array_equal(m.soft, soft)


def test_keep_with_two_clicks_and_background_clicks() -> None:
    soft = _two_blobs()
    m = EditableMask(soft.copy())
    assert m.keep_regions_at([(5, 115), (1000, 1000)], 0.5) is None  # background, outside
    assert not m.can_undo
    assert m.keep_regions_at([(30, 30), (120, 90), (40, 40)], 0.5) is None  # both kept: nothing changes
    assert np.array_equal(m.soft, soft)


def test_remove_region_at() -> None:
    soft = _two_blobs()
    m = EditableMask(soft.copy())
    assert m.remove_region_at((5, 5), 0.5) is None
    rect = m.remove_region_at((30, 30), 0.5)
    assert rect == Rect(20, 19, 40, 41)  # the blob and its rim row
    assert (m.soft[19:60, 20:60] == 0).all()
    assert (m.soft[70:110, 100:150] == 255).all()
    m.undo()
    assert np.array_equal(m.soft, soft)


def test_threshold_decides_what_is_connected() -> None:
    soft = np.zeros((40, 80), np.uint8)
    soft[10:30, 5:35] = 255
    soft[10:30, 45:75] = 255
    soft[18:22, 35:45] = 100  # a faint bridge
    low = EditableMask(soft.copy())
    assert low.keep_regions_at([(10, 20)], threshold=0.3) is None  # bridge joins them: nothing dropped
    high = EditableMask(soft.copy())
    assert high.keep_regions_at([(10, 20)], threshold=0.5, rim=0) is not None
    assert (high.soft[:, 45:] == 0).all() and (high.soft[10:30, 5:35] == 255).all()


def test_replace_all_is_undoable() -> None:
    m = EditableMask(np.zeros((30, 40), np.uint8))
    m.dab(10, 10, 4)
    new = np.full((30, 40), 77, np.uint8)
    assert m.replace_all(new) == Rect(0, 0, 40, 30)
    assert (m.soft == 77).all()
    m.undo()
    assert m.soft[10, 10] == 255 and m.soft[25, 35] == 0
    with pytest.raises(ValueError):
        m.replace_all(np.zeros((3, 4), np.uint8))


def test_listener_receives_every_committed_change() -> None:
    records: list[EditRecord] = []
    start = _two_blobs()
    m = EditableMask(start.copy(), on_change=records.append)
    m.begin_stroke()
    m.stroke_to(5, 5, 3)
    m.stroke_to(15, 8, 3)
    assert records == []  # nothing until the stroke ends
    m.end_stroke()
    m.remove_region_at((120, 90), 0.5)
    m.keep_regions_at([(30, 30)], 0.5)
    m.undo()
    m.redo()
    m.replace_all(np.zeros_like(start))
    m.undo()
    assert [r.kind for r in records] == ["stroke", "remove", "keep", "undo", "redo", "replace", "undo"]
    assert records[5].full and not records[0].full
    # replaying the records' "after" regions onto the start reproduces the live mask (journal semantics)
    replay = start.copy()
    for rec in records:
        assert rec.after.shape == (rec.rect.h, rec.rect.w)
        replay[rec.rect.slices] = rec.after
    assert np.array_equal(replay, m.soft)
    # records are copies: later edits do not change them
    snapshot = records[0].after.copy()
    m.dab(6, 6, 10, 1.0, "erase")
    m.end_stroke()
    assert np.array_equal(records[0].after, snapshot)


def test_rejects_non_uint8_masks() -> None:
    with pytest.raises(ValueError):
        EditableMask(np.zeros((4, 4), np.float32))
