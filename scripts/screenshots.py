"""Save README screenshots, offscreen, with golden feeds: the main window (light and dark) with
a commentary under the reader, the composer, the drafts list and an account's edit form."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # the app, and tests/feedserver.py
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TZ", "Europe/Madrid")  # dates shown as a user in Spain would see them
if os.environ.get("LANG", "C").startswith(("C", "POSIX")):
    os.environ["LANG"] = "en_GB.UTF-8"  # Qt's "C" locale writes dates as "7 03 2024"
# The local feed server must never be reached through a proxy.
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"

FEEDS = ROOT / "tests" / "data" / "feeds"
# (file, folder, role): a couple of folders and roles, so the sources tree shows its shape.
SHOWN = (
    ("rss20.xml", "Marketing", "third-party"),
    ("atom10.xml", "Travel", "third-party"),
    ("jsonfeed10.json", "Marketing", "competitor"),
    ("rss092.xml", "Tech", "third-party"),
    ("jsonfeed11.json", None, "own"),
)
SIZE = (1200, 750)
COMPOSER_SIZE = (1000, 720)
SHOWN_ITEM = "La campaña, en cifras"
COMMENTARY = (
    "Por fin una campaña que se mide con datos y no con intuiciones: el coste por lead "
    "baja un 18 % en tres meses y el retorno se ve trimestre a trimestre."
)
NOTE = "Preguntar a Marta por las cifras de marzo antes de publicarlo."
DISCLAIMER = "Opiniones personales, no de mi empleador."
CFO_TEMPLATE = (
    "Para los CFOs que me leen: {commentary}\n\n"
    "Lo que conviene mirar antes del cierre del trimestre: {title} ({source}).\n\n{url}"
)
# Drafts written earlier, so the drafts list has more than the one the composer started.
QUEUED = (  # (text, when from now) for Mastodon: one due now, one handed to the server
    ("Cinco gráficos que explican el trimestre, y uno que lo complica.", timedelta(0)),
    ("El martes hablamos de atribución en la jornada de Valencia: ¿os veo allí?",
     timedelta(days=3)),
)
THREAD_MORE = (
    "Lo interesante es el método: cada euro se sigue desde el anuncio hasta la venta, y los "
    "canales que no aportan se cortan cada mes. ¿Alguien lo ha probado en B2B?"
)
CALENDAR_PLAN = (  # (day of the week, local minute of the day, account, text)
    (0, 9 * 60, "Ana en LinkedIn", "¿Cuánto cuesta de verdad un cliente nuevo?"),
    (0, 17 * 60 + 30, "Ana en X", "Tres gráficos que explican el trimestre."),
    (1, 9 * 60, "Ana en Mastodon", "Lo que aprendí leyendo a la competencia."),
    (1, 12 * 60 + 15, "Ana en X", "Cómo leer un informe anual en diez minutos."),
    (2, 9 * 60, "Ana en LinkedIn", "Nuestro estudio de precios, en una página."),
    (2, 17 * 60 + 30, "Ana en Mastodon", "Una buena idea de un tercero: crédito a quien toca."),
    (3, 8 * 60 + 45, "Ana en X", "¿Subirán los tipos? Yo diría que no."),
    (3, 9 * 60, "Ana en LinkedIn", "Caso práctico: de la demo al contrato."),
    (4, 17 * 60 + 30, "Ana en X", "Lecturas del fin de semana."),
    (4, 11 * 60, "Ana en Mastodon", "Preguntas que nos hacen los CFO, contestadas."),
)
REFUSED = "Lo que aprendimos midiendo la campaña de otoño."
OTHER_DRAFTS = (
    (
        "Hilo semanal: cinco lecturas sobre métricas de campaña que merecen tu café del lunes.",
        None,
        ("Ana en X", "Ana en Mastodon"),
    ),
    (
        "Los tamaños de archivo también cuentan en una estrategia de contenidos: un buen repaso.",
        "Größe importa: tamaños de archivo",
        ("Ana en LinkedIn",),
    ),
)


def _isolate_settings(folder: str) -> None:
    """Point Qt's settings at a temp folder: the user's saved window state must not leak in."""
    from PySide6.QtCore import QSettings

    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, folder)
        QSettings.setPath(fmt, QSettings.Scope.SystemScope, folder)


def dark_palette():
    """The usual Fusion dark palette (what a user with a dark desktop theme sees)."""
    from PySide6.QtGui import QColor, QPalette

    role, group = QPalette.ColorRole, QPalette.ColorGroup
    palette = QPalette()
    colors = {
        role.Window: "#2b2b2b",
        role.WindowText: "#e6e6e6",
        role.Base: "#1f1f1f",
        role.AlternateBase: "#292929",
        role.ToolTipBase: "#2b2b2b",
        role.ToolTipText: "#e6e6e6",
        role.PlaceholderText: "#8c8c8c",
        role.Text: "#e6e6e6",
        role.Button: "#353535",
        role.ButtonText: "#e6e6e6",
        role.BrightText: "#ff5555",
        role.Link: "#6cb4ff",
        role.LinkVisited: "#b48cff",
        role.Highlight: "#2f6fb3",
        role.HighlightedText: "#ffffff",
        role.Light: "#454545",
        role.Midlight: "#3a3a3a",
        role.Mid: "#2f2f2f",
        role.Dark: "#161616",
        role.Shadow: "#000000",
    }
    for r, color in colors.items():
        palette.setColor(r, QColor(color))
    for r in (role.WindowText, role.Text, role.ButtonText):
        palette.setColor(group.Disabled, r, QColor("#7a7a7a"))
    return palette


def _wait(app, done: Callable[[], bool], timeout: float = 15.0) -> None:
    from ui import tasks

    deadline = time.monotonic() + timeout
    while not (done() and tasks.pending() == 0):
        if time.monotonic() > deadline:
            raise SystemExit("screenshots: the window did not settle in time")
        app.processEvents()
        time.sleep(0.01)


def _quiet_offscreen() -> None:
    """The offscreen platform warns that it cannot raise() dialogs: say nothing of that."""
    from PySide6.QtCore import qInstallMessageHandler

    def handler(_kind, _context, message: str) -> None:
        if not message.startswith("This plugin does not support"):
            print(message, file=sys.stderr)

    qInstallMessageHandler(handler)


def _check_fonts(app) -> None:
    from PySide6.QtGui import QFontDatabase

    if not QFontDatabase.families():
        raise SystemExit("screenshots: no fonts installed (apt-get install fonts-dejavu-core)")
    if not QFontDatabase.families(QFontDatabase.WritingSystem.Japanese):
        print(
            "screenshots: no Japanese font (e.g. fonts-wqy-microhei): 日本 shows as boxes",
            file=sys.stderr,
        )


def _settle(app, seconds: float = 0.3) -> None:
    """Let queued events run: widgets added to shown layouts appear, labels re-lay out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)


