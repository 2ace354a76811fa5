"""The editable soft mask: brushes, click-to-keep/remove regions, and region-diff undo/redo.

Coordinates are continuous image coordinates: pixel ``(col, row)`` covers ``[col, col+1) x
[row, row+1)`` and its centre is ``(col + 0.5, row + 0.5)``; a mouse position mapped into the
image (``(pos - offset) / scale``) can be passed as it is.

Every operation touches only a bounding box of the mask (slice views), and undo entries store the
before/after bytes of that box only (zlib-compressed when large), never whole-mask copies except
for :meth:`EditableMask.replace_all`.
"""

from __future__ import annotations

import math
import zlib
from collections import deque
from dataclasses import dataclass
from typing import Callable, Iterable, Literal, Sequence

import cv2
import numpy as np

from cutout_app.core.edges.alpha import threshold_level
from cutout_app.core.geometry import Rect

BrushMode = Literal["add", "erase"]

#: Undo history limits: whichever is hit first drops the oldest steps.
MAX_UNDO_STEPS = 200
MAX_UNDO_BYTES = 512 * 1024 * 1024
#: Diff arrays larger than this are zlib-compressed (level 1: fast, and masks compress very well).
COMPRESS_ABOVE = 16 * 1024
#: Side of the tiles whose "before" content a stroke saves the first time a dab touches them.
_TILE = 64
#: Sub-threshold soft pixels within this many pixels of a kept region stay (its antialiased rim).
DEFAULT_RIM = 8


@dataclass(frozen=True)
class EditRecord:
    """A committed change, as the on-change listener (the autosave journal) receives it.

    ``after`` is a copy of the mask's content inside ``rect`` once the change is applied; writing it
    back at ``rect`` onto the earlier state reproduces the change. ``kind`` is one of "stroke",
    "keep", "remove", "replace", "undo", "redo". ``full`` is True when ``rect`` is the whole mask.
    """

    kind: str
    rect: Rect
    after: np.ndarray
    full: bool = False


class _Blob:
    """A uint8 array kept raw or zlib-compressed."""

    __slots__ = ("shape", "data", "compressed")

    def __init__(self, arr: np.ndarray) -> None:
        self.shape = arr.shape
        raw = np.ascontiguousarray(arr).tobytes()
        self.compressed = len(raw) > COMPRESS_ABOVE
        self.data = zlib.compress(raw, 1) if self.compressed else raw

    def array(self) -> np.ndarray:
        raw = zlib.decompress(self.data) if self.compressed else self.data
        return np.frombuffer(raw, np.uint8).reshape(self.shape)

    @property
    def nbytes(self) -> int:
        return len(self.data)


class HistoryStep:
    """One step of the undo history, as the autosave writes it: its ``rect`` and the mask's content inside it
    before and after the step, decompressed only when asked for."""

    __slots__ = ("_step",)

    def __init__(self, step: _UndoStep) -> None:
        self._step = step

    @property
    def rect(self) -> Rect:
        return self._step.rect

    def before(self) -> np.ndarray:
        """The content of ``rect`` before the step (uint8, read-only)."""
        return self._step.before.array()

    def after(self) -> np.ndarray:
        """The content of ``rect`` after the step (uint8, read-only)."""
        return self._step.after.array()

    def after_zlib(self) -> bytes:
        """:meth:`after` compressed by zlib at level 1 (the undo history keeps large steps so already)."""
        blob = self._step.after
        return blob.data if blob.compressed else zlib.compress(blob.data, 1)


@dataclass
class _UndoStep:
    kind: str
    rect: Rect
    before: _Blob
    after: _Blob
    state_id: int
    prev_state_id: int

    @property
    def nbytes(self) -> int:
        return self.before.nbytes + self.after.nbytes


