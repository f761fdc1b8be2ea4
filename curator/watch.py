"""Watch words, pure: terms parsed, text folded for case and accents, one compiled matcher."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .errors import WatchTermError

MAX_TERM_LENGTH = 300
# An item's text beyond this is not searched: a user's regex on a hostile, huge item must not
# stall a refresh (the sanitizer already bounds items; this bounds the matcher's share).
MAX_TEXT = 200_000
# Between an item's title, summary and content: neither a word character nor whitespace, so
# a phrase never spans two fields ("...Banco" ending the title, "Santander..." the summary).
FIELD_BREAK = "\n\x00\n"

_WORDS = re.compile(r"\w+")
# ASCII text (nearly all folded Latin text) splits into the same words as _WORDS finds, at
# twice the speed: every ASCII character that is not [A-Za-z0-9_] becomes a space.
_ASCII_BREAKS = {c: " " for c in range(128) if not (chr(c).isalnum() or chr(c) == "_")}
_ESCAPES = re.compile(r"\\.", re.DOTALL)
_SPACES = re.compile(r"\s+")
# Combining marks left by NFKD: Latin, Greek and Cyrillic accents, and their supplements.
_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")

Kind = Literal["word", "phrase", "regex"]


def fold(text: str) -> str:
    """Text as the matcher sees it: casefolded, compatibility forms decomposed (ﬁ -> fi,
    full-width letters), accents dropped. "TELEFÓNICA" and "Telefónica" -> "telefonica"."""
    if text.isascii():
        return text.lower()  # the common case: equal to casefold() for ASCII, much cheaper
    # casefold first: "İ".casefold() leaves a combining dot that NFKD and _MARKS then drop.
    return _MARKS.sub("", unicodedata.normalize("NFKD", text.casefold()))


def _strip_accents(pattern: str) -> str:
    """A regex's accented letters, unaccented (its syntax is ASCII, so this keeps it intact):
    the text it runs on has no accents left."""
    if pattern.isascii():
        return pattern
    return unicodedata.normalize("NFC", _MARKS.sub("", unicodedata.normalize("NFKD", pattern)))


@dataclass(frozen=True)
class Term:
    """One watch term: as written, its kind, and what the matcher needs of it."""

    text: str
    kind: Kind
    tokens: tuple[str, ...]  # folded words every match must contain (none for a regex)
    pattern: re.Pattern[str] | None  # phrases and regexes: run on the folded text

    @property
    def is_regex(self) -> bool:
        return self.kind == "regex"


def is_regex_term(text: str) -> bool:
    text = text.strip()
    return len(text) >= 2 and text.startswith("/") and text.endswith("/")


def parse_term(text: str) -> Term:
    """A word ("Acme"), a phrase ("Banco Santander") or a /regular expression/.

    Words and phrases match on word boundaries, ignoring case and accents; a phrase's words
    may be separated by any whitespace (line breaks too). A regex is always case-insensitive
    and runs on the folded text, so /telef[oó]nica/ and /telefonica/ both find "Telefónica".

    Raises:
        WatchTermError: the term is empty, too long, or a regex that does not compile or
            matches empty text (it would mark every item).
    """
    raw = text.strip()
    if not raw:
        raise WatchTermError("A watch term cannot be empty.")
    if len(raw) > MAX_TERM_LENGTH:
        raise WatchTermError(
            f"The watch term {raw[:40]!r}... is too long (at most {MAX_TERM_LENGTH} characters).")
    if is_regex_term(raw):
        body = raw[1:-1]
        if not body.strip():
            raise WatchTermError(f"The watch term {raw!r} is an empty regular expression.")
        body = _strip_accents(body)
        # The text is casefolded already: IGNORECASE is needed only for a capital letter in
        # the pattern, and without it a pattern starting with a literal is ~10x faster.
        flags = re.IGNORECASE if any(c.isupper() for c in _ESCAPES.sub("", body)) else 0
        try:
            pattern = re.compile(body, flags)
        except re.error as e:
            where = f" at position {e.pos + 1}" if e.pos is not None else ""
            raise WatchTermError(
                f"The watch term {raw!r} is not a valid regular expression: {e.msg}{where}."
            ) from None
        except (OverflowError, RecursionError, ValueError) as e:
            raise WatchTermError(
                f"The watch term {raw!r} is not a valid regular expression: {e}.") from None
        if pattern.search("") is not None:
            raise WatchTermError(
                f"The watch term {raw!r} matches empty text, so it would mark every item; "
                "make it match at least one character.")
        return Term(raw, "regex", (), pattern)
    folded = _SPACES.sub(" ", fold(raw))
    tokens = tuple(_WORDS.findall(folded))
    if len(tokens) == 1 and tokens[0] == folded:
        return Term(raw, "word", tokens, None)  # found by a set lookup, no regex at all
    # Lookarounds, not \b: "C++" and ".NET" begin or end with a non-word character.
    body = r"\s+".join(re.escape(part) for part in folded.split(" "))
    return Term(raw, "phrase", tokens, re.compile(rf"(?<!\w){body}(?!\w)"))


def required_literal(pattern: re.Pattern[str]) -> str:
    """The longest run of plain characters every match of `pattern` contains ("" when none
    is certain): /\\bopa (?:hostil|amistosa)\\b/ -> "opa ". A regex like \\bq[1-4]... cannot
    use the engine's literal-prefix scan, so this prefilter saves most of its cost."""
    if pattern.flags & re.IGNORECASE:
        return ""
    try:
        from re import _constants, _parser  # type: ignore[attr-defined]

        tree = _parser.parse(pattern.pattern, pattern.flags)
    except Exception:  # a private module: any change in it only turns the prefilter off
        return ""
    runs: list[str] = []

    def walk(items: Any) -> None:
        run = ""
        for op, av in items:
            if op is _constants.LITERAL:
                run += chr(av)
                continue
            runs.append(run)
            run = ""
            # A plain group's content is required too (not one with flags such as (?i:)).
            if op is _constants.SUBPATTERN and not av[1] and not av[2]:
                walk(av[3])
        runs.append(run)

    try:
        walk(tree)
    except Exception:
        return ""
    return max(runs, key=len, default="")


