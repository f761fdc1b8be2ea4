"""Translate what a user types into a safe SQLite FTS5 query."""

from __future__ import annotations

import re

_COLUMNS = {"title", "author", "summary", "content"}
_UNSAFE = re.compile("[\x00\ud800-\udfff]")
# "a phrase"* | -word | word* | col:word
_TOKEN = re.compile(r'(-?)(?:(\w+):)?(?:"([^"]*)"|([^\s"]+))(\*?)')


def to_fts_query(text: str) -> str | None:
    """Words are ANDed; "quoted phrases" match exactly; word* is a prefix; -word excludes;
    OR between terms; title:/author:/summary:/content: restrict a term to a field.
    Every term is quoted, so punctuation can never be read as FTS5 syntax.
    Returns None when nothing searchable is left."""
    # SQLite ends a string at NUL, and lone surrogates (undecodable argv bytes) cannot be
    # encoded as UTF-8: neither can reach the query.
    text = _UNSAFE.sub(" ", text)
    positive: list[str] = []
    negative: list[str] = []
    pending_or = False
    for m in _TOKEN.finditer(text):
        neg, column, phrase, word, star = m.groups()
        raw = phrase if phrase is not None else word
        if phrase is None and raw in ("OR", "|") and positive:
            pending_or = True
            continue
        if phrase is None and raw in ("AND", "&&"):
            continue
        if column and column.lower() not in _COLUMNS:
            # Not a field name: treat "http://x" or "10:30" as plain text.
            raw = f"{column}:{raw}"
            column = None
        if phrase is None and raw.endswith("*"):
            raw, star = raw.rstrip("*"), "*"
        if not re.search(r"\w", raw):
            continue
        term = '"' + raw.replace('"', '""') + '"' + ("*" if star else "")
        if column:
            term = f"{column.lower()} : {term}"
        if neg:
            negative.append(term)
        elif pending_or:
            positive[-1] = f"({positive[-1]} OR {term})"
        else:
            positive.append(term)
        pending_or = False
    if not positive:
        return None
    query = " AND ".join(positive)
    for term in negative:
        query = f"({query}) NOT {term}"
    return query
