"""Curator's exceptions: one root, domain subclasses that also inherit the builtin they resemble."""

from __future__ import annotations


class CuratorError(Exception):
    """Root of every error Curator raises on purpose. str(e) is one sentence for the user."""


class StorageError(CuratorError):
    """The database cannot be opened, read or written (locked, corrupt, disk full)."""


class FeedError(CuratorError):
    """A problem with one feed (fetching, parsing, subscribing)."""


class InvalidFeedURLError(FeedError, ValueError):
    """The URL is not an http(s) URL or a local file path Curator can read."""


class FeedExistsError(FeedError):
    """The feed is already subscribed."""


class FeedNotFoundError(FeedError, LookupError):
    """No subscription has that id or URL."""


class NotAFeedError(FeedError):
    """The document is neither a feed nor a page that links to one."""


class FetchError(FeedError):
    """The HTTP request failed: network, status code, size or time limit."""


class ParseError(FeedError):
    """The body could not be read as RSS, Atom or JSON Feed."""


class PackError(FeedError, ValueError):
    """A content pack breaks its format (docs/content-pack.md): the message names the item
    and the field, e.g. 'item 3 (id "q4-report"): _curator.expires: not an RFC 3339 date'."""


class ItemNotFoundError(CuratorError, LookupError):
    """No item has that id."""


class OPMLError(CuratorError, ValueError):
    """The file is not OPML Curator can read at all."""


class InvalidSearchError(CuratorError, ValueError):
    """The search query cannot be understood."""


class WatchTermError(CuratorError, ValueError):
    """A watch-list term cannot be used (a /regular expression/ that does not compile, an
    empty term); the message names the term."""


class WatchListNotFoundError(CuratorError, LookupError):
    """No watch list has that id or name."""


class WatchListExistsError(CuratorError):
    """Another watch list already has that name."""


class AccountNotFoundError(CuratorError, LookupError):
    """No account has that id or name."""


class AccountExistsError(CuratorError):
    """Another account already has that name."""


class TemplateError(CuratorError, ValueError):
    """A template cannot be used: an unknown placeholder, or a stray brace."""


class TemplateNotFoundError(CuratorError, LookupError):
    """No template has that id or name."""


class TemplateExistsError(CuratorError):
    """The segment already has a template with that name."""


class DraftNotFoundError(CuratorError, LookupError):
    """No draft has that id."""


class KeyringUnavailableError(CuratorError):
    """No OS keyring can be reached (none installed, no D-Bus session, or it stays locked).
    Curator never falls back to storing secrets anywhere else."""


class PostNotFoundError(CuratorError, LookupError):
    """No queued post has that id."""


class PostStateError(CuratorError):
    """The post cannot do that in its state (cancel a published post, retry a scheduled one)."""
