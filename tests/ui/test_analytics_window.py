"""Posts → Analytics…: charts from the core's stats, the content mix and its nudge, which
sources work, each post's counts and outcomes, values, followers, what-if and Export CSV.

Posts are published for real to the local webhook receiver (tests/webhookserver.py), with the
webhook's secret in an in-memory keyring; counts are stored through the core's fetch_metrics
(a connector standing in for a network that counts, or the webhook's own, which cannot).
"""

import csv
from datetime import UTC, datetime, timedelta

import pytest
from webhookserver import WebhookServer

from curator import Curator

if not hasattr(Curator, "stats"):  # the analytics core (issue 7) is not in this tree yet
    pytest.skip("needs the analytics core (Curator.stats, fetch_metrics, add_outcome…)",
                allow_module_level=True)

from curator.connectors.base import PostMetrics  # noqa: E402
from curator.types import PostState  # noqa: E402
from ui.analytics import MixNudge, format_number, format_share  # noqa: E402
from ui.composer import open_composer  # noqa: E402

SECRET = "clave-de-firma-ñandú"
HOOK = "Equipo de difusión"
OWN_TEXT = "Nuestra nueva versión ya está aquí: más rápida y con menos sorpresas."
OTHER_TEXT = "¿Quién paga la campaña? Un análisis ajeno que merece leerse despacio."
WEBHOOK_SAYS = "A webhook cannot report engagement."


class Counting:
    """A connector for a network that counts: its answers are stored by the core."""

    def __init__(self, metrics: PostMetrics, followers: int | None = None):
        self._metrics = metrics
        self._followers = followers

    def metrics(self, remote_id, url=None):
        return self._metrics

    def followers(self):
        return self._followers


@pytest.fixture
def hook():
    server = WebhookServer(secret=SECRET).start()
    yield server
    server.stop()


@pytest.fixture
def published(core, hook, memory_keyring):
    """Two posts published to the webhook: one about an own-company item (counted: 3 likes,
    1 repost, 2 replies), one about a third-party item (no counts yet)."""
    account = core.add_account("webhook", name=HOOK, api_base=hook.url, secret=SECRET)
    feeds = core.list_feeds()
    own_feed, other_feed = feeds[0], feeds[1]
    core.update_feed(own_feed.id, role="own")
    items = core.list_items(limit=100).items
    own_item = next(i for i in items if i.feed_id == own_feed.id)
    other_item = next(i for i in items if i.feed_id == other_feed.id)
    now = datetime.now(UTC)
    posts = {}
    for key, item, text in (("own", own_item, OWN_TEXT), ("other", other_item, OTHER_TEXT)):
        draft = core.new_draft(item_id=item.id, text=text)
        posts[key] = core.queue_post(draft.id, HOOK, now - timedelta(minutes=5))
    results = core.publish_due()
    assert all(r.state is PostState.PUBLISHED for r in results), results
    assert len(hook.posts) == 2  # really sent
    core.fetch_metrics([posts["own"].id], _connector_for=lambda _a: Counting(
        PostMetrics(likes=3, reposts=1, replies=2)))
    return {"account": account, "own": core.get_post(posts["own"].id),
            "other": core.get_post(posts["other"].id), "own_item": own_item,
            "other_item": other_item, "own_feed": own_feed, "other_feed": other_feed}


def open_analytics(qtbot, window):
    shown = window.analytics.show_analytics()
    qtbot.addWidget(shown)
    qtbot.waitUntil(lambda: shown.loads >= 1, timeout=15_000)
    return shown


def reloaded(qtbot, shown, action):
    before = shown.loads
    action()
    qtbot.waitUntil(lambda: shown.loads > before, timeout=15_000)


def cell(shown, post_id, column):
    row = shown.row_of(post_id)
    assert row is not None
    return shown.posts_table.item(row, column)


def bar_values(bar_set):
    return [bar_set.at(i) for i in range(bar_set.count())]


# ---- charts ------------------------------------------------------------------------------


