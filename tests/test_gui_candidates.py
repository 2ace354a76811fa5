"""Tab cycles a first click's candidates in the real window, on a tiny two-stage model whose global net has three.

The global net is a random EncoderUNet with random candidate layers (``export_candidates_two_stage`` in
conftest), so its candidates differ; what each one is comes from core, computed here again.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from gui_support import open_window, settle_clicks, window_on_photo
from PySide6.QtCore import Qt

from cutout_app.core.inference import Click, click_step
from cutout_app.gui.click_segmenter import preview_shape

A = (80.5, 60.5)
B = (30.5, 30.5)


@pytest.fixture
def window(qtbot, tiny_candidates_path: Path, tmp_path: Path, photo_path: Path, monkeypatch: pytest.MonkeyPatch):
    return window_on_photo(qtbot, tiny_candidates_path, tmp_path, photo_path, monkeypatch)



def _tab(qtbot, window) -> np.ndarray:
    """Press Tab and return the candidate's quick picture as it is shown, then wait for its refined mask."""
    with qtbot.waitSignal(window.clicks.applied, timeout=30000) as blocker:
        qtbot.keyClick(window.canvas, Qt.Key.Key_Tab)
    assert blocker.args == ["global"]
    shown = window.document.preview.copy()
    settle_clicks(qtbot, window)
    return shown


def _label(window) -> str:
    label = window.status.candidate_label
    return label.text() if label.isVisible() else ""


def test_tab_cycles_the_candidates_best_first_and_undo_brings_back_each_choice(qtbot, window):
    doc, model = window.document, window.engine
    assert model.info.candidates == 3 and window.ui_actions.next_candidate.isEnabled()
    step = click_step(model, doc.rgb, model.prepare(doc.rgb), (Click(*A, True),))
    n = step.candidates
    assert n == 4  # the net's single answer, then its three candidates
    best = step.prediction.best_candidate()
    pictures = [step.with_candidate(k).preview(preview_shape(doc.height, doc.width)) for k in range(n)]
    assert all(not np.array_equal(pictures[k], pictures[k + 1]) for k in range(1, n - 1))

    qtbot.mouseClick(window.canvas, Qt.MouseButton.LeftButton, pos=window.canvas.grab_point(*A))
    settle_clicks(qtbot, window)
    assert _label(window) == f"Candidate {best + 1} of {n} — Tab: next"  # the best candidate shows first
    masks = [doc.soft.copy()]
    for i in range(1, n):
        k = (best + i) % n
        np.testing.assert_array_equal(_tab(qtbot, window), pictures[k])  # the next candidate, as core makes it
        assert _label(window) == f"Candidate {k + 1} of {n} — Tab: next"
        masks.append(doc.soft.copy())
    np.testing.assert_array_equal(_tab(qtbot, window), pictures[best])  # round again to the first
    assert _label(window) == f"Candidate {best + 1} of {n} — Tab: next"
    assert len(doc.clicks) == 1  # Tab adds no click

    # Each Tab is one undo step: undo brings back each previous choice, mask and label, then the click goes.
    for i in reversed(range(n)):
        window.ui_actions.undo.trigger()
        np.testing.assert_array_equal(doc.soft, masks[i])
        assert _label(window) == f"Candidate {(best + i) % n + 1} of {n} — Tab: next"
    window.ui_actions.undo.trigger()
    assert not doc.soft.any() and doc.clicks == () and _label(window) == ""
    window.ui_actions.redo.trigger()
    np.testing.assert_array_equal(doc.soft, masks[0])
    # Tab goes on from the choice that undo and redo brought back.
    np.testing.assert_array_equal(_tab(qtbot, window), pictures[(best + 1) % n])


def test_a_later_click_refines_the_chosen_candidate(qtbot, window):
    doc = window.document
    window.click_at(*A, True)
    settle_clicks(qtbot, window)
    _tab(qtbot, window)
    chosen = doc.soft.copy()
    window.click_at(*B, True)
    settle_clicks(qtbot, window)
    assert len(doc.clicks) == 2 and _label(window) == ""  # a later click's mask is no candidate
    assert (doc.soft >= chosen).all()  # a keep click only adds to the chosen candidate
    # Tab now has nothing to cycle: it says so and changes nothing.
    mask = doc.soft.copy()
    qtbot.keyClick(window.canvas, Qt.Key.Key_Tab)
    assert "No candidates" in window.status.currentMessage() and not window.clicks.busy
    np.testing.assert_array_equal(doc.soft, mask)


def test_tab_is_off_for_a_model_without_candidates(qtbot, tiny_two_stage_path, tmp_path, photo_path, monkeypatch):
    monkeypatch.setenv("CUTOUT_DATA_DIR", str(tmp_path / "data"))
    win = open_window(qtbot, tiny_two_stage_path, tmp_path)
    assert win.open_path(photo_path)
    win.click_at(*A, True)
    settle_clicks(qtbot, win)
    assert not win.ui_actions.next_candidate.isEnabled() and _label(win) == ""
    assert not win.next_candidate() and len(win.document.clicks) == 1
