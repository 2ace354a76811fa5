"""The image reader against a seeded mutation fuzzer: no crash, no hang, no exception but ImageReadError."""

from __future__ import annotations

from pathlib import Path

import cv2
import fuzz_support
import numpy as np
import pytest

from cutout_app.core.errors import ImageReadError
from cutout_app.core.files.imageio import decode_image
from cutout_app.core.files.safe_decode import DECODER_CRASHED, DecoderProcess

CASES = 3000
SEED = 8


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fuzz_support.write_corpus(tmp_path_factory.mktemp("fuzz-corpus"), fuzz_support.seed_corpus())


def test_seed_corpus_is_read(corpus_dir: Path) -> None:
    """Every seed file reads; animations and multi-page files give their first image."""
    for path in sorted(corpus_dir.iterdir()):
        photo = decode_image(path.read_bytes(), path)
        assert photo.width > 0, path.name
    anim = decode_image((corpus_dir / "animated.png").read_bytes())
    first = cv2.cvtColor(cv2.cvtColor(fuzz_support._photo(16, 20, seed=0), cv2.COLOR_BGR2BGRA), cv2.COLOR_BGRA2RGBA)
    np.testing.assert_array_equal(anim.pixels, first)
    assert decode_image((corpus_dir / "cmyk.tiff").read_bytes()).pixels.shape[2] in (3, 4)


def test_fuzzer_finds_no_crash_hang_or_stray_exception(corpus_dir: Path) -> None:
    report = fuzz_support.run_fuzzer(corpus_dir, CASES, seed=SEED, chunk=1000)
    assert report.cases == CASES
    assert report.crashes == [], report.line()
    assert report.hangs == [], report.line()
    assert report.other_cases == [], report.line()
    assert report.clean > CASES // 20 and report.own_error > CASES // 5  # the mutants are neither all good nor all junk


@pytest.mark.parametrize("name", sorted(fuzz_support.apng_crashers()))
def test_apngs_that_crashed_opencv_are_read_safely(tmp_path: Path, name: str) -> None:
    """Each of these made cv2.imdecode die with SIGSEGV; read in a child process so a regression shows."""
    path = tmp_path / name
    path.write_bytes(fuzz_support.apng_crashers()[name])
    with DecoderProcess(timeout=60) as decoder:
        try:
            photo = decoder.read(path)
        except ImageReadError as exc:
            assert DECODER_CRASHED not in exc.reason
        else:
            assert (photo.width, photo.height) == (20, 16)  # the still image
