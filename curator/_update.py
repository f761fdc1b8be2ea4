"""The refresh pipeline: retrieve in parallel -> parse -> decide (pure, injected now) -> store."""

from __future__ import annotations

import hashlib
import json
import os
import queue
import threading
import time
from collections.abc import Callable, Generator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import replace
from datetime import datetime, timedelta
from typing import NamedTuple

from . import packs
from ._fetch import Fetched, Fetcher, HTTPStatusError, parse_retry_after
from ._parser import parse_feed
from ._sanitize import Sanitizer, plain, sanitized_to_text
from ._storage import EntryRow, FeedForUpdate, Storage, iso
from ._types import ParsedEntry, ParsedFeed
from ._watch import Ingest
from .errors import CuratorError
from .types import FeedOutcome, Outcome, RefreshResult

BACKOFF_BASE = timedelta(minutes=10)
BACKOFF_CAP = timedelta(hours=24)
# Parsing and sanitizing are CPU work (much of it in C, outside the GIL): running more of
# them at once than there are spare cores only starves the thread that stores the results.
_CPU_SLOTS = threading.BoundedSemaphore(max(1, (os.cpu_count() or 2) - 1))
COMMIT_EVERY = 0.25  # seconds: batch small feeds into one transaction


class Retrieved(NamedTuple):
    """What a worker hands the storing thread for one feed."""

    feed: FeedForUpdate
    fetched: Fetched | None
    parsed: ParsedFeed | None
    rows: list[EntryRow]
    error: CuratorError | None
    seconds: float
    pack: packs.Pack | packs.PackError | None = None  # a content pack's `_curator` facts


# ---- pure decisions --------------------------------------------------------------------------


def is_due(feed: FeedForUpdate, now: datetime) -> bool:
    """A feed is fetched unless disabled or still backing off after errors."""
    if feed.disabled:
        return False
    return feed.next_retry_at is None or feed.next_retry_at <= now


def next_retry(error_count: int, now: datetime, retry_after: datetime | None = None) -> datetime:
    """Exponential backoff after `error_count` consecutive failures, capped; honours Retry-After."""
    # The exponent is bounded first: timedelta overflows after ~38 doublings.
    delay = min(BACKOFF_BASE * (2 ** min(max(error_count - 1, 0), 16)), BACKOFF_CAP)
    when = now + delay
    if retry_after and retry_after > when:
        when = min(retry_after, now + BACKOFF_CAP * 7)
    return when


def entry_rows(parsed: ParsedFeed, feed_url: str) -> list[EntryRow]:
    """Sanitize, key and hash each entry. Item identity: guid, else link, else title+date.

    A guid repeated inside one feed for entries with different links keeps them apart
    (the first keeps the guid; later ones are keyed by guid and link).
    """
    base = parsed.base_url or feed_url
    sanitize = Sanitizer(base)
    rows: list[EntryRow] = []
    seen: dict[str, str | None] = {}
    for e in parsed.entries:
        link = _absolute(e.link, base)
        key = _identity(e, link)
        if key in seen:
            if seen[key] == link:
                continue  # a true duplicate: the feed lists the same entry twice
            key = f"{key} {link or len(rows)}"
            if key in seen:
                continue
        seen[key] = link
        summary = sanitize(e.summary)
        content = sanitize(e.content)
        if content and summary and content == summary:
            content = None
        title = plain(e.title)
        author = plain(e.author)
        published = iso(e.published or e.updated)
        updated = iso(e.updated)
        # Categories count only when there are some (sorted: the two parsers may order RSS
        # <category> and <dc:subject> differently), so items without any keep their hash.
        fields = [link, title, author, summary, content, published]
        if e.categories:
            fields.append("\x1e".join(sorted(e.categories)))
        digest = hashlib.blake2b(
            "\x1f".join(x or "" for x in fields).encode("utf-8", "surrogatepass"),
            digest_size=12,
        ).hexdigest()
        rows.append(EntryRow(
            key=key, guid=e.guid, link=link, title=title, author=author, summary=summary,
            content=content, published=published, updated=updated, content_hash=digest,
            text_summary=sanitized_to_text(summary), text_content=sanitized_to_text(content),
            categories=json.dumps(e.categories, ensure_ascii=False) if e.categories else None,
        ))
    return rows


def _identity(e: ParsedEntry, link: str | None) -> str:
    # A guid equal to the (maybe relative) link means "the link is the id": key by the
    # absolute link so both parsers key the entry alike.
    if e.guid and e.guid != e.link:
        return e.guid
    if link:
        return link
    # Text, not markup: the parsers serialize the same HTML differently.
    text = (plain(e.summary) or "")[:200]
    basis = f"{plain(e.title) or ''}\x1f{iso(e.published or e.updated) or ''}\x1f{text}"
    return "sha1:" + hashlib.sha1(basis.encode("utf-8", "surrogatepass")).hexdigest()


