"""Persistent user preferences of the window (QSettings): recent files, last folders (open, export, batch),
provider, geometry and window state (maximised, toolbar and dock).

The editor's options (tool, brush, view) are remembered by :class:`~cutout_app.gui.editor_state.EditorState`.
"""

from __future__ import annotations

from pathlib import Path
from typing import get_args

from PySide6.QtCore import QSettings, QStandardPaths

from cutout_app.core.inference import ProviderChoice

ORGANIZATION = "cutout"
APPLICATION = "cutout"
MAX_RECENT = 10
PROVIDERS: tuple[str, ...] = get_args(ProviderChoice)


def _to_list(value: object) -> list[str]:
    """QSettings returns a str for one-element lists on some backends and None for missing keys."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value else []
    return [str(v) for v in value]  # type: ignore[union-attr]


def pictures_dir() -> Path:
    """The user's Pictures folder (the home folder when the system names none that exists)."""
    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
    if location and Path(location).is_dir():
        return Path(location)
    return Path.home()


class AppSettings:
    """Typed access to the window's QSettings; pass a QSettings to use another store (tests use an INI file)."""

    def __init__(self, store: QSettings | None = None) -> None:
        self.store = store if store is not None else QSettings(ORGANIZATION, APPLICATION)

    # --- recent files -------------------------------------------------------------------------
    def recent_files(self) -> list[Path]:
        """Most recently opened first."""
        return [Path(p) for p in _to_list(self.store.value("recent/files"))]

    def add_recent_file(self, path: Path) -> None:
        """Put ``path`` first in the recent list (deduplicated, at most MAX_RECENT entries)."""
        path = Path(path).resolve()
        files = [p for p in self.recent_files() if p != path]
        files.insert(0, path)
        self.store.setValue("recent/files", [str(p) for p in files[:MAX_RECENT]])

    def remove_recent_file(self, path: Path) -> None:
        """Drop ``path`` from the recent list (e.g. it no longer exists)."""
        path = Path(path).resolve()
        self.store.setValue("recent/files", [str(p) for p in self.recent_files() if p != path])

    def clear_recent_files(self) -> None:
        self.store.setValue("recent/files", [])

    # --- folders -----------------------------------------------------------------------------
    def last_open_dir(self) -> Path | None:
        value = self.store.value("folders/open")
        return Path(str(value)) if value else None

    def set_last_open_dir(self, folder: Path) -> None:
        self.store.setValue("folders/open", str(folder))

    def last_export_dir(self) -> Path | None:
        """The folder of the last export (None: nothing exported yet)."""
        value = self.store.value("folders/export")
        return Path(str(value)) if value else None

    def set_last_export_dir(self, folder: Path) -> None:
        self.store.setValue("folders/export", str(folder))

    def batch_folders(self) -> tuple[str, str]:
        """The batch dialog's last input and output folders (empty strings when none)."""
        return str(self.store.value("batch/input_dir") or ""), str(self.store.value("batch/output_dir") or "")

    def set_batch_folders(self, input_dir: str, output_dir: str) -> None:
        self.store.setValue("batch/input_dir", input_dir)
        self.store.setValue("batch/output_dir", output_dir)

    # --- model -----------------------------------------------------------------------------------
    def provider(self) -> ProviderChoice:
        """Where the model runs: "auto" (CUDA when available), "cuda" or "cpu"."""
        value = str(self.store.value("model/provider", "auto"))
        return value if value in PROVIDERS else "auto"  # type: ignore[return-value]

    def set_provider(self, provider: ProviderChoice) -> None:
        if provider not in PROVIDERS:
            raise ValueError(f"provider must be one of {', '.join(PROVIDERS)}, not {provider!r}")
        self.store.setValue("model/provider", provider)

    # --- window ----------------------------------------------------------------------------------
    def window_geometry(self) -> bytes | None:
        value = self.store.value("window/geometry")
        return bytes(value) if value else None  # type: ignore[arg-type]

    def set_window_geometry(self, data: bytes) -> None:
        self.store.setValue("window/geometry", data)

    def window_state(self) -> tuple[bytes | None, bool]:
        """The main window's toolbar and dock layout (QMainWindow.saveState; None if never saved) and whether it
        was maximised."""
        value = self.store.value("window/state")
        maximised = str(self.store.value("window/maximised", "false")).lower() == "true"
        return (bytes(value) if value else None), maximised  # type: ignore[arg-type]

    def set_window_state(self, data: bytes, maximised: bool) -> None:
        self.store.setValue("window/state", data)
        self.store.setValue("window/maximised", "true" if maximised else "false")

    def sync(self) -> None:
        self.store.sync()
