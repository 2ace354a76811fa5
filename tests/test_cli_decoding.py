"""`cutout segment` and `cutout eval` decode photos in the isolated child process, started beside the model load."""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest
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


def _crash_the_reader_of(fifo: Path) -> threading.Thread:
    """Once a decoder child opens ``fifo``, kill it with SIGSEGV, as a decoder bug would."""

    def run() -> None:
        fd = os.open(fifo, os.O_WRONLY)  # returns once a reader has the FIFO open
        for pid in _decoder_children():
            os.kill(pid, signal.SIGSEGV)
        os.close(fd)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_segment_survives_a_decoder_crash(tmp_path: Path, tiny_two_stage_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    fifo = tmp_path / "hostile.png"
    os.mkfifo(fifo)
    killer = _crash_the_reader_of(fifo)
    code = main(["segment", str(fifo), "-o", str(tmp_path / "out.png"), "--model", str(tiny_two_stage_path)])
    killer.join(10)
    assert code == EXIT_USAGE
    assert DECODER_CRASHED in capsys.readouterr().err  # the child died, not this process


def test_eval_survives_a_decoder_crash(tmp_path: Path, tiny_two_stage_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    images, masks = tmp_path / "images", tmp_path / "masks"
    images.mkdir(), masks.mkdir()
    rgb = make_photo()
    cv2.imwrite(str(images / "a_good.png"), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    for stem in ("a_good", "b_hostile"):
        cv2.imwrite(str(masks / f"{stem}.png"), np.where(rgb[..., 0] > 128, 255, 0).astype(np.uint8))
    os.mkfifo(images / "b_hostile.png")
    killer = _crash_the_reader_of(images / "b_hostile.png")
    code = main(["eval", str(images), str(masks), "--model", str(tiny_two_stage_path)])
    killer.join(10)
    captured = capsys.readouterr()
    assert code == EXIT_OK  # the good photo was scored
    assert "b_hostile" in captured.err and DECODER_CRASHED in captured.err


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
