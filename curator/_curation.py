"""Curation storage: annotations, account profiles, templates, drafts and their variants."""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from ._sqlite import Database, wrap_errors
from ._storage import from_iso, iso
from .errors import (
    AccountExistsError,
    AccountNotFoundError,
    CuratorError,
    DraftNotFoundError,
    ItemNotFoundError,
    TemplateExistsError,
    TemplateNotFoundError,
)
from .types import Account, Annotation, Draft, Network, Role, Template, Variant


def check_template(body: str) -> None:
    """Refuse a template that names an unknown placeholder or has a stray brace.

    compose.py owns the template language (it renders them), so it also judges them.

    Raises:
        TemplateError: the message names the unknown placeholder.
    """
    from .compose import check_template as check

    check(body)


@contextmanager
def durable(db: Database) -> Iterator[sqlite3.Connection]:
    """A write transaction that reaches the disk at COMMIT.

    The database runs WAL with synchronous=NORMAL: safe against corruption, but a power cut
    may lose the last commits. Text the user typed (drafts autosaved while typing,
    annotations) must survive one, so its transactions sync the WAL at commit (FULL). The
    pragma is per connection, and connections are per thread, so no other writer is slowed.
    """
    conn = db.conn
    with wrap_errors():
        conn.execute("PRAGMA synchronous = FULL")
    try:
        with db.transaction() as c:
            yield c
    finally:
        with wrap_errors():
            conn.execute("PRAGMA synchronous = NORMAL")


_ACCOUNT_TEXT = ("handle", "api_base", "utm_source", "utm_medium", "utm_campaign")


