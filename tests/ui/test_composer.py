"""The composer: templates, variants per account, counting, threads, disclaimers, autosave."""

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from curator import Curator, counting
from ui import composer as composer_module
from ui.composer import ComposerWindow, open_composer

DISCLAIMER = "Opiniones personales, no de mi empleador."
TEMPLATE = "{commentary}\n\n«{quote}»\n\n{title} — {source}\n{url}"
LONG_URL = "https://example.com/cuaderno/2024/03/" + "un-articulo-larguisimo-" * 6 + "final"
ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def accounts(core):
    x = core.add_account("x", name="Ana en X", handle="@ana")
    masto = core.add_account("mastodon", name="Ana en Mastodon", api_base="mastodon.social",
                             char_limit=500, hashtags=["periodismo"])
    linkedin = core.add_account("linkedin", name="Ana en LinkedIn", disclaimer=DISCLAIMER,
                                disclaimer_mandatory=True)
    return {"x": x, "mastodon": masto, "linkedin": linkedin}


@pytest.fixture
def item(core):
    page = core.list_items(limit=50)
    found = next(i for i in page.items if i.title == "La campaña, en cifras")
    core.annotate(found.id, commentary="¿Datos o relato? Aquí, datos.")
    return core.get_item(found.id)


def opened(qtbot, window, **kwargs) -> ComposerWindow:
    composer = open_composer(window, **kwargs)
    qtbot.waitUntil(lambda: composer.draft is not None and composer.isEnabled())
    return composer


def wait_saved(qtbot, composer):
    qtbot.waitUntil(lambda: composer.saver.idle())


def type_text(composer, text, editor=None):
    editor = editor or composer.main_edit
    for ch in text:
        editor.insertPlainText(ch)


def tab_of(composer, account):
    tab = composer.variant_tab(account.id)
    assert tab is not None
    return tab


def test_compose_from_an_item_with_a_template(qtbot, window, core, accounts, item):
    template = core.add_template("Comentario con cita", TEMPLATE, segment="Clientes")
    core.add_template("Solo enlace", "{url}")
    composer = opened(qtbot, window, item_id=item.id, quote="Un resumen de la campaña")
    draft = core.get_draft(composer.draft_id)
    assert draft.item_id == item.id and draft.item_link == item.link
    # Every account is targeted, each tab following the main text.
    assert {t.account.id for t in composer.variant_tabs()} == {a.id for a in accounts.values()}
    assert all(t.synced for t in composer.variant_tabs())
    # The link card shows what a network shows of the link.
    assert composer.card.isVisible()
    assert composer.card.title.text() == "La campaña, en cifras"
    assert "EXAMPLE.COM" in composer.card.site.text()
    assert "Cuaderno de campaña" in composer.card.site.text()
    assert "Un resumen de la campaña con gráficos." in composer.card.excerpt.text()

    # The picker groups templates by segment: headers cannot be picked.
    combo = composer.template_combo
    texts = [combo.itemText(i).strip() for i in range(combo.count())]
    assert texts.index("Clientes") < texts.index("Comentario con cita")
    header = combo.model().item(texts.index("Clientes"))
    assert not header.isEnabled()
    combo.setCurrentIndex(combo.findData(template.id))
    combo.activated.emit(combo.currentIndex())
    text = composer.main_text()
    assert text.startswith("¿Datos o relato? Aquí, datos.")
    assert "«Un resumen de la campaña»" in text
    assert "La campaña, en cifras — Cuaderno de campaña" in text
    assert item.link in text
    # Synced variants follow; the final post carries the link once, the account's hashtags.
    masto = tab_of(composer, accounts["mastodon"])
    assert masto.text() == text
    assert masto.final.count(item.link) == 1
    assert "#periodismo" in masto.final
    wait_saved(qtbot, composer)
    assert core.get_draft(composer.draft_id).text == text
    assert core.get_draft(composer.draft_id).template_id == template.id  # reopened: shown
    composer.close()


