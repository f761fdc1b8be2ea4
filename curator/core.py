"""The facade the CLI and the UI share: one Curator per data directory."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from . import _update
from ._curation import CurationStore
from ._fetch import Fetcher, FetchSettings, check_url
from ._parser import parse_feed, sniff
from ._publishing import Publisher
from ._sanitize import plain
from ._storage import FeedSnapshot, ItemQuery, Storage
from .errors import (
    CuratorError,
    FeedError,
    FeedExistsError,
    FeedNotFoundError,
    ItemNotFoundError,
    NotAFeedError,
)
from .secrets import SecretStore  # cheap: keyring itself is imported on first use
from .types import (
    Account,
    AddFeedResult,
    Annotation,
    Draft,
    Feed,
    FeedOutcome,
    ImportResult,
    Item,
    ItemPage,
    Network,
    Post,
    PublishOutcome,
    RefreshResult,
    Role,
    Template,
    Variant,
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
            outcome = _update.store_one(self.storage, db, retrieved, self.now())
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
        return RefreshResult(result.feeds + skipped, result.seconds, result.cancelled)

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
    ) -> Account:
        """Add a posting profile. `api_base` is the Mastodon instance, the Bluesky PDS or the
        API base URL ("mastodon.social" means https://mastodon.social); hashtags are stored
        without "#"; UTM tags are left off links to `utm_skip_domains` (and subdomains).
        `secret` (the network's token, app password or webhook signing secret, see
        curator.secrets.PRIMARY_KIND) goes to the OS keyring only; when the keyring cannot be
        reached nothing is written at all. Network options: `language` (a BCP 47 tag such as
        "es", sent as Mastodon's language and Bluesky's langs), `visibility` and
        `server_schedule` (Mastodon), `api_version` (LinkedIn-Version, YYYYMM).

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
            visibility=visibility, server_schedule=server_schedule, api_version=api_version)
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
    ) -> Account:
        """Change an account (by id or name). None leaves a setting as it is; "" clears a
        text, 0 clears char_limit (the network's own) and default_template_id.

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
            visibility=visibility, server_schedule=server_schedule, api_version=api_version)

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
        self, *, item_id: int | None = None, text: str = "", template_id: int | None = None
    ) -> Draft:
        """Start a draft, blank or about an item: the item's link, title, source, author and
        its feed's role now are copied into the draft (they stay if the item goes).

        Raises:
            ItemNotFoundError, TemplateNotFoundError
        """
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

    # ---- publishing (curator._publishing: exactly once) -----------------------------------

    @property
    def publisher(self) -> Publisher:
        if self._publisher is None:
            self._publisher = Publisher(self.storage.db)
        return self._publisher

    def queue_post(self, draft_id: int, account: int | str, at: datetime, *,
                   disclaimer: bool = True, thread: bool = False) -> Post:
        """Schedule the draft for an account at `at` (timezone-aware; stored in UTC). The
        text is final now: the account's variant (else the draft's text) with the link,
        hashtags and disclaimer, counted as the network counts it. `disclaimer=False` leaves
        out an optional disclaimer; `thread=True` splits a post over the limit into a thread
        of replies (X, Bluesky, Mastodon). The link card gets the item's summary and first
        picture; the post's language is the account's.

        Raises:
            DraftNotFoundError, AccountNotFoundError, CuratorError (deleted draft, empty or
            over the network's limit, a time with no time zone).
        """
        from . import compose
        from ._publishing import final_text

        draft = self.curation.get_draft(draft_id)
        if draft.deleted_at is not None:
            raise CuratorError(f"Draft {draft_id} is deleted: undelete it before queuing it.")
        found = self.curation.get_account(account)
        final = final_text(draft, found, disclaimer=disclaimer, thread=thread)
        description = thumbnail = None
        if final.link and draft.item_id is not None:
            try:
                item = self.storage.get_item(draft.item_id)
            except ItemNotFoundError:  # removed with its feed since: a card from the title
                item = None
            if item is not None:
                description = compose.card_description(item.summary or item.content)
                thumbnail = compose.card_image(item.content, item.summary)
        return self.publisher.queue(draft, found, final.text, at, self.now(), link=final.link,
                                    thread=final.thread, description=description,
                                    thumbnail_url=thumbnail)

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
    ) -> list[PublishOutcome]:
        """Send every post due at `now` (default: the clock) exactly once, even with other
        processes doing the same; first recover posts a crashed process left half-sent.
        Failures are outcomes (retry later, failed, needs attention), never exceptions.
        `session`: a requests.Session; `secrets`: anything with get(account_id, kind)
        (default: the OS keyring, read only when a connector needs a secret).

        Raises:
            StorageError
        """
        from .connectors import connector_for

        store = secrets if secrets is not None else _LazySecrets(self)
        return self.publisher.publish_due(
            now or self.now(), self.curation.get_account,
            lambda account: connector_for(account, store, session=session))

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


def _clean_folder(folder: str | None) -> str | None:
    if folder is None:
        return None
    parts = [p.strip() for p in folder.replace("\\", "/").split("/") if p.strip()]
    return "/".join(parts) or None