class CurationStore:
    """Every SQL statement of the curation tables, with the checks that keep them sane."""

    def __init__(self, db: Database, now: Callable[[], datetime]):
        self.db = db
        self.now = now

    # ---- annotations -----------------------------------------------------------------------

    def annotate(self, item_id: int, note: str | None, commentary: str | None) -> Annotation:
        now = iso(self.now())
        with durable(self.db) as db:
            if db.execute("SELECT 1 FROM items WHERE id = ?", (item_id,)).fetchone() is None:
                raise ItemNotFoundError(f"There is no item with id {item_id}.")
            row = db.execute("SELECT note, commentary FROM annotations WHERE item_id = ?",
                             (item_id,)).fetchone()
            old_note, old_commentary = (row[0], row[1]) if row else ("", "")
            note = old_note if note is None else note
            commentary = old_commentary if commentary is None else commentary
            db.execute("DELETE FROM annotations_fts WHERE rowid = ?", (item_id,))
            if not note.strip() and not commentary.strip():
                db.execute("DELETE FROM annotations WHERE item_id = ?", (item_id,))
                return Annotation(item_id, "", "", from_iso(now))  # type: ignore[arg-type]
            db.execute(
                "INSERT INTO annotations (item_id, note, commentary, updated_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (item_id) DO UPDATE SET note = excluded.note, "
                "commentary = excluded.commentary, updated_at = excluded.updated_at",
                (item_id, note, commentary, now),
            )
            db.execute("INSERT INTO annotations_fts (rowid, note, commentary) VALUES (?, ?, ?)",
                       (item_id, note, commentary))
        return Annotation(item_id, note, commentary, from_iso(now))  # type: ignore[arg-type]

    def annotation(self, item_id: int) -> Annotation | None:
        row = self.db.conn.execute(
            "SELECT item_id, note, commentary, updated_at FROM annotations WHERE item_id = ?",
            (item_id,)).fetchone()
        if row is None:
            return None
        return Annotation(row[0], row[1], row[2], from_iso(row[3]))  # type: ignore[arg-type]

    # ---- accounts --------------------------------------------------------------------------

    def add_account(self, name: str, network: Network | str, **settings: Any) -> Account:
        fields: dict[str, Any] = {"name": _clean_name(name, "An account"),
                  "network": _network(network).value}
        fields.update(self._account_settings(settings))
        fields["created_at"] = iso(self.now())
        try:
            with self.db.transaction() as db:
                cur = db.execute(
                    f"INSERT INTO accounts ({', '.join(fields)}) "
                    f"VALUES ({', '.join('?' * len(fields))})", tuple(fields.values()))
                account_id = int(cur.lastrowid or 0)
        except sqlite3.IntegrityError:
            raise AccountExistsError(f"There is already an account named {name.strip()!r}.") \
                from None
        return self.get_account(account_id)

    def update_account(self, account: int | str, **changes: Any) -> Account:
        account_id = self.account_id(account)
        fields = {}
        if changes.get("name") is not None:
            fields["name"] = _clean_name(changes.pop("name"), "An account")
        changes.pop("name", None)
        if changes.get("network") is not None:
            fields["network"] = _network(changes.pop("network")).value
        changes.pop("network", None)
        # None leaves a setting as it is; "" (or 0 for numbers) clears it.
        fields.update(self._account_settings(
            {k: v for k, v in changes.items() if v is not None}, clearing=True))
        if fields:
            sets = ", ".join(f"{k} = ?" for k in fields)
            try:
                with self.db.transaction() as db:
                    db.execute(f"UPDATE accounts SET {sets} WHERE id = ?",
                               (*fields.values(), account_id))
            except sqlite3.IntegrityError:
                raise AccountExistsError(
                    f"There is already an account named {fields['name']!r}.") from None
        return self.get_account(account_id)

    def _account_settings(self, settings: dict[str, Any], clearing: bool = False
                          ) -> dict[str, Any]:
        known = {*_ACCOUNT_TEXT, "char_limit", "disclaimer", "disclaimer_mandatory",
                 "utm_skip_domains", "hashtags", "default_template_id", "language",
                 "visibility", "server_schedule", "api_version", "timezone"}
        unknown = set(settings) - known
        if unknown:
            raise CuratorError(f"An account has no setting named {sorted(unknown)[0]!r}.")
        out: dict[str, Any] = {}
        for key, value in settings.items():
            if key in _ACCOUNT_TEXT:
                text = (value or "").strip() or None
                out[key] = _api_base(text) if key == "api_base" and text else text
            elif key == "char_limit":
                if value is not None and (not isinstance(value, int) or value < 0
                                          or (value == 0 and not clearing)):
                    raise CuratorError("The character limit must be a positive whole number.")
                out[key] = value or None
            elif key == "disclaimer":
                out[key] = (value or "").strip()
            elif key == "disclaimer_mandatory":
                out[key] = int(bool(value))
            elif key == "hashtags":
                out[key] = json.dumps(_hashtags(value), ensure_ascii=False)
            elif key == "utm_skip_domains":
                out[key] = json.dumps(_domains(value), ensure_ascii=False)
            elif key == "default_template_id":
                if value:
                    self.get_template(value)  # raises when unknown
                out[key] = value or None
            elif key == "server_schedule":
                out[key] = int(bool(value))
            elif key == "timezone":  # "" or None: this computer's zone
                from .slots import check_timezone

                out[key] = check_timezone(value) if (value or "").strip() else None
            else:  # language, visibility, api_version
                out[key] = _network_option(key, value)
        return out

    def account_id(self, account: int | str) -> int:
        conn = self.db.conn
        if isinstance(account, int):
            row = conn.execute("SELECT id FROM accounts WHERE id = ?", (account,)).fetchone()
        else:
            row = conn.execute("SELECT id FROM accounts WHERE name = ?",
                               (account.strip(),)).fetchone()
            if row is None and account.strip().isdigit():
                row = conn.execute("SELECT id FROM accounts WHERE id = ?",
                                   (int(account),)).fetchone()
        if row is None:
            raise AccountNotFoundError(f"There is no account {account!r}.")
        return int(row[0])

    def get_account(self, account: int | str) -> Account:
        row = self.db.conn.execute("SELECT * FROM accounts WHERE id = ?",
                                   (self.account_id(account),)).fetchone()
        return _account(row)

    def list_accounts(self) -> list[Account]:
        rows = self.db.conn.execute("SELECT * FROM accounts ORDER BY id")
        return sorted((_account(r) for r in rows), key=lambda a: _sort_key(a.name))

    def remove_account(self, account: int | str) -> Account:
        removed = self.get_account(account)
        with self.db.transaction() as db:
            db.execute("DELETE FROM accounts WHERE id = ?", (removed.id,))  # variants cascade
        return removed

    # ---- templates -------------------------------------------------------------------------

    def add_template(self, name: str, body: str, segment: str) -> Template:
        name = _clean_name(name, "A template")
        segment = segment.strip()
        check_template(body)
        try:
            with self.db.transaction() as db:
                cur = db.execute(
                    "INSERT INTO templates (name, segment, body, created_at) VALUES (?,?,?,?)",
                    (name, segment, body, iso(self.now())))
        except sqlite3.IntegrityError:
            raise TemplateExistsError(_exists(name, segment)) from None
        return self.get_template(int(cur.lastrowid or 0))

    def template_id(self, template: int | str) -> int:
        conn = self.db.conn
        if isinstance(template, int):
            rows = conn.execute("SELECT id, segment FROM templates WHERE id = ?",
                                (template,)).fetchall()
        else:
            rows = conn.execute("SELECT id, segment FROM templates WHERE name = ?",
                                (template.strip(),)).fetchall()
            if not rows and template.strip().isdigit():
                rows = conn.execute("SELECT id, segment FROM templates WHERE id = ?",
                                    (int(template),)).fetchall()
        if not rows:
            raise TemplateNotFoundError(f"There is no template {template!r}.")
        if len(rows) > 1:
            segments = ", ".join(repr(r[1]) for r in rows)
            raise TemplateNotFoundError(
                f"Several templates are named {template!r} (segments {segments}); "
                "name it by its id.")
        return int(rows[0][0])

    def get_template(self, template: int | str) -> Template:
        row = self.db.conn.execute(
            "SELECT id, name, segment, body, created_at FROM templates WHERE id = ?",
            (self.template_id(template),)).fetchone()
        return _template(row)

    def list_templates(self, segment: str | None = None) -> list[Template]:
        sql = "SELECT id, name, segment, body, created_at FROM templates"
        params: tuple[Any, ...] = ()
        if segment is not None:
            sql += " WHERE segment = ?"
            params = (segment.strip(),)
        found = [_template(r) for r in self.db.conn.execute(sql, params)]
        return sorted(found, key=lambda t: (_sort_key(t.segment), _sort_key(t.name), t.id))

    def update_template(self, template: int | str, name: str | None, body: str | None,
                        segment: str | None) -> Template:
        old = self.get_template(template)
        new_name = old.name if name is None else _clean_name(name, "A template")
        new_segment = old.segment if segment is None else segment.strip()
        if body is not None:
            check_template(body)
        try:
            with self.db.transaction() as db:
                db.execute("UPDATE templates SET name = ?, segment = ?, body = ? WHERE id = ?",
                           (new_name, new_segment, old.body if body is None else body, old.id))
        except sqlite3.IntegrityError:
            raise TemplateExistsError(_exists(new_name, new_segment)) from None
        return self.get_template(old.id)

    def remove_template(self, template: int | str) -> Template:
        removed = self.get_template(template)
        with self.db.transaction() as db:
            # Drafts and accounts that used it keep their text; their link to it is cleared.
            db.execute("DELETE FROM templates WHERE id = ?", (removed.id,))
        return removed

    # ---- drafts ----------------------------------------------------------------------------

    def new_draft(self, item_id: int | None, text: str, template_id: int | None) -> Draft:
        item: dict[str, Any] = {}
        if item_id is not None:
            row = self.db.conn.execute(
                "SELECT i.link, i.title, i.author, coalesce(f.user_title, f.title) AS source, "
                "f.role FROM items i JOIN feeds f ON f.id = i.feed_id WHERE i.id = ?",
                (item_id,)).fetchone()
            if row is None:
                raise ItemNotFoundError(f"There is no item with id {item_id}.")
            item = {"item_link": row["link"], "item_title": row["title"],
                    "item_author": row["author"], "item_source": row["source"],
                    "item_role": row["role"]}
        if template_id is not None:
            template_id = self.template_id(template_id)
        now = iso(self.now())
        fields = {"item_id": item_id, **item, "text": text, "template_id": template_id,
                  "created_at": now, "updated_at": now}
        with durable(self.db) as db:
            cur = db.execute(f"INSERT INTO drafts ({', '.join(fields)}) "
                             f"VALUES ({', '.join('?' * len(fields))})", tuple(fields.values()))
        return self.get_draft(int(cur.lastrowid or 0))

    def save_draft_text(self, draft_id: int, text: str) -> None:
        now = iso(self.now())
        with durable(self.db) as db:
            cur = db.execute("UPDATE drafts SET text = ?, updated_at = ? WHERE id = ?",
                             (text, now, draft_id))
            if cur.rowcount == 0:
                raise DraftNotFoundError(f"There is no draft with id {draft_id}.")
            db.execute("UPDATE variants SET text = ?, updated_at = ? "
                       "WHERE draft_id = ? AND synced = 1", (text, now, draft_id))

    def set_draft_template(self, draft_id: int, template: int | str | None) -> None:
        template_id = None if template is None else self.template_id(template)
        with durable(self.db) as db:
            cur = db.execute("UPDATE drafts SET template_id = ?, updated_at = ? WHERE id = ?",
                             (template_id, iso(self.now()), draft_id))
            if cur.rowcount == 0:
                raise DraftNotFoundError(f"There is no draft with id {draft_id}.")

    def add_variant(self, draft_id: int, account: int | str, text: str | None) -> Variant:
        account_id = self.account_id(account)
        now = iso(self.now())
        with durable(self.db) as db:
            draft = db.execute("SELECT text FROM drafts WHERE id = ?", (draft_id,)).fetchone()
            if draft is None:
                raise DraftNotFoundError(f"There is no draft with id {draft_id}.")
            # A variant that exists already is kept as it is: adding twice changes nothing.
            db.execute(
                "INSERT OR IGNORE INTO variants (draft_id, account_id, text, synced, updated_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (draft_id, account_id, draft[0] if text is None else text, int(text is None),
                 now))
        return self._variant(draft_id, account_id)

    def set_variant(self, draft_id: int, account: int | str, text: str | None,
                    synced: bool | None) -> Variant:
        account_id = self.account_id(account)
        now = iso(self.now())
        with durable(self.db) as db:
            row = db.execute(
                "SELECT v.text, v.synced, d.text FROM variants v JOIN drafts d "
                "ON d.id = v.draft_id WHERE v.draft_id = ? AND v.account_id = ?",
                (draft_id, account_id)).fetchone()
            if row is None:
                raise DraftNotFoundError(
                    f"Draft {draft_id} has no variant for account {account!r}.")
            new_text, new_synced = row[0], bool(row[1])
            if text is not None:
                new_text, new_synced = text, False  # edited by hand: it stops following
            if synced is not None:
                new_synced = synced
            if new_synced:
                new_text = row[2]  # following again: it takes the draft's text now
            db.execute("UPDATE variants SET text = ?, synced = ?, updated_at = ? "
                       "WHERE draft_id = ? AND account_id = ?",
                       (new_text, int(new_synced), now, draft_id, account_id))
            db.execute("UPDATE drafts SET updated_at = ? WHERE id = ?", (now, draft_id))
        return self._variant(draft_id, account_id)

    def remove_variant(self, draft_id: int, account: int | str) -> None:
        account_id = self.account_id(account)
        with durable(self.db) as db:
            db.execute("DELETE FROM variants WHERE draft_id = ? AND account_id = ?",
                       (draft_id, account_id))

    def _variant(self, draft_id: int, account_id: int) -> Variant:
        row = self.db.conn.execute(
            "SELECT * FROM variants WHERE draft_id = ? AND account_id = ?",
            (draft_id, account_id)).fetchone()
        if row is None:
            raise DraftNotFoundError(f"There is no draft with id {draft_id}.")
        return _variant(row)

    def get_draft(self, draft_id: int) -> Draft:
        row = self.db.conn.execute("SELECT * FROM drafts WHERE id = ?", (draft_id,)).fetchone()
        if row is None:
            raise DraftNotFoundError(f"There is no draft with id {draft_id}.")
        return self._drafts([row])[0]

    def list_drafts(self) -> list[Draft]:
        rows = self.db.conn.execute(
            "SELECT * FROM drafts WHERE deleted_at IS NULL ORDER BY updated_at DESC, id DESC"
        ).fetchall()
        return self._drafts(rows)

    def _drafts(self, rows: Sequence[sqlite3.Row]) -> list[Draft]:
        variants: dict[int, list[Variant]] = {r["id"]: [] for r in rows}
        if rows:
            for v in self.db.conn.execute(
                "SELECT * FROM variants WHERE draft_id IN (SELECT value FROM json_each(?)) "
                "ORDER BY draft_id, account_id", (json.dumps(list(variants)),)):
                variants[v["draft_id"]].append(_variant(v))
        return [_draft(r, variants[r["id"]]) for r in rows]

    def duplicate_draft(self, draft_id: int) -> Draft:
        now = iso(self.now())
        copied = ("item_id, item_role, item_link, item_title, item_source, item_author, text, "
                  "template_id")
        with durable(self.db) as db:
            cur = db.execute(
                f"INSERT INTO drafts ({copied}, created_at, updated_at) "
                f"SELECT {copied}, ?, ? FROM drafts WHERE id = ?", (now, now, draft_id))
            if cur.rowcount == 0:
                raise DraftNotFoundError(f"There is no draft with id {draft_id}.")
            new_id = int(cur.lastrowid or 0)
            db.execute(
                "INSERT INTO variants (draft_id, account_id, text, synced, updated_at) "
                "SELECT ?, account_id, text, synced, ? FROM variants WHERE draft_id = ?",
                (new_id, now, draft_id))
        return self.get_draft(new_id)

    def set_deleted(self, draft_id: int, deleted: bool) -> Draft:
        with durable(self.db) as db:
            cur = db.execute("UPDATE drafts SET deleted_at = ? WHERE id = ?",
                             (iso(self.now()) if deleted else None, draft_id))
            if cur.rowcount == 0:
                raise DraftNotFoundError(f"There is no draft with id {draft_id}.")
        return self.get_draft(draft_id)

    def purge_deleted_drafts(self, older_than: timedelta) -> int:
        with self.db.transaction() as db:
            cur = db.execute("DELETE FROM drafts WHERE deleted_at IS NOT NULL AND deleted_at <= ?",
                             (iso(self.now() - older_than),))
        return cur.rowcount


