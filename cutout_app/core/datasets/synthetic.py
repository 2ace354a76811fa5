"""Synthetic training composites: textured shapes pasted on textured backgrounds, with exact masks.

Each composite is ``background * (1 - alpha) + foreground * alpha`` where ``alpha`` is the union of
1-3 anti-aliased shapes, so the mask written next to the image is exactly the coverage the pixels
were blended with. Backgrounds and foregrounds are procedural textures (value noise, stripes and
checks at random angles, gradients, blurred colour blobs, JPEG artefacts) or, when given, random
crops of real texture photos. Depth of field, soft shadows, holes and lighting make them a little
more photo-like. Pure numpy/opencv.

:func:`make_matting_composite` makes photos for measuring edges: the subject grows hair-like strands
thinner than a pixel, and every effect is applied to the foreground and background layers *before*
they are blended, so the true alpha and the true foreground colour of every pixel are known exactly.
"""

from __future__ import annotations

import math
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

from cutout_app.core.errors import CutoutError
from cutout_app.core.files.imageio import SUPPORTED_EXTENSIONS, read_image
from cutout_app.core.progress import ProgressCallback

#: Supersampling factor used to rasterise shapes: coverage is counted in 1/16ths of a pixel.
SUPERSAMPLE = 4

Texture = np.ndarray  # float32 HxWx3 in [0, 1]


# --------------------------------------------------------------------------------------------
# Colours and procedural textures (all return float32 HxWx3 in [0, 1])
# --------------------------------------------------------------------------------------------


def _random_colour(rng: np.random.Generator) -> np.ndarray:
    """A colour with photo-like statistics: often muted, sometimes saturated, any brightness."""
    hsv = np.array([[[rng.uniform(0, 180), 255 * rng.beta(1.2, 2.0), 255 * rng.uniform(0.08, 1.0)]]], np.float32)
    return cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2RGB)[0, 0].astype(np.float32) / 255.0


def _palette(rng: np.random.Generator, n: int | None = None) -> np.ndarray:
    """A 256x3 colour ramp through 2-4 random colours (a lookup table for scalar fields in [0, 1])."""
    n = n or int(rng.integers(2, 5))
    colours = np.stack([_random_colour(rng) for _ in range(n)])
    if rng.random() < 0.5:  # related colours: variations of one hue
        colours = colours[:1] * rng.uniform(0.4, 1.4, (n, 1)) + rng.normal(0, 0.05, (n, 3))
    stops = np.sort(np.concatenate([[0.0, 1.0], rng.random(n - 2)]))
    t = np.linspace(0, 1, 256)
    return np.clip(np.stack([np.interp(t, stops, colours[:, c]) for c in range(3)], axis=1), 0, 1).astype(np.float32)


def _colourise(field: np.ndarray, palette: np.ndarray) -> Texture:
    return palette[np.clip(field * 255, 0, 255).astype(np.uint8)]


def _normalise(field: np.ndarray) -> np.ndarray:
    lo, hi = float(field.min()), float(field.max())
    return ((field - lo) / (hi - lo + 1e-6)).astype(np.float32)


def value_noise(height: int, width: int, rng: np.random.Generator, octaves: int | None = None) -> np.ndarray:
    """Multi-octave value noise: random grids upsampled bicubically and summed, normalised to [0, 1]."""
    octaves = octaves or int(rng.integers(2, 6))
    cells = rng.uniform(1.5, 8.0)
    persistence = rng.uniform(0.35, 0.7)
    total = np.zeros((height, width), np.float32)
    amplitude = 1.0
    aspect = width / height
    for _ in range(octaves):
        gh = max(2, int(cells) + 2)
        gw = max(2, int(cells * aspect) + 2)
        grid = rng.random((gh, gw)).astype(np.float32)
        total += amplitude * cv2.resize(grid, (width, height), interpolation=cv2.INTER_CUBIC)
        amplitude *= persistence
        cells *= 2.0
        if cells > max(height, width) / 2:
            break
    return _normalise(total)


