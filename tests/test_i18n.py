"""Interface languages: the compiled Chinese translation loads and really translates the dialogs."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QLocale, QSettings, QTranslator

from cutout_app.gui import i18n


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def app(qapp):
    yield qapp
    i18n.remove_translators(qapp)  # later tests expect the English source strings


def test_available_languages() -> None:
    codes = [code for code, _ in i18n.available_languages()]
    assert codes[0] == "en" and "zh_CN" in codes
    assert dict(i18n.available_languages())["zh_CN"] == "简体中文"


def test_qm_file_exists_and_loads() -> None:
    path = i18n.translation_file("zh_CN")
    assert path.is_file()
    translator = QTranslator()
    assert translator.load(str(path))
    assert not translator.isEmpty()


def test_chinese_translator_translates_dialog_strings(app, settings: QSettings) -> None:
    assert i18n.install_translator(app, "zh_CN", settings) == "zh_CN"
    assert QCoreApplication.translate("BatchDialog", "Start") == "开始"
    assert QCoreApplication.translate("BatchDialog", "Input folder:") == "输入文件夹："
    assert QCoreApplication.translate("BatchDialog", "no such source string") == "no such source string"


def test_core_wording_is_translated_in_the_window(app, settings: QSettings) -> None:
    from functools import partial

    from cutout_app.core.batch.plan import BatchReport, FileResult
    from cutout_app.core.wording import CONTEXT

    report = BatchReport([FileResult(Path("a.jpg"), Path("a.png"), "failed", "cannot decode")], cancelled=True, planned=3,
                         handled=1)
    english = report.summary()  # the command line's wording
    assert english.startswith("Done: 0, skipped (output exists): 0, failed: 1.") and "  a.jpg: cannot decode" in english
    i18n.install_translator(app, "zh_CN", settings)
    chinese = report.summary(partial(QCoreApplication.translate, CONTEXT))
    assert chinese.startswith("完成：0") and "2 个文件未处理" in chinese and "  a.jpg: cannot decode" in chinese


def test_english_uses_the_source_strings(app, settings: QSettings) -> None:
    i18n.install_translator(app, "zh_CN", settings)
    assert i18n.install_translator(app, "en", settings) == "en"
    assert QCoreApplication.translate("BatchDialog", "Start") == "Start"


def test_dialog_built_in_chinese_shows_chinese(app, qtbot, settings: QSettings, tmp_path: Path) -> None:
    from cutout_app.gui.batch_dialog import BatchDialog

    i18n.install_translator(app, "zh_CN", settings)
    dialog = BatchDialog(tmp_path / "model.onnx")
    qtbot.addWidget(dialog)
    assert dialog.start_button.text() == "开始"
    assert dialog.windowTitle() != "Batch cut-out"


def test_saved_choice_is_used_when_no_language_is_given(app, settings: QSettings) -> None:
    i18n.set_language("zh_CN", settings)
    assert i18n.saved_language(settings) == "zh_CN"
    assert i18n.install_translator(app, None, settings) == "zh_CN"
    i18n.set_language(None, settings)
    assert i18n.saved_language(settings) is None
    with pytest.raises(ValueError):
        i18n.set_language("xx", settings)


def test_language_for_locale() -> None:
    assert i18n.language_for_locale(QLocale("zh_CN")) == "zh_CN"
    assert i18n.language_for_locale(QLocale("zh_SG")) == "zh_CN"
    assert i18n.language_for_locale(QLocale("zh_TW")) == "en"
    assert i18n.language_for_locale(QLocale("de_DE")) == "en"
    assert i18n.language_for_locale(QLocale("en_GB")) == "en"


def test_every_source_string_is_translated() -> None:
    ts = i18n.TRANSLATIONS_DIR / "cutout_zh_CN.ts"
    missing = [
        (ctx.findtext("name"), msg.findtext("source"))
        for ctx in ET.parse(ts).getroot().iter("context")
        for msg in ctx.iter("message")
        if msg.find("translation").get("type") in ("unfinished", "obsolete", "vanished") or not msg.findtext("translation")
    ]
    assert missing == []


def test_placeholders_survive_translation() -> None:
    """A translation must keep every {name} of its source, or str.format would fail at run time."""
    import re

    ts = i18n.TRANSLATIONS_DIR / "cutout_zh_CN.ts"
    for msg in ET.parse(ts).getroot().iter("message"):
        source, translation = msg.findtext("source") or "", msg.findtext("translation") or ""
        assert set(re.findall(r"\{\w*\}", source)) == set(re.findall(r"\{\w*\}", translation)), source
        assert set(re.findall(r"%\w", source)) <= set(re.findall(r"%\w", translation)), source
