"""Translations: English plurals are right, the translation files follow the code."""

import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLocale

from ui.i18n import FOLDER, install_translations

ROOT = Path(__file__).parent.parent.parent


def test_english_plurals(qapp):
    tr = QCoreApplication.translate
    assert tr("RefreshController", "%n feeds failed", "", 1) == "1 feed failed"
    assert tr("RefreshController", "%n feeds failed", "", 3) == "3 feeds failed"
    assert tr("RefreshController", "%n new items", "", 1) == "1 new item"
    assert tr("RefreshController", "%n new items", "", 0) == "0 new items"


def test_each_translator_loads(qapp):
    translators = install_translations(qapp, QLocale(QLocale.Language.English))
    try:
        assert [t.filePath() for t in translators] == [str(FOLDER / "curator_en.qm")]
    finally:
        for translator in translators:
            qapp.removeTranslator(translator)


def test_translation_files_follow_the_code():
    # A plural string added to the code without its English forms would read "1 feeds".
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "translations.py"), "--check"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    for ts in FOLDER.glob("*.ts"):
        assert 'type="unfinished"' not in ts.read_text(encoding="utf-8"), ts.name
