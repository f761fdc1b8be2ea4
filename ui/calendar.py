"""Posts → Calendar…: the week's (and the month's) scheduled, published and failed posts at
their local time, coloured by account; drag a post to reschedule it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from PySide6.QtCore import (
    QCoreApplication,
    QDate,
    QLocale,
    QModelIndex,
    QPersistentModelIndex,
    QPointF,
    QRectF,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QBrush,
    QColor,
    QContextMenuEvent,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QPainter,
    QPen,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGraphicsItem,
    QGraphicsLineItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsSceneMouseEvent,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionGraphicsItem,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from curator import Curator
from curator.types import Account, Post, PostState

from . import errors
from .feeddialogs import InlineStatus
from .models import format_local
from .scheduler import first_words, queue_events
from .tasks import run_in_background

if TYPE_CHECKING:
    from .mainwindow import MainWindow

GRID_MINUTES = 15  # a dragged post lands on this grid
HOUR_HEIGHT = 48  # pixels per hour in the week view
GUTTER = 52  # the hours column on the left
HEADER_HEIGHT = 34  # the day names above the columns
MIN_COLUMN_WIDTH = 96
CHIP_MINUTES = 30  # a post is an instant: its chip is drawn this tall
NOW_TICK_MS = 60_000  # the current-time line moves this often
HISTORY_PAGE = 200  # published posts are read newest first, in growing pages
MONTH_ROWS = 6
DRAGGABLE = (PostState.SCHEDULED, PostState.FAILED, PostState.NEEDS_ATTENTION)
# Distinct on light and dark palettes; an account keeps its colour (chosen by its id).
PALETTE = ("#1e88e5", "#e53935", "#43a047", "#8e24aa", "#fb8c00", "#00897b", "#6d4c41",
           "#d81b60", "#3949ab", "#7cb342", "#5e35b1", "#00acc1")
_REMOVED_COLOR = "#9e9e9e"  # a post whose account was removed since
_TODAY_COLOR = QColor(255, 214, 0, 40)
_NOW_COLOR = QColor("#d50000")
_ERROR_STYLE = "color: #c62828;"
STATE_MARK = {PostState.PUBLISHED: "✓", PostState.FAILED: "⚠",
              PostState.NEEDS_ATTENTION: "⚠", PostState.PUBLISHING: "…"}
DateRole = Qt.ItemDataRole.UserRole
CountsRole = Qt.ItemDataRole.UserRole + 1  # [(account_id or -1, count)] of that day
InMonthRole = Qt.ItemDataRole.UserRole + 2


def _tr(text: str) -> str:
    return QCoreApplication.translate("calendar", text)


# ---- time and colour, without widgets ---------------------------------------------------------


def account_color(account_id: int | None) -> QColor:
    """The account's colour: the same every time for the same id."""
    if account_id is None:
        return QColor(_REMOVED_COLOR)
    return QColor(PALETTE[(account_id - 1) % len(PALETTE)])


def post_time(post: Post) -> datetime:
    """When the calendar draws it: when it went out for a published post, else when due."""
    if post.state is PostState.PUBLISHED and post.published_at is not None:
        return post.published_at
    return post.scheduled_at


def local(when: datetime) -> datetime:
    """A UTC time in this computer's time zone."""
    return when.astimezone()


def local_midnight(day: date) -> datetime:
    """The start of a local day, as an aware datetime."""
    return datetime.combine(day, time()).astimezone()


def to_utc(day: date, minutes: int) -> datetime:
    """A local day and minute of the day as UTC."""
    naive = datetime.combine(day, time()) + timedelta(minutes=minutes)
    return naive.astimezone().astimezone(UTC)


def week_start(day: date, first_weekday: int | None = None) -> date:
    """The first day of day's week (first_weekday 1 = Monday … 7 = Sunday, as Qt counts;
    default: the locale's)."""
    if first_weekday is None:
        first_weekday = QLocale().firstDayOfWeek().value
    return day - timedelta(days=(day.isoweekday() - first_weekday) % 7)


def month_grid_start(day: date, first_weekday: int | None = None) -> date:
    """The first day shown in the month overview of day's month."""
    return week_start(day.replace(day=1), first_weekday)


def account_zone(account: Account | None) -> ZoneInfo | None:
    name = account.timezone if account is not None else None
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None  # a zone this computer does not know: the local time is all we can say


def zone_label(zone: ZoneInfo) -> str:
    """"Europe/Madrid" -> "Madrid"."""
    return zone.key.rsplit("/", 1)[-1].replace("_", " ")


def account_local_time(post: Post, account: Account | None) -> str | None:
    """"09:00 Madrid" when the account's zone is on another clock than this computer at
    that moment, else None."""
    zone = account_zone(account)
    if zone is None:
        return None
    when = post_time(post)
    there = when.astimezone(zone)
    if there.utcoffset() == local(when).utcoffset():
        return None
    return f"{there:%H:%M} {zone_label(zone)}"


