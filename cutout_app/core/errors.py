"""The error types that cutout raises for problems a user can fix."""

from __future__ import annotations


class CutoutError(Exception):
    """Base class: a problem with a message fit to show a user."""


class ImageReadError(CutoutError):
    """A file could not be read as an image (missing, empty, corrupt, truncated, not an image, too large)."""

    def __init__(self, path: object, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"Cannot read image '{self.path}': {reason}")


class ModelError(CutoutError):
    """A model file is missing, broken, or lacks cutout's metadata."""


class ExportError(CutoutError):
    """A result could not be written (read-only folder, would overwrite the original, disk full...)."""


class Cancelled(CutoutError):
    """The user cancelled a long-running operation."""
