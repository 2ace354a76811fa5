"""Batch loose ends, on real folders: leftovers of killed writes, folder links and loops, paths longer than
the system allows, and photos that failed because the disk was full."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import cv2
import pytest
from conftest import make_photo, write_photo

from cutout_app.cli import EXIT_FAILED, EXIT_OK, main
from cutout_app.core.batch.local import run_pipelined
from cutout_app.core.batch.manifest import MANIFEST_NAME
from cutout_app.core.batch.plan import BatchOptions, plan_batch
from cutout_app.core.inference.engine import SegmentationEngine

POSIX = os.name == "posix"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def engine(tiny_model_path: Path) -> SegmentationEngine:
    return SegmentationEngine(tiny_model_path, provider="cpu", threads=1)


def test_a_leftover_temporary_goes_even_when_every_output_is_written(tmp_path: Path, engine: SegmentationEngine) -> None:
    """Before, only the folders of photos still to do were cleaned: a finished batch kept its .tmp for ever."""
    src, out = tmp_path / "in", tmp_path / "out"
    write_photo(src / "a.jpg")
    write_photo(src / "sub" / "b.jpg", 2)
    assert run_pipelined(engine, plan_batch(src, out), BatchOptions(), workers=1).failed == []
    leftovers = [out / ".a.png.k1ll3d00.tmp", out / "sub" / ".b.png.k1ll3d01.tmp"]
    old = time.time() - 3600  # left by a run killed an hour ago; nobody holds its lock
    for leftover in leftovers:
        leftover.write_bytes(b"half a png")
        os.utime(leftover, (old, old))
    plan = plan_batch(src, out)
    assert plan.items == [] and len(plan.skipped) == 2
    run_pipelined(engine, plan, BatchOptions(), workers=1)
    assert [p for p in leftovers if p.exists()] == []
    assert sorted(p.name for p in out.rglob("*.png")) == ["a.png", "b.png"]


@pytest.mark.skipif(not POSIX, reason="symbolic links")
def test_photos_under_a_folder_link_are_cut_out_and_a_loop_ends(tmp_path: Path, engine: SegmentationEngine) -> None:
    src, elsewhere, out = tmp_path / "in", tmp_path / "elsewhere", tmp_path / "out"
    write_photo(src / "a.jpg")
    write_photo(elsewhere / "b.jpg", 2)
    write_photo(elsewhere / "deeper" / "c.jpg", 3)
    (src / "linked").symlink_to(elsewhere, target_is_directory=True)
    (elsewhere / "deeper" / "back").symlink_to(elsewhere, target_is_directory=True)  # a loop through the link
    (src / "self").symlink_to(src, target_is_directory=True)  # a loop to the top
    plan = plan_batch(src, out)
    found = sorted(item.src.relative_to(src.resolve()).as_posix() for item in plan.items)
    assert found == ["a.jpg", "linked/b.jpg", "linked/deeper/c.jpg"]
    assert plan.unreadable == []
    report = run_pipelined(engine, plan, BatchOptions(), workers=1)
    assert len(report.done) == 3, report.summary()
    assert (out / "linked" / "deeper" / "c.png").is_file()


def _deep_folder(top: Path, total_bytes: int) -> Path:
    """Folders nested under ``top`` until the path is exactly ``total_bytes`` long, made through file
    descriptors (a path that long cannot be given to mkdir whole); a photo at the bottom. Returns the bottom's path."""
    top.mkdir(parents=True, exist_ok=True)
    fd = os.open(top, os.O_RDONLY)
    path = str(top)
    try:
        while len(path) < total_bytes:
            name = "d" * min(250, total_bytes - len(path) - 1)
            os.mkdir(name, dir_fd=fd)
            child = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd, path = child, f"{path}/{name}"
        ok, data = cv2.imencode(".jpg", make_photo(60, 80))
        photo = os.open("deep.jpg", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(photo, data.tobytes())
        os.close(photo)
    finally:
        os.close(fd)
    return Path(path)


def _remove_deep(top: Path) -> None:
    """Remove what :func:`_deep_folder` made (rmtree cannot: the paths are too long)."""
    subprocess.run(["rm", "-rf", str(top)], check=False)


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="Linux's PATH_MAX of 4096 bytes")
def test_a_folder_beyond_path_max_is_listed_with_the_reason(tmp_path: Path, tiny_model_path: Path, capsys) -> None:  # noqa: ANN001
    """os.walk swallowed the error: the photos deep down were dropped without a word, and the exit code was 0."""
    src, out = tmp_path / "in", tmp_path / "out"
    write_photo(src / "shallow.jpg")
    try:
        _deep_folder(src, os.pathconf("/", "PC_PATH_MAX") + 300)
        plan = plan_batch(src, out)
        assert [i.src.name for i in plan.items] == ["shallow.jpg"]
        assert len(plan.unreadable) == 1
        folder, reason = plan.unreadable[0]
        assert len(os.fsencode(folder)) >= os.pathconf("/", "PC_PATH_MAX") and "longer than the system allows" in reason
        code = main(["batch", str(src), str(out), "--model", str(tiny_model_path), "--workers", "1", "--threads", "1"])
        text = capsys.readouterr().out
        assert code == EXIT_FAILED
        assert "could not be searched" in text and "longer than the system allows" in text
        assert (out / "shallow.png").is_file()
    finally:
        _remove_deep(src)


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="Linux's PATH_MAX of 4096 bytes")
def test_a_photo_whose_path_is_too_long_fails_with_the_reason(tmp_path: Path, engine: SegmentationEngine) -> None:
    """A folder just under PATH_MAX can be listed; the photo in it cannot be opened: a failure, never silence."""
    src, out = tmp_path / "in", tmp_path / "out"
    try:
        path_max = os.pathconf("/", "PC_PATH_MAX")
        bottom = _deep_folder(src, path_max - 100)
        assert len(str(bottom / "deep.jpg")) < path_max  # the folder can be listed
        name = "p" * 100 + ".jpg"  # and the photo's path is 4 bytes too long
        fd = os.open(os.path.relpath(bottom, src), os.O_RDONLY, dir_fd=os.open(src, os.O_RDONLY))
        os.rename("deep.jpg", name, src_dir_fd=fd, dst_dir_fd=fd)
        os.close(fd)
        plan = plan_batch(src, out)
        assert [i.src.name for i in plan.items] == [name]
        report = run_pipelined(engine, plan, BatchOptions(), workers=1)
        assert len(report.failed) == 1 and "too long" in report.failed[0].error
    finally:
        _remove_deep(src)