def dab_weights(cx: float, cy: float, radius: float, hardness: float) -> tuple[Rect, np.ndarray]:
    """The brush footprint at ``(cx, cy)``: its unclipped bounding Rect and uint8 weights (0..255).

    Weight falls with distance ``d`` from the centre over an edge of width ``max(1, (1-hardness)*radius)``
    ending at ``radius + 0.5`` (smoothstep profile, so ``hardness=1`` is a 1-px antialiased edge and
    ``hardness=0`` a soft falloff from the centre). Pixels whose centre lies ``radius + 0.5`` or more
    away get 0.
    """
    if radius <= 0:
        raise ValueError(f"brush radius must be positive, got {radius}")
    hardness = min(1.0, max(0.0, float(hardness)))
    reach = radius + 0.5
    x0, y0 = math.floor(cx - reach), math.floor(cy - reach)
    x1, y1 = math.ceil(cx + reach) + 1, math.ceil(cy + reach) + 1
    ys = (np.arange(y0, y1, dtype=np.float32) + np.float32(0.5 - cy))[:, None]
    xs = (np.arange(x0, x1, dtype=np.float32) + np.float32(0.5 - cx))[None, :]
    dist = np.sqrt(ys * ys + xs * xs)
    edge = max(1.0, (1.0 - hardness) * radius)
    t = np.clip((np.float32(reach) - dist) / np.float32(edge), 0.0, 1.0)
    weight = t * t * (3.0 - 2.0 * t)
    return Rect.from_bounds(x0, y0, x1, y1), np.rint(weight * 255.0).astype(np.uint8)


def _bbox_of(mask: np.ndarray) -> Rect | None:
    """Bounding Rect of the nonzero pixels of a 2-D array, or None if there are none."""
    x, y, w, h = cv2.boundingRect(mask.view(np.uint8) if mask.dtype == bool else mask)
    return None if w == 0 or h == 0 else Rect(x, y, w, h)


