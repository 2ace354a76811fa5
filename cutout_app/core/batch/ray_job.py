"""The batch as a Ray Data job: ``cutout batch IN OUT --ray [ADDRESS]`` (optional extra ``cluster``).

The driver (this process) lists the photos (a local or shared folder, or any URL that pyarrow's file
systems take: ``s3://``, ``gs://``, ``file://``...), plans their outputs with the local batch's naming
rule, and checks the output folder and the model before it connects to the cluster. The cluster runs
``map_batches`` over an actor pool: each actor holds one onnxruntime session (``num_gpus=1`` and the
CUDA provider when the cluster has GPUs, the CPU otherwise) and a decoder child process, reads each
photo from its file system and returns the PNG bytes, or the reason it failed. The driver writes the
PNGs into OUT (claimed, atomically) and records them in the same report and manifest as a local run,
so OUT needs to be a folder of the driver's only. Ray's actor restarts and task retries carry a job
past an actor that dies. Ray is imported only here, and only when a job runs.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import urlsplit

from cutout_app.core.batch.local import batch_workers, inference_threads, workers_for
from cutout_app.core.batch.plan import (
    BatchItem,
    BatchOptions,
    BatchPlan,
    BatchReport,
    FileResult,
    check_output_folder,
    claim_item,
    failed_result,
    failure_reason,
    plan_batch,
    plan_sources,
    start_run,
)
from cutout_app.core.errors import CutoutError, ImageReadError
from cutout_app.core.files.atomic import atomic_write_bytes
from cutout_app.core.files.imageio import is_supported_image
from cutout_app.core.inference import pipeline
from cutout_app.core.inference.two_stage import GLOBAL_FILE, REFINER_FILE, open_model
from cutout_app.core.progress import ProgressCallback

if TYPE_CHECKING:
    import pyarrow.fs

#: How long the driver waits for a cluster's address to answer before it gives up.
CONNECT_TIMEOUT_S = 5.0
#: Rows per Ray block: a block is the unit of work (and of retry) that an actor takes.
ROWS_PER_BLOCK = 4
#: The port of a head node's GCS when an address names none (``ray start --head``'s default).
_GCS_PORT = 6379
_CLIENT_PORT = 10001


class ClusterError(CutoutError):
    """The Ray cluster cannot be used: the extra is missing, or the address does not answer."""


@dataclass(frozen=True)
class Source:
    """Where the photos are: a pyarrow file system and the folder's path on it."""

    filesystem: pyarrow.fs.FileSystem
    root: str
    #: ``scheme://`` for a URL, empty for a local path: the manifest names sources with it.
    prefix: str = ""

    @property
    def is_local(self) -> bool:
        """True when the paths are this machine's (and, on a cluster, a shared folder's)."""
        import pyarrow.fs

        return isinstance(self.filesystem, pyarrow.fs.LocalFileSystem)

    def name(self, path: Path) -> str:
        """The source as the manifest and the report name it: a local path, or a URL."""
        return f"{self.prefix}{path.as_posix()}" if self.prefix else str(path)


def open_source(location: str) -> Source:
    """The file system and folder of ``location``: a local folder or a URL such as ``s3://bucket/photos``.

    Raises ClusterError without the extra, and CutoutError for a URL scheme that no pyarrow file
    system serves or a location that cannot be opened.
    """
    fs = _import("pyarrow.fs")
    scheme = urlsplit(location).scheme
    if len(scheme) <= 1:  # a local path (a one-letter scheme is a Windows drive)
        local = Path(location).expanduser().resolve()
        if not local.is_dir():
            raise CutoutError(f"Input folder '{location}' does not exist or is not a folder")
        return Source(fs.LocalFileSystem(), local.as_posix())
    try:
        filesystem, root = fs.FileSystem.from_uri(location)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises ArrowInvalid, OSError...
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if "Unrecognized filesystem type" in reason:
            reason = f"no file system takes '{scheme}://' URLs (pyarrow takes file, s3, gs, hdfs, abfs)"
        raise CutoutError(f"Cannot open '{location}': {reason}") from exc
    info = filesystem.get_file_info(root)
    if info.type != fs.FileType.Directory:
        raise CutoutError(f"Input '{location}' is not a folder")
    prefix = f"{scheme}://" if not isinstance(filesystem, fs.LocalFileSystem) else ""
    return Source(filesystem, root.rstrip("/") or "/", prefix)


def plan_source(source: Source, out_dir: Path, recursive: bool = True, overwrite: bool = False,
                retry_failed: bool = False) -> BatchPlan:
    """The plan of a batch over ``source``: :func:`plan_batch` for a local folder, else the photos listed
    on its file system (sorted, hidden ones left out) with the same naming rule."""
    if source.is_local:
        return plan_batch(Path(source.root), out_dir, recursive, overwrite, retry_failed)
    fs = _import("pyarrow.fs")
    selector = fs.FileSelector(source.root, recursive=recursive)
    root = Path(source.root)
    sources: list[Path] = []
    for info in source.filesystem.get_file_info(selector):
        path = Path(info.path)
        rel = path.relative_to(root)
        if info.type != fs.FileType.File or any(part.startswith(".") for part in rel.parts):
            continue
        if is_supported_image(path):
            sources.append(path)
    sources.sort(key=lambda p: p.relative_to(root).parts)
    return plan_sources(root, root, sources, out_dir, overwrite, retry_failed, source.name)


