"""The clipboard: copy the cut-out with its alpha (Ctrl+C), paste a photo in (Ctrl+V).

A copied cut-out is the PNG that File > Export would write (made by core's export, in a worker), offered
both as ``image/png`` bytes, which other applications paste with their transparency, and as an image
for Qt applications. A pasted photo is either a file the clipboard names (copied in a file manager) or
the bytes of an image format cutout reads (told by their signature, whatever the format's name says),
which the photo loader saves under cutout's data folder and opens like any photo: the same scanners and
decoder child, the same autosave. Qt never decodes clipboard data in the window: an SVG offered as
``image/bmp`` is not a photo, and nothing is drawn from it.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np
from PySide6.QtCore import QMimeData
from PySide6.QtGui import QClipboard, QImage
from PySide6.QtWidgets import QApplication

from cutout_app.core.files import (
    MAX_FILE_BYTES,
    ExportMode,
    ExportOptions,
    Photo,
    export_result,
    is_supported_image,
    sniff_format,
)
from cutout_app.gui.photo_loader import PastedData

PNG_MIME = "image/png"
#: The file suffix of each format the scanners know.
_SUFFIXES = {"png": ".png", "jpeg": ".jpg", "webp": ".webp", "bmp": ".bmp", "tiff": ".tif"}


def cutout_png(photo: Photo, alpha: np.ndarray, options: ExportOptions) -> tuple[bytes, QImage]:
    """The cut-out as PNG bytes (as exported, transparent) and as a QImage; runs in a worker."""
    options = ExportOptions(mode=ExportMode.RGBA, decontaminate=options.decontaminate, matting=options.matting)
    scratch = Path(tempfile.mkdtemp(prefix="cutout-copy-"))
    try:
        written = export_result(photo, alpha, scratch / "cutout.png", options)
        png = written.read_bytes()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return png, QImage.fromData(png, "PNG")


def put_on_clipboard(png: bytes, image: QImage, clipboard: QClipboard | None = None) -> None:
    """Offer the cut-out on the clipboard as PNG bytes and as an image."""
    mime = QMimeData()
    mime.setData(PNG_MIME, png)
    mime.setImageData(image)
    (clipboard or QApplication.clipboard()).setMimeData(mime)


def clipboard_photo(clipboard: QClipboard | None = None) -> Path | PastedData | None:
    """The photo the clipboard holds: a file it names, or the bytes of the first image format it offers whose
    signature is one cutout reads (PNG first). None when it holds neither. Nothing is decoded here.

    OSError when the data is larger than a photo file may be.
    """
    mime = (clipboard or QApplication.clipboard()).mimeData()
    if mime is None:
        return None
    for url in mime.urls() if mime.hasUrls() else []:
        if url.isLocalFile() and is_supported_image(url.toLocalFile()):
            return Path(url.toLocalFile())
    formats = [f for f in mime.formats() if f.startswith("image/")]
    for name in sorted(formats, key=lambda f: f != PNG_MIME):
        data = mime.data(name)  # Qt's own bytes, shared: the loader copies them off the window's thread
        kind = sniff_format(bytes(data.first(min(16, data.size())).data()))
        if kind is None:
            continue
        if data.size() > MAX_FILE_BYTES:
            raise OSError(f"the image on the clipboard is {data.size():,} bytes; at most {MAX_FILE_BYTES:,} are read")
        return PastedData(data, _SUFFIXES[kind])
    return None
