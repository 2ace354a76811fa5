"""The clipboard: copy the cut-out with its alpha (Ctrl+C), paste a photo in (Ctrl+V).

A copied cut-out is the PNG that File > Export would write (made by core's export, in a worker), offered
both as ``image/png`` bytes, which other applications paste with their transparency, and as an image
for Qt applications. A pasted photo is either a file the clipboard names (copied in a file manager) or
image data, which is written to a PNG under cutout's data folder and then opened like any photo: the
same decoder, the same autosave.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QMimeData
from PySide6.QtGui import QClipboard, QImage
from PySide6.QtWidgets import QApplication

from cutout_app.core.files import ExportMode, ExportOptions, Photo, atomic_write_bytes, export_result, is_supported_image

PNG_MIME = "image/png"


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


def pasted_photo(folder: Path, clipboard: QClipboard | None = None) -> Path | None:
    """The photo the clipboard holds, as a file: one it names, or its image data saved under ``folder``.

    None when it holds no photo. OSError when the data cannot be saved.
    """
    mime = (clipboard or QApplication.clipboard()).mimeData()
    if mime is None:
        return None
    for url in mime.urls() if mime.hasUrls() else []:
        if url.isLocalFile() and is_supported_image(url.toLocalFile()):
            return Path(url.toLocalFile())
    target = folder / time.strftime("pasted-%Y%m%d-%H%M%S.png")
    n = 2
    while target.exists():
        target = target.with_name(time.strftime(f"pasted-%Y%m%d-%H%M%S-{n}.png"))
        n += 1
    if mime.hasFormat(PNG_MIME):
        folder.mkdir(parents=True, exist_ok=True)
        return atomic_write_bytes(target, bytes(mime.data(PNG_MIME).data()))
    if mime.hasImage():
        image = QImage(mime.imageData())
        if image.isNull():
            return None
        folder.mkdir(parents=True, exist_ok=True)
        if not image.save(str(target), "PNG"):
            raise OSError(f"cannot write {target}")
        return target
    return None
