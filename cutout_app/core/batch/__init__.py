"""Batch: many photos, resumably, locally or on a Ray cluster.

- ``plan``: which photos to do and where their results go, the per-file result and the report;
- ``local``: the pipelined local run (decoder child, workers sharing one session);
- ``ray_job``: the same batch as a Ray Data job;
- ``manifest``: one JSON line per photo in the output folder, so that a rerun resumes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cutout_app.core._face import lazy_face

_MODULES = {
    "plan": ["BatchItem", "BatchOptions", "BatchPlan", "BatchReport", "CLAIMED_ELSEWHERE", "FileResult", "check_output_folder", "plan_batch"],
    "local": ["batch_workers", "inference_threads", "machine_cores", "run_pipelined"],
    "ray_job": ["Source", "open_source", "plan_source", "run_ray_batch"],
    "manifest": ["MANIFEST_NAME", "Manifest", "ManifestSummary"],
}

__getattr__, __all__ = lazy_face(__name__, _MODULES)

if TYPE_CHECKING:
    from cutout_app.core.batch.local import batch_workers, inference_threads, machine_cores, run_pipelined  # noqa: F401
    from cutout_app.core.batch.manifest import MANIFEST_NAME, Manifest, ManifestSummary  # noqa: F401
    from cutout_app.core.batch.plan import (  # noqa: F401
        CLAIMED_ELSEWHERE,
        BatchItem,
        BatchOptions,
        BatchPlan,
        BatchReport,
        FileResult,
        check_output_folder,
        plan_batch,
    )
    from cutout_app.core.batch.ray_job import Source, open_source, plan_source, run_ray_batch  # noqa: F401
