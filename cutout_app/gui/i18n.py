"""The user-interface language: choose it, remember it, and install the Qt translators for it.

Translations live in ``resources/translations/cutout_<code>.qm`` (compiled from the ``.ts`` files by
``resources/translations/update.py``). Qt's own strings (standard buttons, file dialogs) come from
the ``qtbase_<code>.qm`` that PySide6 ships, installed after cutout's so that it is asked first; the few
strings of Qt's file dialog that it lacks are in cutout's own (:mod:`cutout_app.gui.file_dialogs`). Installing translators while the window is open switches
it at once: Qt sends every widget a LanguageChange event, and the window's widgets set their texts again.
Dates follow the chosen language too (the default QLocale).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QSettings, QTranslator

from cutout_app.core.paths import RESOURCES_DIR

TRANSLATIONS_DIR = RESOURCES_DIR / "translations"
SETTINGS_KEY = "ui/language"
SOURCE_LANGUAGE = "en"

_LANGUAGES: list[tuple[str, str]] = [("en", "English"), ("zh_CN", "简体中文")]

# QCoreApplication.installTranslator does not keep a Python reference: the translators must stay alive.
_installed: list[QTranslator] = []


def available_languages() -> list[tuple[str, str]]:
    """``(code, native name)`` of every language the interface can be shown in, English first."""
    return list(_LANGUAGES)


def translation_file(code: str) -> Path:
    """The compiled translation of cutout's own strings for ``code``."""
    return TRANSLATIONS_DIR / f"cutout_{code}.qm"


def _default_settings() -> QSettings:
    from cutout_app.gui.settings import APPLICATION, ORGANIZATION

    return QSettings(ORGANIZATION, APPLICATION)


def saved_language(settings: QSettings | None = None) -> str | None:
    """The language the user chose, or None to follow the system."""
    value = (settings if settings is not None else _default_settings()).value(SETTINGS_KEY)
    code = str(value) if value else None
    return code if code in dict(_LANGUAGES) else None


def set_language(code: str | None, settings: QSettings | None = None) -> None:
    """Remember ``code`` (None: follow the system) for the next start (:func:`install_translator` switches now)."""
    if code is not None and code not in dict(_LANGUAGES):
        raise ValueError(f"Unknown language {code!r}; available: {', '.join(c for c, _ in _LANGUAGES)}")
    store = settings if settings is not None else _default_settings()
    if code is None:
        store.remove(SETTINGS_KEY)
    else:
        store.setValue(SETTINGS_KEY, code)
    store.sync()


def language_for_locale(locale: QLocale) -> str:
    """The available language that best fits ``locale`` (English when none does)."""
    if locale.language() == QLocale.Language.Chinese:
        # Simplified Chinese for zh_CN / zh_SG / zh_Hans; Traditional-script locales keep English.
        return "zh_CN" if locale.script() == QLocale.Script.SimplifiedHanScript else SOURCE_LANGUAGE
    name = locale.name()
    codes = dict(_LANGUAGES)
    if name in codes:
        return name
    prefix = name.split("_")[0]
    return prefix if prefix in codes else SOURCE_LANGUAGE


def remove_translators(app: QCoreApplication | None = None) -> None:
    """Uninstall the translators that :func:`install_translator` installed."""
    app = app or QCoreApplication.instance()
    while _installed:
        translator = _installed.pop()
        if app is not None:
            app.removeTranslator(translator)


def install_translator(app: QCoreApplication, language: str | None = None, settings: QSettings | None = None) -> str:
    """Install the translators for ``language`` on ``app`` and return the language code in effect.

    ``language`` None means the saved choice (:func:`set_language`), else the system locale.
    Previously installed translators are removed first, so this can be called again to switch.
    A missing or unreadable ``.qm`` file leaves the interface in English (and returns ``"en"``).
    """
    if language is None:
        language = saved_language(settings) or language_for_locale(QLocale.system())
    remove_translators(app)
    system = QLocale.system()
    if language == SOURCE_LANGUAGE or language not in dict(_LANGUAGES):
        QLocale.setDefault(system)
        return SOURCE_LANGUAGE

    own = QTranslator(app)
    if not own.load(str(translation_file(language))):
        QLocale.setDefault(system)
        return SOURCE_LANGUAGE
    app.installTranslator(own)
    _installed.append(own)
    chosen = QLocale(language)
    QLocale.setDefault(system if system.language() == chosen.language() else chosen)

    qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    qt_base = QTranslator(app)
    if qt_base.load(f"qtbase_{language}", qt_dir):
        app.installTranslator(qt_base)
        _installed.append(qt_base)
    return language
