"""Quality measures of a predicted mask against a ground-truth mask."""

from __future__ import annotations

import cv2
import numpy as np


def _binary(mask: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    values = mask.astype(np.float32) / (255.0 if mask.dtype == np.uint8 else 1.0)
    return values >= threshold


#: The value of a ground-truth mask's unknown band (GrabCut's masks: 0 background, 255 object, 128 unknown).
UNKNOWN = 128


def unknown_band(truth: np.ndarray) -> np.ndarray | None:
    """The pixels of ``truth`` that the field's protocol ignores: its 128s, when it holds only 0, 128 and 255
    (as GrabCut's masks do); None for any other mask (a soft or plain mask has no unknown band)."""
    if truth.dtype != np.uint8:
        return None
    band = truth == UNKNOWN
    if not band.any() or np.count_nonzero((truth != 0) & (truth != 255) & ~band):
        return None
    return band


def iou(pred: np.ndarray, truth: np.ndarray, threshold: float = 0.5, ignore: np.ndarray | None = None) -> float:
    """Intersection over union of the foregrounds (1.0 when both are empty); ``ignore`` pixels do not count."""
    p, t = _binary(pred, threshold), _binary(truth, threshold)
    if ignore is not None:
        p, t = p & ~ignore, t & ~ignore
    union = np.count_nonzero(p | t)
    return 1.0 if union == 0 else np.count_nonzero(p & t) / union


def mae(pred: np.ndarray, truth: np.ndarray) -> float:
    """Mean absolute error of the soft masks, both scaled to [0, 1]."""
    p = pred.astype(np.float32) / (255.0 if pred.dtype == np.uint8 else 1.0)
    t = truth.astype(np.float32) / (255.0 if truth.dtype == np.uint8 else 1.0)
    return float(np.mean(np.abs(p - t)))


def _boundary(mask: np.ndarray) -> np.ndarray:
    m = mask.astype(np.uint8)
    return (m - cv2.erode(m, np.ones((3, 3), np.uint8), borderType=cv2.BORDER_REPLICATE)) > 0


def boundary_f_score(pred: np.ndarray, truth: np.ndarray, tolerance: int = 2, threshold: float = 0.5) -> float:
    """F-score of boundary pixels matched within ``tolerance`` pixels (Perazzi et al., DAVIS 2016).

    Edge quality is what users see in a cutout, which IoU barely measures on large subjects.
    """
    pb, tb = _boundary(_binary(pred, threshold)), _boundary(_binary(truth, threshold))
    n_pred, n_truth = np.count_nonzero(pb), np.count_nonzero(tb)
    if n_pred == 0 and n_truth == 0:
        return 1.0
    if n_pred == 0 or n_truth == 0:
        return 0.0
    disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * tolerance + 1, 2 * tolerance + 1))
    precision = np.count_nonzero(pb & cv2.dilate(tb.astype(np.uint8), disk).astype(bool)) / n_pred
    recall = np.count_nonzero(tb & cv2.dilate(pb.astype(np.uint8), disk).astype(bool)) / n_truth
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def precision_recall_counts(pred: np.ndarray, truth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Precision and recall of ``pred`` thresholded at each of 256 levels (uint8 scale) against binary ``truth``.

    Entry ``t`` is for ``pred >= t``. A photo with no foreground in ``truth`` has recall 1 everywhere;
    precision is 1 where nothing is predicted (the convention of salient-object benchmarks).
    """
    p = pred if pred.dtype == np.uint8 else np.clip(np.rint(pred.astype(np.float32) * 255), 0, 255).astype(np.uint8)
    t = _binary(truth)
    fg = np.bincount(p[t].ravel(), minlength=256)[::-1].cumsum()[::-1].astype(np.float64)  # true positives at >= t
    bg = np.bincount(p[~t].ravel(), minlength=256)[::-1].cumsum()[::-1].astype(np.float64)  # false positives
    predicted = fg + bg
    precision = np.where(predicted > 0, fg / np.maximum(predicted, 1), 1.0)
    n_fg = np.count_nonzero(t)
    recall = fg / n_fg if n_fg else np.ones(256)
    return precision, recall


def lost_inside(pred: np.ndarray, truth: np.ndarray, threshold: float = 0.5) -> float:
    """The share of the subject's pixels that ``pred`` leaves out inside its own outline: holes in a face or a
    shirt, rather than a missed edge (0.0 for an empty subject)."""
    p, t = _binary(pred, threshold), _binary(truth, threshold)
    n = np.count_nonzero(t)
    if not n:
        return 0.0
    outside = np.pad(~p, 1, constant_values=True).astype(np.uint8)
    cv2.floodFill(outside, None, (0, 0), 2)  # the background that reaches the border
    holes = (outside[1:-1, 1:-1] == 1)
    return np.count_nonzero(holes & t) / n
