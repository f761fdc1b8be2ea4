"""Content packs in the window: subscribing (server, file, bad pack), the approved badge, the
composer's approved rules, and the Make a content pack dialog's round trip."""

import json

import pytest
import shiboken6
from PySide6.QtCore import Qt
from uihelpers import source_texts

from curator.types import Role
from ui.composer import open_composer
from ui.packs import MakePackDialog, SubscribePackDialog

DISCLAIMER = "Comunicación publicitaria. Rentabilidades pasadas no garantizan las futuras."
SUGGESTED = "Orgullosos de estos resultados: el año de la banca sostenible."


def pack(*, expires="2099-12-31T23:00:00Z", networks=("linkedin", "mastodon"), **overrides):
    """A content pack of two items: one current, one that expired in 2020."""
    current = {
        "commentary": [
            {"text": SUGGESTED},
            {"segment": "Clientes", "text": "Para nuestros clientes: los datos del trimestre."},
        ],
        "networks": list(networks),
        "expires": expires,
        "disclaimer": DISCLAIMER,
        "hashtags": ["resultados", "banca"],
        "utm_campaign": "q3-resultados",
    }
    current.update(overrides)
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Resultados del tercer trimestre",
        "_curator": {"version": 1, "publisher": "Marketing Iberia",
                     "templates": [{"name": "Cita del informe",
                                    "body": "{commentary}\n\n{title} {url}"}]},
        "items": [
            {"id": "q3-informe", "url": "https://example.com/q3/informe",
             "title": "Informe del tercer trimestre", "content_text": "Crecimiento del 12 %.",
             "date_published": "2024-03-01T09:00:00Z", "_curator": current},
            {"id": "q2-caducado", "url": "https://example.com/q2/informe",
             "title": "Informe del segundo trimestre", "content_text": "Ya no vale.",
             "date_published": "2024-01-01T09:00:00Z",
             "_curator": {"commentary": [{"text": "El trimestre pasado, en cifras."}],
                          "expires": "2020-01-01T00:00:00Z", "disclaimer": DISCLAIMER}},
        ],
    }
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def subscribe(qtbot, window, source, *, ok=True):
    dialog = window.packs.subscribe()
    assert isinstance(dialog, SubscribePackDialog)
    dialog.source_edit.setText(source)
    if not ok:
        dialog.subscribe_button.click()
        return dialog
    with qtbot.waitSignal(dialog.added, timeout=10_000):
        dialog.subscribe_button.click()
    return dialog


def pack_feed(core):
    return next((f for f in core.list_feeds() if f.role == Role.APPROVED), None)


def wait_subscribed(qtbot, window, core):
    feed = pack_feed(core)
    qtbot.waitUntil(lambda: f"Approved ({feed.unread})" in source_texts(window))
    return feed


def item_titled(core, title):
    return next(i for i in core.list_items(limit=100).items if i.title == title)


def test_subscribe_from_a_local_server_shows_approved_items(qtbot, window, core, feed_server):
    url = feed_server.add("/packs/q3.json", pack(), content_type="application/feed+json")
    dialog = subscribe(qtbot, window, url)
    feed = wait_subscribed(qtbot, window, core)
    assert not shiboken6.isValid(dialog) or not dialog.isVisible()
    assert feed.url == url and feed.unread == 2
    assert "content pack" in window.statusBar().currentMessage()
    # The approved role has its own node; its items carry the badge in the list.
    window.sources.setCurrentIndex(window.source_model.index_for_key(("role", "approved")))
    model = window.item_model
    qtbot.waitUntil(lambda: model.rowCount() == 2)
    for row in range(2):
        title = model.index(row, model.TITLE).data()
        assert title.startswith("✔ ")
        assert "Approved content" in model.index(row, model.TITLE).data(Qt.ItemDataRole.ToolTipRole)
    # Items of ordinary feeds carry no badge.
    window.sources.setCurrentIndex(window.source_model.index_for_key(("role", "third-party")))
    qtbot.waitUntil(lambda: model.rowCount() == 11)
    assert not any(model.index(r, model.TITLE).data().startswith("✔") for r in range(11))


