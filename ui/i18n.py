"""Translations: English plural forms always, then the user's language when Curator has it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

FOLDER = Path(__file__).parent / "translations"


def install_translations(
    app: QCoreApplication, locale: QLocale | None = None
) -> list[QTranslator]:
    """Install Curator's translators on app; returns them (keep them alive with the app).

    Qt fills in %n but picks the plural form only through a translator, hence the English
    file. Translators installed later win, so the user's language goes last.
    """
    locale = locale or QLocale()
    installed: list[QTranslator] = []

    def install(translator: QTranslator, loaded: bool) -> None:
        if loaded and app.installTranslator(translator):
            installed.append(translator)

    english = QTranslator(app)
    install(english, english.load(str(FOLDER / "curator_en.qm")))
    if locale.language() not in (QLocale.Language.English, QLocale.Language.C):
        qt_own = QTranslator(app)  # the standard dialogs' buttons
        install(qt_own, qt_own.load(locale, "qtbase", "_",
                                    QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)))
        ours = QTranslator(app)
        install(ours, ours.load(locale, "curator", "_", str(FOLDER)))
    return installed
