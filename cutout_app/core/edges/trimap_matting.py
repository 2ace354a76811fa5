"""Alpha matting for hair and fur: a trimap from the mask, solved with closed-form matting.

The model's mask says roughly where the subject is, but a strand of hair is thinner than a pixel and
only partly covers the ones it crosses. Matting finds that coverage from the colours: a *trimap* marks
what is surely subject (eroded mask), surely background (eroded inverse) and an *unknown* band of
:func:`band_radius` pixels on both sides of the outline, whose width scales with the photo. The band is
solved with Levin et al.'s closed-form matting ("A Closed-Form Solution to Natural Image Matting",
2008), built from pymatting's parts (see :mod:`cutout_app.core.edges.matting_library`): its matting
Laplacian, incomplete-Cholesky preconditioner and conjugate gradients. Alpha is locally a linear
function of colour, so it follows strands that the mask only blurs. Two changes to the textbook solve,
both measured on hair composites (bench/bench_edges.py): a data term of weight :data:`PRIOR_WEIGHT`
pulls unknown pixels toward the mask where colours do not decide (pure closed-form matting followed
textures and sensor noise inside the band and ended *worse* than the mask there), and :data:`EPSILON`
is 1e-4 instead of 1e-7, so that sensor noise does not read as edges. Closed-form rather than
learning-based or KNN matting: in pymatting's comparison it is as accurate as the best of its
methods, and its sparse system is the fastest to solve on a narrow band (on our composites
learning-based matting scored the same and took 10 times longer). A learned matting network would
beat it on hair but needs a trained model this project does not have.

It runs tile by tile over the band (:mod:`cutout_app.core.edges.band_tiles`): pymatting builds its Laplacian
for every pixel of a crop (~400 bytes each), so crops stay small and memory bounded on any photo.
"""

from __future__ import annotations

import cv2
import numpy as np

from cutout_app.core.edges.band_tiles import band_tiles
from cutout_app.core.edges.matting_library import using_pymatting
from cutout_app.core.progress import CancelToken, ProgressCallback

#: Trimap values: surely background, unknown, surely subject.
BACKGROUND, UNKNOWN, SUBJECT = 0, 128, 255

#: Tile core (pixels). A crop of 256 + 2 x margin pixels a side costs ~60-100 MB while it is solved.
TILE = 256
#: Context beyond the core: at least this many pixels, or the band radius if that is wider.
MIN_MARGIN = 16
#: Regularisation of the colour model in each 3 x 3 window (pymatting's default is 1e-7).
EPSILON = 1e-4
#: Weight of the data term that keeps unknown pixels near the mask where colours do not decide.
PRIOR_WEIGHT = 0.3


def band_radius(height: int, width: int) -> int:
    """Half-width of the trimap's unknown band: 2 % of the shorter side, at least 3 px.

    Strands reach well beyond the outline a mask draws; a band narrower than they are leaves their ends
    marked as background (bench/bench_edges.py measured 1 % and 2 %).
    """
    return max(3, round(min(height, width) * 0.02))


def make_trimap(alpha: np.ndarray, radius: int) -> np.ndarray:
    """The trimap (uint8 :data:`BACKGROUND`/:data:`UNKNOWN`/:data:`SUBJECT`) of a matte (uint8 or uint16).

    Pixels farther than ``radius`` from the half-alpha outline are known; the rest are unknown.
    """
    if radius < 1:
        raise ValueError(f"radius must be at least 1, got {radius}")
    half = (int(np.iinfo(alpha.dtype).max) + 1) // 2
    inside = (alpha >= half).view(np.uint8)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    subject = cv2.erode(inside, kernel, borderType=cv2.BORDER_REPLICATE)
    background = cv2.erode(1 - inside, kernel, borderType=cv2.BORDER_REPLICATE)
    trimap = np.full(alpha.shape, UNKNOWN, np.uint8)
    trimap[subject.view(bool)] = SUBJECT
    trimap[background.view(bool)] = BACKGROUND
    return trimap


def matte(
    rgb: np.ndarray,
    alpha: np.ndarray,
    radius: int | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> np.ndarray:
    """A new alpha for ``alpha`` (H x W uint8 or uint16) from the colours of ``rgb`` (H x W x 3 uint8).

    Known pixels of :func:`make_trimap` become 0 or full; unknown ones get the closed-form solution
    (``radius`` defaults to :func:`band_radius`). ``progress(done, total)`` counts tiles, starting at 0
    before the first (possibly slow) use of pymatting. Returns a new array of ``alpha``'s dtype.
    """
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8 or alpha.shape != rgb.shape[:2]:
        raise ValueError(f"rgb must be H x W x 3 uint8 and alpha H x W, got {rgb.dtype} {rgb.shape}, {alpha.shape}")
    full = np.iinfo(alpha.dtype).max
    radius = band_radius(*alpha.shape) if radius is None else int(radius)
    trimap = make_trimap(alpha, radius)
    unknown = trimap == UNKNOWN
    out = np.where(trimap == SUBJECT, full, 0).astype(alpha.dtype)
    out[unknown] = alpha[unknown]  # kept where a tile holds no surely-subject or no surely-background pixel
    tiles = band_tiles(unknown, TILE, max(MIN_MARGIN, radius))
    if progress:
        progress(0, len(tiles))
    for done, tile in enumerate(tiles, start=1):
        if cancel is not None:
            cancel.raise_if_cancelled()
        crop = trimap[tile.rows, tile.cols]
        if (crop == SUBJECT).any() and (crop == BACKGROUND).any():  # else there is nothing to solve from
            image = rgb[tile.rows, tile.cols].astype(np.float64) * (1.0 / 255.0)
            solved = _solve(image, crop, alpha[tile.rows, tile.cols].astype(np.float64) * (1.0 / full))
            where = unknown[tile.core]
            core = solved[tile.core_rows, tile.core_cols]
            out[tile.core][where] = np.rint(np.clip(core[where], 0.0, 1.0) * full).astype(alpha.dtype)
        if progress:
            progress(done, len(tiles))
    return out


def _solve(image: np.ndarray, trimap: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """Alpha of one crop: minimise ``a' L a + w |a - prior|^2`` over its unknown pixels, known ones fixed.

    ``image`` float64 H x W x 3 in [0, 1], ``trimap`` uint8, ``prior`` float64 H x W in [0, 1].
    """
    import scipy.sparse  # comes with pymatting; loaded only once matting runs

    known = (trimap != UNKNOWN).ravel()
    unknown = ~known
    subject = (trimap == SUBJECT).ravel().astype(np.float64)
    start = prior.ravel()[unknown]
    with using_pymatting() as library:
        laplacian = library.cf_laplacian(image, epsilon=EPSILON, is_known=known.reshape(trimap.shape))
        rows = laplacian[unknown]
        system = (rows[:, unknown] + PRIOR_WEIGHT * scipy.sparse.identity(len(start), format="csr")).tocsr()
        rhs = PRIOR_WEIGHT * start - rows[:, known].dot(subject[known])
        solution = library.cg(system, rhs, x0=start, M=library.ichol(system))
    result = subject
    result[unknown] = solution
    return result.reshape(trimap.shape)
