"""The batch manifest: what a run records, what a rerun skips or retries, and a run killed with kill -9."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import pytest
from conftest import make_photo

from cutout_app.cli import EXIT_FAILED, EXIT_OK, main
from cutout_app.core.batch.manifest import MANIFEST_NAME, Manifest

ROOT = Path(__file__).resolve().parents[1]


def _photos(folder: Path, count: int, size: tuple[int, int] = (60, 80)) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"p{i:02d}.jpg" for i in range(count)]
    for i, path in enumerate(paths):
        assert cv2.imwrite(str(path), make_photo(*size, seed=i))
    return paths


def _records(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / MANIFEST_NAME).read_text().splitlines()]


def test_rerun_skips_done_files_and_retries_failed_ones_only_when_asked(tiny_model_path: Path, tmp_path: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    src, out = tmp_path / "in", tmp_path / "out"
    _photos(src, 2)
    (src / "bad.jpg").write_bytes(b"\xff\xd8\xff garbage")
    args = ["batch", str(src), str(out), "--model", str(tiny_model_path)]

    assert main(args) == EXIT_FAILED
    records = _records(out)
    assert {(r["output"], r["status"]) for r in records} == {("p00.png", "done"), ("p01.png", "done"), ("bad.png", "failed")}
    assert all(set(r) == {"source", "output", "status", "error", "seconds"} for r in records)
    bad = next(r for r in records if r["status"] == "failed")
    assert bad["source"] == str((src / "bad.jpg").resolve()) and "bad.jpg" in bad["error"]
    assert all(r["seconds"] > 0 for r in records)
    assert "2 done, 1 failed" in capsys.readouterr().out

    assert main(args) == EXIT_FAILED  # the failure stands, and is not tried again
    assert len(_records(out)) == 3
    printed = capsys.readouterr().out
    assert "Not retried" in printed and "bad.jpg" in printed and "--retry-failed" in printed

    assert cv2.imwrite(str(src / "bad.jpg"), make_photo(60, 80, seed=9))  # the user fixes the file
    assert main(args) == EXIT_FAILED  # still not retried without the flag
    assert main([*args, "--retry-failed"]) == EXIT_OK
    assert _records(out)[-1]["output"] == "bad.png" and _records(out)[-1]["status"] == "done"
    assert len(_records(out)) == 4  # done files were not redone
    summary = Manifest(out).summary()
    assert summary.done == 3 and summary.failed == []


def test_outputs_found_written_are_recorded_once(tiny_model_path: Path, tmp_path: Path) -> None:
    src, out = tmp_path / "in", tmp_path / "out"
    _photos(src, 2)
    out.mkdir()
    (out / "p00.png").write_bytes(b"written before manifests existed")
    assert main(["batch", str(src), str(out), "--model", str(tiny_model_path)]) == EXIT_OK
    assert main(["batch", str(src), str(out), "--model", str(tiny_model_path)]) == EXIT_OK
    assert sorted((r["output"], r["status"]) for r in _records(out)) == [("p00.png", "skipped"), ("p01.png", "done")]
    assert Manifest(out).summary().done == 2


def test_a_torn_last_line_is_ignored_and_the_next_record_stands_alone(tmp_path: Path) -> None:
    manifest = Manifest(tmp_path)
    manifest.append("/photos/a.jpg", tmp_path / "a.png", "done", None, 1.5)
    with open(manifest.path, "ab") as f:
        f.write(b'{"source": "/photos/b.jpg", "output": "b.p')  # a power cut in the middle of a write
    assert list(manifest.entries()) == [tmp_path / "a.png"]
    manifest.append("/photos/c.jpg", tmp_path / "sub" / "c.png", "failed", "Cannot read image", 0.25)
    entries = manifest.entries()
    assert sorted(p.relative_to(tmp_path).as_posix() for p in entries) == ["a.png", "sub/c.png"]
    assert entries[tmp_path / "sub" / "c.png"].error == "Cannot read image"
    assert Manifest(tmp_path).failures() == {tmp_path / "sub" / "c.png": "Cannot read image"}


@pytest.mark.skipif(os.name != "posix", reason="kill -9")
def test_kill_9_midway_loses_nothing_and_the_rerun_finishes(tiny_model_path: Path, tmp_path: Path) -> None:
    src, out = tmp_path / "in", tmp_path / "out"
    photos = _photos(src, 8, size=(600, 800))  # a few tenths of a second each on the tiny model
    (src / "p03-bad.jpg").write_bytes(b"\xff\xd8\xff garbage")
    args = ["batch", str(src), str(out), "--model", str(tiny_model_path), "--threads", "1"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "cutout_app", *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    manifest = out / MANIFEST_NAME
    deadline = time.monotonic() + 120
    while not (manifest.exists() and manifest.read_bytes().count(b"\n") >= 2) and time.monotonic() < deadline:
        time.sleep(0.01)
    still_running = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    assert still_running, "the run ended before it could be killed"
    recorded = len(_records(out))
    assert 2 <= recorded < 9

    for png in out.glob("*.png"):  # every PNG under its own name is whole
        pixels = cv2.imread(str(png), cv2.IMREAD_UNCHANGED)
        assert pixels is not None and pixels.shape == (600, 800, 4), png.name

    assert main(args) == EXIT_FAILED  # the bad file fails, in this run or the killed one
    assert sorted(p.name for p in out.glob("*.png")) == sorted(f"{p.stem}.png" for p in photos)
    records = _records(out)
    done = [r["output"] for r in records if r["status"] in ("done", "skipped")]
    assert sorted(done) == sorted(f"{p.stem}.png" for p in photos)  # each photo once: nothing was redone
    summary = Manifest(out).summary()
    assert summary.done == 8 and [e.output.name for e in summary.failed] == ["p03-bad.png"]


@pytest.mark.skipif(os.name != "posix", reason="file names as bytes")
def test_a_file_name_that_is_not_utf8_is_recorded_and_read_back(tiny_model_path: Path, tmp_path: Path) -> None:
    """Before, json's UTF-8 encoding raised on the name's undecodable byte and the whole batch stopped."""
    src, out = tmp_path / "in", tmp_path / "out"
    (good,) = _photos(src, 1)
    odd = good.rename(src / os.fsdecode(b"caf\xe9.jpg"))  # a Latin-1 name from an old archive
    assert main(["batch", str(src), str(out), "--model", str(tiny_model_path), "--overwrite"]) == EXIT_OK
    (entry,) = Manifest(out).entries().values()
    assert entry.status == "done" and entry.output == (out / os.fsdecode(b"caf\xe9.png")).resolve()
    assert entry.source == str(odd.resolve())
    assert main(["batch", str(src), str(out), "--model", str(tiny_model_path)]) == EXIT_OK
    assert len(_records(out)) == 1  # the rerun read the record back: no second one for the output it found
