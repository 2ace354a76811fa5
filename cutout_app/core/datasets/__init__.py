"""Data sets: photo/mask folders and their split, composites, metrics and evaluation.

- ``folders``: image/mask folder pairs and the validation split that training never sees;
- ``composites``: subjects cut from photos and pasted into others, one mask per object ("this object" clicks);
  ``composite_eval``: the clicked object's IoU after one click on held-out composites;
- ``parts``: per-garment label maps as click targets (the part, the person, the person with what she holds);
- ``synthetic``: textured synthetic composites (hair mattes for the edge benchmarks);
- ``metrics``, ``evaluation``: scoring a model against human masks, automatic and with simulated clicks;
  ``object_checks``: one click, one object: garments, a carried bag, everyday scenes, boxes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cutout_app.core._face import lazy_face

_MODULES = {
    "folders": ["Pair", "VAL_FRACTION", "find_pairs", "split_pairs"],
    "composites": ["Composite", "interior_points", "paste_subjects"],
    "composite_eval": ["ClickCase", "composite_cases", "composite_click_scores"],
    "parts": ["Granularity", "HELD_NAMES", "Region", "click_targets", "find_part_maps", "held_mask", "label_names", "regions"],
    "synthetic": ["coarse_probability", "ellipse_outline", "load_textures", "make_composite", "make_matting_composite", "random_texture", "rasterise", "write_dataset"],
    "metrics": ["iou", "precision_recall_counts"],
    "evaluation": ["ClickRun", "EvalReport", "ImageScore", "click_protocol", "evaluate", "list_pairs", "write_json"],
    "object_checks": ["InstanceRun", "PartScore", "box_scores", "deepest_point", "held_removal_scores", "instance_click_runs",
                      "part_click_scores"],
}

__getattr__, __all__ = lazy_face(__name__, _MODULES)

if TYPE_CHECKING:
    from cutout_app.core.datasets.composite_eval import ClickCase, composite_cases, composite_click_scores  # noqa: F401
    from cutout_app.core.datasets.composites import Composite, interior_points, paste_subjects  # noqa: F401
    from cutout_app.core.datasets.evaluation import (  # noqa: F401
        ClickRun,
        EvalReport,
        ImageScore,
        click_protocol,
        evaluate,
        list_pairs,
        write_json,
    )
    from cutout_app.core.datasets.object_checks import (  # noqa: F401
        InstanceRun,
        PartScore,
        box_scores,
        deepest_point,
        held_removal_scores,
        instance_click_runs,
        part_click_scores,
    )
    from cutout_app.core.datasets.folders import VAL_FRACTION, Pair, find_pairs, split_pairs  # noqa: F401
    from cutout_app.core.datasets.metrics import iou, precision_recall_counts  # noqa: F401
    from cutout_app.core.datasets.parts import (  # noqa: F401
        HELD_NAMES,
        Granularity,
        Region,
        click_targets,
        find_part_maps,
        held_mask,
        label_names,
        regions,
    )
    from cutout_app.core.datasets.synthetic import (  # noqa: F401
        coarse_probability,
        ellipse_outline,
        load_textures,
        make_composite,
        make_matting_composite,
        random_texture,
        rasterise,
        write_dataset,
    )