def test_subscribe_from_a_file(qtbot, window, core, tmp_path):
    path = tmp_path / "paquete q3.json"
    path.write_bytes(pack())
    subscribe(qtbot, window, str(path))
    feed = wait_subscribed(qtbot, window, core)
    assert feed.unread == 2
    assert {i.title for i in core.list_items(limit=100).items if i.feed_id == feed.id} == {
        "Informe del tercer trimestre", "Informe del segundo trimestre"}


def test_a_bad_pack_names_the_field_and_adds_nothing(qtbot, window, core, feed_server):
    feeds_before = len(core.list_feeds())
    items_before = core.count_items()
    url = feed_server.add("/packs/roto.json", pack(expires="el martes que viene"),
                          content_type="application/feed+json")
    dialog = subscribe(qtbot, window, url, ok=False)
    qtbot.waitUntil(lambda: bool(dialog.status.error_text()), timeout=10_000)
    error = dialog.status.error_text()
    assert "_curator.expires" in error and "q3-informe" in error
    assert dialog.isVisible() and not dialog.is_working()
    assert len(core.list_feeds()) == feeds_before and core.count_items() == items_before
    dialog.reject()


@pytest.fixture
def accounts(core):
    return {
        "x": core.add_account("x", name="Lucía en X", handle="@lucia"),
        "linkedin": core.add_account("linkedin", name="Lucía en LinkedIn"),
    }


def opened(qtbot, window, item_id):
    composer = open_composer(window, item_id=item_id)
    qtbot.waitUntil(lambda: composer.draft is not None and composer.isEnabled())
    return composer


def test_composer_starts_from_the_suggested_commentary_and_keeps_to_the_networks(
        qtbot, window, core, tmp_path, accounts):
    path = tmp_path / "q3.json"
    path.write_bytes(pack(networks=("linkedin",)))
    subscribe(qtbot, window, str(path))
    wait_subscribed(qtbot, window, core)
    item = item_titled(core, "Informe del tercer trimestre")
    composer = opened(qtbot, window, item.id)
    assert composer.main_text().startswith(SUGGESTED)
    label = composer.approved_label.text()
    assert composer.approved_label.isVisible()
    assert label.startswith("Approved content: expires") and "LinkedIn" in label
    x_tab = composer.variant_tab(accounts["x"].id)
    linkedin_tab = composer.variant_tab(accounts["linkedin"].id)
    x_index = composer.tabs.indexOf(x_tab)
    assert not composer.tabs.isTabEnabled(x_index)
    assert "does not allow" in composer.tabs.tabToolTip(x_index) and "X" in x_tab.blocked
    assert not x_tab.ready and not x_tab.schedule_button.isEnabled()
    assert composer.tabs.isTabEnabled(composer.tabs.indexOf(linkedin_tab))
    assert linkedin_tab.ready and linkedin_tab.schedule_button.isEnabled()
    # The preview is the post queue_post makes: the pack's disclaimer, hashtags, campaign.
    assert DISCLAIMER in linkedin_tab.final and "#resultados" in linkedin_tab.final
    assert "utm_campaign=q3-resultados" in linkedin_tab.final
    post = core.queue_post(composer.draft_id, accounts["linkedin"].id, next_slot=True)
    assert post.text == linkedin_tab.final
    qtbot.waitUntil(lambda: composer.saver.idle())
    composer.close()


def test_an_expired_approved_item_cannot_be_scheduled(qtbot, window, core, tmp_path, accounts):
    path = tmp_path / "q3.json"
    path.write_bytes(pack())
    subscribe(qtbot, window, str(path))
    wait_subscribed(qtbot, window, core)
    item = item_titled(core, "Informe del segundo trimestre")
    composer = opened(qtbot, window, item.id)
    assert "expired" in composer.approved_label.text()
    assert "cannot be scheduled" in composer.approved_label.text()
    for tab in composer.variant_tabs():
        assert not tab.ready and not tab.schedule_button.isEnabled()
        assert "expired" in tab.state_label.text()
    assert not composer.queue_all_button.isEnabled()
    qtbot.waitUntil(lambda: composer.saver.idle())
    composer.close()


