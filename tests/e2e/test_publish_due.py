"""`curator publish-due` as real processes against a local webhook receiver, with the real
OS keyring holding the webhook's signing secret (scripts/test.sh provides a private one).

Exactly once is counted on the server: five processes started at once on 50 due posts
send each post once; a process killed while its request is in flight is recovered by the
next run without a second post."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from webhookserver import WebhookServer

from curator import Curator

SECRET = "secreto-de-la-cuenta"
AT = datetime(2024, 1, 8, 9, 0, tzinfo=UTC)  # in the past: due now

pytestmark = pytest.mark.skipif(
    not os.environ.get("CURATOR_TEST_KEYRING"),
    reason="needs the private test keyring that scripts/test.sh starts")


@pytest.fixture
def server() -> Iterator[WebhookServer]:
    s = WebhookServer(secret=SECRET).start()
    try:
        yield s
    finally:
        s.stop()


def _env() -> dict[str, str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    env.pop("CURATOR_DATA_DIR", None)
    return env


def curator(data: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "curator", "--data-dir", str(data), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
        env=_env())


def run(data: Path, *args: str) -> Any:
    proc = curator(data, *args, "--json")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    return json.loads(out)


def setup(data: Path, server: WebhookServer, posts: int) -> list[str]:
    """An account with its secret in the keyring, and `posts` queued posts; their keys."""
    with Curator(data) as app:
        app.add_account("webhook", name="Canal de ventas", api_base=server.url, secret=SECRET)
        keys = []
        for n in range(posts):
            draft = app.new_draft(text=f"Publicación número {n}: lo que leí esta semana")
            keys.append(app.queue_post(draft.id, "Canal de ventas", AT).idempotency_key)
    return keys


def test_five_processes_publish_fifty_posts_exactly_once(tmp_path: Path,
                                                         server: WebhookServer) -> None:
    data = tmp_path / "data"
    keys = setup(data, server, 50)
    procs = [curator(data, "publish-due", "--json") for _ in range(5)]
    results, captured = [], []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert "Traceback" not in err
        results.append(json.loads(out))
        captured += [out, err]
    assert sum(r["published"] for r in results) == 50
    assert all(r["failed"] == r["retrying"] == r["needs_attention"] == 0 for r in results)
    # Counted on the server: every post arrived once, signed, and nothing else arrived.
    assert len(server.deliveries) == 50
    assert all(d.signature_ok for d in server.deliveries)
    assert sorted(d.key or "" for d in server.deliveries) == sorted(keys)
    assert len(server.posts) == 50
    history = run(data, "history")
    assert len(history) == 50
    assert {p["state"] for p in history} == {"published"}
    assert len({p["remote_id"] for p in history}) == 50
    assert all(p["remote_url"] and p["account"] == "Canal de ventas" for p in history)
    assert run(data, "queue", "list") == []
    # The signing secret stayed in the keyring: not in the database, its WAL, or any output.
    files = [f for f in data.rglob("*") if f.is_file()]
    assert files
    for f in files:
        assert SECRET.encode() not in f.read_bytes(), f.name
    assert all(SECRET not in text for text in captured)


def test_a_process_killed_mid_publish_is_recovered_without_a_duplicate(
        tmp_path: Path, server: WebhookServer) -> None:
    data = tmp_path / "data"
    [key] = setup(data, server, 1)
    server.fail("hold")  # the receiver takes the post, then keeps the answer back
    proc = curator(data, "publish-due")
    try:
        assert server.received.wait(30), "the post never reached the server"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
    server.release()
    [post] = run(data, "queue", "list")
    assert post["state"] == "publishing"  # the dead process left its claim
    result = run(data, "publish-due")
    assert result["published"] == 1
    assert result["posts"][0]["recovered"] is False  # resent by the normal loop, same key
    [published] = run(data, "history")
    assert published["remote_id"] == "wh-1"
    assert published["attempts"] == 2
    assert server.count(key) == 2  # sent again with the same Idempotency-Key...
    assert len(server.posts) == 1  # ...so the receiver has it once
    assert run(data, "publish-due")["published"] == 0


def test_queue_commands(tmp_path: Path, server: WebhookServer) -> None:
    data = tmp_path / "data"
    setup(data, server, 0)
    with Curator(data) as app:
        draft = app.new_draft(text="Hoy comparto el informe de la competencia")
    added = run(data, "queue", "add", str(draft.id), "--account", "Canal de ventas",
                "--at", "2024-01-08T10:00+01:00")
    assert added["scheduled_at"] == "2024-01-08T09:00:00Z"
    assert added["state"] == "scheduled" and added["account"] == "Canal de ventas"
    [listed] = run(data, "queue", "list")
    assert listed["id"] == added["id"]
    assert run(data, "queue", "cancel", str(added["id"]))["state"] == "cancelled"
    assert run(data, "publish-due")["published"] == 0
    assert run(data, "queue", "retry", str(added["id"]))["state"] == "scheduled"
    assert run(data, "publish-due", "--now", "2099-01-01T00:00Z")["published"] == 1
    [done] = run(data, "history")
    assert done["id"] == added["id"] and done["remote_id"] == "wh-1"
    bad = curator(data, "queue", "add", str(draft.id), "--account", "Canal de ventas",
                  "--at", "mañana")
    _, err = bad.communicate(timeout=60)
    assert bad.returncode == 1
    assert err.strip().splitlines() == [
        "curator: --at must be an ISO 8601 time such as 2024-06-03T09:00 (local time) or "
        "2024-06-03T07:00Z, not 'mañana'."]