def connect(address: str | None) -> bool:
    """Connect to the Ray cluster at ``address`` (None: a running local one, else a new local one).

    Returns True when this call connected (the caller then calls ``ray.shutdown()``), False when
    this process was already connected. An address that does not answer is one ClusterError,
    raised within :data:`CONNECT_TIMEOUT_S` seconds.
    """
    if address and address not in ("auto", "local"):
        _check_reachable(address)
    if address in (None, "local") and "ray" not in sys.modules:
        # A local instance listens on the loopback address only (Ray's own switch for laptops).
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    ray = _import("ray")
    if ray.is_initialized():
        return False
    try:
        if address is None or address == "local":
            ray.init(address=address, include_dashboard=False, configure_logging=False, log_to_driver=False)
        else:
            ray.init(address=address, configure_logging=False, log_to_driver=False)
    except Exception as exc:  # noqa: BLE001 - ConnectionError, RuntimeError... one message for all
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ClusterError(f"Cannot connect to the Ray cluster at '{address or 'local'}': {reason}") from exc
    return True


def run_ray_batch(
    model_path: Path | None,
    source: Source,
    plan: BatchPlan,
    options: BatchOptions,
    address: str | None = None,
    actors: int | None = None,
    threads: int = 0,
    progress: ProgressCallback | None = None,
    on_result: Callable[[FileResult], None] | None = None,
) -> BatchReport:
    """Run ``plan`` (from :func:`plan_source`) as a Ray Data job and write its results into the plan's OUT.

    The output folder and the model are checked, then the cluster at ``address`` is connected (see
    :func:`connect`). ``actors`` is the pool size (default: one per GPU; without GPUs, as many per
    node as a local batch there has workers); ``threads`` the onnxruntime threads of each actor (0: its
    share of the node's cores, :func:`~cutout_app.core.batch.local.inference_threads`). Returns the
    same report as a local run, and records the same manifest. ``progress(done, total)`` and
    ``on_result`` are called as the results arrive. Raises CutoutError before any work for an
    unusable output folder, model or cluster.
    """
    check_output_folder(plan.out_dir)
    model_files = _model_files(model_path)
    started = connect(address)
    try:
        recorder = start_run(plan, on_result, source.name)
        report = recorder.report
        if plan.items:
            for index, row in enumerate(_results(source, plan, options, model_files, actors, threads)):
                item = plan.items[int(row["index"])]
                recorder.record(_write(item, row, options))
                report.handled = index + 1
                if progress is not None:
                    progress(report.handled, len(plan.items))
    finally:
        if started:
            _import("ray").shutdown()
    return report


class CutoutActor:
    """One actor of the pool: an onnxruntime session, a decoder process and a scratch folder.

    Called by Ray Data with a batch ``{"index", "path"}``; returns ``{"index", "png", "error", "seconds"}``
    with either the PNG bytes or the reason the photo failed.
    """

    def __init__(self, model_files: dict[str, bytes], provider: str, threads: int, options: BatchOptions,
                 source: Source) -> None:
        from cutout_app.core.files.safe_decode import DecoderProcess

        self._scratch = tempfile.TemporaryDirectory(prefix="cutout-actor-")
        model = Path(self._scratch.name) / "model"  # a model folder's files, or a single model file
        if GLOBAL_FILE in model_files:
            model.mkdir()
            for name, data in model_files.items():
                (model / name).write_bytes(data)
        else:
            model = model.with_suffix(".onnx")
            model.write_bytes(next(iter(model_files.values())))
        # By default each actor takes its share of the node's cores, as a local batch's worker does.
        self.engine = open_model(model, provider, threads or inference_threads(batch_workers()))
        self.decoder = DecoderProcess()
        self.options = options
        self.source = source

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, list[Any]] = {"index": [], "png": [], "error": [], "seconds": []}
        for index, path in zip(batch["index"], batch["path"]):
            start = time.perf_counter()
            png, error = b"", ""
            try:
                png = self._cut_out(Path(str(path)))
            except Exception as exc:  # noqa: BLE001 - one bad file must not stop the job
                error = failure_reason(exc)
            out["index"].append(int(index))
            out["png"].append(png)
            out["error"].append(error)
            out["seconds"].append(time.perf_counter() - start)
        return out

    def _cut_out(self, path: Path) -> bytes:
        """The PNG of one photo: read from its file system, decoded in the child process, cut out."""
        work = Path(tempfile.mkdtemp(dir=self._scratch.name))
        try:
            local = path if self.source.is_local else self._download(path, work)
            dst = work / "result.png"
            try:
                pipeline.cut_out_file(self.engine, local, dst, self.options.export, self.options.mask,
                                      read=self.decoder.read)
            except ImageReadError as exc:
                raise ImageReadError(self.source.name(path), exc.reason) from None  # the source's name, not ours
            return dst.read_bytes()
        finally:
            for leftover in work.iterdir():
                leftover.unlink()
            work.rmdir()

    def _download(self, path: Path, work: Path) -> Path:
        local = work / path.name
        try:
            with self.source.filesystem.open_input_stream(path.as_posix()) as stream:
                local.write_bytes(stream.read())
        except Exception as exc:  # noqa: BLE001 - pyarrow raises OSError, ArrowInvalid...
            raise ImageReadError(self.source.name(path), str(exc).strip().splitlines()[0]) from exc
        return local


