"""Hostile input and hostile file systems: decoder crashes and hangs, libpng noise, huge PNGs, broken
links, names too long, read-only folders, leftovers of killed writers, two batches on one folder."""

from __future__ import annotations

import os
import signal
import struct
import subprocess
import sys
import textwrap
import threading
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from conftest import write_photo

from cutout_app.core.batch.local import run_pipelined
from cutout_app.core.batch.manifest import MANIFEST_NAME
from cutout_app.core.batch.plan import CLAIMED_ELSEWHERE, BatchItem, BatchOptions, BatchPlan, plan_batch
from cutout_app.core.errors import Cancelled, ExportError, ImageReadError
from cutout_app.core.progress import CancelToken
from cutout_app.core.files.destination import check_destination
from cutout_app.core.files.filelock import claim, remove_stale_files
from cutout_app.core.files.imageio import read_image, read_mask
from cutout_app.core.files.names import MAX_NAME_BYTES, name_bytes
from cutout_app.core.files.safe_decode import DECODER_CRASHED, DecoderProcess

POSIX = os.name == "posix"
ROOT = Path(__file__).resolve().parents[1]


def _png(width: int, height: int, extra: bytes = b"") -> bytes:
    def chunk(ctype: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", zlib.crc32(ctype + data))

    raw = b"".join(b"\x00" + bytes(width) for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def _python(code: str, *args: str, **kwargs) -> subprocess.Popen[str]:  # noqa: ANN003
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *args], env=env, text=True, **kwargs)


# --- the decoder process --------------------------------------------------------------------------


def _crash_while_decoding(decoder: DecoderProcess, path: Path, ready: Path, sig: int) -> None:
    """Make the decoder's child die by ``sig`` while it holds the request for ``path`` (its reply is not
    collected yet: the next ``decoder.read(path)`` collects it). ``ready`` is any photo, read first so that
    the child runs: it is then stopped, given the request, and sent ``sig``."""
    decoder.read(ready)
    assert decoder.pid is not None
    pid = decoder.pid
    os.kill(pid, signal.SIGSTOP)
    decoder.prefetch(path)
    os.kill(pid, sig)
    os.kill(pid, signal.SIGCONT)


@pytest.mark.skipif(not POSIX, reason="signals")
def test_a_decoder_crash_is_one_files_error_and_the_next_file_reads(tmp_path: Path) -> None:
    hostile = write_photo(tmp_path / "hostile.png")
    good = write_photo(tmp_path / "good.jpg")
    with DecoderProcess(timeout=60) as decoder:
        _crash_while_decoding(decoder, hostile, good, signal.SIGSEGV)
        with pytest.raises(ImageReadError) as info:
            decoder.read(hostile)
        assert info.value.reason.startswith(DECODER_CRASHED) and "SIGSEGV" in info.value.reason
        assert decoder.read(good).pixels.shape == (60, 80, 3)


@pytest.mark.skipif(not POSIX, reason="signals")
def test_a_hanging_decoder_is_stopped(tmp_path: Path) -> None:
    photo = write_photo(tmp_path / "ok.png")
    with DecoderProcess(timeout=1) as decoder:
        decoder.read(photo)
        assert decoder.pid is not None
        os.kill(decoder.pid, signal.SIGSTOP)  # it answers nothing from now on
        with pytest.raises(ImageReadError, match="did not finish within 1 s"):
            decoder.read(photo)
        assert decoder.read(photo).width == 80