def _save(window, path: Path) -> None:
    from PySide6.QtWidgets import QApplication

    _settle(QApplication.instance())
    window.repaint()
    if not window.grab().save(str(path)):
        raise SystemExit(f"screenshots: cannot write {path}")
    print(path)


def _add_profiles(core) -> None:
    """Three posting profiles and an approved template, as a user would have set them up."""
    template = core.add_template("Para CFOs", CFO_TEMPLATE, segment="CFOs")
    core.add_template("Solo el enlace", "{title}\n{url}")
    core.add_account("x", name="Ana en X", handle="@ana_datos")
    core.add_account(
        "mastodon",
        name="Ana en Mastodon",
        handle="@ana@mastodon.social",
        api_base="mastodon.social",
        char_limit=500,
        hashtags=["marketing"],
    )
    core.add_account(
        "linkedin",
        name="Ana en LinkedIn",
        disclaimer=DISCLAIMER,
        disclaimer_mandatory=True,
        utm_source="linkedin",
        utm_medium="social",
        utm_campaign="{source}-semanal",
        utm_skip_domains=["intranet.empresa.es"],
        hashtags=["finanzas", "innovación"],
        default_template_id=template.id,
    )


def _add_tokens(core) -> None:
    """Made-up tokens in the (throwaway) keyring: X ready, LinkedIn's sign-in ending in four
    days. Without a keyring the accounts show "keyring unavailable" instead."""
    from datetime import timedelta

    from curator.connectors.linkedin import save_token
    from curator.errors import KeyringUnavailableError

    try:
        core.secrets.check()
    except KeyringUnavailableError:
        return
    core.set_account_secret("Ana en X", "token-de-ejemplo-x")
    linkedin = core.get_account("Ana en LinkedIn")
    save_token(core.secrets, linkedin.id, "token-de-ejemplo-li",
               expires_in=timedelta(days=4).total_seconds(), now=core.now())


