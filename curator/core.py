"""The facade the CLI and the UI share: one Curator per data directory."""

from __future__ import annotations

import os
import random
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from . import _update
from ._analytics import AnalyticsStore
from ._curation import CurationStore
from ._fetch import Fetcher, FetchSettings, check_url
from ._parser import parse_feed, sniff
from ._publishing import Publisher, QueueEntry
from ._sanitize import plain
from ._scheduling import Scheduler
from ._storage import FeedSnapshot, ItemQuery, Storage
from ._watch import Ingest, WatchStore
from .errors import (
    CuratorError,
    FeedError,
    FeedExistsError,
    FeedNotFoundError,
    ItemNotFoundError,
    NotAFeedError,
    PostStateError,
)
from .planning import Booked, Candidate, FreeSlot, Placement, ProposalError, post_text, propose
from .secrets import SecretStore  # cheap: keyring itself is imported on first use
from .types import (
    Account,
    AddFeedResult,
    Annotation,
    ApprovedContent,
    ContentMix,
    Draft,
    Feed,
    FeedOutcome,
    FollowerCount,
    ImportResult,
    Item,
    ItemPage,
    MetricsSnapshot,
    Network,
    PackInfo,
    PackItemSpec,
    Post,
    PostOutcome,
    PublishOutcome,
    RefreshResult,
    Role,
    Slot,
    SourceScore,
    Stats,
    Template,
    Variant,
    WatchList,
    WatchMatch,
    WhatIf,
)

DB_NAME = "curator.db"
FAVICONS_DIR = "favicons"


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@dataclass(frozen=True)
class FoundFeed:
    """A feed find_feeds found: the URL itself, or one a web page links to."""

    url: str
    title: str | None = None  # the page's name for it ("Comments Feed")
    page: str | None = None  # the page that links to it; None when url is the feed itself
    subscribed: bool = False  # already subscribed: add_feed would refuse it


@dataclass(frozen=True)
class RemovedFeed:
    """A removed subscription, kept in memory so restore_feed can undo the removal."""

    feed: Feed  # as it was just before the removal
    snapshot: FeedSnapshot = field(repr=False, compare=False)

    @property
    def items(self) -> int:
        return len(self.snapshot.items)


