"""Editing: the mask a user edits, how it is drawn, and its crash-safe autosave.

- ``mask_edit``: the editable soft mask, brushes, region clicks, undo/redo by region diffs;
- ``display``: the numpy pixels the window draws (overlay, cut-out on a checkerboard, preview pyramid);
- ``autosave_journal``: a base snapshot plus an fsync'd journal of edits, and restoring them;
- ``geometry``: pixel rectangles shared by all of the above.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cutout_app.core._face import lazy_face

_MODULES = {
    "mask_edit": ["EditRecord", "EditableMask", "dab_weights"],
    "display": ["CHECKER_DARK", "CHECKER_LIGHT", "PreviewPyramid", "checkerboard", "composite_on_checker", "overlay_rgba", "scaled_mask"],
    "autosave_journal": ["AutosaveJournal", "DAMAGED_DIR", "RestoreInfo", "cleanup_stale", "default_autosave_dir"],
    "geometry": ["Rect"],
}

__getattr__, __all__ = lazy_face(__name__, _MODULES)

if TYPE_CHECKING:
    from cutout_app.core.editing.autosave_journal import (  # noqa: F401
        DAMAGED_DIR,
        AutosaveJournal,
        RestoreInfo,
        cleanup_stale,
        default_autosave_dir,
    )
    from cutout_app.core.editing.display import (  # noqa: F401
        CHECKER_DARK,
        CHECKER_LIGHT,
        PreviewPyramid,
        checkerboard,
        composite_on_checker,
        overlay_rgba,
        scaled_mask,
    )
    from cutout_app.core.editing.geometry import Rect  # noqa: F401
    from cutout_app.core.editing.mask_edit import EditableMask, EditRecord, dab_weights  # noqa: F401