def _annotate_shown(app, window) -> None:
    """Type the commentary and note under the reader, as a user would, until "Saved"."""
    panel = window.annotations
    _wait(app, panel.is_loaded)
    panel.commentary.setPlainText(COMMENTARY)
    panel.note.setPlainText(NOTE)
    _wait(app, lambda: not panel.is_saving() and panel.status.text() == "Saved")


def _composer(app, window, item_id: int, path: Path) -> None:
    from ui.composer import open_composer

    composer = open_composer(window, item_id=item_id)
    composer.resize(*COMPOSER_SIZE)
    _wait(app, lambda: composer.draft is not None and composer.isEnabled())
    x = next(t for t in composer.variant_tabs() if t.account.network.value == "x")
    composer.tabs.setCurrentWidget(x)
    _wait(app, lambda: composer.saver.idle() and x.over_by > 0 and x.split_button.isVisible())
    _save(composer, path)
    composer.close()
    _wait(app, lambda: True)


def _drafts(app, window, path: Path) -> None:
    from ui.drafts import show_drafts

    core = window.core
    accounts = {a.name: a.id for a in core.list_accounts()}
    items = {i.title: i.id for i in core.list_items(limit=100).items}
    for text, title, names in OTHER_DRAFTS:
        draft = core.new_draft(item_id=items[title] if title else None, text=text)
        for name in names:
            core.add_variant(draft.id, accounts[name])
    window.drafts_action.trigger()
    dialog = show_drafts(window)  # the one the action opened
    dialog.resize(dialog.width(), 300)  # three rows: no need for the default's empty space
    _wait(app, lambda: dialog.loaded and dialog.tree.topLevelItemCount() == 3)
    _save(dialog, path)
    dialog.close()


class _Token:
    """The Mastodon token, for core.publish_due without a system keyring."""

    def __init__(self, account_id: int, token: str):
        self.account_id, self.token = account_id, token

    def get(self, account_id: int, kind: str) -> str | None:
        return self.token if (account_id, kind) == (self.account_id, "access_token") else None


def _queue(app, window, path: Path) -> None:
    """Posts in every state, made for real against a local Mastodon server: a thread waiting
    for X, one published, one handed to the server's scheduler, one refused (revoked token)."""
    from datetime import UTC, datetime, timedelta

    from mastodonserver import MastodonServer

    core = window.core
    items = {i.title: i.id for i in core.list_items(limit=100).items}
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    with MastodonServer() as server:
        token = server.add_token(username="ana")
        masto = core.update_account("Ana en Mastodon", api_base=server.url,
                                    server_schedule=True, language="es")
        secrets = _Token(masto.id, token)
        thread = core.new_draft(item_id=items[SHOWN_ITEM], text=f"{COMMENTARY} {THREAD_MORE}")
        core.queue_post(thread.id, "Ana en X", now + timedelta(days=1, hours=2), thread=True)
        for text, when in QUEUED:
            draft = core.new_draft(text=text)
            core.queue_post(draft.id, "Ana en Mastodon", now + when)
        core.publish_due(now + timedelta(minutes=1), secrets=secrets)
        server.revoke(token)
        refused = core.new_draft(text=REFUSED)
        core.queue_post(refused.id, "Ana en Mastodon", now - timedelta(minutes=5))
        core.publish_due(now, secrets=secrets)
    queue_window = window.publishing.show_queue()
    queue_window.resize(1000, 440)
    _wait(app, lambda: len(queue_window.rows()) == 2 + len(QUEUED))
    refused_post = next(p for p in core.list_queue() if p.text.startswith(REFUSED))
    queue_window.select(refused_post.id)  # the network's own words, and Retry
    _save(queue_window, path)
    queue_window.close()


