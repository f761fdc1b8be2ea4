"""Which words a search matched, and where: search text in, spans of a document out (no Qt).

The terms mirror how `_search.to_fts_query` reads what the user typed (the same tokens, the
same operators), and matching mirrors the FTS5 "unicode61 remove_diacritics 2" tokenizer:
whole words, case and accents ignored, so "campana" finds "Campaña" and back.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

from ._search import _COLUMNS, _TOKEN, _UNSAFE

_WORD = re.compile(r"\w+")


class SearchTerm(NamedTuple):
    """Words that must appear in this order; with prefix, the last one may go on."""

    words: tuple[str, ...]  # folded: lower case, no accents
    prefix: bool = False


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    if ch.isascii():
        return ch.lower()
    decomposed = unicodedata.normalize("NFD", ch.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold(text: str) -> str:
    """Lower case without accents, as the search index compares words."""
    return "".join(_fold_char(ch) for ch in text)


def search_terms(text: str | None) -> list[SearchTerm]:
    """The terms a search for `text` looks for: phrases, prefixes (word*), field filters
    (title:word counts as word); excluded terms (-word) and the operators OR/AND are left out."""
    if not text:
        return []
    text = _UNSAFE.sub(" ", text)
    terms: list[SearchTerm] = []
    for m in _TOKEN.finditer(text):
        neg, column, phrase, word, star = m.groups()
        raw = phrase if phrase is not None else word
        if phrase is None and raw in ("OR", "|", "AND", "&&"):
            continue
        if neg:
            continue  # excluded: an item shown never contains it
        if column and column.lower() not in _COLUMNS:
            raw = f"{column}:{raw}"
        if phrase is None and raw.endswith("*"):
            raw, star = raw.rstrip("*"), "*"
        words = tuple(_WORD.findall(fold(raw)))
        if words:
            term = SearchTerm(words, bool(star))
            if term not in terms:
                terms.append(term)
    return terms


@lru_cache(maxsize=64)
def _pattern(terms: tuple[SearchTerm, ...]) -> re.Pattern[str] | None:
    parts = []
    # Longer terms first, so "quick brown" wins over "quick" where both match.
    for term in sorted(terms, key=lambda t: -sum(map(len, t.words))):
        body = r"\W+".join(re.escape(w) for w in term.words)
        parts.append(r"(?<!\w)" + body + (r"\w*" if term.prefix else r"(?!\w)"))
    return re.compile("|".join(parts)) if parts else None


def find_spans(
    text: str, terms: list[SearchTerm] | tuple[SearchTerm, ...]
) -> list[tuple[int, int]]:
    """(start, end) indexes into `text` of every match of any term, in order, not overlapping."""
    pattern = _pattern(tuple(terms))
    if pattern is None or not text:
        return []
    # Fold char by char to map matches back to the original text: folding may drop
    # characters (a combining accent) or, rarely, add some.
    folded: list[str] = []
    origin: list[int] = []
    for index, ch in enumerate(text):
        part = _fold_char(ch)
        folded.append(part)
        origin.extend([index] * len(part))
    flat = "".join(folded)
    spans: list[tuple[int, int]] = []
    for m in pattern.finditer(flat):
        if m.start() == m.end():
            continue
        start = origin[m.start()]
        # The end reaches the next kept character, so trailing combining marks come along.
        end = origin[m.end()] if m.end() < len(origin) else len(text)
        if spans and start < spans[-1][1]:
            spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
        else:
            spans.append((start, end))
    return spans