@pytest.mark.skipif(not POSIX, reason="FIFOs and devices")
def test_fifos_and_devices_are_refused_before_reading(tmp_path: Path) -> None:
    """A FIFO named like a photo, and a link to /dev/zero, are refused at once: nothing blocks, nothing is read."""
    fifo = tmp_path / "photo.jpg"
    os.mkfifo(fifo)  # nobody writes: opening it to read would block for ever
    zero = tmp_path / "zero.png"
    zero.symlink_to("/dev/zero")
    with DecoderProcess(timeout=60) as decoder:
        for path, kind in ((fifo, "FIFO"), (zero, "device")):
            with pytest.raises(ImageReadError, match=kind):
                decoder.read(path)
            with pytest.raises(ImageReadError, match=kind):
                read_mask(path)


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie (Linux /proc)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc")
@pytest.mark.parametrize("child_state", ["waiting", "stopped mid-decode"])
def test_the_decoder_child_dies_with_its_parent_and_leaves_no_files(tmp_path: Path, child_state: str) -> None:
    """``kill -9`` of cutout ends its decoder child too, whether it waits for a request or is stuck in one;
    no pixel file is ever written to the temporary folder."""
    photo = write_photo(tmp_path / "photo.png")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    code = """
        import os, signal, sys, time
        from cutout_app.core.files.safe_decode import DecoderProcess
        decoder = DecoderProcess()
        decoder.read(sys.argv[1])
        if sys.argv[2] != "waiting":
            os.kill(decoder.pid, signal.SIGSTOP)
            decoder.prefetch(sys.argv[1])
        print(decoder.pid, flush=True)
        time.sleep(600)
    """
    env = dict(os.environ, TMPDIR=str(scratch))
    parent = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), str(photo), child_state],
                              stdout=subprocess.PIPE, text=True, cwd=ROOT, env=env)  # fmt: skip
    try:
        child = int(parent.stdout.readline())
        assert _alive(child)
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 30  # a guard against a hang: the kernel ends it at once
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)
    assert list(scratch.iterdir()) == []


def test_a_read_can_be_cancelled_from_another_thread(tmp_path: Path) -> None:
    photo = write_photo(tmp_path / "photo.png")
    token = CancelToken()
    with DecoderProcess(timeout=600) as decoder:
        decoder.read(photo)
        assert decoder.pid is not None
        child = decoder.pid
        os.kill(child, signal.SIGSTOP)  # the next decode never ends
        threading.Timer(0.3, token.cancel).start()
        with pytest.raises(Cancelled):
            decoder.read(photo, token)
        assert decoder.pid is None and not _alive(child)
        assert decoder.read(photo).width == 80  # a fresh child for the next read


def test_decoder_process_gives_the_same_photo_and_errors(tmp_path: Path) -> None:
    path = write_photo(tmp_path / "photo.png")
    with DecoderProcess() as decoder:
        np.testing.assert_array_equal(decoder.read(path).pixels, read_image(path).pixels)
        with pytest.raises(ImageReadError, match="file not found"):
            decoder.read(tmp_path / "missing.jpg")