class EditableMask:
    """A soft mask (uint8 H x W, edited in place) with brushes, region clicks and undo/redo.

    ``on_change`` is called with an :class:`EditRecord` after every committed change (end of a
    stroke, a keep/remove click, replace_all, undo, redo) so an autosave journal can append it.
    """

    def __init__(
        self,
        soft: np.ndarray,
        on_change: Callable[[EditRecord], None] | None = None,
        *,
        max_steps: int = MAX_UNDO_STEPS,
        max_bytes: int = MAX_UNDO_BYTES,
    ) -> None:
        soft = np.asarray(soft)
        if soft.dtype != np.uint8 or soft.ndim != 2:
            raise ValueError(f"soft mask must be a 2-D uint8 array, got {soft.dtype} {soft.shape}")
        self.soft: np.ndarray = np.ascontiguousarray(soft)
        self.on_change = on_change
        self.max_steps = max_steps
        self.max_bytes = max_bytes
        self._undo: deque[_UndoStep] = deque()
        self._redo: list[_UndoStep] = []
        self._undo_bytes = 0
        self._next_id = 1
        self._state_id = 0
        self._clean_id = 0
        # stroke state
        self._in_stroke = False
        self._stroke_rect: Rect | None = None
        self._saved_tiles: dict[tuple[int, int], np.ndarray] = {}
        self._tile_saved: np.ndarray | None = None
        self._last_point: tuple[float, float] | None = None
        self._carry = 0.0

    @classmethod
    def from_history(cls, base: np.ndarray, undo: Sequence[tuple[Rect, np.ndarray]],
                     redo: Sequence[tuple[Rect, np.ndarray]] = ()) -> EditableMask:
        """A mask at ``base`` with ``undo``'s steps applied (oldest first), each one undo step, and ``redo``'s (the next
        first) as the steps redo brings back: a restored history. It counts as unsaved in every state (see
        :meth:`mark_clean`). Each step's content before and after is compressed here, so a window builds it on a
        worker thread, not on its own."""
        mask = cls(np.array(base, np.uint8, copy=True))
        mask._clean_id = -1
        for rect, after in [*undo, *redo]:
            mask.set_region(rect, np.ascontiguousarray(after, np.uint8))
        for _ in redo:
            mask.undo()
        return mask

    # ------------------------------------------------------------------ state
    @property
    def shape(self) -> tuple[int, int]:
        """``(height, width)`` of the mask."""
        return self.soft.shape  # type: ignore[return-value]

    @property
    def full_rect(self) -> Rect:
        """The whole mask."""
        return Rect(0, 0, self.soft.shape[1], self.soft.shape[0])

    @property
    def can_undo(self) -> bool:
        """True if there is a step to undo (an open stroke counts)."""
        return bool(self._undo) or self._stroke_rect is not None

    @property
    def can_redo(self) -> bool:
        """True if an undone step can be redone."""
        return bool(self._redo)

    @property
    def dirty(self) -> bool:
        """True when the mask differs from the state last marked clean (see :meth:`mark_clean`)."""
        return self._state_id != self._clean_id or self._stroke_rect is not None

    @property
    def in_stroke(self) -> bool:
        """True between :meth:`begin_stroke` and :meth:`end_stroke`."""
        return self._in_stroke

    def undo_steps(self) -> list[HistoryStep]:
        """The steps undo can take back, oldest first (the last is the next one undone)."""
        return [HistoryStep(step) for step in self._undo]

    def redo_steps(self) -> list[HistoryStep]:
        """The steps redo can bring back, the next one redone first."""
        return [HistoryStep(step) for step in reversed(self._redo)]

    @property
    def undo_bytes(self) -> int:
        """Bytes held by the undo history (for tests and diagnostics)."""
        return self._undo_bytes

    def mark_clean(self) -> None:
        """Remember the current state as saved (e.g. after an export); :attr:`dirty` becomes False."""
        self.end_stroke()
        self._clean_id = self._state_id

    # ------------------------------------------------------------------ brushes
    def begin_stroke(self) -> None:
        """Start a stroke: every dab until :meth:`end_stroke` becomes one undo step."""
        if self._in_stroke:
            self.end_stroke()
        self._in_stroke = True
        self._stroke_rect = None
        self._saved_tiles = {}
        h, w = self.soft.shape
        self._tile_saved = np.zeros(((h + _TILE - 1) // _TILE, (w + _TILE - 1) // _TILE), bool)
        self._last_point = None
        self._carry = 0.0

    def _save_tiles(self, rect: Rect) -> None:
        """Copy the 'before' content of tiles under ``rect`` that this stroke has not touched yet."""
        assert self._tile_saved is not None
        ty0, tx0 = rect.y // _TILE, rect.x // _TILE
        ty1, tx1 = (rect.bottom - 1) // _TILE + 1, (rect.right - 1) // _TILE + 1
        block = self._tile_saved[ty0:ty1, tx0:tx1]
        if block.all():
            return
        for dy, dx in zip(*np.nonzero(~block)):
            ty, tx = ty0 + int(dy), tx0 + int(dx)
            self._saved_tiles[(ty, tx)] = self.soft[ty * _TILE : (ty + 1) * _TILE, tx * _TILE : (tx + 1) * _TILE].copy()
        block[...] = True

    def dab(self, x: float, y: float, radius: float, hardness: float = 1.0, mode: BrushMode = "add") -> Rect:
        """Paint one brush dab centred at ``(x, y)``; returns the (clipped) Rect that changed or may have.

        "add" raises soft values to at least the dab's weight (``max(old, w)``), "erase" lowers them to at
        most ``255 - w``. Starts a stroke if none is open.
        """
        if mode not in ("add", "erase"):
            raise ValueError(f"brush mode must be 'add' or 'erase', got {mode!r}")
        if not self._in_stroke:
            self.begin_stroke()
        self._last_point = (float(x), float(y))
        self._carry = 0.0
        rect, weights = dab_weights(x, y, radius, hardness)
        clipped = rect.clip(*self.soft.shape)
        if clipped.empty:
            return clipped
        self._save_tiles(clipped)
        region = self.soft[clipped.slices]
        w = weights[clipped.y - rect.y : clipped.bottom - rect.y, clipped.x - rect.x : clipped.right - rect.x]
        if mode == "add":
            np.maximum(region, w, out=region)
        else:
            np.minimum(region, 255 - w, out=region)
        self._stroke_rect = clipped.union(self._stroke_rect)
        return clipped

    def stroke_to(self, x: float, y: float, radius: float, hardness: float = 1.0, mode: BrushMode = "add") -> Rect:
        """Continue the stroke to ``(x, y)`` with dabs every ``max(1, radius/4)`` pixels along the line.

        The first call of a stroke paints one dab at ``(x, y)``. Spacing carries over between calls, so
        many small mouse moves paint the same dabs as one long one. Returns the Rect to redraw.
        """
        if not self._in_stroke:
            self.begin_stroke()
        if self._last_point is None:
            return self.dab(x, y, radius, hardness, mode)
        lx, ly = self._last_point
        dx, dy = x - lx, y - ly
        dist = math.hypot(dx, dy)
        spacing = max(1.0, radius / 4.0)
        changed = Rect(0, 0, 0, 0)
        need = spacing - self._carry
        carry = self._carry + dist
        while need <= dist:
            t = need / dist
            changed = changed.union(self.dab(lx + dx * t, ly + dy * t, radius, hardness, mode))
            need += spacing
            carry = dist - (need - spacing)
        self._last_point = (float(x), float(y))
        self._carry = carry
        return changed

    def end_stroke(self) -> Rect | None:
        """Close the stroke and record it as one undo step; returns the changed Rect (None if nothing changed)."""
        if not self._in_stroke:
            return None
        self._in_stroke = False
        rect, tiles = self._stroke_rect, self._saved_tiles
        self._stroke_rect, self._saved_tiles, self._tile_saved = None, {}, None
        self._last_point = None
        if rect is None:
            return None
        before = self.soft[rect.slices].copy()
        for (ty, tx), tile in tiles.items():
            tile_rect = Rect(tx * _TILE, ty * _TILE, tile.shape[1], tile.shape[0])
            part = tile_rect.intersect(rect)
            if part.empty:
                continue
            before[part.y - rect.y : part.bottom - rect.y, part.x - rect.x : part.right - rect.x] = tile[
                part.y - tile_rect.y : part.bottom - tile_rect.y, part.x - tile_rect.x : part.right - tile_rect.x
            ]
        after = self.soft[rect.slices]
        changed = _bbox_of(cv2.compare(before, after, cv2.CMP_NE))
        if changed is None:
            return None
        inner = Rect(changed.x + rect.x, changed.y + rect.y, changed.w, changed.h)
        local = Rect(changed.x, changed.y, changed.w, changed.h).slices
        self._commit("stroke", inner, before[local], after[local])
        return inner

    # ------------------------------------------------------------------ region clicks
    def _foreground_mask(self, threshold: float) -> np.ndarray:
        level = threshold_level(threshold)
        if level <= 0:
            return np.ones(self.soft.shape, np.uint8)
        _, binary = cv2.threshold(self.soft, level - 1, 1, cv2.THRESH_BINARY)
        return binary

    def _flood(self, binary: np.ndarray, fill: np.ndarray, point: Sequence[float]) -> Rect | None:
        """Mark (255) the 8-connected foreground component under ``point`` in ``fill`` (H+2 x W+2).

        Returns the component's Rect, an empty Rect if it was already marked, None on background.
        """
        h, w = binary.shape
        col, row = math.floor(point[0]), math.floor(point[1])
        if not (0 <= col < w and 0 <= row < h) or not binary[row, col]:
            return None
        if fill[row + 1, col + 1]:
            return Rect(0, 0, 0, 0)
        flags = 8 | cv2.FLOODFILL_MASK_ONLY | cv2.FLOODFILL_FIXED_RANGE | (255 << 8)
        _, _, _, (x, y, rw, rh) = cv2.floodFill(binary, fill, (col, row), 1, 0, 0, flags)
        return Rect(x, y, rw, rh)

    def _zone(self, component: np.ndarray, rect: Rect, level: int, rim: int) -> np.ndarray:
        """``component`` (0/255 over ``rect``) plus the sub-threshold pixels within ``rim`` px of it (0/255).

        The rim is measured as a square (Chebyshev) distance: a separable dilation, fast on 24 MP.
        """
        if rim <= 0:
            return np.ascontiguousarray(component)
        grown = cv2.dilate(component, cv2.getStructuringElement(cv2.MORPH_RECT, (2 * rim + 1, 2 * rim + 1)))
        below = cv2.compare(self.soft[rect.slices], level, cv2.CMP_LT)
        return cv2.bitwise_or(component, cv2.bitwise_and(grown, below))

    def _clear(self, kind: str, drop: np.ndarray, origin: Rect) -> Rect | None:
        """Zero the soft pixels where ``drop`` (0/255, covering ``origin``) is set, as one undo step."""
        changed = _bbox_of(drop)
        if changed is None:
            return None
        rect = Rect(origin.x + changed.x, origin.y + changed.y, changed.w, changed.h)
        region = self.soft[rect.slices]
        before = region.copy()
        region[...] = cv2.bitwise_and(before, cv2.bitwise_not(drop[changed.slices]))
        self._commit(kind, rect, before, region)
        return rect

    def keep_regions_at(
        self, points: Iterable[Sequence[float]], threshold: float = 0.5, *, rim: int = DEFAULT_RIM
    ) -> Rect | None:
        """Keep only the foreground regions under ``points``; clear everything else. One undo step.

        Foreground is ``soft >= threshold`` (8-connected). Points outside the image or on background
        are ignored; if none hits foreground nothing happens and None is returned. Sub-threshold soft
        pixels within ``rim`` pixels of a kept region (its antialiased edge) are kept too. Returns the
        Rect of changed pixels (None if nothing changed).
        """
        self.end_stroke()
        binary = self._foreground_mask(threshold)
        h, w = binary.shape
        fill = np.zeros((h + 2, w + 2), np.uint8)
        hits = [r for r in (self._flood(binary, fill, p) for p in points) if r is not None]
        if not hits:
            return None
        zone_rect = Rect(0, 0, 0, 0)
        for hit in hits:
            zone_rect = zone_rect.union(hit)
        zone_rect = zone_rect.grow(max(rim, 0)).clip(h, w)
        keep = fill[1 + zone_rect.y : 1 + zone_rect.bottom, 1 + zone_rect.x : 1 + zone_rect.right]
        zone = self._zone(keep, zone_rect, threshold_level(threshold), rim)
        drop = cv2.compare(self.soft, 0, cv2.CMP_GT)  # everything nonzero...
        drop[zone_rect.slices] = cv2.bitwise_and(drop[zone_rect.slices], cv2.bitwise_not(zone))  # ...but the zone
        return self._clear("keep", drop, self.full_rect)

    def remove_region_at(
        self, point: Sequence[float], threshold: float = 0.5, *, rim: int = DEFAULT_RIM
    ) -> Rect | None:
        """Clear the foreground region under ``point`` (and its sub-threshold rim). One undo step.

        Returns the changed Rect, or None when the point is outside the image or on background.
        """
        self.end_stroke()
        binary = self._foreground_mask(threshold)
        h, w = binary.shape
        fill = np.zeros((h + 2, w + 2), np.uint8)
        comp_rect = self._flood(binary, fill, point)
        if comp_rect is None or comp_rect.empty:
            return None
        rect = comp_rect.grow(max(rim, 0)).clip(h, w)
        component = fill[1 + rect.y : 1 + rect.bottom, 1 + rect.x : 1 + rect.right]
        zone = self._zone(component, rect, threshold_level(threshold), rim)
        drop = cv2.bitwise_and(zone, cv2.compare(self.soft[rect.slices], 0, cv2.CMP_GT))
        return self._clear("remove", drop, rect)

    # ------------------------------------------------------------------ whole mask
    def replace_all(self, soft: np.ndarray) -> Rect:
        """Replace the whole mask (e.g. with a new segmentation); undoable. Returns the full Rect."""
        self.end_stroke()
        soft = np.asarray(soft)
        if soft.shape != self.soft.shape or soft.dtype != np.uint8:
            raise ValueError(f"replacement must be uint8 {self.soft.shape}, got {soft.dtype} {soft.shape}")
        before = self.soft.copy()
        self.soft[...] = soft
        self._commit("replace", self.full_rect, before, self.soft)
        return self.full_rect

    def replace_changed(self, soft: np.ndarray) -> Rect | None:
        """Set the mask to ``soft`` as one undo step that stores only the box of changed pixels.

        For model results that change part of the mask (a click): cheaper to keep and to journal than
        :meth:`replace_all`. Returns the changed Rect, or None (no step) when nothing differs.
        """
        self.end_stroke()
        soft = np.asarray(soft)
        if soft.shape != self.soft.shape or soft.dtype != np.uint8:
            raise ValueError(f"replacement must be uint8 {self.soft.shape}, got {soft.dtype} {soft.shape}")
        rect = _bbox_of(cv2.compare(self.soft, soft, cv2.CMP_NE))
        if rect is None:
            return None
        region = self.soft[rect.slices]
        before = region.copy()
        region[...] = soft[rect.slices]
        self._commit("replace", rect, before, region)
        return rect

    def set_region(self, rect: Rect, after: np.ndarray, kind: str = "restore") -> Rect:
        """Write ``after`` (uint8, ``rect``'s shape) into ``rect`` as one undo step (a restored edit)."""
        self.end_stroke()
        if rect.empty or rect.clip(*self.soft.shape) != rect or after.shape != (rect.h, rect.w) or after.dtype != np.uint8:
            raise ValueError(f"region {rect} with {after.dtype} {after.shape} does not fit a {self.soft.shape} mask")
        region = self.soft[rect.slices]
        before = region.copy()
        region[...] = after
        self._commit(kind, rect, before, region)
        return rect

    def reset(self, soft: np.ndarray, *, clean: bool = True) -> None:
        """Start over from ``soft``: no undo or redo history; ``clean`` says whether it counts as saved."""
        soft = np.asarray(soft)
        if soft.shape != self.soft.shape or soft.dtype != np.uint8:
            raise ValueError(f"replacement must be uint8 {self.soft.shape}, got {soft.dtype} {soft.shape}")
        self._in_stroke = False
        self._stroke_rect, self._saved_tiles, self._tile_saved, self._last_point = None, {}, None, None
        self.soft[...] = soft
        self._undo.clear()
        self._redo.clear()
        self._undo_bytes = 0
        self._state_id = 0
        self._clean_id = 0 if clean else -1

    # ------------------------------------------------------------------ history
    def _commit(self, kind: str, rect: Rect, before: np.ndarray, after: np.ndarray) -> None:
        step = _UndoStep(kind, rect, _Blob(before), _Blob(after), self._next_id, self._state_id)
        self._next_id += 1
        self._state_id = step.state_id
        self._redo.clear()
        self._undo.append(step)
        self._undo_bytes += step.nbytes
        while self._undo and (len(self._undo) > self.max_steps or self._undo_bytes > self.max_bytes):
            self._undo_bytes -= self._undo.popleft().nbytes
        self._notify(kind, rect)

    def _notify(self, kind: str, rect: Rect) -> None:
        if self.on_change is not None:
            self.on_change(EditRecord(kind, rect, self.soft[rect.slices].copy(), rect == self.full_rect))

    def undo(self) -> Rect | None:
        """Undo the last step (closing an open stroke first); returns the Rect to redraw, or None."""
        self.end_stroke()
        if not self._undo:
            return None
        step = self._undo.pop()
        self._undo_bytes -= step.nbytes
        self.soft[step.rect.slices] = step.before.array()
        self._state_id = step.prev_state_id
        self._redo.append(step)
        self._notify("undo", step.rect)
        return step.rect

    def redo(self) -> Rect | None:
        """Redo the last undone step; returns the Rect to redraw, or None."""
        self.end_stroke()
        if not self._redo:
            return None
        step = self._redo.pop()
        self.soft[step.rect.slices] = step.after.array()
        self._state_id = step.state_id
        self._undo.append(step)
        self._undo_bytes += step.nbytes
        self._notify("redo", step.rect)
        return step.rect
