"""Batch cut-out over real folders with real files and the tiny ONNX model."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import write_photo

from cutout_app.core.batch.local import run_pipelined
from cutout_app.core.batch.plan import (
    BatchOptions,
    FileResult,
    check_output_folder,
    plan_batch,
)
from cutout_app.core.errors import CutoutError, ExportError
from cutout_app.core.files.export_options import ExportMode, ExportOptions
from cutout_app.core.inference.engine import SegmentationEngine
from cutout_app.core.progress import CancelToken


@pytest.fixture(scope="module")
def engine(tiny_model_path: Path) -> SegmentationEngine:
    return SegmentationEngine(tiny_model_path, provider="cpu", threads=1)


@pytest.fixture
def photo_dir(tmp_path: Path) -> Path:
    """3 good photos (one in a sub-folder), a corrupt JPEG, a 0-byte PNG and a text file."""
    root = tmp_path / "in"
    write_photo(root / "a.jpg", 1)
    write_photo(root / "b.png", 2)
    write_photo(root / "sub" / "c.jpg", 3)
    (root / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg" * 10)
    (root / "empty.png").write_bytes(b"")
    (root / "notes.txt").write_text("not an image")
    return root


def _alpha(path: Path) -> np.ndarray:
    pixels = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert pixels is not None and pixels.ndim == 3 and pixels.shape[2] == 4
    return pixels[..., 3]


def test_plan_takes_images_only_sorted_and_mirrors_subfolders(photo_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    plan = plan_batch(photo_dir, out)
    names = [item.src.relative_to(photo_dir.resolve()).as_posix() for item in plan.items]
    assert names == ["a.jpg", "b.png", "broken.jpg", "empty.png", "sub/c.jpg"]
    dst = {item.src.name: item.dst for item in plan.items}
    assert dst["c.jpg"] == out.resolve() / "sub" / "c.png"
    assert dst["a.jpg"] == out.resolve() / "a.png"
    assert plan.skipped == []

    flat = plan_batch(photo_dir, out, recursive=False)
    assert [i.src.name for i in flat.items] == ["a.jpg", "b.png", "broken.jpg", "empty.png"]


def test_run_batch_records_failures_and_goes_on(engine: SegmentationEngine, photo_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    seen: list[FileResult] = []
    steps: list[tuple[int, int]] = []
    report = run_pipelined(engine, plan_batch(photo_dir, out), BatchOptions(), progress=lambda d, t: steps.append((d, t)), on_result=seen.append, workers=1)

    assert sorted(r.src.name for r in report.done) == ["a.jpg", "b.png", "c.jpg"]
    assert sorted(r.src.name for r in report.failed) == ["broken.jpg", "empty.png"]
    assert all(r.error for r in report.failed)
    assert not report.cancelled
    assert seen == report.results
    assert steps[-1] == (5, 5)
    for rel in ("a.png", "b.png", "sub/c.png"):
        alpha = _alpha(out / rel)
        assert alpha.shape == (60, 80)
    assert not (out / "broken.png").exists() and not (out / "empty.png").exists()
    summary = report.summary()
    assert "broken.jpg" in summary and "empty.png" in summary and "failed: 2" in summary


def test_second_run_skips_and_overwrite_redoes(engine: SegmentationEngine, photo_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_pipelined(engine, plan_batch(photo_dir, out), BatchOptions(), workers=1)
    (out / "a.png").write_bytes(b"stale")  # an old output, to see that overwrite replaces it

    again = plan_batch(photo_dir, out)
    assert sorted(i.src.name for i in again.skipped) == ["a.jpg", "b.png", "c.jpg"]
    assert sorted(i.src.name for i in again.failed_before) == ["broken.jpg", "empty.png"]  # from the manifest
    report = run_pipelined(engine, again, BatchOptions(), workers=1)
    assert len(report.skipped) == 3 and len(report.done) == 0 and len(report.failed_before) == 2
    retried = run_pipelined(engine, plan_batch(photo_dir, out, retry_failed=True), BatchOptions(), workers=1)
    assert len(retried.failed) == 2 and retried.failed_before == []
    assert (out / "a.png").read_bytes() == b"stale"

    redo = plan_batch(photo_dir, out, overwrite=True)
    assert redo.skipped == [] and len(redo.items) == 5
    report = run_pipelined(engine, redo, BatchOptions(overwrite=True), workers=1)
    assert len(report.done) == 3
    assert _alpha(out / "a.png").shape == (60, 80)


def test_mask_mode_writes_single_channel(engine: SegmentationEngine, tmp_path: Path) -> None:
    src = tmp_path / "in"
    write_photo(src / "x.jpg", 5)
    report = run_pipelined(engine, plan_batch(src, tmp_path / "out"), BatchOptions(export=ExportOptions(mode=ExportMode.MASK)), workers=1)
    assert len(report.done) == 1
    mask = cv2.imread(str(tmp_path / "out" / "x.png"), cv2.IMREAD_UNCHANGED)
    assert mask is not None and mask.shape[:2] == (60, 80)


def test_cancel_after_first_file_keeps_what_was_done(engine: SegmentationEngine, photo_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    token = CancelToken()

    def progress(done: int, total: int) -> None:
        if done == 1:
            token.cancel()

    report = run_pipelined(engine, plan_batch(photo_dir, out), BatchOptions(), progress=progress, cancel=token, workers=1)
    assert report.cancelled
    assert [r.src.name for r in report.results] == ["a.jpg"]
    assert report.not_started == 4
    assert (out / "a.png").is_file() and not (out / "b.png").exists()
    assert "Cancelled" in report.summary()

    # The next run picks up where the cancelled one stopped.
    rest = plan_batch(photo_dir, out)
    assert [i.src.name for i in rest.skipped] == ["a.jpg"]


def test_output_folder_that_is_a_file_is_one_clear_error(engine: SegmentationEngine, photo_dir: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "out.png"
    blocker.write_bytes(b"a file")
    plan = plan_batch(photo_dir, blocker)
    with pytest.raises(ExportError, match="is a file"):
        run_pipelined(engine, plan, BatchOptions(), workers=1)
    with pytest.raises(ExportError):
        check_output_folder(blocker / "sub")
    assert blocker.read_bytes() == b"a file"


def test_missing_input_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CutoutError, match="does not exist"):
        plan_batch(tmp_path / "nope", tmp_path / "out")


def test_in_place_batch_never_overwrites_a_source_and_rerun_ignores_results(
    engine: SegmentationEngine, tmp_path: Path
) -> None:
    folder = tmp_path / "photos"
    write_photo(folder / "photo.jpg", 1)
    original_png = write_photo(folder / "photo.png", 2).read_bytes()

    plan = plan_batch(folder, folder)
    dsts = sorted(i.dst.name for i in plan.items)
    assert dsts == ["photo-cutout.png", "photo-png-cutout.png"]
    assert all(i.dst != i.src for i in plan.items)
    report = run_pipelined(engine, plan, BatchOptions(), workers=1)
    assert len(report.done) == 2
    assert (folder / "photo.png").read_bytes() == original_png

    again = plan_batch(folder, folder)
    assert again.items == [] and len(again.skipped) == 2


def test_out_dir_inside_in_dir_is_not_searched(engine: SegmentationEngine, tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    write_photo(folder / "one.jpg", 1)
    run_pipelined(engine, plan_batch(folder, folder / "cutouts"), BatchOptions(), workers=1)
    assert (folder / "cutouts" / "one.png").is_file()
    plan = plan_batch(folder, folder / "cutouts")
    assert [i.src.name for i in plan.skipped] == ["one.jpg"] and plan.items == []


def test_same_stem_sources_get_distinct_outputs(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write_photo(folder / "p.jpg", 1)
    write_photo(folder / "p.png", 2)
    plan = plan_batch(folder, tmp_path / "out")
    assert [i.dst.name for i in plan.items] == ["p.png", "p-png.png"]
