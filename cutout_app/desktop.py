"""Install cutout into a Linux desktop: an application entry ("Open with cutout") and its icon.

    python -m cutout_app.desktop              # install for this user
    python -m cutout_app.desktop --uninstall

The entry (``resources/cutout.desktop``) opens JPEG, PNG and WebP photos; its command is this Python
running ``-m cutout_app gui``, so it works whether or not the venv's bin folder is on the desktop's
PATH. Files go to ``$XDG_DATA_HOME`` (default ``~/.local/share``): ``applications/cutout.desktop`` and
``icons/hicolor/scalable/apps/cutout.svg``; the desktop's caches are refreshed where the tools exist.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Sequence

from cutout_app.core.paths import desktop_entry_path, icon_path

ENTRY_NAME = "cutout.desktop"


def data_home() -> Path:
    """``$XDG_DATA_HOME``, or ``~/.local/share`` when it is unset or empty."""
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def installed_paths(base: Path | None = None) -> tuple[Path, Path]:
    """Where the entry and the icon go under ``base`` (default :func:`data_home`)."""
    base = base or data_home()
    return base / "applications" / ENTRY_NAME, base / "icons" / "hicolor" / "scalable" / "apps" / icon_path().name


def _quote(arg: str) -> str:
    """An Exec argument, quoted as the Desktop Entry Specification requires when it has special characters."""
    if arg and not any(c in arg for c in ' \t\n"\'\\><~|&;$*?#()`%'):
        return arg
    escaped = arg.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`").replace("$", "\\$")
    return f'"{escaped}"'.replace("%", "%%")


def entry_text(python: str | None = None) -> str:
    """The desktop entry, its command set to ``python -m cutout_app gui %f`` (default: this Python)."""
    command = " ".join(_quote(a) for a in (python or sys.executable, "-m", "cutout_app", "gui")) + " %f"
    lines = []
    for line in desktop_entry_path().read_text(encoding="utf-8").splitlines():
        if line.startswith("Exec="):
            line = f"Exec={command}"
        elif line.startswith("TryExec="):
            line = f"TryExec={python or sys.executable}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def install(base: Path | None = None) -> tuple[Path, Path]:
    """Write the entry and the icon under ``base`` (default :func:`data_home`); return their paths."""
    entry, icon = installed_paths(base)
    entry.parent.mkdir(parents=True, exist_ok=True)
    icon.parent.mkdir(parents=True, exist_ok=True)
    entry.write_text(entry_text(), encoding="utf-8")
    shutil.copyfile(icon_path(), icon)
    _refresh_caches(entry.parent, icon.parents[2])
    return entry, icon


def uninstall(base: Path | None = None) -> list[Path]:
    """Remove what :func:`install` wrote; return the paths removed."""
    removed = []
    for path in installed_paths(base):
        if path.exists():
            path.unlink()
            removed.append(path)
    entry, icon = installed_paths(base)
    _refresh_caches(entry.parent, icon.parents[2])
    return removed


def _refresh_caches(applications: Path, icon_theme: Path) -> None:
    """Tell the desktop about the change, where its tools are installed (optional: caches refresh at login too)."""
    for command in (["update-desktop-database", "-q", str(applications)],
                    ["gtk-update-icon-cache", "-q", "-t", str(icon_theme)]):  # fmt: skip
        if shutil.which(command[0]) and applications.is_dir():
            subprocess.run(command, check=False, capture_output=True)


def main(argv: Sequence[str] | None = None) -> int:
    """The ``python -m cutout_app.desktop`` command."""
    parser = argparse.ArgumentParser(prog="python -m cutout_app.desktop", description=__doc__.splitlines()[0])
    parser.add_argument("--uninstall", action="store_true", help="remove the entry and the icon")
    args = parser.parse_args(argv)
    if args.uninstall:
        for path in uninstall():
            print(f"removed {path}")
        return 0
    for path in install():
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