def test_counters_differ_per_network_and_follow_typing(qtbot, window, core, accounts):
    composer = opened(qtbot, window)  # blank
    assert composer.card.isHidden()
    # Nothing written: nothing to schedule, though the mandatory disclaimer is counted.
    assert not any(composer.variant_ready(a.id) for a in accounts.values())
    assert tab_of(composer, accounts["x"]).state_label.text() == "Write something to schedule"
    assert tab_of(composer, accounts["linkedin"]).final == DISCLAIMER
    type_text(composer, "Léelo: " + LONG_URL)
    x, masto, linkedin = (tab_of(composer, accounts[n]) for n in ("x", "mastodon", "linkedin"))
    composer.tabs.setCurrentWidget(x)
    assert x.counter.text() == f"{7 + 23} / 280"  # a URL weighs 23 on X, whatever its length
    composer.tabs.setCurrentWidget(masto)
    # Mastodon counts URLs as 23 too, and adds the account's hashtags on a line of their own.
    assert masto.final.endswith("\n\n#periodismo")
    assert masto.counter.text() == f"{7 + 23 + 13} / 500"
    composer.tabs.setCurrentWidget(linkedin)
    final = linkedin.final
    assert final.endswith("\n\n" + DISCLAIMER)
    assert linkedin.counter.text() == f"{len(final)} / 3000"
    assert len(final) > 7 + len(LONG_URL)
    before = x.counter.text()
    type_text(composer, " ¡ñ!")
    assert x.counter.text() == f"{7 + 23 + 4} / 280" != before
    assert all(t.ready for t in composer.variant_tabs())
    assert composer.variant_ready(accounts["x"].id)
    assert x.state_label.text() == "Ready to schedule"
    composer.close()


def test_over_the_limit_turns_red_and_blocks_scheduling(qtbot, window, core, accounts):
    composer = opened(qtbot, window)
    x = tab_of(composer, accounts["x"])
    masto = tab_of(composer, accounts["mastodon"])
    type_text(composer, "Año " * 70)  # 280 characters: just within the limit
    assert x.counter.property("over") is False
    assert "c62828" not in x.counter.styleSheet()
    type_text(composer, "más datos, señora.")
    assert x.counter.property("over") is True
    assert "c62828" in x.counter.styleSheet()
    assert not composer.variant_ready(accounts["x"].id)
    assert x.state_label.text() == "Too long to schedule"
    assert x.split_button.isVisibleTo(x)
    assert x.over_label.text().startswith(f"{x.over_by} characters too many")
    # Mastodon allows 500: the same text is fine there.
    assert masto.counter.property("over") is False
    assert composer.variant_ready(accounts["mastodon"].id)
    composer.close()


def test_split_into_a_thread_gives_parts_within_the_limit(qtbot, window, core, accounts):
    composer = opened(qtbot, window)
    sentence = "La campaña publicó sus cifras. ¿Cuadran con el presupuesto? No del todo. "
    type_text(composer, sentence * 8)
    x = tab_of(composer, accounts["x"])
    assert not x.ready
    x.split_button.click()
    qtbot.waitUntil(lambda: bool(x.thread_parts))
    parts = x.thread_parts
    assert len(parts) >= 3
    for i, part in enumerate(parts, 1):
        assert counting.measure("x", part).ok
        assert part.endswith(f" {i}/{len(parts)}")
    assert x.thread_list.count() == len(parts) and x.thread_list.isVisibleTo(x)
    # Split from the text as it is: ready to schedule, as a thread.
    assert x.ready and composer.variant_ready(accounts["x"].id)
    assert x.schedule_button.isEnabled()
    assert x.state_label.text() == f"Ready to schedule as a thread of {len(parts)}"
    assert composer.tabs.tabText(composer.tabs.indexOf(x)) == "Ana en X"  # no ⚠
    # Typing makes the split stale: it goes away, and so does "ready".
    type_text(composer, "Más.")
    assert x.thread_parts == [] and not x.thread_list.isVisibleTo(x)
    assert not x.ready and not x.schedule_button.isEnabled()
    assert x.state_label.text() == "Too long to schedule"
    composer.close()