def _coords(height: int, width: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates rotated by a random angle: (u, v) float32 HxW."""
    angle = rng.uniform(0, math.pi)
    yy, xx = np.mgrid[:height, :width].astype(np.float32)
    c, s = math.cos(angle), math.sin(angle)
    return xx * c + yy * s, -xx * s + yy * c


def stripes_or_checks(height: int, width: int, rng: np.random.Generator) -> Texture:
    """Stripes or checks at a random angle and period, with soft-to-hard edges and an optional wavy warp."""
    u, v = _coords(height, width, rng)
    period = rng.uniform(4, max(6.0, min(height, width) / 4))
    if rng.random() < 0.4:  # fabric / wood-grain warp
        warp = (value_noise(height, width, rng, 3) - 0.5) * period * rng.uniform(0.5, 3.0)
        u = u + warp
    wave = np.sin(u * (2 * math.pi / period))
    if rng.random() < 0.35:
        wave = wave * np.sin(v * (2 * math.pi / (period * rng.uniform(0.5, 2.0))))
    sharpness = rng.uniform(1.0, 6.0)
    field = np.clip(wave * sharpness * 0.5 + 0.5, 0, 1)
    return _colourise(field, _palette(rng, 2))


def gradient(height: int, width: int, rng: np.random.Generator) -> Texture:
    """A linear or radial gradient through a few colours."""
    if rng.random() < 0.5:
        u, _ = _coords(height, width, rng)
        field = _normalise(u)
    else:
        yy, xx = np.mgrid[:height, :width].astype(np.float32)
        cy, cx = rng.uniform(-0.2, 1.2) * height, rng.uniform(-0.2, 1.2) * width
        field = _normalise(np.sqrt((yy - cy) ** 2 + (xx - cx) ** 2))
    return _colourise(field ** rng.uniform(0.5, 2.0), _palette(rng))


def colour_blobs(height: int, width: int, rng: np.random.Generator) -> Texture:
    """Blurred discs of colour (out-of-focus scenery, bokeh)."""
    sh, sw = max(8, height // 8), max(8, width // 8)
    canvas = np.empty((sh, sw, 3), np.float32)
    canvas[:] = _random_colour(rng)
    for _ in range(int(rng.integers(4, 30))):
        centre = (int(rng.integers(0, sw)), int(rng.integers(0, sh)))
        radius = int(rng.integers(1, max(2, min(sh, sw) // 3)))
        cv2.circle(canvas, centre, radius, _random_colour(rng).tolist(), -1, cv2.LINE_AA)
    sigma = rng.uniform(0.5, 3.0)
    canvas = cv2.GaussianBlur(canvas, (0, 0), sigma)
    return cv2.resize(canvas, (width, height), interpolation=cv2.INTER_CUBIC).clip(0, 1)


def noise_texture(height: int, width: int, rng: np.random.Generator) -> Texture:
    """Value noise mapped through a colour ramp (stone, clouds, foliage, fur...)."""
    field = value_noise(height, width, rng)
    if rng.random() < 0.3:  # ridged / marbled
        field = 1.0 - np.abs(field * 2 - 1)
    return _colourise(field, _palette(rng))


def photo_crop(height: int, width: int, rng: np.random.Generator, photo: np.ndarray) -> Texture:
    """A random crop of a real texture photo (RGB uint8), rescaled, flipped or turned, to height x width."""
    ph, pw = photo.shape[:2]
    scale = rng.uniform(0.5, 2.0) * max(height / ph, width / pw, 0.25)
    ch, cw = min(ph, max(2, int(round(height / scale)))), min(pw, max(2, int(round(width / scale))))
    top, left = int(rng.integers(0, ph - ch + 1)), int(rng.integers(0, pw - cw + 1))
    crop = photo[top : top + ch, left : left + cw]
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    if rng.random() < 0.25:
        crop = np.rot90(crop)
    crop = np.ascontiguousarray(crop)
    interp = cv2.INTER_AREA if crop.shape[0] > height else cv2.INTER_LINEAR
    out = cv2.resize(crop, (width, height), interpolation=interp).astype(np.float32) / 255.0
    if rng.random() < 0.3:  # recolour so a few photos give many looks
        out = out * rng.uniform(0.6, 1.3, 3).astype(np.float32)
    return out.clip(0, 1)


def jpeg_artefacts(texture: Texture, rng: np.random.Generator, quality: int | None = None) -> Texture:
    """Round-trip through a low-quality JPEG: 8x8 blocks and ringing like a reused web image."""
    quality = quality or int(rng.integers(15, 70))
    u8 = (texture * 255 + 0.5).clip(0, 255).astype(np.uint8)
    ok, data = cv2.imencode(".jpg", u8, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        return texture
    return cv2.imdecode(data, cv2.IMREAD_UNCHANGED).astype(np.float32) / 255.0


_PROCEDURAL: list[tuple[Callable[[int, int, np.random.Generator], Texture], float]] = [
    (noise_texture, 0.35),
    (stripes_or_checks, 0.2),
    (gradient, 0.15),
    (colour_blobs, 0.3),
]


def random_texture(height: int, width: int, rng: np.random.Generator, photos: list[np.ndarray] | None = None) -> Texture:
    """One random texture: procedural or from ``photos``, sometimes mixed, detailed, grainy or blocky."""

    def one() -> Texture:
        if photos and rng.random() < 0.5:
            return photo_crop(height, width, rng, photos[int(rng.integers(len(photos)))])
        kinds, weights = zip(*_PROCEDURAL)
        kind = kinds[int(rng.choice(len(kinds), p=np.array(weights) / sum(weights)))]
        return kind(height, width, rng)

    tex = one()
    if rng.random() < 0.3:  # two textures blended through a noise mask (patches, stains)
        mix = value_noise(height, width, rng, 3)
        edge = rng.uniform(2, 12)
        mix = np.clip((mix - 0.5) * edge + 0.5, 0, 1)[..., None]
        tex = tex * (1 - mix) + one() * mix
    if rng.random() < 0.5:  # fine detail modulating brightness
        detail = value_noise(height, width, rng, 2 + int(rng.integers(0, 3)))
        amount = rng.uniform(0.05, 0.4)
        tex = tex * (1 - amount + amount * 2 * detail[..., None])
    if rng.random() < 0.3:
        tex = tex + np.float32(rng.uniform(0.005, 0.04)) * rng.standard_normal(tex.shape, np.float32)
    tex = tex.clip(0, 1).astype(np.float32)
    if rng.random() < 0.1:
        tex = jpeg_artefacts(tex, rng)
    return tex


# --------------------------------------------------------------------------------------------
# Shapes: closed outlines (N x 2 float points, x/y in pixels) rasterised to exact coverage
# --------------------------------------------------------------------------------------------


def _transform(points: np.ndarray, centre: tuple[float, float], aspect: float, angle: float) -> np.ndarray:
    """Stretch unit-scale points by ``aspect``, rotate by ``angle`` and move to ``centre``."""
    pts = points * np.array([aspect, 1.0 / aspect])
    c, s = math.cos(angle), math.sin(angle)
    rot = np.array([[c, -s], [s, c]])
    return pts @ rot.T + np.array(centre)


def blob_outline(rng: np.random.Generator, radius: float, n: int = 256) -> np.ndarray:
    """A smooth random blob around the origin: polar radius perturbed by a few random harmonics."""
    theta = np.linspace(0, 2 * math.pi, n, endpoint=False)
    r = np.ones(n)
    roughness = rng.uniform(0.05, 0.35)
    for k in range(2, int(rng.integers(3, 9))):
        r += roughness * rng.normal() / k**rng.uniform(0.6, 1.5) * np.cos(k * theta + rng.uniform(0, 2 * math.pi))
    r = np.maximum(r, 0.25) * radius
    return np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1)


def ellipse_outline(rng: np.random.Generator, radius: float, n: int = 192) -> np.ndarray:
    """A circle of ``radius`` (made an ellipse by the caller's aspect)."""
    theta = np.linspace(0, 2 * math.pi, n, endpoint=False)
    return radius * np.stack([np.cos(theta), np.sin(theta)], axis=1)


def rounded_polygon_outline(rng: np.random.Generator, radius: float) -> np.ndarray:
    """A random star-shaped polygon of 3-8 corners rounded by Chaikin corner cutting."""
    n = int(rng.integers(3, 9))
    theta = np.sort(rng.uniform(0, 2 * math.pi, n))
    if rng.random() < 0.5:  # near-regular
        theta = np.linspace(0, 2 * math.pi, n, endpoint=False) + rng.normal(0, 0.1, n)
    r = radius * rng.uniform(0.7, 1.0, n)
    pts = np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1)
    cut = rng.uniform(0.05, 0.25)
    for _ in range(int(rng.integers(0, 5))):
        nxt = np.roll(pts, -1, axis=0)
        pts = np.stack([(1 - cut) * pts + cut * nxt, cut * pts + (1 - cut) * nxt], axis=1).reshape(-1, 2)
    return pts


def rasterise(outline: np.ndarray, height: int, width: int, supersample: int = SUPERSAMPLE) -> np.ndarray:
    """Exact-ish coverage (float32 HxW in [0, 1]) of the polygon ``outline`` (x, y points in pixels).

    The polygon is filled at ``supersample`` times the resolution inside its bounding box and
    box-filtered down, which gives the fraction of each pixel the shape covers.
    """
    coverage = np.zeros((height, width), np.float32)
    x0 = max(0, int(math.floor(outline[:, 0].min())) - 1)
    y0 = max(0, int(math.floor(outline[:, 1].min())) - 1)
    x1 = min(width, int(math.ceil(outline[:, 0].max())) + 2)
    y1 = min(height, int(math.ceil(outline[:, 1].max())) + 2)
    if x1 <= x0 or y1 <= y0:
        return coverage
    shift = 4  # fillPoly's fixed-point fraction bits: sub-pixel vertex positions at the supersampled scale
    canvas = np.zeros(((y1 - y0) * supersample, (x1 - x0) * supersample), np.uint8)
    pts = (outline - np.array([x0, y0])) * supersample
    pts = np.round(pts * (1 << shift)).astype(np.int32)
    # Filled with supersample**2 so that the box filter's block means are exact sample counts.
    full = supersample * supersample
    cv2.fillPoly(canvas, [pts], full, lineType=cv2.LINE_8, shift=shift)
    # fillPoly fills the samples from round(left) to round(right) inclusive, one more than the area
    # covers; a 2x2 erosion anchored at the top-left keeps exactly the samples whose centres
    # (k + 0.5) lie inside, so the coverage has no outward bias.
    canvas = cv2.erode(canvas, np.ones((2, 2), np.uint8), anchor=(0, 0))
    small = cv2.resize(canvas, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA)
    coverage[y0:y1, x0:x1] = small.astype(np.float32) / full
    return coverage


def _random_outline(rng: np.random.Generator, radius: float, centre: tuple[float, float]) -> np.ndarray:
    kind = rng.choice(3, p=[0.5, 0.2, 0.3])
    maker = (blob_outline, ellipse_outline, rounded_polygon_outline)[int(kind)]
    aspect = math.exp(rng.normal(0, 0.35))
    return _transform(maker(rng, radius), centre, aspect, rng.uniform(0, 2 * math.pi))


def random_shape(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """Coverage of one subject: a blob, ellipse or rounded polygon, sometimes with a second part or a hole."""
    size = min(height, width)
    radius = size * rng.uniform(0.12, 0.35)
    centre = (rng.uniform(0.15, 0.85) * width, rng.uniform(0.15, 0.85) * height)
    coverage = rasterise(_random_outline(rng, radius, centre), height, width)
    if rng.random() < 0.35:  # a compound subject: a second part overlapping the first (head, handle...)
        angle = rng.uniform(0, 2 * math.pi)
        dist = radius * rng.uniform(0.6, 1.3)
        part_centre = (centre[0] + dist * math.cos(angle), centre[1] + dist * math.sin(angle))
        part = rasterise(_random_outline(rng, radius * rng.uniform(0.3, 0.7), part_centre), height, width)
        coverage = coverage + part * (1 - coverage)
    if rng.random() < 0.15:  # a hole (a ring, a handle's opening)
        hole_centre = (centre[0] + rng.normal(0, 0.1) * radius, centre[1] + rng.normal(0, 0.1) * radius)
        hole = rasterise(_random_outline(rng, radius * rng.uniform(0.15, 0.4), hole_centre), height, width)
        coverage = coverage * (1 - hole)
    return coverage


# --------------------------------------------------------------------------------------------
# Lighting and composition
# --------------------------------------------------------------------------------------------


def _light_gradient(height: int, width: int, rng: np.random.Generator, strength: float) -> np.ndarray:
    """A multiplicative linear light falloff (HxWx1) around 1.0."""
    u, _ = _coords(height, width, rng)
    field = _normalise(u) - 0.5
    return (1.0 + strength * field)[..., None].astype(np.float32)


def _shade_subject(texture: Texture, coverage: np.ndarray, rng: np.random.Generator) -> Texture:
    """Make a flat texture look like a lit object: light gradient plus darker rims (roundness)."""
    h, w = coverage.shape
    shaded = texture * _light_gradient(h, w, rng, rng.uniform(0.0, 0.8))
    if rng.random() < 0.6:
        inside = (coverage > 0.5).astype(np.uint8)
        dist = cv2.distanceTransform(inside, cv2.DIST_L2, 3)
        width = rng.uniform(3, max(4.0, min(h, w) * 0.08))
        rim = 1.0 - rng.uniform(0.1, 0.5) * np.exp(-dist / width)
        shaded = shaded * rim[..., None]
    return shaded.clip(0, 1)


def _drop_shadow(mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A soft shadow (HxW in [0, 1]) cast by ``mask`` with a small random offset."""
    h, w = mask.shape
    size = min(h, w)
    dx, dy = rng.normal(0, 0.03 * size), abs(rng.normal(0, 0.03 * size))
    shift = np.float32([[1, 0, dx], [0, 1, dy]])
    moved = cv2.warpAffine(mask, shift, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    sigma = rng.uniform(0.01, 0.05) * size
    return cv2.GaussianBlur(moved, (0, 0), sigma) * rng.uniform(0.2, 0.6)


def make_composite(
    height: int, width: int, rng: np.random.Generator, textures: list[np.ndarray] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """One training example: an RGB uint8 HxWx3 image and its uint8 HxW mask (exact anti-aliased coverage).

    ``textures`` are optional real photos (RGB uint8) that backgrounds and subjects are sometimes cut from.
    The image is ``background * (1 - mask) + subject * mask`` before global effects (lighting, grain)
    that apply to every pixel alike, so the mask is the true alpha of the subject. The mask always
    has both foreground and background pixels.
    """
    if height < 8 or width < 8:
        raise ValueError("composites need at least 8x8 pixels")
    for _ in range(20):
        coverages = [random_shape(height, width, rng) for _ in range(int(rng.choice([1, 2, 3], p=[0.55, 0.3, 0.15])))]
        mask = np.zeros((height, width), np.float32)
        for c in coverages:
            mask = mask + c * (1 - mask)
        if 0.02 < float(mask.mean()) < 0.85:
            break

    background = random_texture(height, width, rng, textures)
    if rng.random() < 0.5:  # depth of field: the background out of focus
        background = cv2.GaussianBlur(background, (0, 0), rng.uniform(0.5, 4.0))
    if rng.random() < 0.6:
        background = background * (1 - _drop_shadow(mask, rng))[..., None]

    image = background
    alpha_total = np.zeros((height, width), np.float32)
    edge_sigma = rng.uniform(0.3, 1.0) if rng.random() < 0.3 else 0.0  # slight defocus of the subject
    for coverage in coverages:
        subject = _shade_subject(random_texture(height, width, rng, textures), coverage, rng)
        if edge_sigma:
            # Blur colour premultiplied by coverage so the edge colour stays the subject's.
            premult = cv2.GaussianBlur(subject * coverage[..., None], (0, 0), edge_sigma)
            coverage = cv2.GaussianBlur(coverage, (0, 0), edge_sigma)
            subject = premult / np.maximum(coverage, 1e-4)[..., None]
        alpha = coverage[..., None]
        image = image * (1 - alpha) + subject * alpha
        alpha_total = alpha_total + coverage * (1 - alpha_total)

    if rng.random() < 0.5:  # scene lighting, the same for subject and background
        image = image * _light_gradient(height, width, rng, rng.uniform(0.1, 0.6))
    image = image * rng.uniform(0.85, 1.15, 3).astype(np.float32)  # white balance
    image = np.clip(image, 0, 1) ** rng.uniform(0.8, 1.25)
    image = image + np.float32(rng.uniform(0.0, 0.025)) * rng.standard_normal(image.shape, np.float32)  # sensor noise
    rgb = (image * 255 + 0.5).clip(0, 255).astype(np.uint8)
    mask_u8 = (alpha_total * 255 + 0.5).clip(0, 255).astype(np.uint8)
    return rgb, mask_u8


# --------------------------------------------------------------------------------------------
# Composites with known alpha and foreground: hair-like strands, effects applied per layer
# --------------------------------------------------------------------------------------------


def hair_strands(coverage: np.ndarray, rng: np.random.Generator, count: int | None = None) -> np.ndarray:
    """Coverage (float32 H x W in [0, 1]) of curly strands, 0.3-1.2 px wide, growing out of ``coverage``'s edge.

    Strands start a little inside the outline, leave along its outward normal and bend as they go;
    they are drawn at :data:`SUPERSAMPLE` times the resolution (2 for photos over 4 MP) and box-filtered
    down, so a pixel's value is the share of it that hair covers.
    """
    height, width = coverage.shape
    size = min(height, width)
    edge_y, edge_x = np.nonzero((coverage > 0.2) & (coverage < 0.8))
    if len(edge_y) == 0:
        return np.zeros_like(coverage)
    smooth = cv2.GaussianBlur(coverage, (0, 0), max(1.0, size / 200))
    gy, gx = cv2.Sobel(smooth, cv2.CV_32F, 0, 1), cv2.Sobel(smooth, cv2.CV_32F, 1, 0)
    count = count or int(rng.integers(len(edge_y) // 8 + 20, len(edge_y) // 2 + 40))
    s = SUPERSAMPLE if height * width <= 4_000_000 else 2
    canvas = np.zeros((height * s, width * s), np.uint8)
    for k in rng.integers(0, len(edge_y), count):
        y, x = float(edge_y[k]), float(edge_x[k])
        angle = math.atan2(-gy[int(y), int(x)], -gx[int(y), int(x)]) + rng.normal(0, 0.5)
        length = size * rng.uniform(0.01, 0.04)
        steps = 12
        curl = rng.normal(0, 0.25)
        points = [(x - 2 * math.cos(angle), y - 2 * math.sin(angle))]
        for _ in range(steps):
            angle += curl + rng.normal(0, 0.08)
            x, y = x + length / steps * math.cos(angle), y + length / steps * math.sin(angle)
            points.append((x, y))
        pts = np.round((np.array(points) + 0.5) * s - 0.5).astype(np.int32)
        thickness = max(1, int(round(rng.uniform(0.3, 1.2) * s)))
        cv2.polylines(canvas, [pts], False, 255, thickness=thickness, lineType=cv2.LINE_8)
    return cv2.resize(canvas, (width, height), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0


@dataclass(frozen=True)
class MattingComposite:
    """A photo (uint8 H x W x 3) with its true alpha (uint8 H x W) and true foreground (uint8 H x W x 3).

    ``image == alpha * foreground + (1 - alpha) * background`` before rounding and sensor noise;
    the foreground is 0 where alpha is 0.
    """

    image: np.ndarray
    alpha: np.ndarray
    foreground: np.ndarray


def make_matting_composite(
    height: int, width: int, rng: np.random.Generator, textures: list[np.ndarray] | None = None
) -> MattingComposite:
    """A subject with hair-like strands (and sometimes a defocused, soft edge) on a background."""
    if height < 8 or width < 8:
        raise ValueError("composites need at least 8x8 pixels")
    body = random_shape(height, width, rng)
    if rng.random() < 0.3:  # a soft, out-of-focus outline as well as the strands
        body = cv2.GaussianBlur(body, (0, 0), rng.uniform(0.5, 2.0))
    strands = hair_strands(body, rng)
    alpha = body + strands * (1 - body)

    subject = _shade_subject(random_texture(height, width, rng, textures), body, rng)
    shade = 1.0 + 0.3 * (value_noise(height, width, rng, 3)[..., None] - 0.5)
    hair = np.clip(_random_colour(rng) * shade, 0, 1).astype(np.float32)
    # Hair grows from a mass of hair: the subject turns hair-coloured over a band inside its outline.
    depth = cv2.distanceTransform((body > 0.5).astype(np.uint8), cv2.DIST_L2, 3)
    mass = np.clip(1.0 - depth / (min(height, width) * rng.uniform(0.03, 0.08)), 0, 1)[..., None]
    subject = subject * (1 - mass) + hair * mass
    a = alpha[..., None]
    foreground = (body[..., None] * subject + (strands * (1 - body))[..., None] * hair) / np.maximum(a, 1e-6)

    background = random_texture(height, width, rng, textures)
    if rng.random() < 0.5:
        background = cv2.GaussianBlur(background, (0, 0), rng.uniform(0.5, 4.0))
    # Effects per layer: light and white balance multiply both alike, gamma is applied to each before
    # blending, so the blend of the two layers below is exactly the photo.
    light = _light_gradient(height, width, rng, rng.uniform(0.0, 0.5))
    light = light * rng.uniform(0.85, 1.15, 3).astype(np.float32)  # and white balance
    gamma = rng.uniform(0.8, 1.25)
    foreground = np.clip(foreground * light, 0, 1) ** gamma
    background = np.clip(background * light, 0, 1) ** gamma
    image = foreground * a + background * (1 - a)
    image = image + np.float32(rng.uniform(0.0, 0.01)) * rng.standard_normal(image.shape, np.float32)

    def to_u8(x: np.ndarray) -> np.ndarray:
        return (np.clip(x, 0, 1) * 255 + 0.5).astype(np.uint8)

    alpha_u8 = to_u8(alpha)
    foreground_u8 = to_u8(foreground)
    foreground_u8[alpha_u8 == 0] = 0
    return MattingComposite(to_u8(image), alpha_u8, foreground_u8)


def coarse_probability(alpha: np.ndarray, factor: int = 8) -> np.ndarray:
    """What a segmentation model sees of a hairy subject (float32 H x W): the body, strands lost, at 1/``factor``.

    Thresholds the true ``alpha`` (uint8) at one half, opens away the strands and resamples through a
    ``factor`` times smaller grid, like a network run at low resolution; for measuring edge steps
    against a mask that is realistically wrong along the outline.
    """
    height, width = alpha.shape
    body = (alpha >= 128).astype(np.float32)
    body = cv2.morphologyEx(body, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5)))
    small = cv2.resize(body, (max(1, width // factor), max(1, height // factor)), interpolation=cv2.INTER_AREA)
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)

# --------------------------------------------------------------------------------------------
# Writing a data set
# --------------------------------------------------------------------------------------------


def load_textures(texture_dir: str | Path, max_side: int = 1024) -> list[np.ndarray]:
    """All readable photos in ``texture_dir`` (recursively) as RGB uint8, downscaled to ``max_side``.

    Raises :class:`CutoutError` if the folder does not exist or holds no readable photo.
    """
    folder = Path(texture_dir)
    if not folder.is_dir():
        raise CutoutError(f"Texture folder '{folder}' does not exist")
    photos = []
    for path in sorted(p for p in folder.rglob("*") if p.suffix.lower() in SUPPORTED_EXTENSIONS):
        try:
            rgb = read_image(path).rgb8()
        except CutoutError:  # an unreadable file among the textures is skipped, not fatal
            continue
        scale = max_side / max(rgb.shape[:2])
        if scale < 1:
            rgb = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        photos.append(np.ascontiguousarray(rgb))
    if not photos:
        raise CutoutError(f"Texture folder '{folder}' holds no readable photos")
    return photos


def _write_bytes(path: Path, data: bytes) -> None:
    """Write via a temporary file and rename, so an interrupted run leaves no half file."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _encode(suffix: str, pixels: np.ndarray, index: int, params: list[int] | None = None) -> bytes:
    if pixels.ndim == 3:
        pixels = cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR)
    ok, data = cv2.imencode(suffix, pixels, params or [])
    if not ok:
        raise CutoutError(f"Could not encode synthetic example {index}")
    return data.tobytes()


def _write_example(args: tuple[Path, int, int, int, int, bool, list[np.ndarray] | None]) -> None:
    out_dir, index, seed, height, width, hair, textures = args
    rng = np.random.default_rng([seed, index])
    stem = f"{index:05d}"
    if hair:  # lossless, so that alpha and foreground stay the truth of the pixels
        example = make_matting_composite(height, width, rng, textures)
        _write_bytes(out_dir / "images" / f"{stem}.png", _encode(".png", example.image, index))
        _write_bytes(out_dir / "foregrounds" / f"{stem}.png", _encode(".png", example.foreground, index))
        _write_bytes(out_dir / "masks" / f"{stem}.png", _encode(".png", example.alpha, index))
        return
    rgb, mask = make_composite(height, width, rng, textures)
    _write_bytes(out_dir / "images" / f"{stem}.jpg", _encode(".jpg", rgb, index, [cv2.IMWRITE_JPEG_QUALITY, 92]))
    _write_bytes(out_dir / "masks" / f"{stem}.png", _encode(".png", mask, index))


_WORKER_TEXTURES: list[np.ndarray] | None = None


def _init_worker(textures: list[np.ndarray] | None) -> None:
    global _WORKER_TEXTURES
    _WORKER_TEXTURES = textures
    cv2.setNumThreads(1)


def _write_example_in_worker(args: tuple[Path, int, int, int, int, bool]) -> None:
    _write_example((*args, _WORKER_TEXTURES))


def write_dataset(
    out_dir: str | Path,
    count: int,
    size: tuple[int, int] = (512, 512),
    seed: int = 0,
    texture_dir: str | Path | None = None,
    progress: ProgressCallback | None = None,
    workers: int = 1,
    hair: bool = False,
) -> Path:
    """Write ``count`` composites as ``out_dir/images/NNNNN.jpg`` (quality 92) and ``out_dir/masks/NNNNN.png``.

    ``size`` is (height, width). Example ``i`` depends only on ``(seed, i)``, so the output is the
    same for any number of ``workers`` (processes; 0 means one per CPU). ``hair``: subjects with
    hair-like strands (:func:`make_matting_composite`), images as lossless PNG, the masks their true
    alpha, and the true foreground colours in ``out_dir/foregrounds/NNNNN.png``. Returns ``out_dir``.
    """
    out = Path(out_dir)
    height, width = size
    for folder in ("images", "masks") + (("foregrounds",) if hair else ()):
        (out / folder).mkdir(parents=True, exist_ok=True)
    textures = load_textures(texture_dir) if texture_dir is not None else None
    workers = workers if workers > 0 else (os.cpu_count() or 1)
    if workers == 1 or count < 2:
        for i in range(count):
            _write_example((out, i, seed, height, width, hair, textures))
            if progress:
                progress(i + 1, count)
        return out
    jobs = [(out, i, seed, height, width, hair) for i in range(count)]
    # Spawned, not forked: a child forked after the parent used OpenCV's thread pool can hang in OpenCV.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker, initargs=(textures,)) as pool:
        for done, _ in enumerate(pool.map(_write_example_in_worker, jobs, chunksize=4), start=1):
            if progress:
                progress(done, count)
    return out
