"""The pipelined batch against the sequential one: real folders, real decoder processes, the tiny ONNX models."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import cv2
import pytest
from conftest import make_photo, write_photo
from test_robust_io import _crash_while_decoding

from cutout_app.core.batch.local import run_pipelined
from cutout_app.core.batch.plan import BatchItem, BatchOptions, BatchPlan, BatchReport, plan_batch
from cutout_app.core.files.export_options import ExportOptions
from cutout_app.core.files.filelock import CLAIM_SUFFIX
from cutout_app.core.files.safe_decode import DECODER_CRASHED, DecoderProcess
from cutout_app.core.inference.two_stage import open_model
from cutout_app.core.progress import CancelToken

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def photo_dir(tmp_path: Path) -> Path:
    """Four photos of different sizes (one in a sub-folder), a corrupt JPEG and an empty PNG."""
    root = tmp_path / "in"
    for name, (h, w) in {"a.jpg": (60, 80), "b.png": (97, 61), "sub/c.jpg": (120, 160), "d.jpg": (45, 200)}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        assert cv2.imwrite(str(path), make_photo(h, w, seed=len(name)))
    (root / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg" * 5)
    (root / "empty.png").write_bytes(b"")
    return root


def _outputs(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*.png"))}


def _statuses(report: BatchReport) -> list[tuple[str, str, str | None]]:
    return [(r.src.name, r.status, r.error) for r in report.results]


@pytest.mark.parametrize(("model", "workers"), [("tiny_model_path", 1), ("tiny_model_path", 3),
                                               ("tiny_random_two_stage_path", 2)])
def test_pipelined_writes_the_same_files_as_the_sequential_loop(
    request: pytest.FixtureRequest, model: str, workers: int, photo_dir: Path, tmp_path: Path
) -> None:
    engine = open_model(request.getfixturevalue(model), "cpu", 1)
    options = BatchOptions(export=ExportOptions())
    steps: list[tuple[int, int]] = []
    seen = []
    sequential = run_pipelined(engine, plan_batch(photo_dir, tmp_path / "seq"), options, workers=1)
    pipelined = run_pipelined(engine, plan_batch(photo_dir, tmp_path / "pipe"), options,
                              progress=lambda d, t: steps.append((d, t)), on_result=seen.append, workers=workers)

    assert _statuses(pipelined) == _statuses(sequential)  # plan order, same reasons
    assert [r.src.name for r in pipelined.failed] == ["broken.jpg", "empty.png"]
    assert len(pipelined.done) == 4 and seen == pipelined.results
    assert steps == [(i, 6) for i in range(1, 7)]
    seq_files, pipe_files = _outputs(tmp_path / "seq"), _outputs(tmp_path / "pipe")
    assert sorted(pipe_files) == ["a.png", "b.png", "d.png", "sub/c.png"]
    assert pipe_files == seq_files  # byte for byte
    assert not list((tmp_path / "pipe").rglob(f"*{CLAIM_SUFFIX}")), "claims are released"


@pytest.mark.skipif(os.name != "posix", reason="signals")
def test_a_decoder_crash_fails_one_file_and_the_pipeline_goes_on(tiny_model_path: Path, tmp_path: Path) -> None:
    folder, out = tmp_path / "in", tmp_path / "out"
    crasher = write_photo(folder / "a-crasher.png", seed=3)
    good = [write_photo(folder / "b-good.jpg"), write_photo(folder / "c-good.jpg", seed=2)]
    items = [BatchItem(p, out / f"{p.stem}.png") for p in (crasher, *good)]
    with DecoderProcess(timeout=60) as decoder:
        _crash_while_decoding(decoder, crasher, good[0], signal.SIGSEGV)  # the pipeline's first read collects it
        report = run_pipelined(open_model(tiny_model_path, "cpu", 1), BatchPlan(folder, out, items=items),
                               BatchOptions(), decoder=decoder)
    assert [r.status for r in report.results] == ["failed", "done", "done"]
    assert DECODER_CRASHED in (report.failed[0].error or "")
    assert (out / "b-good.png").is_file() and (out / "c-good.png").is_file()


def test_cancel_stops_reading_and_a_rerun_finishes(tiny_model_path: Path, photo_dir: Path, tmp_path: Path) -> None:
    engine = open_model(tiny_model_path, "cpu", 1)
    out = tmp_path / "out"
    token = CancelToken()

    def progress(done: int, total: int) -> None:
        if done == 1:
            token.cancel()

    report = run_pipelined(engine, plan_batch(photo_dir, out), BatchOptions(), progress=progress, cancel=token)
    assert report.cancelled and 1 <= report.handled < 6
    assert report.not_started == 6 - report.handled
    assert (out / "a.png").is_file()
    assert not list(out.rglob(f"*{CLAIM_SUFFIX}")), "what was read but not segmented gave its claim back"

    rest = run_pipelined(engine, plan_batch(photo_dir, out, retry_failed=True), BatchOptions())
    assert not rest.cancelled
    assert sorted(r.src.name for r in rest.done + rest.skipped) == ["a.jpg", "b.png", "c.jpg", "d.jpg"]
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.png")) == ["a.png", "b.png", "d.png", "sub/c.png"]


def test_a_local_batch_imports_nothing_of_ray(tiny_model_path: Path, photo_dir: Path, tmp_path: Path) -> None:
    code = (
        "import sys\nfrom cutout_app.cli import main\n"
        f"code = main(['batch', {str(photo_dir)!r}, {str(tmp_path / 'out')!r}, '--model', {str(tiny_model_path)!r}])\n"
        "assert code == 1, code\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('ray', 'pyarrow')))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().splitlines()[-1] == "[]"
    assert "broken.jpg" in run.stdout and (tmp_path / "out" / "sub" / "c.png").is_file()