def test_linkedin_is_offered_shortening_not_a_thread(qtbot, window, core, accounts):
    composer = opened(qtbot, window)
    linkedin = tab_of(composer, accounts["linkedin"])
    composer.main_edit.insertPlainText("ñ" * 3000)
    over = len(linkedin.final) - 3000
    assert linkedin.counter.property("over") is True
    assert not linkedin.split_button.isVisibleTo(linkedin)
    assert linkedin.over_label.text() == f"Shorten it by {over} characters."
    composer.main_edit.setPlainText("ñ" * (3000 - len("\n\n" + DISCLAIMER) + 1))
    assert linkedin.over_label.text() == "Shorten it by 1 character."
    composer.main_edit.setPlainText("ñ" * (3000 - len("\n\n" + DISCLAIMER)))
    assert linkedin.counter.text() == "3000 / 3000" and linkedin.ready
    composer.close()


def test_a_mandatory_disclaimer_stays_an_optional_one_can_go(qtbot, window, core, accounts):
    optional = core.add_account("bluesky", name="Ana en Bluesky",
                                disclaimer="Las opiniones son mías.")
    composer = opened(qtbot, window)
    type_text(composer, "Opino que sí.")
    linkedin = tab_of(composer, accounts["linkedin"])
    assert linkedin.final == f"Opino que sí.\n\n{DISCLAIMER}"
    assert linkedin.disclaimer_check.isChecked()
    assert not linkedin.disclaimer_check.isEnabled()
    linkedin.disclaimer_check.setChecked(False)  # what a click could not do, code cannot either
    assert DISCLAIMER in linkedin.final
    # Writing its own words for LinkedIn cannot remove it: the text is only the user's part.
    linkedin.follow_check.setChecked(False)
    linkedin.editor.selectAll()
    linkedin.editor.insertPlainText("Sin descargo.")
    assert linkedin.final == f"Sin descargo.\n\n{DISCLAIMER}"
    assert linkedin.counter.text() == f"{len(linkedin.final)} / 3000"
    bluesky = tab_of(composer, optional)
    assert bluesky.final.endswith("Las opiniones son mías.")
    bluesky.disclaimer_check.setChecked(False)
    assert bluesky.final == "Opino que sí."
    assert bluesky.counter.text() == "13 / 300"
    composer.close()


def test_a_variant_written_apart_and_following_again(qtbot, window, core, accounts):
    composer = opened(qtbot, window)
    type_text(composer, "Texto común")
    masto = tab_of(composer, accounts["mastodon"])
    masto.follow_check.setChecked(False)
    assert not masto.editor.isReadOnly()
    masto.editor.selectAll()
    type_text(composer, "Solo para Mastodon, más largo", masto.editor)
    type_text(composer, " y más")
    assert masto.text() == "Solo para Mastodon, más largo"
    wait_saved(qtbot, composer)
    variants = {v.account_id: v for v in core.get_draft(composer.draft_id).variants}
    assert variants[accounts["mastodon"].id].text == "Solo para Mastodon, más largo"
    assert not variants[accounts["mastodon"].id].synced
    assert variants[accounts["x"].id].text == "Texto común y más"
    masto.follow_check.setChecked(True)
    assert masto.text() == "Texto común y más" and masto.editor.isReadOnly()
    wait_saved(qtbot, composer)
    variant = next(v for v in core.get_draft(composer.draft_id).variants
                   if v.account_id == accounts["mastodon"].id)
    assert variant.synced and variant.text == "Texto común y más"
    composer.close()


