"""The batch dialog shows the output folder's manifest: what every run into that folder did."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
from conftest import make_photo
from test_gui_batch import dialog, folders  # noqa: F401 - the batch dialog's fixtures

from cutout_app.core.batch.manifest import MANIFEST_NAME
from cutout_app.gui.batch_dialog import BatchDialog


def test_the_summary_counts_every_run_into_the_folder(qtbot, dialog: BatchDialog, folders: tuple[Path, Path]) -> None:  # noqa: F811
    src, out = folders
    dialog.input_edit.setText(str(src))
    dialog.output_edit.setText(str(out))
    with qtbot.waitSignal(dialog.batch_finished, timeout=60000):
        assert dialog.start()
    assert "All runs into this folder (cutout-manifest.jsonl): 3 done, 1 failed." in dialog.summary_text()

    # The user fixes the corrupt photo: Start retries it, and the manifest's totals follow.
    assert cv2.imwrite(str(src / "corrupt.jpg"), make_photo(60, 80, seed=7))
    with qtbot.waitSignal(dialog.batch_finished, timeout=60000) as blocker:
        assert dialog.start()
    report = blocker.args[0]
    assert [r.src.name for r in report.done] == ["corrupt.jpg"] and len(report.skipped) == 3
    assert "All runs into this folder (cutout-manifest.jsonl): 4 done, 0 failed." in dialog.summary_text()
    records = [json.loads(line) for line in (out / MANIFEST_NAME).read_text().splitlines()]
    assert [r["status"] for r in records if r["output"] == "corrupt.png"] == ["failed", "done"]
