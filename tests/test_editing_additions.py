"""Core pieces behind the editor's new behaviour: regions, outline, solid backdrop, restored history, the journal's
bytes (its record count, old journals, hostile payloads), stored clicks, and a folder's photos in order."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest

from cutout_app.core.editing import (
    EditableMask,
    RegionMap,
    composite_on_color,
    guidance_from_json,
    guidance_to_json,
    outline_rgba,
)
from cutout_app.core.editing import journal_format as jf
from cutout_app.core.files import folder_photos, neighbour_photo
from cutout_app.core.geometry import Rect
from cutout_app.core.inference import Click, Guidance, Stroke


def test_region_map_labels_what_the_region_tool_takes() -> None:
    soft = np.zeros((120, 160), np.uint8)
    cv2.circle(soft, (40, 60), 20, 255, -1)
    cv2.circle(soft, (120, 60), 20, 255, -1)
    soft[59:61, 60:100] = 255  # a bridge: one region, as remove_region_at sees it
    cv2.circle(soft, (140, 10), 5, 255, -1)
    regions = RegionMap(soft, 0.5)
    assert regions.count == 2
    label = regions.region_at(40.5, 60.5)
    assert label and regions.region_at(120.5, 60.5) == label and regions.region_at(140, 10) not in (0, label)
    assert regions.region_at(5, 100) == 0 and regions.region_at(-1, 5) == 0
    removed = EditableMask(soft.copy())
    removed.remove_region_at((40.5, 60.5), 0.5, rim=0)
    taken = (soft > 0) & (removed.soft == 0)
    np.testing.assert_array_equal(regions.mask(label, Rect(0, 0, 160, 120)) > 0, taken)
    half = regions.mask(label, Rect(0, 0, 80, 60), level=1)  # a preview level: every other pixel
    assert half.shape == (60, 80) and half[30, 20] == 255


def test_outline_rings_a_small_hole_and_a_solid_backdrop_shows_it() -> None:
    alpha = np.full((40, 40), 255, np.uint8)
    alpha[18:21, 18:21] = 0
    ring = outline_rgba(alpha, (0, 255, 255))
    assert ring[17, 19].tolist() == [0, 255, 255, 255] and ring[19, 19, 3] == 0 and ring[5, 5, 3] == 0
    rgb = np.full((40, 40, 3), 200, np.uint8)
    on_black = composite_on_color(rgb, alpha, (0, 0, 0))
    assert on_black[19, 19].tolist() == [0, 0, 0] and on_black[5, 5].tolist() == [200, 200, 200]


def test_restored_steps_become_undo_steps_down_to_the_base() -> None:
    base = np.zeros((20, 30), np.uint8)
    mask = EditableMask(np.full((20, 30), 7, np.uint8))
    mask.reset(base, clean=False)
    assert not mask.can_undo and mask.dirty and (mask.soft == 0).all()
    mask.set_region(Rect(2, 3, 4, 5), np.full((5, 4), 200, np.uint8))
    mask.set_region(Rect(10, 1, 3, 3), np.full((3, 3), 90, np.uint8))
    mask.undo()
    assert mask.soft[2, 11] == 0 and mask.soft[4, 3] == 200
    mask.undo()
    np.testing.assert_array_equal(mask.soft, base)
    assert not mask.can_undo
    with pytest.raises(ValueError):
        mask.set_region(Rect(28, 0, 4, 1), np.zeros((1, 4), np.uint8))


def test_guidance_round_trips_and_refuses_what_no_user_made() -> None:
    guidance = Guidance((Click(3.5, 4.0, True), Click(10, 2, False)), (Stroke(((1.0, 2.0), (5.0, 6.0)), 3.0),))
    assert guidance_from_json(json.loads(json.dumps(guidance_to_json(guidance))), 20, 30) == guidance
    for bad in ([], {"clicks": [[1, 2]]}, {"clicks": [[99, 2, True]]}, {"clicks": [[1, 2, 1]]},
                {"strokes": [{"radius": 0, "points": [[1, 1]]}]}, {"strokes": [{"radius": 2, "points": []}]},
                {"clicks": [[float("nan"), 1, True]]}, {"strokes": [{"radius": 2, "points": [[1e300, 1]]}]}):
        with pytest.raises(ValueError):
            guidance_from_json(bad, 20, 30)


def _v1_journal(gen: int, records: list[tuple[Rect, bytes]]) -> bytes:
    data = struct.pack("<4sIQ", b"CUTJ", 1, gen)
    for rect, raw in records:
        payload = zlib.compress(raw)
        head = jf.RECORD.pack(b"CREC", rect.x, rect.y, rect.w, rect.h, len(payload), 0)[:-4]
        data += head + struct.pack("<I", zlib.crc32(payload, zlib.crc32(head))) + payload
    return data


def test_the_journal_counts_its_records_and_still_reads_old_journals() -> None:
    rect = Rect(1, 1, 2, 2)
    data = jf.header_bytes(3, 2) + jf.mask_record(rect, bytes([9] * 4)) + jf.guidance_record({"clicks": []})
    found = jf.scan(data, 3, (10, 10))
    assert found.declared == 2 and len(found.entries) == 2 and found.missing == 0 and found.left == 0
    assert jf.scan(jf.header_bytes(3, 5) + data[jf.HEADER.size :], 3, (10, 10)).missing == 3  # cut at a boundary
    old = jf.scan(_v1_journal(3, [(rect, bytes([9] * 4))]), 3, (10, 10))
    assert old.version == 1 and old.declared is None and len(old.entries) == 1
    assert jf.scan(data, 4, (10, 10)).problem == "foreign" and jf.scan(b"", 3, (10, 10)).problem == "empty"


def test_hostile_records_stop_the_scan_without_raising() -> None:
    bomb = zlib.compress(bytes(1 << 24), 9)  # 16 MB of zeros in a record that claims 4 bytes
    head = jf.RECORD.pack(b"CREC", 0, 0, 2, 2, len(bomb), 0)[:-4]
    record = head + struct.pack("<I", zlib.crc32(bomb, zlib.crc32(head))) + bomb
    outside = jf.mask_record(Rect(8, 8, 5, 5), bytes(25))
    nested = jf._record(jf.GUIDANCE_MAGIC, Rect(0, 0, 0, 0), b"[" * 100000)
    for tail in (record, outside, nested):
        found = jf.scan(jf.header_bytes(1, 1) + tail, 1, (10, 10))
        assert found.entries == [] and found.left == len(tail)


def test_folder_photos_in_natural_order(tmp_path: Path) -> None:
    for name in ("b10.jpg", "b2.JPG", "a.png", "a-cutout.png", ".hidden.jpg", "notes.txt"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "sub.jpg").mkdir()
    assert [p.name for p in folder_photos(tmp_path)] == ["a.png", "b2.JPG", "b10.jpg"]
    assert neighbour_photo(tmp_path / "b2.JPG", 1) == tmp_path / "b10.jpg"
    assert neighbour_photo(tmp_path / "a.png", -1) is None and neighbour_photo(tmp_path / "b10.jpg", 1) is None
    assert neighbour_photo(tmp_path / "b5.jpg", 1) == tmp_path / "b10.jpg"  # a photo deleted meanwhile
    assert neighbour_photo(tmp_path / "b5.jpg", -1) == tmp_path / "b2.JPG"