class Curator:
    """Everything above the UI. Thread-safe: each thread gets its own SQLite connection.

    Args:
        data_dir: where the database lives (created if missing).
        fetch: HTTP limits and concurrency.
        now: the clock (tests inject one).
    """

    def __init__(
        self,
        data_dir: Path | str,
        *,
        fetch: FetchSettings | None = None,
        now: Callable[[], datetime] = utcnow,
    ):
        self.data_dir = Path(data_dir)
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise CuratorError(
                f"Cannot create the data folder {self.data_dir}: {e.strerror}."
            ) from e
        self.now = now
        self.fetch_settings = fetch or FetchSettings()
        self._fetcher: Fetcher | None = None
        self._assets: Fetcher | None = None  # images and favicons: smaller caps
        self._fetcher_lock = threading.Lock()
        self.storage = Storage(self.data_dir / DB_NAME)
        self.curation = CurationStore(self.storage.db, lambda: self.now())
        self._secrets: SecretStore | None = None
        self._publisher: Publisher | None = None
        self._scheduler: Scheduler | None = None
        self._analytics: AnalyticsStore | None = None
        self._watch = WatchStore(self.storage.db, lambda: self.now())  # no I/O until used

    def close(self) -> None:
        if self._fetcher:
            self._fetcher.close()
        if self._assets:
            self._assets.close()
        self.storage.close()

    def __enter__(self) -> Curator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def fetcher(self) -> Fetcher:
        with self._fetcher_lock:
            if self._fetcher is None:
                self._fetcher = Fetcher(self.fetch_settings)
            return self._fetcher

    # ---- subscriptions -------------------------------------------------------------------

    def add_feed(
        self,
        url: str,
        *,
        role: Role | str = Role.THIRD_PARTY,
        folder: str | None = None,
        title: str | None = None,
        fetch: bool = True,
    ) -> AddFeedResult:
        """Subscribe to a feed URL, or to the feed a web page links to (autodiscovery).

        With no network the feed is still subscribed and fetched on the next refresh.

        Raises:
            InvalidFeedURLError, FeedExistsError, NotAFeedError, FetchError (HTTP errors).
        """
        from ._fetch import HTTPStatusError

        role = Role.parse(role) if isinstance(role, str) else role
        if role is Role.APPROVED:  # a content pack: validated before anything is stored
            return self.subscribe_pack(url, folder=folder)
        url = check_url(url)
        folder = _clean_folder(folder)
        self._refuse_existing(url)
        if not fetch:
            feed_id = self.storage.add_feed(url, title=title, site_url=None, role=role,
                                            folder=folder, now=self.now())
            return AddFeedResult(self.storage.get_feed(feed_id))
        from .errors import FetchError

        try:
            fetched = self.fetcher.fetch(url)
        except HTTPStatusError:
            raise
        except FetchError as e:
            # Offline first: keep the subscription, fetch it later.
            feed_id = self.storage.add_feed(url, title=title, site_url=None, role=role,
                                            folder=folder, now=self.now())
            self.storage.update_feed(feed_id, last_error=str(e))
            return AddFeedResult(
                self.storage.get_feed(feed_id),
                warning=f"Subscribed, but it could not be fetched now ({e}); "
                "it will be fetched on the next refresh.",
            )
        body = fetched.body or b""
        discovered_from = None
        if sniff(body) == "html":
            from ._discovery import discover_feeds

            found = discover_feeds(body, fetched.url)
            if not found:
                raise NotAFeedError(f"{url} is a web page that links to no feed.")
            discovered_from, url = url, found[0].url
            self._refuse_existing(url)
            fetched = self.fetcher.fetch(url)
            body = fetched.body or b""
        parsed = parse_feed(body, fetched.url, fetched.content_type)
        final_url = fetched.permanent_url or url
        self._refuse_existing(final_url)
        feed_id = self.storage.add_feed(
            final_url, title=plain(parsed.title),
            site_url=_update._absolute(parsed.site_url, fetched.url), role=role,
            folder=folder, now=self.now())
        if title:
            self.storage.update_feed(feed_id, user_title=title)
        feed = self.storage.feeds_for_update([feed_id])[0]
        retrieved = _update.Retrieved(feed, fetched, parsed,
                                      _update.entry_rows(parsed, fetched.url), None, 0.0)
        with self.storage.db.transaction() as db:
            # The first items are matched against the watch lists too.
            outcome = _update.store_one(self.storage, db, retrieved, self.now(),
                                        Ingest.load(db))
        return AddFeedResult(self.storage.get_feed(feed_id), discovered_from, outcome.new_items)

    def _refuse_existing(self, url: str) -> None:
        if self.storage.feed_id_for_url(url) is not None:
            raise FeedExistsError(f"Already subscribed to {url}.")

    def list_feeds(self) -> list[Feed]:
        return self.storage.list_feeds()

    def get_feed(self, feed: int | str) -> Feed:
        """A feed by id, or by URL.

        Raises:
            FeedNotFoundError
        """
        return self.storage.get_feed(self._feed_id(feed))

    def _feed_id(self, feed: int | str) -> int:
        if isinstance(feed, int) or (isinstance(feed, str) and feed.isdigit()):
            return int(feed)
        found = self.storage.feed_id_for_url(feed)
        if found is None:
            raise FeedNotFoundError(f"No subscription has the URL {feed}.")
        return found

    def update_feed(
        self,
        feed: int | str,
        *,
        title: str | None = None,
        role: Role | str | None = None,
        folder: str | None = None,
        url: str | None = None,
        remote_images: bool | None = None,
        enabled: bool | None = None,
    ) -> Feed:
        """Rename, change role or folder (\"\" clears it), move to a new URL, re-enable."""
        feed_id = self._feed_id(feed)
        fields: dict[str, object] = {}
        if title is not None:
            fields["user_title"] = title.strip() or None
        if role is not None:
            fields["role"] = Role.parse(role) if isinstance(role, str) else role
        if folder is not None:
            fields["folder"] = _clean_folder(folder)
        if url is not None:
            fields["url"] = check_url(url)
        if remote_images is not None:
            fields["remote_images"] = int(remote_images)
        if enabled is not None:
            fields["disabled"] = int(not enabled)
            if enabled:
                fields.update(next_retry_at=None, error_count=0)
        self.storage.update_feed(feed_id, **fields)
        return self.storage.get_feed(feed_id)

    def remove_feed(self, feed: int | str) -> Feed:
        """Unsubscribe and delete the feed's items. Returns the feed as it was."""
        feed_id = self._feed_id(feed)
        removed = self.storage.get_feed(feed_id)
        self.storage.delete_feed(feed_id)
        return removed

    def remove_feed_undoable(self, feed: int | str) -> RemovedFeed:
        """Unsubscribe like remove_feed, keeping what restore_feed needs to undo it.

        Raises:
            FeedNotFoundError
        """
        feed_id = self._feed_id(feed)
        removed = self.storage.get_feed(feed_id)
        return RemovedFeed(removed, self.storage.delete_feed_keeping(feed_id))

    def restore_feed(self, removed: RemovedFeed) -> Feed:
        """Undo remove_feed_undoable: the feed, its settings and its items with their
        read/starred/hidden flags come back, searchable again.

        Raises:
            FeedExistsError: its URL was subscribed again meanwhile.
        """
        return self.storage.get_feed(self.storage.restore_feed(removed.snapshot))

    def find_feeds(self, url: str) -> list[FoundFeed]:
        """The feeds at url: the URL itself when it is a feed, else the feeds the web page
        links to (preferred formats first, comment feeds last). A URL that cannot be reached
        now comes back as it is: add_feed subscribes it and fetches it on the next refresh.

        Raises:
            InvalidFeedURLError, NotAFeedError (a page that links to no feed),
            FetchError (the server answered with an error status).
        """
        from ._discovery import discover_feeds
        from ._fetch import HTTPStatusError
        from .errors import FetchError

        url = check_url(url)
        try:
            fetched = self.fetcher.fetch(url)
        except HTTPStatusError:
            raise
        except FetchError:
            return [FoundFeed(url, subscribed=self._is_subscribed(url))]
        body = fetched.body or b""
        if sniff(body) != "html":
            moved = fetched.permanent_url
            subscribed = self._is_subscribed(url) or bool(moved and self._is_subscribed(moved))
            return [FoundFeed(url, subscribed=subscribed)]
        charset = None
        if fetched.content_type and "charset=" in fetched.content_type.lower():
            charset = fetched.content_type.lower().split("charset=")[1].split(";")[0].strip()
        found = discover_feeds(body, fetched.url, encoding=charset)
        if not found:
            raise NotAFeedError(f"{url} is a web page that links to no feed.")
        return [FoundFeed(f.url, f.title, url, self._is_subscribed(f.url)) for f in found]

    def _is_subscribed(self, url: str) -> bool:
        return self.storage.feed_id_for_url(url) is not None

    def rename_folder(self, old: str, new: str | None) -> int:
        """Rename a folder, subfolders included ("Tech" -> "Work/Tech" moves "Tech/Python" to
        "Work/Tech/Python"); None or "" lifts its feeds out of any folder. Returns how many
        feeds moved."""
        old_path = _clean_folder(old)
        if old_path is None:
            return 0
        return self.storage.rename_folder(old_path, _clean_folder(new))

    def folders(self) -> list[str]:
        return self.storage.folders()

    # ---- OPML ----------------------------------------------------------------------------

    def import_opml(self, data: bytes, *, role: Role | str | None = None) -> ImportResult:
        """Subscribe to every feed in an OPML document, without fetching (refresh does that).

        Raises:
            OPMLError: the file is not OPML at all (partial files import what they can).
        """
        from ._opml import parse_opml

        parsed = parse_opml(data)
        forced = Role.parse(role) if isinstance(role, str) else role
        added: list[Feed] = []
        existing: list[str] = []
        skipped = list(parsed.skipped)
        now = self.now()
        for outline in parsed.feeds:
            try:
                url = check_url(outline.url)
            except FeedError as e:
                skipped.append(str(e))
                continue
            if self.storage.feed_id_for_url(url) is not None:
                existing.append(url)
                continue
            try:
                outline_role = forced or Role.parse(outline.role)
            except CuratorError:
                outline_role = Role.THIRD_PARTY
            feed_id = self.storage.add_feed(
                url, title=plain(outline.title), site_url=outline.site_url, role=outline_role,
                folder=_clean_folder(outline.folder), now=now)
            added.append(self.storage.get_feed(feed_id))
        return ImportResult(added, existing, skipped)

    def export_opml(self) -> bytes:
        from ._opml import OpmlOutline, write_opml

        return write_opml(
            OpmlOutline(f.url, f.title, f.folder, f.role.value, f.site_url)
            for f in self.storage.list_feeds()
        )

    # ---- refresh -------------------------------------------------------------------------

    def refresh(
        self,
        feeds: Sequence[int | str] | None = None,
        *,
        force: bool = False,
        progress: Callable[[int, int, FeedOutcome], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> RefreshResult:
        """Fetch feeds concurrently and store new items. One feed's failure is a value in the
        result, never an exception. Feeds backing off after errors, and disabled ones, are
        skipped unless named or `force` is set. Setting `cancel` (from any thread) stops
        early; what was fetched until then is kept.

        Raises:
            FeedNotFoundError: a named feed does not exist.
        """
        ids = [self._feed_id(f) for f in feeds] if feeds else None
        candidates = self.storage.feeds_for_update(ids)
        if ids is not None:
            missing = set(ids) - {f.id for f in candidates}
            if missing:
                raise FeedNotFoundError(f"There is no feed with id {min(missing)}.")
        now = self.now()
        due, skipped = [], []
        for f in candidates:
            if force or ids is not None or _update.is_due(f, now):
                due.append(f)
            else:
                skipped.append(FeedOutcome(
                    f.id, f.url, _update.Outcome.SKIPPED, error=f.last_error,
                    next_retry_at=f.next_retry_at))
        result = _update.run_refresh(self.storage, self.fetcher, due, self.now, progress, cancel)
        return RefreshResult(result.feeds + skipped, result.seconds, result.cancelled,
                             mentions=result.mentions)

    # ---- items ---------------------------------------------------------------------------

    def list_items(
        self,
        query: ItemQuery | None = None,
        *,
        limit: int = 50,
        cursor: str | None = None,
        with_content: bool = False,
    ) -> ItemPage:
        """One page of items, newest first unless query.oldest_first (search results: best
        match first)."""
        return self.storage.list_items(query or ItemQuery(), limit, cursor, with_content)

    def get_item(self, item_id: int) -> Item:
        return self.storage.get_item(item_id)

    def mark_items(
        self,
        ids: Sequence[int],
        *,
        read: bool | None = None,
        starred: bool | None = None,
        hidden: bool | None = None,
    ) -> int:
        return self.storage.mark_items(ids, read=read, starred=starred, hidden=hidden)

    def mark_all_read(self, query: ItemQuery | None = None) -> int:
        return self.storage.mark_all_read(query or ItemQuery())

    def count_items(self, query: ItemQuery | None = None) -> int:
        return self.storage.count_items(query or ItemQuery())

    # ---- watch words ---------------------------------------------------------------------

    @property
    def watch_store(self) -> WatchStore:
        return self._watch

    def add_watch_list(self, name: str, terms: Sequence[str]) -> WatchList:
        """A named list of words, phrases and /regular expressions/, matched against the
        stored items at once (rematch) and against new items at every refresh.

        Raises:
            WatchTermError: a term is empty or a regex that does not compile (named).
            WatchListExistsError: another list has that name.
        """
        watch_list = self.watch_store.add(name, terms)
        self.watch_store.rematch(watch_list.id)
        return watch_list

    def update_watch_list(self, watch_list: int | str, *, name: str | None = None,
                          terms: Sequence[str] | None = None) -> WatchList:
        """Rename a list and/or replace its terms; new terms are matched over the stored items.

        Raises:
            WatchListNotFoundError, WatchTermError, WatchListExistsError.
        """
        updated, changed = self.watch_store.update(watch_list, name=name, terms=terms)
        if changed:
            self.watch_store.rematch(updated.id)
        return updated

    def remove_watch_list(self, watch_list: int | str) -> WatchList:
        """Raises WatchListNotFoundError."""
        return self.watch_store.remove(watch_list)

    def get_watch_list(self, watch_list: int | str) -> WatchList:
        """By id or name (case-insensitive). Raises WatchListNotFoundError."""
        return self.watch_store.get(watch_list)

    def list_watch_lists(self) -> list[WatchList]:
        return self.watch_store.lists()

    def watch_counts(self) -> dict[int, int]:
        """List id -> unread items matching it (for the sidebar); 0 for a quiet list."""
        return self.watch_store.counts()

    def watch_matches(self, item_id: int) -> list[WatchMatch]:
        """The lists (and terms) an item matches, by list name."""
        return self.watch_store.matches(item_id)

    def rematch(self, watch_list: int | str | None = None) -> int:
        """Match the stored items again against one list (None: every list); returns how many
        items match. Runs by itself when a list is added or its terms change."""
        list_id = self.watch_store.get(watch_list).id if watch_list is not None else None
        return self.watch_store.rematch(list_id)

    # ---- annotations ---------------------------------------------------------------------

    def annotate(
        self, item_id: int, *, note: str | None = None, commentary: str | None = None
    ) -> Annotation:
        """Write the private note and/or the commentary of an item (None leaves one as it
        is). Both empty deletes the annotation. Searches find items by what is written here;
        the write is durable at return (safe to call while the user types).

        Raises:
            ItemNotFoundError
        """
        return self.curation.annotate(item_id, note, commentary)

    def annotation(self, item_id: int) -> Annotation | None:
        """The item's note and commentary, or None when it has neither."""
        return self.curation.annotation(item_id)

    # ---- accounts (profiles only: secrets live in the OS keyring) --------------------------

    def add_account(
        self,
        network: Network | str,
        *,
        name: str,
        handle: str | None = None,
        api_base: str | None = None,
        char_limit: int | None = None,
        disclaimer: str = "",
        disclaimer_mandatory: bool = False,
        utm_source: str | None = None,
        utm_medium: str | None = None,
        utm_campaign: str | None = None,
        utm_skip_domains: Sequence[str] = (),
        hashtags: Sequence[str] = (),
        default_template_id: int | None = None,
        language: str | None = None,
        visibility: str | None = None,
        server_schedule: bool = False,
        api_version: str | None = None,
        secret: str | None = None,
        timezone: str | None = None,
    ) -> Account:
        """Add a posting profile. `api_base` is the Mastodon instance, the Bluesky PDS or the
        API base URL ("mastodon.social" means https://mastodon.social); hashtags are stored
        without "#"; UTM tags are left off links to `utm_skip_domains` (and subdomains).
        `secret` (the network's token, app password or webhook signing secret, see
        curator.secrets.PRIMARY_KIND) goes to the OS keyring only; when the keyring cannot be
        reached nothing is written at all. Network options: `language` (a BCP 47 tag such as
        "es", sent as Mastodon's language and Bluesky's langs), `visibility` and
        `server_schedule` (Mastodon), `api_version` (LinkedIn-Version, YYYYMM). `timezone`:
        the IANA zone its posting slots are in ("Europe/Madrid"; None: this computer's).

        Raises:
            AccountExistsError, TemplateNotFoundError, CuratorError (an unknown network, a bad
            URL, limit or hashtag), KeyringUnavailableError.
        """
        if secret is not None:
            if not secret:
                raise CuratorError("The secret is empty.")
            self.secrets.check()  # before the profile exists: no half-added account
        added = self.curation.add_account(
            name, network, handle=handle, api_base=api_base, char_limit=char_limit,
            disclaimer=disclaimer, disclaimer_mandatory=disclaimer_mandatory,
            utm_source=utm_source, utm_medium=utm_medium, utm_campaign=utm_campaign,
            utm_skip_domains=list(utm_skip_domains), hashtags=list(hashtags),
            default_template_id=default_template_id, language=language,
            visibility=visibility, server_schedule=server_schedule, api_version=api_version,
            timezone=timezone)
        if secret is not None:
            from .secrets import primary_kind

            try:
                # SQLite may reuse a removed account's id: start from a clean slate.
                self.secrets.delete_all(added.id)
                self.secrets.set(added.id, primary_kind(added.network), secret)
            except BaseException:
                self.curation.remove_account(added.id)
                raise
        return added

    def update_account(
        self,
        account: int | str,
        *,
        name: str | None = None,
        network: Network | str | None = None,
        handle: str | None = None,
        api_base: str | None = None,
        char_limit: int | None = None,
        disclaimer: str | None = None,
        disclaimer_mandatory: bool | None = None,
        utm_source: str | None = None,
        utm_medium: str | None = None,
        utm_campaign: str | None = None,
        utm_skip_domains: Sequence[str] | None = None,
        hashtags: Sequence[str] | None = None,
        default_template_id: int | None = None,
        language: str | None = None,
        visibility: str | None = None,
        server_schedule: bool | None = None,
        api_version: str | None = None,
        timezone: str | None = None,
    ) -> Account:
        """Change an account (by id or name). None leaves a setting as it is; "" clears a
        text, 0 clears char_limit (the network's own) and default_template_id; timezone=""
        makes its slots follow this computer's zone.

        Raises:
            AccountNotFoundError, AccountExistsError, TemplateNotFoundError, CuratorError
        """
        return self.curation.update_account(
            account, name=name, network=network, handle=handle, api_base=api_base,
            char_limit=char_limit, disclaimer=disclaimer,
            disclaimer_mandatory=disclaimer_mandatory, utm_source=utm_source,
            utm_medium=utm_medium, utm_campaign=utm_campaign,
            utm_skip_domains=None if utm_skip_domains is None else list(utm_skip_domains),
            hashtags=None if hashtags is None else list(hashtags),
            default_template_id=default_template_id, language=language,
            visibility=visibility, server_schedule=server_schedule, api_version=api_version,
            timezone=timezone)

    def list_accounts(self) -> list[Account]:
        """Every account, by name."""
        return self.curation.list_accounts()

    def get_account(self, account: int | str) -> Account:
        """An account by id or name. Raises: AccountNotFoundError"""
        return self.curation.get_account(account)

    def remove_account(self, account: int | str, *, keep_secrets: bool = False) -> Account:
        """Delete an account, its draft variants and its secrets. Returns it as it was.

        The secrets go first: when the keyring cannot be reached the account stays as it is
        (no secret is left behind without its account) and KeyringUnavailableError says
        what to do. `keep_secrets=True` removes the profile anyway, leaving any secret it
        had in the unreachable keyring (the user's explicit choice).

        Raises:
            AccountNotFoundError, KeyringUnavailableError
        """
        removed = self.curation.get_account(account)
        if not keep_secrets:
            self.secrets.delete_all(removed.id)
        return self.curation.remove_account(removed.id)

    def set_account_secret(self, account: int | str, secret: str) -> Account:
        """Give an account a new secret (its network's PRIMARY_KIND). The account's other
        secrets (refresh tokens, cached sessions) belonged to the old one: they are dropped.

        Raises:
            AccountNotFoundError, KeyringUnavailableError, CuratorError (an empty secret)
        """
        from .secrets import primary_kind

        if not secret:
            raise CuratorError("The secret is empty.")
        found = self.curation.get_account(account)
        self.secrets.delete_all(found.id)
        self.secrets.set(found.id, primary_kind(found.network), secret)
        return found

    @property
    def secrets(self) -> SecretStore:
        """This data dir's secrets in the OS keyring (keyring itself loads on first use)."""
        if self._secrets is None:
            self._secrets = SecretStore(self.data_dir)
        return self._secrets

    # ---- templates -----------------------------------------------------------------------

    def add_template(self, name: str, body: str, *, segment: str = "") -> Template:
        """Add an approved message for an audience segment ("" for everyone). The body may
        name {title} {url} {source} {author} {commentary} {quote} {hashtags}; {{ and }}
        write literal braces.

        Raises:
            TemplateError: it names an unknown placeholder (the message says which).
            TemplateExistsError: the segment has a template with that name already.
        """
        return self.curation.add_template(name, body, segment)

    def list_templates(self, segment: str | None = None) -> list[Template]:
        """Templates sorted by segment, then name (grouped: "" first); or one segment's."""
        return self.curation.list_templates(segment)

    def get_template(self, template: int | str) -> Template:
        """A template by id, or by name when only one has it.

        Raises:
            TemplateNotFoundError
        """
        return self.curation.get_template(template)

    def update_template(
        self,
        template: int | str,
        *,
        name: str | None = None,
        body: str | None = None,
        segment: str | None = None,
    ) -> Template:
        """Rename, rewrite or move a template to another segment (None: unchanged).

        Raises:
            TemplateNotFoundError, TemplateError, TemplateExistsError
        """
        return self.curation.update_template(template, name, body, segment)

    def remove_template(self, template: int | str) -> Template:
        """Delete a template; drafts and accounts that used it keep their text."""
        return self.curation.remove_template(template)

    # ---- drafts --------------------------------------------------------------------------

    def new_draft(
        self, *, item_id: int | None = None, text: str = "", template_id: int | None = None,
        segment: str | None = None, account: int | str | None = None,
    ) -> Draft:
        """Start a draft, blank or about an item: the item's link, title, source, author and
        its feed's role now are copied into the draft (they stay if the item goes). Without
        `text`, an approved item's draft starts from its suggested commentary: `segment`'s
        (default: the segment of `account`'s default template), else the first.

        Raises:
            ItemNotFoundError, TemplateNotFoundError
        """
        if item_id is not None and not text:
            approved = self.approved_content(item_id)
            if approved is not None:
                if segment is None and account is not None:
                    template = self.curation.get_account(account).default_template_id
                    segment = self.get_template(template).segment if template else None
                text = approved.suggested(segment)
        return self.curation.new_draft(item_id, text, template_id)

    def save_draft_text(self, draft_id: int, text: str) -> None:
        """Autosave the draft's main text; synced variants follow in the same transaction.
        Durable at return, even against a power cut: call it debounced while the user types.

        Raises:
            DraftNotFoundError
        """
        self.curation.save_draft_text(draft_id, text)

    def set_draft_template(self, draft_id: int, template: int | str | None) -> None:
        """Record which template the draft was written from (None: none), for the composer
        and the analytics. The text is not changed.

        Raises:
            DraftNotFoundError, TemplateNotFoundError
        """
        self.curation.set_draft_template(draft_id, template)

    def add_variant(
        self, draft_id: int, account: int | str, *, text: str | None = None
    ) -> Variant:
        """Target an account: its variant follows the draft's text, or starts from `text`
        (then it is edited freely). Adding an existing variant leaves it as it is.

        Raises:
            DraftNotFoundError, AccountNotFoundError
        """
        return self.curation.add_variant(draft_id, account, text)

    def set_variant(
        self,
        draft_id: int,
        account: int | str,
        *,
        text: str | None = None,
        synced: bool | None = None,
    ) -> Variant:
        """Edit an account's variant. New text unsyncs it (it no longer follows the draft);
        synced=True makes it follow again, taking the draft's text now.

        Raises:
            DraftNotFoundError (no such variant), AccountNotFoundError
        """
        return self.curation.set_variant(draft_id, account, text, synced)

    def remove_variant(self, draft_id: int, account: int | str) -> None:
        """Stop targeting an account with this draft."""
        self.curation.remove_variant(draft_id, account)

    def get_draft(self, draft_id: int) -> Draft:
        """A draft with its variants (also a deleted one: see deleted_at).

        Raises:
            DraftNotFoundError
        """
        return self.curation.get_draft(draft_id)

    def list_drafts(self) -> list[Draft]:
        """Drafts not deleted, last edited first, with their variants."""
        return self.curation.list_drafts()

    def duplicate_draft(self, draft_id: int) -> Draft:
        """A copy of a draft and its variants, as a new draft."""
        return self.curation.duplicate_draft(draft_id)

    def delete_draft(self, draft_id: int) -> Draft:
        """Move a draft to the deleted ones (undelete_draft brings it back)."""
        return self.curation.set_deleted(draft_id, True)

    def undelete_draft(self, draft_id: int) -> Draft:
        """Undo delete_draft."""
        return self.curation.set_deleted(draft_id, False)

    def purge_deleted_drafts(self, older_than: timedelta = timedelta(days=30)) -> int:
        """Erase drafts deleted more than `older_than` ago. Returns how many."""
        return self.curation.purge_deleted_drafts(older_than)

    # ---- approved content packs (curator.packs) -------------------------------------------

    def validate_pack(self, data: bytes) -> PackInfo:
        """Check a content pack (docs/content-pack.md) without storing anything.

        Raises:
            PackError: one sentence naming the item and the field, e.g. 'item 3 (id
                "q4-report"): _curator.expires: not an RFC 3339 date ...'.
        """
        from . import packs

        return packs.read_pack(data).info()

    def subscribe_pack(self, url_or_path: str, *, folder: str | None = None) -> AddFeedResult:
        """Subscribe to an approved content pack at a URL or a local file path (file:// too),
        with role approved. The pack is validated before anything is stored: a bad pack
        stores nothing. Refreshes validate it again; a bad update keeps the old items.

        Raises:
            InvalidFeedURLError, FeedExistsError, FetchError, PackError, ParseError
        """
        from . import packs
        from ._watch import Ingest

        url = _pack_url(url_or_path)
        folder = _clean_folder(folder)
        self._refuse_existing(url)
        fetched = self.fetcher.fetch(url)
        body = fetched.body or b""
        try:
            pack = packs.read_pack(body)
        except packs.PackError as e:
            raise packs.PackError(f"{url_or_path} is not a valid content pack: {e}") from None
        parsed = parse_feed(body, fetched.url, "application/feed+json")
        final_url = fetched.permanent_url or url
        self._refuse_existing(final_url)
        feed_id = self.storage.add_feed(
            final_url, title=plain(parsed.title),
            site_url=_update._absolute(parsed.site_url, fetched.url), role=Role.APPROVED,
            folder=folder, now=self.now())
        feed = self.storage.feeds_for_update([feed_id])[0]
        retrieved = _update.Retrieved(feed, fetched, parsed,
                                      _update.entry_rows(parsed, fetched.url), None, 0.0, pack)
        try:
            with self.storage.db.transaction() as db:
                outcome = _update.store_one(self.storage, db, retrieved, self.now(),
                                            Ingest.load(db))
        except BaseException:
            self.storage.delete_feed(feed_id)  # nothing half-imported
            raise
        return AddFeedResult(self.storage.get_feed(feed_id), None, outcome.new_items)

    def approved_content(self, item_id: int) -> ApprovedContent | None:
        """An approved pack item's suggested commentary, networks, expiry and disclaimer;
        None for any other item."""
        from . import packs

        return packs.approved_content(self.storage.db.conn, item_id)

    def list_packs(self) -> list[PackInfo]:
        """The subscribed content packs, with their item, template and expired counts."""
        from . import packs

        return packs.subscribed_packs(self.storage.db.conn, self.now())

    def export_pack(
        self,
        items: Sequence[PackItemSpec],
        path: Path | str,
        *,
        title: str,
        publisher: str | None = None,
        templates: Sequence[Template | int | str] = (),
        home_page_url: str | None = None,
        feed_url: str | None = None,
        description: str | None = None,
    ) -> int:
        """Write a content pack of stored items, with their suggested commentary, networks,
        expiry and disclaimer, and approved templates, to a file (or a folder: then
        <title>.json in it). The pack is validated before it is written; the file is
        replaced whole. Returns how many items it holds.

        Raises:
            ItemNotFoundError, TemplateNotFoundError, PackError, CuratorError (cannot write)
        """
        from . import packs

        if not items:
            raise CuratorError("Choose at least one item to put in the pack.")
        if not title.strip():
            raise packs.PackError("The pack needs a title.")
        entries = []
        for spec in items:
            item = self.storage.get_item(spec.item_id)
            entry: dict[str, Any] = {"id": item.guid or item.link or f"curator:{item.id}"}
            for key, value in (("url", item.link), ("title", item.title),
                               ("content_html", item.content or item.summary),
                               ("summary", plain(item.summary) if item.summary else None),
                               ("date_published", _iso_z(item.published) or None)):
                if value:
                    entry[key] = value
            if "content_html" not in entry:
                entry["content_text"] = item.title or ""
            if item.author:
                entry["authors"] = [{"name": item.author}]
            if item.categories:
                entry["tags"] = list(item.categories)
            entry["_curator"] = packs.item_extension(
                spec.commentary, spec.networks, spec.expires_at, spec.disclaimer,
                spec.hashtags, spec.utm_campaign)
            entries.append(entry)
        chosen = [t if isinstance(t, Template) else self.get_template(t) for t in templates]
        data = packs.build_pack(
            title=title, publisher=publisher, items=entries, home_page_url=home_page_url,
            feed_url=feed_url, description=description,
            templates=[packs.PackTemplate(t.name, t.body, t.segment) for t in chosen])
        target = Path(path)
        if target.is_dir():
            target = target / (_file_name(title) + ".json")
        temp = target.with_name(f".{target.name}.tmp")
        try:
            temp.write_bytes(data)
            os.replace(temp, target)
        except OSError as e:
            raise CuratorError(f"Cannot write the pack to {target}: {e.strerror or e}.") from e
        return len(entries)

    # ---- publishing (curator._publishing: exactly once) -----------------------------------

    @property
    def publisher(self) -> Publisher:
        if self._publisher is None:
            self._publisher = Publisher(self.storage.db)
        return self._publisher

    def queue_post(self, draft_id: int, account: int | str, at: datetime | None = None, *,
                   next_slot: bool = False, disclaimer: bool = True,
                   thread: bool = False) -> Post:
        """Schedule the draft for an account at `at` (timezone-aware; stored in UTC), or with
        `next_slot=True` in the account's next free posting slot (at or after `at` when both
        are given). The text is final now: the account's variant (else the draft's text)
        with the link, hashtags and disclaimer, counted as the network counts it.
        `disclaimer=False` leaves out an optional disclaimer; `thread=True` splits a post over
        the limit into a thread of replies (X, Bluesky, Mastodon). The link card gets the
        item's summary and first picture; the post's language is the account's.

        Raises:
            DraftNotFoundError, AccountNotFoundError, CuratorError (deleted draft, empty or
            over the network's limit, a time with no time zone, neither a time nor next_slot).
        """
        found = self.curation.get_account(account)
        if next_slot:
            at = self.next_free_slot(found.id, at)
        elif at is None:
            raise CuratorError("Say when to post: give a time, or ask for the next free slot.")
        entry = self._queue_entry(self._queueable_draft(draft_id), found, at,
                                  disclaimer=disclaimer, thread=thread)
        return self.publisher.queue_many([entry], self.now())[0]

    def _queueable_draft(self, draft_id: int) -> Draft:
        draft = self.curation.get_draft(draft_id)
        if draft.deleted_at is not None:
            raise CuratorError(f"Draft {draft_id} is deleted: undelete it before queuing it.")
        return draft

    def _queue_entry(self, draft: Draft, account: Account, at: datetime, *,
                     disclaimer: bool, thread: bool) -> QueueEntry:
        """The account's final post for the draft (raises when it cannot go out as it is)."""
        from . import compose
        from ._publishing import final_text

        approved = self.approved_content(draft.item_id) if draft.item_id is not None else None
        if approved is not None:
            account = self._approved_settings(approved, account, at, disclaimer=disclaimer)
            disclaimer = True
        final = final_text(draft, account, disclaimer=disclaimer, thread=thread)
        if approved is not None and not compose.has_disclaimer(
                " ".join([final.text, *final.thread]), approved.disclaimer):
            raise CuratorError(f"The post for {account.name} must carry the approved content's "
                               f"disclaimer whole: {approved.disclaimer!r}.")
        description = thumbnail = None
        if final.link and draft.item_id is not None:
            try:
                item = self.storage.get_item(draft.item_id)
            except ItemNotFoundError:  # removed with its feed since: a card from the title
                item = None
            if item is not None:
                description = compose.card_description(item.summary or item.content)
                thumbnail = compose.card_image(item.content, item.summary)
        return QueueEntry(draft, account, final.text, at, link=final.link, thread=final.thread,
                          description=description, thumbnail_url=thumbnail,
                          approved_expires_at=approved.expires_at if approved else None)

    def _approved_settings(self, approved: ApprovedContent, account: Account, at: datetime,
                           *, disclaimer: bool) -> Account:
        """The account's posting profile for an approved item: refused on a network the pack
        does not allow, or after the item's expiry; with the pack's disclaimer (mandatory),
        hashtags and UTM campaign."""
        if not approved.allows(account.network.value):
            allowed = ", ".join(_network_title(Network(n)) for n in approved.networks or ())
            raise CuratorError(
                f"This approved content may only be shared on {allowed}, not on "
                f"{_network_title(account.network)} ({account.name}).")
        now = self.now()
        if approved.expires_at is not None and approved.expires_at <= max(now, _utc(at, "time")):
            when = "expired" if approved.expired(now) else "expires"
            raise CuratorError(
                f"The approved content {when} on {approved.expires_at:%Y-%m-%d %H:%M} UTC: "
                "it cannot be scheduled for after that.")
        from .packs import approved_profile

        return approved_profile(approved, account, disclaimer=disclaimer)

    def queue_for_accounts(
        self,
        draft_id: int,
        accounts: Sequence[int | str],
        *,
        at: datetime | None = None,
        stagger: timedelta | None = None,
        disclaimer: bool = True,
        thread: bool = False,
    ) -> list[Post]:
        """Queue one draft for several accounts at once, all or nothing: when one account's
        post is refused (too long, empty...) none is queued. Without `at` each account gets
        its own next free slot; with `at`, account i goes at `at + i * stagger`. Without
        `at` but with `stagger`, the first account's next free slot is the start.

        Raises:
            DraftNotFoundError, AccountNotFoundError, CuratorError
        """
        if not accounts:
            raise CuratorError("Choose at least one account to queue the draft for.")
        found = [self.curation.get_account(a) for a in accounts]
        if len({a.id for a in found}) != len(found):
            raise CuratorError("An account is named twice: each gets the draft once.")
        if stagger is not None and stagger < timedelta(0):
            raise CuratorError("The time between accounts cannot be negative.")
        draft = self._queueable_draft(draft_id)
        if at is None and stagger is None:
            times = [self.next_free_slot(a.id) for a in found]
        else:
            start = at if at is not None else self.next_free_slot(found[0].id)
            times = [start + i * (stagger or timedelta(0)) for i in range(len(found))]
        entries = [self._queue_entry(draft, a, t, disclaimer=disclaimer, thread=thread)
                   for a, t in zip(found, times, strict=True)]
        return self.publisher.queue_many(entries, self.now())

    def get_post(self, post_id: int) -> Post:
        """Raises: PostNotFoundError"""
        return self.publisher.get(post_id)

    def list_queue(self) -> list[Post]:
        """Posts waiting, being published, failed or needing attention; soonest first."""
        return self.publisher.list_queue()

    def history(self, limit: int | None = None) -> list[Post]:
        """Published posts with their remote id and URL, newest first."""
        return self.publisher.history(limit)

    def cancel_post(self, post_id: int) -> Post:
        """Raises: PostNotFoundError, PostStateError (published, or being published now)"""
        return self.publisher.cancel(post_id)

    def retry_post(self, post_id: int) -> Post:
        """A failed, needs-attention or cancelled post is due again now (same idempotency
        key). Raises: PostNotFoundError, PostStateError"""
        return self.publisher.retry(post_id, self.now())

    def publish_due(
        self,
        now: datetime | None = None,
        *,
        session: Any = None,
        secrets: Any = None,
        overdue: str = "hold",
    ) -> list[PublishOutcome]:
        """Send every post due at `now` (default: the clock) exactly once, even with other
        processes doing the same; first recover posts a crashed process left half-sent.
        Failures are outcomes (retry later, failed, needs attention), never exceptions.
        `session`: a requests.Session; `secrets`: anything with get(account_id, kind)
        (default: the OS keyring, read only when a connector needs a secret).

        Posts of paused accounts stay queued. Posts missed by more than the overdue grace
        (setting "overdue_grace_minutes") while nothing ran are never sent in a burst:
        overdue="hold" leaves them scheduled for the user to decide (overdue_posts,
        resolve_overdue); overdue="publish" sends them too.

        Raises:
            StorageError, CuratorError (an unknown `overdue` policy)
        """
        from .connectors import connector_for

        if overdue not in ("hold", "publish"):
            raise CuratorError(f"Unknown overdue policy {overdue!r}; use hold or publish.")
        store = secrets if secrets is not None else _LazySecrets(self)
        grace = self.scheduler.overdue_grace() if overdue == "hold" else None
        return self.publisher.publish_due(
            now or self.now(), self.curation.get_account,
            lambda account: connector_for(account, store, session=session),
            overdue_grace=grace)

    # ---- scheduling (curator.slots: time arithmetic; curator._scheduling: storage) --------

    @property
    def scheduler(self) -> Scheduler:
        if self._scheduler is None:
            self._scheduler = Scheduler(self.storage.db)
        return self._scheduler

    def set_slots(self, account: int | str,
                  slots: Sequence[tuple[int, str] | str]) -> list[Slot]:
        """Replace the account's weekly posting slots: (weekday 0=Monday, "HH:MM") pairs in
        its own time zone, or specs such as "Tue 09:00" and "Mon-Fri 17:30". An empty list
        goes back to the defaults (curator.slots.DEFAULT_SLOTS). Returns list_slots.

        Raises:
            AccountNotFoundError, CuratorError (a day or a time that cannot be read)
        """
        from .slots import normalize_slots, parse_slot_spec

        account_id = self.curation.account_id(account)
        pairs: list[tuple[int, str]] = []
        for slot in slots:
            pairs.extend(parse_slot_spec(slot) if isinstance(slot, str) else [slot])
        self.scheduler.set_slots(account_id, normalize_slots(pairs))
        return self.list_slots(account_id)

    def list_slots(self, account: int | str) -> list[Slot]:
        """The account's slots by weekday and time: its own, else the defaults.

        Raises:
            AccountNotFoundError
        """
        account_id, pairs = self._slot_pairs(account)
        return [Slot(account_id, d, t) for d, t in pairs]

    def has_own_slots(self, account: int | str) -> bool:
        """False when the account uses the default slots."""
        return bool(self.scheduler.own_slots(self.curation.account_id(account)))

    def _slot_pairs(self, account: int | str) -> tuple[int, list[tuple[int, str]]]:
        from .slots import DEFAULT_SLOTS

        account_id = self.curation.account_id(account)
        return account_id, self.scheduler.own_slots(account_id) or list(DEFAULT_SLOTS)

    def slot_times(self, account: int | str, start: datetime, end: datetime) -> list[datetime]:
        """Every occurrence of the account's slots in [start, end), UTC, taken or not."""
        from .slots import account_zone, slot_times

        account_id, pairs = self._slot_pairs(account)
        zone = account_zone(self.curation.get_account(account_id))
        return slot_times(pairs, zone, _utc(start, "start"), _utc(end, "end"))

    def free_slots(self, account: int | str, start: datetime, end: datetime) -> list[datetime]:
        """The account's slot times in [start, end) (UTC) with none of its scheduled,
        publishing or published posts within SLOT_TOLERANCE (a minute) of them.

        Raises:
            AccountNotFoundError, CuratorError (a time with no time zone)
        """
        from .slots import SLOT_TOLERANCE, free_times

        start, end = _utc(start, "start"), _utc(end, "end")
        candidates = self.slot_times(account, start, end)
        taken = self.scheduler.taken_times(self.curation.account_id(account),
                                           start - SLOT_TOLERANCE, end + SLOT_TOLERANCE)
        return free_times(candidates, taken)

    def next_free_slot(self, account: int | str, after: datetime | None = None) -> datetime:
        """The account's first free slot at or after `after` (default: now), in UTC.

        Raises:
            AccountNotFoundError, CuratorError (no free slot within ten years)
        """
        start = _utc(after, "time") if after is not None else self.now()
        window = timedelta(days=7)
        for _ in range(10 * 53):  # a week at a time: a full queue can reach far ahead
            found = self.free_slots(account, start, start + window)
            if found:
                return found[0]
            start += window
        raise CuratorError("The account has no free posting slot in the next ten years.")

    def reschedule_post(self, post_id: int, at: datetime) -> Post:
        """Move a post to an exact time. A failed or needs-attention post goes back to the
        queue (fresh attempts, same idempotency key). Never a post being published, published
        or cancelled.

        Raises:
            PostNotFoundError, PostStateError, CuratorError (a time with no time zone)
        """
        from .types import PostState

        when = _utc(at, "scheduled time")
        self.scheduler.move([post_id], lambda posts: {post_id: when}, self.now(),
                            states=(PostState.SCHEDULED, PostState.FAILED,
                                    PostState.NEEDS_ATTENTION))
        return self.get_post(post_id)

    def share_next(self, post_id: int) -> Post:
        """Move a waiting post to the front of its account's queue: it takes the queue's
        earliest time (or the next free slot, when that is earlier), and the posts that were
        before it each move to the next time. A post whose time has passed (overdue) joins
        the front the same way; the queue's last post then takes the next free slot.

        Raises:
            PostNotFoundError, PostStateError (not waiting)
        """
        post = self.get_post(post_id)
        if post.account_id is None:
            raise PostStateError(f"Post {post_id}'s account was removed: it cannot be sent.")
        account_id = post.account_id
        now = self.now()
        candidate = self.next_free_slot(account_id, now)

        def plan(posts: list[Post]) -> dict[int, datetime]:
            # The target first, the others in their order, over the queue's times (plus the
            # next free slot when it is earlier, or when the target brings no time of its own).
            target = next(p for p in posts if p.id == post_id)
            queue = sorted((p for p in posts if p.scheduled_at >= now),
                           key=lambda p: (p.scheduled_at, p.id))
            times = [p.scheduled_at for p in queue]
            if target not in queue or not times or candidate < times[0]:
                times.append(candidate)
            order = [target] + [p for p in queue if p is not target]
            return {p.id: t for p, t in zip(order, sorted(times), strict=False)}

        self.scheduler.move([post_id], plan, now, account_id=account_id, with_queue=True)
        return self.get_post(post_id)

    def reorder_queue(self, account: int | str, post_ids: Sequence[int]) -> list[Post]:
        """The account's waiting posts named in `post_ids` take the same set of times they
        have, in this new order (the earliest time for the first). Returns queue_for.

        Raises:
            AccountNotFoundError, PostNotFoundError, PostStateError, CuratorError (a post of
            another account, or named twice)
        """
        account_id = self.curation.account_id(account)
        if len(set(post_ids)) != len(post_ids):
            raise CuratorError("A post is named twice in the new order.")
        order = list(post_ids)

        def plan(posts: list[Post]) -> dict[int, datetime]:
            times = sorted(p.scheduled_at for p in posts)
            return dict(zip(order, times, strict=True))

        self.scheduler.move(order, plan, self.now(), account_id=account_id)
        return self.queue_for(account_id)

    def shuffle_queue(self, account: int | str, rng: random.Random | None = None
                      ) -> list[Post]:
        """Shuffle the account's waiting posts (due now or later) over the same set of
        times. Returns queue_for.

        Raises:
            AccountNotFoundError, PostStateError
        """
        account_id = self.curation.account_id(account)
        chance = rng or random.Random()

        def plan(posts: list[Post]) -> dict[int, datetime]:
            times = sorted(p.scheduled_at for p in posts)
            shuffled = sorted(posts, key=lambda p: p.id)
            chance.shuffle(shuffled)
            return {p.id: t for p, t in zip(shuffled, times, strict=True)}

        self.scheduler.move([], plan, self.now(), account_id=account_id, with_queue=True)
        return self.queue_for(account_id)

    def set_paused(self, account: int | str, paused: bool) -> Account:
        """Pause (or resume) an account's queue: while paused nothing of it is published;
        its posts keep their times (on resume, late ones follow the overdue policy).

        Raises:
            AccountNotFoundError
        """
        account_id = self.curation.account_id(account)
        self.scheduler.set_paused(account_id, paused)
        return self.curation.get_account(account_id)

    def queue_for(self, account: int | str) -> list[Post]:
        """The account's waiting (scheduled) posts, soonest first.

        Raises:
            AccountNotFoundError
        """
        return self.scheduler.queue_for(self.curation.account_id(account))

    def next_due_at(self, now: datetime | None = None) -> datetime | None:
        """When publish_due next has something to send (for a wake-up timer): the earliest
        next attempt of a waiting post of a non-paused account, leaving out posts held as
        overdue at `now` (default: the clock). May be in the past: publish now. None: nothing.
        """
        return self.scheduler.next_due_at(now or self.now(), self.scheduler.overdue_grace())

    def overdue_posts(self, now: datetime | None = None) -> list[Post]:
        """Waiting posts never tried, due more than the overdue grace ago (default 30
        minutes) though queued before their time: publish_due holds them for the user
        (resolve_overdue)."""
        return self.scheduler.overdue(now or self.now(), self.scheduler.overdue_grace())

    def resolve_overdue(self, post_id: int, action: str) -> Post:
        """What to do with an overdue post: "publish" (due now: the next publish_due sends
        it), "next_slot" (its account's next free slot) or "skip" (cancelled).

        Raises:
            PostNotFoundError, PostStateError (not waiting), CuratorError (unknown action)
        """
        choice = action.strip().lower().replace("-", "_")
        if choice == "skip":
            return self.cancel_post(post_id)
        if choice not in ("publish", "next_slot"):
            raise CuratorError(f"Unknown choice {action!r}; use publish, next-slot or skip.")
        now = self.now()
        post = self.get_post(post_id)
        if choice == "publish":
            when = now
        elif post.account_id is None:
            raise PostStateError(f"Post {post_id}'s account was removed: it cannot be sent.")
        else:
            when = self.next_free_slot(post.account_id, now)
        self.scheduler.move([post_id], lambda posts: {post_id: when}, now)
        return self.get_post(post_id)

    def get_setting(self, key: str) -> Any:
        """A shared setting (JSON value) or its default: "overdue_grace_minutes" (30),
        "mix_max_own_share" (1/3). None for an unknown key never set."""
        return self.scheduler.get_setting(key)

    def set_setting(self, key: str, value: Any) -> None:
        """Store a shared setting (None: back to the default).

        Raises:
            CuratorError: a value the setting cannot take.
        """
        self.scheduler.set_setting(key, value)

    # ---- backup and restore (curator/backup.py) ------------------------------------------

    def backup(self, dest: Path | str, *, extra_files: Sequence[Path | str] = ()) -> Any:
        """Write a backup zip (a consistent copy of the database, `extra_files` such as the
        GUI's settings file, a manifest); never secrets. Returns a backup.BackupInfo.

        Raises:
            BackupError
        """
        from .backup import create_backup

        return create_backup(self.storage.db.conn, dest, extra_files=extra_files,
                             now=self.now())

    def restore(self, source: Path | str, *,
                settings_targets: Mapping[str, Path | str] | None = None) -> Any:
        """Replace the database with a backup's once the backup is validated; the current one
        is kept as curator.db.before-restore. Closes this core's connections first; they
        reopen on the next call, on the restored (and, if older, migrated) database.
        Returns a backup.RestoreResult. Long-lived helpers (a running scheduler) should be
        stopped first: the GUI quits after a restore.

        Raises:
            BackupError: refused; the current data is untouched.
        """
        from ._schema import MIGRATIONS, SCHEMA, VERSION
        from ._sqlite import migrate
        from .backup import inspect_backup, restore_backup

        inspect_backup(source)  # a foreign file is refused before anything closes
        self.storage.db.close()
        result = restore_backup(source, self.data_dir, db_name=DB_NAME,
                                settings_targets=settings_targets)
        migrate(self.storage.db, VERSION, SCHEMA, MIGRATIONS)  # an older backup's schema
        return result

    def account_needs_reconnect(self, account: int | str) -> bool:
        """The network refused the account's token (401 or expired) since it last worked."""
        from ._publishing import ACCOUNT_RECONNECT

        return self.publisher.account_state(self.curation.account_id(account)) \
            == ACCOUNT_RECONNECT

    def account_warning(self, account: int | str) -> str | None:
        """One sentence when the account needs the user before its posts can go out: the
        network refused its sign-in ("reconnect needed"), or its LinkedIn sign-in expires
        within a week (LinkedIn member tokens last 60 days and cannot renew themselves).
        None when all is well, or when the keyring cannot be read to tell.

        Raises:
            AccountNotFoundError
        """
        from .errors import KeyringUnavailableError

        found = self.curation.get_account(account)
        if self.account_needs_reconnect(found.id):
            return (f"{_network_title(found.network)} refused the sign-in of {found.name}: "
                    "reconnect the account (its queued posts wait).")
        if found.network is not Network.LINKEDIN:
            return None
        from .connectors.linkedin import token_warning

        try:
            return token_warning(found, self.secrets, self.now())
        except KeyringUnavailableError:
            return None

    def mark_account_reconnected(self, account: int | str) -> None:
        """Clear "reconnect needed" (call after the user gives the account a new secret)."""
        from ._publishing import ACCOUNT_OK

        self.publisher.set_account_state(self.curation.account_id(account), ACCOUNT_OK)

    def connect_account(
        self,
        account: int | str,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        open_browser: Callable[[str], Any] | None = None,
        timeout: float = 300,
        redirect_port: int | None = None,
        session: Any = None,
        cancel: threading.Event | None = None,
    ) -> str:
        """Sign the account in through its network's web page (X, LinkedIn: OAuth 2.0 with
        your own app's client id, and LinkedIn's client secret; Mastodon: Curator registers
        itself on the instance). `open_browser(url)` (default webbrowser.open) must return at
        once; the answer comes back to a one-shot listener on 127.0.0.1 within `timeout`
        seconds. The tokens go to the OS keyring; then the handle is filled in and "reconnect
        needed" is cleared. Returns the handle. See curator.signin. Setting `cancel` (another
        thread: the UI's Cancel button) stops the wait within half a second, storing nothing.

        Raises:
            AccountNotFoundError, KeyringUnavailableError, curator.oauth.OAuthError (declined,
            cancelled, timed out, refused: nothing stored), PublishError, CuratorError
        """
        from .signin import connect

        found = self.curation.get_account(account)
        self.secrets.check()  # before the browser: the tokens must have somewhere to go
        handle = connect(found, self.secrets, client_id=client_id, client_secret=client_secret,
                         open_browser=open_browser, timeout=timeout, session=session,
                         redirect_port=redirect_port, cancel=cancel)
        if handle and handle != found.handle:
            self.curation.update_account(found.id, handle=handle)
        self.mark_account_reconnected(found.id)
        return handle

    # ---- fill my week (curator.planning: the mix rules) ----------------------------------

    def fill_week_candidates(self, limit: int = 200) -> list[Candidate]:
        """Starred or annotated items not yet shared (no post about them is scheduled, being
        published or published), newest first, at most `limit` of each kind; each with the
        text its post would say: the item's commentary, else its title and link."""
        shared = self._shared_item_ids()
        roles = {f.id: f.role for f in self.list_feeds()}
        found: dict[int, Item] = {}
        for query in (ItemQuery(starred=True), ItemQuery(annotated=True)):
            for item in self.list_items(query, limit=limit).items:
                if item.id not in shared:
                    found.setdefault(item.id, item)
        out = []
        for item in found.values():
            note = self.annotation(item.id)
            out.append(Candidate(
                item_id=item.id, title=item.title, link=item.link, feed_id=item.feed_id,
                source=item.feed_title, role=roles.get(item.feed_id, Role.THIRD_PARTY),
                date=item.date, starred=item.starred, annotated=note is not None,
                text=post_text(note.commentary if note else None, item.title, item.link)))
        return out

    def _shared_item_ids(self) -> set[int]:
        # Items with a post (from a draft about them) on its way or out: already shared.
        rows = self.storage.db.conn.execute(
            "SELECT DISTINCT d.item_id FROM posts p JOIN drafts d ON d.id = p.draft_id"
            " WHERE d.item_id IS NOT NULL"
            " AND p.state IN ('scheduled', 'publishing', 'published')").fetchall()
        return {r[0] for r in rows}

    def booked_posts(self, accounts: Iterable[int | str], start: datetime, end: datetime
                     ) -> list[Booked]:
        """The accounts' posts around [start, end) (queued or published), with the role and
        feed of their item, so the mix rules count them (curator.planning.mix_problems)."""
        from .types import PostState

        account_ids = {self.curation.account_id(a) for a in accounts}
        near = timedelta(days=14)
        posts = [p for p in self.list_queue()
                 if p.state in (PostState.SCHEDULED, PostState.PUBLISHING)]
        posts += self.history(200)
        drafts: dict[int, tuple[Role | None, int | None]] = {}
        booked = []
        for post in posts:
            at = post.published_at or post.scheduled_at
            if post.account_id not in account_ids or not start - near <= at < end + near:
                continue
            if post.draft_id is not None and post.draft_id not in drafts:
                drafts[post.draft_id] = self._draft_mix(post.draft_id)
            role, feed_id = drafts.get(post.draft_id or -1, (None, None))
            booked.append(Booked(post.account_id, at, role, feed_id))
        return booked

    def _draft_mix(self, draft_id: int) -> tuple[Role | None, int | None]:
        try:
            draft = self.curation.get_draft(draft_id)
        except CuratorError:
            return None, None
        feed_id = None
        if draft.item_id is not None:
            try:
                feed_id = self.storage.get_item(draft.item_id).feed_id
            except ItemNotFoundError:
                pass
        return draft.item_role, feed_id

    def propose_week(
        self,
        accounts: Sequence[int | str],
        start: datetime,
        end: datetime,
        *,
        max_own_share: float | None = None,
        rng: random.Random | None = None,
    ) -> list[Placement]:
        """Fill my week: place starred and annotated items not yet shared in the accounts'
        free slots in [start, end) with a healthy mix (see curator.planning): at most
        `max_own_share` own-company posts (default: the "mix_max_own_share" setting, 1/3),
        never the same source twice in a row on one account, competitors and third parties
        spread out; starred and annotated first, newest first. Nothing is queued: pass the
        placements (edited or not) to accept_proposal.

        Raises:
            AccountNotFoundError, CuratorError (no account, times without a time zone, a
            share outside 0..1).
        """
        chosen: dict[int, Account] = {}
        for account in accounts:
            found = self.curation.get_account(account)
            chosen.setdefault(found.id, found)
        if not chosen:
            raise CuratorError("Choose at least one account to fill the week for.")
        if start.tzinfo is None or end.tzinfo is None:
            raise CuratorError("The week's start and end need a time zone.")
        if end <= start:
            raise CuratorError("The week must end after it starts.")
        share = self.get_setting("mix_max_own_share") if max_own_share is None \
            else max_own_share
        slots = [FreeSlot(a.id, a.name, at) for a in chosen.values()
                 for at in self.free_slots(a.id, start, end)]
        return propose(self.fill_week_candidates(), slots,
                       booked=self.booked_posts(set(chosen), start, end),
                       max_own_share=share, rng=rng)

    def check_proposal(self, placements: Sequence[Placement]) -> list[tuple[int, str]]:
        """(row, one sentence) for each placement that accept_proposal would refuse: its
        account or item is gone, the item is shared already (or twice in the proposal), its
        time has passed, or its text is empty or too long for the network."""
        from ._publishing import final_text

        shared = self._shared_item_ids()
        seen: set[int] = set()
        problems: list[tuple[int, str]] = []
        now = self.now()
        for row, placed in enumerate(placements):
            try:
                if placed.at.tzinfo is None:
                    raise CuratorError("Its time has no time zone.")
                if placed.at < now - timedelta(minutes=1):
                    raise CuratorError("Its time has passed: choose a later one.")
                if placed.item_id in shared:
                    raise CuratorError("This item is already shared.")
                if placed.item_id in seen:
                    raise CuratorError("This item is in the proposal twice.")
                seen.add(placed.item_id)
                account = self.curation.get_account(placed.account_id)
                item = self.storage.get_item(placed.item_id)
                # The draft accept_proposal would make, in memory: the same text checks.
                draft = Draft(
                    id=0, item_id=item.id, item_role=placed.role, item_link=item.link,
                    item_title=item.title, item_source=item.feed_title,
                    item_author=item.author, text=placed.text, template_id=None,
                    created_at=now, updated_at=now)
                approved = self.approved_content(item.id)
                if approved is not None:  # its networks, expiry and disclaimer
                    account = self._approved_settings(approved, account, placed.at,
                                                      disclaimer=True)
                final_text(draft, account)
            except CuratorError as e:
                problems.append((row, str(e)))
        return problems

    def accept_proposal(
        self, placements: Sequence[Placement], *, skip_failing: bool = False
    ) -> list[Post]:
        """Queue a proposal: for each placement a draft about its item with its text, queued
        for its account at its time. All or nothing: when any row would be refused (see
        check_proposal) nothing is queued and ProposalError lists the rows and why, unless
        `skip_failing` (the user said so) queues the others.

        Raises:
            ProposalError
        """
        problems = self.check_proposal(placements)
        if problems and not skip_failing:
            raise ProposalError(problems)
        refused = {row for row, _ in problems}
        drafts: list[int] = []
        try:
            entries = []
            for row, placed in enumerate(placements):
                if row in refused:
                    continue
                draft = self.new_draft(item_id=placed.item_id, text=placed.text)
                drafts.append(draft.id)
                account = self.curation.get_account(placed.account_id)
                try:
                    entries.append(self._queue_entry(draft, account, placed.at,
                                                     disclaimer=True, thread=False))
                except CuratorError as e:
                    raise ProposalError([(row, str(e))]) from e
            # One transaction: every post of the proposal is queued, or none.
            return self.publisher.queue_many(entries, self.now()) if entries else []
        except BaseException:
            for draft_id in drafts:  # nothing queued: the drafts made for it go too
                self.curation.set_deleted(draft_id, True)
            raise

    # ---- analytics (curator.analytics: the arithmetic; curator._analytics: storage) -------

    @property
    def analytics_store(self) -> AnalyticsStore:
        if self._analytics is None:
            self._analytics = AnalyticsStore(self.storage.db)
        return self._analytics

    def fetch_metrics(
        self,
        post_ids: Sequence[int] | None = None,
        *,
        now: datetime | None = None,
        session: Any = None,
        secrets: Any = None,
        _connector_for: Callable[[Account], Any] | None = None,
    ) -> list[MetricsSnapshot]:
        """Fetch the engagement counts of published posts from their networks: the named
        posts (always), or with None every post whose refresh is due (curator.analytics.
        metrics_due: about 1 h, 24 h and 7 days after publishing; posts older than
        analytics.DUE_HORIZON only on demand). Each answer is stored as a new snapshot (the
        history is kept) and returned.

        One post's failure is a snapshot with `unavailable` set, never an exception: counts
        the network does not give this account, or a post deleted there, are stored so (shown
        as "not available", never 0); a passing fault (network down, 429, 5xx, a refused
        sign-in, no keyring) is returned but not stored, so the next run tries again.
        `session`, `secrets`: as publish_due; `_connector_for` stands in for
        curator.connectors.connector_for (tests).

        Raises:
            PostNotFoundError, PostStateError (a named post that is not published), StorageError
        """
        from . import analytics
        from .connectors.base import Failure, PublishError

        when = _utc(now, "time") if now is not None else self.now()
        store = self.analytics_store
        if post_ids is None:
            candidates = store.measurable(when - analytics.DUE_HORIZON)
            times = store.fetch_times([p.id for p in candidates])
            chosen = [p for p in candidates if p.published_at is not None
                      and analytics.metrics_due(p.published_at, times[p.id], when)]
        else:
            chosen = store.posts(post_ids)
            for post in chosen:
                if post.state != "published" or not post.remote_id:
                    raise PostStateError(f"Post {post.id} is not published: it has no "
                                         "engagement to fetch.")
        make = _connector_for or self._connector_factory(session, secrets)

        connectors: dict[int, Any] = {}
        out: list[MetricsSnapshot] = []
        for post in chosen:
            keep = True
            try:
                if post.account_id is None:
                    raise PublishError("The account was removed: its posts' engagement cannot "
                                       "be fetched.", Failure.RETRYABLE)
                connector = connectors.get(post.account_id)
                if connector is None:
                    account = self.curation.get_account(post.account_id)
                    connector = connectors[post.account_id] = make(account)
                got = connector.metrics(post.remote_id or "", post.remote_url)
                snapshot = MetricsSnapshot(
                    post.id, when, likes=got.likes, reposts=got.reposts, replies=got.replies,
                    quotes=got.quotes, impressions=got.impressions, unavailable=got.unavailable)
            except PublishError as e:
                keep = e.failure is Failure.PERMANENT  # no connector, post deleted: lasting
                snapshot = MetricsSnapshot(post.id, when, unavailable=str(e))
            except CuratorError as e:  # the account or the keyring could not be read
                keep = False
                snapshot = MetricsSnapshot(post.id, when, unavailable=str(e))
            except Exception as e:  # noqa: BLE001 - one connector's bug must not stop the rest
                keep = False
                snapshot = MetricsSnapshot(post.id, when, unavailable=f"{type(e).__name__}: {e}")
            if keep:
                store.add_metrics([snapshot])
            out.append(snapshot)
        return out

    def next_metrics_due(self, now: datetime | None = None) -> datetime | None:
        """When fetch_metrics() next has a post due (for a wake-up timer): the earliest
        refresh point not fetched yet of the posts within analytics.DUE_HORIZON. May be in
        the past: fetch now. None: nothing to fetch."""
        from . import analytics

        when = _utc(now, "time") if now is not None else self.now()
        store = self.analytics_store
        posts = store.measurable(when - analytics.DUE_HORIZON)
        times = store.fetch_times([p.id for p in posts])
        points = [analytics.next_refresh(p.published_at, times[p.id]) for p in posts
                  if p.published_at is not None]
        return min((p for p in points if p is not None), default=None)

    def _connector_factory(self, session: Any, secrets: Any) -> Callable[[Account], Any]:
        from .connectors import connector_for

        keys = secrets if secrets is not None else _LazySecrets(self)
        return lambda account: connector_for(account, keys, session=session)

    def metrics_history(self, post_id: int) -> list[MetricsSnapshot]:
        """Every stored snapshot of a post's counts, oldest first.

        Raises:
            PostNotFoundError
        """
        self.analytics_store.posts([post_id])
        return self.analytics_store.metrics_history(post_id)

    def latest_metrics(self, post_ids: Sequence[int] | None = None
                       ) -> dict[int, MetricsSnapshot]:
        """The newest snapshot of each post that has one (of `post_ids`; None: every post)."""
        return self.analytics_store.latest_metrics(post_ids)

    def add_outcome(self, post_id: int, kind: str, *, note: str = "",
                    value: float | None = None, happened_at: datetime | None = None
                    ) -> PostOutcome:
        """Log something that came of a post: one of types.OUTCOME_KINDS ("prospect_reply",
        "meeting", "lead", "referral", "other"). `value` None: the kind's value (values());
        a value given here overrides it for this outcome. `happened_at` default: now.

        Raises:
            PostNotFoundError, CuratorError (an unknown kind, a negative value, a time with no
            time zone)
        """
        from . import analytics

        key = analytics.check_kind(kind)
        amount = None if value is None else analytics.check_amount(value, "The value")
        at = _utc(happened_at, "time") if happened_at is not None else self.now()
        return self.analytics_store.add_outcome(post_id, key, (note or "").strip(), amount,
                                                at, self.now())

    def list_outcomes(self, post_id: int | None = None) -> list[PostOutcome]:
        """The outcomes of a post (None: of every post), in the order they happened."""
        return self.analytics_store.list_outcomes(post_id)

    def remove_outcome(self, outcome_id: int) -> PostOutcome:
        """Delete an outcome; returns it as it was.

        Raises:
            OutcomeNotFoundError (curator._analytics)
        """
        return self.analytics_store.remove_outcome(outcome_id)

    def values(self) -> dict[str, float]:
        """The value of each interaction and outcome: types.DEFAULT_VALUES with the user's
        changes (setting "values")."""
        from . import analytics

        return analytics.merge_values(self.get_setting("values"))

    def set_values(self, changes: Mapping[str, float | None]) -> dict[str, float]:
        """Change the values of some kinds ({"lead": 150}); None puts a kind back to its
        default. Returns values().

        Raises:
            CuratorError: an unknown kind, or a value that is not a number 0 or more.
        """
        from . import analytics
        from .types import DEFAULT_VALUES

        checked = analytics.check_values(changes)
        stored = self.get_setting("values")
        overrides = {k: v for k, v in stored.items() if k in DEFAULT_VALUES} \
            if isinstance(stored, dict) else {}
        for kind, value in checked.items():
            if value is None:
                overrides.pop(kind, None)
            else:
                overrides[kind] = value
        self.set_setting("values", overrides or None)
        return self.values()

    def mix_target(self) -> dict[str, float]:
        """The content mix the user aims at (setting "mix_target"): shares of own,
        third-party, competitor and approved posts adding up to 1; default 0.2 / 0.6 / 0.1 /
        0.1."""
        from . import analytics

        stored = self.get_setting("mix_target")
        if isinstance(stored, dict):
            try:
                return analytics.check_mix_target(stored)
            except CuratorError:  # edited badly by hand: the default is the sane answer
                pass
        return dict(analytics.DEFAULT_MIX_TARGET)

    def set_mix_target(self, target: Mapping[str, float] | None) -> dict[str, float]:
        """Set the content-mix target (shares 0..1 adding up to 1, missing keys 0; None: back
        to the default). Returns mix_target().

        Raises:
            CuratorError: an unknown key, a share outside 0..1, shares not adding up to 1.
        """
        from . import analytics

        checked = None if target is None else analytics.check_mix_target(target)
        self.set_setting("mix_target", checked)
        return self.mix_target()

    def content_mix(self, now: datetime | None = None) -> ContentMix:
        """Shares of own / third-party / competitor / approved / none posts published in the
        last 30 days and queued for the coming 7, against mix_target(). too_promotional: the
        coming week's own share is over the target's own share (the nudge for the composer
        and fill my week; the "mix_max_own_share" setting stays fill my week's hard rule)."""
        from . import analytics

        when = _utc(now, "time") if now is not None else self.now()
        store = self.analytics_store
        past = [p.role for p in store.published(when - analytics.MIX_WINDOW_PAST, when)]
        ahead = [p.role for p in store.waiting(when, when + analytics.MIX_WINDOW_AHEAD)]
        target = self.mix_target()
        coming = analytics.mix_shares(ahead)
        return ContentMix(
            last_30_days=analytics.mix_shares(past), coming_week=coming, target=target,
            too_promotional=analytics.too_promotional(coming, target),
            last_30_days_counts=analytics.mix_counts(past),
            coming_week_counts=analytics.mix_counts(ahead))

    def _post_facts(self, start: datetime | None, end: datetime | None) -> list[Any]:
        from . import analytics

        store = self.analytics_store
        posts = store.published(start, end)
        ids = [p.id for p in posts]
        latest = store.latest_metrics(ids)
        outcomes = store.outcomes_by_post(ids)
        return [analytics.PostFacts(
            p.id, p.published_at or p.scheduled_at, p.account, p.source or "",
            analytics.role_key(p.role), latest.get(p.id), tuple(outcomes.get(p.id, ())))
            for p in posts]

    def stats(self, start: datetime | None = None, end: datetime | None = None, *,
              now: datetime | None = None, zone: Any = None) -> Stats:
        """Totals of the posts published in [start, end) (None: from the first, to the last):
        per week (from Monday) and month with no gaps (from `start` to `end` or now when a
        start is given), per account, per source feed (by title; "" for posts about no
        item), per role, and overall. Counts are each post's latest snapshot; a post whose
        counts are unavailable or not fetched adds none (it is counted in `unavailable` /
        `unmeasured`); value = counts x values() + outcomes. `zone`: a tzinfo for the weeks'
        and months' edges (default UTC).

        Raises:
            CuratorError: a time with no time zone.
        """
        from . import analytics

        start = _utc(start, "start") if start is not None else None
        end = _utc(end, "end") if end is not None else None
        facts = self._post_facts(start, end)
        values = self.values()
        edge = zone or UTC
        until = end if end is not None else \
            ((_utc(now, "time") if now is not None else self.now()) if start else None)
        return Stats(
            start=start, end=end,
            weeks=analytics.periods(facts, values, start=start, end=until, zone=edge),
            months=analytics.periods(facts, values, monthly=True, start=start, end=until,
                                     zone=edge),
            per_account=analytics.group_totals(facts, values, "account"),
            per_feed=analytics.group_totals(facts, values, "feed"),
            per_role=analytics.role_totals(facts, values),
            total=analytics.totals(facts, values))

    def source_ranking(self, start: datetime | None = None, end: datetime | None = None
                       ) -> list[SourceScore]:
        """The feeds whose items were shared in [start, end), best first: by the value of
        the posts made from them, then by their engagement, then by how many."""
        from . import analytics

        start = _utc(start, "start") if start is not None else None
        end = _utc(end, "end") if end is not None else None
        store = self.analytics_store
        posts = [p for p in store.published(start, end) if p.feed_id is not None or p.source]
        ids = [p.id for p in posts]
        latest = store.latest_metrics(ids)
        outcomes = store.outcomes_by_post(ids)
        values = self.values()
        groups: dict[tuple[int | None, str], list[Any]] = {}
        for p in posts:
            key = (p.feed_id, "" if p.feed_id is not None else p.source or "")
            groups.setdefault(key, []).append(p)
        scores = []
        for (feed_id, _), members in groups.items():
            value = engagement = 0.0
            for p in members:
                m = latest.get(p.id)
                value += analytics.post_value(m, outcomes.get(p.id, ()), values)
                engagement += (m.engagement or 0) if m is not None else 0
            last = members[-1]  # the newest post's title and role
            scores.append(SourceScore(feed_id, last.source or "", last.role, len(members),
                                      int(engagement), value))
        scores.sort(key=lambda s: (-s.value, -s.engagement, -s.posts, s.title.lower()))
        return scores

    def followers(self, account: int | str) -> int | None:
        """The account's latest follower count (from the network or entered); None: unknown.

        Raises:
            AccountNotFoundError
        """
        found = self.analytics_store.latest_followers(self.curation.account_id(account))
        return found.count if found else None

    def followers_history(self, account: int | str) -> list[FollowerCount]:
        """Every follower count of the account, oldest first.

        Raises:
            AccountNotFoundError
        """
        return self.analytics_store.followers_history(self.curation.account_id(account))

    def set_followers(self, account: int | str, count: int) -> None:
        """Enter the account's follower count by hand (networks that do not say).

        Raises:
            AccountNotFoundError, CuratorError (not a whole number 0 or more)
        """
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise CuratorError("The number of followers must be a whole number, 0 or more.")
        self.analytics_store.add_followers(self.curation.account_id(account), count,
                                           "entered", self.now())

    def fetch_followers(self, account: int | str, *, session: Any = None, secrets: Any = None,
                        _connector_for: Callable[[Account], Any] | None = None) -> int | None:
        """Ask the network for the account's follower count and keep it (None: the network
        does not say; nothing is stored).

        Raises:
            AccountNotFoundError, PublishError, KeyringUnavailableError
        """
        found = self.curation.get_account(account)
        make = _connector_for or self._connector_factory(session, secrets)
        count = make(found).followers()
        if count is not None:
            self.analytics_store.add_followers(found.id, int(count), "network", self.now())
        return None if count is None else int(count)

    def post_reach(self, post_id: int) -> int | None:
        """An estimate of how many people a post reached (analytics.reach_estimate): its
        impressions when the network counts them, else its account's followers.

        Raises:
            PostNotFoundError
        """
        from . import analytics

        [post] = self.analytics_store.posts([post_id])
        followers = None
        if post.account_id is not None:
            latest = self.analytics_store.latest_followers(post.account_id)
            followers = latest.count if latest else None
        m = self.analytics_store.latest_metrics([post_id]).get(post_id)
        impressions = m.impressions if m is not None and m.unavailable is None else None
        return analytics.reach_estimate(followers, impressions)

    def what_if(self, people: int, contacts_each: int, networks_each: int,
                click_rate: float, engagement_rate: float) -> WhatIf:
        """The team what-if calculator (curator.analytics.what_if)."""
        from . import analytics

        return analytics.what_if(people, contacts_each, networks_each, click_rate,
                                 engagement_rate)

    def export_csv(self, path: Path | str) -> int:
        """Write every published post, oldest first, with its latest counts, outcomes and
        value to a CSV file (UTF-8 with a BOM, so Excel reads accents; cells a spreadsheet
        would run as a formula are prefixed with '). Returns how many rows (posts).

        Raises:
            CuratorError: the file cannot be written.
        """
        from . import analytics

        store = self.analytics_store
        posts = store.published()
        ids = [p.id for p in posts]
        latest = store.latest_metrics(ids)
        outcomes = store.outcomes_by_post(ids)
        values = self.values()
        rows: list[list[object]] = [list(analytics.CSV_COLUMNS)]
        for p in posts:
            m = latest.get(p.id)
            done = outcomes.get(p.id, [])
            counts: list[object] = ["", "", "", "", ""]
            unavailable = "Not fetched yet."
            if m is not None:
                counts = ["" if c is None else c
                          for c in (m.likes, m.reposts, m.replies, m.quotes, m.impressions)]
                unavailable = m.unavailable or ""
            rows.append([
                p.id, p.account, p.network, _iso_z(p.published_at), p.remote_url or "",
                (p.text.splitlines() or [""])[0], p.item_title or "", p.source or "",
                analytics.role_key(p.role), *counts, unavailable, len(done),
                sum(analytics.outcome_value(o, values) for o in done),
                analytics.post_value(m, done, values)])
        target = Path(path)
        tmp = target.with_name(f".{target.name}.tmp")
        try:  # all or nothing: a spreadsheet never opens half a file
            tmp.write_bytes(analytics.csv_bytes(rows))
            os.replace(tmp, target)
        except OSError as e:
            tmp.unlink(missing_ok=True)
            raise CuratorError(f"Cannot write {target}: {e.strerror or e}.") from e
        return len(posts)

    # ---- images and favicons -------------------------------------------------------------

    def _asset_fetcher(self) -> Fetcher:
        from ._images import asset_fetcher

        with self._fetcher_lock:
            if self._assets is None:
                self._assets = asset_fetcher(self.fetch_settings)
            return self._assets

    def fetch_image(self, url: str) -> bytes:
        """Download one image of an item (only when the user allowed remote images).

        Raises:
            FetchError: not http(s), unreachable, not an image, or over the size cap (5 MB).
        """
        from ._images import fetch_image

        return fetch_image(self._asset_fetcher(), url)

    def fetch_images(self, urls: Sequence[str]) -> dict[str, bytes]:
        """Download several images at once; the ones that fail are left out."""
        from concurrent.futures import ThreadPoolExecutor

        unique = list(dict.fromkeys(urls))
        if not unique:
            return {}

        def one(url: str) -> tuple[str, bytes | None]:
            try:
                return url, self.fetch_image(url)
            except FeedError:
                return url, None

        with ThreadPoolExecutor(max_workers=min(4, len(unique))) as pool:
            return {url: data for url, data in pool.map(one, unique) if data is not None}

    def favicon(self, feed: int | str) -> bytes | None:
        """The feed's site icon from the cache (no network), or None when not known (yet)."""
        from ._favicon import FaviconCache, site_origin

        f = self.get_feed(feed)
        origin = site_origin(f.site_url) or site_origin(f.url)
        return FaviconCache(self.data_dir / FAVICONS_DIR).get(origin) if origin else None

    def fetch_favicons(
        self,
        feeds: Sequence[int | str] | None = None,
        *,
        cancel: threading.Event | None = None,
    ) -> int:
        """Look up the site icons not in the cache yet (a site found without one is asked
        again after a week). Sites that cannot be reached are simply tried another time.
        Returns how many icons were found.
        """
        from concurrent.futures import ThreadPoolExecutor

        from ._favicon import FaviconCache, Unreachable, find_favicon, site_origin

        cache = FaviconCache(self.data_dir / FAVICONS_DIR)
        if feeds is None:
            chosen = self.list_feeds()
        else:
            chosen = []
            for wanted in feeds:
                try:
                    chosen.append(self.get_feed(wanted))
                except FeedNotFoundError:
                    continue  # removed meanwhile: no icon to look for
        pages: dict[str, str] = {}  # origin -> the page to look for its icon on
        now = self.now()
        for f in chosen:
            site = f.site_url if site_origin(f.site_url) else None
            origin = site_origin(site) or site_origin(f.url)
            if origin and origin not in pages and cache.needs_fetch(origin, now):
                pages[origin] = site or origin + "/"
        if not pages:
            return 0
        fetcher = self._asset_fetcher()

        def one(origin: str) -> bool:
            if cancel is not None and cancel.is_set():
                return False
            try:
                icon = find_favicon(fetcher, pages[origin])
            except Unreachable:
                return False
            if icon is None:
                cache.store_missing(origin, self.now())
                return False
            cache.store(origin, icon)
            return True

        with ThreadPoolExecutor(max_workers=min(8, len(pages))) as pool:
            return sum(pool.map(one, list(pages)))



class _LazySecrets:
    """curator.secrets.SecretStore, touched only when a connector asks for a secret."""

    def __init__(self, app: Curator):
        self._app = app

    def get(self, account_id: int, kind: str) -> str | None:
        return self._app.secrets.get(account_id, kind)


def _network_title(network: Network) -> str:
    return {"x": "X", "linkedin": "LinkedIn"}.get(network.value, network.value.capitalize())


def _utc(d: datetime, what: str) -> datetime:
    if d.tzinfo is None or d.utcoffset() is None:
        raise CuratorError(f"The {what} needs a time zone (for example 2024-06-01T09:00+02:00).")
    return d.astimezone(UTC).replace(microsecond=0)


def _iso_z(d: datetime | None) -> str:
    return d.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if d else ""


def _pack_url(url_or_path: str) -> str:
    """A pack's URL: http(s) as it is, a local path (or file:// URL) as an absolute file://."""
    from urllib.parse import urlsplit
    from urllib.request import url2pathname

    from .errors import InvalidFeedURLError

    text = url_or_path.strip()
    scheme = urlsplit(text).scheme.lower()
    if scheme in ("http", "https", "feed"):
        return check_url(text)
    path = Path(url2pathname(urlsplit(text).path)) if scheme == "file" else Path(text)
    path = path.expanduser()
    if not path.is_file():
        raise InvalidFeedURLError(f"{text!r} is neither an http(s) URL nor a file.")
    return path.resolve().as_uri()


def _file_name(title: str) -> str:
    import re

    return re.sub(r"[^\w.-]+", "-", title.strip(), flags=re.UNICODE).strip("-.")[:80] or "pack"


def _clean_folder(folder: str | None) -> str | None:
    if folder is None:
        return None
    parts = [p.strip() for p in folder.replace("\\", "/").split("/") if p.strip()]
    return "/".join(parts) or None
