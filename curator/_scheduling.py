"""Scheduling storage: posting slots, shared settings, pausing, and moving queued posts.

Moving posts keeps the publishing engine's exactly-once promise: every move reads and
writes inside one BEGIN IMMEDIATE transaction and only touches posts in state 'scheduled'.
The engine claims a post under the same write lock, so a post is either claimed before the
move (then the move refuses it, PostStateError) or moved before the claim (then the engine
sees its new time): a concurrent publish-due never sends a post whose time is being moved.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from ._publishing import _POST_COLUMNS, SERVER_HANDOFF_LEAD, _post, overdue_clause
from ._sqlite import Database
from ._storage import from_iso, iso
from .errors import CuratorError, PostNotFoundError, PostStateError
from .types import Post, PostState

# Settings the GUI and the CLI share, with their defaults. Others may be stored too (any JSON).
SETTING_DEFAULTS: dict[str, Any] = {
    # publish a post missed while Curator was not running only if it is less late than this;
    # later ones wait for the user (publish now, move to the next slot, skip)
    "overdue_grace_minutes": 30,
    # "Fill my week": at most this share of the posts from one's own company's feeds
    "mix_max_own_share": 1 / 3,
}

# Posts that take a slot: waiting, going out, or out already (a Mastodon post handed to the
# server's scheduler is 'published' before its time).
_OCCUPYING = "('scheduled', 'publishing', 'published')"


def check_setting(key: str, value: Any) -> Any:
    """The value as stored, after checking the known settings.

    Raises:
        CuratorError: a known setting with a value it cannot take, or a value that is not JSON.
    """
    if not key or not isinstance(key, str):
        raise CuratorError("A setting needs a name.")
    if value is None:  # back to the default
        return None
    if key == "overdue_grace_minutes":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise CuratorError("The overdue grace is a whole number of minutes, 0 or more.")
    elif key == "mix_max_own_share":
        if isinstance(value, bool) or not isinstance(value, int | float) \
                or not 0 <= value <= 1:
            raise CuratorError("The share of own posts is a number from 0 to 1.")
        value = float(value)
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        raise CuratorError(f"The setting {key!r} cannot hold {value!r}.") from None
    return value


class Scheduler:
    """Every SQL statement of slots, settings, pausing and queue moves."""

    def __init__(self, db: Database):
        self.db = db

    # ---- slots -----------------------------------------------------------------------------

    def own_slots(self, account_id: int) -> list[tuple[int, str]]:
        """The account's own slots (none: it uses the defaults)."""
        rows = self.db.conn.execute(
            "SELECT weekday, time FROM slots WHERE account_id = ? ORDER BY weekday, time",
            (account_id,))
        return [(int(r[0]), str(r[1])) for r in rows]

    def set_slots(self, account_id: int, slots: Sequence[tuple[int, str]]) -> None:
        with self.db.transaction() as db:
            db.execute("DELETE FROM slots WHERE account_id = ?", (account_id,))
            db.executemany("INSERT INTO slots (account_id, weekday, time) VALUES (?, ?, ?)",
                           [(account_id, d, t) for d, t in slots])

    # ---- settings --------------------------------------------------------------------------

    def get_setting(self, key: str) -> Any:
        row = self.db.conn.execute("SELECT value FROM settings WHERE key = ?",
                                   (key,)).fetchone()
        if row is None:
            return SETTING_DEFAULTS.get(key)
        try:
            return json.loads(row[0])
        except ValueError:  # written by hand, badly: the default is the sane answer
            return SETTING_DEFAULTS.get(key)

    def set_setting(self, key: str, value: Any) -> None:
        value = check_setting(key, value)
        with self.db.transaction() as db:
            if value is None:
                db.execute("DELETE FROM settings WHERE key = ?", (key,))
            else:
                db.execute("INSERT INTO settings (key, value) VALUES (?, ?) "
                           "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                           (key, json.dumps(value, ensure_ascii=False)))

    def overdue_grace(self) -> timedelta:
        minutes = self.get_setting("overdue_grace_minutes")
        if isinstance(minutes, bool) or not isinstance(minutes, int | float) or minutes < 0:
            minutes = SETTING_DEFAULTS["overdue_grace_minutes"]
        return timedelta(minutes=minutes)

    # ---- pausing ---------------------------------------------------------------------------

    def set_paused(self, account_id: int, paused: bool) -> None:
        with self.db.transaction() as db:
            db.execute("UPDATE accounts SET paused = ? WHERE id = ?", (int(paused), account_id))

    # ---- reading the queue -----------------------------------------------------------------

    def queue_for(self, account_id: int) -> list[Post]:
        rows = self.db.conn.execute(
            f"SELECT {_POST_COLUMNS} FROM posts p LEFT JOIN accounts a ON a.id = p.account_id "
            "WHERE p.account_id = ? AND p.state = 'scheduled' ORDER BY p.scheduled_at, p.id",
            (account_id,))
        return [_post(r) for r in rows]

    def taken_times(self, account_id: int, start: datetime, end: datetime) -> list[datetime]:
        """Times of the account's posts that take a slot, in [start, end)."""
        rows = self.db.conn.execute(
            f"SELECT scheduled_at FROM posts WHERE account_id = ? AND state IN {_OCCUPYING} "
            "AND scheduled_at >= ? AND scheduled_at < ? ORDER BY scheduled_at",
            (account_id, iso(start), iso(end)))
        return [from_iso(r[0]) for r in rows]  # type: ignore[misc]

    def overdue(self, now: datetime, grace: timedelta) -> list[Post]:
        rows = self.db.conn.execute(
            f"SELECT {_POST_COLUMNS} FROM posts p LEFT JOIN accounts a ON a.id = p.account_id "
            f"WHERE p.state = 'scheduled' AND {overdue_clause('p')} "
            "ORDER BY p.scheduled_at, p.id", {"cutoff": iso(now - grace)})
        return [_post(r) for r in rows]

    def next_due_at(self, now: datetime, grace: timedelta | None) -> datetime | None:
        """The earliest next attempt of a post that publish_due would send (not paused, not
        held as overdue)."""
        held = f"AND NOT ({overdue_clause('p')})" if grace is not None else ""
        row = self.db.conn.execute(
            "SELECT MIN(p.next_attempt_at) FROM posts p LEFT JOIN accounts a "
            "ON a.id = p.account_id WHERE p.state = 'scheduled' "
            f"AND COALESCE(a.paused, 0) = 0 {held}",
            {"cutoff": iso(now - (grace or timedelta()))}).fetchone()
        return from_iso(row[0]) if row and row[0] else None

    # ---- moving posts ----------------------------------------------------------------------

    def move(
        self,
        post_ids: Sequence[int],
        plan: Callable[[list[Post]], Mapping[int, datetime]],
        now: datetime,
        *,
        account_id: int | None = None,
        with_queue: bool = False,
        states: tuple[PostState, ...] = (PostState.SCHEDULED,),
    ) -> None:
        """Read the posts, let `plan` say where each goes, write the new times: all in one
        write transaction, so nothing claims a post between the read and the write.
        `with_queue`: the posts given plus the account's waiting posts due at `now` or later.

        Posts must be in one of `states` (and of `account_id`, when given); a post in another
        state goes back to 'scheduled' with a fresh set of attempts (failed, needs attention).

        Raises:
            PostNotFoundError, PostStateError (a post being published, or out already),
            CuratorError (a post of another account)
        """
        with self.db.transaction() as db:
            ids = list(dict.fromkeys(post_ids))
            if with_queue and account_id is not None:
                ids += [r[0] for r in db.execute(
                    "SELECT id FROM posts WHERE account_id = ? AND state = 'scheduled' "
                    "AND scheduled_at >= ? ORDER BY scheduled_at, id", (account_id, iso(now)))
                    if r[0] not in ids]
            posts = [self._locked_post(db, post_id) for post_id in ids]
            for post in posts:
                if account_id is not None and post.account_id != account_id:
                    raise CuratorError(f"Post {post.id} is not in this account's queue.")
                if post.state not in states:
                    raise PostStateError(_cannot_move(post))
                if post.account_id is None:
                    raise PostStateError(
                        f"Post {post.id}'s account was removed: it cannot be sent.")
            new_times = plan(posts)
            for post in posts:
                at = new_times.get(post.id)
                if at is None:
                    continue
                first = self._first_attempt(db, post, at, now)
                reset = post.state is not PostState.SCHEDULED
                cur = db.execute(
                    "UPDATE posts SET scheduled_at = ?, next_attempt_at = ?, state = 'scheduled', "
                    "attempts = CASE WHEN ? THEN 0 ELSE attempts END, "
                    "last_error = CASE WHEN ? THEN NULL ELSE last_error END, "
                    "claimed_at = NULL, claimed_by = NULL WHERE id = ? AND state = ?",
                    (iso(at), iso(first), int(reset), int(reset), post.id, post.state.value))
                if cur.rowcount != 1:  # cannot happen under the write lock: refuse, roll back
                    raise PostStateError(_cannot_move(post))

    def _locked_post(self, db: sqlite3.Connection, post_id: int) -> Post:
        row = db.execute(
            f"SELECT {_POST_COLUMNS} FROM posts p LEFT JOIN accounts a ON a.id = p.account_id "
            "WHERE p.id = ?", (post_id,)).fetchone()
        if row is None:
            raise PostNotFoundError(f"There is no queued post with id {post_id}.")
        return _post(row)

    def _first_attempt(self, db: sqlite3.Connection, post: Post, at: datetime,
                       now: datetime) -> datetime:
        """As Publisher.queue: a Mastodon post of an account with server scheduling, far
        enough ahead, is handed to the server at once."""
        row = db.execute("SELECT network, server_schedule FROM accounts WHERE id = ?",
                         (post.account_id,)).fetchone()
        handoff = (row is not None and row[0] == "mastodon" and bool(row[1])
                   and not post.thread and at - now > SERVER_HANDOFF_LEAD)
        return now if handoff else at


def _cannot_move(post: Post) -> str:
    if post.state is PostState.PUBLISHING:
        return f"Post {post.id} is being published right now: its time cannot change."
    return (f"Post {post.id} is {post.state.value.replace('_', ' ')}: "
            "only a waiting post can be moved.")
