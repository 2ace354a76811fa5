"""``cutout.remove``: one photo in, its cut-out out, the same pixels as ``cutout segment`` with the same options."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, overload

import numpy as np

from cutout._inputs import ImageInput, read_input
from cutout._options import Colour, EdgeOptions, Mode, make_options
from cutout._outputs import deliver
from cutout._prompts import BoxLike, Point, make_boxes, make_clicks
from cutout._session import Session, default_session
from cutout_app.core.errors import ArgumentError
from cutout_app.core.files import check_destination
from cutout_app.core.inference import check_reading, photo_alpha, reading_index

if TYPE_CHECKING:
    from typing import Unpack

    from PIL.Image import Image as PILImage

    PathLike = str | os.PathLike[str]


@overload
def remove(image: np.ndarray | str | os.PathLike[str], *, keep: Iterable[Point] = ..., remove: Iterable[Point] = ...,
           box: BoxLike | None = ..., candidate: int = ..., mode: Mode | None = ..., background: Colour | None = ...,
           session: Session | None = ..., out: None = ..., overwrite: bool = ...,
           **options: Unpack[EdgeOptions]) -> np.ndarray: ...  # fmt: skip
@overload
def remove(image: bytes | bytearray | memoryview, *, keep: Iterable[Point] = ..., remove: Iterable[Point] = ...,
           box: BoxLike | None = ..., candidate: int = ..., mode: Mode | None = ..., background: Colour | None = ...,
           session: Session | None = ..., out: None = ..., overwrite: bool = ...,
           **options: Unpack[EdgeOptions]) -> bytes: ...  # fmt: skip
@overload
def remove(image: PILImage, *, keep: Iterable[Point] = ..., remove: Iterable[Point] = ...,
           box: BoxLike | None = ..., candidate: int = ..., mode: Mode | None = ..., background: Colour | None = ...,
           session: Session | None = ..., out: None = ..., overwrite: bool = ...,
           **options: Unpack[EdgeOptions]) -> PILImage: ...  # fmt: skip
@overload
def remove(image: ImageInput, *, keep: Iterable[Point] = ..., remove: Iterable[Point] = ...,
           box: BoxLike | None = ..., candidate: int = ..., mode: Mode | None = ..., background: Colour | None = ...,
           session: Session | None = ..., out: PathLike, overwrite: bool = ...,
           **options: Unpack[EdgeOptions]) -> Path: ...  # fmt: skip


def remove(
    image: ImageInput,
    *,
    keep: Iterable[Point] = (),
    remove: Iterable[Point] = (),
    box: BoxLike | None = None,
    candidate: int = 0,
    mode: Mode | None = None,
    background: Colour | None = None,
    session: Session | None = None,
    out: str | os.PathLike[str] | None = None,
    overwrite: bool = False,
    **options: Unpack[EdgeOptions],
) -> Any:
    """Cut the subject out of ``image``, and give it back as the kind of image it was::

        rgba = cutout.remove(rgb)                            # H x W x 3 (or x 4) uint8 RGB -> H x W x 4 RGBA
        png = cutout.remove(data)                            # encoded bytes (JPEG, PNG, WebP...) -> PNG bytes
        rgba = cutout.remove("photo.jpg", keep=[(120, 80)], remove=[(20, 30)])
        rgba = cutout.remove("photo.jpg", box=(40, 10, 300, 220))
        cutout.remove("photo.jpg", mode="background", background="white", out="photo.png")
        mask = cutout.remove(rgb, mode="mask", threshold=0.6, softness=0.2)

    ``image``: a numpy array (RGB or RGBA, not OpenCV's BGR: ``cv2.cvtColor(img, cv2.COLOR_BGR2RGB)``),
    encoded bytes, a path, or a PIL image (Pillow is optional). The result is an array for an array
    or a path, PNG bytes for bytes, a PIL image for a PIL image; with ``out=`` the PNG is written
    there instead (atomically, with the photo's ICC profile, as ``cutout segment -o`` does; an existing
    file only with ``overwrite=True``) and its path is returned. The PNG bytes, and the pixels of every
    kind, are those ``cutout segment`` writes with the same options.

    ``box``: (x0, y0, x1, y1) around the object to cut out (left, top, right, bottom, photo pixels).
    ``keep`` and ``remove``: clicks on what to keep and what to remove, lists of (x, y) photo pixels.
    The box runs first, then the keep clicks, then the remove clicks, each one step as in the window
    (as ``cutout segment --box ... --keep ... --remove ...`` in that order): a later click only adds or
    removes what it is about.
    ``candidate``: for one ambiguous first keep click, the model's reading to take (1: its own answer, then its
    candidates, as Tab cycles them in the window and ``cutout segment --candidate N``); 0, the default, takes
    the one it rates best.
    ``mode``: "transparent" (an RGBA cut-out; the command line's "rgba"), "mask" (H x W, the alpha
    alone) or "background" (H x W x 3, the subject over ``background``: a name such as "white",
    "#RRGGBB", "R,G,B" or three ints; giving a colour implies this mode). Unset, it is the export's
    default, transparent. ``session``: a :class:`Session` to run on; without one, a default Session
    (the bundled model, or ``$CUTOUT_MODEL``) is made on the first call and kept.
    ``**options``: the edge options of :class:`EdgeOptions` (threshold, softness, refine, edge_px,
    shift_px, decontaminate, matting); each one not given keeps the command line's default.

    Raises :class:`~cutout.ImageReadError` if the image cannot be read, :class:`~cutout.ArgumentError`
    for a value it does not take (an array that is not H x W x 3 or 4 uint8, a click or box outside
    the photo, an unknown option), :class:`~cutout.ModelError` if the model cannot be used and
    :class:`~cutout.ExportError` if ``out`` cannot be written; every one is a :class:`~cutout.CutoutError`,
    raised before the model runs where the arguments alone show the problem.
    """
    if session is not None and not isinstance(session, Session):
        raise ArgumentError(f"session must be a cutout.Session; got {type(session).__name__}")
    export, settings = make_options(mode, background, options)
    given = read_input(image)
    photo = given.photo
    clicks = make_clicks(keep, remove, photo.width, photo.height)
    boxes = make_boxes(box, photo.width, photo.height)
    check_reading(candidate)
    if out is not None:
        check_destination(Path(out), photo.path, overwrite)  # a bad name or folder fails before the model runs
    model = (session or default_session())._model
    reading = reading_index(candidate, model.info.candidates)
    alpha = photo_alpha(model, photo, settings, clicks=clicks, boxes=boxes, candidate=reading)
    return deliver(given.kind, photo, alpha, export, out, overwrite)
