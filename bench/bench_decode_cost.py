"""What a file under 1 MB may cost to refuse or decode (not a test): the issue-28 target is 1.5 GB and 10 s at most.

Run: ``.venv/bin/python bench/bench_decode_cost.py [--only NAME ...]``. Each file is read as a photo (and, with
``--masks``, as a mask) in a fresh interpreter, as the decoder child reads it, and the table gives its size, the
outcome (the refusal's reason, or the pixels decoded), the reading process's wall time and peak memory (VmHWM:
interpreter, numpy and OpenCV included, about 40 MB). Two kinds of file:

- **the probe's files**: the crafted files of issue 28 that cost 2-18 GB or minutes before the byte budget (made
  by ``tests/fuzz_support.py``'s generators, as ``tests/test_decode_budget.py`` makes them), and the APNGs that
  crashed OpenCV;
- **the most a small file may honestly ask for**: flat pictures at the limits (250 MP, the 1 GiB decode budget)
  whose compressed bytes still fit under 1 MB: what a file that passes every rule can cost.
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile
import textwrap
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

import fuzz_support  # noqa: E402

from cutout_app.core.files.headers import MAX_JPEG_SCANS  # noqa: E402
from cutout_app.core.table import format_table  # noqa: E402

#: The issue's limits for a file under 1 MB.
LIMIT_MB, LIMIT_S = 1536, 10.0

_READ = textwrap.dedent(
    """
    import json, sys, time
    began = time.perf_counter()
    from cutout_app.core.errors import ImageReadError
    from cutout_app.core.files import read_image, read_mask
    try:
        result = (read_mask if sys.argv[2] == "mask" else read_image)(sys.argv[1])
        pixels = getattr(result, "pixels", result)
        outcome = {"ok": True, "what": f"{pixels.shape[1]}x{pixels.shape[0]}x{pixels.shape[2] if pixels.ndim == 3 else 1} "
                                       f"{pixels.dtype}, {pixels.nbytes / 2**20:.0f} MB"}
    except ImageReadError as exc:
        outcome = {"ok": False, "what": exc.reason}
    outcome["seconds"] = time.perf_counter() - began
    status = open("/proc/self/status").read()
    outcome["peak_mb"] = int([l.split()[1] for l in status.splitlines() if l.startswith("VmHWM:")][0]) / 1024
    print(json.dumps(outcome))
    """
)


def _png(width: int, height: int, colour: int, bits: int = 8) -> bytes:
    """A flat PNG of zeros (filter 0 rows), deflated at level 9 a row at a time."""
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
    row = bytes(1 + width * channels * bits // 8)
    deflate = zlib.compressobj(9)
    idat = b"".join(deflate.compress(row) for _ in range(height)) + deflate.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, bits, colour, 0, 0, 0)
    return fuzz_support.png_from_chunks([(b"IHDR", ihdr), (b"IDAT", idat), (b"IEND", b"")])


def _webp_lossless(width: int, height: int) -> bytes | None:
    import cv2
    import numpy as np

    ok, data = cv2.imencode(".webp", np.zeros((height, width, 3), np.uint8), [cv2.IMWRITE_WEBP_QUALITY, 101])
    return data.tobytes() if ok else None


def _jpeg(width: int, height: int) -> bytes | None:
    import cv2
    import numpy as np

    ok, data = cv2.imencode(".jpg", np.zeros((height, width, 3), np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 50])
    return data.tobytes() if ok else None


def cases() -> dict[str, tuple[str, object]]:
    """name -> (kind, a function that makes the file's bytes)."""
    png16 = [(b"IHDR", (16_000).to_bytes(4, "big") + (15_600).to_bytes(4, "big") + bytes([16, 6, 0, 0, 0])),
             (b"IDAT", bytes(900_000)), (b"IEND", b"")]  # fmt: skip
    made: dict[str, tuple[str, object]] = {
        "shared-tiles-f64.tiff": ("probe", lambda: fuzz_support.tiled_tiff(15_360, 15_360, (256, 256), 64, 4, 3, shared=True)),
        "shared-tiles-f32.tiff": ("probe", lambda: fuzz_support.tiled_tiff(15_360, 15_360, (256, 256), 32, 4, 3, shared=True)),
        "shared-tiles-u16.tiff": ("probe", lambda: fuzz_support.tiled_tiff(15_360, 15_360, (256, 256), 16, 4, 1, shared=True)),
        "tiles-f64.tiff": ("probe", lambda: fuzz_support.tiled_tiff(15_360, 15_360, (256, 256), 64, 4, 3, tile_bytes=1)),
        "huge-tile-1x1.tiff": ("probe", lambda: fuzz_support.tiled_tiff(1, 1, (16, 1 << 24))),
        "animated-canvas.webp": ("probe", lambda: fuzz_support.animated_webp_canvas(16_384, 15_000)),
        "progressive-cmyk.jpg": ("probe", lambda: fuzz_support.jpeg_frame_only(16_000, 15_600, components=4)),
        "10000-empty-scans.jpg": ("probe", lambda: fuzz_support.jpeg_frame_only(64, 64, scans=10_000)),
        f"{MAX_JPEG_SCANS}-empty-scans.jpg": ("probe", lambda: fuzz_support.jpeg_frame_only(64, 64, scans=MAX_JPEG_SCANS)),
        "rgba16-900kb.png": ("probe", lambda: fuzz_support.png_from_chunks(png16)),
        "rgb8-250mp.png": ("most", lambda: _png(15_800, 15_800, 2)),
        "gray8-250mp.png": ("most", lambda: _png(15_800, 15_800, 0)),
        "rgba8-250mp.png": ("most", lambda: _png(15_800, 15_800, 6)),
        "rgb16-178mp.png": ("most", lambda: _png(13_300, 13_400, 2, 16)),
        "tiled-rgb8-250mp.tiff": ("most", lambda: fuzz_support.tiled_tiff(15_800, 15_800, (256, 256), 8, 3)),
        "lossless-250mp.webp": ("most", lambda: _webp_lossless(16_383, 15_250)),
        "flat-250mp.jpg": ("most", lambda: _jpeg(15_800, 15_800)),
    }
    made.update({f"apng-crasher-{name}": ("probe", (lambda data=data: data))
                 for name, data in fuzz_support.apng_crashers().items()})
    return made


def read(path: Path, kind: str) -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    began = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _READ, str(path), kind], capture_output=True, text=True, env=env,
                          timeout=600)  # fmt: skip
    if proc.returncode != 0:
        return {"ok": False, "what": f"the reader died ({proc.returncode})", "seconds": time.perf_counter() - began,
                "peak_mb": 0.0}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=None, help="names of the files to read (default: all)")
    parser.add_argument("--masks", action="store_true", help="read each as a mask too")
    args = parser.parse_args()
    rows, worst = [], {"mb": 0.0, "s": 0.0}
    with tempfile.TemporaryDirectory() as tmp:
        for name, (group, make) in cases().items():
            if args.only and name not in args.only:
                continue
            data = make()  # type: ignore[operator]
            if data is None:
                continue
            path = Path(tmp) / name
            path.write_bytes(data)
            size = len(data)
            for kind in ("photo", "mask") if args.masks else ("photo",):
                outcome = read(path, kind)
                under = size < 1 << 20
                if under:
                    worst["mb"], worst["s"] = max(worst["mb"], outcome["peak_mb"]), max(worst["s"], outcome["seconds"])
                verdict = "-" if not under else ("yes" if outcome["peak_mb"] <= LIMIT_MB and outcome["seconds"] <= LIMIT_S
                                                 else "NO")
                rows.append([name, group, kind, f"{size / 1024:,.1f}", ("decoded " if outcome["ok"] else "refused: ")
                             + str(outcome["what"])[:70], f"{outcome['seconds']:.2f}", f"{outcome['peak_mb']:.0f}", verdict])
            path.unlink()
    print(format_table(["file", "kind", "read as", "KB", "outcome", "s", "peak MB", f"<= {LIMIT_MB} MB, {LIMIT_S:g} s"], rows))
    print(f"worst file under 1 MB: {worst['mb']:.0f} MB, {worst['s']:.2f} s")
    return 0 if all(row[-1] != "NO" for row in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
