"""Peer of benchmarks/startup.py: a Qt window that loads every item eagerly, as naive apps do.

Same three panes as Curator (feeds, item table, reader), the same SQLite file, PySide6 too,
but the usual first-attempt design: on the UI thread, one SELECT of every item into a
QStandardItemModel (three QStandardItems a row, bold when unread), a QSortFilterProxyModel
for search (case-insensitive substring of the title: it searches less text than Curator's
full-text search over title and summary, and does not fold accents). Run as its own process
by startup.py; prints one JSON line with the same figures as Curator's child.

  .venv/bin/python benchmarks/startup_naive.py STORE_DIR
"""

from __future__ import annotations

import json
import os
import resource
import sqlite3
import sys


def since_start() -> float:
    """Seconds since the kernel started this process (interpreter start-up included)."""
    ticks = os.sysconf("SC_CLK_TCK")
    with open("/proc/self/stat") as f:
        start = int(f.read().rsplit(")", 1)[1].split()[19]) / ticks
    with open("/proc/uptime") as f:
        uptime = float(f.read().split()[0])
    return uptime - start


from PySide6.QtCore import QDateTime, QElapsedTimer, QLocale, QSortFilterProxyModel, Qt  # noqa: E402
from PySide6.QtGui import QFont, QStandardItem, QStandardItemModel  # noqa: E402
from PySide6.QtWidgets import (  # noqa: E402
    QAbstractItemView,
    QApplication,
    QHeaderView,
    QLineEdit,
    QListWidget,
    QMainWindow,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

SEARCHES = ["security", "campana", '"open source"', "quasar"]  # as Curator's child


class NaiveWindow(QMainWindow):
    def __init__(self, db_path: str):
        super().__init__()
        self.resize(1200, 750)
        db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        feeds = QListWidget()
        for (title,) in db.execute("SELECT coalesce(user_title, title, url) FROM feeds ORDER BY 1"):
            feeds.addItem(title)

        self.model = QStandardItemModel(0, 3)
        self.model.setHorizontalHeaderLabels(["Title", "Feed", "Date"])
        bold = QFont()
        bold.setBold(True)
        locale = QLocale()
        short = QLocale.FormatType.ShortFormat
        rows = db.execute(
            "SELECT i.title, coalesce(f.user_title, f.title), i.sort_date, i.read "
            "FROM items i JOIN feeds f ON f.id = i.feed_id WHERE i.hidden = 0 "
            "ORDER BY i.sort_date DESC, i.id DESC"
        )
        root = self.model.invisibleRootItem()
        for title, feed_title, date, read in rows:
            when = QDateTime.fromString(date, Qt.DateFormat.ISODate).toLocalTime()
            cells = [
                QStandardItem(title or "(untitled)"),
                QStandardItem(feed_title or ""),
                QStandardItem(locale.toString(when, short)),
            ]
            if not read:
                for cell in cells:
                    cell.setFont(bold)
            root.appendRow(cells)
        db.close()

        self.proxy = QSortFilterProxyModel()
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterKeyColumn(0)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)

        self.search = QLineEdit()
        self.items = QTableView()
        self.items.setModel(self.proxy)
        self.items.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.items.setShowGrid(False)
        self.items.setWordWrap(False)
        self.items.setAlternatingRowColors(True)
        self.items.verticalHeader().hide()
        self.items.verticalHeader().setDefaultSectionSize(self.items.fontMetrics().height() + 8)
        self.items.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        middle = QWidget()
        layout = QVBoxLayout(middle)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search)
        layout.addWidget(self.items)
        splitter = QSplitter()
        splitter.addWidget(feeds)
        splitter.addWidget(middle)
        splitter.addWidget(QTextBrowser())
        splitter.setSizes([220, 540, 440])
        self.setCentralWidget(splitter)


def main() -> None:
    app = QApplication(["naive-qt-reader"])
    window = NaiveWindow(os.path.join(sys.argv[1], "curator.db"))
    window.show()
    window.repaint()
    app.processEvents()
    out: dict[str, object] = {
        "first_page_painted_s": since_start(),
        "rows": window.proxy.rowCount(),
    }

    timer = QElapsedTimer()
    searches = []
    for q in SEARCHES:
        window.proxy.setFilterFixedString("")
        app.processEvents()
        timer.start()
        window.proxy.setFilterFixedString(q.strip('"'))
        window.repaint()
        app.processEvents()
        searches.append(timer.nsecsElapsed() / 1e6)
    window.proxy.setFilterFixedString("")
    app.processEvents()
    out["search_ms"] = searches

    view = window.items
    bar = view.verticalScrollBar()
    frames = []
    for _ in range(60):
        timer.start()
        bar.setValue(bar.value() + bar.pageStep())
        view.viewport().repaint()
        app.processEvents()
        frames.append(timer.nsecsElapsed() / 1e6)
    out["scroll_frame_ms"] = frames
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out), flush=True)
    sys.stdout.flush()
    os._exit(0)  # as Curator's child: Qt teardown is not part of what is measured


if __name__ == "__main__":
    main()
