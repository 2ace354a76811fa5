"""What remove() takes: a numpy array, encoded bytes, a path or a PIL image, as core's ``Photo``, and which
of them it was (the result comes back as the same kind).

Files and bytes go through core's checked decoder (``read_image`` / ``decode_image``: header checks,
size limits, EXIF orientation, ICC profile), in this process. Pillow is never imported here: an object
can only be a PIL image if the caller's program has imported Pillow already.
"""

from __future__ import annotations

import enum
import os
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Union

import numpy as np

from cutout_app.core.errors import ArgumentError
from cutout_app.core.files import Photo, decode_image, read_image

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

#: What remove() takes as its image.
ImageInput = Union[np.ndarray, bytes, bytearray, memoryview, str, "os.PathLike[str]", "PILImage"]


class Kind(enum.Enum):
    """The kind of image remove() was given, which is the kind it gives back."""

    ARRAY = "array"
    BYTES = "bytes"
    PATH = "path"
    PIL = "PIL image"


@dataclass(frozen=True)
class Given:
    """The photo remove() was given and its kind."""

    photo: Photo
    kind: Kind


def read_input(image: object) -> Given:
    """The photo in ``image`` and its kind.

    Raises :class:`~cutout_app.core.errors.ImageReadError` for a file or bytes that are no readable
    image (missing, empty, corrupt, too large), :class:`ArgumentError` for an array that is no RGB(A)
    image and for anything that is none of the kinds.
    """
    if isinstance(image, (str, os.PathLike)):
        return Given(read_image(os.fspath(image)), Kind.PATH)
    if isinstance(image, (bytes, bytearray, memoryview)):
        return Given(decode_image(bytes(image)), Kind.BYTES)
    if isinstance(image, np.ndarray):
        return Given(Photo(_checked_array(image, "an image array")), Kind.ARRAY)
    if _is_pil_image(image):
        return Given(_pil_photo(image), Kind.PIL)
    raise ArgumentError(f"remove() takes a numpy array, bytes, a path or a PIL image; got {type(image).__name__}")


def _checked_array(pixels: np.ndarray, what: str) -> np.ndarray:
    """``pixels`` if they are an H x W x 3 or x 4 uint8 (or uint16) image; else :class:`ArgumentError`."""
    if pixels.ndim != 3 or pixels.shape[2] not in (3, 4):
        raise ArgumentError(f"{what} must be H x W x 3 (RGB) or H x W x 4 (RGBA); got shape {pixels.shape}")
    if pixels.dtype not in (np.uint8, np.uint16):
        hint = " (for floats in 0..1: (image * 255).round().astype(np.uint8))" if pixels.dtype.kind == "f" else ""
        raise ArgumentError(f"{what} must hold uint8 values 0..255 (or uint16); got {pixels.dtype}{hint}")
    if pixels.shape[0] == 0 or pixels.shape[1] == 0:
        raise ArgumentError(f"{what} is empty: shape {pixels.shape}")
    return pixels


def _is_pil_image(image: object) -> bool:
    """True if ``image`` is a PIL image (Pillow is imported only by a program that made one)."""
    pil = sys.modules.get("PIL.Image")
    return pil is not None and isinstance(image, pil.Image)


def _pil_photo(image: Any) -> Photo:
    """A PIL image as a Photo: RGB or RGBA (with transparency where the image has any), 8 bits, its ICC profile."""
    if image.mode not in ("RGB", "RGBA"):
        transparent = "A" in image.getbands() or "transparency" in image.info
        image = image.convert("RGBA" if transparent else "RGB")
    pixels = _checked_array(np.asarray(image), "a PIL image")
    return Photo(pixels, None, image.info.get("icc_profile") or None)
