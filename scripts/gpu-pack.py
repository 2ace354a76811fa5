"""Pack the training sets for the GPU machine: one tar stream split into .gpack0, .gpack1, ... of 44 MiB.

A `run` there takes 64 MiB in all, the checkout's ~17 MiB included, and many small files cost more than
their bytes, so the pairs travel as one tar stream cut into chunks (ccp-people's photos resized to a long
side of 480 px, which the S 320 training never exceeds by much). The folders are listed in
.git/info/exclude. See scripts/gpu-train.sh for the commands on the machine.

    .venv/bin/python scripts/gpu-pack.py [DATA_ROOT]     # default ../shared/datasets
"""

from __future__ import annotations

import io
import shutil
import sys
import tarfile
from pathlib import Path

import cv2

ROOT = Path(__file__).resolve().parents[1]
CHUNK = 44 * 2**20
PEOPLE_LONG_SIDE = 480


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def pack(data_root: Path) -> bytes:
    """duts-tr and ccp-people as tar bytes (every image with a mask, masks as PNG), and ccp-parts' label maps
    at the size of their (resized) ccp-people photos, with labels.txt."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        parts = data_root / "ccp-parts"
        if (parts / "labels").is_dir():
            _add(tar, "ccp-parts/labels.txt", (parts / "labels.txt").read_bytes())
            for labels in sorted((parts / "labels").iterdir()):
                m = cv2.imread(str(labels), cv2.IMREAD_GRAYSCALE)
                k = PEOPLE_LONG_SIDE / max(m.shape[:2])
                size = (round(m.shape[1] * k), round(m.shape[0] * k))
                small = cv2.resize(m, size, interpolation=cv2.INTER_NEAREST)  # labels stay labels
                _add(tar, f"ccp-parts/labels/{labels.name}", cv2.imencode(".png", small)[1].tobytes())
        for name in ("ccp-people", "duts-tr"):
            for image in sorted((data_root / name / "images").iterdir()):
                mask = data_root / name / "masks" / f"{image.stem}.png"
                if not mask.exists():
                    continue
                if name == "ccp-people":
                    rgb, m = cv2.imread(str(image)), cv2.imread(str(mask), cv2.IMREAD_GRAYSCALE)
                    k = PEOPLE_LONG_SIDE / max(rgb.shape[:2])
                    size = (round(rgb.shape[1] * k), round(rgb.shape[0] * k))
                    photo = cv2.imencode(".jpg", cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), [cv2.IMWRITE_JPEG_QUALITY, 88])[1]
                    _add(tar, f"{name}/images/{image.stem}.jpg", photo.tobytes())
                    _add(tar, f"{name}/masks/{mask.name}", cv2.imencode(".png", cv2.resize(m, size, interpolation=cv2.INTER_AREA))[1].tobytes())
                else:
                    _add(tar, f"{name}/images/{image.name}", image.read_bytes())
                    _add(tar, f"{name}/masks/{mask.name}", mask.read_bytes())
    return buffer.getvalue()


def main() -> None:
    data = pack(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "datasets")
    for old in ROOT.glob(".gpack*"):
        shutil.rmtree(old)
    for i, start in enumerate(range(0, len(data), CHUNK)):
        folder = ROOT / f".gpack{i}"
        folder.mkdir()
        (folder / f"gchunk{i}").write_bytes(data[start : start + CHUNK])
        print(f"{folder.name}: {min(CHUNK, len(data) - start) / 2**20:.1f} MiB")
    exclude = ROOT / ".git" / "info" / "exclude"
    listed = exclude.read_text(encoding="utf-8").splitlines() if exclude.exists() else []
    if "/.gpack*/" not in listed:
        exclude.parent.mkdir(parents=True, exist_ok=True)
        with exclude.open("a", encoding="utf-8") as f:
            f.write("/.gpack*/\n")

if __name__ == "__main__":
    main()