def test_add_and_remove_target_accounts(qtbot, window, core, accounts):
    composer = opened(qtbot, window)
    composer.remove_account(accounts["x"].id)
    assert composer.variant_tab(accounts["x"].id) is None
    composer.add_account_menu.aboutToShow.emit()
    names = [a.text() for a in composer.add_account_menu.actions()]
    assert names == ["Ana en X (x)"]
    composer.add_account_menu.actions()[0].trigger()
    assert composer.variant_tab(accounts["x"].id) is not None
    composer.remove_account(accounts["linkedin"].id)
    wait_saved(qtbot, composer)
    targeted = {v.account_id for v in core.get_draft(composer.draft_id).variants}
    assert targeted == {accounts["x"].id, accounts["mastodon"].id}
    composer.close()


def test_hashtag_suggestions_come_from_the_categories(qtbot, window, core, accounts, item):
    composer = opened(qtbot, window, item_id=item.id)
    x = tab_of(composer, accounts["x"])
    assert x.suggestions() == ["política", "datos"]
    buttons = [x.tags_row.itemAt(i).widget() for i in range(x.tags_row.count())]
    política = next(b for b in buttons if b is not None and b.text() == "#política")
    política.click()
    assert composer.main_text().endswith(" #política")
    assert x.suggestions() == ["datos"]
    assert x.final.count("#política") == 1
    assert not x.tags_label.isHidden()
    composer.close()
    blank = opened(qtbot, window)  # no item, no categories: no empty "Suggested" label
    assert tab_of(blank, accounts["x"]).tags_label.isHidden()
    blank.close()


def test_an_account_default_template_fills_the_new_draft(qtbot, window, core, accounts, item):
    template = core.add_template("Para X", "{title}: {commentary} {url}")
    core.update_account(accounts["x"].id, default_template_id=template.id)
    composer = opened(qtbot, window, item_id=item.id)
    expected = f"La campaña, en cifras: ¿Datos o relato? Aquí, datos. {item.link}"
    assert composer.main_text() == expected
    assert composer.template_combo.currentData() == template.id
    composer.close()


def test_one_window_per_draft(qtbot, window, core, accounts):
    composer = opened(qtbot, window)
    again = open_composer(window, draft_id=composer.draft_id)
    assert again is composer
    composer.close()
    other = opened(qtbot, window, draft_id=composer.draft_id)
    assert other is not composer
    other.close()


def test_autosave_writes_in_order_and_ends_with_the_last_text(
    qtbot, window, core, accounts, monkeypatch
):
    monkeypatch.setattr(composer_module, "SAVE_DELAY_MS", 5)
    saved: list[str] = []
    real = core.save_draft_text
    lock = threading.Lock()

    def slow_save(draft_id, text):
        time.sleep(random.uniform(0, 0.03))  # saves overlap the typing
        with lock:
            saved.append(text)
        real(draft_id, text)

    monkeypatch.setattr(core, "save_draft_text", slow_save)
    composer = opened(qtbot, window)
    typed = "¿Qué tal? Año tras año, señales. " * 3
    for ch in typed:
        composer.main_edit.insertPlainText(ch)
        qtbot.wait(random.choice((0, 1, 3)))
    assert composer.status_label.text() == "Saving…"
    wait_saved(qtbot, composer)
    assert composer.status_label.text() == "Saved"
    assert core.get_draft(composer.draft_id).text == typed
    assert saved[-1] == typed
    assert len(saved) < len(typed)  # coalesced, not one write per keystroke
    lengths = [len(t) for t in saved]
    assert lengths == sorted(lengths)  # never an older text after a newer one
    composer.close()


def test_closing_saves_what_is_pending(qtbot, window, core, accounts, monkeypatch):
    monkeypatch.setattr(composer_module, "SAVE_DELAY_MS", 60_000)  # only the close saves
    composer = opened(qtbot, window)
    draft_id = composer.draft_id
    type_text(composer, "Cierro ya, ¿se guarda?")
    assert core.get_draft(draft_id).text == ""
    saver = composer.saver
    composer.close()
    qtbot.waitUntil(lambda: core.get_draft(draft_id).text == "Cierro ya, ¿se guarda?")
    qtbot.waitUntil(lambda: not _valid(saver))


