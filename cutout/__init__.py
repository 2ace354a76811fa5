"""cutout from Python: cut the subject out of a photo with one call, as ``cutout segment`` does.

    import cutout

    rgba = cutout.remove(rgb)                                   # numpy RGB(A) uint8 -> H x W x 4 RGBA
    png = cutout.remove(Path("photo.jpg").read_bytes())         # encoded bytes -> PNG bytes
    cutout.remove("photo.jpg", keep=[(120, 80)], out="photo.png")   # guided by a click, written to a file

    session = cutout.Session(provider="cpu")                    # both nets loaded once, for many photos
    for photo in Path("raw").glob("*.jpg"):
        cutout.remove(photo, session=session, out=Path("cut") / f"{photo.stem}.png")

Every problem a caller can fix raises a :class:`CutoutError` with a message fit to show: an
:class:`ImageReadError` (the image cannot be read), a :class:`ModelError` (the model cannot be used),
an :class:`ArgumentError` (a value remove() or Session() does not take; also a ValueError) or an
:class:`ExportError` (``out=`` cannot be written).

Importing this package is cheap: numpy, OpenCV and onnxruntime load when :func:`remove` or
:class:`Session` is first used, and no model loads before the first call (or ``Session()``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cutout_app import __version__
from cutout_app.core._face import lazy_face
from cutout_app.core.errors import ArgumentError, CutoutError, ExportError, ImageReadError, ModelError

_MODULES = {
    "_remove": ["remove"],
    "_session": ["Session"],
    "_options": ["EdgeOptions"],
}

__getattr__, _LAZY = lazy_face(__name__, _MODULES)
__all__ = ["ArgumentError", "CutoutError", "ExportError", "ImageReadError", "ModelError", "__version__", *_LAZY]

if TYPE_CHECKING:
    from cutout._options import EdgeOptions  # noqa: F401
    from cutout._remove import remove  # noqa: F401
    from cutout._session import Session  # noqa: F401
