"""Window speed on a 24-megapixel photo (not a test): brush dab, full redraws, threshold change, clicks, hover preview.

Run: ``QT_QPA_PLATFORM=offscreen python bench/bench_gui.py [--width 6000 --height 4000 --repeat 20]
[--model MODEL_FOLDER]``. Each figure is the median wall time of the whole user-visible step, paint
included: the edit in core, the pyramid update, and Qt painting the damaged rect (the paint is forced with
``processEvents``/``repaint``). The click rows run the real window on a two-stage model folder: ``--model``
(e.g. models/cutout), else a tiny hand-wired one built here (needs torch: the test extra), which times
everything around the networks but not a real network. The hover row times the click tool's hover preview
from the end of the pointer's rest (``HOVER_DELAY_MS``, not counted) to its tint painted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from PySide6.QtCore import QEvent, QEventLoop, QPointF, QSettings, Qt, QTimer  # noqa: E402
from PySide6.QtGui import QMouseEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from cutout_app.core.files.imageio import Photo  # noqa: E402
from cutout_app.core.table import format_table  # noqa: E402
from cutout_app.gui.canvas import ImageCanvas  # noqa: E402
from cutout_app.gui.document import Document  # noqa: E402
from cutout_app.gui.editor_state import EditorState, Tool, ViewMode  # noqa: E402


def synthetic_photo(height: int, width: int) -> tuple[Photo, np.ndarray]:
    """A smooth gradient photo with a noisy ellipse subject, and a soft mask of that ellipse."""
    rng = np.random.default_rng(0)
    small = rng.integers(0, 255, (height // 50, width // 50, 3), dtype=np.uint8)
    rgb = cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)
    soft = np.zeros((height, width), np.uint8)
    cv2.ellipse(soft, (width // 2, height // 2), (width // 4, height // 3), 0, 0, 360, 255, -1)
    soft = cv2.GaussianBlur(soft, (31, 31), 0)
    return Photo(rgb), soft


def real_photo(source: str, height: int, width: int) -> Photo:
    """The real photo ``source`` enlarged to ``height`` x ``width`` as bench_engine makes its photos (a JPEG, read back)."""
    import tempfile
    from pathlib import Path

    from bench_engine import make_photo

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "photo.jpg"
        make_photo(path, height, width, Path(source))
        return Photo(cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB))


def median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def autosave_rows(doc: Document, repeat: int) -> list[tuple[str, float]]:
    """Cost of journaling a brush stroke (region diff, fsync'd) and of a full snapshot of the mask."""
    import tempfile
    from pathlib import Path

    from cutout_app.gui.autosave import DocumentAutosave

    with tempfile.TemporaryDirectory() as folder:
        photo_file = Path(folder) / "photo.jpg"  # the journal is keyed by the file's path, size and mtime
        photo_file.write_bytes(b"stand-in")
        autosave = DocumentAutosave(doc, photo_file, Path(folder) / "autosave")
        t0 = time.perf_counter()
        doc.begin_stroke(100, 100, 30, 0.7, "add")
        doc.end_stroke()  # first edit: writes the base snapshot
        first = (time.perf_counter() - t0) * 1000
        rng = np.random.default_rng(2)

        def stroke() -> None:
            x, y = float(rng.uniform(500, 5000)), float(rng.uniform(500, 3500))
            doc.begin_stroke(x, y, 30, 0.7, "add")
            doc.stroke_to(x + 200, y + 50, 30, 0.7, "add")
            doc.end_stroke()

        per_stroke = median_ms(stroke, repeat)
        autosave.close()
    return [("autosave: first edit (base snapshot PNG)", first), ("60px stroke 200px long + journal append", per_stroke)]


def tiny_model(folder) -> str:
    """A tiny hand-wired two-stage model folder (the one the GUI tests use)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from conftest import export_tiny_two_stage

    return str(export_tiny_two_stage(Path(folder) / "tiny-two-stage"))


def hover_rows(window, photo: Photo, hovers: int) -> list[tuple[str, float]]:
    """The pointer rests on the canvas: from the end of the rest to the hover tint painted (median; a first, untimed
    rest prepares the photo for the global net)."""
    from cutout_app.gui.editor_state import Tool
    from cutout_app.gui.hover_preview import HOVER_DELAY_MS

    app = QApplication.instance()
    canvas, hover = window.canvas, window.hover
    window.state.set_tool(Tool.CLICK)
    stamps: dict[str, float] = {}
    loop = QEventLoop()
    hover.started.connect(lambda: stamps.setdefault("started", time.perf_counter()))

    def on_changed() -> None:
        if hover.picture is not None:
            canvas.repaint()  # the tint painted
            stamps["shown"] = time.perf_counter()
            loop.quit()

    hover.changed.connect(on_changed)
    rng = np.random.default_rng(5)
    times = []
    for i in range(hovers + 1):
        x, y = float(rng.uniform(0.2, 0.8) * photo.width), float(rng.uniform(0.2, 0.8) * photo.height)
        pos = QPointF(canvas.image_to_widget(x, y))
        stamps.clear()
        QApplication.sendEvent(canvas, QMouseEvent(QEvent.Type.MouseMove, pos, canvas.mapToGlobal(pos), Qt.MouseButton.NoButton,
                                                   Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier))
        QTimer.singleShot(HOVER_DELAY_MS + 600_000, loop.quit)
        loop.exec()
        app.processEvents()
        if i and "shown" in stamps:
            times.append((stamps["shown"] - stamps["started"]) * 1000)
    return [(f"hover -> preview shown (after the {HOVER_DELAY_MS} ms rest, median of {len(times)})", statistics.median(times))]


def click_rows(photo: Photo, model: str | None, clicks: int, hovers: int = 5) -> list[tuple[str, float]]:
    """Click to global mask on screen, and click to refined mask, in the real window (medians); then the hover preview."""
    import tempfile
    from pathlib import Path

    from cutout_app.gui.main_window import MainWindow
    from cutout_app.gui.prompts import ScriptedPrompter
    from cutout_app.gui.settings import AppSettings

    app = QApplication.instance()
    with tempfile.TemporaryDirectory() as folder:
        model = model or tiny_model(folder)
        path = Path(folder) / "photo.jpg"
        cv2.imwrite(str(path), cv2.cvtColor(photo.rgb8(), cv2.COLOR_RGB2BGR))
        settings = AppSettings(QSettings(str(Path(folder) / "settings.ini"), QSettings.Format.IniFormat))
        window = MainWindow(model, settings=settings, prompter=ScriptedPrompter(), autosave_dir=Path(folder) / "autosave")
        window.resize(1400, 900)
        window.show()
        assert window.open_path(path), "the photo did not open"
        app.processEvents()
        # A user looks at the photo before the first click: the window's background work after opening (the
        # photo prepared for the global net) ends first.
        while window.workers.busy:
            app.processEvents()
            time.sleep(0.005)
        stamps: dict[str, float] = {}
        loop = QEventLoop()

        def on_applied(stage: str) -> None:
            app.processEvents()  # the repaint of the new mask
            stamps[stage] = time.perf_counter()
            if stage == "refined":
                loop.quit()

        window.clicks.applied.connect(on_applied)
        rng = np.random.default_rng(3)
        global_ms, refined_ms, hurried_ms = [], [], []
        for i in range(2 * clicks + 1):
            x, y = float(rng.uniform(0.2, 0.8) * photo.width), float(rng.uniform(0.2, 0.8) * photo.height)
            stamps.clear()
            # A click's refined mask starts a new autosave generation, written in the background (a 24 MP base:
            # about 0.16 s). The first half of the clicks let it finish, as a user looking at the mask does;
            # the second half click at once, while it writes.
            if i <= clicks:
                window.autosave.flush()
            t0 = time.perf_counter()
            window.click_at(x, y, positive=bool(i % 3 != 2))
            QTimer.singleShot(600_000, loop.quit)
            loop.exec()
            if i == 0:
                first = [(stamps[k] - t0) * 1000 if k in stamps else float("nan") for k in ("global", "view", "refined")]
                continue  # the first click has rows of its own: it refines the whole photo
            if i > clicks:
                hurried_ms.append((stamps["global"] - t0) * 1000)
                continue
            global_ms.append((stamps["global"] - t0) * 1000)
            refined_ms.append((stamps["refined"] - t0) * 1000)
        name = window.engine.describe()
        window.clicks.applied.disconnect(on_applied)
        hovering = hover_rows(window, photo, hovers) if hovers else []
        spacing = space_rows(window)
        window.document.mark_saved()
        window.close()
    return [
        (f"first click -> global mask shown ({name})", first[0]),
        (f"first click -> refined at the view's scale shown (fit, {window.canvas.zoom * 100:.0f}%)", first[1]),
        ("first click -> full-resolution mask done", first[2]),
        (f"click -> global mask shown (median of {clicks})", statistics.median(global_ms)),
        (f"click -> refined mask shown = full resolution done (median of {clicks}, focus region only)", statistics.median(refined_ms)),
        (f"click at once after the last one's refined mask -> global mask shown (median of {clicks}, autosave writing)",
         statistics.median(hurried_ms)),
        *hovering,
        *spacing,
    ]


def space_rows(window) -> list[tuple[str, float]]:
    """Space at fit: to the global mask on show, to the view-scale refinement on show, to the full-resolution mask."""
    app = QApplication.instance()
    window.canvas.fit_to_window()
    app.processEvents()
    doc = window.document
    stamps: list[float] = []
    loop = QEventLoop()

    def on_preview() -> None:
        if doc.preview is not None:
            app.processEvents()
            stamps.append(time.perf_counter())

    doc.preview_changed.connect(on_preview)
    window.segmentation_finished.connect(lambda _: loop.quit())
    t0 = time.perf_counter()
    window.segment()
    QTimer.singleShot(600_000, loop.quit)
    loop.exec()
    done = time.perf_counter()
    doc.preview_changed.disconnect(on_preview)
    shown = [(t - t0) * 1000 for t in stamps] + [float("nan")] * 2
    return [("Space -> first preview shown (the global mask)", shown[0]),
            ("Space -> refined at the view's scale shown", shown[1]),
            ("Space -> full-resolution mask done", (done - t0) * 1000)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--width", type=int, default=6000)
    parser.add_argument("--height", type=int, default=4000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--brush", type=float, default=60.0, help="brush diameter in image pixels")
    parser.add_argument("--model", default=None, help="two-stage model folder for the click rows (default: a tiny one)")
    parser.add_argument("--clicks", type=int, default=5, help="clicks to time (after a first, untimed one)")
    parser.add_argument("--hovers", type=int, default=5, help="hover previews to time (after a first, untimed one)")
    parser.add_argument("--only-clicks", action="store_true", help="skip the canvas rows")
    parser.add_argument("--photo", default=None,
                        help="click rows on this real photo enlarged to the size (default: the synthetic one, whose "
                             "noise leaves the global net unsure everywhere, so every refiner tile runs)")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])

    photo, soft = synthetic_photo(args.height, args.width)
    clicked = photo if args.photo is None else real_photo(args.photo, args.height, args.width)
    if args.only_clicks:
        rows = click_rows(clicked, args.model, args.clicks, args.hovers)
        print(format_table(["step", "median ms"], [[name, f"{ms:.1f}"] for name, ms in rows]))
        return
    state = EditorState()
    canvas = ImageCanvas(state)
    canvas.resize(1400, 900)
    canvas.show()
    t0 = time.perf_counter()
    doc = Document(photo, soft=soft)
    canvas.set_document(doc)
    app.processEvents()
    load_ms = (time.perf_counter() - t0) * 1000
    state.set(tool=Tool.ADD, brush_size=args.brush, brush_hardness=0.7)
    rng = np.random.default_rng(1)

    def dab() -> None:
        # One mouse press: a dab in core, the pyramid refreshed there, and the canvas repainting its rect.
        x = float(rng.uniform(args.width * 0.3, args.width * 0.7))
        y = float(rng.uniform(args.height * 0.3, args.height * 0.7))
        canvas.gesture.press(doc, x, y)
        app.processEvents()
        canvas.gesture.release(doc)

    def dab_in_view() -> None:
        # A dab under the 100 % view, so the repaint really draws pixels.
        centre = canvas.widget_to_image(canvas.rect().center().toPointF())
        x, y = centre[0] + float(rng.uniform(-300, 300)), centre[1] + float(rng.uniform(-200, 200))
        canvas.gesture.press(doc, x, y)
        app.processEvents()
        canvas.gesture.release(doc)

    def full_redraw() -> None:
        canvas.repaint()

    def threshold_change() -> None:
        doc.set_view_settings(threshold=float(rng.uniform(0.3, 0.7)))
        app.processEvents()

    rows: list[tuple[str, float]] = [(f"open: pyramids + first paint ({args.width}x{args.height})", load_ms)]
    for mode in (ViewMode.OVERLAY, ViewMode.CUTOUT, ViewMode.SIDE_BY_SIDE):
        state.set_view_mode(mode)
        canvas.fit_to_window()
        app.processEvents()
        rows.append((f"{mode.value}: full redraw, fit ({canvas.zoom * 100:.0f}%)", median_ms(full_redraw, args.repeat)))
        canvas.set_zoom(1.0)
        app.processEvents()
        rows.append((f"{mode.value}: full redraw, 100%", median_ms(full_redraw, args.repeat)))
    state.set_view_mode(ViewMode.OVERLAY)
    canvas.fit_to_window()
    app.processEvents()
    rows.append((f"brush dab {args.brush:.0f}px + repaint, fit", median_ms(dab, args.repeat)))
    canvas.set_zoom(1.0)
    app.processEvents()
    rows.append((f"brush dab {args.brush:.0f}px + repaint, 100%", median_ms(dab_in_view, args.repeat)))
    rows.append(("threshold change + full repaint, 100%", median_ms(threshold_change, args.repeat)))
    canvas.fit_to_window()
    app.processEvents()
    rows.append(("threshold change + full repaint, fit", median_ms(threshold_change, args.repeat)))

    rows += autosave_rows(doc, args.repeat)
    rows += click_rows(clicked, args.model, args.clicks, args.hovers)

    print(format_table(["step", "median ms"], [[name, f"{ms:.1f}"] for name, ms in rows]))


if __name__ == "__main__":
    main()
