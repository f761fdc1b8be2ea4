"""Approved content packs: a JSON Feed 1.1 with a `_curator` extension (docs/content-pack.md).

Marketing or legal hands out green-lit items with approved wording. A pack is a plain file
any web server, intranet or shared folder hosts: `read_pack` validates one (JSON Schema in
curator/resources/content-pack.schema.json, then what a schema cannot say), `store_pack`
keeps its `_curator` facts beside the stored items (tables `packs` and `approved`), and
`build_pack` writes one for export. Nothing here fetches, and nothing imports Qt.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any

from ._storage import from_iso, iso
from .errors import PackError, TemplateError
from .types import Account, ApprovedContent, Network, PackInfo, Role

SCHEMA_FILE = "content-pack.schema.json"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
PACK_VERSION = 1
NETWORKS = tuple(n.value for n in Network)
# RFC 3339 date-time: a date, a time and an offset (fromisoformat alone also takes "2025-06").
_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


@dataclass(frozen=True)
class PackItem:
    """One item's `_curator` extension, validated. `id` is the JSON Feed item id."""

    id: str
    commentary: list[tuple[str, str]] = field(default_factory=list)  # (segment, text)
    networks: list[str] | None = None
    expires_at: datetime | None = None
    disclaimer: str = ""
    hashtags: list[str] = field(default_factory=list)
    utm_campaign: str | None = None


@dataclass(frozen=True)
class PackTemplate:
    name: str
    body: str
    segment: str = ""


@dataclass(frozen=True)
class Pack:
    """A whole validated pack."""

    title: str
    publisher: str | None
    version: int
    items: list[PackItem]
    templates: list[PackTemplate]

    def info(self) -> PackInfo:
        return PackInfo(self.title, self.publisher, self.version, len(self.items),
                        len(self.templates))


@cache
def schema() -> dict[str, Any]:
    """The pack's JSON Schema, shipped as package data."""
    text = resources.files("curator").joinpath("resources", SCHEMA_FILE).read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@cache
def _validator() -> Any:
    import jsonschema

    return jsonschema.Draft202012Validator(schema())


# ---- reading and validating ------------------------------------------------------------------


def read_pack(data: bytes) -> Pack:
    """Validate a pack and read its `_curator` facts.

    Raises:
        PackError: one sentence naming the item and the field, e.g. 'item 3 (id
            "q4-report"): _curator.expires: not an RFC 3339 date (like 2025-06-30T23:59:00Z).'
    """
    document = _load(data)
    errors = list(_validator().iter_errors(document))
    if errors:
        first = min(errors, key=lambda e: [(0, p) if isinstance(p, int) else (1, str(p))
                                           for p in e.absolute_path])
        raise PackError(_describe(document, first))
    return _semantic(document)


def is_pack_document(data: bytes) -> bool:
    """Whether a body says it is a pack (pack-level `_curator`), cheaply enough for refresh."""
    if b'"_curator"' not in data:
        return False
    try:
        return isinstance(_load(data).get("_curator"), dict)
    except PackError:
        return False


def read_for_refresh(data: bytes) -> Pack | PackError:
    """read_pack for the refresh pipeline: a bad pack is a value (the feed's error)."""
    try:
        return read_pack(data)
    except PackError as e:
        return PackError(f"The content pack is not valid: {e}")


def _load(data: bytes) -> dict[str, Any]:
    try:
        text = data.decode(json.detect_encoding(data), errors="replace")
        document = json.loads(text)
    except RecursionError:
        raise PackError("The pack is nested too deeply to read.") from None
    except json.JSONDecodeError as e:
        raise PackError(f"The pack is not valid JSON (line {e.lineno}, column {e.colno}: "
                        f"{e.msg}).") from None
    except ValueError:
        raise PackError("The pack is not valid JSON.") from None
    if not isinstance(document, dict):
        raise PackError("The pack is not a JSON Feed: it is not a JSON object.")
    return document


def _where(document: Mapping[str, Any], path: Sequence[Any]) -> tuple[str, list[Any]]:
    """('item 3 (id "q4-report")', the rest of the path), or ('the pack', path)."""
    if len(path) >= 2 and path[0] == "items" and isinstance(path[1], int):
        index = path[1]
        items = document.get("items")
        item = items[index] if isinstance(items, list) and index < len(items) else None
        item_id = item.get("id") if isinstance(item, dict) else None
        named = f" (id {json.dumps(item_id, ensure_ascii=False)[:80]})" \
            if isinstance(item_id, str) else ""
        return f"item {index + 1}{named}", list(path[2:])
    return "the pack", list(path)


