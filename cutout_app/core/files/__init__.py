"""Files: reading photos safely and writing results without ever losing one.

- ``imageio``: decoding JPEG, PNG, WebP, BMP and TIFF with EXIF orientation, size and sanity checks;
  ``headers``: the header scanners it relies on (they never raise anything but their own error);
- ``safe_decode``: decoding untrusted photos in an isolated child process; ``decoder_pool``: a child per
  reading thread (training's thousands of pairs);
- ``icc``: colour profiles carried from the photo to the PNG;
- ``export``: the cut-out as a PNG (transparent, on a colour, or the mask), on disk or in memory;
  ``export_options``: what it makes, and colours written as text;
  ``destination``: where it may be written; ``png_writer``: its fast, block-wise encoder;
- ``atomic``, ``filelock``: atomic writes and the claims of live writers; ``names``: result names;
  ``folder``: a folder's photos in order (the window's next and previous photo).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cutout_app.core._face import lazy_face

_MODULES = {
    "imageio": ["MAX_FILE_BYTES", "Photo", "SUPPORTED_EXTENSIONS", "decode_image", "is_supported_image", "read_image", "read_labels", "read_mask"],
    "headers": ["Header", "HeaderError", "exif_orientation", "scan_header", "sniff_format"],
    "safe_decode": ["DECODER_CRASHED", "DecoderProcess", "read_image_protected"],
    "decoder_pool": ["DecoderPool"],
    "export": ["compose", "encode_result", "export_alpha", "export_result"],
    "export_options": ["ExportMode", "ExportOptions", "parse_colour"],
    "destination": ["check_destination", "output_path_for"],
    "png_writer": ["encode_png"],
    "atomic": ["atomic_write_bytes", "check_writable_folder", "os_error_reason"],
    "filelock": ["CLAIM_SUFFIX", "claim", "remove_stale_files"],
    "folder": ["folder_photos", "neighbour_photo"],
    "names": ["CUTOUT_SUFFIX", "MAX_NAME_BYTES", "cutout_path", "fit_name", "is_cutout_path", "name_bytes"],
    "icc": ["JPEG_ICC_MARKER"],
}

__getattr__, __all__ = lazy_face(__name__, _MODULES)

if TYPE_CHECKING:
    from cutout_app.core.files.atomic import atomic_write_bytes, check_writable_folder, os_error_reason  # noqa: F401
    from cutout_app.core.files.destination import check_destination, output_path_for  # noqa: F401
    from cutout_app.core.files.export import compose, encode_result, export_alpha, export_result  # noqa: F401
    from cutout_app.core.files.export_options import ExportMode, ExportOptions, parse_colour  # noqa: F401
    from cutout_app.core.files.filelock import CLAIM_SUFFIX, claim, remove_stale_files  # noqa: F401
    from cutout_app.core.files.folder import folder_photos, neighbour_photo  # noqa: F401
    from cutout_app.core.files.headers import Header, HeaderError, exif_orientation, scan_header, sniff_format  # noqa: F401
    from cutout_app.core.files.icc import JPEG_ICC_MARKER  # noqa: F401
    from cutout_app.core.files.imageio import MAX_FILE_BYTES, SUPPORTED_EXTENSIONS, Photo, decode_image, is_supported_image, read_image, read_labels, read_mask  # noqa: F401
    from cutout_app.core.files.names import CUTOUT_SUFFIX, MAX_NAME_BYTES, cutout_path, fit_name, is_cutout_path, name_bytes  # noqa: F401
    from cutout_app.core.files.png_writer import encode_png  # noqa: F401
    from cutout_app.core.files.decoder_pool import DecoderPool  # noqa: F401
    from cutout_app.core.files.safe_decode import DECODER_CRASHED, DecoderProcess, read_image_protected  # noqa: F401
