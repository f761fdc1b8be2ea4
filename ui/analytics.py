"""Posts → Analytics…: engagement and value per week, the content mix against its target,
which sources work, each published post's counts and outcomes, the values of each kind of
interaction, followers and a what-if calculator, and Export CSV; plus the "too
self-promotional" nudge the composer and Fill my week show."""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QLineSeries,
    QStackedBarSeries,
    QValueAxis,
)
from PySide6.QtCore import QCoreApplication, QDate, QLocale, QObject, Qt, Signal
from PySide6.QtGui import QAction, QBrush, QCloseEvent, QColor, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from curator import Curator
from curator.analytics import post_value, what_if
from curator.types import OUTCOME_KINDS, Account, Post, PostState

from . import errors
from .calendar import account_color
from .feeddialogs import InlineStatus
from .models import format_local
from .scheduler import first_words, queue_events
from .tasks import run_in_background

if TYPE_CHECKING:
    from curator.types import ContentMix, MetricsSnapshot, PostOutcome, SourceScore, Stats

    from .mainwindow import MainWindow

PERIODS = (4, 12, 26)  # weeks the charts can show
DEFAULT_PERIOD = 12
POSTS_SHOWN = 500  # published posts in the posts table, newest first
MIX_ROLES = ("own", "third-party", "competitor", "approved")  # the mix's parts, charted
COUNT_KINDS = ("like", "repost", "reply", "quote")  # interactions the networks count
ROLE_COLORS = {"own": "#e53935", "third-party": "#1e88e5", "competitor": "#fb8c00",
               "approved": "#43a047"}
PostIdRole = Qt.ItemDataRole.UserRole
_WARNING_STYLE = "color: #c62828; font-weight: bold;"
_NUDGE_STYLE = "color: #b26a00;"


def _tr(text: str, disambiguation: str | None = None, n: int = -1) -> str:
    return QCoreApplication.translate("analytics", text, disambiguation, n)


def role_label(role: str) -> str:
    labels = {"own": _tr("Own company"), "third-party": _tr("Third-party"),
              "competitor": _tr("Competitor"), "approved": _tr("Approved"),
              "none": _tr("No item")}
    return labels.get(role, role)


def kind_label(kind: str) -> str:
    """An interaction's or outcome's name, as the user reads it."""
    labels = {"like": _tr("Like"), "repost": _tr("Repost"), "reply": _tr("Reply"),
              "quote": _tr("Quote"), "prospect_reply": _tr("Reply from a prospect"),
              "meeting": _tr("Meeting booked"), "lead": _tr("Lead"),
              "referral": _tr("Referral"), "other": _tr("Other outcome")}
    return labels.get(kind, kind)


def format_number(value: float) -> str:
    """A count or a value in the user's locale: no decimals when there are none."""
    locale = QLocale()
    if float(value).is_integer():
        return locale.toString(int(value))
    return locale.toString(float(value), "f", 1)


def format_share(share: float) -> str:
    return _tr("{percent} %").format(percent=QLocale().toString(round(share * 100)))


def week_label(start: date) -> str:
    return QLocale().toString(QDate(start.year, start.month, start.day), "d MMM")


def _attr(totals: Any, name: str) -> float:
    """One total of a per-role/per-feed entry (a dataclass, or a dict in JSON form)."""
    if isinstance(totals, Mapping):
        return float(totals.get(name) or 0)
    return float(getattr(totals, name, 0) or 0)


# ---- loading -------------------------------------------------------------------------------


@dataclass
class PostRow:
    post: Post
    metrics: MetricsSnapshot | None
    outcomes: list[PostOutcome]
    value: float


@dataclass
class AnalyticsData:
    weeks: int
    stats: Stats
    week_roles: list[dict[str, float]]  # per week of stats.weeks: posts per role
    mix: ContentMix
    ranking: list[SourceScore]
    rows: list[PostRow]
    values: dict[str, float]
    accounts: list[Account]
    followers: dict[int, int | None] = field(default_factory=dict)


def load_analytics(core: Curator, weeks: int, now: datetime | None = None) -> AnalyticsData:
    """Runs in the background: everything the window shows, for the last `weeks` weeks."""
    now = now or datetime.now(UTC)
    start = now - timedelta(weeks=weeks)
    # No end: up to the last post (one published this very second included).
    stats = core.stats(start, now=now)
    week_roles = []
    for week in stats.weeks:
        # Posts per role in that week: the mix over time (the core totals one range per call).
        begin = datetime.combine(week.week_start, datetime.min.time(), UTC)
        per_role = core.stats(begin, begin + timedelta(days=7), now=now).per_role
        week_roles.append({str(role): _attr(t, "posts") for role, t in per_role.items()})
    posts = [p for p in core.history(POSTS_SHOWN) if p.state is PostState.PUBLISHED]
    ids = [p.id for p in posts]
    metrics = core.latest_metrics(ids) if ids else {}
    outcomes: dict[int, list[PostOutcome]] = {}
    for outcome in core.list_outcomes():
        outcomes.setdefault(outcome.post_id, []).append(outcome)
    values = core.values()
    rows = [PostRow(p, metrics.get(p.id), outcomes.get(p.id, []),
                    post_value(metrics.get(p.id), outcomes.get(p.id, []), values))
            for p in posts]
    accounts = core.list_accounts()
    followers = {a.id: core.followers(a.id) for a in accounts}
    return AnalyticsData(weeks, stats, week_roles, core.content_mix(now), core.source_ranking(
        start), rows, values, accounts, followers)


# ---- counts as text ------------------------------------------------------------------------