def is_paused(account: Account | None) -> bool:
    return account is not None and account.paused


@dataclass
class CalendarData:
    start: datetime  # UTC, inclusive
    end: datetime  # UTC, exclusive
    posts: list[Post] = field(default_factory=list)
    accounts: dict[int, Account] = field(default_factory=dict)


def load_calendar(core: Curator, start: datetime, end: datetime) -> CalendarData:
    """Runs in the background: the posts drawn in [start, end) and the accounts."""
    posts = [p for p in core.list_queue() if start <= p.scheduled_at < end]
    limit = HISTORY_PAGE
    while True:  # newest first: stop at a page that reaches back past start
        published = core.history(limit)
        if len(published) < limit or post_time(published[-1]) < start:
            break
        limit *= 2
    posts += [p for p in published if start <= post_time(p) < end]
    posts.sort(key=lambda p: (post_time(p), p.id))
    accounts = {a.id: a for a in core.list_accounts()}
    return CalendarData(start, end, posts, accounts)


# ---- the week view ----------------------------------------------------------------------------


class PostChip(QGraphicsRectItem):
    """One post in the week: its account's colour, its time, its state and its first words."""

    def __init__(self, view: WeekView, post: Post, account: Account | None, width: float):
        super().__init__(0, 0, width, CHIP_MINUTES * HOUR_HEIGHT / 60 - 2)
        self.view = view
        self.post = post
        self.account = account
        self.color = account_color(post.account_id)
        self.there = account_local_time(post, account)
        self.label = self._label()
        self.home = QPointF()  # where the post is now; a refused drop returns here
        self.draggable = post.state in DRAGGABLE
        flags = (QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
                 | QGraphicsItem.GraphicsItemFlag.ItemIsFocusable)
        if self.draggable:
            flags |= (QGraphicsItem.GraphicsItemFlag.ItemIsMovable
                      | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges)
            self.setCursor(Qt.CursorShape.OpenHandCursor)
        self.setFlags(flags)
        self.setToolTip(self.describe())
        self.setZValue(2)

    def _label(self) -> str:
        mark = STATE_MARK.get(self.post.state, "")
        when = local(post_time(self.post))
        head = f"{mark} {when:%H:%M}" if mark else f"{when:%H:%M}"
        if self.there:
            head += f" ({self.there})"
        return f"{head} {first_words(self.post.text, 80)}"

    def state_name(self) -> str:
        names = {
            PostState.SCHEDULED: _tr("scheduled"),
            PostState.PUBLISHING: _tr("publishing"),
            PostState.PUBLISHED: _tr("published"),
            PostState.FAILED: _tr("failed"),
            PostState.NEEDS_ATTENTION: _tr("needs attention"),
            PostState.CANCELLED: _tr("cancelled"),
        }
        name = names[self.post.state]
        if self.post.state is PostState.SCHEDULED and is_paused(self.account):
            name = _tr("scheduled, account paused")
        return name

    def describe(self) -> str:
        """What the tooltip and a screen reader say about the post."""
        lines = [_tr("{account}, {state}: {time}").format(
            account=self.post.account, state=self.state_name(),
            time=format_local(post_time(self.post), True))]
        if self.there:
            lines.append(_tr("{time} in the account’s time zone").format(time=self.there))
        lines.append(first_words(self.post.text, 200))
        if self.post.last_error:
            lines.append(self.post.last_error)
        return "\n".join(lines)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        rect = self.rect()
        fill = QColor(self.color)
        if self.post.state is PostState.PUBLISHED:
            fill = fill.lighter(140)  # done: quieter than what is still to come
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        selected = self.isSelected()
        painter.setPen(QPen(QColor("black") if selected else fill.darker(130),
                            2.5 if selected else 1))
        painter.setBrush(QBrush(fill))
        painter.drawRoundedRect(rect.adjusted(0.5, 0.5, -0.5, -0.5), 3, 3)
        if self.post.state in (PostState.FAILED, PostState.NEEDS_ATTENTION):
            painter.setPen(QPen(_NOW_COLOR, 2, Qt.PenStyle.DashLine))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(rect.adjusted(1.5, 1.5, -1.5, -1.5), 3, 3)
        text = "black" if fill.lightness() > 150 else "white"
        painter.setPen(QColor(text))
        metrics = QFontMetrics(painter.font())
        inner = rect.adjusted(4, 1, -3, -1)
        elided = metrics.elidedText(self.label, Qt.TextElideMode.ElideRight, int(inner.width()))
        painter.drawText(inner, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, elided)

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: Any) -> Any:
        if (change == QGraphicsItem.GraphicsItemChange.ItemPositionChange
                and self.scene() is not None and self.view.dragging):
            return self.view.snap(value, self)
        return super().itemChange(change, value)

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        self.view.dragging = True
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        self.view.dragging = False
        if self.draggable and self.pos() != self.home:
            self.view.dropped(self)

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        self.view.open_requested.emit(self.post.id)


