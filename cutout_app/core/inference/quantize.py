"""The refiner in int8 for the CPU: onnxruntime's static quantisation, calibrated on the app's own tiles.

A model folder may hold ``refiner-int8.onnx`` beside ``refiner.onnx``. On the CPU provider
:class:`~cutout_app.core.inference.two_stage.CutoutModel` runs it instead (0.87 instead of 1.01 s of refiner
work on a 12 MP photo, the same automatic IoU and boundary F within 0.0005 on the validation pairs:
``bench/quantize_refiner.py``); on CUDA the fp32 file runs. The int8 file names the fp32 file it was made
from (the SHA-256 of its bytes, in its metadata): after a retrained ``refiner.onnx`` a stale int8 file is
ignored, never run. :func:`quantize_refiner` makes it (``cutout quantize``); it needs the ``onnx`` package
(the ``train`` extra), running it does not.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterable

import numpy as np

from cutout_app.core.errors import ModelError
from cutout_app.core.inference.model_info import METADATA_KEY, ModelInfo
from cutout_app.core.inference.tiling import tile_window

#: The int8 refiner's file name in a model folder.
REFINER_INT8_FILE = "refiner-int8.onnx"
#: The key, in the int8 refiner's ``ModelInfo.extra``, of the SHA-256 of the fp32 refiner it was made from.
SOURCE_KEY = "int8_of_sha256"
#: Calibration tiles: the uncertain tiles of this many photos at most, a few a photo.
CALIBRATION_TILES = 64
_TILES_A_PHOTO = 4


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, in hex."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def is_current(int8_info: ModelInfo, refiner: Path) -> bool:
    """Whether an int8 refiner (its metadata) was made from the fp32 refiner file ``refiner``, as it is now."""
    return int8_info.extra.get(SOURCE_KEY) == file_sha256(refiner)


def calibration_tiles(model, photos: Iterable[np.ndarray], count: int = CALIBRATION_TILES) -> list[np.ndarray]:  # noqa: ANN001
    """Refiner inputs (1 x 4 x T x T float32) of up to ``count`` uncertain tiles of ``photos`` (RGB uint8), made
    as the app makes them: the photo's tiles on the CPU, the global net's own probability as the coarse input.
    ``model`` is a :class:`~cutout_app.core.inference.two_stage.CutoutModel`."""
    tiles: list[np.ndarray] = []
    for rgb in photos:
        coarse = model.predict_global(rgb)
        plan = model.plan(*rgb.shape[:2])
        run, _ = model._select(plan, coarse, False, None)
        for tile in sorted(run, key=lambda t: (t.y, t.x))[:_TILES_A_PHOTO]:
            window = coarse.upsampled_at(*tile_window(plan, tile))
            tiles.append(model.refiner._inputs(rgb, plan, [tile], lambda t, w=window: [w]))
        if len(tiles) >= count:
            break
    return tiles[:count]


def quantize_refiner(folder: Path, tiles: list[np.ndarray]) -> Path:
    """Write ``folder``/``refiner-int8.onnx``: the folder's ``refiner.onnx`` statically quantised (QDQ, int8
    weights per channel, uint8 activations) with ranges calibrated on ``tiles`` (:func:`calibration_tiles`),
    its metadata naming the fp32 file's SHA-256. Written to a temporary file and renamed: a failure leaves
    no partial file. Returns the path."""
    import onnx
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    from cutout_app.core.inference.two_stage import REFINER_FILE

    if not tiles:
        raise ModelError("No calibration tiles: the photos given have no uncertain refiner tile")
    source = folder / REFINER_FILE
    feed = iter(tiles)

    class Reader(CalibrationDataReader):
        def get_next(self) -> dict[str, np.ndarray] | None:
            tile = next(feed, None)
            return None if tile is None else {"image": tile}

    target = folder / REFINER_INT8_FILE
    handle, scratch = tempfile.mkstemp(prefix=".refiner-int8.", suffix=".onnx", dir=folder)
    os.close(handle)
    try:
        logging.disable(logging.WARNING)  # its advice to pre-process, on the root logger, for every call
        try:
            quantize_static(str(source), scratch, Reader(), quant_format=QuantFormat.QDQ,
                            activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, per_channel=True)  # fmt: skip
        finally:
            logging.disable(logging.NOTSET)
        graph = onnx.load(scratch)
        props = {p.key: p for p in graph.metadata_props}
        info = ModelInfo.from_json(props[METADATA_KEY].value)
        info.extra[SOURCE_KEY] = file_sha256(source)
        info.extra["precision"] = "int8 (static, QDQ)"
        props[METADATA_KEY].value = info.to_json()
        onnx.save(graph, scratch)
        shutil.copymode(source, scratch)  # mkstemp's file is private
        os.replace(scratch, target)
    finally:
        if os.path.exists(scratch):
            os.unlink(scratch)
    return target
