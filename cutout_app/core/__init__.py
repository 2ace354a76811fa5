"""cutout's core: numpy, OpenCV and onnxruntime only (never Qt or torch).

The front door that every front end uses::

    from cutout_app.core import open_model, read_image, segment_photo, export_result, cut_out_file

One folder per concern, each with a face (its ``__init__``) that names what it holds; dependencies
between them point one way, down this list (``tests/test_layering.py`` checks it):

- ``datasets/``: photo/mask folders, composites, metrics, evaluation
- ``batch/``: many photos, resumably, locally or on Ray
- ``editing/``: the editable mask, its display and its autosave
- ``inference/``: the models in onnxruntime, clicks, the photo -> mask -> PNG steps
- ``files/``: reading photos safely, writing results atomically, PNG export
- ``edges/``: alpha, edge refinement, matting and colour decontamination

and beside them, used by all: ``errors``, ``progress``, ``paths``, ``wording``, ``table``.
Names are loaded on first use, so importing one core module stays cheap (``cutout --help``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cutout_app.core._face import lazy_face

_MODULES = {
    "inference.two_stage": ["open_model"],
    "files.imageio": ["read_image"],
    "inference.pipeline": ["segment_photo", "cut_out_file"],
    "files.export": ["export_result"],
}

__getattr__, __all__ = lazy_face(__name__, _MODULES)

if TYPE_CHECKING:
    from cutout_app.core.files.export import export_result  # noqa: F401
    from cutout_app.core.files.imageio import read_image  # noqa: F401
    from cutout_app.core.inference.pipeline import cut_out_file, segment_photo  # noqa: F401
    from cutout_app.core.inference.two_stage import open_model  # noqa: F401
