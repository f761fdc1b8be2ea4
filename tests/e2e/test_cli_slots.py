"""`curator slots`, the new `queue` commands, the overdue hold of `publish-due`, `settings`
and `schedule install-timer` as real subprocesses; and the app's in-process publisher racing
a `curator publish-due` process without a double post (that one needs the real keyring:
scripts/test.sh)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from test_cli_drafts import CLI
from webhookserver import WebhookServer

from curator import Curator
from curator.types import PostState

MADRID_SLOTS = ["Tue 09:00", "Thu 09:00", "Mon-Fri 17:30"]


@pytest.fixture
def cli(tmp_path: Path) -> CLI:
    return CLI(tmp_path / "datos")


def add_account(cli: CLI, name: str = "Ventas Madrid", *extra: str) -> dict[str, Any]:
    made: dict[str, Any] = cli.json("accounts", "add", "webhook", "--name", name,
                                    "--api-base", "http://127.0.0.1:9/hook", *extra)
    return made


def new_draft(cli: CLI, text: str = "Lo que leí hoy sobre la campaña de otoño") -> str:
    return str(cli.json("drafts", "new", "--text", text)["id"])


def test_slots_set_and_list(cli: CLI) -> None:
    add_account(cli, "Ventas Madrid", "--timezone", "Europe/Madrid")
    add_account(cli, "Equipo NY")
    listed = cli.json("slots", "list")
    assert [a["account"] for a in listed] == ["Equipo NY", "Ventas Madrid"]
    assert all(a["default"] and len(a["slots"]) == 10 for a in listed)
    mine = cli.json("slots", "set", "Ventas Madrid", *MADRID_SLOTS)
    assert [s["label"] for s in mine["slots"]] == [
        "Mon 17:30", "Tue 09:00", "Tue 17:30", "Wed 17:30", "Thu 09:00", "Thu 17:30",
        "Fri 17:30"]
    assert (mine["timezone"], mine["default"]) == ("Europe/Madrid", False)
    assert mine["next_free"].endswith("Z")
    ny = cli.json("slots", "set", "Equipo NY", "daily 08:00", "--timezone", "America/New_York")
    assert ny["timezone"] == "America/New_York" and len(ny["slots"]) == 7
    [only] = cli.json("slots", "list", "Equipo NY")
    assert only == ny
    text = cli.run("slots", "list", "Ventas Madrid").stdout
    assert "Ventas Madrid (Europe/Madrid): Mon 17:30, Tue 09:00" in text
    assert "next free slot:" in text
    assert cli.json("slots", "set", "Equipo NY", "--defaults")["default"] is True
    # Errors: one sentence, nothing changed.
    assert "not a day of the week" in cli.fails("slots", "set", "Ventas Madrid", "Xyz 09:00")
    assert "not a time zone" in cli.fails("slots", "set", "Ventas Madrid", "Tue 10:00",
                                          "--tz", "Europa/Madrid")
    assert cli.json("slots", "list", "Ventas Madrid")[0]["slots"] == mine["slots"]
    assert "Give the slots" in cli.fails("slots", "set", "Ventas Madrid")
    assert "no account" in cli.fails("slots", "list", "Nadie").lower()


def test_queue_add_next_slot_several_accounts_and_the_queue_commands(cli: CLI) -> None:
    add_account(cli, "Ventas Madrid", "--timezone", "Europe/Madrid")
    add_account(cli, "Equipo NY", "--timezone", "America/New_York")
    cli.run("slots", "set", "Ventas Madrid", "daily 09:00")
    cli.run("slots", "set", "Equipo NY", "daily 17:30")
    draft = new_draft(cli)
    first = cli.json("queue", "add", draft, "--account", "Ventas Madrid", "--next-slot")
    assert isinstance(first, dict) and first["state"] == "scheduled"
    when = datetime.fromisoformat(first["scheduled_at"])
    assert when > datetime.now(UTC)
    assert when.astimezone(ZoneInfoOf("Europe/Madrid")).strftime("%H:%M") == "09:00"
    both = cli.json("queue", "add", draft, "--account", "Ventas Madrid", "--account",
                    "Equipo NY", "--next-slot")
    assert [p["account"] for p in both] == ["Ventas Madrid", "Equipo NY"]
    assert datetime.fromisoformat(both[0]["scheduled_at"]) == when + timedelta(days=1)
    staggered = cli.json("queue", "add", draft, "--account", "Ventas Madrid", "--account",
                         "Equipo NY", "--at", "2031-03-03T10:00Z", "--stagger", "30")
    assert [p["scheduled_at"] for p in staggered] == ["2031-03-03T10:00:00Z",
                                                      "2031-03-03T10:30:00Z"]
    said = cli.run("queue", "add", draft, "--account", "Ventas Madrid", "--next-slot").stdout
    if when.astimezone().utcoffset() != when.astimezone(ZoneInfoOf("Europe/Madrid")).utcoffset():
        assert "09:00 Europe/Madrid)." in said  # the account's own time where it differs
    refused = cli.run("queue", "add", draft, "--account", "Ventas Madrid", ok=False)
    assert "one of the arguments --at --next-slot is required" in refused.stderr

    queue = cli.json("queue", "list", "--account", "Ventas Madrid")
    ids = [p["id"] for p in queue]
    times = [p["scheduled_at"] for p in queue]
    assert len(ids) == 4
    nxt = cli.json("queue", "next", str(ids[2]))
    assert nxt["scheduled_at"] == times[0]
    after = cli.json("queue", "list", "--account", "Ventas Madrid")
    assert [p["id"] for p in after] == [ids[2], ids[0], ids[1], ids[3]]
    assert [p["scheduled_at"] for p in after] == times
    shuffled = cli.json("queue", "shuffle", "Ventas Madrid")
    assert sorted(p["scheduled_at"] for p in shuffled) == sorted(times)
    moved = cli.json("queue", "move", str(ids[0]), "--at", "2032-01-05T09:00+01:00")
    assert moved["scheduled_at"] == "2032-01-05T08:00:00Z"
    paused = cli.json("queue", "pause", "Ventas Madrid")
    assert paused["paused"] is True
    assert "Paused Ventas Madrid" in cli.run("queue", "pause", "Ventas Madrid").stdout
    assert cli.json("queue", "resume", "Ventas Madrid")["paused"] is False
    assert cli.json("accounts", "list")[1]["paused"] is False
    assert "invalid choice" in cli.run("queue", "resolve", str(ids[0]), "luego",
                                       ok=False).stderr


def test_publish_due_holds_a_missed_week_and_resolve_decides(cli: CLI) -> None:
    add_account(cli, "Ventas Madrid", "--timezone", "Europe/Madrid")
    draft = new_draft(cli)
    ids = [cli.json("queue", "add", draft, "--account", "Ventas Madrid", "--at",
                    f"2031-03-0{day}T08:00Z")["id"] for day in (3, 4, 5)]
    cli.run("slots", "set", "Ventas Madrid", "daily 09:00")
    # The computer was off that week: nothing goes out, each post is listed with the way out.
    result = cli.json("publish-due", "--now", "2031-03-10T08:00Z")
    assert (result["published"], result["held"]) == (0, 3)
    assert [p["id"] for p in result["overdue"]] == ids
    text = cli.run("publish-due", "--now", "2031-03-10T08:00Z").stdout
    assert "Held 3 overdue post(s), missed by more than 30 minutes" in text
    assert "curator queue resolve ID publish|next-slot|skip" in text
    skipped = cli.json("queue", "resolve", str(ids[0]), "skip")
    assert skipped["state"] == "cancelled"
    moved = cli.json("queue", "resolve", str(ids[1]), "next-slot")
    assert datetime.fromisoformat(moved["scheduled_at"]) > datetime.now(UTC)
    now_due = cli.json("queue", "resolve", str(ids[2]), "publish")
    assert now_due["state"] == "scheduled"
    assert datetime.fromisoformat(now_due["scheduled_at"]) <= datetime.now(UTC)
    # The grace is a setting the app shares.
    assert cli.json("settings", "get", "overdue_grace_minutes") == {"overdue_grace_minutes": 30}
    assert cli.json("settings", "set", "overdue_grace_minutes", "120") == \
        {"overdue_grace_minutes": 120}
    assert cli.json("settings", "list")["overdue_grace_minutes"] == 120
    assert "whole number of minutes" in cli.fails("settings", "set", "overdue_grace_minutes",
                                                  "mucho")


def test_install_timer_writes_a_systemd_user_unit_and_timer(cli: CLI, tmp_path: Path) -> None:
    config = tmp_path / "config ñ"
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "XDG_CONFIG_HOME": str(config)}
    env.pop("CURATOR_DATA_DIR", None)
    data = tmp_path / "datos"
    proc = subprocess.run(
        [sys.executable, "-m", "curator", "--data-dir", str(data), "schedule",
         "install-timer", "--every", "10", "--json"],
        capture_output=True, text=True, encoding="utf-8", timeout=60, env=env)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    unit_dir = config / "systemd" / "user"
    service = (unit_dir / "curator-publish.service").read_text(encoding="utf-8")
    timer = (unit_dir / "curator-publish.timer").read_text(encoding="utf-8")
    assert out["service"] == str(unit_dir / "curator-publish.service")
    assert out["command"] == ("systemctl --user daemon-reload && "
                              "systemctl --user enable --now curator-publish.timer")
    python = str(Path(sys.executable).absolute())
    [exec_start] = [line for line in service.splitlines() if line.startswith("ExecStart=")]
    assert exec_start == f"ExecStart={python} -m curator publish-due --data-dir {data}"
    assert Path(python).is_absolute()
    assert "Type=oneshot" in service
    assert "OnCalendar=*:0/10" in timer and "Persistent=true" in timer
    assert "WantedBy=timers.target" in timer
    # The plain output says what to run, and runs nothing itself.
    proc = subprocess.run(
        [sys.executable, "-m", "curator", "--data-dir", str(data), "schedule",
         "install-timer"], capture_output=True, text=True, encoding="utf-8", timeout=60,
        env=env)
    assert "systemctl --user enable --now curator-publish.timer" in proc.stdout
    assert "OnCalendar=*:0/5" in (unit_dir / "curator-publish.timer").read_text()
    assert "1 to 60" in CLI(data).fails("schedule", "install-timer", "--every", "0")


def test_systemd_quoting_of_odd_paths() -> None:
    from curator.cli import systemd_units

    units = systemd_units("/opt/mi python/bin/python3", Path("/home/ana/datos 100% $HOME"), 5)
    [line] = [x for x in units["curator-publish.service"].splitlines()
              if x.startswith("ExecStart=")]
    assert line == ('ExecStart="/opt/mi python/bin/python3" -m curator publish-due '
                    '--data-dir "/home/ana/datos 100%% $$HOME"')


def ZoneInfoOf(name: str) -> Any:  # noqa: N802 - reads like the class it returns
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


# ---- the app and a cron publish-due at the same time --------------------------------------------

SECRET = "secreto-de-la-cuenta-ñ"


@pytest.mark.skipif(not os.environ.get("CURATOR_TEST_KEYRING"),
                    reason="needs the private test keyring that scripts/test.sh starts")
def test_the_app_and_a_concurrent_publish_due_never_double_post(tmp_path: Path) -> None:
    server = WebhookServer(secret=SECRET).start()
    try:
        data = tmp_path / "datos"
        due = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
        with Curator(data) as app:
            app.add_account("webhook", name="Canal de ventas", api_base=server.url,
                            secret=SECRET)
            keys = []
            for n in range(40):
                draft = app.new_draft(text=f"Publicación {n}: lo que leí esta semana")
                keys.append(app.queue_post(draft.id, "Canal de ventas", due).idempotency_key)
        env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
        env.pop("CURATOR_DATA_DIR", None)
        # Each answer takes a moment, so the publishers overlap for the whole run.
        server.fail("slow", times=40, delay=0.1)
        start = threading.Event()
        in_app: list[Any] = []
        errors: list[BaseException] = []

        def app_scheduler() -> None:
            # What the app's timer does when it wakes (ui/scheduler.py): publish_due off the
            # UI thread, again until nothing is due.
            try:
                with Curator(data) as app:
                    start.wait(30)
                    while done := app.publish_due(overdue="hold"):
                        in_app.extend(done)
            except BaseException as e:  # noqa: BLE001 - reported by the test below
                errors.append(e)

        worker = threading.Thread(target=app_scheduler)
        worker.start()
        procs = [subprocess.Popen(
            [sys.executable, "-m", "curator", "--data-dir", str(data), "publish-due", "--json"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
            env=env) for _ in range(2)]
        start.set()
        results = []
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
            assert "Traceback" not in err
            results.append(json.loads(out))
        worker.join(120)
        assert not worker.is_alive() and errors == []
        published = sum(r["published"] for r in results) + \
            sum(1 for o in in_app if o.state is PostState.PUBLISHED)
        assert published == 40
        assert in_app  # the app's publisher took part (it starts first)
        assert len(server.deliveries) == 40  # counted on the server: one request per post
        assert sorted(d.key or "" for d in server.deliveries) == sorted(keys)
        with Curator(data) as app:
            assert app.list_queue() == []
            assert len(app.history()) == 40
    finally:
        server.stop()
