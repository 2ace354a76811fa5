"""Persistent user preferences of the window (QSettings): recent files, last folders, view options."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtGui import QColor

ORGANIZATION = "cutout"
APPLICATION = "cutout"
MAX_RECENT = 10


def _to_list(value: object) -> list[str]:
    """QSettings returns a str for one-element lists on some backends and None for missing keys."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value else []
    return [str(v) for v in value]  # type: ignore[union-attr]


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
        value = self.store.value("folders/export")
        return Path(str(value)) if value else None

    def set_last_export_dir(self, folder: Path) -> None:
        self.store.setValue("folders/export", str(folder))

    # --- view options --------------------------------------------------------------------------
    def _number(self, key: str, default: float) -> float:
        try:
            return float(self.store.value(key, default))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return default

    def view_mode(self) -> str:
        return str(self.store.value("view/mode", "overlay"))

    def set_view_mode(self, mode: str) -> None:
        self.store.setValue("view/mode", mode)

    def overlay_opacity(self) -> float:
        return min(1.0, max(0.0, self._number("view/overlay_opacity", 0.5)))

    def set_overlay_opacity(self, value: float) -> None:
        self.store.setValue("view/overlay_opacity", float(value))

    def overlay_color(self) -> QColor:
        color = QColor(str(self.store.value("view/overlay_color", "#ff2060")))
        return color if color.isValid() else QColor("#ff2060")

    def set_overlay_color(self, color: QColor) -> None:
        self.store.setValue("view/overlay_color", color.name())

    def brush_size(self) -> int:
        return int(min(500, max(1, self._number("brush/size", 30))))

    def set_brush_size(self, size: int) -> None:
        self.store.setValue("brush/size", int(size))

    def brush_hardness(self) -> float:
        return min(1.0, max(0.0, self._number("brush/hardness", 0.7)))

    def set_brush_hardness(self, value: float) -> None:
        self.store.setValue("brush/hardness", float(value))

    def window_geometry(self) -> bytes | None:
        value = self.store.value("window/geometry")
        return bytes(value) if value else None  # type: ignore[arg-type]

    def set_window_geometry(self, data: bytes) -> None:
        self.store.setValue("window/geometry", data)

    def sync(self) -> None:
        self.store.sync()
