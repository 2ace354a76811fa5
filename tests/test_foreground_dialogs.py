"""The edge check boxes of the export and batch dialogs, and the CLI options, reach the export options."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QSettings
from test_foreground import blond_hair_on_a_green_wall

from cutout_app.cli import build_parser, main
from cutout_app.core.files.export_options import ExportMode, ExportOptions
from cutout_app.gui.batch_dialog import BatchDialog
from cutout_app.gui.export_dialog import ExportDialog
from cutout_app.gui.settings import AppSettings


def test_export_dialog_edge_boxes(qtbot, tmp_path: Path) -> None:
    dialog = ExportDialog(tmp_path / "cut.png")
    qtbot.addWidget(dialog)
    assert dialog.decontaminate_check.isChecked() and not dialog.matting_check.isChecked()  # the defaults
    dialog.decontaminate_check.setChecked(False)
    dialog.matting_check.setChecked(True)
    options = dialog.options()
    assert (options.decontaminate, options.matting) == (False, True)
    dialog.mode_buttons[ExportMode.MASK].setChecked(True)
    assert not dialog.decontaminate_check.isEnabled()  # a mask has no colours to clean
    again = ExportDialog(tmp_path / "cut.png", options)
    qtbot.addWidget(again)
    assert not again.decontaminate_check.isChecked() and again.matting_check.isChecked()


def test_batch_dialog_edge_boxes(qtbot, tmp_path: Path) -> None:
    settings = AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    dialog = BatchDialog(tmp_path / "model.onnx", settings=settings)
    qtbot.addWidget(dialog)
    defaults = ExportOptions()
    assert dialog.options().export.decontaminate is defaults.decontaminate
    assert dialog.options().export.matting is defaults.matting
    dialog.decontaminate_check.setChecked(False)
    dialog.matting_check.setChecked(True)
    assert (dialog.options().export.decontaminate, dialog.options().export.matting) == (False, True)


def test_cli_options() -> None:
    from cutout_app.cli import _options

    export, _ = _options(build_parser().parse_args(["segment", "x.jpg"]))
    assert (export.decontaminate, export.matting) == (True, False)
    export, _ = _options(build_parser().parse_args(["segment", "x.jpg", "--no-decontaminate", "--matting"]))
    assert (export.decontaminate, export.matting) == (False, True)


@pytest.mark.parametrize("flag", [[], ["--no-decontaminate"]])
def test_cutout_segment_decontaminates_unless_told_not_to(
    tmp_path: Path, tiny_model_path: Path, flag: list[str]
) -> None:
    photo, _, _ = blond_hair_on_a_green_wall()
    src = tmp_path / "hair.png"
    ok, png = cv2.imencode(".png", cv2.cvtColor(photo, cv2.COLOR_RGB2BGR))
    src.write_bytes(png.tobytes())
    out = tmp_path / "out.png"
    # softness 1 keeps the tiny model's probability as a soft alpha, so there are partial pixels to clean.
    assert main(["segment", str(src), "-o", str(out), "--model", str(tiny_model_path), "--softness", "1", *flag]) == 0
    back = cv2.cvtColor(cv2.imread(str(out), cv2.IMREAD_UNCHANGED), cv2.COLOR_BGRA2RGBA)
    soft = (back[..., 3] > 0) & (back[..., 3] < 255)
    assert soft.sum() > 100
    if flag:
        np.testing.assert_array_equal(back[soft][:, :3], photo[soft])
    else:
        assert (back[soft][:, :3] != photo[soft]).any()