def _valid(obj) -> bool:
    import shiboken6

    return shiboken6.isValid(obj)


def test_a_save_error_is_shown(qtbot, window, core, accounts, monkeypatch):
    composer = opened(qtbot, window)

    def broken(draft_id, text):
        raise OSError("disco lleno")

    import ui.composer

    monkeypatch.setattr(ui.composer, "RETRY_DELAY_MS", 50)
    working = core.save_draft_text
    monkeypatch.setattr(core, "save_draft_text", broken)
    type_text(composer, "Hola")
    qtbot.waitUntil(lambda: composer.status_label.property("state") == "error")
    assert "Not saved" in composer.status_label.text()
    # The disk has room again; the user typed nothing more: the text is saved anyway.
    monkeypatch.setattr(core, "save_draft_text", working)
    qtbot.waitUntil(lambda: composer.status_label.property("state") == "saved")
    assert core.get_draft(composer.draft.id).text.endswith("Hola")
    composer.close()


def test_a_draft_that_cannot_be_opened_says_why(qtbot, window, core):
    composer = open_composer(window, draft_id=9999)
    qtbot.waitUntil(lambda: composer.status_label.property("state") == "error")
    assert "9999" in composer.status_label.text()
    assert composer.main_edit.isReadOnly()
    composer.close()


# ---- a crash loses at most the last second ----------------------------------------------------


def test_autosave_survives_killing_the_process(tmp_path):
    data = tmp_path / "data"
    Curator(data).close()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("composer_child.py")), str(data)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT,
    )
    seen: list[tuple[float, int]] = []
    draft_ids: list[int] = []

    def read() -> None:
        assert child.stdout is not None
        for line in child.stdout:
            word, _, value = line.strip().partition(" ")
            if word == "typed":
                seen.append((time.monotonic(), int(value)))
            elif word == "draft":
                draft_ids.append(int(value))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    deadline = time.monotonic() + 60
    while (not seen or seen[-1][1] < 40) and time.monotonic() < deadline:
        if child.poll() is not None:
            pytest.fail(f"the child ended early: {child.stderr.read() if child.stderr else ''}")
        time.sleep(0.01)
    assert seen, "the child never typed"
    time.sleep(1.0)  # keep typing for a second after that keystroke, then crash
    killed_at = time.monotonic()
    child.send_signal(signal.SIGKILL)
    child.wait(10)
    reader.join(5)
    safe = max(n for t, n in seen if t <= killed_at - 1.0)
    last = seen[-1][1]
    assert last > safe  # it was still typing when killed

    from composer_child import TEXT

    with Curator(data) as core:
        (draft_id,) = draft_ids
        text = core.get_draft(draft_id).text
    assert len(text) >= safe
    assert TEXT.startswith(text)  # a prefix of what was typed, in order
    assert text[:safe] == TEXT[:safe]


def test_the_composer_is_a_window_of_its_own(qtbot, window, core, accounts):
    composer = opened(qtbot, window)
    assert composer.isWindow() and not composer.isModal()
    assert composer.windowFlags() & Qt.WindowType.Window
    assert window.isEnabled()  # the main window keeps working
    composer.close()


# ---- one draft to several accounts (issue 6) -------------------------------------------------

EVERY_DAY = [(day, hhmm) for day in range(7) for hhmm in ("07:10", "12:40", "19:05")]


def open_queue_all(qtbot, composer):
    qtbot.waitUntil(lambda: composer.queue_all_button.isEnabled())
    return composer.open_queue_all()


def queued_now(qtbot, core, dialog, count):
    before = {p.id for p in core.list_queue()}
    dialog.queue_button.click()
    qtbot.waitUntil(lambda: not _valid(dialog), timeout=10_000)
    return [p for p in core.list_queue() if p.id not in before]