def _results(source: Source, plan: BatchPlan, options: BatchOptions, model_files: dict[str, bytes],
             actors: int | None, threads: int):
    """The job's result rows, as they arrive (not in plan order)."""
    ray = _import("ray")
    data = _import("ray.data")
    context = data.DataContext.get_current()
    context.enable_progress_bars = False  # the command line shows its own progress
    context.print_on_execution_start = False
    logging.getLogger("ray.data").setLevel(logging.ERROR)  # Ray Data's notes on its executor

    gpus = int(ray.cluster_resources().get("GPU", 0))
    # Without GPUs, as many actors on each node as a local batch there has workers (cores, at most 4).
    cpu_actors = sum(workers_for(int(node["Resources"].get("CPU", 1))) for node in ray.nodes() if node.get("Alive"))
    resources = {"num_gpus": 1} if gpus else {"num_cpus": 1}
    rows = [{"index": i, "path": item.src.as_posix()} for i, item in enumerate(plan.items)]
    blocks = max(1, -(-len(rows) // ROWS_PER_BLOCK))
    pool = min(blocks, max(1, actors or gpus or cpu_actors))  # an actor with no block to take would idle
    dataset = data.from_items(rows, override_num_blocks=blocks)
    # Ray Data's actor pools restart an actor that dies and retry its batch on the new one
    # (max_restarts=-1, max_task_retries=-1 by default).
    results = dataset.map_batches(
        CutoutActor,
        fn_constructor_kwargs={"model_files": model_files, "provider": "cuda" if gpus else "cpu",
                               "threads": threads, "options": options, "source": source},
        batch_size=1,
        batch_format="numpy",
        compute=data.ActorPoolStrategy(size=pool),
        **resources,
    )
    yield from results.iter_rows()


def _write(item: BatchItem, row: dict[str, Any], options: BatchOptions) -> FileResult:
    """Write one result row's PNG to the item's output (claimed, atomically), or report its failure."""
    seconds = float(row["seconds"])
    if row["error"]:
        return FileResult(item.src, item.dst, "failed", str(row["error"]), seconds)
    stack, skipped = claim_item(item, options.overwrite)
    if skipped is not None:
        return skipped
    with stack:
        try:
            atomic_write_bytes(item.dst, bytes(row["png"]))
        except CutoutError as exc:
            return failed_result(item.src, item.dst, exc, seconds)  # a full disk here is retried by the next run
    return FileResult(item.src, item.dst, "done", None, seconds)


def _model_files(model_path: Path | None) -> dict[str, bytes]:
    """The model's files (name -> bytes), checked by opening the model here, to ship to the actors."""
    model = open_model(model_path, "cpu", 1)  # a broken model is one clear error before the job starts
    path = Path(model.model_path)
    files = [path / GLOBAL_FILE, path / REFINER_FILE] if path.is_dir() else [path]
    return {f.name: f.read_bytes() for f in files}


def _check_reachable(address: str) -> None:
    """Raise ClusterError unless something listens at ``address`` (``host:port`` or ``ray://host:port``)."""
    parts = urlsplit(address if "://" in address else f"//{address}")
    default = _CLIENT_PORT if parts.scheme == "ray" else _GCS_PORT
    try:
        host, port = parts.hostname, parts.port or default
    except ValueError as exc:
        raise ClusterError(f"'{address}' is not a Ray address (HOST:PORT or ray://HOST:PORT)") from exc
    if not host:
        raise ClusterError(f"'{address}' is not a Ray address (HOST:PORT or ray://HOST:PORT)")
    try:
        with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S):
            pass
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise ClusterError(
            f"Cannot reach the Ray cluster at '{address}': {reason}. Start one with 'ray start --head' "
            f"and pass the address it prints"
        ) from exc


def _import(name: str):
    """Import a module of the ``cluster`` extra, or raise ClusterError saying how to install it."""
    import importlib

    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise ClusterError(
            f"--ray needs the cluster extra: pip install -e '.[cluster]' ({exc.name or name} is missing)"
        ) from exc

