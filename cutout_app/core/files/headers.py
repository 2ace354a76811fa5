"""What a photo file says about itself, read before any decoder sees it.

For each format a scanner walks the file's structure the way its decoder reads it (libjpeg-turbo,
libpng and OpenCV's PNG reader, libwebp, libtiff, OpenCV's BMP reader) and returns a :class:`Header`:
the pixel size, what the decoder will allocate for it in bytes (:meth:`Header.decoded_bytes`: channels,
bytes per sample, and working buffers such as a progressive JPEG's coefficients, a TIFF tile or an
animated WebP's canvases), the EXIF orientation (``IMREAD_UNCHANGED`` ignores it), the ICC profile, and
the byte ranges to leave out before decoding (an animated PNG's animation chunks, which OpenCV's APNG
code crashes on; a PNG's eXIf, which cutout reads itself; anything after IEND).

A scanner also refuses what the file's bytes cannot honestly hold, and what would cost the decoder
time out of all proportion to the file: TIFF strips or tiles that share or overlap bytes, a TIFF tile
larger than the image, a JPEG of more than :data:`MAX_JPEG_SCANS` scans; PNG image data too short to
inflate to the image (deflate packs at most 1032 bytes into one) is noted in ``short_data`` for the
reader to refuse after its size checks.

A scanner raises :class:`HeaderError`, and nothing else, when the structure is cut short, contradicts
itself, or does not say how large the image is: the reader then refuses the file, so a damaged header
never means skipped checks. Every read is bounds-checked; EXIF that cannot be followed only loses
its orientation, since it does not decide what the decoder allocates.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from cutout_app.core.files import icc

#: The EXIF/TIFF tag of the orientation (values 1..8).
ORIENTATION_TAG = 0x0112

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: APNG chunks: animation control, frame control, frame data. Without them an APNG is a plain PNG.
_APNG_CHUNKS = frozenset({b"acTL", b"fcTL", b"fdAT"})
#: The largest chunk length PNG allows (2^31 - 1).
_PNG_MAX_CHUNK = 0x7FFFFFFF
#: JPEG start-of-frame markers (SOF0..SOF15 less DHT C4, JPG C8 and DAC CC): each one sizes the image.
_JPEG_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
#: Progressive frame headers (Huffman and arithmetic): libjpeg keeps every coefficient of the image.
_JPEG_PROGRESSIVE = frozenset({0xC2, 0xC6, 0xCA, 0xCE})
_JPEG_SOS, _JPEG_EOI, _JPEG_APP1, _JPEG_APP2 = 0xDA, 0xD9, 0xE1, 0xE2
#: TIFF tags read: width, height, bits per sample, photometric, orientation, strip offsets, samples per
#: pixel, rows per strip, strip byte counts, tile width and length, tile offsets, tile byte counts, sample format.
_TIFF_TAGS = frozenset({256, 257, 258, 262, ORIENTATION_TAG, 273, 277, 278, 279, 322, 323, 324, 325, 339})
#: The most scans a JPEG may have: libjpeg makes 10 for a progressive photo, and each scan of a progressive
#: JPEG is a pass over the whole image's coefficients (10,000 empty scans kept libjpeg busy for 281 s).
MAX_JPEG_SCANS = 100
#: deflate's largest compression ratio: one 258-byte match in 2 bits. PNG data shorter than its image
#: needs, divided by this, is cut short whatever it holds.
DEFLATE_MAX_RATIO = 1032
#: A TIFF tile may be as large as the image rounded up to the 16-pixel grid tiles are made on, or this
#: (a standard tile on a small image); larger tiles only make the decoder allocate and fill what is not there.
TIFF_MAX_SPARE_TILE = 512
#: Integer TIFF field types: code -> numpy kind and size; signed ones included, as libtiff converts them.
_TIFF_INTS = {1: ("u", 1), 3: ("u", 2), 4: ("u", 4), 6: ("i", 1), 8: ("i", 2), 9: ("i", 4), 16: ("u", 8), 17: ("i", 8)}
#: Bytes per value of every TIFF field type (ASCII, RATIONAL, FLOAT, IFD... as well as the integers).
_TIFF_SIZES = {2: 1, 5: 8, 7: 1, 10: 8, 11: 4, 12: 8, 13: 4, 18: 8, **{t: size for t, (_, size) in _TIFF_INTS.items()}}


class HeaderError(Exception):
    """The file's structure is damaged: cut short, contradicting itself, or silent about the image size."""