def test_the_charts_hold_the_stats(qtbot, window, core, published):
    shown = open_analytics(qtbot, window)
    weeks = shown.data.stats.weeks
    assert len(weeks) >= 12  # 12 weeks back to this one, no gaps
    # The bars are the core's numbers, week by week...
    assert bar_values(shown.posts_set) == [float(w.posts) for w in weeks]
    points = shown.engagement_series.points()
    assert [p.y() for p in points] == [float(w.engagement) for w in weeks]
    assert bar_values(shown.value_set) == [w.value for w in weeks]
    assert shown.activity_weeks.count() == len(weeks)
    # ...and the numbers are the hand-computed ones: this week, 2 posts, 3 + 1 + 2 = 6
    # engagements worth 3×1 + 1×3 + 2×5 = 16.
    assert bar_values(shown.posts_set)[-1] == 2
    assert points[-1].y() == 6
    assert bar_values(shown.value_set)[-1] == 16
    # Mix over time: this week one own-company post and one third-party post.
    assert bar_values(shown.mix_sets["own"])[-1] == 1
    assert bar_values(shown.mix_sets["third-party"])[-1] == 1
    assert sum(bar_values(shown.mix_sets["competitor"])) == 0
    assert sum(sum(bar_values(s)) for s in shown.mix_sets.values()) == 2
    assert not shown.grab().isNull()

    reloaded(qtbot, shown, lambda: shown.period.setCurrentIndex(0))  # last 4 weeks
    assert shown.posts_set.count() == len(shown.data.stats.weeks) < len(weeks)
    assert sum(bar_values(shown.posts_set)) == 2


def test_sources_are_ranked_by_value(qtbot, window, core, published):
    shown = open_analytics(qtbot, window)
    table = shown.sources_table
    assert table.rowCount() == 2
    titles = [table.item(r, 0).text() for r in range(2)]
    assert titles[0] == published["own_feed"].title  # worth 16; the other 0
    assert table.item(0, 1).text() == "Own company"
    assert table.item(0, 4).text() == format_number(16)
    table.sortItems(4)  # ascending by value: numbers, not text
    assert table.item(0, 0).text() == published["other_feed"].title


# ---- posts, counts and outcomes ----------------------------------------------------------


def test_unavailable_counts_say_so(qtbot, window, core, published):
    shown = open_analytics(qtbot, window)
    own, other = published["own"].id, published["other"].id
    assert [cell(shown, own, c).text() for c in (3, 4, 5)] == ["3", "1", "2"]
    assert cell(shown, other, 3).text() == "—"  # not counted yet
    # Refresh counts for the selected post: the webhook itself answers it cannot count.
    assert shown.select_post(other)
    reloaded(qtbot, shown, shown.refresh_button.click)
    qtbot.waitUntil(lambda: cell(shown, other, 3).text() == "not available")
    likes = cell(shown, other, 3)
    assert likes.toolTip() == WEBHOOK_SAYS
    assert cell(shown, other, 5).text() == "not available"
    assert cell(shown, other, shown.P_VALUE).text() == "0"
    # The other post kept its counts: only the selected one was asked for.
    assert cell(shown, own, 3).text() == "3"
    assert len(core.metrics_history(own)) == 1


