"""What remove() gives back: the cut-out as the kind of image it was given, or as a file.

Every kind is made by core's export (``cutout_app.core.files``), the code the command line writes
its PNG with: ``export_result`` for a file (atomic, the ICC profile kept), ``encode_result`` for PNG
bytes (the same bytes), and ``compose`` of ``export_alpha`` for arrays and PIL images (the pixels that
PNG holds).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from cutout._inputs import Kind
from cutout_app.core.files import ExportMode, ExportOptions, Photo, compose, encode_result, export_alpha, export_result


def deliver(kind: Kind, photo: Photo, alpha: np.ndarray, options: ExportOptions,
            out: str | os.PathLike[str] | None, overwrite: bool) -> Any:  # fmt: skip
    """The result of cutting ``photo`` out with ``alpha`` (uint8 H x W), as ``options`` say.

    With ``out``: the PNG written there, and its path. Else as ``kind``: PNG bytes for bytes, a PIL
    image for a PIL image, an array for an array or a path (H x W x 4 RGBA, H x W for the mask mode,
    H x W x 3 for the background mode, in the photo's bit depth).
    """
    if out is not None:
        return export_result(photo, alpha, Path(out), options, overwrite=overwrite)
    if kind is Kind.BYTES:
        return b"".join(encode_result(photo, alpha, options))
    pixels = compose(photo, export_alpha(photo, alpha, options), options)
    if kind is Kind.PIL:
        return _pil_image(pixels, None if options.mode is ExportMode.MASK else photo.icc_profile)
    return pixels


def _pil_image(pixels: np.ndarray, icc_profile: bytes | None) -> Any:
    """``pixels`` (8-bit RGBA, RGB or grey) as a PIL image carrying the photo's ICC profile (saved with it)."""
    from PIL import Image  # the caller gave a PIL image, so Pillow is there

    image = Image.fromarray(pixels)
    if icc_profile:
        image.info["icc_profile"] = icc_profile
    return image
