"""Everything the window reads when it opens a photo, read off the GUI thread.

File > Open, a drop, Recent, PageDown/PageUp and Ctrl+V all open a photo through :func:`load_photo`, run
in a :class:`~cutout_app.gui.workers.TaskWorker`: the photo is decoded in the decoder child (its
scanners, limits and crash isolation), and the photo's autosaves are found and recovered (base image
decoded in a child, journal replayed within its byte budgets) before the window sees any of it. The
window then only asks its questions and shows the result, so its event loop never waits on a decoder,
and Cancel kills the decoder at once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QByteArray

from cutout_app.core.editing import AutosaveJournal, Recovered, RestoreInfo
from cutout_app.core.errors import CutoutError
from cutout_app.core.files import Photo, atomic_write_bytes, read_image_protected
from cutout_app.core.progress import CancelToken


@dataclass
class LoadedPhoto:
    """A photo read for the window, and its autosaves with what each one restores (newest first)."""

    path: Path
    photo: Photo
    autosaves: list[tuple[RestoreInfo, Recovered]] = field(default_factory=list)


@dataclass(frozen=True)
class PastedData:
    """Image bytes from the clipboard (a format cutout reads, by its signature) and the suffix of that format.

    ``data`` may be Qt's own QByteArray (shared, never copied on the window's thread: 39 MB took it 70-170 ms)."""

    data: bytes | QByteArray
    suffix: str

    def content(self) -> bytes:
        """The bytes (a copy of a QByteArray's: made by the loader, off the window's thread)."""
        return self.data.data() if isinstance(self.data, QByteArray) else self.data


def load_photo(source: Path | PastedData, data_dir: Path | None, pasted_dir: Path, cancel: CancelToken) -> LoadedPhoto:
    """Read ``source`` (a file, or pasted bytes first saved under ``pasted_dir``) and recover its autosaves.

    Runs in a worker. Raises CutoutError (ImageReadError) for a photo that cannot be read, OSError when
    pasted bytes cannot be saved, and Cancelled when ``cancel`` is set.
    """
    path = _save_pasted(source, pasted_dir) if isinstance(source, PastedData) else Path(source)
    photo = read_image_protected(path, cancel=cancel)
    autosaves = []
    for info in AutosaveJournal.find_all_restorable(path, data_dir):
        cancel.raise_if_cancelled()
        try:
            autosaves.append((info, info.recover().with_mask()))  # the undo history is built here, not in the window
        except CutoutError:
            continue  # the window tells what it finds when it offers the autosave
    return LoadedPhoto(path, photo, autosaves)


def _save_pasted(pasted: PastedData, folder: Path) -> Path:
    """Write pasted image bytes to a new file in ``folder``, named for the moment: the photo then opens like any."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / time.strftime(f"pasted-%Y%m%d-%H%M%S{pasted.suffix}")
    n = 2
    while target.exists():
        target = folder / time.strftime(f"pasted-%Y%m%d-%H%M%S-{n}{pasted.suffix}")
        n += 1
    return atomic_write_bytes(target, pasted.content())
