"""The batch as a Ray Data job on a real local Ray instance (2 CPUs, listening on 127.0.0.1 only).

Skipped, with the reason, where the ``cluster`` extra is not installed; ``scripts/test`` installs it.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

# Ray's switch for a laptop-only instance: every server of the test cluster binds the loopback address.
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
EXTRA = "the cluster extra is not installed (pip install -e '.[cluster]')"
ray = pytest.importorskip("ray", reason=EXTRA)
pytest.importorskip("ray.data", reason=EXTRA)
pyarrow_fs = pytest.importorskip("pyarrow.fs", reason=EXTRA)

from conftest import make_photo  # noqa: E402

from cutout_app.cli import EXIT_FAILED, EXIT_USAGE, main  # noqa: E402
from cutout_app.core.batch.manifest import Manifest  # noqa: E402
from cutout_app.core.batch.plan import BatchOptions  # noqa: E402
from cutout_app.core.batch.ray_job import Source, open_source, plan_source, run_ray_batch  # noqa: E402
from cutout_app.core.files.export_options import ExportMode, ExportOptions  # noqa: E402


@pytest.fixture(scope="module")
def cluster() -> str:
    """A new local Ray instance for this module (never one already running here); yields its address."""
    ray.init(address="local", num_cpus=2, include_dashboard=False, configure_logging=False, log_to_driver=False)
    try:
        assert {node["NodeManagerAddress"] for node in ray.nodes()} == {"127.0.0.1"}
        yield ray.get_runtime_context().gcs_address
    finally:
        ray.shutdown()


def _folder(root: Path, size: tuple[int, int] = (60, 80), count: int = 3) -> Path:
    """``count`` photos (the last in a sub-folder) and a corrupt JPEG."""
    for i in range(count):
        path = root / ("sub" if i == count - 1 else "") / f"p{i}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        assert cv2.imwrite(str(path), make_photo(*size, seed=i))
    (root / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg" * 5)
    return root


def _masks(folder: Path) -> dict[str, np.ndarray]:
    return {p.relative_to(folder).as_posix(): cv2.imread(str(p), cv2.IMREAD_UNCHANGED) for p in sorted(folder.rglob("*.png"))}


def _states(folder: Path) -> dict[str, tuple[str, str, str | None]]:
    return {out.relative_to(folder).as_posix(): (e.source, e.status, e.error) for out, e in Manifest(folder).entries().items()}


def test_ray_job_gives_the_local_batchs_masks_and_reports_the_corrupt_file(
    cluster: str, tiny_random_two_stage_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = _folder(tmp_path / "in")
    common = ["--model", str(tiny_random_two_stage_path), "--mode", "mask", "--threads", "1"]
    assert main(["batch", str(src), str(tmp_path / "local"), *common]) == EXIT_FAILED
    capsys.readouterr()
    assert main(["batch", str(src), str(tmp_path / "ray"), *common, "--ray", cluster]) == EXIT_FAILED
    printed = capsys.readouterr().out
    assert "failed: 1" in printed and "broken.jpg" in printed

    local, on_ray = _masks(tmp_path / "local"), _masks(tmp_path / "ray")
    assert sorted(on_ray) == ["p0.png", "p1.png", "sub/p2.png"]
    assert on_ray.keys() == local.keys()
    for name in local:
        assert on_ray[name].shape == (60, 80) and np.array_equal(on_ray[name], local[name]), name
    assert _states(tmp_path / "ray") == _states(tmp_path / "local")  # same sources, statuses and reasons
    assert _states(tmp_path / "ray")["broken.png"][1] == "failed"


def test_photos_on_a_remote_file_system_are_downloaded_by_the_actors(
    cluster: str, tiny_model_path: Path, tmp_path: Path
) -> None:
    _folder(tmp_path / "store" / "photos")
    # A file system that is not the local one: the driver lists it and the actors read from it.
    source = Source(pyarrow_fs.SubTreeFileSystem(str(tmp_path / "store"), pyarrow_fs.LocalFileSystem()), "photos",
                    "store://")
    out = tmp_path / "out"
    options = BatchOptions(export=ExportOptions(mode=ExportMode.MASK))
    report = run_ray_batch(tiny_model_path, source, plan_source(source, out), options, address=cluster, threads=1)
    assert sorted(r.dst.relative_to(out.resolve()).as_posix() for r in report.done) == ["p0.png", "p1.png", "sub/p2.png"]
    assert [r.src.name for r in report.failed] == ["broken.jpg"]
    assert "store://photos/broken.jpg" in (report.failed[0].error or "")
    assert _states(out)["sub/p2.png"] == ("store://photos/sub/p2.jpg", "done", None)
    assert _masks(out)["p0.png"].shape == (60, 80)

    again = run_ray_batch(tiny_model_path, source, plan_source(source, out), options, address=cluster)
    assert len(again.skipped) == 3 and [r.src.name for r in again.failed_before] == ["broken.jpg"]


def _processes() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, command line) of every process this user can see."""
    table = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
            except (OSError, IndexError, ValueError):
                continue
            table[int(entry)] = (ppid, cmd)
    return table


def _descends_from_us(pid: int, table: dict[int, tuple[int, str]]) -> bool:
    while pid in table and pid > 1:
        if pid == os.getpid():
            return True
        pid = table[pid][0]
    return False


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="finds the actor's process in /proc")
def test_the_job_completes_when_an_actor_is_killed_midway(cluster: str, tiny_model_path: Path, tmp_path: Path) -> None:
    src = _folder(tmp_path / "in", size=(900, 1200), count=6)
    out = tmp_path / "out"
    killed: list[int] = []
    actors: set[int] = set()
    finished = threading.Event()

    def kill_the_actor_while_it_works() -> None:
        # The actor starts its decoder process on its first photo: kill the actor then, with SIGKILL.
        while not finished.is_set():
            table = _processes()
            for pid, (ppid, cmd) in table.items():
                if "CutoutActor" in cmd and _descends_from_us(pid, table):
                    actors.add(pid)
                if not killed and "safe_decode" in cmd and "CutoutActor" in table.get(ppid, (0, ""))[1] \
                        and _descends_from_us(ppid, table):
                    os.kill(ppid, signal.SIGKILL)
                    killed.append(ppid)
            time.sleep(0.02)

    watcher = threading.Thread(target=kill_the_actor_while_it_works, daemon=True)
    watcher.start()
    try:
        source = open_source(str(src))
        report = run_ray_batch(tiny_model_path, source, plan_source(source, out), BatchOptions(), address=cluster,
                               actors=1, threads=1)
    finally:
        finished.set()
        watcher.join(10)
    assert killed, "no actor was seen at work"
    assert actors - set(killed), "Ray started a new actor"
    assert len(report.done) == 6 and [r.src.name for r in report.failed] == ["broken.jpg"]
    for name, pixels in _masks(out).items():
        assert pixels is not None and pixels.shape == (900, 1200, 4), name


def test_bad_url_scheme_and_unreachable_cluster_fail_before_any_work(
    tiny_model_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert main(["batch", "nosuch://bucket/photos", str(out), "--ray", "--model", str(tiny_model_path)]) == EXIT_USAGE
    assert "no file system takes 'nosuch://' URLs" in capsys.readouterr().err
    assert not out.exists()

    src = _folder(tmp_path / "in")
    assert main(["batch", str(src), str(out), "--ray", "127.0.0.1:9", "--model", str(tiny_model_path)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "Cannot reach the Ray cluster at '127.0.0.1:9'" in err and "ray start --head" in err
    assert not list(out.rglob("*.png")) and not Manifest(out).path.exists()
