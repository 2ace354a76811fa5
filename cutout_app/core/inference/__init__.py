"""Inference: the models in onnxruntime, from a photo (and clicks) to the subject's probability.

- ``model_info``: the description every model carries in its ONNX file;
- ``engine``: one onnxruntime session per model, providers, the tiled run; ``tiling``: the overlap-tile plan;
- ``global_net``, ``two_stage``: the global net on the whole photo, the refiner on uncertain tiles
  (``band_cover``: on the CPU, tiles fitted to the uncertain band);
- ``clicks``: click encoding and the click simulator; ``interactive``: a step's quick and refined mask, made
  by ``click_steps`` (merged progressively, ``click_merge``, and zoomed in, ``zoom``), ``box_steps`` or
  automatic mode; ``soft_mask``: the refined soft mask a band of rows at a time;
- ``quantize``: the refiner in int8 for the CPU;
- ``pipeline``: the steps every front end shares (photo -> mask -> PNG).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cutout_app.core._face import lazy_face

_MODULES = {
    "model_info": ["METADATA_KEY", "ModelInfo", "Norm", "Padding", "unet_margin", "valid_input_for_output", "valid_output_size"],
    "engine": ["ModelSession", "SegmentationEngine", "available_providers"],
    "providers": ["ProviderChoice"],
    "tiling": ["plan_tiles", "reflect_indices", "snap_tile_size", "tile_input"],
    "band_cover": ["BAND_BLOCK", "fit_to_band"],
    "global_net": ["GlobalInput", "GlobalNet", "check_reading", "reading_index"],
    "two_stage": ["Coarse", "CutoutModel", "GLOBAL_FILE", "REFINER_FILE", "Refinement", "Segmenter", "check_runs", "open_model"],
    "clicks": ["Click", "check_clicks", "click_maps", "next_click", "parse_box", "parse_point"],
    "interactive": ["ClickStep", "Guidance", "Stroke", "auto_step", "painted_pixels", "refine_step", "view_step"],
    "click_steps": ["click_step"],
    "box_steps": ["Box", "box_step", "check_box"],
    "click_merge": ["FOCUS_EXPAND", "Merge", "progressive_merge"],
    "zoom": ["WindowedProbability", "zoom_window"],
    "quantize": ["CALIBRATION_TILES", "REFINER_INT8_FILE", "calibration_tiles", "quantize_refiner"],
    "pipeline": ["cut_out_file", "photo_alpha", "segment_photo"],
}

__getattr__, __all__ = lazy_face(__name__, _MODULES)

if TYPE_CHECKING:
    from cutout_app.core.inference.clicks import Click, check_clicks, click_maps, next_click, parse_box, parse_point  # noqa: F401
    from cutout_app.core.inference.band_cover import BAND_BLOCK, fit_to_band  # noqa: F401
    from cutout_app.core.inference.engine import ModelSession, SegmentationEngine, available_providers  # noqa: F401
    from cutout_app.core.inference.global_net import GlobalInput, GlobalNet, check_reading, reading_index  # noqa: F401
    from cutout_app.core.inference.click_merge import FOCUS_EXPAND, Merge, progressive_merge  # noqa: F401
    from cutout_app.core.inference.box_steps import Box, box_step, check_box  # noqa: F401
    from cutout_app.core.inference.click_steps import click_step  # noqa: F401
    from cutout_app.core.inference.quantize import (  # noqa: F401
        CALIBRATION_TILES,
        REFINER_INT8_FILE,
        calibration_tiles,
        quantize_refiner,
    )
    from cutout_app.core.inference.interactive import (  # noqa: F401
        ClickStep,
        Guidance,
        Stroke,
        auto_step,
        painted_pixels,
        refine_step,
        view_step,
    )
    from cutout_app.core.inference.model_info import (  # noqa: F401
        METADATA_KEY,
        ModelInfo,
        Norm,
        Padding,
        unet_margin,
        valid_input_for_output,
        valid_output_size,
    )
    from cutout_app.core.inference.pipeline import cut_out_file, photo_alpha, segment_photo  # noqa: F401
    from cutout_app.core.inference.providers import ProviderChoice  # noqa: F401
    from cutout_app.core.inference.tiling import plan_tiles, reflect_indices, snap_tile_size, tile_input  # noqa: F401
    from cutout_app.core.inference.zoom import WindowedProbability, zoom_window  # noqa: F401
    from cutout_app.core.inference.two_stage import (  # noqa: F401
        GLOBAL_FILE,
        REFINER_FILE,
        CutoutModel,
        Coarse,
        Refinement,
        Segmenter,
        check_runs,
        open_model,
    )
