"""`curator stats`, `export-csv`, `metrics`, `outcomes`, `values`, `followers` and `mix` run
as real processes: on a database prepared in-process (posts published through a stand-in
connector), and end to end against the local Mastodon server with the real OS keyring
(scripts/test.sh provides a private one)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from mastodonserver import MastodonServer

from curator import Curator
from curator.connectors.base import PostMetrics, Published

T = datetime(2024, 6, 3, 9, 0, tzinfo=UTC)


def run(data: Path, *args: str, ok: bool = True, stdin: str | None = None
        ) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    env.pop("CURATOR_DATA_DIR", None)
    proc = subprocess.run([sys.executable, "-m", "curator", "--data-dir", str(data), *args],
                          capture_output=True, text=True, encoding="utf-8", timeout=120,
                          env=env, input=stdin)
    assert "Traceback" not in proc.stderr
    if ok:
        assert proc.returncode == 0, proc.stderr
    return proc


def run_json(data: Path, *args: str) -> Any:
    return json.loads(run(data, *args, "--json").stdout)


def fails(data: Path, *args: str) -> str:
    proc = run(data, *args, ok=False)
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


class Network:
    idempotent = True

    def publish(self, post: Any) -> Published:
        return Published(f"r{post.post_id}", f"https://red.example/{post.post_id}")

    def find_published(self, post: Any) -> None:
        return None

    def metrics(self, remote_id: str, url: str | None = None) -> PostMetrics:
        return {"r1": PostMetrics(likes=3, reposts=1, replies=0),
                "r2": PostMetrics.not_available("No disponible para esta cuenta.")}[remote_id]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """Two posts published a week ago by "Lucía", with their counts fetched."""
    folder = tmp_path / "datos"
    net = Network()
    with Curator(folder, now=lambda: T) as c:
        c.add_account("webhook", name="Lucía", api_base="http://127.0.0.1:9/hook")
        for text in ("=1+1 ¿fórmula?", "Campaña de otoño"):
            draft = c.new_draft(text=text)
            c.queue_post(draft.id, "Lucía", T)
        c.publisher.publish_due(T, c.curation.get_account, lambda a: net)
        c.fetch_metrics([1, 2], _connector_for=lambda a: net)
    return folder


def test_stats_outcomes_values_and_csv(data: Path, tmp_path: Path) -> None:
    added = run_json(data, "outcomes", "add", "1", "lead", "--note", "Pidió una demo")
    assert (added["post_id"], added["kind"], added["value"]) == (1, "lead", None)
    assert [o["note"] for o in run_json(data, "outcomes", "list")] == ["Pidió una demo"]
    stats = run_json(data, "stats")
    # 3 likes x 1 + 1 repost x 3 + 1 lead x 100 = 106; the second post is unavailable
    assert stats["total"]["value"] == 106
    assert (stats["total"]["posts"], stats["total"]["unavailable"]) == (2, 1)
    assert stats["weeks"][0]["week_start"] == "2024-06-03"
    assert stats["per_account"]["Lucía"]["likes"] == 3
    assert set(stats["content_mix"]) >= {"last_30_days", "coming_week", "target",
                                         "too_promotional"}
    text = run(data, "stats").stdout
    assert "All posts" in text and "1 not available" in text and "Content mix" in text

    assert run_json(data, "values", "set", "lead", "150")["lead"] == 150
    assert run_json(data, "stats")["total"]["value"] == 156
    assert run_json(data, "values", "set", "lead", "default")["lead"] == 100
    assert run_json(data, "values", "list")["like"] == 1
    assert "Unknown kind 'abrazo'" in fails(data, "values", "set", "abrazo", "3")
    assert "not a number" in fails(data, "values", "set", "like", "mucho")
    assert "Unknown outcome 'cena'" in fails(data, "outcomes", "add", "1", "cena")
    assert "no post with id 99" in fails(data, "outcomes", "add", "99", "lead")

    out = tmp_path / "informe.csv"
    assert "Wrote 2 post(s)" in run(data, "export-csv", str(out)).stdout
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:3] == ["id", "account", "network"] and len(rows) == 3
    assert rows[1][5] == "'=1+1 ¿fórmula?"  # never a formula in a spreadsheet
    assert rows[2][5] == "Campaña de otoño" and rows[2][9] == ""  # unavailable, not 0

    history = run_json(data, "metrics", "history", "1")
    assert [m["likes"] for m in history] == [3]
    assert "not available: No disponible" in run(data, "metrics", "history", "2").stdout


def test_followers_and_mix(data: Path) -> None:
    assert run_json(data, "followers", "set", "Lucía", "850") == {"account": "Lucía",
                                                                 "followers": 850}
    assert run_json(data, "followers", "list") == [
        {"account": "Lucía", "network": "webhook", "followers": 850}]
    assert "whole number" in fails(data, "followers", "set", "Lucía", "-4")
    target = run_json(data, "mix", "target", "own=30%", "third-party=0.5", "competitor=0.2")
    assert target == {"own": 0.3, "third-party": 0.5, "competitor": 0.2, "approved": 0.0}
    assert "add up to 80%" in fails(data, "mix", "target", "own=0.3", "third-party=0.5")
    assert "KEY=SHARE" in fails(data, "mix", "target", "propio")
    assert run_json(data, "mix", "show")["target"]["own"] == 0.3
    assert run_json(data, "mix", "target", "default")["own"] == 0.2


# ---- end to end: Mastodon on loopback, the real keyring ------------------------------------


@pytest.fixture
def mastodon() -> Iterator[MastodonServer]:
    server = MastodonServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.skipif(not os.environ.get("CURATOR_TEST_KEYRING"),
                    reason="needs the private test keyring that scripts/test.sh starts")
def test_metrics_refresh_against_a_local_mastodon_server(
        tmp_path: Path, mastodon: MastodonServer) -> None:
    data = tmp_path / "mastodon"
    token = mastodon.add_token(username="lucia")
    mastodon.followers["lucia"] = 42
    run(data, "accounts", "add", "mastodon", "--name", "Lucía", "--instance", mastodon.url,
        "--secret-stdin", stdin=token + "\n")
    draft = run_json(data, "drafts", "new", "--text", "Una lectura sobre energía solar")
    past = (datetime.now(UTC) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    post = run_json(data, "queue", "add", str(draft["id"]), "--account", "Lucía", "--at", past)
    published = run_json(data, "publish-due", "--overdue", "publish")
    assert published["published"] == 1
    remote_id = published["posts"][0]["remote_id"]
    mastodon.set_counts(remote_id, favourites=7, reblogs=2, replies=3)
    [m] = run_json(data, "metrics", "refresh", "--post", str(post["id"]))
    assert (m["likes"], m["reposts"], m["replies"], m["engagement"]) == (7, 2, 3, 12)
    assert run_json(data, "metrics", "refresh") == []  # just fetched: nothing due
    # The cron/systemd publish-due keeps counts fresh: a day later the 24 h point is due.
    mastodon.set_counts(remote_id, favourites=9, reblogs=2, replies=3)
    tomorrow = (datetime.now(UTC) + timedelta(hours=25)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert run_json(data, "publish-due", "--now", tomorrow, "--no-metrics")["metrics_fetched"] == 0
    assert run_json(data, "publish-due", "--now", tomorrow)["metrics_fetched"] == 1
    assert [h["likes"] for h in run_json(data, "metrics", "history", str(post["id"]))] == [7, 9]
    assert run_json(data, "followers", "fetch", "Lucía")["followers"] == 42
    stats = run_json(data, "stats")
    assert stats["total"]["value"] == 9 * 1 + 2 * 3 + 3 * 5  # 30: the latest counts
    for proc_out in (json.dumps(stats), (data / "curator.db").read_bytes().decode("latin-1")):
        assert token not in proc_out