class WeekView(QGraphicsView):
    """Seven day columns by 24 hours, local time: today highlighted, a line at the current
    time, a chip per post. Drag a chip (or Alt+arrows) to move the post on a 15-minute grid;
    the arrow keys select the posts, Enter opens the selected one."""

    open_requested = Signal(int)  # post id
    edit_requested = Signal(int)  # post id
    reschedule_requested = Signal(int, object)  # post id, UTC datetime
    refused = Signal(str)  # a drop the view itself refuses (in the past), in one sentence

    def __init__(self, parent: QWidget | None = None):
        self._scene = QGraphicsScene()
        super().__init__(self._scene, parent)
        self._scene.setParent(self)
        self.setAccessibleName(_tr("Week"))
        self.setAccessibleDescription(_tr(
            "Posts of the week by day and hour. Arrow keys select a post, Enter opens it, "
            "Alt with the arrow keys moves it."))
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.MinimalViewportUpdate)
        self.setDragMode(QGraphicsView.DragMode.NoDrag)
        self.start = week_start(date.today())
        self.posts: list[Post] = []
        self.accounts: dict[int, Account] = {}
        self.chips: dict[int, PostChip] = {}
        self.column_width = float(MIN_COLUMN_WIDTH)
        self.dragging = False
        self.drawn_on = date.today()  # the day whose column is highlighted
        self.today_item: QGraphicsRectItem | None = None
        self.now_line: QGraphicsLineItem | None = None
        self.header_items: list[QGraphicsItem] = []
        self.header_texts: list[str] = []
        self._scrolled_once = False
        self.verticalScrollBar().valueChanged.connect(lambda _v: self._place_header())
        self.scene().selectionChanged.connect(self._selection_changed)

    # ---- geometry --------------------------------------------------------------------------

    def x_of(self, column: int) -> float:
        return GUTTER + column * self.column_width

    def y_of(self, minutes: float) -> float:
        return HEADER_HEIGHT + minutes * HOUR_HEIGHT / 60

    def place_of(self, when: datetime) -> tuple[int, float] | None:
        """(column, minute of the day) of a UTC time in this week, else None."""
        there = local(when)
        column = (there.date() - self.start).days
        if not 0 <= column < 7:
            return None
        return column, there.hour * 60 + there.minute + there.second / 60

    def time_at(self, pos: QPointF) -> datetime:
        """The UTC time of a chip's top-left corner at pos (already on the grid)."""
        column = max(0, min(6, round((pos.x() - GUTTER) / self.column_width)))
        minutes = round((pos.y() - HEADER_HEIGHT) * 60 / HOUR_HEIGHT)
        return to_utc(self.start + timedelta(days=column), minutes)

    def snap(self, pos: QPointF, chip: PostChip) -> QPointF:
        """A dragged chip's position on the grid: a day column, a 15-minute step."""
        column = max(0, min(6, int((pos.x() + chip.rect().width() / 2 - GUTTER)
                                   // self.column_width)))
        step = GRID_MINUTES * HOUR_HEIGHT / 60
        last = (24 * 60 - GRID_MINUTES) * HOUR_HEIGHT / 60
        offset = max(0.0, min(last, round((pos.y() - HEADER_HEIGHT) / step) * step))
        return QPointF(self.x_of(column) + 2, HEADER_HEIGHT + offset)

    # ---- drawing ---------------------------------------------------------------------------

    def set_week(self, start: date, posts: Iterable[Post], accounts: dict[int, Account]) -> None:
        self.start = start
        self.posts = [p for p in posts if self.place_of(post_time(p)) is not None]
        self.accounts = accounts
        self.rebuild()

    def rebuild(self) -> None:
        selected = self.selected_post_id()
        scene = self.scene()
        scene.clear()
        self.chips = {}
        self.header_items = []
        self.today_item = self.now_line = None
        self.drawn_on = date.today()
        width = self.viewport().width() if self.viewport().width() > 0 else 800
        self.column_width = max(float(MIN_COLUMN_WIDTH), (width - GUTTER - 2) / 7)
        total_w = GUTTER + 7 * self.column_width
        total_h = self.y_of(24 * 60)
        scene.setSceneRect(0, 0, total_w, total_h)
        self._draw_grid(total_w)
        self._draw_posts()
        self._draw_header()
        self.update_now()
        if selected is not None and selected in self.chips:
            self.select_post(selected)
        if not self._scrolled_once:
            self._scrolled_once = True
            QTimer.singleShot(0, self._scroll_to_morning)

    def _draw_grid(self, total_w: float) -> None:
        scene = self.scene()
        light = QPen(self.palette().mid().color(), 0)
        faint = QPen(self.palette().midlight().color(), 0, Qt.PenStyle.DotLine)
        today = (self.drawn_on - self.start).days
        if 0 <= today < 7:
            self.today_item = scene.addRect(
                QRectF(self.x_of(today), HEADER_HEIGHT, self.column_width, 24 * HOUR_HEIGHT),
                QPen(Qt.PenStyle.NoPen), QBrush(_TODAY_COLOR))
            self.today_item.setZValue(-2)
        for hour in range(25):
            y = self.y_of(hour * 60)
            scene.addLine(GUTTER, y, total_w, y, light).setZValue(-1)
            if hour < 24:
                half = self.y_of(hour * 60 + 30)
                scene.addLine(GUTTER, half, total_w, half, faint).setZValue(-1)
                label = scene.addSimpleText(f"{hour:02d}:00")
                label.setPos(6, y + 2)
        for column in range(8):
            x = self.x_of(column)
            scene.addLine(x, HEADER_HEIGHT, x, self.y_of(24 * 60), light).setZValue(-1)

    def _draw_header(self) -> None:
        scene = self.scene()
        locale = QLocale()
        background = scene.addRect(QRectF(0, 0, GUTTER + 7 * self.column_width, HEADER_HEIGHT),
                                   QPen(Qt.PenStyle.NoPen), self.palette().window())
        background.setZValue(10)
        self.header_items = [background]
        self.header_texts = []
        today = date.today()
        for column in range(7):
            day = self.start + timedelta(days=column)
            text = "{} {}".format(locale.dayName(day.isoweekday(), QLocale.FormatType.ShortFormat),
                                  locale.toString(_qdate(day), "d MMM"))
            self.header_texts.append(text)
            item = QGraphicsSimpleTextItem(text)
            if day == today:
                font = QFont(item.font())
                font.setBold(True)
                item.setFont(font)
            item.setPos(self.x_of(column) + 6, 8)
            item.setZValue(11)
            scene.addItem(item)
            self.header_items.append(item)
        self._header_base = [item.pos().y() for item in self.header_items]
        self._place_header()

    def _place_header(self) -> None:
        # The header stays at the top of what is shown while the hours scroll under it.
        if not self.header_items:
            return
        top = self.mapToScene(0, 0).y()
        for item, base in zip(self.header_items, self._header_base, strict=True):
            item.setY(base + max(0.0, top))

    def _draw_posts(self) -> None:
        # Posts close in time share their column side by side, in lanes.
        by_column: dict[int, list[tuple[float, Post]]] = {}
        for post in self.posts:
            place = self.place_of(post_time(post))
            if place is not None:
                by_column.setdefault(place[0], []).append((place[1], post))
        for column, entries in by_column.items():
            entries.sort(key=lambda e: (e[0], e[1].id))
            for group in _overlapping(entries):
                lanes = _lanes(group)
                count = max(lanes) + 1
                width = (self.column_width - 4) / count
                for (minutes, post), lane in zip(group, lanes, strict=True):
                    chip = PostChip(self, post, self.accounts.get(post.account_id or -1),
                                    width - 1)
                    chip.setPos(self.x_of(column) + 2 + lane * width, self.y_of(minutes))
                    chip.home = chip.pos()
                    self.scene().addItem(chip)
                    self.chips[post.id] = chip

    def update_now(self) -> None:
        """Move the current-time line (shown when today is in this week)."""
        now = datetime.now(UTC)
        place = self.place_of(now)
        if place is None:
            if self.now_line is not None:
                self.scene().removeItem(self.now_line)
                self.now_line = None
            return
        column, minutes = place
        y = self.y_of(minutes)
        if self.now_line is None:
            self.now_line = self.scene().addLine(0, 0, 0, 0, QPen(_NOW_COLOR, 2))
            self.now_line.setZValue(5)
        self.now_line.setLine(self.x_of(column), y, self.x_of(column + 1), y)

    def _scroll_to_morning(self) -> None:
        # Start the day at 07:00 (or the first post of the week, if earlier).
        first = min((c.pos().y() for c in self.chips.values()), default=self.y_of(7 * 60))
        self.verticalScrollBar().setValue(int(min(first, self.y_of(7 * 60)) - HEADER_HEIGHT - 8))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        width = max(float(MIN_COLUMN_WIDTH), (self.viewport().width() - GUTTER - 2) / 7)
        if abs(width - self.column_width) > 1 and not self.dragging:
            self.rebuild()

    # ---- selection and keys ----------------------------------------------------------------

    def selected_post_id(self) -> int | None:
        for item in self.scene().selectedItems():
            if isinstance(item, PostChip):
                return item.post.id
        return None

    def select_post(self, post_id: int) -> bool:
        chip = self.chips.get(post_id)
        if chip is None:
            return False
        self.scene().clearSelection()
        chip.setSelected(True)
        self.scene().setFocusItem(chip)
        self.ensureVisible(chip, 8, HEADER_HEIGHT + 8)
        return True

    def _selection_changed(self) -> None:
        post_id = self.selected_post_id()
        chip = self.chips.get(post_id) if post_id is not None else None
        # A screen reader hears the selected post.
        self.setAccessibleDescription(chip.describe() if chip is not None else _tr(
            "Posts of the week by day and hour. Arrow keys select a post, Enter opens it, "
            "Alt with the arrow keys moves it."))

    def ordered_chips(self) -> list[PostChip]:
        return sorted(self.chips.values(), key=lambda c: (post_time(c.post), c.post.id))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        alt = bool(event.modifiers() & Qt.KeyboardModifier.AltModifier)
        arrows = (Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_Left, Qt.Key.Key_Right)
        if key in arrows and alt:
            self._move_selected(key)
        elif key in arrows:
            self._select_by_key(key)
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            post_id = self.selected_post_id()
            if post_id is not None:
                self.open_requested.emit(post_id)
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def _select_by_key(self, key: int) -> None:
        chips = self.ordered_chips()
        if not chips:
            return
        current = self.chips.get(self.selected_post_id() or -1)
        if current is None:
            self.select_post(chips[0].post.id)
            return
        index = chips.index(current)
        if key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            index += 1 if key == Qt.Key.Key_Down else -1
            if 0 <= index < len(chips):
                self.select_post(chips[index].post.id)
            return
        # Left/Right: the post nearest in time of day on the closest day that has posts.
        place = self.place_of(post_time(current.post))
        assert place is not None
        step = 1 if key == Qt.Key.Key_Right else -1
        column = place[0] + step
        while 0 <= column < 7:
            there = [(abs(p[1] - place[1]), c) for c in chips
                     if (p := self.place_of(post_time(c.post))) is not None and p[0] == column]
            if there:
                self.select_post(min(there, key=lambda t: t[0])[1].post.id)
                return
            column += step

    def _move_selected(self, key: int) -> None:
        chip = self.chips.get(self.selected_post_id() or -1)
        if chip is None or not chip.draggable:
            return
        delta = {Qt.Key.Key_Up: timedelta(minutes=-GRID_MINUTES),
                 Qt.Key.Key_Down: timedelta(minutes=GRID_MINUTES),
                 Qt.Key.Key_Left: timedelta(days=-1),
                 Qt.Key.Key_Right: timedelta(days=1)}[Qt.Key(key)]
        current = self.time_at(chip.pos())
        self.move_post(chip.post.id, current + delta)

    def move_post(self, post_id: int, at: datetime) -> bool:
        """Move a post's chip to the (UTC) time at, as a drop there does; False when the
        post is not in this week or cannot move."""
        chip = self.chips.get(post_id)
        place = self.place_of(at)
        if chip is None or not chip.draggable or place is None:
            return False
        chip.setPos(self.x_of(place[0]) + 2, self.y_of(place[1]))
        self.dropped(chip, at)
        return True

    # ---- dropping --------------------------------------------------------------------------

    def dropped(self, chip: PostChip, at: datetime | None = None) -> None:
        at = at if at is not None else self.time_at(chip.pos())
        if at == post_time(chip.post):
            chip.setPos(chip.home)
            return
        if at < datetime.now(UTC):
            self.snap_back(chip.post.id)
            self.refused.emit(_tr("That time has passed: drop the post on a later time."))
            return
        self.reschedule_requested.emit(chip.post.id, at)

    def snap_back(self, post_id: int) -> None:
        chip = self.chips.get(post_id)
        if chip is not None:
            chip.setPos(chip.home)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        item = self.itemAt(event.pos())
        if not isinstance(item, PostChip):
            super().contextMenuEvent(event)
            return
        self.select_post(item.post.id)
        menu = QMenu(self)
        post_id = item.post.id
        menu.addAction(_tr("&Open in the queue")).triggered.connect(
            lambda _c=False: self.open_requested.emit(post_id))
        edit = menu.addAction(_tr("&Edit draft…"))
        edit.setEnabled(item.draggable and item.post.draft_id is not None)
        edit.triggered.connect(lambda _c=False: self.edit_requested.emit(post_id))
        menu.exec(event.globalPos())


def _overlapping(entries: list[tuple[float, Post]]) -> list[list[tuple[float, Post]]]:
    """Sorted (minute, post) entries in groups whose chips overlap."""
    groups: list[list[tuple[float, Post]]] = []
    end = -1.0
    for entry in entries:
        if not groups or entry[0] >= end:
            groups.append([])
        groups[-1].append(entry)
        end = max(end, entry[0] + CHIP_MINUTES)
    return groups


def _lanes(group: list[tuple[float, Post]]) -> list[int]:
    """A lane per entry, the first lane free at its time."""
    ends: list[float] = []
    lanes = []
    for minutes, _post in group:
        lane = next((i for i, end in enumerate(ends) if end <= minutes), len(ends))
        if lane == len(ends):
            ends.append(0.0)
        ends[lane] = minutes + CHIP_MINUTES
        lanes.append(lane)
    return lanes


# ---- the month overview -----------------------------------------------------------------------


class DayDelegate(QStyledItemDelegate):
    """A day of the month: its number, then a chip per account with that day's post count."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        super().paint(painter, option, index)
        counts: list[tuple[int, int]] = index.data(CountsRole) or []
        rect = option.rect.adjusted(4, option.fontMetrics.height() + 6, -4, -4)  # type: ignore[attr-defined]
        x, y = rect.left(), rect.top()
        height = option.fontMetrics.height() + 2  # type: ignore[attr-defined]
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        for account_id, count in counts:
            text = str(count)
            width = option.fontMetrics.horizontalAdvance(text) + 12  # type: ignore[attr-defined]
            if x + width > rect.right():
                x, y = rect.left(), y + height + 2
            if y + height > rect.bottom():
                break
            color = account_color(account_id if account_id >= 0 else None)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(color)
            painter.drawRoundedRect(QRectF(x, y, width, height), 6, 6)
            painter.setPen(QColor("white"))
            painter.drawText(QRectF(x, y, width, height), Qt.AlignmentFlag.AlignCenter, text)
            x += width + 3
        painter.restore()


class MonthView(QTableWidget):
    """Six weeks of days; each day shows how many posts of each account it holds. Enter or a
    double-click opens that day's week."""

    day_activated = Signal(object)  # date

    def __init__(self, parent: QWidget | None = None):
        super().__init__(MONTH_ROWS, 7, parent)
        self.setAccessibleName(_tr("Month"))
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.verticalHeader().hide()
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.setItemDelegate(DayDelegate(self))
        self.setWordWrap(False)
        self.month = date.today().replace(day=1)
        self.start = month_grid_start(self.month)
        self.cellActivated.connect(lambda row, col: self._activated(row, col))
        self.cellDoubleClicked.connect(lambda row, col: self._activated(row, col))

    def set_month(self, month: date, posts: Iterable[Post], accounts: dict[int, Account]) -> None:
        self.month = month.replace(day=1)
        self.start = month_grid_start(self.month)
        locale = QLocale()
        self.setHorizontalHeaderLabels([
            locale.dayName((self.start + timedelta(days=i)).isoweekday(),
                           QLocale.FormatType.ShortFormat) for i in range(7)])
        per_day: dict[date, Counter[int]] = {}
        states: dict[date, Counter[PostState]] = {}
        for post in posts:
            day = local(post_time(post)).date()
            per_day.setdefault(day, Counter())[post.account_id or -1] += 1
            states.setdefault(day, Counter())[post.state] += 1
        today = date.today()
        for cell in range(MONTH_ROWS * 7):
            day = self.start + timedelta(days=cell)
            counts = sorted(per_day.get(day, Counter()).items())
            item = QTableWidgetItem(str(day.day))
            item.setData(DateRole, day)
            item.setData(CountsRole, counts)
            item.setData(InMonthRole, day.month == self.month.month)
            item.setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
            if day.month != self.month.month:
                item.setForeground(self.palette().placeholderText())
            if day == today:
                font = QFont(self.font())
                font.setBold(True)
                item.setFont(font)
                item.setBackground(QBrush(_TODAY_COLOR))
            total = sum(n for _a, n in counts)
            description = locale.toString(_qdate(day), QLocale.FormatType.LongFormat)
            if total:
                names = {a.id: a.name for a in accounts.values()}
                parts = [_tr("{account}: {count}").format(
                    account=names.get(a, _tr("removed account")), count=n) for a, n in counts]
                day_states = states[day]
                if day_states[PostState.FAILED] or day_states[PostState.NEEDS_ATTENTION]:
                    parts.append(_tr("⚠ {count} failed").format(
                        count=day_states[PostState.FAILED]
                        + day_states[PostState.NEEDS_ATTENTION]))
                description += " — " + ", ".join(parts)
            item.setToolTip(description)
            item.setData(Qt.ItemDataRole.AccessibleTextRole, description)
            self.setItem(cell // 7, cell % 7, item)

    def day_item(self, day: date) -> QTableWidgetItem | None:
        cell = (day - self.start).days
        if not 0 <= cell < MONTH_ROWS * 7:
            return None
        return self.item(cell // 7, cell % 7)

    def count_on(self, day: date) -> int:
        item = self.day_item(day)
        return sum(n for _a, n in (item.data(CountsRole) or [])) if item is not None else 0

    def _activated(self, row: int, column: int) -> None:
        item = self.item(row, column)
        if item is not None:
            self.day_activated.emit(item.data(DateRole))

    def sizeHint(self) -> QSize:
        return QSize(760, 520)


# ---- the window -------------------------------------------------------------------------------


class CalendarWindow(QWidget):
    """Non-modal: the week or the month of posts, with previous/today/next, a legend of the
    accounts, and the one-sentence answer of the last change."""

    WEEK, MONTH = range(2)

    def __init__(self, window: MainWindow):
        super().__init__(window, Qt.WindowType.Window)
        self.main_window = window
        self.core: Curator = window.core
        self.day = date.today()  # the shown week and month contain this day
        self.data = CalendarData(datetime.now(UTC), datetime.now(UTC))
        self._loading = False
        self._stale = False
        self.loads = 0  # finished loads (tests wait on it)
        self.setWindowTitle(self.tr("Calendar"))
        self.resize(1100, 720)

        self.previous_button = QPushButton(self.tr("◀ &Previous"))
        self.previous_button.setAccessibleName(self.tr("Previous"))
        self.today_button = QPushButton(self.tr("&Today"))
        self.next_button = QPushButton(self.tr("&Next ▶"))
        self.next_button.setAccessibleName(self.tr("Next"))
        self.previous_button.clicked.connect(lambda _c=False: self.step(-1))
        self.next_button.clicked.connect(lambda _c=False: self.step(1))
        self.today_button.clicked.connect(lambda _c=False: self.show_day(date.today()))
        self.title = QLabel()
        self.title.setAccessibleName(self.tr("Shown period"))
        font = QFont(self.title.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.title.setFont(font)
        self.open_button = QPushButton(self.tr("&Open in queue"))
        self.open_button.setToolTip(self.tr("Show the selected post in the queue window"))
        self.open_button.clicked.connect(lambda _c=False: self._open_selected())
        self.edit_button = QPushButton(self.tr("&Edit draft…"))
        self.edit_button.setToolTip(self.tr(
            "Take the selected post out of the queue and open its draft in the composer"))
        self.edit_button.clicked.connect(lambda _c=False: self._edit_selected())

        nav = QHBoxLayout()
        for button in (self.previous_button, self.today_button, self.next_button):
            nav.addWidget(button)
        nav.addSpacing(12)
        nav.addWidget(self.title, 1)
        nav.addWidget(self.open_button)
        nav.addWidget(self.edit_button)

        self.week = WeekView()
        self.week.open_requested.connect(self.open_post)
        self.week.edit_requested.connect(self.edit_post)
        self.week.reschedule_requested.connect(self.reschedule)
        self.week.refused.connect(self._refused)
        self.week.scene().selectionChanged.connect(self._selection_changed)
        self.month = MonthView()
        self.month.day_activated.connect(self._open_week_of)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName(self.tr("Calendar views"))
        self.tabs.addTab(self.week, self.tr("&Week"))
        self.tabs.addTab(self.month, self.tr("&Month"))
        self.tabs.currentChanged.connect(lambda _i: self._show())

        self.legend = QWidget()
        self.legend.setAccessibleName(self.tr("Accounts"))
        self.legend_layout = QHBoxLayout(self.legend)
        self.legend_layout.setContentsMargins(0, 0, 0, 0)
        self.legend_labels: dict[int, QLabel] = {}
        self.zone_label = QLabel(self.tr("Times are this computer’s local time."))
        self.status = InlineStatus()

        layout = QVBoxLayout(self)
        layout.addLayout(nav)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.legend)
        layout.addWidget(self.zone_label)
        layout.addWidget(self.status)

        self.now_timer = QTimer(self)
        self.now_timer.setInterval(NOW_TICK_MS)
        self.now_timer.timeout.connect(self._tick)
        self.now_timer.start()
        queue_events().changed.connect(self.reload)
        self._selection_changed()
        self.show_day(self.day)

    # ---- what is shown ---------------------------------------------------------------------

    def range(self) -> tuple[datetime, datetime]:
        """The UTC range read: the shown week and the shown month's six weeks."""
        week = week_start(self.day)
        grid = month_grid_start(self.day)
        first = min(week, grid)
        last = max(week + timedelta(days=7), grid + timedelta(days=MONTH_ROWS * 7))
        return local_midnight(first).astimezone(UTC), local_midnight(last).astimezone(UTC)

    def show_day(self, day: date) -> None:
        """Show the week (and month) holding day."""
        self.day = day
        self.reload()

    def step(self, direction: int) -> None:
        """Previous (-1) or next (1) week, or month in the month view."""
        if self.tabs.currentIndex() == self.MONTH:
            month = self.day.replace(day=1)
            year, index = divmod(month.month - 1 + direction, 12)
            self.show_day(month.replace(year=month.year + year, month=index + 1))
        else:
            self.show_day(self.day + timedelta(days=7 * direction))

    def _open_week_of(self, day: date) -> None:
        self.day = day
        self.tabs.setCurrentIndex(self.WEEK)
        self.reload()

    def reload(self) -> None:
        """Read the shown range's posts in the background (one read at a time)."""
        if self._loading:
            self._stale = True
            return
        self._loading, self._stale = True, False
        core, (start, end) = self.core, self.range()
        run_in_background(lambda: load_calendar(core, start, end), on_success=self._loaded,
                          on_error=self._load_failed, parent=self)

    def _loaded(self, data: CalendarData) -> None:
        self._loading = False
        self.data = data
        self._show()
        self.loads += 1
        if self._stale or (data.start, data.end) != self.range():
            self.reload()

    def _load_failed(self, exc: BaseException) -> None:
        self._loading = False
        self.status.error(errors.describe(exc)[0])

    def _show(self) -> None:
        locale = QLocale()
        week = week_start(self.day)
        if self.tabs.currentIndex() == self.MONTH:
            self.title.setText(locale.toString(_qdate(self.day), "MMMM yyyy"))
            self.previous_button.setToolTip(self.tr("The previous month"))
            self.next_button.setToolTip(self.tr("The next month"))
        else:
            last = week + timedelta(days=6)
            short = QLocale.FormatType.ShortFormat
            self.title.setText(f"{locale.toString(_qdate(week), short)} – "
                               f"{locale.toString(_qdate(last), short)}")
            self.previous_button.setToolTip(self.tr("The previous week"))
            self.next_button.setToolTip(self.tr("The next week"))
        week_shown = self.tabs.currentIndex() == self.WEEK
        self.open_button.setVisible(week_shown)  # they act on the week's selected post
        self.edit_button.setVisible(week_shown)
        self.week.set_week(week, self.data.posts, self.data.accounts)
        self.month.set_month(self.day, self.data.posts, self.data.accounts)
        self._show_legend()
        self._selection_changed()

    def _show_legend(self) -> None:
        while self.legend_layout.count():
            taken = self.legend_layout.takeAt(0)
            widget = taken.widget() if taken is not None else None
            if widget is not None:
                widget.deleteLater()
        self.legend_labels = {}
        shown = {p.account_id for p in self.data.posts}
        for account in sorted(self.data.accounts.values(), key=lambda a: a.name.casefold()):
            color = account_color(account.id).name()
            name = account.name
            if is_paused(account):
                name = self.tr("{account} (paused)").format(account=name)
            zone = account_zone(account)
            if zone is not None:
                name += f" · {zone_label(zone)}"
            label = QLabel(f'<span style="color:{color}; font-size:large">■</span> '
                           f"{_escape(name)}")
            label.setAccessibleName(name)
            label.setEnabled(account.id in shown or not shown)
            self.legend_layout.addWidget(label)
            self.legend_labels[account.id] = label
        self.legend_layout.addStretch(1)

    def _tick(self) -> None:
        if date.today() != self.week.drawn_on:
            self._show()  # midnight passed: the today column moves
        self.week.update_now()

    # ---- acting on posts -------------------------------------------------------------------

    def _selection_changed(self) -> None:
        post_id = self.week.selected_post_id()
        chip = self.week.chips.get(post_id) if post_id is not None else None
        self.open_button.setEnabled(chip is not None)
        self.edit_button.setEnabled(chip is not None and chip.draggable
                                    and chip.post.draft_id is not None)

    def _open_selected(self) -> None:
        post_id = self.week.selected_post_id()
        if post_id is not None:
            self.open_post(post_id)

    def _edit_selected(self) -> None:
        post_id = self.week.selected_post_id()
        if post_id is not None:
            self.edit_post(post_id)

    def open_post(self, post_id: int) -> Any:
        """Show the post in the queue window, selected; that window is returned."""
        queue_window = self.main_window.publishing.show_queue()
        queue_window.show_post(post_id)
        return queue_window

    def edit_post(self, post_id: int) -> Any:
        """The queue window's Edit path: it asks, takes the post out, opens the composer."""
        queue_window = self.main_window.publishing.show_queue()
        queue_window.show_post(post_id, then=queue_window.edit)
        return queue_window

    def reschedule(self, post_id: int, at: datetime) -> None:
        core = self.core
        self.status.busy(self.tr("Moving the post…"))
        run_in_background(lambda: core.reschedule_post(post_id, at),
                          on_success=self._rescheduled,
                          on_error=lambda exc: self._reschedule_failed(post_id, exc),
                          parent=self)

    def _rescheduled(self, post: Post) -> None:
        self.status.idle()
        self.week.select_post(post.id)
        queue_events().changed.emit()  # this view and the queue window reload

    def _reschedule_failed(self, post_id: int, exc: BaseException) -> None:
        self.week.snap_back(post_id)
        self.status.error(errors.describe(exc)[0])
        self.reload()  # the post may have changed meanwhile (published, cancelled)

    def _refused(self, message: str) -> None:
        self.status.error(message)

    def closeEvent(self, event: Any) -> None:
        self.now_timer.stop()
        super().closeEvent(event)


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _escape(text: str) -> str:
    import html

    return html.escape(text)