@dataclass
class Header:
    """What a scanner found: size, orientation, colour profile, and byte ranges to leave out."""

    width: int = 0
    height: int = 0
    #: Channels and bytes per sample of the pixels the decoder gives (``IMREAD_UNCHANGED``).
    channels: int = 3
    sample_bytes: int = 1
    #: What the decoder allocates besides its output: coefficient buffers, a tile, canvases.
    work_bytes: int = 0
    #: Floating-point samples (a TIFF's), which the reader converts to 16 bits.
    float_samples: bool = False
    #: Why the decoded samples cannot become a photo (signed or 32-bit integers), or None.
    unsupported: str | None = None
    #: What the file's bytes cannot hold (image data too short for the image), or None: the reader
    #: refuses such a file after its size checks, which say more.
    short_data: str | None = None
    orientation: int = 1
    drop: list[tuple[int, int]] = field(default_factory=list)  # [start, end) byte ranges, sorted
    icc_jpeg: list[bytes] = field(default_factory=list)  # APP2 ICC_PROFILE payloads
    icc_png: bytes | None = None  # the iCCP chunk's body
    icc_webp: bytes | None = None  # the ICCP chunk's body

    def decoded_bytes(self) -> int:
        """What decoding allocates, in bytes: the decoder's samples and working buffers."""
        return self.width * self.height * self.channels * self.sample_bytes + self.work_bytes

    def icc_profile(self) -> bytes | None:
        """The embedded colour profile, None if there is none or it is broken."""
        if self.icc_jpeg:
            return icc.from_jpeg_segments(self.icc_jpeg)
        if self.icc_png is not None:
            return icc.from_png_iccp(self.icc_png)
        if self.icc_webp is not None:
            return icc.from_webp_iccp(self.icc_webp)
        return None


