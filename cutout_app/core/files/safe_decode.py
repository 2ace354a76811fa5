"""Decoding untrusted photos in a child process, so that a decoder crash fails one file, not the app.

Image decoders are C code; a damaged file can make one crash the whole process (SIGSEGV) or spin for
ever. :class:`DecoderProcess` keeps one child Python process that runs :func:`imageio.read_image` (or
:func:`imageio.read_mask`) on request: a crash or a hang becomes an :class:`ImageReadError` for that
file ("the image decoder crashed"), and the next file gets a fresh child. The child's stderr (libpng
warnings and the like) is kept from the user's terminal; its last lines only appear when the child
cannot start at all. A read can be cancelled from another thread (the window's Cancel): the child is
killed at once.

The decoded pixels come back through the child's output pipe, read straight into the parent's array: the
parent never holds the compressed file nor a second copy of the pixels, and no file is ever written,
so nothing is left behind when either process is killed. The child dies with its parent: it watches its
request pipe for the parent's end closing (and on Linux also asks the kernel for SIGKILL when its parent
goes), so a ``kill -9`` of cutout leaves no decoder running.

Protocol: the child says ``{"ready": true}``, then answers each ``{"path": ..., "kind": "photo"|"mask"|"labels"}``
(one JSON object per line) with ``{"ok": true, "shape": [...], "dtype": "uint8", "icc": ..., "bytes": N}``
followed by the N bytes of the pixels, or with ``{"ok": false, "reason": "..."}``.
"""

from __future__ import annotations

import collections
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import cutout_app
from cutout_app.core.errors import Cancelled, ImageReadError

if TYPE_CHECKING:  # numpy and OpenCV load when the first photo comes back: the child starts sooner
    import numpy as np

    from cutout_app.core.files.imageio import Photo
    from cutout_app.core.progress import CancelToken

#: The reason given for a file whose decoding killed the decoder process.
DECODER_CRASHED = "the image decoder crashed"

#: Seconds one file may take to decode before the child is killed (a 250 MP PNG takes well under 60 s).
DECODE_TIMEOUT_S = 300.0

_START_TIMEOUT_S = 60.0
_STDERR_LINES = 20
#: How often a waiting read looks at its cancel token.
_CANCEL_POLL_S = 0.05
#: The pipe buffer asked for (Linux): pixels pass in fewer, larger writes.
_PIPE_BYTES = 1 << 20


