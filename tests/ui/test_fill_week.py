"""Posts → Fill my week…: the proposal is listed, edited (uncheck, account, time, text) and
queued, all or nothing unless the user agrees to queue the others (ui/planning.py)."""

from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from curator import ItemQuery
from curator.types import PostState, Role
from ui.planning import FillWeekDialog

MADRID = "Europe/Madrid"


@pytest.fixture
def planned(core):
    """Every golden item starred; the feeds are own, competitor and third party; two
    accounts in Madrid with a slot every weekday at 09:00 and 17:30 (the defaults)."""
    feeds = core.list_feeds()
    for feed, role in zip(feeds, (Role.OWN, Role.COMPETITOR, Role.THIRD_PARTY), strict=True):
        core.update_feed(feed.id, role=role)
    items = core.list_items(limit=100).items
    core.mark_items([i.id for i in items], starred=True)
    core.annotate(items[0].id, commentary="Un análisis que todo el equipo debería leer.")
    x = core.add_account("x", name="Ana en X", timezone=MADRID)
    masto = core.add_account("mastodon", name="Ana en Mastodon", api_base="https://m.example",
                             timezone=MADRID)
    return {"x": x, "masto": masto, "items": items}


def open_dialog(qtbot, core):
    dialog = FillWeekDialog(core)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.loaded and not dialog.busy, timeout=15_000)
    return dialog


def test_the_proposal_is_listed_with_the_mix_and_local_times(qtbot, core, planned):
    dialog = open_dialog(qtbot, core)
    expected = core.propose_week([planned["masto"].id, planned["x"].id], dialog.start,
                                 dialog.end)
    assert len(dialog.placements) == len(expected) > 4
    assert [(p.account, p.item_id, p.at) for p in dialog.placements] == \
        [(p.account, p.item_id, p.at) for p in expected]
    table = dialog.table
    first = table.topLevelItem(0)
    assert first.checkState(dialog.USE) == Qt.CheckState.Checked
    roles = {table.topLevelItem(i).text(dialog.ROLE) for i in range(table.topLevelItemCount())}
    assert roles <= {"Own", "Competitor", "Third party"} and len(roles) >= 2
    for account_id in (planned["x"].id, planned["masto"].id):
        mine = [p.role for p in dialog.placements if p.account_id == account_id]
        assert all(sum(r is Role.OWN for r in mine[s:s + 3]) <= 1 for s in range(len(mine)))
    annotated = next(p for p in dialog.placements if p.item_id == planned["items"][0].id)
    assert annotated.text == "Un análisis que todo el equipo debería leer."
    assert dialog.queue_button.text() == f"&Queue ({len(expected)})"
    assert not dialog.mix_label.isVisible()


def test_uncheck_edit_and_queue(qtbot, core, planned):
    dialog = open_dialog(qtbot, core)
    rows = dialog.placements
    dialog.set_row_checked(1, False)
    assert dialog.queue_button.text() == f"&Queue ({len(rows) - 1})"
    moved = rows[0].at + timedelta(hours=1, minutes=15)
    other = planned["x"] if rows[0].account_id == planned["masto"].id else planned["masto"]
    dialog.edit_row(0, account=other.id, at=moved, text="Texto editado: lo mejor de la semana.")
    assert dialog.placements[0].account == other.name
    assert dialog.table.topLevelItem(0).text(dialog.ACCOUNT) == other.name
    left_out = rows[1].item_id
    with qtbot.waitSignal(dialog.queued, timeout=15_000) as queued:
        dialog.queue_button.click()
    posts = queued.args[0]
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert len(posts) == len(rows) - 1
    first = posts[0]
    assert (first.account_id, first.scheduled_at, first.state) == \
        (other.id, moved, PostState.SCHEDULED)
    assert first.text.startswith("Texto editado: lo mejor de la semana.")
    assert core.get_draft(first.draft_id).item_id == rows[0].item_id
    queued_items = {core.get_draft(p.draft_id).item_id for p in core.list_queue()}
    assert left_out not in queued_items and len(core.list_queue()) == len(posts)


def test_edits_that_break_the_mix_are_pointed_out(qtbot, core, planned):
    dialog = open_dialog(qtbot, core)
    mine = [i for i, p in enumerate(dialog.placements) if p.account_id == planned["x"].id]
    own = [i for i in mine if dialog.placements[i].role is Role.OWN]
    assert own, "the proposal has an own-company post for Ana en X"
    # Move every other post of this account out of the way: own posts end up together.
    others = [i for i in range(len(dialog.placements)) if i not in own]
    for i in others:
        dialog.set_row_checked(i, False)
    extra = next(i for i, p in enumerate(dialog.placements)
                 if p.role is Role.OWN and i not in own)
    dialog.set_row_checked(extra, True)
    dialog.edit_row(extra, account=planned["x"].id)
    assert dialog.mix_label.isVisible()
    assert "Ana en X: more than 1 own-company post in 3" in dialog.mix_label.text()