def count_cell(snapshot: MetricsSnapshot | None, name: str) -> tuple[str, str]:
    """(text, tooltip) of one count: "not available" with the reason, never a made-up 0."""
    if snapshot is None:
        return "—", _tr("Not fetched yet: use “Refresh counts”.")
    if snapshot.unavailable:
        return _tr("not available"), snapshot.unavailable
    value = getattr(snapshot, name)
    if value is None:
        return _tr("not available"), _tr("The network does not give this count to this "
                                         "account.")
    return format_number(value), _tr("Counted {time}").format(
        time=format_local(snapshot.fetched_at))


def engagement_html(snapshot: MetricsSnapshot | None, outcomes: Sequence[PostOutcome],
                    value: float | None = None) -> str:
    """A published post's counts and outcomes, for the queue window's details."""
    e = html.escape
    lines = [f"<p><b>{e(_tr('Engagement'))}</b></p>"]
    if snapshot is None:
        lines.append(f"<p>{e(_tr('Not counted yet.'))}</p>")
    elif snapshot.unavailable:
        text = _tr("Counts not available: {reason}").format(reason=snapshot.unavailable)
        lines.append(f"<p>{e(text)}</p>")
    else:
        parts = []
        for name, label in (("likes", _tr("Likes")), ("reposts", _tr("Reposts")),
                            ("replies", _tr("Replies")), ("quotes", _tr("Quotes")),
                            ("impressions", _tr("Impressions"))):
            text, _tip = count_cell(snapshot, name)
            if name in ("quotes", "impressions") and getattr(snapshot, name) is None:
                continue  # counts some networks never have: not worth a line each
            parts.append(f"{e(label)}: {e(text)}")
        when = _tr("counted {time}").format(time=format_local(snapshot.fetched_at))
        lines.append(f"<p>{' · '.join(parts)} ({e(when)})</p>")
    if outcomes:
        items = "".join(
            f"<li>{e(kind_label(o.kind))}{(' — ' + e(o.note)) if o.note else ''}</li>"
            for o in outcomes)
        lines.append(f"<ul>{items}</ul>")
    if value is not None:
        lines.append(f"<p>{e(_tr('Value: {value}').format(value=format_number(value)))}</p>")
    return "".join(lines)


def load_engagement(core: Curator, post_id: int) -> tuple[Any, list[PostOutcome], float]:
    """Runs in the background: one post's latest counts, its outcomes and its value."""
    snapshot = core.latest_metrics([post_id]).get(post_id)
    outcomes = core.list_outcomes(post_id)
    return snapshot, outcomes, post_value(snapshot, outcomes, core.values())


# ---- Log outcome… --------------------------------------------------------------------------


class OutcomeDialog(QDialog):
    """What happened because of a post: its kind, a note, and a value of its own if wanted."""

    def __init__(self, core: Curator, post: Post, parent: QWidget | None = None,
                 on_logged: Callable[[PostOutcome], None] | None = None):
        super().__init__(parent)
        self.core = core
        self.post = post
        self.on_logged = on_logged
        self.outcome: PostOutcome | None = None
        self.setWindowTitle(self.tr("Log outcome"))
        about = QLabel(self.tr("Because of {account}’s post “{words}”:").format(
            account=post.account, words=first_words(post.text)))
        about.setWordWrap(True)
        about.setTextFormat(Qt.TextFormat.PlainText)
        self.kind = QComboBox()
        for kind in OUTCOME_KINDS:
            self.kind.addItem(kind_label(kind), kind)
        self.note = QLineEdit()
        self.note.setPlaceholderText(self.tr("Who, what was said (optional)"))
        self.own_value = QCheckBox(self.tr("Its own &value:"))
        self.own_value.setToolTip(self.tr(
            "Leave unticked to count this kind's value from Values (Analytics)"))
        self.value = QDoubleSpinBox()
        self.value.setRange(0, 1_000_000)
        self.value.setDecimals(1)
        self.value.setEnabled(False)
        self.own_value.toggled.connect(self.value.setEnabled)
        value_row = QHBoxLayout()
        value_row.addWidget(self.own_value)
        value_row.addWidget(self.value, 1)
        form = QFormLayout()
        form.addRow(self.tr("&Kind:"), self.kind)
        form.addRow(self.tr("&Note:"), self.note)
        form.addRow(value_row)
        self.status = InlineStatus()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.log_button = self.buttons.addButton(self.tr("&Log"),
                                                 QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(about)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)

    def save(self) -> None:
        kind = self.kind.currentData()
        note = self.note.text().strip()
        value = self.value.value() if self.own_value.isChecked() else None
        core, post_id = self.core, self.post.id
        self.log_button.setEnabled(False)
        self.status.busy(self.tr("Saving…"))
        run_in_background(lambda: core.add_outcome(post_id, kind, note=note, value=value),
                          on_success=self._saved, on_error=self._failed, parent=self)

    def _saved(self, outcome: PostOutcome) -> None:
        self.outcome = outcome
        self.status.idle()
        analytics_events().changed.emit()
        if self.on_logged is not None:
            self.on_logged(outcome)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.log_button.setEnabled(True)
        self.status.error(errors.describe(exc)[0])


def open_outcome_dialog(core: Curator, post: Post, parent: QWidget | None = None,
                        on_logged: Callable[[PostOutcome], None] | None = None) -> OutcomeDialog:
    dialog = OutcomeDialog(core, post, parent, on_logged)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


class AnalyticsEvents(QObject):
    """Counts, outcomes, values or followers changed: analytics views reload."""

    changed = Signal()


_events: AnalyticsEvents | None = None


def analytics_events() -> AnalyticsEvents:
    global _events
    if _events is None:
        _events = AnalyticsEvents()
    return _events


