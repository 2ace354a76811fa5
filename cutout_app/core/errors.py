"""The error types that cutout raises for problems a user can fix, and what makes their text safe to show."""

from __future__ import annotations

import unicodedata

#: Unicode categories written as escapes: controls, invisible formatting (such as right-to-left
#: overrides), surrogates (undecodable bytes of a file name), private and unassigned code points,
#: line and paragraph separators.
_UNPRINTABLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def printable(text: str) -> str:
    """``text`` with every character that could act on a terminal, or hide, written as an escape.

    A file name or a file's contents in a message cannot clear the screen (ESC [2J), fake a line or
    reorder the text: ``\x1b``, ``\n``, ``\u202e``. A byte of a file name that is not UTF-8 (a lone
    surrogate from ``os.fsdecode``) comes out as the byte, ``\xff``. Letters of any script, and spaces, stay.
    """
    if text.isprintable():
        return text
    out = []
    for ch in text:
        code = ord(ch)
        if ch == " " or unicodedata.category(ch) not in _UNPRINTABLE:
            out.append(ch)
        elif 0xDC80 <= code <= 0xDCFF:
            out.append(f"\\x{code - 0xDC00:02x}")
        elif code < 0x100:
            out.append(f"\\x{code:02x}")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return "".join(out)


class CutoutError(Exception):
    """Base class: a problem with a message fit to show a user.

    Its text, ``str(error)``, is :func:`printable`: file names and file contents in it cannot act on a terminal.
    """

    def __str__(self) -> str:
        return printable(super().__str__())


class ImageReadError(CutoutError):
    """A file could not be read as an image (missing, empty, corrupt, truncated, not an image, too large)."""

    def __init__(self, path: object, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"Cannot read image '{self.path}': {reason}")


class ModelError(CutoutError):
    """A model file is missing, broken, or lacks cutout's metadata."""


class ArgumentError(CutoutError, ValueError):
    """A value given to cutout is not one it takes (an image array of the wrong shape or type, a click or
    box outside the photo, an unknown option); the message names the value and what would do."""


class ExportError(CutoutError):
    """A result could not be written (read-only folder, would overwrite the original, disk full...)."""


class Cancelled(CutoutError):
    """The user cancelled a long-running operation."""
