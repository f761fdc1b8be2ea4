"""Posts → Calendar…: the week and month views of the queue, coloured by account, with drag to
reschedule (the core answers: the post moves, or a refusal snaps it back), keyboard use and
the way to the queue window. Posts go to local webhook receivers (tests/webhookserver.py).

Secrets live in an in-memory keyring backend (no OS keyring needed for these tests).
"""

import threading
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QAbstractButton, QApplication, QComboBox
from webhookserver import WebhookServer

from curator.types import PostState
from ui.calendar import (
    GRID_MINUTES,
    HOUR_HEIGHT,
    CalendarWindow,
    CountsRole,
    account_color,
    local,
    post_time,
    to_utc,
    week_start,
)

SECRET = "clave-de-firma-ñandú"
EQUIPO = "Equipo de difusión"
LUCIA = "Lucía en Madrid"
TEXT = "¿Quién paga la campaña? Leedlo: cifras, señales y dudas razonables."



@pytest.fixture
def hook():
    server = WebhookServer(secret=SECRET).start()
    yield server
    server.release()
    server.stop()


def other_zone() -> str:
    """A time zone on another clock than this computer's (next week)."""
    soon = datetime.now(UTC) + timedelta(days=7)
    for name in ("America/New_York", "Asia/Tokyo"):
        if soon.astimezone(ZoneInfo(name)).utcoffset() != local(soon).utcoffset():
            return name
    raise AssertionError("unreachable")


@pytest.fixture
def accounts(core, hook, memory_keyring):
    equipo = core.add_account("webhook", name=EQUIPO, api_base=hook.url, secret=SECRET)
    lucia = core.add_account("webhook", name=LUCIA, api_base=hook.url, secret=SECRET,
                             timezone=other_zone())
    return {"equipo": equipo, "lucia": lucia}


@pytest.fixture
def scheduler(window):
    sched = window.publishing.scheduler
    sched.stop()  # nothing is published unless a test says so
    return sched


def queue(core, account, at, text=TEXT):
    draft = core.new_draft(text=text)
    return core.queue_post(draft.id, account, at)


def next_week() -> date:
    return week_start(date.today()) + timedelta(days=7)


def open_calendar(qtbot, window, day=None):
    calendar = window.publishing.show_calendar()
    qtbot.addWidget(calendar)
    qtbot.waitUntil(lambda: calendar.loads >= 1)
    if day is not None:
        loads = calendar.loads
        calendar.show_day(day)
        qtbot.waitUntil(lambda: calendar.loads > loads)
    return calendar


def reloaded(qtbot, calendar, condition):
    qtbot.waitUntil(lambda: not calendar._loading and condition(), timeout=10_000)


