"""The sources tree: special lists, roles, nested folders and feeds, each mapped to an ItemQuery."""

from __future__ import annotations

import threading
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QFont, QIcon, QImage, QPixmap
from PySide6.QtWidgets import QApplication, QStyle

from curator import Curator, ItemQuery
from curator.errors import CuratorError
from curator.types import Feed, Role

from .models import IdRole, ItemRole, format_local
from .tasks import run_in_background

KeyRole = Qt.ItemDataRole.UserRole + 3  # the node's stable key, e.g. ("feed", 3)

SourceKey = tuple[str, Hashable]
ALL_KEY: SourceKey = ("special", "all")
UNREAD_KEY: SourceKey = ("special", "unread")
STARRED_KEY: SourceKey = ("special", "starred")
ROLES_KEY: SourceKey = ("group", "roles")
WATCH_KEY: SourceKey = ("group", "watch")

_Index = QModelIndex | QPersistentModelIndex
_NO_PARENT = QModelIndex()


def _tr(text: str) -> str:
    return QCoreApplication.translate("SourceTreeModel", text)


def load_sources(core: Curator) -> tuple[list[Feed], dict[str, int]]:
    """What the tree shows, read in one go (call it in the background: it queries the core)."""
    feeds = core.list_feeds()
    counts = {
        "unread": core.count_items(ItemQuery(unread=True)),
        "starred": core.count_items(ItemQuery(starred=True)),
    }
    return feeds, counts


@dataclass(frozen=True)
class WatchNode:
    """One watch list as the tree shows it: its unread matching items counted."""

    list_id: int
    name: str
    unread: int


def load_sources_and_watch(
    core: Curator,
) -> tuple[list[Feed], dict[str, int], list[WatchNode]]:
    """load_sources(), and the watch lists with their unread matches (in the background).
    counts gains "watched": the unread items matching any list (they may match several)."""
    feeds, counts = load_sources(core)
    lists = core.list_watch_lists()
    if not lists:
        return feeds, counts, []
    unread = core.watch_counts()
    counts["watched"] = core.count_items(ItemQuery(watched=True, unread=True))
    return feeds, counts, [WatchNode(w.id, w.name, unread.get(w.id, 0)) for w in lists]


class _Node:
    """One row of the tree; children are kept in display order."""

    __slots__ = ("key", "text", "count", "bold", "query", "feed", "parent", "row", "children")

    def __init__(
        self,
        key: SourceKey,
        text: str,
        query: ItemQuery,
        *,
        count: int = 0,
        bold: bool | None = None,
        feed: Feed | None = None,
    ):
        self.key = key
        self.text = text
        self.count = count
        self.bold = count > 0 if bold is None else bold
        self.query = query
        self.feed = feed
        self.parent: _Node | None = None
        self.row = 0
        self.children: list[_Node] = []

    def add(self, child: _Node) -> _Node:
        child.parent = self
        child.row = len(self.children)
        self.children.append(child)
        return child


def _shape(root: _Node) -> list[tuple[int, SourceKey]]:
    """The tree's rows as (depth, key) in display order: equal shapes differ only in data."""
    rows: list[tuple[int, SourceKey]] = []
    stack = [(0, child) for child in reversed(root.children)]
    while stack:
        depth, node = stack.pop()
        rows.append((depth, node.key))
        stack.extend((depth + 1, child) for child in reversed(node.children))
    return rows


_ROLE_NAMES = {
    Role.THIRD_PARTY: "Third-party",
    Role.COMPETITOR: "Competitors",
    Role.OWN: "Own",
    Role.APPROVED: "Approved",  # shown once a content pack is subscribed
}