def test_libpng_warnings_stay_out_of_the_terminal(tmp_path: Path) -> None:
    path = tmp_path / "noisy.png"
    path.write_bytes(_png(4, 4, extra=struct.pack(">I", 2) + b"gAMA\x00\x00" + struct.pack(">I", zlib.crc32(b"gAMA\x00\x00"))))
    code = """
        import sys
        from cutout_app.core.files.imageio import read_image
        from cutout_app.core.files.safe_decode import read_image_protected
        photo = read_image_protected(sys.argv[1]) if sys.argv[2] == "protected" else read_image(sys.argv[1])
        print(photo.width)
    """
    for mode, leaks in (("in-process", True), ("protected", False)):
        proc = _python(code, str(path), mode, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0 and out.strip() == "4", err
        assert ("libpng warning" in err) == leaks, (mode, err)


def test_png_wider_than_libpng_allows_is_too_large(tmp_path: Path) -> None:
    path = tmp_path / "wide.png"
    path.write_bytes(_png(1_000_001, 1))
    with pytest.raises(ImageReadError, match="too large") as info:
        read_image(path)
    assert "1,000,000 pixels per side" in str(info.value)


@pytest.mark.skipif(not POSIX, reason="symbolic links")
def test_broken_and_looping_links_are_named(tmp_path: Path) -> None:
    dangling = tmp_path / "gone.jpg"
    dangling.symlink_to(tmp_path / "deleted.jpg")
    loop = tmp_path / "loop.jpg"
    loop.symlink_to(loop)
    with pytest.raises(ImageReadError, match="broken link.*does not exist"):
        read_image(dangling)
    with pytest.raises(ImageReadError, match="loop"):
        read_image(loop)


# --- names, folders ------------------------------------------------------------------------------


def test_too_long_output_name_is_a_clear_error(tmp_path: Path) -> None:
    src = write_photo(tmp_path / "photo.jpg")
    with pytest.raises(ExportError, match="too long"):
        check_destination(tmp_path / ("x" * 300 + ".png"), src)


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc, where nobody can create files")
def test_unwritable_folder_is_found_before_any_work() -> None:
    with pytest.raises(ExportError, match="Cannot write into the folder"):
        check_destination(Path("/proc/cutout-result.png"), None)


def test_in_place_batch_shortens_names_that_would_be_too_long(tmp_path: Path, tiny_engine) -> None:  # noqa: ANN001
    folder = tmp_path / "photos"
    long_one = write_photo(folder / ("é" * 125 + "x.jpg"))  # 255 bytes; "-cutout.png" would make it 262
    write_photo(folder / "short.jpg", 2)
    plan = plan_batch(folder, folder)
    assert len(plan.items) == 2
    dst = {i.src.name: i.dst for i in plan.items}[long_one.name]
    assert name_bytes(dst.name) <= MAX_NAME_BYTES and dst.name.endswith("-cutout.png")
    report = run_pipelined(tiny_engine, plan, BatchOptions(), workers=1)
    assert len(report.done) == 2, report.summary()
    assert plan_batch(folder, folder).items == []  # the rerun sees both as done


# --- batches: crashes, leftovers, links, neighbours ----------------------------------------------


@pytest.fixture(scope="module")
def tiny_engine(tiny_model_path: Path):  # noqa: ANN201
    from cutout_app.core.inference.engine import SegmentationEngine

    return SegmentationEngine(tiny_model_path, provider="cpu", threads=1)


@pytest.mark.skipif(not POSIX, reason="FIFOs and signals")
def test_batch_goes_on_after_a_decoder_crash(tmp_path: Path, tiny_engine) -> None:  # noqa: ANN001
    crasher = write_photo(tmp_path / "in" / "crasher.png")
    good = write_photo(tmp_path / "in" / "good.jpg")
    out = tmp_path / "out"
    plan = BatchPlan(tmp_path / "in", out, items=[BatchItem(crasher, out / "crasher.png"), BatchItem(good, out / "good.png")])
    with DecoderProcess(timeout=60) as decoder:
        _crash_while_decoding(decoder, crasher, good, signal.SIGSEGV)  # the batch's first read collects the crash
        report = run_pipelined(tiny_engine, plan, BatchOptions(), decoder=decoder, workers=1)
    assert [r.status for r in report.results] == ["failed", "done"]
    assert DECODER_CRASHED in (report.failed[0].error or "")
    assert (out / "good.png").is_file()


@pytest.mark.skipif(not POSIX, reason="symbolic links")
def test_batch_lists_broken_links_as_failed(tmp_path: Path, tiny_engine) -> None:  # noqa: ANN001
    folder = tmp_path / "in"
    write_photo(folder / "real.jpg")
    (folder / "dangling.jpg").symlink_to(folder / "deleted.jpg")
    (folder / "loop.jpg").symlink_to(folder / "loop.jpg")
    report = run_pipelined(tiny_engine, plan_batch(folder, tmp_path / "out"), BatchOptions(), workers=1)
    failed = {r.src.name: r.error for r in report.failed}
    assert sorted(failed) == ["dangling.jpg", "loop.jpg"]
    assert "does not exist" in failed["dangling.jpg"] and "loop" in failed["loop.jpg"]
    assert [r.src.name for r in report.done] == ["real.jpg"]


# A writer killed by SIGKILL in the middle of an atomic write (just before its rename), or one kept
# waiting there (sys.argv[2] == "wait").
KILLED_WRITER = """
    import os, signal, sys
    from cutout_app.core.files.atomic import atomic_write_bytes

    def hook(event, args):
        if event == "os.rename":
            if sys.argv[2] == "wait":
                print("writing", flush=True)
                sys.stdin.read()
            os.kill(os.getpid(), signal.SIGKILL)

    sys.addaudithook(hook)
    atomic_write_bytes(sys.argv[1], b"half of a result" * 1000)
"""


def _age(path: Path, seconds: float = 600) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


@pytest.mark.skipif(not POSIX, reason="signals and flock")
def test_leftover_of_a_killed_write_is_removed_but_a_live_one_is_kept(tmp_path: Path) -> None:
    target = tmp_path / "photo.png"
    dead = _python(KILLED_WRITER, str(target), "die")
    assert dead.wait(60) == -signal.SIGKILL
    (leftover,) = tmp_path.glob(".photo.png.*.tmp")

    live = _python(KILLED_WRITER, str(tmp_path / "other.png"), "wait", stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert live.stdout is not None and live.stdout.readline().strip() == "writing"
    (in_progress,) = tmp_path.glob(".other.png.*.tmp")
    _age(leftover)
    _age(in_progress)
    try:
        assert remove_stale_files(tmp_path, ".png") == [leftover]
        assert not leftover.exists() and in_progress.exists()
    finally:
        live.kill()
        live.wait()
    assert remove_stale_files(tmp_path, ".png") == [in_progress]
    assert not target.exists()


@pytest.mark.skipif(not POSIX, reason="signals and flock")
def test_batch_rerun_removes_what_a_killed_run_left(tmp_path: Path, tiny_engine) -> None:  # noqa: ANN001
    folder = tmp_path / "in"
    write_photo(folder / "a.jpg")
    out = tmp_path / "out"
    out.mkdir()
    assert _python(KILLED_WRITER, str(out / "a.png"), "die").wait(60) == -signal.SIGKILL
    (leftover,) = out.glob(".a.png.*.tmp")
    _age(leftover)
    report = run_pipelined(tiny_engine, plan_batch(folder, out), BatchOptions(), workers=1)
    assert len(report.done) == 1
    assert sorted(p.name for p in out.iterdir()) == ["a.png", MANIFEST_NAME]


HOLDER = """
    import sys
    from pathlib import Path
    from cutout_app.core.files.filelock import claim

    with claim(Path(sys.argv[1])) as mine:
        print("claimed" if mine else "refused", flush=True)
        sys.stdin.read()
"""


@pytest.mark.skipif(not POSIX, reason="flock")
def test_two_batches_on_one_folder_split_the_work(tmp_path: Path, tiny_engine) -> None:  # noqa: ANN001
    folder = tmp_path / "in"
    for name in ("a", "b", "c"):
        write_photo(folder / f"{name}.jpg", ord(name))
    out = tmp_path / "out"
    plan = plan_batch(folder, out)  # both runs planned while nothing was written
    out.mkdir()
    other = _python(HOLDER, str(out / "b.png"), stdin=subprocess.PIPE, stdout=subprocess.PIPE)  # "another batch" on b
    try:
        assert other.stdout is not None and other.stdout.readline().strip() == "claimed"
        write_photo(out / "c.png", 9)  # and the other batch already finished c
        report = run_pipelined(tiny_engine, plan, BatchOptions(), workers=1)
    finally:
        other.kill()
        other.wait()
    status = {r.src.name: (r.status, r.error) for r in report.results}
    assert status["a.jpg"] == ("done", None)
    assert status["b.jpg"] == ("skipped", CLAIMED_ELSEWHERE)
    assert status["c.jpg"] == ("skipped", None)  # before: failed, "already exists"
    assert report.failed == []
    with claim(out / "b.png") as mine:  # the dead holder's claim is free again
        assert mine
