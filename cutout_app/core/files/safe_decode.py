"""Decoding untrusted photos in a child process, so that a decoder crash fails one file, not the app.

Image decoders are C code; a damaged file can make one crash the whole process (SIGSEGV) or spin for
ever. :class:`DecoderProcess` keeps one child Python process that runs :func:`imageio.read_image` on
request: a crash or a hang becomes an :class:`ImageReadError` for that file ("the image decoder
crashed"), and the next file gets a fresh child. The child's stderr (libpng warnings and the like) is
kept from the user's terminal; its last lines only appear when the child cannot start at all.

The decoded pixels come back through a temporary file, read straight into the parent's array, so the
parent never holds the compressed file nor a second copy of the pixels.

Protocol (one JSON object per line): the child says ``{"ready": true}``, then answers each
``{"path": ..., "out": ...}`` with ``{"ok": true, "shape": [...], "dtype": "uint8"}`` (pixels written
raw to ``out``) or ``{"ok": false, "reason": "..."}``.
"""

from __future__ import annotations

import collections
import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import cutout_app
from cutout_app.core.errors import ImageReadError

if TYPE_CHECKING:  # numpy and OpenCV load when the first photo comes back: the child starts sooner
    from cutout_app.core.files.imageio import Photo

#: The reason given for a file whose decoding killed the decoder process.
DECODER_CRASHED = "the image decoder crashed"

#: Seconds one file may take to decode before the child is killed (a 250 MP PNG takes well under 60 s).
DECODE_TIMEOUT_S = 300.0

_START_TIMEOUT_S = 60.0
_STDERR_LINES = 20


class DecoderProcess:
    """A child process that decodes photos for :meth:`read`; restarted after each crash or hang.

    Use as a context manager (or call :meth:`close`). Not thread-safe: one caller at a time.
    """

    def __init__(self, timeout: float = DECODE_TIMEOUT_S) -> None:
        self.timeout = timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self._ready = False  # the child said it is ready
        self._pending: tuple[Path, str] | None = None  # a request sent but not collected: (photo, pixel file)
        self._replies: queue.Queue[dict[str, Any] | None] = queue.Queue()
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
        self._pending = (path, self._submit(path))

    def read(self, path: str | Path) -> Photo:
        """Read ``path`` like :func:`cutout_app.core.files.imageio.read_image`, in the child process.

        Raises :class:`ImageReadError` for every problem with the file, including a decoder crash
        (reason :data:`DECODER_CRASHED`) or a decode that takes longer than ``timeout`` seconds.
        """
        path = Path(path)
        if self._pending is None or self._pending[0] != path:
            self._collect_pending()
            self._pending = (path, self._submit(path))
        _, out = self._pending
        self._pending = None
        return self._collect(path, out)

    def _submit(self, path: Path) -> str:
        """Send the request for ``path`` (starting the child if needed); the name of the pixel file it writes."""
        proc = self._ensure_started(path)
        fd, out = tempfile.mkstemp(prefix="cutout-pixels-", suffix=".raw")
        os.close(fd)
        self._send(proc, {"path": os.fsdecode(path), "out": out})
        return out

    def _collect(self, path: Path, out: str) -> Photo:
        """The reply to the request for ``path``; the pixel file ``out`` is removed."""
        import numpy as np

        from cutout_app.core.files.imageio import Photo

        try:
            proc = self._proc
            self._await_ready(path)
            reply = self._receive(self.timeout)
            if reply is None:
                assert proc is not None
                raise ImageReadError(path, self._failure_reason(proc))
            if not reply.get("ok"):
                raise ImageReadError(path, str(reply.get("reason", "unknown error")))
            try:
                pixels = np.fromfile(out, dtype=np.dtype(reply["dtype"])).reshape(reply["shape"])
            except MemoryError:
                raise ImageReadError(path, "not enough memory to decode the image") from None
            except (OSError, ValueError) as exc:
                raise ImageReadError(path, f"the decoded pixels could not be passed on ({exc})") from None
        finally:
            try:
                os.unlink(out)
            except OSError:
                pass
        return Photo(pixels, path, bytes.fromhex(reply["icc"]) if reply.get("icc") else None)

    def _collect_pending(self) -> None:
        """Collect and drop a prefetched photo that was not read (its reply must not answer the next request)."""
        if self._pending is not None:
            path, out = self._pending
            self._pending = None
            try:
                self._collect(path, out)
            except ImageReadError:
                pass

    def close(self) -> None:
        """Stop the child process (a later :meth:`read` starts a new one)."""
        proc, self._proc = self._proc, None
        if proc is not None:
            # Killed, not asked to exit: it holds nothing to save, and its interpreter's orderly exit
            # took 35 ms, a twentieth of a small photo's cut-out. Killed before its pixel file is removed,
            # so that it cannot write that file again.
            self._kill(proc)
            if proc.stdin is not None:
                proc.stdin.close()  # its output pipes end with it, and their reader threads
        if self._pending is not None:
            _, out = self._pending
            self._pending = None
            try:
                os.unlink(out)
            except OSError:
                pass

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

    def _await_ready(self, path: Path) -> None:
        """Wait for a child just started to say it is ready (requests wait in its pipe meanwhile)."""
        if self._ready:
            return
        proc = self._proc
        assert proc is not None
        hello = self._receive(_START_TIMEOUT_S)
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

    def _receive(self, timeout: float) -> dict[str, Any] | None:
        """The next reply; None if the child died or said nothing for ``timeout`` seconds."""
        try:
            return self._replies.get(timeout=timeout)
        except queue.Empty:
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