def chip_place(calendar, post_id):
    """(day, minute of the day) the chip of the post is drawn at."""
    week = calendar.week
    chip = week.chips[post_id]
    column = int((chip.pos().x() - week.x_of(0)) // week.column_width)
    minutes = round((chip.pos().y() - week.y_of(0)) * 60 / HOUR_HEIGHT)
    return week.start + timedelta(days=column), minutes


def test_posts_are_drawn_at_their_local_day_and_hour_in_their_accounts_colour(
        qtbot, window, core, accounts, scheduler):
    start = next_week()
    tuesday, thursday = start + timedelta(days=2), start + timedelta(days=4)
    first = queue(core, EQUIPO, to_utc(tuesday, 9 * 60))
    second = queue(core, LUCIA, to_utc(thursday, 17 * 60 + 30), "Segunda: ¿y el año que viene?")
    later = queue(core, EQUIPO, to_utc(start + timedelta(days=9), 9 * 60))  # the week after
    calendar = open_calendar(qtbot, window, tuesday)
    assert isinstance(calendar, CalendarWindow)
    assert calendar.week.start == start
    assert set(calendar.week.chips) == {first.id, second.id}
    assert later.id not in calendar.week.chips
    assert chip_place(calendar, first.id) == (tuesday, 9 * 60)
    assert chip_place(calendar, second.id) == (thursday, 17 * 60 + 30)

    blue = calendar.week.chips[first.id].color
    assert blue == account_color(accounts["equipo"].id)
    assert calendar.week.chips[second.id].color == account_color(accounts["lucia"].id)
    assert blue != account_color(accounts["lucia"].id)
    assert account_color(accounts["equipo"].id) == blue  # stable
    assert set(calendar.legend_labels) == {accounts["equipo"].id, accounts["lucia"].id}
    assert EQUIPO in calendar.legend_labels[accounts["equipo"].id].text()

    # Lucía's account is on another clock: her chip says her local time too.
    zone = ZoneInfo(accounts["lucia"].timezone)
    there = second.scheduled_at.astimezone(zone)
    city = zone.key.rsplit("/", 1)[-1].replace("_", " ")
    chip = calendar.week.chips[second.id]
    assert f"{there:%H:%M} {city}" in chip.label
    assert f"{there:%H:%M} {city}" in chip.toolTip()
    assert "17:30" in chip.label
    assert city not in calendar.week.chips[first.id].label
    assert str(tuesday.day) in calendar.week.header_texts[2]
    assert not calendar.grab().isNull()


def test_published_and_failed_posts_show_their_state_and_today_has_a_now_line(
        qtbot, window, core, accounts, hook, scheduler):
    now = datetime.now(UTC)
    sent = queue(core, EQUIPO, now - timedelta(minutes=1))
    core.publish_due()
    hook.fail("400", message="El texto no es válido: ¡falta el enlace!")
    failed = queue(core, LUCIA, now - timedelta(minutes=1), "Segunda, que fallará.")
    core.publish_due()
    assert core.get_post(sent.id).state is PostState.PUBLISHED
    assert core.get_post(failed.id).state is PostState.FAILED

    calendar = open_calendar(qtbot, window)
    week = calendar.week
    assert {sent.id, failed.id} <= set(week.chips)
    assert week.chips[sent.id].label.startswith("✓")
    assert week.chips[failed.id].label.startswith("⚠")
    assert "falta el enlace" in week.chips[failed.id].toolTip()
    assert not week.chips[sent.id].draggable  # published: it stays where it went out
    assert week.chips[failed.id].draggable  # a failed post may be given a new time

    today = (date.today() - week.start).days
    assert week.today_item is not None
    assert week.today_item.rect().x() == week.x_of(today)
    assert week.now_line is not None
    line = week.now_line.line()
    expected = local(datetime.now(UTC))
    assert line.x1() == week.x_of(today)
    assert abs(line.y1() - week.y_of(expected.hour * 60 + expected.minute)) <= HOUR_HEIGHT / 30
    # Another week has no today column and no now line.
    calendar.next_button.click()
    reloaded(qtbot, calendar, lambda: calendar.week.start == week_start(date.today())
             + timedelta(days=7))
    assert week.today_item is None and week.now_line is None
    calendar.today_button.click()
    reloaded(qtbot, calendar, lambda: week.today_item is not None)


def drag(view, chip, to_scene: QPointF):
    """Press on the chip, move in two steps, release at to_scene (the chip's new top-left)."""
    viewport = view.viewport()
    grab = chip.scenePos() + QPointF(10, 6)
    target = to_scene + QPointF(10, 6)

    def send(kind, scene_point, buttons):
        point = QPointF(view.mapFromScene(scene_point))
        event = QMouseEvent(kind, point, point, viewport.mapToGlobal(point),
                            Qt.MouseButton.LeftButton, buttons, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(viewport, event)

    view.ensureVisible(chip)
    send(QEvent.Type.MouseButtonPress, grab, Qt.MouseButton.LeftButton)
    send(QEvent.Type.MouseMove, (grab + target) / 2, Qt.MouseButton.LeftButton)
    send(QEvent.Type.MouseMove, target, Qt.MouseButton.LeftButton)
    send(QEvent.Type.MouseButtonRelease, target, Qt.MouseButton.NoButton)


def test_dragging_a_post_reschedules_it_on_the_15_minute_grid(
        qtbot, window, core, accounts, scheduler):
    start = next_week()
    tuesday = start + timedelta(days=1)
    post = queue(core, EQUIPO, to_utc(tuesday, 9 * 60))
    calendar = open_calendar(qtbot, window, tuesday)
    calendar.resize(1100, 2400)  # the whole day visible: no scrolling under the mouse
    qtbot.waitUntil(lambda: post.id in calendar.week.chips)
    week = calendar.week
    chip = week.chips[post.id]
    # To Wednesday, 11:07 -> snapped to 11:00.
    wednesday = tuesday + timedelta(days=1)
    drag(week, chip, QPointF(week.x_of(2) + 2, week.y_of(11 * 60 + 7)))
    expected = to_utc(wednesday, 11 * 60)
    qtbot.waitUntil(lambda: core.get_post(post.id).scheduled_at == expected, timeout=10_000)
    reloaded(qtbot, calendar, lambda: post.id in week.chips
             and chip_place(calendar, post.id) == (wednesday, 11 * 60))
    assert calendar.status.error_text() == ""
    assert week.selected_post_id() == post.id


def test_a_drop_the_core_refuses_snaps_back_and_says_why(
        qtbot, window, core, accounts, hook, scheduler):
    tuesday = next_week() + timedelta(days=1)
    post = queue(core, EQUIPO, to_utc(tuesday, 9 * 60))
    calendar = open_calendar(qtbot, window, tuesday)
    qtbot.waitUntil(lambda: post.id in calendar.week.chips)
    week = calendar.week
    home = week.chips[post.id].pos()

    # Another process (cron) is sending it right now: the calendar still shows it waiting.
    hook.fail("hold")
    sender = threading.Thread(target=core.publish_due,
                              kwargs={"now": post.scheduled_at + timedelta(minutes=1)})
    sender.start()
    try:
        assert hook.received.wait(10)
        assert core.get_post(post.id).state is PostState.PUBLISHING
        assert week.chips[post.id].draggable
        assert week.move_post(post.id, to_utc(tuesday, 13 * 60 + 15))
        qtbot.waitUntil(lambda: calendar.status.error_text() != "", timeout=10_000)
        message = calendar.status.error_text()
        assert "publish" in message.lower() and "\n" not in message
        assert message.count(". ") == 0  # one sentence
        reloaded(qtbot, calendar, lambda: post.id in week.chips
                 and not week.chips[post.id].draggable)
        assert week.chips[post.id].pos() == home  # back where it was
        assert core.get_post(post.id).scheduled_at == post.scheduled_at
    finally:
        hook.release()
        sender.join(15)


def test_a_drop_in_the_past_is_refused_by_the_view(qtbot, window, core, accounts, scheduler):
    tuesday = next_week() + timedelta(days=1)
    post = queue(core, EQUIPO, to_utc(tuesday, 9 * 60))
    calendar = open_calendar(qtbot, window, tuesday)
    qtbot.waitUntil(lambda: post.id in calendar.week.chips)
    week = calendar.week
    chip = week.chips[post.id]
    home = chip.pos()
    chip.setPos(week.x_of(0) + 2, week.y_of(0))
    # A week back: in the past.
    week.dropped(chip, post.scheduled_at - timedelta(days=8))
    assert chip.pos() == home
    assert calendar.status.error_text() == "That time has passed: drop the post on a later time."
    assert core.get_post(post.id).scheduled_at == post.scheduled_at


def test_the_month_counts_posts_per_day_and_account(qtbot, window, core, accounts, scheduler):
    day = next_week() + timedelta(days=2)
    for minutes in (9 * 60, 12 * 60, 18 * 60):
        queue(core, EQUIPO, to_utc(day, minutes))
    queue(core, LUCIA, to_utc(day, 10 * 60))
    calendar = open_calendar(qtbot, window, day)
    calendar.tabs.setCurrentIndex(CalendarWindow.MONTH)
    month = calendar.month
    assert month.count_on(day) == 4
    item = month.day_item(day)
    assert item.data(CountsRole) == sorted([(accounts["equipo"].id, 3),
                                            (accounts["lucia"].id, 1)])
    assert f"{EQUIPO}: 3" in item.toolTip() and f"{LUCIA}: 1" in item.toolTip()
    assert month.count_on(day + timedelta(days=1)) == 0
    assert not month.grab().isNull()  # the day chips paint
    today = month.day_item(date.today())
    if today is not None:  # the month of the post may not show today
        assert today.font().bold()
    # A double-click (or Enter) on a day opens its week.
    loads = calendar.loads
    month.cellDoubleClicked.emit(month.row(item), month.column(item))
    assert calendar.tabs.currentIndex() == CalendarWindow.WEEK
    qtbot.waitUntil(lambda: calendar.loads > loads)
    assert calendar.week.start == week_start(day)
    assert len(calendar.week.chips) == 4
    # Previous/next step by months in the month view.
    calendar.tabs.setCurrentIndex(CalendarWindow.MONTH)
    shown = calendar.month.month
    calendar.next_button.click()
    assert calendar.day.month == (shown.month % 12) + 1


def test_keyboard_selects_moves_and_opens_posts(qtbot, window, core, accounts, scheduler):
    start = next_week()
    monday_ish, friday_ish = start + timedelta(days=1), start + timedelta(days=4)
    early = queue(core, EQUIPO, to_utc(monday_ish, 9 * 60), "Primera del lunes.")
    late = queue(core, EQUIPO, to_utc(monday_ish, 16 * 60), "Segunda del lunes.")
    other = queue(core, LUCIA, to_utc(friday_ish, 15 * 60), "La del viernes.")
    calendar = open_calendar(qtbot, window, monday_ish)
    week = calendar.week
    qtbot.waitUntil(lambda: len(week.chips) == 3)
    week.setFocus()
    qtbot.keyClick(week, Qt.Key.Key_Down)
    assert week.selected_post_id() == early.id
    assert calendar.open_button.isEnabled() and calendar.edit_button.isEnabled()
    qtbot.keyClick(week, Qt.Key.Key_Down)
    assert week.selected_post_id() == late.id
    qtbot.keyClick(week, Qt.Key.Key_Right)
    assert week.selected_post_id() == other.id
    qtbot.keyClick(week, Qt.Key.Key_Left)
    assert week.selected_post_id() == late.id  # nearest in time of day to 15:00: 16:00, not 09:00
    assert "Segunda del lunes." in week.accessibleDescription()

    # Alt+Down: fifteen minutes later, through the core.
    qtbot.keyClick(week, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    moved = to_utc(monday_ish, 16 * 60 + GRID_MINUTES)
    qtbot.waitUntil(lambda: core.get_post(late.id).scheduled_at == moved, timeout=10_000)
    reloaded(qtbot, calendar, lambda: late.id in week.chips
             and chip_place(calendar, late.id) == (monday_ish, 16 * 60 + GRID_MINUTES))
    assert week.selected_post_id() == late.id

    # Enter: the post in the queue window, selected.
    qtbot.keyClick(week, Qt.Key.Key_Return)
    queue_window = window.publishing.queue_window
    assert queue_window is not None
    qtbot.addWidget(queue_window)
    qtbot.waitUntil(lambda: (p := queue_window.current_post()) is not None and p.id == late.id)
    assert "Segunda del lunes." in queue_window.detail.toPlainText()


def test_edit_goes_through_the_queue_windows_edit_path(qtbot, window, core, accounts,
                                                       scheduler):
    tuesday = next_week() + timedelta(days=1)
    post = queue(core, EQUIPO, to_utc(tuesday, 9 * 60))
    calendar = open_calendar(qtbot, window, tuesday)
    qtbot.waitUntil(lambda: post.id in calendar.week.chips)
    calendar.week.select_post(post.id)
    calendar.edit_button.click()
    queue_window = window.publishing.queue_window
    qtbot.addWidget(queue_window)
    qtbot.waitUntil(lambda: queue_window.confirm_box is not None)
    box = queue_window.confirm_box
    assert "does not change when you edit the draft" in box.text()
    next(b for b in box.buttons() if b.text() == "Take out and &edit").click()
    from ui.composer import open_composers

    qtbot.waitUntil(lambda: any(c.draft_id == post.draft_id for c in open_composers(window)))
    assert core.get_post(post.id).state is PostState.CANCELLED
    reloaded(qtbot, calendar, lambda: post.id not in calendar.week.chips)
    for composer in open_composers(window):
        qtbot.waitUntil(composer.isEnabled)
        composer.close()


def test_every_control_has_an_accessible_name(qtbot, window, core, accounts, scheduler):
    calendar = open_calendar(qtbot, window)
    assert window.publishing.calendar_action.text() == "&Calendar…"
    assert window.publishing.calendar_action in window.post_actions.menu.actions()
    for button in calendar.findChildren(QAbstractButton):
        if button.isVisibleTo(calendar):
            assert button.accessibleName() or button.text().strip("&◀▶ "), button
    for widget in (calendar.week, calendar.month, calendar.tabs, calendar.title,
                   calendar.legend):
        assert widget.accessibleName()
    assert calendar.findChildren(QComboBox) == []  # nothing unnamed hides there


def test_a_large_week_draws_every_post(qtbot, window, core, accounts, scheduler):
    start = next_week()
    draft = core.new_draft(text="Muchas: una cada cuarto de hora.")
    posts = [core.queue_post(draft.id, EQUIPO, to_utc(start + timedelta(days=d), m))
             for d in range(7) for m in range(8 * 60, 20 * 60, 15)]
    calendar = open_calendar(qtbot, window, start)
    assert len(calendar.week.chips) == len(posts) == 7 * 48
    # Side by side where they overlap, never outside their day's column.
    week = calendar.week
    for post in posts[:48]:
        chip = week.chips[post.id]
        assert week.x_of(0) <= chip.pos().x() < week.x_of(1)
        assert post_time(post) == core.get_post(post.id).scheduled_at