def _calendar(app, window, path: Path) -> None:
    """Posts → Calendar…: a week of posts on three accounts (LinkedIn on New York time), the
    published and refused ones of _queue among them, one post selected."""
    from datetime import UTC, date, datetime

    from ui.calendar import to_utc, week_start

    core = window.core
    core.update_account("Ana en LinkedIn", timezone="America/New_York")
    day = date.today() + timedelta(days=3)  # a week that is mostly still to come
    start = week_start(day)
    now = datetime.now(UTC)
    first = None
    for offset, minutes, account, text in CALENDAR_PLAN:
        at = to_utc(start + timedelta(days=offset), minutes)
        if at <= now:
            continue  # already past: the published and refused posts of _queue show there
        draft = core.new_draft(text=text)
        post = core.queue_post(draft.id, account, at)
        first = first or post
    calendar = window.publishing.show_calendar()
    calendar.resize(1200, 760)
    calendar.show_day(day)
    _wait(app, lambda: calendar.loads >= 2 and not calendar._loading
          and calendar.week.start == start)
    if first is not None:
        calendar.week.select_post(first.id)
    calendar.week.verticalScrollBar().setValue(int(calendar.week.y_of(7 * 60 + 30)) - 40)
    _save(calendar, path)
    calendar.close()


def _fill_week(app, window, path: Path) -> None:
    """Posts → Fill my week…: starred items of every role (own, competitor, third party)
    proposed for the accounts' free slots in the coming week, the first row selected."""
    core = window.core
    items = core.list_items(limit=100).items
    core.mark_items([i.id for i in items[:14]], starred=True)
    for account in core.list_accounts():
        core.update_account(account.id, timezone="Europe/Madrid")
    core.set_slots("Ana en LinkedIn", ["Tue 09:00", "Thu 09:00"])
    window.planning.fill_week_action.trigger()
    dialog = window.planning.fill_dialog
    dialog.resize(1100, 600)
    _wait(app, lambda: dialog.loaded and not dialog.busy and bool(dialog.placements))
    dialog.table.setCurrentItem(dialog.table.topLevelItem(0))
    _save(dialog, path)
    dialog.close()