class SourceTreeModel(QAbstractItemModel):
    """All items, Unread, Starred; the roles; then folders (nested by "/") holding their feeds.

    A pure view of data loaded elsewhere (set_data): it never calls the core. Every node has
    a stable key, so a view can find "the same" node again after a reload.
    """

    loaded = Signal()  # set_data() installed new data (feeds, counts, watch lists)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._feeds: list[Feed] = []
        self._watch: list[WatchNode] = []
        self._root = _Node(("root", None), "", ItemQuery())
        self._by_id: dict[int, _Node] = {}  # internalId -> node
        self._by_key: dict[SourceKey, _Node] = {}
        self._bold = QFont()
        self._bold.setBold(True)
        self._icons: dict[int, QIcon] = {}  # feed id -> its site's favicon
        self._build({})

    # ---- data ----------------------------------------------------------------------------

    def set_data(
        self,
        feeds: list[Feed],
        counts: dict[str, int],
        watch: Sequence[WatchNode] | None = None,
    ) -> None:
        """Show these feeds; counts holds "unread" and "starred" (of all items), and
        "watched" with watch lists (None: keep the lists shown now)."""
        self._feeds = list(feeds)
        if watch is not None:
            self._watch = list(watch)
        root = self._tree(counts)
        if _shape(root) == _shape(self._root):
            # Only counts, titles or states changed (every refresh): update the rows in place,
            # so the view keeps its scroll position, selection and folds.
            self._install(root)
            self._changed_everywhere(QModelIndex())
        else:
            self.beginResetModel()
            self._install(root)
            self.endResetModel()
        self.loaded.emit()

    def _changed_everywhere(self, parent: QModelIndex) -> None:
        rows = self.rowCount(parent)
        if rows:
            self.dataChanged.emit(self.index(0, 0, parent), self.index(rows - 1, 0, parent))
            for row in range(rows):
                self._changed_everywhere(self.index(row, 0, parent))

    def feeds(self) -> list[Feed]:
        return list(self._feeds)

    def watch_lists(self) -> list[WatchNode]:
        return list(self._watch)

    def set_icons(self, icons: dict[int, QIcon]) -> None:
        """Show these favicons next to their feeds (kept across set_data)."""
        self._icons.update(icons)
        for feed_id in icons:
            index = self.index_for_key(("feed", feed_id))
            if index.isValid():
                self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])

    def icon(self, feed_id: int) -> QIcon | None:
        return self._icons.get(feed_id)

    def _build(self, counts: dict[str, int]) -> None:
        self._install(self._tree(counts))

    def _tree(self, counts: dict[str, int]) -> _Node:
        feeds = self._feeds
        unread = counts.get("unread", sum(f.unread for f in feeds))
        root = _Node(("root", None), "", ItemQuery())
        root.add(_Node(ALL_KEY, _tr("All items"), ItemQuery(), count=unread))
        root.add(_Node(UNREAD_KEY, _tr("Unread"), ItemQuery(unread=True), count=unread))
        starred = counts.get("starred", 0)
        # Starred counts starred items, read or not: it is no call to read anything.
        root.add(
            _Node(STARRED_KEY, _tr("Starred"), ItemQuery(starred=True), count=starred, bold=False)
        )
        roles = root.add(_Node(ROLES_KEY, _tr("Roles"), ItemQuery(), bold=False))
        for role, name in _ROLE_NAMES.items():
            if role is Role.APPROVED and not any(f.role == role for f in feeds):
                continue  # no content pack subscribed: an empty group says nothing
            n = sum(f.unread for f in feeds if f.role == role)
            roles.add(_Node(("role", role.value), _tr(name), ItemQuery(role=role), count=n))
        if self._watch:
            # Unread items matching any list: one item matching two lists counts once.
            watch_group = root.add(_Node(WATCH_KEY, _tr("Watch"), ItemQuery(watched=True),
                                         count=counts.get("watched", 0)))
            for listed in self._watch:
                watch_group.add(_Node(("watch", listed.list_id), listed.name,
                                      ItemQuery(watch_list_id=listed.list_id),
                                      count=listed.unread))

        folders: dict[str, _Node] = {}

        def folder_node(path: str) -> _Node:
            if path in folders:
                return folders[path]
            parent_path, _, name = path.rpartition("/")
            parent = folder_node(parent_path) if parent_path else root
            node = parent.add(_Node(("folder", path), name, ItemQuery(folder=path)))
            folders[path] = node
            return node

        # Folders first (sorted by name at every level), then the feeds without one.
        paths = {f.folder for f in feeds if f.folder}
        for path in sorted(paths, key=lambda p: [part.casefold() for part in p.split("/")]):
            folder_node(path)
        loose = []
        for feed in feeds:
            node = _Node(
                ("feed", feed.id),
                feed.title or feed.url,
                ItemQuery(feed_id=feed.id),
                count=feed.unread,
                feed=feed,
            )
            if feed.folder:
                folder_node(feed.folder).add(node)
                parts = feed.folder.split("/")
                for depth in range(1, len(parts) + 1):
                    folders["/".join(parts[:depth])].count += feed.unread
            else:
                loose.append(node)
        for node in loose:
            root.add(node)
        for node in folders.values():
            node.bold = node.count > 0
            # Subfolders before feeds, whatever order they were added in.
            node.children.sort(key=lambda c: c.key[0] != "folder")
            for row, child in enumerate(node.children):
                child.row = row

        return root

    def _install(self, root: _Node) -> None:
        self._root = root
        self._by_id, self._by_key = {}, {}
        stack = list(root.children)
        while stack:
            node = stack.pop()
            self._by_id[len(self._by_id) + 1] = node
            self._by_key[node.key] = node
            stack.extend(node.children)
        self._ids = {id(node): node_id for node_id, node in self._by_id.items()}

    # ---- nodes, keys and queries ---------------------------------------------------------

    def _node(self, index: _Index) -> _Node:
        if not index.isValid():
            return self._root
        return self._by_id.get(index.internalId(), self._root)

    def _index_of(self, node: _Node) -> QModelIndex:
        if node is self._root:
            return QModelIndex()
        return self.createIndex(node.row, 0, self._ids[id(node)])

    def key_for(self, index: _Index) -> SourceKey:
        """The node's stable key; "All items" for an invalid index."""
        return self._node(index).key if index.isValid() else ALL_KEY

    def index_for_key(self, key: SourceKey) -> QModelIndex:
        """The node with this key now, or an invalid index when it is gone."""
        node = self._by_key.get(key)
        return self._index_of(node) if node is not None else QModelIndex()

    def query_for(self, index: _Index) -> ItemQuery:
        """The items this node lists (all items for an invalid index or the Roles group)."""
        return self._node(index).query

    # ---- QAbstractItemModel --------------------------------------------------------------

    def index(self, row: int, column: int = 0, parent: _Index = _NO_PARENT) -> QModelIndex:
        if column != 0 or row < 0:
            return QModelIndex()
        node = self._node(parent)
        if parent.isValid() and parent.column() != 0:
            return QModelIndex()
        if row >= len(node.children):
            return QModelIndex()
        return self._index_of(node.children[row])

    def parent(self, index: _Index = _NO_PARENT) -> QModelIndex:  # type: ignore[override]
        if not index.isValid():
            return QModelIndex()
        node = self._node(index)
        if node.parent is None:
            return QModelIndex()
        return self._index_of(node.parent)

    def rowCount(self, parent: _Index = _NO_PARENT) -> int:
        if parent.isValid() and parent.column() != 0:
            return 0
        return len(self._node(parent).children)

    def columnCount(self, parent: _Index = _NO_PARENT) -> int:
        return 1

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        node = self._node(index)
        feed = node.feed
        if role == Qt.ItemDataRole.DisplayRole:
            if not node.count:
                return node.text
            return _tr("{title} ({count})").format(title=node.text, count=node.count)
        if role == Qt.ItemDataRole.FontRole:
            return self._bold if node.bold else None
        if role == KeyRole:
            return node.key
        if feed is None:
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._feed_tooltip(feed)
        if role == Qt.ItemDataRole.DecorationRole:
            if feed.last_error:  # a failing feed's warning wins over its favicon
                return QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
            return self._icons.get(feed.id)
        if role == ItemRole:
            return feed
        if role == IdRole:
            return feed.id
        return None

    def _feed_tooltip(self, feed: Feed) -> str:
        lines = [feed.last_error or feed.url]
        if feed.disabled:
            lines.append(_tr("Disabled"))
        elif feed.last_error and feed.next_retry_at is not None:
            lines.append(_tr("Next retry: {when}").format(when=format_local(feed.next_retry_at)))
        return "\n".join(lines)


