"""Start the cutout window: ``cutout gui [IMAGE] [--model PATH] [--provider auto|cuda|cpu]`` or ``cutout-gui``."""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from cutout_app.core.paths import icon_path, sample_photo_path
from cutout_app.gui.settings import PROVIDERS

log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cutout-gui", description="Open the cutout editor window.")
    parser.add_argument("image", nargs="?", type=Path, help="photo to open")
    parser.add_argument("--model", type=Path, default=None,
                        help="model folder (global.onnx + refiner.onnx) or single .onnx file "
                             "(default: $CUTOUT_MODEL or the bundled one)")
    parser.add_argument("--provider", choices=PROVIDERS, default=None,
                        help="where to run the model (default: the choice saved in the window, else auto)")
    parser.add_argument("--sample", action="store_true", help="open the bundled sample photo")
    parser.add_argument("--language", default=None, help="interface language for this run (en, zh_CN)")
    parser.add_argument(
        "--screenshot",
        type=Path,
        default=None,
        metavar="PNG",
        help="developer option: open IMAGE, segment it, save a picture of the window to PNG and quit",
    )
    parser.add_argument("--view", choices=["overlay", "cutout", "side"], default=None, help="view mode to start in")
    return parser


def _install_translations(app: QApplication, language: str | None) -> str:
    try:
        from cutout_app.gui import i18n
    except ImportError:  # pragma: no cover - the translations are optional
        return "en"
    try:
        return i18n.install_translator(app, language)
    except Exception as exc:  # noqa: BLE001 - a broken translation must not stop the app
        log.warning("translations not installed: %s", exc)
        return "en"


def _cleanup_autosaves() -> None:
    try:
        from cutout_app.core.editing import cleanup_stale

        cleanup_stale()
    except Exception as exc:  # noqa: BLE001 - housekeeping only
        log.debug("autosave cleanup failed: %s", exc)


def main(argv: list[str] | None = None) -> int:
    """Run the window until it is closed; returns the exit status."""
    args = build_parser().parse_args(sys.argv[1:] if argv is None else [str(a) for a in argv])
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "cutout"])
    app.setWindowIcon(QIcon(str(icon_path())))
    QCoreApplication.setOrganizationName("cutout")
    QCoreApplication.setApplicationName("cutout")
    _install_translations(app, args.language)

    from cutout_app.gui.editor_state import ViewMode
    from cutout_app.gui.main_window import MainWindow

    image = sample_photo_path() if args.sample and args.image is None else args.image
    if args.screenshot is not None:
        return _screenshot(app, args.model, args.provider, image, args.screenshot, args.view)

    _cleanup_autosaves()
    window = MainWindow(args.model, provider=args.provider)
    if args.view:
        window.state.set_view_mode(ViewMode(args.view))
    window.show()
    if image is not None:
        QTimer.singleShot(0, lambda: window.start_open(image))
    return app.exec()


def _screenshot(
    app: QApplication, model: Path | None, provider: str | None, image: Path | None, out: Path, view: str | None
) -> int:
    """Open ``image``, segment it, save the window as ``out`` and quit (for the README's picture)."""
    from PySide6.QtCore import QSettings

    from cutout_app.gui.editor_state import ViewMode
    from cutout_app.gui.main_window import MainWindow
    from cutout_app.gui.prompts import ScriptedPrompter
    from cutout_app.gui.settings import AppSettings

    scratch = Path(tempfile.mkdtemp(prefix="cutout-shot-"))
    settings = AppSettings(QSettings(str(scratch / "settings.ini"), QSettings.Format.IniFormat))
    prompter = ScriptedPrompter(restore=False)
    window = MainWindow(model, provider=provider, settings=settings, prompter=prompter, autosave_dir=scratch / "autosave")
    window.resize(1360, 860)
    if view:
        window.state.set_view_mode(ViewMode(view))
    window.show()
    status = {"code": 1}
    # A local loop rather than app.exec(): after exec() returns Qt treats the application as closing.
    loop = QEventLoop()

    def save() -> None:
        out.parent.mkdir(parents=True, exist_ok=True)
        ok = window.grab().save(str(out))
        print(f"screenshot {'saved to' if ok else 'FAILED:'} {out}")
        status["code"] = 0 if ok else 1
        window.document and window.document.mark_saved()
        window.close()
        loop.quit()

    def start() -> None:
        if image is None or not window.open_path(image) or not window.segment():
            print("screenshot: cannot open or segment", image, prompter.errors)
            QTimer.singleShot(300, save)
            return
        window.segmentation_finished.connect(lambda outcome: QTimer.singleShot(300, save))

    QTimer.singleShot(100, start)
    loop.exec()
    shutil.rmtree(scratch, ignore_errors=True)
    return status["code"]


if __name__ == "__main__":
    raise SystemExit(main())