def _analytics(app, window, path: Path) -> None:
    """Posts → Analytics…: eight weeks of posts published for real to a local Mastodon server
    (own, third-party and competitor items), their counts fetched from it, two outcomes
    logged, followers from the network; the charts tab."""
    from datetime import UTC, datetime

    from mastodonserver import MastodonServer

    core = window.core
    items = core.list_items(limit=100).items
    roles = {f.id: f.role.value for f in core.list_feeds()}
    by_role: dict[str, list] = {}
    for item in items:
        by_role.setdefault(roles.get(item.feed_id, "third-party"), []).append(item)
    pick = [r for r in ("third-party", "own", "competitor") if by_role.get(r)]
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    with MastodonServer() as server:
        token = server.add_token(username="ana")
        server.followers["ana"] = 1840
        masto = core.update_account("Ana en Mastodon", api_base=server.url,
                                    server_schedule=False)
        secrets = _Token(masto.id, token)
        posts = []
        for n in range(14):  # about two a week, going back eight weeks
            role = pick[n % len(pick)] if n % 4 else pick[0]
            item = by_role[role][n % len(by_role[role])]
            at = now - timedelta(days=56 - n * 4, hours=n % 3)
            draft = core.new_draft(item_id=item.id, text=f"{item.title}: lo comento en el blog.")
            core.queue_post(draft.id, "Ana en Mastodon", at)
            [done] = core.publish_due(at + timedelta(minutes=1), secrets=secrets,
                                      overdue="publish")
            posts.append(core.get_post(done.post_id))
        for n, post in enumerate(posts):
            server.set_counts(post.remote_id, favourites=4 + (n * 7) % 19, reblogs=n % 5,
                              replies=(n * 3) % 7)
        core.fetch_metrics([p.id for p in posts], secrets=secrets)
        core.fetch_followers("Ana en Mastodon", secrets=secrets)
    core.add_outcome(posts[-3].id, "meeting", note="Demo con Lucía (Ñandú Logística)")
    core.add_outcome(posts[-6].id, "lead", note="Pide presupuesto tras el hilo")
    shown = window.analytics.show_analytics()
    shown.resize(1100, 760)
    _wait(app, lambda: shown.loads >= 1 and not shown._loading)
    _save(shown, path)
    shown.close()


def _packs(app, window, path: Path) -> None:
    """Posts → Make a content pack… filled in by a marketer (two items, commentary per
    segment, networks, expiry, disclaimer); the pack written, subscribed back through
    File → Subscribe to content pack…, and the composer of one approved item (saved next to
    `path` as approved-composer.png)."""
    from ui.composer import open_composer
    from ui.sources import ALL_KEY

    core = window.core
    items = core.list_items(limit=100).items
    first, second = items[1], items[2]
    core.mark_items([second.id], starred=True)
    window.items.selectRow(window.item_model.row_of(first.id))
    dialog = window.packs.make_pack()
    dialog.resize(1000, 760)
    _wait(app, lambda: dialog.loaded)
    dialog.set_checked(second.id, True)
    dialog.title_edit.setText("Campaña de primavera: qué compartir")
    dialog.publisher_edit.setText("Marketing Iberia")
    dialog.set_commentary(second.id, [("", "Un buen resumen de la temporada.")])
    dialog.select_item(first.id)
    dialog.set_commentary(first.id, [
        ("", "Los datos de la campaña, sin adornos: merece la pena leerlo."),
        ("CFOs", "Para CFOs: el coste por lead baja un 18 % en tres meses."),
    ])
    dialog.network_checks["x"].setChecked(False)
    dialog.network_checks["webhook"].setChecked(False)
    dialog.disclaimer_edit.setText("Comunicación publicitaria de Empresa S.A.")
    dialog.hashtags_edit.setText("#primavera, #datos")
    dialog.utm_edit.setText("primavera-2024")
    template = next(t for t in core.list_templates() if t.name == "Para CFOs")
    dialog.set_template_checked(template.id, True)
    out = Path(tempfile.mkdtemp()) / "campaña-primavera.json"
    dialog.path_edit.setText(str(out))
    _save(dialog, path)
    done: list[int] = []
    dialog.exported.connect(lambda _p, n: done.append(n))
    dialog.export()
    _wait(app, lambda: bool(done))

    subscribe = window.packs.subscribe()
    subscribe.source_edit.setText(str(out))
    added: list[object] = []
    subscribe.added.connect(added.append)
    subscribe.start()
    _wait(app, lambda: bool(added))
    feed = added[0].feed
    _wait(app, lambda: window.source_model.index_for_key(("role", "approved")).isValid())
    window.sources.setCurrentIndex(window.source_model.index_for_key(("feed", feed.id)))
    _wait(app, lambda: window.item_model.rowCount() == 2 and not window.item_model.is_loading())
    approved = next(i for i in core.list_items(limit=200).items
                    if i.feed_id == feed.id and i.title == first.title)
    composer = open_composer(window, item_id=approved.id)
    composer.resize(*COMPOSER_SIZE)
    _wait(app, lambda: composer.draft is not None and composer.isEnabled())
    linkedin = next(t for t in composer.variant_tabs() if t.account.network.value == "linkedin")
    composer.tabs.setCurrentWidget(linkedin)
    _wait(app, lambda: composer.saver.idle())
    _save(composer, path.with_name("approved-composer.png"))
    composer.close()
    window.sources.setCurrentIndex(window.source_model.index_for_key(ALL_KEY))
    _wait(app, lambda: True)