def _absolute(link: str | None, base: str) -> str | None:
    if not link:
        return None
    from urllib.parse import urljoin, urlsplit

    link = link.strip()
    if link.startswith(("https://", "http://")) and " " not in link:
        return link  # already absolute: skip urljoin, the hot path
    url = urljoin(base, link)
    return url if urlsplit(url).scheme in ("http", "https", "mailto") else None


# ---- the pipeline ----------------------------------------------------------------------------


def retrieve(fetcher: Fetcher, feed: FeedForUpdate) -> Retrieved:
    """Runs on a worker thread: fetch, parse, sanitize. Never raises for a feed problem."""
    started = time.monotonic()
    fetched = parsed = None
    rows: list[EntryRow] = []
    error: CuratorError | None = None
    pack = None
    try:
        fetched = fetcher.fetch(feed.url, feed.etag, feed.last_modified)
        if fetched.status == 200 and fetched.body is not None:
            with _CPU_SLOTS:
                parsed = parse_feed(fetched.body, fetched.url, fetched.content_type)
                rows = entry_rows(parsed, fetched.url)
                if parsed.parser == "jsonfeed" and packs.is_pack_document(fetched.body):
                    pack = packs.read_for_refresh(fetched.body)
            fetched = replace(fetched, body=None)  # the rows are all we keep
    except CuratorError as e:
        error = e
    except Exception as e:  # a parser bug on one hostile feed must not stop the others
        error = CuratorError(f"Unexpected error reading the feed: {type(e).__name__}: {e}"[:300])
    return Retrieved(feed, fetched, parsed, rows, error, time.monotonic() - started, pack)


def run_refresh(
    storage: Storage,
    fetcher: Fetcher,
    feeds: list[FeedForUpdate],
    now: Callable[[], datetime],
    progress: Callable[[int, int, FeedOutcome], None] | None = None,
    cancel: threading.Event | None = None,
) -> RefreshResult:
    """Refresh `feeds`; setting `cancel` stops early, keeping what was already fetched."""
    started = time.monotonic()
    outcomes: list[FeedOutcome] = []
    total = len(feeds)
    pending: list[Retrieved] = []
    last_commit = time.monotonic()
    watch = Ingest.load(storage.db.conn)  # the watch lists, compiled once for this refresh

    def report(outcome: FeedOutcome) -> None:
        outcomes.append(outcome)
        if progress:
            progress(len(outcomes), total, outcome)

    def flush() -> None:
        nonlocal last_commit
        if not pending:
            return
        batch = list(pending)
        pending.clear()
        with storage.db.transaction() as db:
            done = [store_one(storage, db, r, now(), watch) for r in batch]
        last_commit = time.monotonic()
        for outcome in done:
            report(outcome)

    with closing(_parallel(fetcher, feeds, cancel)) as results:
        for result in results:
            if result is None:  # idle: stored items must not wait for the next slow feed
                if pending and time.monotonic() - last_commit > COMMIT_EVERY:
                    flush()
                continue
            fetched = result.fetched
            if result.error is None and fetched is not None and fetched.status == 304 \
                    and not result.feed.error_count and fetched.permanent_url is None:
                # Nothing changed and nothing to clear: no parsing, no write.
                report(FeedOutcome(result.feed.id, result.feed.url, Outcome.NOT_MODIFIED,
                                   seconds=result.seconds))
            else:
                pending.append(result)
                if time.monotonic() - last_commit > COMMIT_EVERY or len(pending) >= 64:
                    flush()
            if cancel is not None and cancel.is_set():
                break
    flush()
    return RefreshResult(outcomes, time.monotonic() - started,
                         cancelled=bool(cancel is not None and cancel.is_set()),
                         mentions=watch.mentions() if watch is not None else {})