# ---- the nudge -----------------------------------------------------------------------------


class MixNudge(QLabel):
    """One line, never blocking: "your queue is mostly your own company's content". Asks the
    core in the background; shown only when the mix is too promotional."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWordWrap(True)
        self.setStyleSheet(_NUDGE_STYLE)
        self.setObjectName("mix-nudge")
        self.hide()
        self.checked = False  # the last check has answered (for tests)

    def check(self, core: Curator, own: bool = True) -> None:
        """Show the nudge if `own` content is about to go out while the mix is too
        promotional; hide it otherwise."""
        self.checked = False
        if not own:
            self.hide()
            self.checked = True
            return
        run_in_background(core.content_mix, on_success=self._answered,
                          on_error=self._failed, parent=self)

    def _answered(self, mix: ContentMix) -> None:
        self.checked = True
        if not mix.too_promotional:
            self.hide()
            return
        own = mix.coming_week.get("own", 0.0)
        target = mix.target.get("own", 0.0)
        self.setText(_tr(
            "Your coming week is already {share} your own company’s content (target "
            "{target}): consider sharing a third-party item instead.").format(
                share=format_share(own), target=format_share(target)))
        self.show()

    def _failed(self, _exc: BaseException) -> None:
        self.checked = True  # a nudge is optional: no error for it
        self.hide()


# ---- the window ----------------------------------------------------------------------------


def _scale(axis: QValueAxis, top: float) -> None:
    """0 to a round number over `top`, one tick per whole number while they are few (no
    "0, 0, 1, 1, 2" labels on a small count)."""
    top = max(1.0, float(top))
    if top <= 8 and float(top).is_integer():
        axis.setRange(0, top)
        axis.setTickCount(int(top) + 1)
    else:
        axis.setRange(0, top)
        axis.setTickCount(5)
        axis.applyNiceNumbers()


def _chart_view(chart: QChart) -> QChartView:
    view = QChartView(chart)
    view.setRenderHint(QPainter.RenderHint.Antialiasing)
    view.setMinimumHeight(220)
    return view


class _NumberItem(QTableWidgetItem):
    """Sorts by the number kept in UserRole + 1, not by its localised text."""

    def __lt__(self, other: QTableWidgetItem) -> bool:
        mine = self.data(Qt.ItemDataRole.UserRole + 1)
        theirs = other.data(Qt.ItemDataRole.UserRole + 1)
        if isinstance(mine, int | float) and isinstance(theirs, int | float):
            return mine < theirs
        return super().__lt__(other)


def _sortable(value: float, text: str | None = None) -> QTableWidgetItem:
    item = _NumberItem()
    item.setData(Qt.ItemDataRole.DisplayRole,
                 text if text is not None else format_number(value))
    item.setData(Qt.ItemDataRole.UserRole + 1, float(value))
    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


class AnalyticsWindow(QWidget):
    """Non-modal. Every read and change runs in the background; the window reloads after."""

    # Posts table columns
    P_TIME, P_ACCOUNT, P_TEXT, P_LIKES, P_REPOSTS, P_REPLIES, P_QUOTES, P_OUTCOMES, P_VALUE = (
        range(9))
    COUNT_COLUMNS = {3: "likes", 4: "reposts", 5: "replies", 6: "quotes"}

    def __init__(self, window: MainWindow | QWidget, core: Curator | None = None):
        super().__init__(window, Qt.WindowType.Window)
        self.core: Curator = core if core is not None else window.core  # type: ignore[union-attr]
        self.data: AnalyticsData | None = None
        self._loading = False
        self._stale = False
        self.loads = 0  # finished loads (for tests)
        self.last_message = ""
        self.setWindowTitle(self.tr("Analytics"))
        self.resize(1000, 700)

        self.period = QComboBox()
        for weeks in PERIODS:
            self.period.addItem(self.tr("Last {weeks} weeks").format(weeks=weeks), weeks)
        self.period.setCurrentIndex(PERIODS.index(DEFAULT_PERIOD))
        self.period.setAccessibleName(self.tr("Period"))
        self.period.currentIndexChanged.connect(lambda _i: self.reload())
        period_label = QLabel(self.tr("&Period:"))
        period_label.setBuddy(self.period)
        self.export_button = QPushButton(self.tr("&Export CSV…"))
        self.export_button.setToolTip(self.tr(
            "Every published post with its latest counts, outcomes and value, for a "
            "spreadsheet"))
        self.export_button.clicked.connect(lambda _c=False: self.export_csv())
        self.totals_label = QLabel()
        self.status = InlineStatus()
        top = QHBoxLayout()
        top.addWidget(period_label)
        top.addWidget(self.period)
        top.addWidget(self.totals_label, 1)
        top.addWidget(self.export_button)

        self.tabs = QTabWidget()
        self.tabs.addTab(self._build_charts(), self.tr("&Charts"))
        self.tabs.addTab(self._build_mix(), self.tr("Content &mix"))
        self.tabs.addTab(self._build_sources(), self.tr("&Sources"))
        self.tabs.addTab(self._build_posts(), self.tr("P&osts"))
        self.tabs.addTab(self._build_values(), self.tr("&Values and reach"))

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.status)
        analytics_events().changed.connect(self.reload)
        queue_events().changed.connect(self.reload)
        self.reload()

    # ---- building ------------------------------------------------------------------------

    def _build_charts(self) -> QWidget:
        # Posts (bars, left axis) and engagement (line, right axis) per week.
        self.posts_set = QBarSet(self.tr("Posts"))
        self.posts_series = QBarSeries()
        self.posts_series.append(self.posts_set)
        self.engagement_series = QLineSeries()
        self.engagement_series.setName(self.tr("Engagement"))
        self.activity_chart = QChart()
        self.activity_chart.setTitle(self.tr("Posts and engagement per week"))
        self.activity_chart.addSeries(self.posts_series)
        self.activity_chart.addSeries(self.engagement_series)
        self.activity_weeks = QBarCategoryAxis()
        self.posts_axis = QValueAxis()
        self.posts_axis.setLabelFormat("%d")
        self.posts_axis.setTitleText(self.tr("Posts"))
        self.engagement_axis = QValueAxis()
        self.engagement_axis.setLabelFormat("%d")
        self.engagement_axis.setTitleText(self.tr("Engagement"))
        self.activity_chart.addAxis(self.activity_weeks, Qt.AlignmentFlag.AlignBottom)
        self.activity_chart.addAxis(self.posts_axis, Qt.AlignmentFlag.AlignLeft)
        self.activity_chart.addAxis(self.engagement_axis, Qt.AlignmentFlag.AlignRight)
        self.posts_series.attachAxis(self.activity_weeks)
        self.posts_series.attachAxis(self.posts_axis)
        self.engagement_series.attachAxis(self.activity_weeks)
        self.engagement_series.attachAxis(self.engagement_axis)

        self.value_set = QBarSet(self.tr("Value"))
        self.value_set.setColor(QColor("#43a047"))
        self.value_series = QBarSeries()
        self.value_series.append(self.value_set)
        self.value_chart = QChart()
        self.value_chart.setTitle(self.tr("Value per week"))
        self.value_chart.addSeries(self.value_series)
        self.value_weeks = QBarCategoryAxis()
        self.value_axis = QValueAxis()
        self.value_axis.setLabelFormat("%.0f")
        self.value_weeks.setLabelsAngle(-90)  # half-width charts: dates upright, not cut
        self.value_chart.addAxis(self.value_weeks, Qt.AlignmentFlag.AlignBottom)
        self.value_chart.addAxis(self.value_axis, Qt.AlignmentFlag.AlignLeft)
        self.value_series.attachAxis(self.value_weeks)
        self.value_series.attachAxis(self.value_axis)
        self.value_chart.legend().hide()

        self.mix_sets: dict[str, QBarSet] = {}
        self.mix_series = QStackedBarSeries()
        for role in MIX_ROLES:
            bar_set = QBarSet(role_label(role))
            bar_set.setColor(QColor(ROLE_COLORS[role]))
            self.mix_sets[role] = bar_set
            self.mix_series.append(bar_set)
        self.mix_chart = QChart()
        self.mix_chart.setTitle(self.tr("Content mix per week (posts by role)"))
        self.mix_chart.addSeries(self.mix_series)
        self.mix_weeks = QBarCategoryAxis()
        self.mix_axis = QValueAxis()
        self.mix_weeks.setLabelsAngle(-90)
        self.mix_axis.setLabelFormat("%d")
        self.mix_chart.addAxis(self.mix_weeks, Qt.AlignmentFlag.AlignBottom)
        self.mix_chart.addAxis(self.mix_axis, Qt.AlignmentFlag.AlignLeft)
        self.mix_series.attachAxis(self.mix_weeks)
        self.mix_series.attachAxis(self.mix_axis)

        page = QWidget()
        grid = QGridLayout(page)
        grid.addWidget(_chart_view(self.activity_chart), 0, 0, 1, 2)
        grid.addWidget(_chart_view(self.value_chart), 1, 0)
        grid.addWidget(_chart_view(self.mix_chart), 1, 1)
        return page

    def _build_mix(self) -> QWidget:
        self.mix_warning = QLabel()
        self.mix_warning.setWordWrap(True)
        self.mix_warning.setStyleSheet(_WARNING_STYLE)
        self.mix_warning.hide()
        self.mix_table = QTableWidget(len(MIX_ROLES), 3)
        self.mix_table.setHorizontalHeaderLabels(
            [self.tr("Last 30 days"), self.tr("Coming week"), self.tr("Target")])
        self.mix_table.setVerticalHeaderLabels([role_label(r) for r in MIX_ROLES])
        self.mix_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.mix_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.target_spins: dict[str, QSpinBox] = {}
        target_box = QGroupBox(self.tr("Your target mix"))
        target_form = QFormLayout(target_box)
        for role in MIX_ROLES:
            spin = QSpinBox()
            spin.setRange(0, 100)
            spin.setSuffix(self.tr(" %"))
            spin.setAccessibleName(role_label(role))
            spin.valueChanged.connect(lambda _v: self._target_edited())
            self.target_spins[role] = spin
            target_form.addRow(role_label(role) + ":", spin)
        self.target_sum = QLabel()
        self.save_target_button = QPushButton(self.tr("Save &target"))
        self.save_target_button.clicked.connect(lambda _c=False: self.save_target())
        target_form.addRow(self.target_sum, self.save_target_button)
        hint = QLabel(self.tr(
            "People trust people who share more than their employer’s material: a healthy "
            "mix is mostly third-party content, with some of your own and even a "
            "competitor’s."))
        hint.setWordWrap(True)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(self.mix_warning)
        layout.addWidget(self.mix_table)
        layout.addWidget(target_box)
        layout.addWidget(hint)
        layout.addStretch(1)
        return page

    def _build_sources(self) -> QWidget:
        self.sources_table = QTableWidget(0, 5)
        self.sources_table.setHorizontalHeaderLabels([
            self.tr("Feed"), self.tr("Role"), self.tr("Posts"), self.tr("Engagement"),
            self.tr("Value")])
        self.sources_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.sources_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.sources_table.verticalHeader().hide()
        self.sources_table.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.Stretch)
        self.sources_table.setSortingEnabled(True)
        page = QWidget()
        layout = QVBoxLayout(page)
        note = QLabel(self.tr("Feeds ranked by the value of the posts made from their items "
                              "(click a column to sort)."))
        note.setWordWrap(True)
        layout.addWidget(note)
        layout.addWidget(self.sources_table)
        return page

    def _build_posts(self) -> QWidget:
        self.posts_table = QTableWidget(0, 9)
        self.posts_table.setHorizontalHeaderLabels([
            self.tr("Published"), self.tr("Account"), self.tr("Post"), self.tr("Likes"),
            self.tr("Reposts"), self.tr("Replies"), self.tr("Quotes"), self.tr("Outcomes"),
            self.tr("Value")])
        self.posts_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.posts_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.posts_table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.posts_table.verticalHeader().hide()
        header = self.posts_table.horizontalHeader()
        header.setSectionResizeMode(self.P_TEXT, QHeaderView.ResizeMode.Stretch)
        self.posts_table.itemSelectionChanged.connect(self._post_selection_changed)
        self.refresh_button = QPushButton(self.tr("&Refresh counts"))
        self.refresh_button.setToolTip(self.tr(
            "Ask the networks for the selected posts’ counts (all shown posts when none is "
            "selected)"))
        self.refresh_button.clicked.connect(lambda _c=False: self.refresh_counts())
        self.log_button = QPushButton(self.tr("&Log outcome…"))
        self.log_button.setToolTip(self.tr(
            "Something happened because of this post: a reply from a prospect, a meeting, a "
            "lead"))
        self.log_button.clicked.connect(lambda _c=False: self.log_outcome())
        self.outcome_list = QListWidget()
        self.outcome_list.setAccessibleName(self.tr("Outcomes of the selected post"))
        self.outcome_list.setMaximumHeight(110)
        self.outcome_list.currentItemChanged.connect(lambda *_: self._update_buttons())
        self.remove_outcome_button = QPushButton(self.tr("Re&move outcome"))
        self.remove_outcome_button.clicked.connect(lambda _c=False: self.remove_outcome())
        buttons = QHBoxLayout()
        buttons.addWidget(self.refresh_button)
        buttons.addWidget(self.log_button)
        buttons.addStretch(1)
        buttons.addWidget(self.remove_outcome_button)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(self.posts_table, 1)
        layout.addLayout(buttons)
        layout.addWidget(QLabel(self.tr("Outcomes of the selected post:")))
        layout.addWidget(self.outcome_list)
        self._update_buttons()
        return page

    def _build_values(self) -> QWidget:
        values_box = QGroupBox(self.tr("What each interaction and outcome is worth to you"))
        values_form = QFormLayout(values_box)
        self.value_spins: dict[str, QDoubleSpinBox] = {}
        for kind in (*COUNT_KINDS, *OUTCOME_KINDS):
            spin = QDoubleSpinBox()
            spin.setRange(0, 1_000_000)
            spin.setDecimals(1)
            spin.setAccessibleName(kind_label(kind))
            self.value_spins[kind] = spin
            values_form.addRow(kind_label(kind) + ":", spin)
        self.save_values_button = QPushButton(self.tr("Save v&alues"))
        self.save_values_button.clicked.connect(lambda _c=False: self.save_values())
        values_form.addRow(self.save_values_button)

        reach_box = QGroupBox(self.tr("Followers"))
        self.followers_table = QTableWidget(0, 2)
        self.followers_table.setHorizontalHeaderLabels([self.tr("Account"),
                                                        self.tr("Followers")])
        self.followers_table.verticalHeader().hide()
        self.followers_table.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.Stretch)
        self.followers_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.followers_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.followers_table.itemChanged.connect(self._followers_edited)
        self.update_followers_button = QPushButton(self.tr("&Update from network"))
        self.update_followers_button.setToolTip(self.tr(
            "Ask the network for the selected account’s follower count; type it in where "
            "the network does not say"))
        self.update_followers_button.clicked.connect(lambda _c=False: self.fetch_followers())
        reach_layout = QVBoxLayout(reach_box)
        reach_layout.addWidget(self.followers_table)
        reach_layout.addWidget(self.update_followers_button)

        whatif_box = QGroupBox(self.tr("What if your team shared it?"))
        form = QFormLayout(whatif_box)
        self.people = QSpinBox()
        self.people.setRange(1, 100_000)
        self.people.setValue(10)
        self.contacts = QSpinBox()
        self.contacts.setRange(0, 1_000_000)
        self.contacts.setValue(500)
        self.networks = QSpinBox()
        self.networks.setRange(1, 10)
        self.networks.setValue(2)
        self.click_rate = QDoubleSpinBox()
        self.click_rate.setRange(0, 100)
        self.click_rate.setDecimals(2)
        self.click_rate.setSuffix(self.tr(" %"))
        self.click_rate.setValue(1.0)
        self.engagement_rate = QDoubleSpinBox()
        self.engagement_rate.setRange(0, 100)
        self.engagement_rate.setDecimals(2)
        self.engagement_rate.setSuffix(self.tr(" %"))
        self.engagement_rate.setValue(2.0)
        form.addRow(self.tr("People sharing:"), self.people)
        form.addRow(self.tr("Contacts each:"), self.contacts)
        form.addRow(self.tr("Networks each:"), self.networks)
        form.addRow(self.tr("Click rate:"), self.click_rate)
        form.addRow(self.tr("Engagement rate:"), self.engagement_rate)
        self.whatif_result = QLabel()
        self.whatif_result.setWordWrap(True)
        self.whatif_result.setTextFormat(Qt.TextFormat.PlainText)
        form.addRow(self.whatif_result)
        inputs: tuple[QSpinBox | QDoubleSpinBox, ...] = (
            self.people, self.contacts, self.networks, self.click_rate, self.engagement_rate)
        for box in inputs:
            box.valueChanged.connect(lambda _v: self.update_what_if())
        self.update_what_if()

        page = QWidget()
        grid = QGridLayout(page)
        grid.addWidget(values_box, 0, 0, 2, 1)
        grid.addWidget(reach_box, 0, 1)
        grid.addWidget(whatif_box, 1, 1)
        return page

    # ---- loading -------------------------------------------------------------------------

    def weeks(self) -> int:
        return int(self.period.currentData())

    def reload(self) -> None:
        """Read everything again in the background (one load at a time)."""
        if not shiboken6.isValid(self):
            return
        if self._loading:
            self._stale = True
            return
        self._loading = True
        self._stale = False
        core, weeks = self.core, self.weeks()
        self.status.busy(self.tr("Loading…"))
        run_in_background(lambda: load_analytics(core, weeks), on_success=self._loaded,
                          on_error=self._load_failed, parent=self)

    def _loaded(self, data: AnalyticsData) -> None:
        self._loading = False
        if self._stale:
            self.reload()
            return
        self.status.idle()
        self.data = data
        self._show_charts(data)
        self._show_mix(data)
        self._show_sources(data)
        self._show_posts(data)
        self._show_values(data)
        total = data.stats.total
        self.totals_label.setText(self.tr(
            "{posts} posts · engagement {engagement} · value {value}").format(
                posts=format_number(_attr(total, "posts")),
                engagement=format_number(_attr(total, "engagement")),
                value=format_number(_attr(total, "value"))))
        self.loads += 1

    def _load_failed(self, exc: BaseException) -> None:
        self._loading = False
        self.status.error(errors.describe(exc)[0])

    def _show_charts(self, data: AnalyticsData) -> None:
        weeks = data.stats.weeks
        labels = [week_label(w.week_start) for w in weeks]
        for axis in (self.activity_weeks, self.value_weeks, self.mix_weeks):
            axis.clear()
            axis.append(labels)
        self.posts_set.remove(0, self.posts_set.count())
        self.posts_set.append([float(w.posts) for w in weeks])
        self.engagement_series.clear()
        for index, week in enumerate(weeks):
            self.engagement_series.append(float(index), float(week.engagement))
        _scale(self.posts_axis, max([1.0, *(w.posts for w in weeks)]))
        _scale(self.engagement_axis, max([1.0, *(w.engagement for w in weeks)]))
        self.value_set.remove(0, self.value_set.count())
        self.value_set.append([float(w.value) for w in weeks])
        _scale(self.value_axis, max([1.0, *(w.value for w in weeks)]))
        for role, bar_set in self.mix_sets.items():
            bar_set.remove(0, bar_set.count())
            bar_set.append([roles.get(role, 0.0) for roles in data.week_roles])
        tallest = max([1.0, *(sum(r.get(k, 0.0) for k in MIX_ROLES) for r in data.week_roles)])
        _scale(self.mix_axis, tallest)

    def _show_mix(self, data: AnalyticsData) -> None:
        mix = data.mix
        for row, role in enumerate(MIX_ROLES):
            for column, shares in enumerate((mix.last_30_days, mix.coming_week, mix.target)):
                self.mix_table.setItem(row, column, QTableWidgetItem(
                    format_share(shares.get(role, 0.0))))
        if mix.too_promotional:
            self.mix_warning.setText(self.tr(
                "Too self-promotional: your own company’s content is {share} of the coming "
                "week (last 30 days: {past}), above your target of {target}. Share more "
                "third-party items.").format(
                    share=format_share(mix.coming_week.get("own", 0.0)),
                    past=format_share(mix.last_30_days.get("own", 0.0)),
                    target=format_share(mix.target.get("own", 0.0))))
        self.mix_warning.setVisible(bool(mix.too_promotional))
        for role, spin in self.target_spins.items():
            spin.blockSignals(True)
            spin.setValue(round(mix.target.get(role, 0.0) * 100))
            spin.blockSignals(False)
        self._target_edited()

    def _target_edited(self) -> None:
        total = sum(spin.value() for spin in self.target_spins.values())
        self.target_sum.setText(self.tr("Total: {percent} %").format(percent=total))
        self.target_sum.setStyleSheet("" if total == 100 else _NUDGE_STYLE)
        self.save_target_button.setEnabled(total == 100)

    def _show_sources(self, data: AnalyticsData) -> None:
        table = self.sources_table
        table.setSortingEnabled(False)
        table.setRowCount(len(data.ranking))
        for row, score in enumerate(data.ranking):
            table.setItem(row, 0, QTableWidgetItem(score.title or ""))
            table.setItem(row, 1, QTableWidgetItem(role_label(str(score.role or "none"))))
            table.setItem(row, 2, _sortable(score.posts))
            table.setItem(row, 3, _sortable(score.engagement))
            table.setItem(row, 4, _sortable(score.value))
        table.setSortingEnabled(True)
        table.sortItems(4, Qt.SortOrder.DescendingOrder)

    def _show_posts(self, data: AnalyticsData) -> None:
        selected = set(self.selected_post_ids())
        table = self.posts_table
        table.blockSignals(True)
        table.setRowCount(len(data.rows))
        for row, entry in enumerate(data.rows):
            post = entry.post
            when = QTableWidgetItem(format_local(post.published_at))
            when.setData(PostIdRole, post.id)
            table.setItem(row, self.P_TIME, when)
            account = QTableWidgetItem(post.account)
            account.setForeground(QBrush(account_color(post.account_id)))
            table.setItem(row, self.P_ACCOUNT, account)
            text = QTableWidgetItem(first_words(post.text, 100))
            text.setToolTip(post.text)
            table.setItem(row, self.P_TEXT, text)
            for column, name in self.COUNT_COLUMNS.items():
                shown, tip = count_cell(entry.metrics, name)
                cell = QTableWidgetItem(shown)
                cell.setToolTip(tip)
                cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if shown == _tr("not available"):
                    cell.setForeground(QBrush(QColor("#757575")))
                table.setItem(row, column, cell)
            outcomes = QTableWidgetItem(format_number(len(entry.outcomes)))
            outcomes.setToolTip("\n".join(kind_label(o.kind) for o in entry.outcomes))
            outcomes.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            table.setItem(row, self.P_OUTCOMES, outcomes)
            value = QTableWidgetItem(format_number(entry.value))
            value.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            table.setItem(row, self.P_VALUE, value)
        for row, entry in enumerate(data.rows):
            if entry.post.id in selected:
                table.selectRow(row)
        table.blockSignals(False)
        self._post_selection_changed()

    def _show_values(self, data: AnalyticsData) -> None:
        for kind, spin in self.value_spins.items():
            spin.setValue(float(data.values.get(kind, 0.0)))
        table = self.followers_table
        table.blockSignals(True)
        table.setRowCount(len(data.accounts))
        for row, account in enumerate(data.accounts):
            name = QTableWidgetItem(account.name)
            name.setData(PostIdRole, account.id)
            name.setForeground(QBrush(account_color(account.id)))
            name.setFlags(name.flags() & ~Qt.ItemFlag.ItemIsEditable)
            table.setItem(row, 0, name)
            count = data.followers.get(account.id)
            cell = QTableWidgetItem("" if count is None else str(count))
            cell.setToolTip(self.tr("Type the count in when the network does not give it"))
            table.setItem(row, 1, cell)
        table.blockSignals(False)

    # ---- posts ---------------------------------------------------------------------------

    def rows(self) -> list[list[str]]:
        """Every posts-table row's texts (for tests)."""
        table = self.posts_table

        def text(row: int, column: int) -> str:
            item = table.item(row, column)
            return item.text() if item is not None else ""

        return [[text(r, c) for c in range(table.columnCount())] for r in range(table.rowCount())]

    def row_of(self, post_id: int) -> int | None:
        for row in range(self.posts_table.rowCount()):
            item = self.posts_table.item(row, self.P_TIME)
            if item is not None and item.data(PostIdRole) == post_id:
                return row
        return None

    def select_post(self, post_id: int) -> bool:
        row = self.row_of(post_id)
        if row is None:
            return False
        self.posts_table.clearSelection()
        self.posts_table.selectRow(row)
        return True

    def selected_post_ids(self) -> list[int]:
        rows = sorted({index.row() for index in self.posts_table.selectedIndexes()})
        found = (self.posts_table.item(r, self.P_TIME) for r in rows)
        return [item.data(PostIdRole) for item in found if item is not None]

    def _entry(self, post_id: int) -> PostRow | None:
        if self.data is None:
            return None
        return next((r for r in self.data.rows if r.post.id == post_id), None)

    def _post_selection_changed(self) -> None:
        self.outcome_list.clear()
        ids = self.selected_post_ids()
        entry = self._entry(ids[0]) if len(ids) == 1 else None
        if entry is not None:
            for outcome in entry.outcomes:
                text = kind_label(outcome.kind)
                if outcome.note:
                    text += " — " + outcome.note
                if outcome.value is not None:
                    text += " " + self.tr("(value {value})").format(
                        value=format_number(outcome.value))
                item = QListWidgetItem(text)
                item.setData(PostIdRole, outcome.id)
                self.outcome_list.addItem(item)
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.log_button.setEnabled(len(self.selected_post_ids()) == 1)
        self.remove_outcome_button.setEnabled(self.outcome_list.currentItem() is not None)
        self.refresh_button.setEnabled(self.posts_table.rowCount() > 0)

    def refresh_counts(self) -> None:
        """Fetch the selected posts' counts (all shown when none is selected), in the
        background; failures come back as "not available" snapshots, never an error box."""
        rows = self.data.rows if self.data is not None else []
        chosen = set(self.selected_post_ids()) or {r.post.id for r in rows}
        # Only posts that reached the network have counts to ask for.
        ids = [r.post.id for r in rows if r.post.id in chosen and r.post.remote_id]
        if not ids:
            return
        core = self.core
        self.refresh_button.setEnabled(False)
        self.status.busy(self.tr("Asking the networks…"))
        run_in_background(lambda: core.fetch_metrics(ids), on_success=self._counts_fetched,
                          on_error=self._failed, parent=self)

    def _counts_fetched(self, snapshots: list[MetricsSnapshot]) -> None:
        self.status.idle()
        self.last_message = self.tr("Counts updated")
        analytics_events().changed.emit()

    def log_outcome(self) -> OutcomeDialog | None:
        ids = self.selected_post_ids()
        entry = self._entry(ids[0]) if len(ids) == 1 else None
        if entry is None:
            return None
        return open_outcome_dialog(self.core, entry.post, self)

    def remove_outcome(self) -> None:
        item = self.outcome_list.currentItem()
        if item is None:
            return
        outcome_id, core = int(item.data(PostIdRole)), self.core
        self.status.busy(self.tr("Removing…"))
        run_in_background(lambda: core.remove_outcome(outcome_id), on_success=self._changed,
                          on_error=self._failed, parent=self)

    def _changed(self, _result: Any) -> None:
        self.status.idle()
        analytics_events().changed.emit()

    def _failed(self, exc: BaseException) -> None:
        self._update_buttons()
        self.status.error(errors.describe(exc)[0])

    # ---- mix target, values, followers ---------------------------------------------------

    def save_target(self) -> None:
        target = {role: spin.value() / 100 for role, spin in self.target_spins.items()}
        core = self.core
        self.status.busy(self.tr("Saving the target…"))
        run_in_background(lambda: core.set_mix_target(target), on_success=self._changed,
                          on_error=self._failed, parent=self)

    def save_values(self) -> None:
        changes = {kind: spin.value() for kind, spin in self.value_spins.items()}
        core = self.core
        self.status.busy(self.tr("Saving values…"))
        run_in_background(lambda: core.set_values(changes), on_success=self._changed,
                          on_error=self._failed, parent=self)

    def _followers_edited(self, item: QTableWidgetItem) -> None:
        if item.column() != 1:
            return
        name = self.followers_table.item(item.row(), 0)
        if name is None:
            return
        account_id = int(name.data(PostIdRole))
        text = item.text().strip().replace(".", "").replace(",", "").replace(" ", "")
        if not text.isdigit():
            self.status.error(self.tr("Type the number of followers as a whole number."))
            return
        count, core = int(text), self.core
        self.status.busy(self.tr("Saving followers…"))
        run_in_background(lambda: core.set_followers(account_id, count),
                          on_success=self._changed, on_error=self._failed, parent=self)

    def set_followers(self, account_id: int, count: int) -> None:
        """Type a follower count into the account's row (as the user does)."""
        for row in range(self.followers_table.rowCount()):
            name = self.followers_table.item(row, 0)
            if name is not None and name.data(PostIdRole) == account_id:
                self.followers_table.setItem(row, 1, QTableWidgetItem(str(count)))
                return

    def fetch_followers(self) -> None:
        rows = {index.row() for index in self.followers_table.selectedIndexes()}
        found = (self.followers_table.item(r, 0) for r in sorted(rows))
        ids = [int(item.data(PostIdRole)) for item in found if item is not None]
        if not ids:
            self.status.error(self.tr("Select an account first."))
            return
        core = self.core
        self.status.busy(self.tr("Asking the network…"))
        run_in_background(lambda: [core.fetch_followers(i) for i in ids],
                          on_success=self._followers_fetched, on_error=self._failed,
                          parent=self)

    def _followers_fetched(self, counts: list[int | None]) -> None:
        self.status.idle()
        if any(c is not None for c in counts):
            analytics_events().changed.emit()
        if any(c is None for c in counts):  # nothing stored: nothing to reload
            self.last_message = self.tr(
                "This network does not say how many followers the account has: type it in.")
            self.status.error(self.last_message)

    def update_what_if(self) -> None:
        """The team's reach, clicks and engagements, worked out as the user types."""
        result = what_if(self.people.value(), self.contacts.value(), self.networks.value(),
                         self.click_rate.value() / 100, self.engagement_rate.value() / 100)
        self.whatif_result.setText(self.tr(
            "One post shared by everyone reaches about {reach} people, brings {clicks} "
            "clicks and {engagements} engagements.").format(
                reach=format_number(round(result.reach)),
                clicks=format_number(round(result.clicks)),
                engagements=format_number(round(result.engagements))))

    # ---- export --------------------------------------------------------------------------

    def export_csv(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Export CSV"), "curator-posts.csv",
            self.tr("CSV files (*.csv);;All files (*)"))
        if path:
            self.export_to(path)

    def export_to(self, path: str) -> None:
        core = self.core
        self.status.busy(self.tr("Exporting…"))
        run_in_background(lambda: core.export_csv(path),
                          on_success=lambda count: self._exported(count, path),
                          on_error=self._failed, parent=self)

    def _exported(self, count: int, path: str) -> None:
        self.status.idle()
        # Two strings, not a plural form: "Saved 1 post", "Saved 12 posts".
        saved = (self.tr("Saved 1 post to {path}") if count == 1
                 else self.tr("Saved {count} posts to {path}"))
        self.last_message = saved.format(count=count, path=path)
        self.totals_label.setText(self.last_message)

    def closeEvent(self, event: QCloseEvent) -> None:
        # The module-wide signals outlive this window: stop following them.
        for signal in (analytics_events().changed, queue_events().changed):
            try:
                signal.disconnect(self.reload)
            except (RuntimeError, TypeError):
                pass
        super().closeEvent(event)


class AnalyticsActions(QObject):
    """Posts → Analytics…"""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        self.analytics_window: AnalyticsWindow | None = None
        self.action = QAction(self.tr("A&nalytics…"), self)
        self.action.setToolTip(self.tr(
            "Engagement, content mix, which sources work and what your posts are worth"))
        self.action.triggered.connect(lambda _checked=False: self.show_analytics())
        menu = window.post_actions.menu  # objectName "posts-menu" (ui/accounts.py)
        menu.addSeparator()
        menu.addAction(self.action)

    def show_analytics(self) -> AnalyticsWindow:
        """Open the analytics window (one at a time)."""
        shown = self.analytics_window
        if shown is None or not shiboken6.isValid(shown) or not shown.isVisible():
            shown = AnalyticsWindow(self.window)
            shown.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            self.analytics_window = shown
            shown.show()
        shown.raise_()
        shown.activateWindow()
        return shown