def test_rows_that_cannot_be_queued_queue_nothing_until_the_user_agrees(qtbot, core, planned):
    dialog = open_dialog(qtbot, core)
    count = len(dialog.placements)
    x_row = next(i for i, p in enumerate(dialog.placements) if p.account_id == planned["x"].id)
    dialog.edit_row(x_row, text="Demasiado largo para X. " * 20)
    dialog.queue_button.click()
    qtbot.waitUntil(lambda: dialog.confirm_box is not None, timeout=15_000)
    assert core.list_queue() == []  # all or nothing
    assert x_row in dialog.problems and "over its limit" in dialog.problems[x_row]
    red = dialog.table.topLevelItem(x_row)
    assert red.foreground(dialog.TITLE).color().name() == "#c62828"
    assert "over its limit" in red.toolTip(dialog.USE)
    assert "Nothing was queued" in dialog.status.error_text()
    box = dialog.confirm_box
    assert "Ana en X" in box.text()
    go_back = next(b for b in box.buttons() if b.text() == "Go back")
    go_back.click()
    assert core.list_queue() == [] and dialog.isVisible()
    # Again, and this time queue the others.
    dialog.queue_button.click()
    qtbot.waitUntil(lambda: dialog.confirm_box is not None, timeout=15_000)
    others = next(b for b in dialog.confirm_box.buttons() if b.text() == "Queue the others")
    with qtbot.waitSignal(dialog.queued, timeout=15_000) as queued:
        others.click()
    assert len(queued.args[0]) == count - 1
    skipped = dialog.placements[x_row].item_id
    assert skipped not in {core.get_draft(p.draft_id).item_id for p in core.list_queue()}


def test_discard_queues_nothing(qtbot, core, planned):
    dialog = open_dialog(qtbot, core)
    dialog.discard_button.click()
    assert dialog.result() == QDialog.DialogCode.Rejected
    assert core.list_queue() == []


def test_nothing_to_propose_says_what_to_do(qtbot, core):
    core.add_account("x", name="Ana en X", timezone=MADRID)
    assert core.count_items(ItemQuery(starred=True)) == 0
    dialog = open_dialog(qtbot, core)
    assert dialog.placements == [] and dialog.empty_label.isVisible()
    assert not dialog.queue_button.isEnabled()


def test_the_posts_menu_opens_fill_my_week_and_posting_slots(qtbot, window):
    menu = window.post_actions.menu
    texts = [a.text() for a in menu.actions()]
    assert "&Fill my week…" in texts and "Posting &slots…" in texts
    window.planning.fill_week_action.trigger()
    dialog = window.planning.fill_dialog
    assert dialog is not None and dialog.isVisible()
    assert window.planning.show_fill_week() is dialog  # one at a time
    qtbot.waitUntil(lambda: dialog.loaded and not dialog.busy, timeout=15_000)
    dialog.close()
    window.planning.slots_action.trigger()
    slots = window.planning.slots_dialog
    assert slots is not None and slots.isVisible()
    qtbot.waitUntil(lambda: slots.loaded, timeout=15_000)
    slots.close()


def test_posts_already_queued_count_in_the_dialogs_mix_check(qtbot, core):
    """Two own items, two third-party posts already queued in between: the proposal is
    healthy, and the dialog must not say otherwise by looking at its own rows alone."""
    from datetime import UTC, datetime

    own_feed, _, third_feed = core.list_feeds()
    core.update_feed(own_feed.id, role=Role.OWN)
    items = core.list_items(limit=100).items
    own = [i for i in items if i.feed_id == own_feed.id][:2]
    third = [i for i in items if i.feed_id == third_feed.id][:2]
    core.mark_items([i.id for i in own], starred=True)
    x = core.add_account("x", name="Ana en X", timezone=MADRID)
    core.set_slots(x.id, [(day, "09:00") for day in range(7)])
    now = datetime.now(UTC)
    free = core.free_slots(x.id, now + timedelta(minutes=5), now + timedelta(days=6))
    for item, at in zip(third, free[1:3], strict=True):
        core.queue_post(core.new_draft(item_id=item.id, text="De un tercero").id, x.id, at)

    dialog = open_dialog(qtbot, core)
    assert [(p.role, p.at) for p in dialog.placements] == \
        [(Role.OWN, free[0]), (Role.OWN, free[3])]
    assert len(dialog.booked) >= 2
    assert not dialog.mix_label.isVisible(), dialog.mix_label.text()