def test_queue_for_all_ready_accounts_each_in_its_next_slot(qtbot, window, core, accounts):
    for account in accounts.values():
        core.set_slots(account.id, EVERY_DAY)
    core.queue_post(core.new_draft(text="Ya en la cola de X.").id, accounts["x"].id,
                    next_slot=True)  # X's first slot is taken
    expected = {a.id: core.next_free_slot(a.id) for a in accounts.values()}
    composer = opened(qtbot, window)
    composer.main_edit.setPlainText("Tres redes, un borrador: ¿qué opináis, señores?")
    dialog = open_queue_all(qtbot, composer)
    assert dialog.checked_ids() == [a.id for a in accounts.values()]
    assert dialog.each_slot.isChecked()
    posts = queued_now(qtbot, core, dialog, 3)
    assert {p.account_id: p.scheduled_at for p in posts} == expected
    assert len(set(expected.values())) >= 2  # X's own queue moved it on
    assert composer.status_label.text().startswith("Queued: Ana en X at")
    # Each with its own disclaimer rules: LinkedIn's mandatory one is there.
    linkedin = next(p for p in posts if p.account_id == accounts["linkedin"].id)
    assert linkedin.text.endswith(DISCLAIMER)
    composer.close()


def test_queue_for_all_staggered_from_a_time(qtbot, window, core, accounts):
    from datetime import UTC, datetime, timedelta

    from PySide6.QtCore import QDateTime

    composer = opened(qtbot, window)
    composer.main_edit.setPlainText("Escalonado: primero X, luego Mastodon, luego LinkedIn.")
    dialog = open_queue_all(qtbot, composer)
    start = (datetime.now(UTC) + timedelta(days=1)).replace(second=0, microsecond=0)
    dialog.staggered.setChecked(True)
    dialog.stagger.setValue(25)
    dialog.start.setDateTime(QDateTime.fromSecsSinceEpoch(int(start.timestamp())))
    # Only two of the three.
    dialog.accounts.item(1).setCheckState(Qt.CheckState.Unchecked)
    posts = queued_now(qtbot, core, dialog, 2)
    by_account = {p.account_id: p.scheduled_at for p in posts}
    assert by_account == {accounts["x"].id: start,
                          accounts["linkedin"].id: start + timedelta(minutes=25)}
    composer.close()


def test_queue_for_all_is_all_or_nothing_and_shows_the_refusal(qtbot, window, core, accounts):
    composer = opened(qtbot, window)
    composer.main_edit.setPlainText("Un texto corto pero no tanto para la nueva regla.")
    dialog = open_queue_all(qtbot, composer)
    # Meanwhile X's limit shrank (another window, the CLI): the core refuses that account.
    core.update_account(accounts["x"].id, char_limit=10)
    before = len(core.list_queue())
    dialog.queue_button.click()
    qtbot.waitUntil(lambda: bool(dialog.status.error_text()), timeout=10_000)
    assert "Ana en X" in dialog.status.error_text()
    assert len(core.list_queue()) == before  # none of the three was queued
    assert dialog.queue_button.isEnabled()
    dialog.reject()
    composer.close()


def test_queue_for_all_needs_one_disclaimer_choice(qtbot, window, core):
    bluesky = core.add_account("bluesky", name="Ana en Bluesky", disclaimer=DISCLAIMER)
    core.add_account("mastodon", name="Ana en Mastodon", api_base="mastodon.social",
                     disclaimer=DISCLAIMER)
    composer = opened(qtbot, window)
    composer.main_edit.setPlainText("¿Con o sin descargo?")
    composer.variant_tab(bluesky.id).disclaimer_check.setChecked(False)
    dialog = open_queue_all(qtbot, composer)
    before = len(core.list_queue())
    dialog.queue_button.click()
    assert "disclaimer is on for some" in dialog.status.error_text()
    assert len(core.list_queue()) == before
    dialog.reject()
    composer.close()
