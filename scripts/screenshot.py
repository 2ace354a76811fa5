"""Take a screenshot of the real window on a photo, as a user would see it (a tool for the README, not a test).

Runs the window on whatever display Qt finds (under Xvfb: ``xvfb-run -s "-screen 0 1400x900x24"``),
opens PHOTO, segments it automatically (no clicks) or clicks it, waits for the refined mask, and saves
the window to OUT. Also writes the cut-out PNG beside OUT (``OUT-cutout.png``) for a look at its edges.

    xvfb-run -s "-screen 0 1400x900x24" .venv/bin/python scripts/screenshot.py resources/samples/cat.jpg \\
        docs/screenshot.png --keep 300,150 --remove 20,20
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _wait(app, done, timeout: float = 120.0) -> None:
    end = time.monotonic() + timeout
    while not done() and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)
    app.processEvents()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("photo", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--keep", dest="clicks", action="append", default=[], type=lambda t: (t, True), metavar="X,Y",
                        help="a keep click in photo pixels (clicks are made in the order given)")
    parser.add_argument("--remove", dest="clicks", action="append", type=lambda t: (t, False), metavar="X,Y",
                        help="a remove click in photo pixels")
    parser.add_argument("--size", type=int, nargs=2, default=(1280, 820), metavar=("W", "H"))
    parser.add_argument("--view", choices=["overlay", "cutout", "side"], default="overlay")
    args = parser.parse_args()

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from cutout_app.core.inference.clicks import parse_point
    from cutout_app.gui.editor_state import ViewMode
    from cutout_app.gui.main_window import MainWindow
    from cutout_app.gui.prompts import ScriptedPrompter
    from cutout_app.gui.settings import AppSettings

    app = QApplication.instance() or QApplication(sys.argv)
    with tempfile.TemporaryDirectory() as tmp:
        settings = AppSettings(QSettings(str(Path(tmp) / "settings.ini"), QSettings.Format.IniFormat))
        window = MainWindow(args.model, settings=settings, prompter=ScriptedPrompter())
        window.resize(*args.size)
        window.show()
        if not window.open_path(args.photo):
            print(f"cannot open {args.photo}", file=sys.stderr)
            return 1
        _wait(app, lambda: False, 0.5)
        window.canvas.fit_to_window()
        if args.clicks:
            for text, positive in args.clicks:
                window.click_at(*parse_point(text), positive=positive)
                _wait(app, lambda: not window.clicks.busy)
        else:
            window.segment()
            _wait(app, lambda: window.segment_worker is None)
        window.state.set_view_mode(ViewMode(args.view))
        _wait(app, lambda: False, 0.5)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        window.grab().save(str(args.out))
        from cutout_app.core.files.export import export_result
        from cutout_app.core.files.export_options import ExportOptions
        from cutout_app.core.files.imageio import read_image

        doc = window.document
        export_result(read_image(args.photo), doc.alpha(), args.out.with_name(args.out.stem + "-cutout.png"),
                      ExportOptions(), overwrite=True)
        window.close()
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