def _watch(app, window, path: Path) -> None:
    """View → Watch lists… with two lists (an accent-free word, a phrase, a /regex/), and
    the main window showing one list's items marked ◉, with the Watch node's counts and the
    notification a refresh gives (saved next to `path` as watch-lists.png for the editor)."""
    from curator import ItemQuery
    from ui.sources import ALL_KEY

    core = window.core
    core.add_watch_list("Campaña", ["campana", "coste por lead", "/cifras?/"])
    core.add_watch_list("Japón", ["日本", "Tokio"])
    dialog = window.watch.show_editor()
    dialog.resize(760, 420)
    _wait(app, lambda: dialog.loaded and dialog.list_names() == ["Campaña", "Japón"])
    dialog.terms_edit.setPlainText("campana\ncoste por lead\n/cifras?/\n/(campaña/")
    dialog.save()  # the bad regex is named inline, nothing saved
    _wait(app, lambda: bool(dialog.error_text()))
    _save(dialog, path.with_name("watch-lists.png"))
    dialog.close()
    window.reload_sources()
    [campaign] = [w for w in core.list_watch_lists() if w.name == "Campaña"]
    _wait(app, lambda: window.source_model.index_for_key(("watch", campaign.id)).isValid())
    window.sources.setCurrentIndex(window.source_model.index_for_key(("watch", campaign.id)))
    expected = core.count_items(ItemQuery(watch_list_id=campaign.id))
    _wait(app, lambda: window.item_model.rowCount() == expected)
    notifier = window.publishing.notifier
    notifier.tray_available = lambda: False  # the in-window banner (no tray offscreen)
    window.watch.announce({"Campaña": 3, "Japón": 2})  # as after a refresh
    _save(window, path)
    notifier.banner.hide()
    window.sources.setCurrentIndex(window.source_model.index_for_key(ALL_KEY))
    _wait(app, lambda: True)


def _accounts(app, window, path: Path, list_path: Path) -> None:
    window.post_actions.accounts_action.trigger()
    dialog = window.post_actions.accounts_dialog
    _wait(app, lambda: dialog.isVisible() and dialog.loaded and dialog.states_loaded)
    dialog.resize(760, 300)
    _save(dialog, list_path)  # Ana en Mastodon: reconnect needed (its token was revoked)
    names = [a.name for a in dialog.accounts()]
    dialog.list.setCurrentRow(names.index("Ana en LinkedIn"))
    editor = dialog.edit_account()
    _wait(app, lambda: editor.isVisible() and editor.templates_loaded)
    _save(editor, path)
    editor.reject()
    dialog.close()


