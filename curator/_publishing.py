"""The publishing engine: the post queue, and sending each due post exactly once.

States: scheduled -> publishing -> published | failed | needs_attention; cancelled by the
user from scheduled, failed or needs_attention.

Exactly once, even with the GUI's scheduler and a cron `curator publish-due` (or several)
running at the same moment:

- A post is *claimed* before any network call: one `UPDATE ... SET state = 'publishing'
  WHERE state = 'scheduled' ...` inside a BEGIN IMMEDIATE transaction. SQLite lets one
  writer in at a time, so exactly one process sees its row change (rowcount 1); the others
  move on to the next due post.
- The outcome is recorded after the call: published (remote id and URL), retry later
  (exponential backoff with jitter, or Retry-After when longer; failed after MAX_ATTEMPTS),
  failed (the service's message as it said it), or needs_attention with the account marked
  reconnect_needed (401 / expired token).
- A post left in `publishing` by a process that died (its pid is gone on this host, or its
  claim is older than LEASE) is never blindly re-sent: the connector is asked whether the
  post is on the network (find_published); if not, a connector that is `idempotent` (the
  network dedups by the post's Idempotency-Key) sends it again with the same key, and any
  other connector leaves it for the user (needs_attention).

Two kinds of scheduled post are not claimed: those of a paused account, and (when the
caller passes an overdue grace) those held as *overdue*: never tried, and due more than the
grace ago although they were queued before their time (the computer was off or asleep). A
week of missed posts never goes out in one burst: they wait for the user (overdue_clause).

Time is explicit: every function takes `now` (UTC); dates are stored as UTC ISO strings.
"""

from __future__ import annotations

import json
import os
import random
import socket
import sqlite3
import sys
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from ._sqlite import Database
from ._storage import from_iso, iso
from .errors import CuratorError, PostNotFoundError, PostStateError
from .types import Account, Draft, Network, Post, PostState, PublishOutcome

MAX_ATTEMPTS = 5  # sends of one post before a retryable error becomes "failed"
BACKOFF_BASE = timedelta(minutes=1)  # then 2, 4, 8... minutes
BACKOFF_CAP = timedelta(hours=1)
# A Mastodon post for an account with server scheduling, due further ahead than this, is
# handed to the server at once (it then goes out with this computer off). More than the
# connector's own margin, so a slightly late hand-over is still a hand-over.
SERVER_HANDOFF_LEAD = timedelta(minutes=10)
LEASE = timedelta(minutes=10)  # a claim older than this is a crash (requests time out in 40 s)
CRASHED = ("Curator stopped while publishing this post, and {network} cannot tell whether it "
           "went out: check the account, then retry or cancel it.")
UNKNOWN = ("Curator could not tell whether the post went out ({error}): check the account, "
           "then retry or cancel it.")

ACCOUNT_OK = "ok"
ACCOUNT_RECONNECT = "reconnect_needed"

ConnectorFactory = Callable[[Account], Any]  # Account -> a connector (base.Connector)