def read_favicons(core: Curator, feed_ids: Sequence[int]) -> dict[int, QImage]:
    """The cached favicons of these feeds, decoded (in the background: it reads files)."""
    images: dict[int, QImage] = {}
    for feed_id in feed_ids:
        try:
            data = core.favicon(feed_id)
        except CuratorError:
            continue  # removed meanwhile
        if data:
            image = QImage.fromData(data)
            if not image.isNull():
                images[feed_id] = image
    return images


class FaviconLoader(QObject):
    """Puts feeds' favicons in the sources tree: from the core's cache at once, and, once
    fetching has started, looked up on the sites in the background (once per feed and site
    address per session; the core also remembers sites without an icon for a week).
    """

    def __init__(self, core: Curator, model: SourceTreeModel, parent: QObject | None = None):
        super().__init__(parent)
        self.core = core
        self.model = model
        self.fetching = False
        self._read: set[int] = set()  # feeds whose cached icon was looked for
        self._asked: set[tuple[int, str | None]] = set()  # (feed, site) fetched for
        self._cancel = threading.Event()
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.cancel)  # quitting must not wait for slow sites

    def start_fetching(self) -> None:
        """Look up missing favicons on the network from now on (the app does; tests that
        must stay off the internet do not)."""
        self.fetching = True
        self.update(self.model.feeds())

    def cancel(self) -> None:
        self._cancel.set()

    def update(self, feeds: Sequence[Feed]) -> None:
        """Call after the sources (re)load: shows cached icons, fetches missing ones."""
        core = self.core
        unread = [f.id for f in feeds if f.id not in self._read]
        if unread:
            self._read.update(unread)
            self._read_icons(unread)
        if not self.fetching or self._cancel.is_set():
            return
        wanted = [f for f in feeds if (f.id, f.site_url) not in self._asked]
        if not wanted:
            return
        self._asked.update((f.id, f.site_url) for f in wanted)
        ids = [f.id for f in wanted]
        cancel = self._cancel
        run_in_background(
            lambda: core.fetch_favicons(ids, cancel=cancel),
            on_success=lambda found: self._fetched(ids, found),
            on_error=lambda _exc: None,  # favicons are decoration: no dialog for them
            parent=self,
        )

    def _fetched(self, ids: list[int], found: int) -> None:
        missing = [feed_id for feed_id in ids if self.model.icon(feed_id) is None]
        if found and missing:
            self._read_icons(missing)

    def _read_icons(self, ids: list[int]) -> None:
        core = self.core
        run_in_background(
            lambda: read_favicons(core, ids),
            on_success=self._arrived,
            on_error=lambda _exc: None,
            parent=self,
        )

    def _arrived(self, images: dict[int, QImage]) -> None:
        if images:
            self.model.set_icons(
                {feed_id: QIcon(QPixmap.fromImage(image)) for feed_id, image in images.items()}
            )
