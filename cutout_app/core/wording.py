"""Wording that core writes once for every front end: the command line prints it, the window translates it.

Core never imports Qt. Such strings are marked with :func:`QT_TRANSLATE_NOOP`, the name Qt's lupdate
collects (``resources/translations/update.py`` scans the core modules that use it), under the context
:data:`CONTEXT`; whoever formats them takes a :data:`Translate` function, which the window fills with
``QCoreApplication.translate`` and the command line leaves as the identity.
"""

from __future__ import annotations

from typing import Callable

#: Turns a marked string into the user's language (the identity on the command line).
Translate = Callable[[str], str]

#: The translation context of every marked string.
CONTEXT = "cutout"


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:  # noqa: N802 - the marker lupdate looks for
    """Mark ``text`` for translation; returns it unchanged."""
    return text


def same(text: str) -> str:
    """The identity :data:`Translate`: the source (English) wording."""
    return text