def test_make_a_pack_writes_one_that_subscribes_back(qtbot, window, core, tmp_path):
    template = core.add_template("Recomendación", "{commentary} {url}", segment="Clientes")
    core.add_template("Solo enlace", "{url}")
    items = core.list_items(limit=100).items
    chosen, starred = items[0], items[3]
    core.mark_items([starred.id], starred=True)
    window.items.selectRow(0)
    dialog = window.packs.make_pack()
    assert isinstance(dialog, MakePackDialog)
    qtbot.waitUntil(lambda: dialog.loaded)
    assert dialog.item_ids() == [chosen.id, starred.id]
    # The selection goes in; starred items are offered but left out until ticked.
    assert dialog.checked_ids() == [chosen.id]
    dialog.set_checked(starred.id, True)
    dialog.title_edit.setText("Lo mejor de la semana")
    dialog.publisher_edit.setText("Marketing Iberia")
    dialog.select_item(chosen.id)
    dialog.commentary.item(0, dialog.commentary.TEXT).setText("Una lectura imprescindible.")
    dialog.commentary.add_row("Clientes", "Para clientes: lo que cambia este año.")
    dialog.set_commentary(starred.id, [("", "¿Qué opináis de esto?")])
    dialog.network_checks["x"].setChecked(False)
    dialog.disclaimer_edit.setText(DISCLAIMER)
    dialog.hashtags_edit.setText("#lectura, semana")
    dialog.utm_edit.setText("semana-12")
    assert dialog.templates.count() == 2 and dialog.template_ids() == []
    dialog.set_template_checked(template.id, True)
    out = tmp_path / "mi paquete.json"
    dialog.path_edit.setText(str(out))
    with qtbot.waitSignal(dialog.exported, timeout=10_000) as written:
        dialog.export_button.click()
    assert written.args == [str(out), 2]
    assert out.exists()

    result = core.subscribe_pack(str(out))
    assert result.feed.role == Role.APPROVED
    back = core.list_items(limit=100).items
    back = [i for i in back if i.feed_id == result.feed.id]
    assert sorted(i.title for i in back) == sorted([chosen.title, starred.title])
    by_title = {i.title: core.approved_content(i.id) for i in back}
    first = by_title[chosen.title]
    assert first.commentary == [("", "Una lectura imprescindible."),
                                ("Clientes", "Para clientes: lo que cambia este año.")]
    assert first.networks == ["bluesky", "mastodon", "linkedin", "webhook"]
    assert first.disclaimer == DISCLAIMER
    assert first.hashtags == ["lectura", "semana"]
    assert first.utm_campaign == "semana-12"
    assert first.expires_at is not None
    assert by_title[starred.title].commentary == [("", "¿Qué opináis de esto?")]
    (info,) = [p for p in core.list_packs() if p.feed_id == result.feed.id]
    assert (info.title, info.publisher, info.items, info.templates) == (
        "Lo mejor de la semana", "Marketing Iberia", 2, 1)


def test_make_a_pack_says_what_is_missing(qtbot, window, core, tmp_path):
    window.items.selectRow(0)
    dialog = window.packs.make_pack()
    qtbot.waitUntil(lambda: dialog.loaded)
    dialog.export_button.click()
    assert dialog.status.error_text() == "Choose where to write the pack."
    dialog.path_edit.setText(str(tmp_path / "p.json"))
    for check in dialog.network_checks.values():
        check.setChecked(False)
    dialog.export_button.click()
    assert dialog.status.error_text() == "Allow at least one network."
    assert not (tmp_path / "p.json").exists()
    dialog.reject()
