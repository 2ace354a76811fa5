"""The lazy face of a core folder: its ``__init__`` names the public names and the module of each.

A name is imported on first use, so importing one module of a folder stays cheap (``cutout --help``
does not load onnxruntime, and the window does not load pymatting before the first export).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any, Callable


def lazy_face(package: str, modules: dict[str, list[str]]) -> tuple[Callable[[str], Any], list[str]]:
    """``__getattr__`` and ``__all__`` for ``package``, whose public names live in ``modules`` (module -> names)."""
    where = {name: module for module, names in modules.items() for name in names}

    def __getattr__(name: str) -> Any:
        if name in where:
            return getattr(import_module(f"{package}.{where[name]}"), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__, sorted(where)