def read_image_protected(path: str | Path, timeout: float = DECODE_TIMEOUT_S) -> Photo:
    """Read one photo in a fresh child process: for the window's File > Open and other one-off reads.

    Same result and errors as :func:`cutout_app.core.files.imageio.read_image`, except that a crashing or
    hanging decoder raises :class:`ImageReadError` instead of taking the caller down.
    """
    with DecoderProcess(timeout) as decoder:
        return decoder.read(path)


def _pump_replies(stream: IO[bytes], replies: queue.Queue[dict[str, Any] | None]) -> None:
    for line in stream:
        try:
            replies.put(json.loads(line))
        except ValueError:
            continue
    replies.put(None)


def _pump_lines(stream: IO[bytes], lines: collections.deque[str]) -> None:
    for line in stream:
        lines.append(line.decode("utf-8", "replace").rstrip())


def _serve() -> None:
    """The child's loop: decode each requested file until stdin closes."""
    # Replies go to a private copy of stdout; anything else printed to fd 1 lands on stderr instead.
    replies = os.fdopen(os.dup(1), "w", encoding="ascii")
    os.dup2(2, 1)
    from cutout_app.core.files import imageio

    replies.write(json.dumps({"ready": True}) + "\n")
    replies.flush()
    for line in sys.stdin:
        request = json.loads(line)
        try:
            photo = imageio.read_image(request["path"])
            photo.pixels.tofile(request["out"])
            reply = {"ok": True, "shape": list(photo.pixels.shape), "dtype": photo.pixels.dtype.name,
                     "icc": photo.icc_profile.hex() if photo.icc_profile else None}
        except ImageReadError as exc:
            reply = {"ok": False, "reason": exc.reason}
        except OSError as exc:
            reply = {"ok": False, "reason": f"the decoded pixels could not be passed on ({exc.strerror or exc})"}
        except Exception as exc:  # noqa: BLE001 - any other failure is this file's failure
            reply = {"ok": False, "reason": f"{type(exc).__name__}: {exc}"}
        photo = None  # free the pixels before waiting for the next request
        replies.write(json.dumps(reply) + "\n")
        replies.flush()


if __name__ == "__main__":
    _serve()
