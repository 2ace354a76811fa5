"""`cutout segment` and `cutout eval` decode photos in the isolated child process, started beside the model load."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import decoder_faults
from conftest import make_photo

from cutout_app.cli import EXIT_OK, EXIT_USAGE, main
from cutout_app.core.files.imageio import read_image
from cutout_app.core.files.safe_decode import DECODER_CRASHED, DecoderProcess

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="FIFOs, signals and /proc")


def _decoder_children() -> list[int]:
    """The pids of this process's decoder children (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if ppid == os.getpid() and b"safe_decode" in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


def test_segment_survives_a_decoder_crash(tmp_path: Path, tiny_two_stage_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    hostile = tmp_path / "hostile.png"
    cv2.imwrite(str(hostile), make_photo())
    decoder_faults.inject(monkeypatch, tmp_path, "hostile")
    code = main(["segment", str(hostile), "-o", str(tmp_path / "out.png"), "--model", str(tiny_two_stage_path)])
    assert code == EXIT_USAGE
    assert DECODER_CRASHED in capsys.readouterr().err  # the child died, not this process


def test_eval_survives_a_decoder_crash(tmp_path: Path, tiny_two_stage_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    images, masks = tmp_path / "images", tmp_path / "masks"
    images.mkdir(), masks.mkdir()
    rgb = make_photo()
    for stem in ("a_good", "b_hostile", "c_good"):
        cv2.imwrite(str(images / f"{stem}.png"), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    for stem in ("a_good", "b_hostile", "c_good"):
        cv2.imwrite(str(masks / f"{stem}.png"), np.where(rgb[..., 0] > 128, 255, 0).astype(np.uint8))
    decoder_faults.inject(monkeypatch, tmp_path, str(images / "b_hostile"))
    code = main(["eval", str(images), str(masks), "--model", str(tiny_two_stage_path)])
    captured = capsys.readouterr()
    assert code == EXIT_OK  # the good photos were scored
    assert "b_hostile" in captured.err and DECODER_CRASHED in captured.err
    assert "mean of 2" in captured.out


def test_eval_decodes_masks_in_the_child_with_the_photos_limits(tmp_path: Path, tiny_two_stage_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    """A mask that crashes its decoder fails its pair only (the decoding happened in the child), and a FIFO in
    the masks' place blocks nothing."""
    images, masks = tmp_path / "images", tmp_path / "masks"
    images.mkdir(), masks.mkdir()
    rgb = make_photo()
    for stem in ("a", "b", "c"):
        cv2.imwrite(str(images / f"{stem}.png"), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    for stem in ("a", "b"):
        cv2.imwrite(str(masks / f"{stem}.png"), np.where(rgb[..., 0] > 128, 255, 0).astype(np.uint8))
    os.mkfifo(masks / "c.png")
    decoder_faults.inject(monkeypatch, tmp_path, str(masks / "b.png"))
    code = main(["eval", str(images), str(masks), "--model", str(tiny_two_stage_path)])
    captured = capsys.readouterr()
    assert code == EXIT_OK and "mean of 1" in captured.out
    assert "b.png" in captured.err and DECODER_CRASHED in captured.err and "c.png" in captured.err


def test_a_prefetched_photo_is_the_one_read_and_a_dropped_one_does_not_answer_another(tmp_path: Path) -> None:
    first, second = tmp_path / "first.png", tmp_path / "second.png"
    cv2.imwrite(str(first), cv2.cvtColor(make_photo(seed=1), cv2.COLOR_RGB2BGR))
    cv2.imwrite(str(second), cv2.cvtColor(make_photo(60, 90, seed=2), cv2.COLOR_RGB2BGR))
    with DecoderProcess() as decoder:
        decoder.prefetch(first)
        np.testing.assert_array_equal(decoder.read(first).pixels, read_image(first).pixels)
        decoder.prefetch(first)  # never read: its reply must not answer the next request
        np.testing.assert_array_equal(decoder.read(second).pixels, read_image(second).pixels)
        decoder.prefetch(tmp_path / "missing.png")
        with pytest.raises(Exception, match="file not found"):
            decoder.read(tmp_path / "missing.png")