def normalize_terms(terms: Iterable[str]) -> list[str]:
    """The terms as stored: stripped, validated, exact repeats dropped, order kept.

    Raises:
        WatchTermError: naming the first bad term.
    """
    if isinstance(terms, str):
        raise WatchTermError("Watch terms must be a list of terms, not one string.")
    out: list[str] = []
    for t in terms:
        if not isinstance(t, str):
            raise WatchTermError(f"A watch term must be text, not {type(t).__name__}.")
        term = parse_term(t).text
        if term not in out:
            out.append(term)
    return out


def item_text(title: str | None, summary: str | None, content: str | None) -> str:
    """The text one item is matched on: its title, summary and content (plain text)."""
    return FIELD_BREAK.join((title or "", summary or "", content or ""))


Hit = tuple[int, str]  # (list id, term as written)


class Matcher:
    """Every watch list compiled once. Per item: one fold, one pass splitting words, a set
    intersection for single words; a phrase's regex runs only when all its words are there;
    user regexes run one by one (they are few)."""

    def __init__(self, lists: Iterable[tuple[int, Sequence[str]]]):
        self._words: dict[str, list[Hit]] = {}
        self._phrases: list[tuple[frozenset[str], re.Pattern[str], Hit]] = []
        self._regexes: list[tuple[str, re.Pattern[str], Hit]] = []
        self.list_ids: list[int] = []
        for list_id, terms in lists:
            self.list_ids.append(list_id)
            for text in terms:
                term = parse_term(text)
                hit = (list_id, term.text)
                if term.kind == "word":
                    self._words.setdefault(term.tokens[0], []).append(hit)
                elif term.kind == "phrase":
                    assert term.pattern is not None
                    self._phrases.append((frozenset(term.tokens), term.pattern, hit))
                else:
                    assert term.pattern is not None
                    self._regexes.append((required_literal(term.pattern), term.pattern, hit))
        self._word_keys = frozenset(self._words)
        # Every word some term needs: one intersection per item finds which are present.
        self._needed = self._word_keys.union(*(needed for needed, _, _ in self._phrases))

    def __bool__(self) -> bool:
        return bool(self._words or self._phrases or self._regexes)

    def match_text(self, text: str) -> list[Hit]:
        """(list id, term) for every term found in `text` (item_text() of an item)."""
        folded = fold(text[:MAX_TEXT])
        words = (folded.translate(_ASCII_BREAKS).split() if folded.isascii()
                 else _WORDS.findall(folded))
        present = self._needed.intersection(words)
        hits: list[Hit] = []
        for word in present:
            found = self._words.get(word)
            if found:
                hits.extend(found)
        for needed, pattern, hit in self._phrases:
            if needed <= present and pattern.search(folded):
                hits.append(hit)
        for literal, pattern, hit in self._regexes:
            # `in` is a C substring scan: a regex whose literal is absent never runs.
            if literal in folded and pattern.search(folded):
                hits.append(hit)
        return hits

    def match(self, title: str | None, summary: str | None, content: str | None) -> list[Hit]:
        """(list id, term) for every term found in an item's plain-text fields."""
        return self.match_text(item_text(title, summary, content))
