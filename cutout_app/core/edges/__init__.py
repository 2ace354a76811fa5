"""Edges: from the model's probability to the alpha and colours of the cut-out's outline.

- ``settings``: the mask settings (threshold, softness, edge width, shift), plain Python;
- ``alpha``: the guided-filter edge refinement, soft mask -> alpha; ``edge_shape``: the outline's shift
  (shrink/grow) and its width in pixels;
- ``trimap_matting``: alpha matting for hair and fur in a band around the outline;
- ``foreground``: colour decontamination of partly transparent pixels;
- ``rim``: the opaque rim of background colour along the outline, made partly transparent before that;
- ``band_tiles``: tiles over that band, so edge work costs memory per tile;
- ``matting_library``: the one door to pymatting (imported on first use, thread-safe).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cutout_app.core._face import lazy_face

_MODULES = {
    "settings": ["MAX_EDGE_PX", "MAX_SHIFT_PX", "MaskSettings"],
    "alpha": ["alpha_from_soft", "default_radius", "lut_for", "mask_alpha", "refine_mask", "threshold_level",
              "to_soft_u8"],
    "edge_shape": ["edge_reach", "shape_edges"],
    "foreground": ["decontaminate"],
    "rim": ["trim_rim"],
    "trimap_matting": ["BACKGROUND", "SUBJECT", "UNKNOWN", "band_radius", "make_trimap", "matte"],
}

__getattr__, __all__ = lazy_face(__name__, _MODULES)

if TYPE_CHECKING:
    from cutout_app.core.edges.alpha import (  # noqa: F401
        alpha_from_soft,
        default_radius,
        lut_for,
        mask_alpha,
        refine_mask,
        threshold_level,
        to_soft_u8,
    )
    from cutout_app.core.edges.edge_shape import edge_reach, shape_edges  # noqa: F401
    from cutout_app.core.edges.foreground import decontaminate  # noqa: F401
    from cutout_app.core.edges.rim import trim_rim  # noqa: F401
    from cutout_app.core.edges.settings import MAX_EDGE_PX, MAX_SHIFT_PX, MaskSettings  # noqa: F401
    from cutout_app.core.edges.trimap_matting import BACKGROUND, SUBJECT, UNKNOWN, band_radius, make_trimap, matte  # noqa: F401
