"""cutout's core: numpy, OpenCV and onnxruntime only (never Qt or torch).

The front door that every front end uses::

    from cutout_app.core import open_model, read_image, segment_photo, export_result, cut_out_file

The names are loaded on first use, so importing one core module stays cheap (``cutout --help``).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cutout_app.core.export import export_result
    from cutout_app.core.imageio import read_image
    from cutout_app.core.pipeline import cut_out_file, segment_photo
    from cutout_app.core.two_stage import open_model

_FRONT_DOOR = {
    "open_model": "cutout_app.core.two_stage",
    "read_image": "cutout_app.core.imageio",
    "segment_photo": "cutout_app.core.pipeline",
    "cut_out_file": "cutout_app.core.pipeline",
    "export_result": "cutout_app.core.export",
}

__all__ = sorted(_FRONT_DOOR)


def __getattr__(name: str) -> Any:
    if name in _FRONT_DOOR:
        return getattr(import_module(_FRONT_DOOR[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