def _field(path: Iterable[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _describe(document: Mapping[str, Any], error: Any) -> str:
    """One sentence for a jsonschema ValidationError, without echoing the (hostile) value."""
    path = list(error.absolute_path)
    kind, expected, instance = error.validator, error.validator_value, error.instance
    if kind == "required" and isinstance(instance, dict):
        missing = next((k for k in expected if k not in instance), "?")
        path, message = [*path, missing], "missing (it is required)"
    elif kind == "additionalProperties" and isinstance(instance, dict):
        known = error.schema.get("properties", {})
        extra = sorted(k for k in instance if k not in known)
        path = [*path, extra[0] if extra else "?"]
        message = f"unknown field; use {', '.join(known)}"
    elif kind == "type":
        names = expected if isinstance(expected, list) else [expected]
        message = "must be " + " or ".join(_A.get(str(n), str(n)) for n in names)
    elif kind == "enum":
        message = "must be one of " + ", ".join(str(v) for v in expected)
    elif kind == "const":
        message = f"must be {json.dumps(expected)}"
    elif kind == "minLength":
        message = "must not be empty" if expected == 1 else f"needs {expected} characters"
    elif kind == "maxLength":
        message = f"is longer than {expected} characters"
    elif kind == "minItems":
        message = "must list at least one"
    elif kind == "uniqueItems":
        message = "lists the same value twice"
    elif kind == "pattern" and path == ["version"]:
        message = f"must be a JSON Feed version URL like {JSON_FEED_VERSION}"
    else:
        message = "is not valid"
    where, rest = _where(document, path)
    return f"{where}: {_field(rest)}: {message}." if rest else f"{where}: {message}."


_A = {"string": "a string", "array": "a list", "object": "an object", "integer": "a whole number",
      "number": "a number", "boolean": "true or false", "null": "null"}


def parse_rfc3339(value: str) -> datetime | None:
    """An RFC 3339 date-time as aware UTC, else None."""
    text = value.strip()
    if not _RFC3339.match(text):
        return None
    try:
        parsed = datetime.fromisoformat(text.upper().replace(" ", "T"))
    except ValueError:
        return None
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def _semantic(document: dict[str, Any]) -> Pack:
    """What the schema cannot say: dates parse, one commentary has words, ids unique,
    templates render."""
    from .compose import check_template, normalize_hashtag

    items: list[PackItem] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(document["items"]):
        where, _ = _where(document, ["items", index])

        def bad(field_name: str, message: str, where: str = where) -> PackError:
            return PackError(f"{where}: {field_name}: {message}.")

        item_id = raw["id"].strip()
        if not item_id:
            raise bad("id", "must not be empty")
        if item_id in seen:
            raise bad("id", f"the same id as item {seen[item_id] + 1}")
        seen[item_id] = index
        ext = raw.get("_curator") or {}
        commentary = [((c.get("segment") or "").strip(), c["text"].strip())
                      for c in ext.get("commentary", [])]
        if commentary and not any(text for _, text in commentary):
            raise bad("_curator.commentary", "every text is empty; write at least one")
        expires = None
        if "expires" in ext:
            expires = parse_rfc3339(ext["expires"])
            if expires is None:
                raise bad("_curator.expires",
                          "not an RFC 3339 date (like 2025-06-30T23:59:00Z)")
        hashtags = []
        for i, tag in enumerate(ext.get("hashtags", [])):
            normal = normalize_hashtag(tag)
            if not normal:
                raise bad(f"_curator.hashtags[{i}]", "not a usable hashtag (it needs a letter)")
            hashtags.append(normal)
        networks = ext.get("networks")
        items.append(PackItem(
            id=item_id, commentary=[c for c in commentary if c[1]],
            networks=[n for n in NETWORKS if n in networks] if networks is not None else None,
            expires_at=expires, disclaimer=(ext.get("disclaimer") or "").strip(),
            hashtags=hashtags, utm_campaign=(ext.get("utm_campaign") or "").strip() or None))
    head = document["_curator"]
    templates: list[PackTemplate] = []
    names: set[tuple[str, str]] = set()
    for i, t in enumerate(head.get("templates", [])):
        template = PackTemplate(t["name"].strip(), t["body"], (t.get("segment") or "").strip())
        where = f"the pack: _curator.templates[{i}]"
        if not template.name:
            raise PackError(f"{where}.name: must not be empty.")
        try:
            check_template(template.body)
        except TemplateError as e:
            detail = str(e).rstrip(".")
            raise PackError(f"{where}.body: {detail[:1].lower()}{detail[1:]}.") from None
        if (template.segment, template.name) in names:
            raise PackError(f"{where}.name: another template of the segment has that name.")
        names.add((template.segment, template.name))
        templates.append(template)
    publisher = (head.get("publisher") or "").strip() or None
    return Pack(document["title"].strip(), publisher, int(head["version"]), items, templates)


# ---- storing -----------------------------------------------------------------------------


def is_pack_feed(db: sqlite3.Connection, feed_id: int) -> bool:
    """A subscription is a pack when its role is approved."""
    row = db.execute("SELECT role FROM feeds WHERE id = ?", (feed_id,)).fetchone()
    return bool(row) and row[0] == Role.APPROVED.value


def refresh_problem(db: sqlite3.Connection, feed_id: int, pack: Pack | PackError | None
                    ) -> PackError | None:
    """Why a refreshed pack feed must fail (keeping its old items), else None."""
    if not is_pack_feed(db, feed_id):
        return None
    if isinstance(pack, PackError):
        return pack
    if pack is None:
        return PackError("The content pack is not valid: the pack: _curator: missing "
                         "(it is required).")
    return None


def store_pack(db: sqlite3.Connection, feed_id: int, pack: Pack, now: datetime) -> None:
    """Keep the pack's `_curator` facts, inside the caller's transaction (the items are
    stored already): one `approved` row per item, its templates, the `packs` row."""
    by_guid = {guid.strip(): item_id for item_id, guid in db.execute(
        "SELECT id, guid FROM items WHERE feed_id = ? AND guid IS NOT NULL", (feed_id,))}
    for p in pack.items:
        item_id = by_guid.get(p.id)
        if item_id is None:
            continue
        db.execute(
            "INSERT OR REPLACE INTO approved (item_id, commentary, networks, expires_at, "
            "disclaimer, hashtags, utm_campaign) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (item_id, json.dumps([list(c) for c in p.commentary], ensure_ascii=False),
             None if p.networks is None else json.dumps(p.networks), iso(p.expires_at),
             p.disclaimer, json.dumps(p.hashtags, ensure_ascii=False), p.utm_campaign))
    row = db.execute("SELECT template_ids FROM packs WHERE feed_id = ?", (feed_id,)).fetchone()
    old_ids = set(json.loads(row[0])) if row else set()
    kept: list[int] = []
    for t in pack.templates:
        kept_id = _store_template(db, t, old_ids, pack.publisher or pack.title, now)
        if kept_id is not None:
            kept.append(kept_id)
    for gone in old_ids - set(kept):  # withdrawn by the pack's publisher
        db.execute("DELETE FROM templates WHERE id = ?", (gone,))
    db.execute(
        "INSERT INTO packs (feed_id, publisher, version, template_ids) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (feed_id) DO UPDATE SET publisher = excluded.publisher, "
        "version = excluded.version, template_ids = excluded.template_ids",
        (feed_id, pack.publisher, pack.version, json.dumps(kept)))


def _store_template(db: sqlite3.Connection, t: PackTemplate, ours: set[int], owner: str,
                    now: datetime) -> int | None:
    """The pack's template, updated in place; a user's template of the same name is never
    overwritten: the pack's gets the publisher's name after its own."""
    for name in (t.name, f"{t.name} ({owner})"):
        row = db.execute("SELECT id FROM templates WHERE segment = ? AND name = ?",
                         (t.segment, name)).fetchone()
        if row is None:
            cur = db.execute("INSERT INTO templates (name, segment, body, created_at) "
                             "VALUES (?, ?, ?, ?)", (name, t.segment, t.body, iso(now)))
            return int(cur.lastrowid or 0)
        if row[0] in ours:
            db.execute("UPDATE templates SET body = ? WHERE id = ?", (t.body, row[0]))
            return int(row[0])
    return None


def approved_profile(approved: ApprovedContent, account: Account, *,
                     disclaimer: bool = True) -> Account:
    """The account's posting profile for an approved item, as queue_post composes with it
    (the composer's preview uses the same): the pack's disclaimer first and mandatory, then
    the account's own (left out when optional and `disclaimer` is False); the pack's
    hashtags after the account's; the pack's UTM campaign over the account's."""
    own = account.disclaimer.strip() if (disclaimer or account.disclaimer_mandatory) else ""
    parts = [approved.disclaimer.strip()]
    if own and own != parts[0]:
        parts.append(own)
    return replace(
        account, disclaimer="\n\n".join(p for p in parts if p),
        disclaimer_mandatory=bool(approved.disclaimer.strip()) or account.disclaimer_mandatory,
        hashtags=list(dict.fromkeys([*account.hashtags, *approved.hashtags])),
        utm_campaign=approved.utm_campaign or account.utm_campaign)


def approved_content(db: sqlite3.Connection, item_id: int) -> ApprovedContent | None:
    """The item's `_curator` facts while its feed is an approved pack, else None."""
    row = db.execute(
        "SELECT ap.* FROM approved ap JOIN items i ON i.id = ap.item_id "
        "JOIN feeds f ON f.id = i.feed_id WHERE ap.item_id = ? AND f.role = ?",
        (item_id, Role.APPROVED.value)).fetchone()
    if row is None:
        return None
    return ApprovedContent(
        item_id=item_id,
        commentary=[(str(s), str(t)) for s, t in json.loads(row["commentary"])],
        networks=json.loads(row["networks"]) if row["networks"] is not None else None,
        expires_at=from_iso(row["expires_at"]), disclaimer=row["disclaimer"],
        hashtags=json.loads(row["hashtags"]), utm_campaign=row["utm_campaign"])


def subscribed_packs(db: sqlite3.Connection, now: datetime) -> list[PackInfo]:
    rows = db.execute(
        "SELECT f.id, f.url, coalesce(f.user_title, f.title) AS title, p.publisher, "
        "coalesce(p.version, 1) AS version, coalesce(p.template_ids, '[]') AS template_ids, "
        "(SELECT count(*) FROM items i WHERE i.feed_id = f.id) AS n_items, "
        "(SELECT count(*) FROM approved ap JOIN items i ON i.id = ap.item_id "
        " WHERE i.feed_id = f.id AND ap.expires_at <= ?) AS n_expired "
        "FROM feeds f LEFT JOIN packs p ON p.feed_id = f.id WHERE f.role = ? ORDER BY f.id",
        (iso(now), Role.APPROVED.value)).fetchall()
    return [PackInfo(title=r["title"], publisher=r["publisher"], version=r["version"],
                     items=r["n_items"], templates=len(json.loads(r["template_ids"])),
                     feed_id=r["id"], url=r["url"], expired=r["n_expired"]) for r in rows]


# ---- writing ---------------------------------------------------------------------------------


def build_pack(*, title: str, publisher: str | None, items: Sequence[Mapping[str, Any]],
               templates: Sequence[PackTemplate] = (), home_page_url: str | None = None,
               feed_url: str | None = None, description: str | None = None) -> bytes:
    """A pack document: `items` are JSON Feed item objects (with their `_curator`), checked
    by read_pack before they are handed back.

    Raises:
        PackError: what the pack would break (an empty title, an unusable hashtag...).
    """
    head: dict[str, Any] = {"version": PACK_VERSION}
    if publisher and publisher.strip():
        head["publisher"] = publisher.strip()
    if templates:
        head["templates"] = [{"name": t.name, "body": t.body,
                              **({"segment": t.segment} if t.segment else {})}
                             for t in templates]
    document: dict[str, Any] = {"version": JSON_FEED_VERSION, "title": title.strip()}
    for key, value in (("home_page_url", home_page_url), ("feed_url", feed_url),
                       ("description", description)):
        if value:
            document[key] = value
    document["_curator"] = head
    document["items"] = list(items)
    data = (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    read_pack(data)
    return data


def item_extension(commentary: Sequence[tuple[str, str]], networks: Sequence[str] | None,
                   expires_at: datetime | None, disclaimer: str, hashtags: Sequence[str],
                   utm_campaign: str | None) -> dict[str, Any]:
    """An item's `_curator` object (empty fields left out)."""
    ext: dict[str, Any] = {}
    if commentary:
        ext["commentary"] = [{"text": text, **({"segment": seg} if seg else {})}
                             for seg, text in commentary]
    if networks is not None:
        ext["networks"] = [Network.parse(n).value for n in networks]
    if expires_at is not None:
        if expires_at.tzinfo is None:
            raise PackError("The expiry needs a time zone (for example 2025-06-30T23:59+02:00).")
        ext["expires"] = iso(expires_at)
    if disclaimer.strip():
        ext["disclaimer"] = disclaimer.strip()
    if hashtags:
        ext["hashtags"] = [h.lstrip("#") for h in hashtags]
    if utm_campaign:
        ext["utm_campaign"] = utm_campaign
    return ext
