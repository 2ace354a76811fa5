"""`cutout train` reads photos, masks and label maps in decoder children with a photo's limits (issue 28, item 5).

A mask or label map whose decoding crashes its decoder is that file's ImageReadError, and this process lives on
(the fault is injected into the decoder children only: decoded in-process, the file would simply be read); a
FIFO in a mask's place is refused at once. The reads go on a thread at a time in children of their own.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import cv2
import decoder_faults
import numpy as np
import pytest
from conftest import make_photo

from cutout_app.core.datasets import Pair, find_pairs
from cutout_app.core.errors import ImageReadError
from cutout_app.core.files import DECODER_CRASHED, DecoderPool, read_labels, read_mask
from cutout_app.model.global_data import load_set
from cutout_app.model.tile_data import read_all, read_pair


def _dataset(root: Path, stems: tuple[str, ...] = ("a", "b", "c")) -> list[Pair]:
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    for k, stem in enumerate(stems):
        rgb = make_photo(seed=k)
        cv2.imwrite(str(root / "images" / f"{stem}.png"), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        cv2.imwrite(str(root / "masks" / f"{stem}.png"), np.where(rgb[..., 0] > 128, 255, 0).astype(np.uint8))
    return find_pairs([root])


def test_masks_are_read_in_decoder_children_and_a_crash_is_that_files_error(tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    pairs = _dataset(tmp_path / "data")
    loaded = load_set(pairs, 200)
    for pair, (rgb, mask) in zip(pairs, loaded):
        np.testing.assert_array_equal(mask, read_mask(pair.mask))  # the same pixels as an in-process read
    decoder_faults.inject(monkeypatch, tmp_path, str(tmp_path / "data" / "masks" / "b.png"))
    with pytest.raises(ImageReadError, match=DECODER_CRASHED) as caught:
        load_set(pairs, 200)
    assert "b.png" in str(caught.value)
    with pytest.raises(ImageReadError, match=DECODER_CRASHED):
        read_all(pairs, threads=2)  # the refiner's loading too
    np.testing.assert_array_equal(read_pair(pairs[0])[1], loaded[0][1])  # and a data-loader worker's own reads


def test_label_maps_are_read_in_decoder_children_as_labels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pairs = _dataset(tmp_path / "data", ("a", "b"))
    labels = np.zeros((120, 160), np.uint8)
    labels[10:50, 20:60], labels[60:100, 90:150] = 3, 7
    maps = [Pair(p.image, tmp_path / f"{p.image.stem}-labels.png", p.key) for p in pairs]
    for pair in maps:
        cv2.imwrite(str(pair.mask), labels)
    loaded = load_set(maps, 400, labels=True)
    np.testing.assert_array_equal(loaded[0][1], read_labels(maps[0].mask))
    assert set(np.unique(loaded[0][1])) == {0, 3, 7}  # labels stay labels
    decoder_faults.inject(monkeypatch, tmp_path, "b-labels")
    with pytest.raises(ImageReadError, match=DECODER_CRASHED):
        load_set(maps, 400, labels=True)


def test_a_fifo_in_a_masks_place_is_refused_at_once(tmp_path: Path) -> None:
    pairs = _dataset(tmp_path / "data", ("a", "b"))
    os.unlink(pairs[1].mask)
    os.mkfifo(pairs[1].mask)
    with pytest.raises(ImageReadError, match="not a regular file|FIFO"):
        load_set(pairs, 200)


def test_each_reading_thread_has_its_own_child(tmp_path: Path) -> None:
    pairs = _dataset(tmp_path / "data", ("a", "b", "c", "d"))
    barrier = threading.Barrier(2)
    pids: list[int | None] = []

    def read(pair: Pair) -> None:
        barrier.wait()
        pool.read_mask(pair.mask)
        pids.append(pool._decoder().pid)

    with DecoderPool() as pool:
        threads = [threading.Thread(target=read, args=(pair,)) for pair in pairs[:2]]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert pool.children == 2 and len(set(pids)) == 2 and None not in pids
    assert pool.children == 0
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)  # closed with the pool