# ---- checks and row readers ------------------------------------------------------------------


def _sort_key(text: str) -> str:
    """Alphabetical as people expect: "Árbol" beside "arce", not after "zeta" (SQLite's
    NOCASE folds ASCII letters only)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _clean_name(name: str, what: str) -> str:
    cleaned = " ".join((name or "").split())
    if not cleaned:
        raise CuratorError(f"{what} needs a name.")
    return cleaned


def _exists(name: str, segment: str) -> str:
    where = f"the segment {segment!r}" if segment else "no segment"
    return f"There is already a template named {name!r} in {where}."


def _network(value: Network | str) -> Network:
    return value if isinstance(value, Network) else Network.parse(value)


def _api_base(url: str) -> str:
    from urllib.parse import urlsplit

    if "://" not in url:
        url = "https://" + url  # "mastodon.social" names the instance
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CuratorError(f"The server address must be an http(s) URL, not {url!r}.")
    return url.rstrip("/")


def _hashtags(tags: Iterable[str]) -> list[str]:
    if isinstance(tags, str):
        tags = tags.replace(",", " ").split()
    out: list[str] = []
    seen: set[str] = set()
    for tag in tags:
        cleaned = tag.strip().lstrip("#").strip()
        if not cleaned:
            continue
        if any(c.isspace() for c in cleaned) or "#" in cleaned:
            raise CuratorError(f"A hashtag is one word: {tag!r} is not.")
        if cleaned.casefold() not in seen:
            seen.add(cleaned.casefold())
            out.append(cleaned)
    return out


def _domains(domains: Iterable[str]) -> list[str]:
    if isinstance(domains, str):
        domains = domains.replace(",", " ").split()
    out: list[str] = []
    for domain in domains:
        d = domain.strip().lower()
        d = d.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0].lstrip("*.").rstrip(".")
        if not d:
            continue
        if any(c.isspace() for c in d):
            raise CuratorError(f"{domain!r} is not a domain name.")
        if d not in out:
            out.append(d)
    return out


def _account(r: sqlite3.Row) -> Account:
    return Account(
        id=r["id"], name=r["name"], network=Network(r["network"]), handle=r["handle"],
        api_base=r["api_base"], char_limit=r["char_limit"], disclaimer=r["disclaimer"],
        disclaimer_mandatory=bool(r["disclaimer_mandatory"]), utm_source=r["utm_source"],
        utm_medium=r["utm_medium"], utm_campaign=r["utm_campaign"],
        utm_skip_domains=json.loads(r["utm_skip_domains"]), hashtags=json.loads(r["hashtags"]),
        default_template_id=r["default_template_id"],
        created_at=from_iso(r["created_at"]),  # type: ignore[arg-type]
        language=r["language"], visibility=r["visibility"],
        server_schedule=bool(r["server_schedule"]), api_version=r["api_version"],
        timezone=r["timezone"], paused=bool(r["paused"]),
    )


_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")
VISIBILITIES = ("public", "unlisted", "private", "direct")  # Mastodon's, as its API names them


def _network_option(key: str, value: Any) -> str | None:
    text = str(value or "").strip()
    if not text:
        return None
    if key == "language":
        if not _LANGUAGE.fullmatch(text):
            raise CuratorError(f"{text!r} is not a language tag: use one like es, en or pt-BR.")
        return text
    if key == "visibility":
        if text.lower() not in VISIBILITIES:
            raise CuratorError(f"{text!r} is not a Mastodon visibility: use one of "
                               f"{', '.join(VISIBILITIES)}.")
        return text.lower()
    if not re.fullmatch(r"20\d{2}(0[1-9]|1[0-2])", text):  # api_version
        raise CuratorError(f"{text!r} is not a LinkedIn API version: use YYYYMM, e.g. 202609.")
    return text


def _template(r: sqlite3.Row) -> Template:
    return Template(r["id"], r["name"], r["segment"], r["body"],
                    from_iso(r["created_at"]))  # type: ignore[arg-type]


def _variant(r: sqlite3.Row) -> Variant:
    return Variant(r["draft_id"], r["account_id"], r["text"], bool(r["synced"]),
                   from_iso(r["updated_at"]))  # type: ignore[arg-type]


def _draft(r: sqlite3.Row, variants: list[Variant]) -> Draft:
    return Draft(
        id=r["id"], item_id=r["item_id"], item_role=Role(r["item_role"]) if r["item_role"]
        else None, item_link=r["item_link"], item_title=r["item_title"],
        item_source=r["item_source"], item_author=r["item_author"], text=r["text"],
        template_id=r["template_id"], created_at=from_iso(r["created_at"]),  # type: ignore[arg-type]
        updated_at=from_iso(r["updated_at"]),  # type: ignore[arg-type]
        variants=variants, deleted_at=from_iso(r["deleted_at"]),
    )