def test_logging_an_outcome_adds_its_value(qtbot, window, core, published):
    shown = open_analytics(qtbot, window)
    own = published["own"].id
    assert cell(shown, own, shown.P_VALUE).text() == format_number(16)
    assert shown.select_post(own)
    dialog = shown.log_outcome()
    kinds = [dialog.kind.itemText(i) for i in range(dialog.kind.count())]
    assert kinds == ["Reply from a prospect", "Meeting booked", "Lead", "Referral",
                     "Other outcome"]
    dialog.kind.setCurrentIndex(dialog.kind.findData("lead"))
    dialog.note.setText("Lucía, de Ñandú Logística, pide una demo")
    reloaded(qtbot, shown, dialog.log_button.click)
    qtbot.waitUntil(lambda: cell(shown, own, shown.P_VALUE).text() == format_number(116))
    assert cell(shown, own, shown.P_OUTCOMES).text() == "1"
    [outcome] = core.list_outcomes(own)
    assert (outcome.kind, outcome.note, outcome.value) == (
        "lead", "Lucía, de Ñandú Logística, pide una demo", None)

    # A value of its own counts instead of the kind's.
    dialog = shown.log_outcome()
    dialog.kind.setCurrentIndex(dialog.kind.findData("meeting"))
    dialog.own_value.setChecked(True)
    dialog.value.setValue(75)
    reloaded(qtbot, shown, dialog.log_button.click)
    qtbot.waitUntil(lambda: cell(shown, own, shown.P_VALUE).text() == format_number(191))

    # Remove the lead: back to 16 + 75.
    shown.select_post(own)
    qtbot.waitUntil(lambda: shown.outcome_list.count() == 2)
    shown.outcome_list.setCurrentRow(0)
    assert "Lead" in shown.outcome_list.currentItem().text()
    reloaded(qtbot, shown, shown.remove_outcome_button.click)
    qtbot.waitUntil(lambda: cell(shown, own, shown.P_VALUE).text() == format_number(91))
    assert [o.kind for o in core.list_outcomes(own)] == ["meeting"]


def test_the_queue_logs_outcomes_and_shows_counts(qtbot, window, core, published):
    window.publishing.scheduler.stop()
    queue_window = window.publishing.show_queue()
    qtbot.addWidget(queue_window)
    own = published["own"].id
    qtbot.waitUntil(lambda: queue_window.select(own))
    assert queue_window.log_outcome_button.isEnabled()
    qtbot.waitUntil(lambda: "Likes: 3" in queue_window.detail.toPlainText())
    assert "Replies: 2" in queue_window.detail.toPlainText()
    dialog = queue_window.log_outcome()
    dialog.kind.setCurrentIndex(dialog.kind.findData("referral"))
    dialog.note.setText("Nos recomendó a su socia")
    dialog.log_button.click()
    qtbot.waitUntil(lambda: "Referral — Nos recomendó a su socia"
                    in queue_window.detail.toPlainText())
    assert "Value: " + format_number(56) in queue_window.detail.toPlainText()  # 16 + 40


# ---- mix, values, followers, what-if ----------------------------------------------------


def test_the_mix_warns_and_its_target_is_edited(qtbot, window, core, published):
    # The coming week: one more own-company post, nothing else: 100 % own, target 20 %.
    draft = core.new_draft(item_id=published["own_item"].id, text=OWN_TEXT)
    core.queue_post(draft.id, HOOK, datetime.now(UTC) + timedelta(days=2))
    window.publishing.scheduler.stop()
    # "The last 30 days" end now, exclusive, to the second: the posts published this very
    # second count from the next.
    qtbot.wait(1100)
    shown = open_analytics(qtbot, window)
    assert not shown.mix_warning.isHidden()  # on its tab, behind the charts
    assert "Too self-promotional" in shown.mix_warning.text()
    table = shown.mix_table
    assert table.item(0, 0).text() == format_share(0.5)  # last 30 days: 1 of 2 own
    assert table.item(0, 1).text() == format_share(1.0)
    assert table.item(0, 2).text() == format_share(0.2)

    shown.target_spins["own"].setValue(30)
    assert not shown.save_target_button.isEnabled()  # 110 %: not until it adds up
    shown.target_spins["third-party"].setValue(50)
    assert shown.save_target_button.isEnabled()
    reloaded(qtbot, shown, shown.save_target_button.click)
    assert core.mix_target()["own"] == pytest.approx(0.3)
    assert shown.mix_table.item(0, 2).text() == format_share(0.3)


def test_values_and_followers_are_saved(qtbot, window, core, published):
    shown = open_analytics(qtbot, window)
    assert shown.value_spins["lead"].value() == 100
    shown.value_spins["like"].setValue(2)
    reloaded(qtbot, shown, shown.save_values_button.click)
    assert core.values()["like"] == 2
    own = published["own"].id
    assert cell(shown, own, shown.P_VALUE).text() == format_number(19)  # 3×2 + 3 + 10

    account_id = published["account"].id
    reloaded(qtbot, shown, lambda: shown.set_followers(account_id, 1234))
    assert core.followers(account_id) == 1234
    assert shown.followers_table.item(0, 1).text() == "1234"
    shown.followers_table.selectRow(0)
    shown.fetch_followers()  # a webhook has no followers to tell
    qtbot.waitUntil(lambda: "type it in" in shown.status.error_text())
    assert core.followers(account_id) == 1234