class DecoderProcess:
    """A child process that decodes photos for :meth:`read`; restarted after each crash or hang.

    Use as a context manager (or call :meth:`close`). Not thread-safe: one caller at a time.
    """

    def __init__(self, timeout: float = DECODE_TIMEOUT_S) -> None:
        self.timeout = timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self._ready = False  # the child said it is ready
        self._pending: tuple[Path, str] | None = None  # a request sent but not collected: (file, kind)
        self._replies: queue.Queue[tuple[dict[str, Any], Any] | None] = queue.Queue()
        self._stderr: collections.deque[str] = collections.deque(maxlen=_STDERR_LINES)

    def __enter__(self) -> DecoderProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def pid(self) -> int | None:
        """The child's process id while it runs, else None."""
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    def start(self) -> None:
        """Start the child now and return at once: it gets ready while the caller loads a model.

        A child that cannot start is reported by the next :meth:`read`, which tries again.
        """
        try:
            self._ensure_started(Path("."))
        except ImageReadError:
            pass

    def prefetch(self, path: str | Path) -> None:
        """Start decoding ``path`` now (starting the child if needed) and return at once.

        The next :meth:`read` of the same path collects the result, so a caller that loads a model
        meanwhile pays for neither the child's start nor the decoding in wall time.
        """
        path = Path(path)
        self._collect_pending()
        self._submit(path, "photo")
        self._pending = (path, "photo")

    def read(self, path: str | Path, cancel: CancelToken | None = None) -> Photo:
        """Read ``path`` like :func:`cutout_app.core.files.imageio.read_image`, in the child process.

        Raises :class:`ImageReadError` for every problem with the file, including a decoder crash
        (reason :data:`DECODER_CRASHED`) or a decode that takes longer than ``timeout`` seconds, and
        :class:`~cutout_app.core.errors.Cancelled` when ``cancel`` is set meanwhile (the child is killed).
        """
        from cutout_app.core.files.imageio import Photo

        reply, pixels = self._request(Path(path), "photo", cancel)
        return Photo(pixels, Path(path), bytes.fromhex(reply["icc"]) if reply.get("icc") else None)

    def read_mask(self, path: str | Path, cancel: CancelToken | None = None) -> np.ndarray:
        """Read a ground-truth mask like :func:`cutout_app.core.files.imageio.read_mask`, in the child process,
        with the same limits and errors as :meth:`read`."""
        _, pixels = self._request(Path(path), "mask", cancel)
        return pixels

    def read_labels(self, path: str | Path, cancel: CancelToken | None = None) -> np.ndarray:
        """Read a label map like :func:`cutout_app.core.files.imageio.read_labels` (values as stored), in the child
        process, with the same limits and errors as :meth:`read`."""
        _, pixels = self._request(Path(path), "labels", cancel)
        return pixels

    def _request(self, path: Path, kind: str, cancel: CancelToken | None) -> tuple[dict[str, Any], Any]:
        """Send (or find prefetched) the request for ``path`` and collect the reply and its pixels."""
        if self._pending != (path, kind):
            self._collect_pending()
            self._submit(path, kind)
        self._pending = None
        return self._collect(path, cancel)

    def _submit(self, path: Path, kind: str) -> None:
        """Send the request for ``path`` (starting the child if needed)."""
        proc = self._ensure_started(path)
        self._send(proc, {"path": os.fsdecode(path), "kind": kind})

    def _collect(self, path: Path, cancel: CancelToken | None = None) -> tuple[dict[str, Any], Any]:
        """The reply to the request for ``path`` and its pixels."""
        proc = self._proc
        self._await_ready(path, cancel)
        answer = self._receive(self.timeout, cancel)
        if answer is None:
            assert proc is not None
            raise ImageReadError(path, self._failure_reason(proc))
        reply, pixels = answer
        if not reply.get("ok"):
            raise ImageReadError(path, str(reply.get("reason", "unknown error")))
        if pixels is None:
            raise ImageReadError(path, "not enough memory to decode the image")
        return reply, pixels

    def _collect_pending(self) -> None:
        """Collect and drop a prefetched photo that was not read (its reply must not answer the next request)."""
        if self._pending is not None:
            path, _ = self._pending
            self._pending = None
            try:
                self._collect(path)
            except ImageReadError:
                pass

    def close(self) -> None:
        """Stop the child process (a later :meth:`read` starts a new one)."""
        proc, self._proc = self._proc, None
        if proc is not None:
            # Killed, not asked to exit: it holds nothing to save, and its interpreter's orderly exit
            # took 35 ms, a twentieth of a small photo's cut-out.
            self._kill(proc)
            if proc.stdin is not None:
                proc.stdin.close()  # its output pipes end with it, and their reader threads
        self._pending = None

    # ------------------------------------------------------------------ internals
    def _ensure_started(self, path: Path) -> subprocess.Popen[bytes]:
        if self._proc is not None and self._proc.poll() is None:
            return self._proc
        self._proc = None
        self._replies = queue.Queue()
        self._stderr.clear()
        env = dict(os.environ)
        package_root = str(Path(cutout_app.__file__).resolve().parents[1])
        # Only absolute entries: an empty or relative one would put the current folder on the child's path,
        # and with it any json.py or numpy.py that lies there (-P keeps the folder off it otherwise).
        inherited = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if os.path.isabs(p)]
        env["PYTHONPATH"] = os.pathsep.join([package_root, *inherited])
        env["CUTOUT_DECODER_PARENT"] = str(os.getpid())
        try:
            proc = subprocess.Popen(
                [sys.executable, "-P", "-m", "cutout_app.core.files.safe_decode"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
            )
        except OSError as exc:
            raise ImageReadError(path, f"the image decoder could not start ({exc.strerror or exc})") from exc
        assert proc.stdout is not None and proc.stderr is not None
        threading.Thread(target=_pump_replies, args=(proc.stdout, self._replies), daemon=True).start()
        threading.Thread(target=_pump_lines, args=(proc.stderr, self._stderr), daemon=True).start()
        self._proc, self._ready = proc, False
        return proc

    def _await_ready(self, path: Path, cancel: CancelToken | None = None) -> None:
        """Wait for a child just started to say it is ready (requests wait in its pipe meanwhile)."""
        if self._ready:
            return
        proc = self._proc
        assert proc is not None
        answer = self._receive(_START_TIMEOUT_S, cancel)
        hello = answer[0] if answer is not None else None
        if not (hello and hello.get("ready")):
            self._kill(proc)
            tail = " | ".join(self._stderr) or f"exit status {proc.returncode}"
            raise ImageReadError(path, f"the image decoder could not start ({tail})")
        self._ready = True

    def _send(self, proc: subprocess.Popen[bytes], message: dict[str, Any]) -> None:
        assert proc.stdin is not None
        try:
            proc.stdin.write(json.dumps(message).encode("ascii") + b"\n")
            proc.stdin.flush()
        except OSError:
            pass  # the child is gone: _receive sees the end of its output

    def _receive(self, timeout: float, cancel: CancelToken | None = None) -> tuple[dict[str, Any], Any] | None:
        """The next reply and its pixels; None if the child died or said nothing for ``timeout`` seconds.

        Raises Cancelled (after killing the child) once ``cancel`` is set.
        """
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                return self._replies.get(timeout=max(0.0, min(left, _CANCEL_POLL_S if cancel else left)))
            except queue.Empty:
                pass
            if cancel is not None and cancel.cancelled:
                if self._proc is not None:
                    self._kill(self._proc)
                self._pending = None
                raise Cancelled("Cancelled by the user")
            if time.monotonic() >= deadline:
                return None

    def _failure_reason(self, proc: subprocess.Popen[bytes]) -> str:
        """Why no reply came (the child died or hangs); the child is gone afterwards."""
        try:
            code = proc.wait(timeout=1)
        except subprocess.TimeoutExpired:
            self._kill(proc)
            return f"the image decoder did not finish within {self.timeout:g} s"
        self._proc = None
        if code < 0:
            try:
                return f"{DECODER_CRASHED} ({signal.Signals(-code).name})"
            except ValueError:
                pass
        return f"{DECODER_CRASHED} (exit status {code})"

    def _kill(self, proc: subprocess.Popen[bytes]) -> None:
        proc.kill()
        proc.wait()
        if self._proc is proc:
            self._proc = None


def read_image_protected(path: str | Path, timeout: float = DECODE_TIMEOUT_S, cancel: CancelToken | None = None) -> Photo:
    """Read one photo in a fresh child process: for the window's File > Open and other one-off reads.

    Same result and errors as :func:`cutout_app.core.files.imageio.read_image`, except that a crashing or
    hanging decoder raises :class:`ImageReadError` instead of taking the caller down, and ``cancel``
    stops it (Cancelled).
    """
    with DecoderProcess(timeout) as decoder:
        return decoder.read(path, cancel)


def _pump_replies(stream: IO[bytes], replies: queue.Queue[tuple[dict[str, Any], Any] | None]) -> None:
    """Turn the child's output into (reply, pixels) pairs; None at its end. Pixels that cannot be held
    (no memory) are read past and come as None."""
    while line := stream.readline():
        try:
            reply = json.loads(line)
        except ValueError:
            continue
        size = int(reply.get("bytes", 0)) if reply.get("ok") else 0
        pixels = None
        if size:
            try:
                pixels = _read_pixels(stream, reply["shape"], reply["dtype"], size)
            except EOFError:
                break
        replies.put((reply, pixels))
    replies.put(None)


def _read_pixels(stream: IO[bytes], shape: list[int], dtype: str, size: int) -> Any:
    """An array of ``shape`` and ``dtype`` filled from ``size`` bytes of ``stream``; None (the bytes read
    past) when it cannot be allocated. EOFError when the stream ends first."""
    import numpy as np

    try:
        pixels = np.empty(shape, np.dtype(dtype))
        if pixels.nbytes != size:
            raise ValueError("the size does not match the shape")
        view = memoryview(pixels).cast("B")
    except (MemoryError, ValueError, TypeError):
        pixels, view = None, memoryview(bytearray(min(size, 1 << 20)))
    done = 0
    while done < size:
        chunk = view[done : done + min(size - done, 1 << 24)] if pixels is not None else view[: min(size - done, len(view))]
        got = stream.readinto(chunk)  # type: ignore[attr-defined]
        if not got:
            raise EOFError
        done += got
    return pixels


def _pump_lines(stream: IO[bytes], lines: collections.deque[str]) -> None:
    for line in stream:
        lines.append(line.decode("utf-8", "replace").rstrip())


def _die_with_parent() -> None:
    """End this child when the parent ends, even by ``kill -9``: a thread waits for the request pipe's far end
    to close (its hang-up, without reading requests), and on Linux the kernel is asked for SIGKILL too."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    parent = os.environ.get("CUTOUT_DECODER_PARENT")
    if parent and str(os.getppid()) != parent:
        os._exit(1)  # the parent went before the request above took effect
    try:
        import select

        poller = select.poll()
        poller.register(sys.stdin.fileno(), 0)  # hang-up and errors only: requests are left to the main loop
    except (AttributeError, OSError, ValueError):
        return

    def watch() -> None:
        while True:
            for _, event in poller.poll():
                if event & (select.POLLHUP | select.POLLERR | select.POLLNVAL):
                    os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _serve() -> None:
    """The child's loop: decode each requested file until stdin closes."""
    _die_with_parent()
    # Replies go to a private copy of stdout; anything else printed to fd 1 lands on stderr instead.
    out = os.dup(1)
    try:
        import fcntl

        fcntl.fcntl(out, 1031, _PIPE_BYTES)  # F_SETPIPE_SZ
    except (ImportError, OSError, AttributeError):
        pass
    replies = os.fdopen(out, "wb")
    os.dup2(2, 1)
    from cutout_app.core.files import imageio

    replies.write(json.dumps({"ready": True}).encode("ascii") + b"\n")
    replies.flush()
    for line in sys.stdin:
        request = json.loads(line)
        pixels = None
        try:
            if request.get("kind") == "mask":
                pixels, icc = imageio.read_mask(request["path"]), None
            elif request.get("kind") == "labels":
                pixels, icc = imageio.read_labels(request["path"]), None
            else:
                photo = imageio.read_image(request["path"])
                pixels, icc = photo.pixels, photo.icc_profile
                photo = None
            import numpy as np

            pixels = np.ascontiguousarray(pixels)
            reply = {"ok": True, "shape": list(pixels.shape), "dtype": pixels.dtype.name,
                     "icc": icc.hex() if icc else None, "bytes": pixels.nbytes}
        except ImageReadError as exc:
            reply = {"ok": False, "reason": exc.reason}
        except Exception as exc:  # noqa: BLE001 - any other failure is this file's failure
            reply = {"ok": False, "reason": f"{type(exc).__name__}: {exc}"}
        replies.write(json.dumps(reply).encode("ascii") + b"\n")
        if reply["ok"]:
            replies.write(memoryview(pixels).cast("B"))
        replies.flush()
        pixels = None  # free the pixels before waiting for the next request


if __name__ == "__main__":
    _serve()
