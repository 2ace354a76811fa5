"""Editing: the mask a user edits, how it is drawn, and its crash-safe autosave.

- ``mask_edit``: the editable soft mask, brushes, region clicks, undo/redo by region diffs;
- ``regions``: the connected regions of a mask, for the region tool's preview;
- ``display``: the numpy pixels the window draws (overlay, cut-out on a checkerboard or a colour,
  outline, preview pyramid);
- ``autosave_journal``: a base snapshot plus an fsync'd journal of edits and clicks, one per window;
  ``autosave_restore``: finding and restoring them; ``autosave_files``, ``autosave_slots``,
  ``journal_format``, ``guidance_codec``: their files, their slots and locks, their bytes.

Pixel rectangles (``Rect``) are core's own (``core.geometry``): the inference steps use them too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cutout_app.core._face import lazy_face

_MODULES = {
    "mask_edit": ["MAX_UNDO_STEPS", "EditRecord", "EditableMask", "HistoryStep", "dab_weights"],
    "regions": ["RegionMap"],
    "display": ["CHECKER_DARK", "CHECKER_LIGHT", "PreviewPyramid", "checkerboard", "composite_on_checker", "composite_on_color",
                "outline_rgba", "overlay_rgba", "scaled_mask"],
    "autosave_journal": ["AutosaveJournal", "JournalHistory", "cleanup_stale"],
    "autosave_restore": ["Recovered", "RestoreInfo", "RestoredStep"],
    "autosave_files": ["DAMAGED_DIR", "Note", "default_autosave_dir"],
    "guidance_codec": ["guidance_from_json", "guidance_to_json"],
}

__getattr__, __all__ = lazy_face(__name__, _MODULES)

if TYPE_CHECKING:
    from cutout_app.core.editing.autosave_files import DAMAGED_DIR, Note, default_autosave_dir  # noqa: F401
    from cutout_app.core.editing.autosave_journal import AutosaveJournal, JournalHistory, cleanup_stale  # noqa: F401
    from cutout_app.core.editing.autosave_restore import Recovered, RestoredStep, RestoreInfo  # noqa: F401
    from cutout_app.core.editing.display import (  # noqa: F401
        CHECKER_DARK,
        CHECKER_LIGHT,
        PreviewPyramid,
        checkerboard,
        composite_on_checker,
        composite_on_color,
        outline_rgba,
        overlay_rgba,
        scaled_mask,
    )
    from cutout_app.core.editing.guidance_codec import guidance_from_json, guidance_to_json  # noqa: F401
    from cutout_app.core.editing.mask_edit import MAX_UNDO_STEPS, EditableMask, EditRecord, HistoryStep, dab_weights  # noqa: F401
    from cutout_app.core.editing.regions import RegionMap  # noqa: F401