def test_what_if_works_out_the_team_reach(qtbot, window, core, published):
    shown = open_analytics(qtbot, window)
    shown.people.setValue(10)
    shown.contacts.setValue(500)
    shown.networks.setValue(2)
    shown.click_rate.setValue(2.0)
    shown.engagement_rate.setValue(5.0)
    text = shown.whatif_result.text()
    # 10 × 500 × 2 = 10 000 reached; 2 % = 200 clicks; 5 % = 500 engagements.
    assert format_number(10_000) in text and "200 clicks" in text
    assert "500 engagements" in text
    shown.networks.setValue(3)  # live: no button
    assert format_number(15_000) in shown.whatif_result.text()


def test_export_writes_the_file(qtbot, window, core, published, tmp_path):
    shown = open_analytics(qtbot, window)
    path = tmp_path / "publicaciones ñ.csv"
    shown.export_to(str(path))
    qtbot.waitUntil(lambda: shown.last_message.startswith("Saved 2 posts"))
    assert str(path) in shown.last_message
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert len(rows) == 3  # header and two posts
    assert any(OWN_TEXT in cell for row in rows for cell in row)


# ---- the nudge ---------------------------------------------------------------------------


def test_the_composer_nudges_when_the_week_is_too_promotional(qtbot, window, core, published):
    window.publishing.scheduler.stop()
    draft = core.new_draft(item_id=published["own_item"].id, text=OWN_TEXT)
    core.queue_post(draft.id, HOOK, datetime.now(UTC) + timedelta(days=1))
    assert core.content_mix().too_promotional

    composer = open_composer(window, item_id=published["own_item"].id)
    qtbot.waitUntil(lambda: composer.draft is not None and composer.mix_nudge.checked)
    assert composer.mix_nudge.isVisibleTo(composer)
    assert "your own company’s content" in composer.mix_nudge.text()
    assert composer.main_edit.isEnabled()  # a hint: writing goes on
    composer.close()

    # About a third-party item: nothing to say.
    other = open_composer(window, item_id=published["other_item"].id)
    qtbot.waitUntil(lambda: other.draft is not None and other.mix_nudge.checked)
    assert not other.mix_nudge.isVisibleTo(other)
    other.close()


def test_no_nudge_with_a_healthy_mix(qtbot, window, core, published):
    assert not core.content_mix().too_promotional  # nothing queued for the coming week
    nudge = MixNudge()
    qtbot.addWidget(nudge)
    nudge.show()
    nudge.check(core, own=True)
    qtbot.waitUntil(lambda: nudge.checked)
    assert nudge.isHidden()


def test_fill_my_week_nudges_too(qtbot, window, core, published):
    from curator.planning import Placement
    from curator.types import Role

    window.publishing.scheduler.stop()
    draft = core.new_draft(item_id=published["own_item"].id, text=OWN_TEXT)
    core.queue_post(draft.id, HOOK, datetime.now(UTC) + timedelta(days=1))
    dialog = window.planning.show_fill_week()
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.loaded and not dialog.busy, timeout=15_000)
    item = published["own_item"]
    # A proposal with one more own-company post, in a week already too promotional.
    dialog.set_placements([Placement(
        published["account"].id, HOOK, datetime.now(UTC) + timedelta(days=3), item.id,
        item.title, item.link, published["own_feed"].title, published["own_feed"].id,
        Role.OWN, OWN_TEXT)])
    qtbot.waitUntil(lambda: dialog.mix_nudge.checked)
    assert dialog.mix_nudge.isVisibleTo(dialog)
    assert dialog.queue_button.isEnabled()  # a hint: queuing is still allowed
    dialog.set_row_checked(0, False)  # left out: nothing own to warn about
    assert dialog.mix_nudge.checked and dialog.mix_nudge.isHidden()