def sniff_format(data: bytes) -> str | None:
    """The format of a file's bytes from its signature: jpeg, png, webp, bmp, tiff; None for anything else."""
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:8] == _PNG_SIGNATURE:
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:2] == b"BM" and len(data) >= 14:
        return "bmp"
    if data[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "tiff"
    return None


def scan_header(data: bytes, fmt: str) -> Header:
    """The :class:`Header` of ``data``, a file of format ``fmt`` (as :func:`sniff_format` names it).

    Raises :class:`HeaderError` (and nothing else) when the structure is damaged or gives no image size.
    """
    header = _SCANNERS[fmt](data)
    if header.width <= 0 or header.height <= 0:
        raise HeaderError("the header gives no image size")
    return header


def exif_orientation(block: bytes | memoryview) -> int:
    """The orientation (1..8) in an EXIF block, with or without its ``Exif\\0\\0`` prefix; 1 if it has none.

    Never raises: EXIF that cannot be followed (zero or huge counts, odd types, offsets out of the
    block) has no orientation.
    """
    data = bytes(block)
    if data[:6] == b"Exif\x00\x00":
        data = data[6:]
    try:
        values = _read_ifd0(data, {ORIENTATION_TAG}).get(ORIENTATION_TAG, ())
    except HeaderError:
        return 1
    return _orientation(values)


# --- bounds-checked reading -----------------------------------------------------------------------


def _unpack(fmt: str, data: bytes, pos: int, what: str) -> tuple:
    """``struct.unpack_from(fmt, data, pos)``, or HeaderError naming ``what`` when it runs past the end."""
    size = struct.calcsize(fmt)
    if pos < 0 or pos + size > len(data):
        raise HeaderError(f"{what} past the end of the file")
    return struct.unpack_from(fmt, data, pos)


def _orientation(values: np.ndarray | tuple[()]) -> int:
    return int(values[0]) if len(values) and 1 <= values[0] <= 8 else 1


def _read_ifd0(data: bytes, tags: set[int] | frozenset[int], every_value: bool = False) -> dict[int, np.ndarray]:
    """Integer values of ``tags`` in the first directory of a TIFF-structured block (a TIFF file or EXIF).

    Classic TIFF and BigTIFF. A tag of a non-integer type or with no values is left out; a directory
    or a value of ``tags`` that runs past the end raises HeaderError, and with ``every_value`` (libtiff
    reads the whole directory) so does the value of any other tag. The values are numpy arrays viewing
    ``data``, so that a tag claiming millions of values costs no Python objects.
    """
    order = {b"II": "<", b"MM": ">"}.get(data[:2])
    if order is None:
        raise HeaderError("unknown byte order")
    (magic,) = _unpack(order + "H", data, 2, "header")
    if magic == 42:  # classic: 4-byte offsets and counts, 12-byte entries
        (ifd,) = _unpack(order + "I", data, 4, "header")
        word, count_size = "I", 2
    elif magic == 43:  # BigTIFF: 8-byte offsets and counts, 20-byte entries
        offset_size, zero, ifd = _unpack(order + "HHQ", data, 4, "header")
        if offset_size != 8 or zero != 0:
            raise HeaderError("a BigTIFF header with unknown offsets")
        word, count_size = "Q", 8
    else:
        raise HeaderError("not a TIFF structure")
    (count,) = _unpack(order + ("H" if count_size == 2 else "Q"), data, ifd, "directory")
    inline = struct.calcsize(word)  # values this small sit in the entry itself
    entry_size = 4 + 2 * inline
    first = ifd + count_size
    if first + count * entry_size > len(data):
        raise HeaderError("directory past the end of the file")
    found: dict[int, np.ndarray] = {}
    for i in range(count):
        entry = first + i * entry_size
        tag, typ, n = struct.unpack_from(order + "HH" + word, data, entry)
        if every_value and n * _TIFF_SIZES.get(typ, 0) > inline:
            (where,) = struct.unpack_from(order + word, data, entry + 4 + inline)
            if where + n * _TIFF_SIZES[typ] > len(data):
                raise HeaderError("tag values past the end of the file")
        if tag not in tags or typ not in _TIFF_INTS or n == 0 or tag in found:
            continue
        kind, size = _TIFF_INTS[typ]
        where = entry + 4 + inline
        if n * size > inline:
            (where,) = struct.unpack_from(order + word, data, where)
            if where + n * size > len(data):
                raise HeaderError("tag values past the end of the file")
        found[tag] = np.frombuffer(data, np.dtype(f"{order}{kind}{size}"), count=n, offset=where)
    return found


# --- the scanners -----------------------------------------------------------------------------------


def _scan_jpeg(data: bytes) -> Header:
    """Walk the segments up to EOI as libjpeg does: size from the one SOFn, orientation from APP1 Exif."""
    header = Header()
    n = len(data)
    arr = np.frombuffer(data, np.uint8)
    # Positions of real markers: 0xFF followed by a byte that is not stuffing (00), fill (FF) or RSTn.
    ff = np.flatnonzero(arr[:-1] == 0xFF)
    follow = arr[ff + 1]
    markers = ff[(follow != 0x00) & (follow != 0xFF) & ((follow < 0xD0) | (follow > 0xD7))]
    exif_seen = sof_seen = False
    progressive, components, scans = False, [(1, 1)], 0
    pos = 2
    while True:
        if pos >= n - 1 or data[pos] != 0xFF or data[pos + 1] in (0x00, 0xFF):
            # Entropy-coded data or stray bytes: skip to the next marker, as libjpeg does.
            i = int(np.searchsorted(markers, pos))
            if i >= len(markers):
                raise HeaderError("the end-of-image marker is missing")
            pos = int(markers[i])
        marker = data[pos + 1]
        if marker == _JPEG_EOI:
            if not sof_seen:
                raise HeaderError("the frame header (SOF) is missing")
            _jpeg_cost(header, components, progressive or scans > 1)
            return header
        if marker == 0xD8:
            raise HeaderError("a second start-of-image marker")
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # segments without a length
            pos += 2
            continue
        (length,) = _unpack(">H", data, pos + 2, "segment header")
        end = pos + 2 + length
        if length < 2:
            raise HeaderError(f"a segment (marker {marker:02X}) with a length of {length}")
        if end > n:
            raise HeaderError("segment past the end of the file")
        if marker in _JPEG_SOF:
            # libjpeg sizes the image from the first frame header and refuses a second one.
            if sof_seen:
                raise HeaderError("a second frame header (SOF)")
            if length < 8:
                raise HeaderError("the frame header is too short")
            sof_seen = True
            precision, header.height, header.width, count = struct.unpack_from(">BHHB", data, pos + 4)
            if count < 1 or length < 8 + 3 * count:
                raise HeaderError("the frame header does not describe its components")
            sampling = data[pos + 11 : pos + 10 + 3 * count : 3]
            components = [(max(1, f >> 4), max(1, f & 15)) for f in sampling]
            header.channels = 1 if count == 1 else 3  # libjpeg gives gray, or colour that OpenCV makes BGR
            header.sample_bytes = 2 if precision > 8 else 1
            progressive = marker in _JPEG_PROGRESSIVE
        elif marker == _JPEG_SOS:
            if not sof_seen:
                raise HeaderError("image data before the frame header (SOF)")
            scans += 1
            if scans > MAX_JPEG_SCANS:
                raise HeaderError(f"more than {MAX_JPEG_SCANS} scans (each one a pass over the whole image)")
        elif marker == _JPEG_APP1 and not exif_seen and data[pos + 4 : pos + 10] == b"Exif\x00\x00":
            exif_seen = True
            header.orientation = exif_orientation(data[pos + 4 : end])
        elif marker == _JPEG_APP2 and data[pos + 4 : pos + 4 + len(icc.JPEG_ICC_MARKER)] == icc.JPEG_ICC_MARKER:
            header.icc_jpeg.append(data[pos + 4 : end])
        pos = end


def _jpeg_cost(header: Header, components: list[tuple[int, int]], buffered: bool) -> None:
    """Add what libjpeg allocates besides the output: for a progressive or multi-scan JPEG, the whole
    image's coefficients (64 two-byte values per 8x8 block of each component, padded to whole MCUs)."""
    if not buffered:
        return
    h_max = max(h for h, _ in components)
    v_max = max(v for _, v in components)
    mcu_cols = -(-header.width // (8 * h_max))
    mcu_rows = -(-header.height // (8 * v_max))
    blocks = sum(mcu_cols * h * mcu_rows * v for h, v in components)
    header.work_bytes += blocks * 64 * 2


def _scan_png(data: bytes) -> Header:
    """Walk the chunks up to IEND: size from IHDR (the first chunk), orientation from eXIf, spans to drop.

    OpenCV's PNG reader allocates each chunk's declared length before reading it and reads past IEND
    when no IDAT came first, so every length is checked against the file and only what lies up to
    IEND is passed on.
    """
    header = Header()
    n = len(data)
    pos = 8
    has_data = False
    image_bytes = 0  # the IDAT chunks' bytes
    depth, colour, transparency = 8, 2, False
    while True:
        if pos + 8 > n:
            raise HeaderError("the IEND chunk is missing")
        length, ctype = struct.unpack_from(">I4s", data, pos)
        name = ctype.decode("latin-1")
        if length > _PNG_MAX_CHUNK:
            raise HeaderError(f"a {name} chunk longer than PNG allows")
        end = pos + 12 + length
        if end > n:
            raise HeaderError(f"{name} chunk past the end of the file")
        if pos == 8:
            if ctype != b"IHDR" or length != 13:
                raise HeaderError("the header chunk (IHDR) is not first")
            header.width, header.height, depth, colour = struct.unpack_from(">IIBB", data, pos + 8)
        elif ctype == b"IHDR":
            raise HeaderError("a second header chunk (IHDR)")
        elif ctype == b"IDAT":
            has_data = True
            image_bytes += length
        elif ctype == b"tRNS":
            transparency = True
        elif ctype == b"eXIf":
            header.orientation = exif_orientation(data[pos + 8 : pos + 8 + length])
            header.drop.append((pos, end))
        elif ctype in _APNG_CHUNKS:
            header.drop.append((pos, end))
        elif ctype == b"iCCP" and header.icc_png is None:
            header.icc_png = data[pos + 8 : pos + 8 + length]
        elif ctype == b"IEND":
            if not has_data:
                raise HeaderError("the image data (IDAT) is missing")
            _png_cost(header, depth, colour, transparency, image_bytes)
            if end < n:
                header.drop.append((end, n))
            return header
        pos = end


#: Samples per pixel of each PNG colour type (gray, RGB, palette, gray + alpha, RGBA).
_PNG_SAMPLES = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def _png_cost(header: Header, depth: int, colour: int, transparency: bool, image_bytes: int) -> None:
    """Set what OpenCV's PNG reader gives (gray, BGR or BGRA; 16 bits stay 16) and refuse image data too
    short to hold the image: every row is a filter byte and its samples, and deflate packs at most
    :data:`DEFLATE_MAX_RATIO` bytes into one."""
    samples = _PNG_SAMPLES.get(colour)
    if samples is None or depth not in (1, 2, 4, 8, 16):
        raise HeaderError(f"an unknown PNG pixel format (colour type {colour}, {depth} bits)")
    header.sample_bytes = 2 if depth == 16 else 1
    header.channels = 1 if colour == 0 and not transparency else 4 if colour in (4, 6) or transparency else 3
    raw = header.height * (1 + -(-header.width * samples * depth // 8))
    if image_bytes * DEFLATE_MAX_RATIO < raw:
        header.short_data = f"{image_bytes:,} bytes of image data cannot hold {header.width} x {header.height} pixels"


def _scan_webp(data: bytes) -> Header:
    """Walk the RIFF chunks: size from VP8X, VP8 and VP8L (the largest each claims), orientation from EXIF."""
    header = Header()
    (riff_size,) = _unpack("<I", data, 4, "RIFF header")
    end_of_riff = 8 + riff_size
    if end_of_riff > len(data):
        raise HeaderError("RIFF data past the end of the file")
    pos = 12
    sizes: list[tuple[int, int]] = []
    animated = alpha = lossless = False
    while pos + 8 <= end_of_riff:
        fourcc, size = struct.unpack_from("<4sI", data, pos)
        body = pos + 8
        if body + size > end_of_riff:
            raise HeaderError(f"{fourcc.decode('latin-1')} chunk past the end of the file")
        if fourcc == b"VP8X" and size >= 10:
            animated |= bool(data[body] & 0x02)
            alpha |= bool(data[body] & 0x10)
            sizes.append((int.from_bytes(data[body + 4 : body + 7], "little") + 1,
                          int.from_bytes(data[body + 7 : body + 10], "little") + 1))  # fmt: skip
        elif fourcc == b"VP8 " and size >= 10:
            w, h = struct.unpack_from("<HH", data, body + 6)
            sizes.append((w & 0x3FFF, h & 0x3FFF))
        elif fourcc == b"VP8L" and size >= 5:
            lossless = True
            (bits,) = struct.unpack_from("<I", data, body + 1)
            sizes.append(((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1))
        elif fourcc == b"EXIF":
            header.orientation = exif_orientation(data[body : body + size])
        elif fourcc == b"ICCP":
            header.icc_webp = data[body : body + size]
        elif fourcc in (b"ANIM", b"ANMF"):
            animated = True
        elif fourcc == b"ALPH":
            alpha = True
        pos = body + size + (size & 1)
    if sizes:
        header.width, header.height = max(w for w, _ in sizes), max(h for _, h in sizes)
    # libwebp gives BGR or BGRA; a lossless image is decoded into a 32-bit ARGB buffer first, and an
    # animation is composed on two canvases of 4 bytes a pixel (the frame and the one before it).
    header.channels = 4 if alpha or animated or lossless else 3
    pixels = header.width * header.height
    header.work_bytes = pixels * 4 * ((2 if animated else 0) + (1 if lossless else 0))
    return header


def _scan_bmp(data: bytes) -> Header:
    """Read the BMP header's size; check that an uncompressed bitmap's pixel rows fit in the file."""
    offset, dib_size = _unpack("<II", data, 10, "header")
    if dib_size == 12:  # OS/2 1.x: 16-bit sizes
        w, h = _unpack("<HH", data, 18, "header")
        return Header(w, h, channels=3)
    if dib_size < 16:
        raise HeaderError(f"an unknown bitmap header ({dib_size} bytes)")
    w, h = _unpack("<ii", data, 18, "header")
    w, h = abs(w), abs(h)
    if dib_size >= 40:
        _planes, bpp, compression = _unpack("<HHI", data, 26, "header")
        if compression in (0, 3) and bpp in (1, 4, 8, 16, 24, 32):
            row = (w * bpp + 31) // 32 * 4
            if offset + row * h > len(data):
                raise HeaderError("pixel data past the end of the file")
        return Header(w, h, channels=4 if bpp == 32 else 3)
    return Header(w, h, channels=4)


def _scan_tiff(data: bytes) -> Header:
    """Read the first directory (classic TIFF or BigTIFF): size, samples, orientation, and whether the
    strips or tiles are sound: within the file, each in bytes of its own, no tile larger than the image."""
    tags = _read_ifd0(data, _TIFF_TAGS, every_value=True)

    def first(tag: int, default: int = 0) -> int:
        return int(tags[tag][0]) if tag in tags else default

    width, height = first(256), first(257)
    if width < 0 or height < 0:
        raise HeaderError("a negative image size")
    header = Header(width, height, orientation=_orientation(tags.get(ORIENTATION_TAG, ())))
    _tiff_samples(header, tags, first(277, 1), first(262, 1))
    tile_w, tile_h = first(322), first(323)
    if 322 in tags or 323 in tags:
        for side, tile, name in ((width, tile_w, "width"), (height, tile_h, "length")):
            if not 0 < tile <= max(-(-side // 16) * 16, TIFF_MAX_SPARE_TILE):
                raise HeaderError(f"a tile {name} of {tile} for an image of {width} x {height}")
    else:  # strips: libtiff reads rows_per_strip rows at a time (more than the image means all of it)
        tile_w, tile_h = width, min(max(first(278, height), 1), height)
    # OpenCV reads a tile (or strip) at a time into a buffer of up to four channels of the output's depth.
    header.work_bytes = tile_w * tile_h * 4 * header.sample_bytes
    for offsets_tag, counts_tag in ((273, 279), (324, 325)):
        offsets, counts = tags.get(offsets_tag), tags.get(counts_tag)
        if offsets is not None and counts is not None and len(offsets) == len(counts):
            _check_tiff_blocks(offsets.astype(np.float64), counts.astype(np.float64), len(data))
    return header


def _tiff_samples(header: Header, tags: dict[int, np.ndarray], samples: int, photometric: int) -> None:
    """Set the channels and bytes per sample OpenCV's TIFF reader gives, or why it cannot become a photo."""
    bits = int(tags[258].max()) if 258 in tags else 1
    sample_format = int(tags[339][0]) if 339 in tags else 1
    if samples < 1 or bits < 1 or bits > 64:
        raise HeaderError(f"an impossible pixel format ({samples} samples of {bits} bits)")
    header.sample_bytes = 1 if bits <= 8 else 2 if bits <= 16 else 4 if bits <= 32 else 8
    header.channels = 1 if samples == 1 and photometric in (0, 1) else 3 if samples == 3 else 4
    if sample_format == 3:
        header.float_samples = True
    elif sample_format == 2 and bits > 8:
        header.unsupported = f"signed {bits}-bit samples"
    elif sample_format == 2:
        header.unsupported = "signed 8-bit samples"
    elif bits > 16:
        header.unsupported = f"{bits}-bit integer samples"


def _check_tiff_blocks(offsets: np.ndarray, counts: np.ndarray, size: int) -> None:
    """Strips or tiles (``offsets``, byte ``counts``) must lie in the file, each in bytes of its own: tiles
    that share one compressed blob would let a small file decode to any size."""
    ends = offsets + counts  # float64: no overflow; exact below 2**53
    if len(ends) and ends.max() > size:
        raise HeaderError("pixel data past the end of the file")
    used = counts > 0
    order = np.argsort(offsets[used], kind="stable")
    starts, stops = offsets[used][order], ends[used][order]
    if len(starts) > 1 and (starts[1:] < stops[:-1]).any():
        raise HeaderError("strips or tiles that share their bytes")


_SCANNERS: dict[str, Callable[[bytes], Header]] = {
    "jpeg": _scan_jpeg, "png": _scan_png, "webp": _scan_webp, "bmp": _scan_bmp, "tiff": _scan_tiff,
}