def _in_private_keyring(argv: list[str]) -> None:
    """Run this script again inside a throwaway D-Bus session and gnome-keyring (as
    scripts/test.sh does), so the account screenshots show real keyring states; never the
    desktop's keyring. Returns only when those tools are missing (states then read
    "keyring unavailable")."""
    import shutil
    import subprocess

    if os.environ.get("CURATOR_SCREENSHOT_KEYRING") or not (
        shutil.which("dbus-run-session") and shutil.which("gnome-keyring-daemon")
    ):
        return
    with tempfile.TemporaryDirectory(prefix="curator-shots-keyring.") as home:
        for sub in ("run", "data"):
            os.mkdir(os.path.join(home, sub), 0o700)
        env = {**os.environ, "CURATOR_SCREENSHOT_KEYRING": "1",
               "XDG_RUNTIME_DIR": os.path.join(home, "run"),
               "XDG_DATA_HOME": os.path.join(home, "data"),
               "KEYRING_PASS": os.urandom(16).hex()}
        env.pop("PYTHON_KEYRING_BACKEND", None)
        script = ('printf %s "$KEYRING_PASS" | gnome-keyring-daemon --unlock '
                  '--components=secrets >/dev/null || exit 1; unset KEYRING_PASS; '
                  'exec "$0" "$@"')
        rc = subprocess.call(["dbus-run-session", "--", "sh", "-c", script, sys.executable,
                              __file__, *argv], env=env)
    raise SystemExit(rc)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args(argv)
    _in_private_keyring(sys.argv[1:] if argv is None else argv)

    from feedserver import FeedServer
    from PySide6.QtCore import QLocale
    from PySide6.QtWidgets import QApplication

    from curator import Curator
    from ui import tasks
    from ui.i18n import install_translations
    from ui.mainwindow import MainWindow

    settings_dir = tempfile.TemporaryDirectory()
    _isolate_settings(settings_dir.name)
    app = QApplication([sys.argv[0]])
    app.setApplicationName("Curator")
    app.setOrganizationName("Curator")
    translators = install_translations(app, QLocale(QLocale.Language.English))  # noqa: F841
    app.setStyle("Fusion")  # the same look on every machine that runs this script
    _quiet_offscreen()
    _check_fonts(app)
    args.out.mkdir(parents=True, exist_ok=True)
    with FeedServer() as server, tempfile.TemporaryDirectory() as data, settings_dir:
        core = Curator(data)
        # Subscribed but not fetched yet: the window's own refresh fills it, as for a user.
        for name, folder, role in SHOWN:
            kind = "application/feed+json" if name.endswith(".json") else "application/xml"
            url = server.add(f"/feeds/{name}", (FEEDS / name).read_bytes(), content_type=kind)
            core.add_feed(url, folder=folder, role=role, fetch=False)
        _add_profiles(core)
        _add_tokens(core)
        # One feed that has gone away, to show how a failing feed looks.
        core.add_feed(
            server.status("/old-blog/feed.xml", 404, "Not found"), title="Old blog", fetch=False
        )

        window = MainWindow(core)
        window.resize(*SIZE)
        window.show()
        window.refresh()
        _wait(app, lambda: window.refresh_action.isEnabled() and window.item_model.rowCount() > 0)
        model = window.item_model
        rows = {model.item_at(r).title: r for r in range(model.rowCount())}
        window.items.selectRow(rows["Die Größe zählt"])  # so the list shows a read item too
        window.items.selectRow(rows[SHOWN_ITEM])
        _wait(
            app, lambda: window.reader.item is not None and window.reader.item.title == SHOWN_ITEM
        )
        _annotate_shown(app, window)  # the list marks the item with ✎
        item_id = window.reader.item.id
        _save(window, args.out / "main-window.png")
        _composer(app, window, item_id, args.out / "composer.png")
        _drafts(app, window, args.out / "drafts.png")
        _queue(app, window, args.out / "queue.png")
        _fill_week(app, window, args.out / "fill-week.png")
        _calendar(app, window, args.out / "calendar.png")
        _analytics(app, window, args.out / "analytics.png")
        _packs(app, window, args.out / "packs.png")
        _watch(app, window, args.out / "watch.png")
        _accounts(app, window, args.out / "accounts.png", args.out / "accounts-list.png")
        window.activateWindow()
        app.setPalette(dark_palette())
        window.reader.show_item(window.reader.item)  # the HTML picks up the new link colour
        _wait(app, lambda: True)
        _save(window, args.out / "main-window-dark.png")
        window.close()
        tasks.wait_for_done()
        core.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
