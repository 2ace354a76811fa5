"""From photo to mask: the steps that the GUI, the CLI and the batch run share."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from cutout_app.core.edges.alpha import MaskSettings, mask_alpha, refine_mask, to_soft_u8
from cutout_app.core.edges.matting_library import import_meanwhile
from cutout_app.core.errors import CutoutError
from cutout_app.core.files.destination import check_destination
from cutout_app.core.files.export import export_result
from cutout_app.core.files.export_options import ExportOptions
from cutout_app.core.files.imageio import Photo, read_image
from cutout_app.core.inference.clicks import Click, check_clicks
from cutout_app.core.inference.box_steps import Box, box_step, check_box
from cutout_app.core.inference.click_steps import click_step
from cutout_app.core.inference.interactive import auto_step, refine_step
from cutout_app.core.inference.two_stage import CutoutModel, Segmenter
from cutout_app.core.progress import CancelToken, ProgressCallback


def segment_photo(
    engine: Segmenter,
    photo: Photo,
    settings: MaskSettings | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    clicks: Sequence[Click] = (),
    previous: np.ndarray | None = None,
    boxes: Sequence[Box] = (),
    candidate: int | None = None,
) -> np.ndarray:
    """The editable soft mask (uint8, H x W) of ``photo``: the model's probability, edge-refined if asked.

    With neither ``boxes`` nor ``clicks`` (photo pixels) a two-stage model finds the photo's main subject
    (guided by ``previous``, the current mask, if given). With them, each box and then each click runs in
    turn as it does in the window (``core.inference.interactive``), from ``previous`` or an empty mask:
    a later click only adds or removes what it is about. ``candidate`` picks an ambiguous first click's
    candidate (default: the one with the best predicted IoU).
    """
    settings = settings or MaskSettings()
    rgb = photo.rgb8()
    if isinstance(engine, CutoutModel):
        if cancel is not None:
            cancel.raise_if_cancelled()
        if not clicks and not boxes:
            step = auto_step(engine, engine.prepare(rgb), previous)
            return refine_step(engine, rgb, step, refine_edges=settings.refine, progress=progress, cancel=cancel)[0]
        return _prompted(engine, rgb, settings, progress, cancel, clicks, previous, boxes, candidate)
    if clicks or boxes or previous is not None:
        raise CutoutError(f"The model '{engine.model_path}' takes no clicks or boxes; use a two-stage model folder")
    prob = engine.predict(rgb, progress=progress, cancel=cancel)
    if settings.refine:
        prob = refine_mask(prob, rgb)
    return to_soft_u8(prob)


def _prompted(
    engine: CutoutModel, rgb: np.ndarray, settings: MaskSettings, progress: ProgressCallback | None,
    cancel: CancelToken | None, clicks: Sequence[Click], previous: np.ndarray | None, boxes: Sequence[Box],
    candidate: int | None,
) -> np.ndarray:
    """The boxes, then the clicks, one step each as in the window."""
    height, width = rgb.shape[:2]
    check_clicks(clicks, height, width)
    for box in boxes:
        check_box(box, height, width)
    prepared = engine.prepare(rgb)
    soft = previous if previous is not None else np.zeros((height, width), np.uint8)
    done: list[Click] = []
    steps = [(box, None) for box in boxes] + [(None, click) for click in clicks]
    for box, click in steps:
        if cancel is not None:
            cancel.raise_if_cancelled()
        if box is not None:
            step = box_step(engine, rgb, box, soft, done)
        else:
            done.append(click)  # type: ignore[arg-type]
            step = click_step(engine, rgb, prepared, done, soft, candidate)
        soft, _ = refine_step(engine, rgb, step, refine_edges=settings.refine, progress=progress, cancel=cancel)
    return soft


def cut_out_file(
    engine: Segmenter,
    src: str | Path,
    dst: str | Path,
    options: ExportOptions | None = None,
    settings: MaskSettings | None = None,
    overwrite: bool = False,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    clicks: Sequence[Click] = (),
    read: Callable[[Path], Photo] = read_image,
    boxes: Sequence[Box] = (),
    candidate: int | None = None,
) -> Path:
    """Read ``src`` (with ``read``), segment it (guided by ``boxes`` and ``clicks``, if any, see
    :func:`segment_photo`) and write the result to ``dst``.

    ``progress`` counts the model's tiles, then those of the edge steps of the export. Returns the
    path written. A batch passes its decoder process's ``read``, so that a decoder crash
    fails one file, not the run.
    """
    check_destination(dst, src, overwrite)
    options = options or ExportOptions()
    if options.matting:
        import_meanwhile()  # the matting library loads while the photo is read and the model runs
    photo = read(Path(src))
    alpha = photo_alpha(engine, photo, settings, progress, cancel, clicks, boxes, candidate)
    return export_result(photo, alpha, Path(dst), options, overwrite=overwrite,
                         progress=progress, cancel=cancel)


def photo_alpha(
    engine: Segmenter,
    photo: Photo,
    settings: MaskSettings | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    clicks: Sequence[Click] = (),
    boxes: Sequence[Box] = (),
    candidate: int | None = None,
) -> np.ndarray:
    """The alpha (uint8, H x W) that :func:`cut_out_file` exports for ``photo``: the middle of its three steps.

    The pipelined batch runs read, this and ``export_result`` in separate stages.
    """
    settings = settings or MaskSettings()
    soft = segment_photo(engine, photo, settings, progress, cancel, clicks, boxes=boxes, candidate=candidate)
    return mask_alpha(soft, settings)