def _parallel(
    fetcher: Fetcher, feeds: list[FeedForUpdate], cancel: threading.Event | None = None
) -> Generator[Retrieved | None, None, None]:
    """Results as they complete, and None after each idle 0.1 s. Workers hand results over
    through a bounded queue, so they keep fetching while the caller stores, and memory stays
    bounded when storing lags."""
    workers = max(1, min(fetcher.settings.workers, len(feeds)))
    results: queue.Queue[Retrieved] = queue.Queue(maxsize=workers * 4)

    stop = threading.Event()
    cancelled = cancel.is_set if cancel is not None else (lambda: False)

    def task(feed: FeedForUpdate) -> None:
        if stop.is_set() or cancelled():
            return
        result = retrieve(fetcher, feed)
        while not stop.is_set():
            try:
                results.put(result, timeout=0.1)
                return
            except queue.Full:
                continue

    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="curator-fetch")
    try:
        for feed in _interleave_hosts(feeds):
            pool.submit(task, feed)
        for _ in range(len(feeds)):
            while True:
                try:
                    result = results.get(timeout=0.1)
                    break
                except queue.Empty:
                    if cancelled():
                        return  # feeds not started yet never will be
                    yield None
            yield result
    finally:
        # The caller may stop early (a storage error, Ctrl-C, a progress callback raising):
        # workers blocked on a full queue must not keep shutdown() waiting forever.
        stop.set()
        pool.shutdown(wait=True, cancel_futures=True)


def _interleave_hosts(feeds: list[FeedForUpdate]) -> list[FeedForUpdate]:
    """Slowest first (as last measured), so a slow feed overlaps the rest instead of trailing
    at the end; round-robin by host, so workers are not all queued on one host's limit."""
    from urllib.parse import urlsplit

    by_host: dict[str, list[FeedForUpdate]] = {}
    for f in sorted(feeds, key=lambda f: -(f.fetch_seconds or 0.0)):
        by_host.setdefault(urlsplit(f.url).netloc.lower(), []).append(f)
    queues = list(by_host.values())
    out: list[FeedForUpdate] = []
    i = 0
    while queues:
        q = queues[i % len(queues)]
        out.append(q.pop(0))
        if not q:
            queues.remove(q)
        else:
            i += 1
    return out


def store_one(storage: Storage, db, r: Retrieved, now: datetime,  # type: ignore[no-untyped-def]
              watch: Ingest | None = None) -> FeedOutcome:
    feed = r.feed
    now_s = iso(now)
    moved = None
    if r.error is None and r.fetched is not None and r.fetched.status == 200:
        # A content pack is re-validated: a bad new version fails, keeping the old items.
        problem = packs.refresh_problem(db, feed.id, r.pack)
        if problem is not None:
            r = r._replace(error=problem)
    if r.error is not None:
        count = feed.error_count + 1
        retry_after = (parse_retry_after(r.error.retry_after, now)
                       if isinstance(r.error, HTTPStatusError) else None)
        gone = isinstance(r.error, HTTPStatusError) and r.error.status == 410
        retry = None if gone else next_retry(count, now, retry_after)
        storage.set_feed_state(
            db, feed.id, last_fetched_at=now_s, last_error=str(r.error), error_count=count,
            next_retry_at=iso(retry), disabled=int(gone) or int(feed.disabled),
            fetch_seconds=round(r.seconds, 3),
        )
        return FeedOutcome(feed.id, feed.url, Outcome.FAILED, error=str(r.error),
                           next_retry_at=retry, seconds=r.seconds)
    fetched = r.fetched
    assert fetched is not None
    state: dict[str, object] = {
        "last_fetched_at": now_s, "last_success_at": now_s, "last_error": None,
        "error_count": 0, "next_retry_at": None, "fetch_seconds": round(r.seconds, 3),
    }
    if fetched.permanent_url and fetched.permanent_url != feed.url:
        clash = db.execute("SELECT 1 FROM feeds WHERE url = ?", (fetched.permanent_url,)).fetchone()
        if clash is None:
            state["url"] = moved = fetched.permanent_url
    if fetched.status == 304:
        storage.set_feed_state(db, feed.id, **state)
        return FeedOutcome(feed.id, feed.url, Outcome.NOT_MODIFIED, moved_to=moved,
                           seconds=r.seconds)
    parsed = r.parsed
    assert parsed is not None
    new, changed = storage.store_entries(db, feed.id, r.rows, now, watch)
    if isinstance(r.pack, packs.Pack) and packs.is_pack_feed(db, feed.id):
        packs.store_pack(db, feed.id, r.pack, now)
    state.update(etag=fetched.etag, last_modified=fetched.last_modified)
    # Compare what is stored (plain title, absolute http(s) URL), else every fetch rewrites them.
    title, site_url = plain(parsed.title), _absolute(parsed.site_url, fetched.url)
    if title and title != feed.title:
        state["title"] = title
    if site_url and site_url != feed.site_url:
        state["site_url"] = site_url
    storage.set_feed_state(db, feed.id, **state)
    return FeedOutcome(feed.id, feed.url, Outcome.OK, new_items=new, updated_items=changed,
                       moved_to=moved, seconds=r.seconds)
