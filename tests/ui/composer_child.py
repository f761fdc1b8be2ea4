"""Run by test_composer: open the composer on a data dir and type until killed.

Prints "draft ID" once the draft exists, then "typed N" after each keystroke (N characters
typed so far), flushed, so the test knows what was typed when it sends SIGKILL.
"""

import sys

TEXT = ("¿Se guarda todo? Año tras año, la campaña dice: ¡ñandú! " * 20)[:900]
KEY_INTERVAL_MS = 20


def main(data_dir: str) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from curator import Curator
    from ui.composer import open_composer
    from ui.mainwindow import MainWindow

    app = QApplication([sys.argv[0]])
    core = Curator(data_dir)
    window = MainWindow(core)
    window.show()
    composer = open_composer(window)
    typed = 0
    timer = QTimer()
    timer.setInterval(KEY_INTERVAL_MS)

    def key() -> None:
        nonlocal typed
        if typed >= len(TEXT):
            timer.stop()
            return
        composer.main_edit.insertPlainText(TEXT[typed])
        typed += 1
        print(f"typed {typed}", flush=True)

    def loaded(draft_id: int) -> None:
        print(f"draft {draft_id}", flush=True)
        timer.start()

    timer.timeout.connect(key)
    composer.loaded.connect(loaded)
    app.exec()


if __name__ == "__main__":
    main(sys.argv[1])
