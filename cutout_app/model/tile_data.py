"""The tiled nets' training data (refiner and plain U-Nets): pairs decoded once, random tiles, validation tiles.

Training tiles are random crops of ``tile_size`` at a random scale (0.5-1.5x), flipped; with a
valid-padded U-Net the target is the centre of the mask that the output covers. For the refiner a
fourth channel holds a coarse mask made by degrading the true one (``model.degrade``), as the global
pass's upsampled probability will be at run time, or, given the trained global net, that net's own
probability for the photo, computed once when the photos are decoded: in automatic mode, and with
``clicks`` also after a first keep click (a fifth channel), and resampled down by one of ``scales`` and
back up, as the global net's 320 px answer is upsampled on a photo that many times larger. Given a
portrait matting teacher (``model.teacher``), the masks of the photos it is asked for become soft targets
then too. The loader's workers only crop and resize uint8 pixels.
Photos and masks are decoded in decoder children (``core.files.DecoderPool``: one per reading thread), with the
limits of a photo the window opens: a hostile file in a training folder is that file's error, never the run's.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from cutout_app.core.datasets import Pair
from cutout_app.core.errors import ImageReadError
from cutout_app.core.files import DecoderPool
from cutout_app.core.inference import GlobalNet
from cutout_app.core.inference.clicks import next_click
from cutout_app.model.degrade import degrade_mask
from cutout_app.model.teacher import PortraitTeacher, soft_target

#: Training tiles are cut at a random scale in this range.
SCALE_RANGE = (0.5, 1.5)


#: The decoder children of this process's reads outside :func:`read_all` and :func:`load_set` (a data-loader worker's).
_SHARED = DecoderPool()


def read_pair(pair: Pair, decoders: DecoderPool | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The pair's RGB uint8 photo and uint8 mask, decoded in ``decoders``' children (default: this process's own);
    raises :class:`ImageReadError` for a file that cannot be read, or if they differ in size."""
    decoders = decoders or _SHARED
    rgb = np.ascontiguousarray(decoders.read(pair.image).rgb8())
    mask = decoders.read_mask(pair.mask)
    if mask.shape != rgb.shape[:2]:
        raise ImageReadError(pair.mask, f"mask is {mask.shape[1]}x{mask.shape[0]} but its photo is {rgb.shape[1]}x{rgb.shape[0]}")
    return rgb, mask


@dataclass(frozen=True)
class Teaching:
    """Soft targets: ``teacher``'s alpha around the outline (:func:`~cutout_app.model.teacher.soft_target`) for
    the pairs of the data folders named in ``sets``."""

    teacher: PortraitTeacher
    sets: frozenset[str]

    def applies(self, pair: Pair) -> bool:
        """Whether ``pair`` (its key is ``folder/stem``) gets a soft target."""
        return pair.key.split("/", 1)[0] in self.sets


def read_all(pairs: Sequence[Pair], threads: int, global_net: GlobalNet | None = None, clicks: bool = False,
             teaching: Teaching | None = None) -> list[tuple[np.ndarray, np.ndarray]]:  # fmt: skip
    """Every pair decoded (``threads`` at a time); with ``global_net`` the photo gets a fourth channel, the
    global net's probability for it (automatic mode, at the photo's size, 0..255), and with ``clicks`` a fifth:
    its probability after a keep click at the subject's most interior point (the click simulator's first).
    With ``teaching`` the masks of the pairs it applies to become soft targets."""

    def read(pair: Pair) -> tuple[np.ndarray, np.ndarray]:
        rgb, mask = read_pair(pair, decoders)
        if teaching is not None and teaching.applies(pair):
            mask = soft_target(mask, teaching.teacher.alpha(rgb))
        if global_net is None:
            return rgb, mask
        planes = [rgb, _plane(global_net.predict(rgb).upsampled())]
        if clicks:
            click = next_click(np.zeros_like(mask), mask)
            planes.append(_plane(global_net.predict(rgb, [click]).upsampled()) if click is not None else planes[1])
        return np.dstack(planes), mask

    with DecoderPool() as decoders, ThreadPoolExecutor(max(1, threads)) as pool:
        return list(pool.map(read, pairs))