# --- a full disk ----------------------------------------------------------------------------------

_FULL_DISK = textwrap.dedent(
    """
    set -e
    mount -t tmpfs -o size=2m cutout-test "$OUT"
    head -c $((2048 * 1024 - 64 * 1024)) /dev/zero > "$OUT/filler"   # leaves 64 KB: a manifest fits, a PNG does not
    set +e
    "$PYTHON" -m cutout_app.cli batch "$IN" "$OUT" --model "$MODEL" --workers 1 --threads 1 --threshold 0 > "$LOG/first.txt" 2>&1
    echo $? > "$LOG/first.code"
    rm "$OUT/filler"                                                   # space is freed
    "$PYTHON" -m cutout_app.cli batch "$IN" "$OUT" --model "$MODEL" --workers 1 --threads 1 --threshold 0 > "$LOG/second.txt" 2>&1
    echo $? > "$LOG/second.code"
    cp "$OUT/cutout-manifest.jsonl" "$LOG/"
    ls "$OUT" > "$LOG/outputs.txt"
    """
)


@pytest.mark.skipif(shutil.which("unshare") is None or not Path("/proc/self").is_dir(), reason="Linux namespaces")
def test_photos_that_failed_for_a_full_disk_are_retried_by_default(tmp_path: Path, tiny_model_path: Path) -> None:
    """A full disk is not a property of the photo: after space is freed, a plain rerun finishes them."""
    src, out, log = tmp_path / "in", tmp_path / "out", tmp_path / "log"
    for i in range(3):
        write_photo(src / f"{i}.png", seed=i, height=300, width=400)  # opaque (threshold 0): ~370 KB PNGs; none fits in 64 KB
    out.mkdir()
    log.mkdir()
    env = dict(os.environ, IN=str(src), OUT=str(out), LOG=str(log), MODEL=str(tiny_model_path), PYTHON=sys.executable,
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    # A tmpfs of 2 MB in a mount namespace of its own (an unprivileged user namespace where needed).
    proc = subprocess.run(["unshare", "-rm", "sh", "-c", _FULL_DISK], env=env, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0 and not (log / "first.code").exists():
        pytest.skip(f"no tmpfs of our own here: {proc.stderr.strip()[-300:]}")
    first, second = (log / "first.txt").read_text(), (log / "second.txt").read_text()
    assert (log / "first.code").read_text().strip() == str(EXIT_FAILED), first
    assert first.count("the disk is full") == 3, first
    assert (log / "second.code").read_text().strip() == str(EXIT_OK), second
    assert "Done: 3," in second and "Not retried" not in second, second
    records = [json.loads(line) for line in (log / MANIFEST_NAME).read_text().splitlines()]
    assert [r["status"] for r in records] == ["failed"] * 3 + ["done"] * 3
    assert all(r.get("retry") is True for r in records[:3])
    assert sorted((log / "outputs.txt").read_text().split()) == ["0.png", "1.png", "2.png", MANIFEST_NAME]


def test_a_failure_of_the_photo_itself_is_still_not_retried_unless_asked(tmp_path: Path, engine: SegmentationEngine) -> None:
    src, out = tmp_path / "in", tmp_path / "out"
    (src).mkdir()
    (src / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    report = run_pipelined(engine, plan_batch(src, out), BatchOptions(), workers=1)
    assert len(report.failed) == 1 and not report.failed[0].retry
    assert [i.src.name for i in plan_batch(src, out).failed_before] == ["broken.jpg"]