def claimer_id() -> str:
    """Who holds a claim: "host:pid"."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _claimer_gone(claimed_by: str | None) -> bool:
    """True only when the claiming process certainly no longer runs (same host, pid gone).

    Another host's claim, or an unknown one, waits for the LEASE instead.
    """
    if not claimed_by or sys.platform == "win32":  # os.kill(pid, 0) is not a probe there
        return False
    host, _, pid_text = claimed_by.rpartition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False  # another thread of this process is publishing it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False  # exists, owned by someone else
    try:  # a killed child not yet reaped by its parent is a zombie: gone all the same
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] == b"Z"
    except (OSError, IndexError):
        return False


def backoff(attempts: int, retry_after: float | None, rng: random.Random) -> timedelta:
    """How long to wait after the `attempts`-th send failed: BACKOFF_BASE * 2^(attempts-1),
    capped, with "equal jitter" (between half and all of it) so processes that failed
    together do not retry together; a longer Retry-After wins."""
    step = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** max(0, attempts - 1)))
    delay = step / 2 + step / 2 * rng.random()
    if retry_after is not None and timedelta(seconds=retry_after) > delay:
        delay = timedelta(seconds=retry_after)
    return delay


def overdue_clause(p: str = "") -> str:
    """SQL (`p`: the posts table's alias; named parameter :cutoff = now - grace): a scheduled
    post never tried whose time passed before the cutoff, although it was queued ahead of its
    time. A post queued for a time already past is due now, never overdue: `queue add --at`
    with a past time still means "send it". The later of scheduled_at and next_attempt_at
    counts, so a post retried by the user (due now) and a Mastodon post awaiting its hand-over
    to the server (due at once, its time ahead) are not overdue."""
    q = f"{p}." if p else ""
    due = f"MAX({q}scheduled_at, {q}next_attempt_at)"
    return f"({q}attempts = 0 AND {due} < :cutoff AND {q}scheduled_at > {q}created_at)"


def first_attempt_at(account: Account, at: datetime, now: datetime, *,
                     thread: bool = False) -> datetime:
    """When publish_due first takes a post up: at its time, or at once when it is handed to
    the network's own scheduler (Mastodon with server scheduling, far enough ahead)."""
    handoff = (account.network is Network.MASTODON and account.server_schedule
               and not thread and at - now > SERVER_HANDOFF_LEAD)
    return now if handoff else at


def _aware(d: datetime, what: str) -> datetime:
    if d.tzinfo is None or d.utcoffset() is None:
        raise CuratorError(f"The {what} needs a time zone (for example 2024-06-01T09:00+02:00).")
    return d.astimezone(UTC).replace(microsecond=0)


_POST_COLUMNS = (
    "p.*, COALESCE(a.name, p.account_name) AS current_name"
)


def _post(r: sqlite3.Row) -> Post:
    return Post(
        id=r["id"], account=r["current_name"], account_id=r["account_id"],
        network=Network(r["network"]), draft_id=r["draft_id"], text=r["text"], link=r["link"],
        title=r["title"],
        scheduled_at=from_iso(r["scheduled_at"]),  # type: ignore[arg-type]
        state=PostState(r["state"]), attempts=r["attempts"],
        next_attempt_at=from_iso(r["next_attempt_at"]) if r["state"] == "scheduled" else None,
        last_error=r["last_error"], idempotency_key=r["idempotency_key"],
        remote_id=r["remote_id"], remote_url=r["remote_url"],
        published_at=from_iso(r["published_at"]),
        created_at=from_iso(r["created_at"]),  # type: ignore[arg-type]
        thread=json.loads(r["thread"] or "[]"), server_scheduled=bool(r["server_scheduled"]),
    )


@dataclass(frozen=True)
class QueueEntry:
    """One post to queue: the account's final text for a draft, and when."""

    draft: Draft
    account: Account
    text: str
    at: datetime
    link: str | None = None
    thread: Sequence[str] = ()
    description: str | None = None
    thumbnail_url: str | None = None
    approved_expires_at: datetime | None = None  # an approved item's expiry (held after it)


@dataclass(frozen=True)
class _Claimed:
    row: sqlite3.Row
    claimed_at: str
    claimed_by: str


class Publisher:
    """Every SQL statement of the posts table, and the publish loop."""

    def __init__(self, db: Database):
        self.db = db

    # ---- the queue -------------------------------------------------------------------------

    def queue(self, draft: Draft, account: Account, text: str, at: datetime,
              now: datetime, *, link: str | None = None, thread: Sequence[str] = (),
              description: str | None = None, thumbnail_url: str | None = None) -> Post:
        entry = QueueEntry(draft, account, text, at, link=link, thread=thread,
                           description=description, thumbnail_url=thumbnail_url)
        return self.queue_many([entry], now)[0]

    def queue_many(self, entries: Sequence[QueueEntry], now: datetime) -> list[Post]:
        """Queue several posts in one transaction: all of them, or (on any error) none."""
        checked = []
        for e in entries:
            if not e.text.strip():
                raise CuratorError("The post is empty: write something before queuing it.")
            checked.append((e, _aware(e.at, "scheduled time")))
        ids = []
        with self.db.transaction() as db:
            for e, at in checked:
                first = first_attempt_at(e.account, at, now, thread=bool(e.thread))
                cur = db.execute(
                    "INSERT INTO posts (draft_id, account_id, account_name, network, text, "
                    "link, title, description, thumbnail_url, language, thread, scheduled_at, "
                    "state, next_attempt_at, idempotency_key, created_at, approved_expires_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'scheduled', ?, ?, ?, ?)",
                    (e.draft.id, e.account.id, e.account.name, e.account.network.value, e.text,
                     e.link, e.draft.item_title, e.description if e.link else None,
                     e.thumbnail_url if e.link else None, e.account.language,
                     json.dumps(list(e.thread), ensure_ascii=False), iso(at), iso(first),
                     str(uuid.uuid4()), iso(now), iso(e.approved_expires_at)))
                ids.append(int(cur.lastrowid or 0))
        return [self.get(post_id) for post_id in ids]

    def get(self, post_id: int) -> Post:
        row = self.db.conn.execute(
            f"SELECT {_POST_COLUMNS} FROM posts p LEFT JOIN accounts a ON a.id = p.account_id "
            "WHERE p.id = ?", (post_id,)).fetchone()
        if row is None:
            raise PostNotFoundError(f"There is no queued post with id {post_id}.")
        return _post(row)

    def list_queue(self) -> list[Post]:
        """Posts not published nor cancelled, soonest first."""
        rows = self.db.conn.execute(
            f"SELECT {_POST_COLUMNS} FROM posts p LEFT JOIN accounts a ON a.id = p.account_id "
            "WHERE p.state NOT IN ('published', 'cancelled') ORDER BY p.scheduled_at, p.id")
        return [_post(r) for r in rows]

    def history(self, limit: int | None = None) -> list[Post]:
        """Published posts, newest first."""
        rows = self.db.conn.execute(
            f"SELECT {_POST_COLUMNS} FROM posts p LEFT JOIN accounts a ON a.id = p.account_id "
            "WHERE p.state = 'published' ORDER BY p.published_at DESC, p.id DESC LIMIT ?",
            (-1 if limit is None else limit,))
        return [_post(r) for r in rows]

    def cancel(self, post_id: int) -> Post:
        with self.db.transaction() as db:
            state = self._state(db, post_id)
            if state not in (PostState.SCHEDULED, PostState.FAILED, PostState.NEEDS_ATTENTION):
                raise PostStateError(_why_not("cancel", post_id, state))
            db.execute("UPDATE posts SET state = 'cancelled' WHERE id = ?", (post_id,))
        return self.get(post_id)

    def retry(self, post_id: int, now: datetime) -> Post:
        """A failed, needs-attention or cancelled post goes back to the queue, due now, with
        the same idempotency key and a fresh set of attempts."""
        with self.db.transaction() as db:
            state = self._state(db, post_id)
            if state not in (PostState.FAILED, PostState.NEEDS_ATTENTION, PostState.CANCELLED):
                raise PostStateError(_why_not("retry", post_id, state))
            row = db.execute("SELECT account_id FROM posts WHERE id = ?", (post_id,)).fetchone()
            if row[0] is None:
                raise PostStateError(f"Post {post_id}'s account was removed: it cannot be sent.")
            db.execute(
                "UPDATE posts SET state = 'scheduled', next_attempt_at = ?, attempts = 0, "
                "last_error = NULL, claimed_at = NULL, claimed_by = NULL WHERE id = ?",
                (iso(now), post_id))
        return self.get(post_id)

    def _state(self, db: sqlite3.Connection, post_id: int) -> PostState:
        row = db.execute("SELECT state FROM posts WHERE id = ?", (post_id,)).fetchone()
        if row is None:
            raise PostNotFoundError(f"There is no queued post with id {post_id}.")
        return PostState(row[0])

    # ---- accounts --------------------------------------------------------------------------

    def account_state(self, account_id: int) -> str:
        row = self.db.conn.execute("SELECT state FROM accounts WHERE id = ?",
                                   (account_id,)).fetchone()
        return str(row[0]) if row else ACCOUNT_OK

    def set_account_state(self, account_id: int, state: str) -> None:
        with self.db.transaction() as db:
            db.execute("UPDATE accounts SET state = ? WHERE id = ?", (state, account_id))

    # ---- publishing ------------------------------------------------------------------------

    def publish_due(
        self,
        now: datetime,
        account_for: Callable[[int], Account],
        connector_for: ConnectorFactory,
        *,
        rng: random.Random | None = None,
        limit: int | None = None,
        overdue_grace: timedelta | None = None,
    ) -> list[PublishOutcome]:
        """Recover posts a dead process left in `publishing`, then send every post due at
        `now`, one claim at a time. A failure is a value in the outcomes, never an exception
        (only storage errors raise). Posts of paused accounts are left alone; with an
        `overdue_grace`, so are posts overdue by more than it (overdue_clause)."""
        now = _aware(now, "time")
        rng = rng or random.Random()
        me = claimer_id()
        outcomes = self._hold_expired(now)
        outcomes += self._recover(now, me, account_for, connector_for)
        connectors: dict[int, Any] = {}
        while limit is None or len(outcomes) < limit:
            claimed = self._claim_next(now, me, overdue_grace)
            if claimed is None:
                break
            outcomes.append(self._send(claimed, now, rng, account_for, connector_for,
                                       connectors))
        return outcomes

    def _hold_expired(self, now: datetime) -> list[PublishOutcome]:
        """Scheduled posts of approved content that expired since they were queued are held
        (needs_attention, with the date): green-lit wording must not go out after its time.
        The pack's current expiry wins (it may have been extended); the one copied when the
        post was queued counts when the item is gone."""
        expiry = ("COALESCE((SELECT ap.expires_at FROM drafts d JOIN approved ap "
                  "ON ap.item_id = d.item_id WHERE d.id = posts.draft_id), approved_expires_at)")
        held = []
        with self.db.transaction() as db:
            rows = db.execute(
                f"SELECT id, account_name, {expiry} AS expires FROM posts "
                f"WHERE state = 'scheduled' AND {expiry} <= ?", (iso(now),)).fetchall()
            for row in rows:
                when = from_iso(row["expires"])
                error = (f"The approved content expired on {when:%Y-%m-%d %H:%M} UTC: it can "
                         "no longer be published (cancel the post, or ask for a new date).")
                db.execute("UPDATE posts SET state = 'needs_attention', last_error = ? "
                           "WHERE id = ? AND state = 'scheduled'", (error, row["id"]))
                held.append(PublishOutcome(row["id"], row["account_name"],
                                           PostState.NEEDS_ATTENTION, error))
        return held

    def _claim_next(self, now: datetime, me: str, overdue_grace: timedelta | None = None
                    ) -> _Claimed | None:
        at = iso(now)
        held = "" if overdue_grace is None else f"AND NOT {overdue_clause()}"
        cutoff = iso(now - (overdue_grace or timedelta()))
        with self.db.transaction() as db:  # BEGIN IMMEDIATE: one claimer at a time
            row = db.execute(
                "SELECT id FROM posts WHERE state = 'scheduled' AND next_attempt_at <= :now "
                "AND NOT EXISTS (SELECT 1 FROM accounts pa WHERE pa.id = posts.account_id "
                f"AND pa.paused = 1) {held} ORDER BY next_attempt_at, id LIMIT 1",
                {"now": at, "cutoff": cutoff}).fetchone()
            if row is None:
                return None
            cur = db.execute(
                "UPDATE posts SET state = 'publishing', claimed_at = ?, claimed_by = ?, "
                "attempts = attempts + 1 "
                "WHERE id = ? AND state = 'scheduled' AND next_attempt_at <= ?",
                (at, me, row[0], at))
            if cur.rowcount != 1:  # cannot happen under the write lock; never send unclaimed
                return None
            full = db.execute(
                f"SELECT {_POST_COLUMNS} FROM posts p LEFT JOIN accounts a "
                "ON a.id = p.account_id WHERE p.id = ?", (row[0],)).fetchone()
        return _Claimed(full, at or "", me)

    def _send(self, claimed: _Claimed, now: datetime, rng: random.Random,
              account_for: Callable[[int], Account], connector_for: ConnectorFactory,
              connectors: dict[int, Any]) -> PublishOutcome:
        from .connectors.base import Failure, PublishError

        row = claimed.row
        post = _post(row)
        if post.account_id is None:
            return self._finish(claimed, PostState.FAILED,
                                error="The account was removed before the post went out.")
        connector = None
        try:
            account = account_for(post.account_id)
            connector = connectors.get(account.id)
            if connector is None:
                connector = connectors[account.id] = connector_for(account)
            outgoing = _outgoing(row)
            published = None
            if int(row["attempts"]) > 1 and not getattr(connector, "idempotent", False):
                # An earlier attempt may have reached the network before it failed (a timeout
                # after the post was made): look before sending again, where it can tell.
                published = connector.find_published(outgoing)
            if published is None:
                published = connector.publish(outgoing)
        except PublishError as e:
            if e.failure is Failure.AUTH:
                self.set_account_state(post.account_id, ACCOUNT_RECONNECT)
                return self._finish(claimed, PostState.NEEDS_ATTENTION, error=str(e))
            if e.failure is Failure.PERMANENT:
                return self._finish(claimed, PostState.FAILED, error=str(e))
            return self._retry_later(claimed, now, rng, str(e), e.retry_after)
        except CuratorError as e:  # the account or the keyring could not be read: try later
            return self._retry_later(claimed, now, rng, str(e), None)
        except Exception as e:  # noqa: BLE001 - a connector bug must not leave it claimed
            if connector is not None and getattr(connector, "idempotent", False):
                return self._retry_later(claimed, now, rng, f"{type(e).__name__}: {e}", None)
            return self._finish(claimed, PostState.NEEDS_ATTENTION,
                                error=UNKNOWN.format(error=f"{type(e).__name__}: {e}"))
        return self._record_published(post.id, post.account, post.account_id, published, now)

    def _retry_later(self, claimed: _Claimed, now: datetime, rng: random.Random, error: str,
                     retry_after: float | None) -> PublishOutcome:
        attempts = int(claimed.row["attempts"])
        if attempts >= MAX_ATTEMPTS:
            return self._finish(claimed, PostState.FAILED,
                                error=f"{error} (gave up after {attempts} attempts)")
        when = now + backoff(attempts, retry_after, rng)
        scheduled = from_iso(claimed.row["scheduled_at"])
        if scheduled is not None and scheduled - SERVER_HANDOFF_LEAD < when < scheduled:
            # A hand-over to the server's scheduler failed and there is no time left for
            # another: wait for the post's own time rather than publish it early.
            when = scheduled
        return self._finish(claimed, PostState.SCHEDULED, error=error, next_attempt_at=when)

    def _finish(self, claimed: _Claimed, state: PostState, *, error: str | None = None,
                next_attempt_at: datetime | None = None) -> PublishOutcome:
        """Record a failure, if the claim is still ours (a recovery may have taken it)."""
        row = claimed.row
        with self.db.transaction() as db:
            db.execute(
                "UPDATE posts SET state = ?, last_error = ?, next_attempt_at = "
                "COALESCE(?, next_attempt_at), claimed_at = NULL, claimed_by = NULL "
                "WHERE id = ? AND state = 'publishing' AND claimed_by = ? AND claimed_at = ?",
                (state.value, error, iso(next_attempt_at), row["id"], claimed.claimed_by,
                 claimed.claimed_at))
        return PublishOutcome(row["id"], row["current_name"], state, error,
                              next_attempt_at=next_attempt_at)

    def _record_published(self, post_id: int, account: str, account_id: int | None,
                          published: Any, now: datetime, *, recovered: bool = False
                          ) -> PublishOutcome:
        # The network has it: record that whoever holds the claim now (the truth wins).
        with self.db.transaction() as db:
            on_server = bool(getattr(published, "server_scheduled", False))
            db.execute(
                "UPDATE posts SET state = 'published', remote_id = ?, remote_url = ?, "
                "published_at = COALESCE(published_at, CASE WHEN ? THEN scheduled_at ELSE ? END), "
                "server_scheduled = ?, last_error = NULL, claimed_at = NULL, claimed_by = NULL "
                "WHERE id = ? AND state != 'cancelled'",
                (published.remote_id, published.url, int(on_server), iso(now), int(on_server),
                 post_id))
            if account_id is not None:
                db.execute("UPDATE accounts SET state = 'ok' WHERE id = ? AND state != 'ok'",
                           (account_id,))
        return PublishOutcome(post_id, account, PostState.PUBLISHED,
                              remote_id=published.remote_id, remote_url=published.url,
                              recovered=recovered)

    # ---- crash recovery --------------------------------------------------------------------

    def stale_claims(self, now: datetime) -> list[sqlite3.Row]:
        rows = self.db.conn.execute(
            f"SELECT {_POST_COLUMNS} FROM posts p LEFT JOIN accounts a ON a.id = p.account_id "
            "WHERE p.state = 'publishing' ORDER BY p.id").fetchall()
        expired = iso(now - LEASE) or ""
        return [r for r in rows
                if (r["claimed_at"] or "") <= expired or _claimer_gone(r["claimed_by"])]

    def _recover(self, now: datetime, me: str, account_for: Callable[[int], Account],
                 connector_for: ConnectorFactory) -> list[PublishOutcome]:
        from .connectors.base import Failure, PublishError

        outcomes = []
        for old in self.stale_claims(now):
            # Take the claim over first, so two recovering processes never both act on it.
            with self.db.transaction() as db:
                cur = db.execute(
                    "UPDATE posts SET claimed_at = ?, claimed_by = ? WHERE id = ? AND "
                    "state = 'publishing' AND claimed_by IS ? AND claimed_at IS ?",
                    (iso(now), me, old["id"], old["claimed_by"], old["claimed_at"]))
                if cur.rowcount != 1:
                    continue
            claimed = _Claimed(old, iso(now) or "", me)
            post = _post(old)
            if post.account_id is None:
                outcomes.append(self._finish(claimed, PostState.NEEDS_ATTENTION, error=CRASHED
                                             .format(network=post.network.value)))
                continue
            try:
                connector = connector_for(account_for(post.account_id))
                found = connector.find_published(_outgoing(old))
            except PublishError as e:
                if e.failure is Failure.AUTH:
                    self.set_account_state(post.account_id, ACCOUNT_RECONNECT)
                    outcomes.append(self._finish(claimed, PostState.NEEDS_ATTENTION,
                                                 error=str(e)))
                else:  # cannot ask now: give the claim back, so the next run asks again
                    self._release(claimed, old)
                continue
            except CuratorError:
                self._release(claimed, old)
                continue
            if found is not None:
                outcomes.append(self._record_published(post.id, post.account, post.account_id,
                                                       found, now, recovered=True))
            elif getattr(connector, "idempotent", False):
                # Same key again: the network drops the copy if the first one arrived.
                # Attempts are kept: the lost send counted as one.
                self._finish(claimed, PostState.SCHEDULED, error=None, next_attempt_at=now)
            else:
                outcomes.append(self._finish(
                    claimed, PostState.NEEDS_ATTENTION,
                    error=CRASHED.format(network=_network_name(post.network))))
        return [replace(o, recovered=True) for o in outcomes]

    def _release(self, claimed: _Claimed, old: sqlite3.Row) -> None:
        with self.db.transaction() as db:
            db.execute("UPDATE posts SET claimed_at = ?, claimed_by = ? WHERE id = ? AND "
                       "claimed_by = ? AND claimed_at = ?",
                       (old["claimed_at"], old["claimed_by"], old["id"], claimed.claimed_by,
                        claimed.claimed_at))


def _network_name(network: Network) -> str:
    return {"x": "X", "linkedin": "LinkedIn"}.get(network.value, network.value.capitalize())


def _outgoing(row: sqlite3.Row) -> Any:
    from .connectors.base import OutgoingPost

    return OutgoingPost(
        post_id=row["id"], text=row["text"], idempotency_key=row["idempotency_key"],
        link=row["link"], title=row["title"], description=row["description"],
        thumbnail_url=row["thumbnail_url"], language=row["language"],
        scheduled_at=from_iso(row["scheduled_at"]), thread=json.loads(row["thread"] or "[]"))


def _why_not(action: str, post_id: int, state: PostState) -> str:
    if state is PostState.PUBLISHING:
        return f"Post {post_id} is being published right now: it cannot be {action}ed."
    if action == "retry":
        return (f"Post {post_id} is {state.value.replace('_', ' ')}: only failed, cancelled "
                "or needs-attention posts can be retried.")
    return f"Post {post_id} is {state.value.replace('_', ' ')}: it cannot be {action}led."


@dataclass(frozen=True)
class FinalPost:
    """What one account posts for a draft: the first part, the thread after it, the link."""

    text: str
    thread: list[str]
    link: str | None


def final_text(draft: Draft, account: Account, *, disclaimer: bool = True,
               thread: bool = False) -> FinalPost:
    """What `account` posts for `draft`: its variant for the account (else the draft's text)
    composed with the item's link (UTM-tagged), hashtags and the disclaimer, as the composer
    previews it; and the tagged link, for link cards. `disclaimer=False` leaves out an
    optional disclaimer (a mandatory one stays). `thread=True` splits a post over the
    network's limit into a numbered thread (X, Bluesky, Mastodon), as the composer's
    "Split into thread" shows it.

    Raises:
        CuratorError: the post is empty, or longer than the account's network allows.
    """
    from . import compose, counting

    variant = next((v for v in draft.variants if v.account_id == account.id), None)
    words = variant.text if variant is not None else draft.text
    item = compose.item_fields(draft)
    settings: Any = account
    if not disclaimer and not account.disclaimer_mandatory:
        settings = replace(account, disclaimer="")
    # "{commentary}": the draft's text already holds any template the user picked.
    text = compose.compose_post("{commentary}", item, commentary=words, account=settings)
    if not text.strip():
        raise CuratorError(f"Draft {draft.id} is empty: write something before queuing it.")
    network = account.network.value
    parts = [text]
    if network in counting.NETWORKS:
        m = counting.measure(network, text, limit=account.char_limit)
        length, limit, ok = m.length, m.limit, m.ok
        if not ok and thread and network in counting.THREAD_NETWORKS:
            parts = counting.split_thread(network, text, limit=account.char_limit)
            ok = True
    else:  # a webhook: only the account's own limit, if it has one
        length, limit = counting.bluesky_graphemes(text), account.char_limit or 0
        ok = not limit or length <= limit
    if not ok:
        hint = (" or split it into a thread" if network in counting.THREAD_NETWORKS else "")
        raise CuratorError(
            f"The post for {account.name} is {length} characters as "
            f"{_network_name(account.network)} counts them, over its limit of {limit}: "
            f"shorten it by {length - limit}{hint}.")
    link = item.get("url")
    if link:
        link = compose.add_utm(link, source=account.utm_source, medium=account.utm_medium,
                               campaign=account.utm_campaign,
                               skip_domains=account.utm_skip_domains,
                               values={**item, "commentary": words})
    return FinalPost(parts[0], parts[1:], link)