def _plane(prob: np.ndarray) -> np.ndarray:
    """A probability (float, 0..1) as a uint8 plane."""
    return np.clip(prob * 255.0 + 0.5, 0, 255).astype(np.uint8)


class DecodedCache:
    """Decoded pairs packed into one raw file that every loader process maps read-only.

    Photos are decoded once; the operating system's page cache then holds one copy that all
    workers share, whatever the process start method, with no shared-memory size limits.
    """

    def __init__(self, path: Path, index: np.ndarray) -> None:
        self.path = Path(path)
        self.index = index  # rows of (byte offset, height, width, photo channels)
        self._map: np.ndarray | None = None

    @classmethod
    def build(cls, pairs: Sequence[Pair], path: Path, threads: int, chunk: int = 64,
              global_net: GlobalNet | None = None, clicks: bool = False, teaching: Teaching | None = None) -> "DecodedCache":
        """Decode ``pairs`` (``threads`` at a time) into the file ``path`` (see :func:`read_all` for the rest)."""
        rows = []
        with open(path, "wb") as f:
            for start in range(0, len(pairs), chunk):
                for img, mask in read_all(pairs[start : start + chunk], threads, global_net, clicks, teaching):
                    rows.append((f.tell(), mask.shape[0], mask.shape[1], img.shape[2]))
                    f.write(img.tobytes())
                    f.write(mask.tobytes())
        return cls(path, np.array(rows, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        if self._map is None:
            self._map = np.memmap(self.path, dtype=np.uint8, mode="r")
        offset, h, w, c = (int(v) for v in self.index[i])
        img = self._map[offset : offset + h * w * c].reshape(h, w, c)
        mask = self._map[offset + h * w * c : offset + h * w * (c + 1)].reshape(h, w)
        return img, mask

    def __getstate__(self) -> dict[str, object]:
        return {"path": self.path, "index": self.index, "_map": None}  # workers map the file themselves

    def close(self) -> None:
        """Unmap (the caller deletes the file)."""
        self._map = None


def _reflect_pad_to(rgb: np.ndarray, mask: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Mirror-pad both arrays so each side is at least ``size`` (the engine mirrors image borders too)."""
    h, w = mask.shape
    ph, pw = max(0, size - h), max(0, size - w)
    if not ph and not pw:
        return rgb, mask
    top, left = ph // 2, pw // 2
    border = (top, ph - top, left, pw - left)
    return (
        cv2.copyMakeBorder(rgb, *border, cv2.BORDER_REFLECT_101),
        cv2.copyMakeBorder(mask, *border, cv2.BORDER_REFLECT_101),
    )


def _centre(mask: np.ndarray, out: int) -> np.ndarray:
    m = (mask.shape[0] - out) // 2
    return mask[m : m + out, m : m + out]


@dataclass(frozen=True)
class CoarseMix:
    """Where a refiner tile's coarse input comes from: the global net's probability on ``global_share`` of the
    tiles whose photo carries it (a degraded true mask on the rest); of those, its click-mode probability on
    ``click_share`` where the photo carries that too; resampled down by a factor drawn from ``scales`` and back up."""

    global_share: float
    click_share: float
    scales: tuple[float, ...]


#: No global net's probability: degraded true masks only.
DEGRADED_ONLY = CoarseMix(0.0, 0.0, (1.0,))


def _with_coarse(img: np.ndarray, msk: np.ndarray, rng: np.random.Generator | None, mix: CoarseMix = DEGRADED_ONLY) -> np.ndarray:
    """The tile's channels: RGB alone without ``rng``; with it, RGB and a coarse mask, which is the global
    net's probability (the photo's fourth or fifth channel, if it has them) as ``mix`` says, else a degraded
    copy of the tile's true mask."""
    if rng is None:
        return img[..., :3]
    if img.shape[2] >= 4 and rng.random() < mix.global_share:
        plane = img[..., 4] if img.shape[2] == 5 and rng.random() < mix.click_share else img[..., 3]
        factor = float(rng.choice(mix.scales))
        if factor > 1:
            size = plane.shape[1], plane.shape[0]
            small = (max(1, round(size[0] / factor)), max(1, round(size[1] / factor)))
            plane = cv2.resize(cv2.resize(plane, small, interpolation=cv2.INTER_AREA), size, interpolation=cv2.INTER_LINEAR)
        return np.dstack([img[..., :3], plane])
    return np.dstack([img[..., :3], degrade_mask(np.ascontiguousarray(msk), rng)])


def random_tile(
    rgb: np.ndarray, mask: np.ndarray, tile: int, out: int, rng: np.random.Generator, coarse: bool = False,
    mix: CoarseMix = DEGRADED_ONLY,
) -> tuple[np.ndarray, np.ndarray]:
    """A training tile: random scale and position, random flips. Returns (tile x tile x 3, out x out) uint8.

    With ``coarse`` the tile has a fourth channel: a coarse mask (the refiner's input, see :func:`_with_coarse`).
    """
    region = max(2, int(round(tile / rng.uniform(*SCALE_RANGE))))
    rgb, mask = _reflect_pad_to(rgb, mask, region)
    h, w = mask.shape
    top, left = int(rng.integers(0, h - region + 1)), int(rng.integers(0, w - region + 1))
    img = rgb[top : top + region, left : left + region]
    msk = mask[top : top + region, left : left + region]
    if region != tile:
        interp = cv2.INTER_AREA if region > tile else cv2.INTER_LINEAR
        # OpenCV resizes at most 4 uint8 channels at once: the global net's click plane goes on its own.
        img = np.dstack([cv2.resize(img[..., k : k + 4], (tile, tile), interpolation=interp) for k in range(0, img.shape[2], 4)])
        msk = cv2.resize(msk, (tile, tile), interpolation=interp)
    img = _with_coarse(img, msk, rng if coarse else None, mix)
    msk = _centre(msk, out)
    if rng.random() < 0.5:
        img, msk = img[:, ::-1], msk[:, ::-1]
    if rng.random() < 0.2:
        img, msk = img[::-1], msk[::-1]
    return np.ascontiguousarray(img), np.ascontiguousarray(msk)


def centre_tile(rgb: np.ndarray, mask: np.ndarray, tile: int, out: int, coarse_seed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The validation tile: the photo's centre at scale 1 (mirror-padded if smaller).

    With ``coarse_seed`` the tile has a fourth channel: the global net's probability where the photo
    carries it, else a degraded mask drawn from that seed.
    """
    rgb, mask = _reflect_pad_to(rgb, mask, tile)
    h, w = mask.shape
    top, left = (h - tile) // 2, (w - tile) // 2
    img = rgb[top : top + tile, left : left + tile]
    msk = mask[top : top + tile, left : left + tile]
    auto = CoarseMix(1.0, 0.0, (1.0,))  # the automatic mode's probability as it is, where the photo carries it
    img = _with_coarse(img, msk, None if coarse_seed is None else np.random.default_rng(coarse_seed), auto)
    return np.ascontiguousarray(img), np.ascontiguousarray(_centre(msk, out))


class TileDataset(Dataset):
    """Random training tiles of image/mask pairs, decoded from disk each time or read from a :class:`DecodedCache`."""

    def __init__(self, pairs: Sequence[Pair], tile: int, out: int, cache: DecodedCache | None = None, coarse: bool = False,
                 mix: CoarseMix = DEGRADED_ONLY) -> None:  # fmt: skip
        self.pairs = list(pairs)
        self.tile, self.out = tile, out
        self.cache = cache
        self.coarse = coarse
        self.mix = mix

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        rgb, mask = self.cache[index] if self.cache is not None else read_pair(self.pairs[index])
        # Seeded from torch's RNG, which the DataLoader seeds per worker from its generator.
        rng = np.random.default_rng(int(torch.randint(0, 2**62, ()).item()))
        img, msk = random_tile(rgb, mask, self.tile, self.out, rng, self.coarse, self.mix)
        return torch.from_numpy(img), torch.from_numpy(msk)


def worker_init(_: int) -> None:
    # The loader's processes are the parallelism. (Safe here because workers are spawned: in a
    # child forked after the parent used OpenCV's thread pool, this call hangs.)
    cv2.setNumThreads(1)
