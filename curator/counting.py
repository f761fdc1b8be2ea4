"""Post length as each network counts it, Bluesky facets, LinkedIn escaping and thread splits.

Every count here is the one the network itself applies when it accepts or rejects a post:

- **X**: twitter-text v3 weighted length (``config/v3.json``): NFC-normalised text, each URL
  weighs 23, each emoji sequence 2, code points in the ranges 0-4351, 8192-8205, 8208-8223 and
  8242-8247 weigh 1, everything else (CJK, most symbols) 2; limit 280. URLs are found the way
  twitter-text finds them, bare domains with a known top-level domain included.
- **Bluesky**: 300 grapheme clusters (an emoji ZWJ family or a flag is one), as the
  ``app.bsky.feed.post`` lexicon's ``maxGraphemes: 300``; links, mentions and hashtags become
  facets with UTF-8 byte offsets.
- **Mastodon**: the instance's ``configuration.statuses.max_characters`` (default 500); every
  http(s) URL counts ``characters_reserved_per_url`` (23) and ``@user@domain`` counts as
  ``@user``; the rest is grapheme clusters (Mastodon's StatusLengthValidator).
- **LinkedIn**: 3,000 characters of what the user typed (before "little text" escaping).

Pure functions, no Qt; the only network call is :func:`fetch_mastodon_limit`.
"""

from __future__ import annotations

import functools
import importlib.resources
import math
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import regex

from .errors import CuratorError

Network = Literal["x", "bluesky", "mastodon", "linkedin"]
NETWORKS: tuple[str, ...] = ("x", "bluesky", "mastodon", "linkedin")
DEFAULT_LIMITS: dict[str, int] = {"x": 280, "bluesky": 300, "mastodon": 500, "linkedin": 3000}
THREAD_NETWORKS: tuple[str, ...] = ("x", "bluesky", "mastodon")


class UnknownNetworkError(CuratorError, ValueError):
    """The network name is not one Curator can count for."""


class ThreadSplitError(CuratorError, ValueError):
    """The text cannot be split into a thread on that network."""


@dataclass(frozen=True)
class Measure:
    """A post's length as the network counts it, its limit, and whether it fits."""

    length: int
    limit: int
    ok: bool

    def to_json(self) -> dict[str, Any]:
        return {"length": self.length, "limit": self.limit, "ok": self.ok}


def _check_network(network: str) -> str:
    name = network.strip().lower()
    if name not in NETWORKS:
        raise UnknownNetworkError(
            f"Unknown network {network!r}: choose one of {', '.join(NETWORKS)}.")
    return name


def length(network: str, text: str) -> int:
    """The length of ``text`` as ``network`` counts it (see the module docstring)."""
    name = _check_network(network)
    if name == "x":
        return x_weighted_length(text)
    if name == "bluesky":
        return bluesky_graphemes(text)
    if name == "mastodon":
        return mastodon_length(text)
    return linkedin_length(text)


def measure(network: str, text: str, *, limit: int | None = None) -> Measure:
    """Count ``text`` for ``network`` against ``limit`` (default: the network's own).

    ``ok`` means "within the limit"; whether an empty post may be sent is the composer's call.

    Raises:
        UnknownNetworkError: ``network`` is not x, bluesky, mastodon or linkedin.
        CuratorError: ``limit`` is below 1.
    """
    name = _check_network(network)
    if limit is not None and limit < 1:
        raise CuratorError("The limit must be at least 1.")
    cap = DEFAULT_LIMITS[name] if limit is None else limit
    n = length(name, text)
    return Measure(n, cap, n <= cap)


# ---- shared: top-level domains -----------------------------------------------------------------


@functools.cache
def _tlds() -> frozenset[str]:
    """Top-level domains from the Public Suffix List's ICANN section (IANA's root zone).

    twitter-text and Bluesky both recognise bare domains only with a real TLD; the list comes
    from the ``publicsuffixlist`` package, which ships a fresh copy with every release.
    """
    data = (importlib.resources.files("publicsuffixlist")
            .joinpath("public_suffix_list.dat").read_text("utf-8"))
    tlds: set[str] = set()
    icann = False
    for raw in data.splitlines():
        line = raw.strip()
        if "===BEGIN ICANN DOMAINS===" in line:
            icann = True
        elif "===END ICANN DOMAINS===" in line:
            break
        elif icann and line and not line.startswith(("//", "!", "*")) and "." not in line:
            tlds.add(line.lower())
    tlds.add("onion")  # special-use, not in the root zone; twitter-text links it
    return frozenset(tlds)


def _is_tld(label: str) -> bool:
    return label.lower() in _tlds() or (label.lower().startswith("xn--")
                                        and _punycode_tld(label.lower()) in _tlds())


def _punycode_tld(label: str) -> str:
    try:
        return label[4:].encode("ascii").decode("punycode")
    except (UnicodeError, ValueError):
        return ""


# ---- X (twitter-text v3) -----------------------------------------------------------------------

# twitter-text's config/v3.json
X_CONFIG: dict[str, Any] = {
    "version": 3,
    "maxWeightedTweetLength": 280,
    "scale": 100,
    "defaultWeight": 200,
    "emojiParsingEnabled": True,
    "transformedURLLength": 23,
    "ranges": [(0, 4351, 100), (8192, 8205, 100), (8208, 8223, 100), (8242, 8247, 100)],
}
_X_MAX_URL_LENGTH = 4096
_X_MAX_TCO_SLUG = 40
_X_MAX_LABEL = 63

# Character classes of twitter-text's regexp/ sources, as data.
_LATIN_ACCENTS = ("\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff\u0100-\u024f\u0253\u0254\u0256\u0257"
                  "\u0259\u025b\u0263\u0268\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f"
                  "\u1e00-\u1eff")
_CYRILLIC = "\u0400-\u04ff"
_PUNCT = r"!'#%&()*+,\\\-./:;<=>?@\[\]^_{|}~$"
_SPACES = ("\\x09-\\x0d\\x20\\x85\\xa0\u1680\u180e\u2000-\u200a\u2028\u2029\u202f\u205f"
           "\u3000")
_INVALID = "\ufffe\ufeff\uffff"
_DIRECTIONAL = "\u202a-\u202e\u061c\u200e\u200f\u2066\u2067\u2068\u2069"


@functools.cache
def _x_patterns() -> tuple[regex.Pattern[str], regex.Pattern[str], regex.Pattern[str]]:
    # Longest-first alternation, like twitter-text's (reverse-sorted) TLD lists, so that
    # "example.community" is not cut at "com".
    tlds = "|".join(regex.escape(t) for t in sorted(_tlds(), reverse=True))
    tld = rf"(?:(?:{tlds})(?=[^0-9a-zA-Z@+-]|$))"
    punycode = r"(?:xn--[\-0-9a-z]+)"
    dc = f"[^{_PUNCT}{_SPACES}{_INVALID}{_DIRECTIONAL}]"
    subdomain = rf"(?:(?:{dc}(?:[_-]|{dc})*)?{dc}\.)"
    domain_name = rf"(?:(?:{dc}(?:-|{dc})*)?{dc}\.)"
    domain = rf"(?:{subdomain}*{domain_name}(?:{tld}|{punycode}))"
    pc = rf"[a-z{_CYRILLIC}0-9!*';:=+,.$/%#\[\]\-\u2013_~@|&{_LATIN_ACCENTS}]"
    parens = rf"\((?:{pc}+|(?:{pc}*\({pc}+\){pc}*))\)"
    path_end = rf"[+\-a-z{_CYRILLIC}0-9=_#/{_LATIN_ACCENTS}]|(?:{parens})"
    # Ungrouped on purpose: twitter-text splices path_end in as-is, so its "|" makes a lone
    # balanced-parens group a path alternative of its own ("/a,(b)" links only "/a").
    path = rf"(?:(?:{pc}*(?:{parens}{pc}*)*{path_end})|(?:@{pc}+/))"
    query = r"[a-z0-9!?*'@();:&=+$/%#\[\]\-_.,~|]"
    query_end = r"[a-z0-9\-_&=#/]"
    before = f"(?:[^A-Za-z0-9@\uff20$#\uff03{_INVALID}]|[{_DIRECTIONAL}]|^)"
    url = regex.compile(
        rf"(?P<before>{before})"
        rf"(?P<url>(?P<protocol>https?://)?(?P<domain>{domain})(?::[0-9]+)?"
        rf"(?P<path>/{path}*)?(?:\?{query}*{query_end})?)",
        regex.IGNORECASE | regex.VERSION0)
    ascii_domain = regex.compile(
        rf"(?:(?:[\-a-z0-9{_LATIN_ACCENTS}]+)\.)+(?:{tld}|{punycode})",
        regex.IGNORECASE | regex.VERSION0)
    tco = regex.compile(rf"^https?://t\.co/([a-z0-9]+)(?:\?{query}*{query_end})?",
                        regex.IGNORECASE | regex.VERSION0)
    return url, ascii_domain, tco


def _x_domain_ok(domain: str, ascii_domain: regex.Pattern[str]) -> bool:
    """twitter-text's idna.toAscii: each label, punycode-encoded, is 1-63 characters."""
    if domain.startswith("xn--") and not ascii_domain.search(domain):
        return False
    for label in domain.split("."):
        try:
            size = len(label) if label.isascii() else 4 + len(label.encode("punycode"))
        except UnicodeError:
            return False
        if not 1 <= size <= _X_MAX_LABEL:
            return False
    return True


def x_urls(text: str) -> list[tuple[int, int]]:
    """(start, end) code-point spans of the URLs twitter-text extracts, bare domains included."""
    if "." not in text:
        return []
    url_re, ascii_domain, tco = _x_patterns()
    spans: list[tuple[int, int]] = []
    for m in url_re.finditer(text):
        url, protocol, domain = m["url"], m["protocol"], m["domain"]
        start, end = m.start("url"), m.end("url")
        if not _x_domain_ok(domain, ascii_domain):
            continue
        if len(protocol or "https://") + len(url) > _X_MAX_URL_LENGTH:
            continue
        if not protocol:
            if regex.search(r"[-_./]$", m["before"]):
                continue
            # Without a protocol only the ASCII (and Latin-accented) domains count.
            last: list[int] | None = None
            for d in ascii_domain.finditer(domain):
                last = [start + d.start(), start + d.end()]
                spans.append((last[0], last[1]))
            if last is None:
                continue
            if m["path"]:
                spans[-1] = (last[0], end)
        else:
            t = tco.match(url)
            if t:
                if len(t[1]) > _X_MAX_TCO_SLUG:
                    continue
                end = start + len(t[0])
            spans.append((start, end))
    return spans


# An emoji sequence per UTS #51: flags, keycaps, and ZWJ chains of pictographs with their
# presentation selectors, skin-tone modifiers or tag sequences. Text-style symbols (©, ®)
# count as emoji only with U+FE0F, as twemoji-parser does.
_EMOJI_ELEMENT = (r"(?:(?:\p{Emoji_Presentation}|\p{Extended_Pictographic}(?=\uFE0F|\p{EMod})"
                  r"|\p{Emoji_Modifier_Base})"
                  r"(?:\uFE0F|\p{Emoji_Modifier}|[\U000E0020-\U000E007E]+\U000E007F)*)")
_EMOJI_RE = regex.compile(
    rf"(?:\p{{Regional_Indicator}}{{2}})|(?:[0-9#*]\uFE0F?\u20E3)"
    rf"|(?:{_EMOJI_ELEMENT}(?:\u200D{_EMOJI_ELEMENT})*)", regex.VERSION1)


def _x_weight(char: str) -> int:
    cp = ord(char)
    for low, high, weight in X_CONFIG["ranges"]:
        if low <= cp <= high:
            return int(weight)
    return int(X_CONFIG["defaultWeight"])


@dataclass(frozen=True)
class XParse:
    """twitter-text's ``parseTweet`` result; ranges are inclusive UTF-16 indices of the input."""

    weighted_length: int
    valid: bool
    permillage: int
    valid_range_end: int
    display_range_end: int


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def x_parse(text: str, *, emoji_parsing: bool = True) -> XParse:
    """twitter-text's ``parseTweet`` with config v3 (``emoji_parsing=False`` gives v2)."""
    normal = unicodedata.normalize("NFC", text)
    scale = int(X_CONFIG["scale"])
    cap = int(X_CONFIG["maxWeightedTweetLength"]) * scale
    url_at = dict(x_urls(normal))
    emoji_at = {m.start(): m.end() for m in _EMOJI_RE.finditer(normal)} if emoji_parsing else {}
    total = 0
    valid = True
    valid_index = 0
    i = 0
    unit = 0  # UTF-16 index of normal[i], since twitter-text's ranges are JavaScript indices
    while i < len(normal):
        if i in url_at:
            total += int(X_CONFIG["transformedURLLength"]) * scale
            step = url_at[i] - i
        elif emoji_at.get(i, i) > i:
            total += int(X_CONFIG["defaultWeight"])
            step = emoji_at[i] - i
        else:
            total += _x_weight(normal[i])
            step = 1
        span = normal[i:i + step]
        unit += _utf16_len(span)
        last_unit = unit - 1
        # Only the last UTF-16 unit of each step is checked, as in twitter-text.
        if valid and span[-1] in _INVALID and ord(span[-1]) <= 0xFFFF:
            valid = False
        if valid and total <= cap:
            valid_index = last_unit
        i += step
    weighted = total // scale
    return XParse(
        weighted_length=weighted,
        valid=valid and 0 < weighted <= int(X_CONFIG["maxWeightedTweetLength"]),
        # floating point on purpose: JavaScript computes it so
        permillage=math.floor(weighted / int(X_CONFIG["maxWeightedTweetLength"]) * 1000),
        valid_range_end=valid_index + _utf16_len(text) - _utf16_len(normal),
        display_range_end=max(_utf16_len(text) - 1, 0),
    )


def x_weighted_length(text: str) -> int:
    """X's weighted length of ``text`` (twitter-text v3 ``parseTweet().weightedLength``)."""
    return x_parse(text).weighted_length


# ---- Bluesky -----------------------------------------------------------------------------------


def bluesky_graphemes(text: str) -> int:
    """Extended grapheme clusters in ``text`` (UAX #29), Bluesky's unit for its 300 limit."""
    return len(regex.findall(r"\X", text))


@dataclass(frozen=True)
class Facet:
    """One ``app.bsky.richtext.facet``: a UTF-8 byte range and the feature it carries.

    The lexicon (bluesky-social/atproto ``lexicons/app/bsky/richtext/facet.json``) says:
    ``{"index": {"byteStart": 6, "byteEnd": 15}, "features": [{"$type":
    "app.bsky.richtext.facet#link", "uri": "https://example.com"}]}`` -- "Start index is
    inclusive, end index is exclusive. Indices are zero-indexed, counting bytes of the UTF-8
    encoded text." A ``#mention`` feature carries ``did`` (the connector resolves the handle
    kept here in ``value``), a ``#tag`` carries ``tag`` without the '#', a ``#link`` ``uri``.
    """

    byte_start: int
    byte_end: int
    kind: Literal["link", "mention", "tag"]
    value: str  # the complete URI, the handle (no '@'), or the tag (no '#')

    def to_record(self, did: str | None = None) -> dict[str, Any]:
        """The facet as it goes into a post record; a mention needs its resolved ``did``."""
        feature: dict[str, str] = {"$type": f"app.bsky.richtext.facet#{self.kind}"}
        if self.kind == "link":
            feature["uri"] = self.value
        elif self.kind == "tag":
            feature["tag"] = self.value
        else:
            if not did:
                raise CuratorError(f"The mention @{self.value} needs its DID before sending.")
            feature["did"] = did
        return {"index": {"byteStart": self.byte_start, "byteEnd": self.byte_end},
                "features": [feature]}


_BSKY_MENTION = regex.compile(r"(?:^|(?<=[\s(]))@([a-zA-Z0-9.-]+)(?![a-zA-Z0-9.-])")
_BSKY_HANDLE = regex.compile(
    r"^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$")
_BSKY_LINK = regex.compile(
    r"(?:^|(?<=[\s(]))(?:(https?://\S+)|(?P<domain>[a-z][a-z0-9]*(?:\.[a-z0-9]+)+)\S*)",
    regex.IGNORECASE)
_BSKY_TAG_STOP = "\\s\u00ad\u2060\u200a\u200b\u200c\u200d\u20e2"
_BSKY_TAG = regex.compile(
    rf"(?:^|(?<=\s))[#\uff03](?!\ufe0f)([^{_BSKY_TAG_STOP}]*[^\d\p{{P}}{_BSKY_TAG_STOP}]"
    rf"[^{_BSKY_TAG_STOP}]*)", regex.VERSION1)
_BSKY_TAG_MAX = 64


def _utf8_span(text: str, start: int, end: int) -> tuple[int, int]:
    byte_start = len(text[:start].encode("utf-8"))
    return byte_start, byte_start + len(text[start:end].encode("utf-8"))


def bluesky_facets(text: str) -> list[Facet]:
    """Links, mentions and hashtags in ``text`` as Bluesky facets, in text order.

    Detection follows the official client's rich-text rules: a link starts after a space, '('
    or the text start, is http(s) or a bare domain with a real TLD (its URI then gets
    ``https://``), and loses trailing ``.,;:!?`` and an unmatched ')'. A mention is
    ``@handle`` with a dotted, valid handle. A hashtag is ``#`` plus up to 64 characters that
    are not all digits, without trailing punctuation.
    """
    facets: list[Facet] = []
    for m in _BSKY_MENTION.finditer(text):
        handle = m[1].rstrip(".")
        # As Bluesky's own client: a handle on a known TLD, or a ".test" one (test servers).
        tld = handle.rsplit(".", 1)[-1]
        if not _BSKY_HANDLE.match(handle) or not (_is_tld(tld) or tld.lower() == "test"):
            continue
        start = m.start()
        facets.append(Facet(*_utf8_span(text, start, start + 1 + len(handle)), "mention",
                            handle.lower()))
    for m in _BSKY_LINK.finditer(text):
        start, end = m.start(), m.end()
        uri = m[0]
        if m["domain"]:
            if not _is_tld(m["domain"].rsplit(".", 1)[-1]):
                continue
        while uri and uri[-1] in ".,;:!?\"'":
            uri = uri[:-1]
        if uri.endswith(")") and "(" not in uri:
            uri = uri[:-1]
        end = start + len(uri)
        if m["domain"]:
            uri = f"https://{uri}"
        elif not regex.match(r"https?://[^/?#\s]+\.[^/?#\s]", uri, regex.IGNORECASE):
            continue
        facets.append(Facet(*_utf8_span(text, start, end), "link", uri))
    for m in _BSKY_TAG.finditer(text):
        tag = regex.sub(r"\p{P}+$", "", m[1])
        if not tag or len(tag) > _BSKY_TAG_MAX:
            continue
        start = m.start()
        facets.append(Facet(*_utf8_span(text, start, start + 1 + len(tag)), "tag", tag))
    facets.sort(key=lambda f: f.byte_start)
    # A link's text may contain '#' or '@' (fragments, userinfo): the link wins.
    kept: list[Facet] = []
    for f in facets:
        if kept and f.byte_start < kept[-1].byte_end:
            if kept[-1].kind != "link" and f.kind == "link":
                kept[-1] = f
            continue
        kept.append(f)
    return kept


# ---- Mastodon ----------------------------------------------------------------------------------

MASTODON_URL_LENGTH = 23
_MASTODON_MENTION = regex.compile(
    r"(?<![=/\w])@((?:[a-z0-9_]+(?:[a-z0-9_.-]+[a-z0-9_]+)?))(?:@[\w.-]+\w+)?",
    regex.IGNORECASE)


def _mastodon_url_spans(text: str) -> list[tuple[int, int]]:
    # Mastodon links only URLs with a scheme (extract_url_without_protocol: false).
    return [(s, e) for s, e in x_urls(text)
            if text[s:s + 8].lower().startswith(("http://", "https://"))]


def mastodon_length(text: str, *, url_length: int = MASTODON_URL_LENGTH) -> int:
    """Mastodon's StatusLengthValidator count: grapheme clusters, with every http(s) URL
    counted as ``url_length`` characters and ``@user@domain`` counted as ``@user``."""
    # Like Mastodon: each URL becomes url_length placeholder characters, then mentions shrink.
    pieces: list[str] = []
    pos = 0
    for start, end in _mastodon_url_spans(text):
        pieces += [text[pos:start], "x" * url_length]
        pos = end
    pieces.append(text[pos:])
    countable = _MASTODON_MENTION.sub(lambda m: "@" + m[1], "".join(pieces))
    return bluesky_graphemes(countable)


def fetch_mastodon_limit(api_base: str, session: Any, *, timeout: float = 10.0) -> int:
    """The instance's post limit, read from its API; 500 when it does not say.

    Mastodon documents ``GET /api/v2/instance`` -> ``configuration.statuses.max_characters``
    ("The maximum number of allowed characters per status"); servers before 4.0 (and some
    forks) answer ``GET /api/v1/instance`` with ``configuration.statuses.max_characters`` or
    the older ``max_toot_chars``. ``session`` is a ``requests.Session`` (or anything with
    its ``get``). Network errors give the default: a limit must never block drafting.
    """
    base = api_base.rstrip("/")
    for path, keys in (("/api/v2/instance", (("configuration", "statuses", "max_characters"),)),
                       ("/api/v1/instance", (("configuration", "statuses", "max_characters"),
                                             ("max_toot_chars",)))):
        try:
            resp = session.get(base + path, timeout=timeout,
                               headers={"Accept": "application/json"})
            if resp.status_code != 200:
                continue
            data = resp.json()
        except Exception:  # noqa: BLE001 - any network or JSON trouble means "ask elsewhere"
            continue
        for key_path in keys:
            value: Any = data
            for key in key_path:
                value = value.get(key) if isinstance(value, dict) else None
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                return value
            if isinstance(value, str) and value.isdigit() and int(value) > 0:
                return int(value)
    return DEFAULT_LIMITS["mastodon"]


# ---- LinkedIn ----------------------------------------------------------------------------------

# LinkedIn's "little text format" (Posts API ``commentary``): "Characters reserved for little
# elements must be escaped to be treated as plaintext" and "All reserved characters need to
# be escaped with a backslash, even if those characters are not used in one of the supported
# elements or templates". Unescaped, LinkedIn answers 201 and cuts the post at the first one.
LINKEDIN_RESERVED = "\\|{}@[]()<>#*_~"
# The documented HashtagTemplate: "Represents a hashtag, including the hashtag sign, which
# should be either '#' (U+0023) or '＃' (U+FF03)", e.g. ``{hashtag|\#|mytag}``; the sign is
# sent escaped (``\#``) like every reserved character, as clients that post to LinkedIn do.
LINKEDIN_HASHTAG_TEMPLATE = "{{hashtag|{sign}|{tag}}}"
# A hashtag as Curator sends it: ``#`` or ``＃`` that starts a word (at the start, after a
# space or an opening bracket/quote, never after a letter, digit or ``/``: so not ``C#`` nor
# ``/a#b``), then letters, marks, digits or ``_`` with at least one letter (``#1`` stays text).
_LINKEDIN_HASHTAG = regex.compile(
    r"(?<![^\s\p{Ps}\p{Pi}¿¡\"'])([#＃])((?=[\p{L}\p{M}\p{N}_]*\p{L})[\p{L}\p{M}\p{N}_]+)")
_LINKEDIN_LITTLE = regex.compile(
    r"\{hashtag\|(\\#|#|＃)\|((?:\\[\\|{}@\[\]()<>#*_~]|[^\\|{}@\[\]()<>#*_~])+)\}"
    r"|\\([\\|{}@\[\]()<>#*_~])")


def linkedin_length(text: str) -> int:
    """Characters as LinkedIn counts toward 3,000: UTF-16 code units of the typed text.

    LinkedIn documents "3,000 characters" without defining a character; its services are
    Java, whose String length is UTF-16 units, so an emoji outside the BMP counts 2. Counting
    UTF-16 units never calls a post fine that LinkedIn would refuse. The count is of the text
    the member sees: escapes add nothing and a hashtag template counts as its ``#tag``
    (the little-text page says nothing about how templates count).
    """
    return len(text.encode("utf-16-le")) // 2


def linkedin_escape(text: str) -> str:
    """``text`` with every little-format reserved character backslash-escaped."""
    return "".join("\\" + c if c in LINKEDIN_RESERVED else c for c in text)


def linkedin_hashtags(text: str) -> list[tuple[int, int]]:
    """(start, end) spans, sign included, of the words :func:`linkedin_commentary` sends as
    LinkedIn hashtags; a ``#`` inside a link is never one."""
    urls = x_urls(text)
    return [(m.start(), m.end()) for m in _LINKEDIN_HASHTAG.finditer(text)
            if not any(s <= m.start() < e for s, e in urls)]


def linkedin_commentary(text: str) -> str:
    """The Posts API ``commentary`` for what the member typed: every hashtag
    (:func:`linkedin_hashtags`) as the documented HashtagTemplate, the rest escaped."""
    out: list[str] = []
    pos = 0
    for start, end in linkedin_hashtags(text):
        sign = "\\#" if text[start] == "#" else text[start]  # ＃ is not reserved
        tag = linkedin_escape(text[start + 1:end])
        out += [linkedin_escape(text[pos:start]),
                LINKEDIN_HASHTAG_TEMPLATE.format(sign=sign, tag=tag)]
        pos = end
    out.append(linkedin_escape(text[pos:]))
    return "".join(out)


def linkedin_unescape(text: str) -> str:
    """What LinkedIn shows for little text made by :func:`linkedin_escape` or
    :func:`linkedin_commentary`: escapes undone, hashtag templates back to ``#tag``."""
    def shown(m: regex.Match[str]) -> str:
        if m[3] is not None:
            return m[3]
        return m[1][-1] + regex.sub(r"\\(.)", r"\1", m[2])
    return _LINKEDIN_LITTLE.sub(shown, text)


# ---- threads -----------------------------------------------------------------------------------

_SENTENCE_END = regex.compile(r"[.!?…。！？][\"')»”’]*\s*$")


def _tokens(text: str) -> Iterator[str]:
    """Words with their trailing whitespace: a URL, a mention or a grapheme is never cut."""
    yield from regex.findall(r"\S+\s*", text.strip())


def split_thread(network: str, text: str, *, limit: int | None = None) -> list[str]:
    """Split an over-limit ``text`` into numbered parts (``… 1/3``) that each fit.

    Parts break after a sentence when one ends in the second half of a part, else between
    words; a single word longer than a part is cut between grapheme clusters (never inside a
    URL or a mention, which raise instead). Text that already fits comes back as one part.

    Raises:
        ThreadSplitError: LinkedIn (no threads), or a URL/mention/word that can never fit.
    """
    name = _check_network(network)
    if name not in THREAD_NETWORKS:
        raise ThreadSplitError(f"{name.capitalize() if name != 'linkedin' else 'LinkedIn'} "
                               "has no threads: shorten the post instead.")
    cap = DEFAULT_LIMITS[name] if limit is None else limit
    if length(name, text) <= cap:
        return [text]
    total_guess = 2
    for _ in range(8):  # the count's digits change the room per part; settle in a few rounds
        parts = _split_with_total(name, text, cap, total_guess)
        if len(parts) == total_guess:
            return [f"{p} {i}/{len(parts)}" for i, p in enumerate(parts, 1)]
        total_guess = len(parts)
    raise ThreadSplitError("The text could not be split into a thread.")


def _split_with_total(network: str, text: str, cap: int, total: int) -> list[str]:
    width = len(f" {total}/{total}")

    def fits(part: str, index: int) -> bool:
        return length(network, f"{part} {index}/{total}") <= cap

    tokens = list(_tokens(text))
    parts: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(tokens):
        index = len(parts) + 1
        candidate = "".join(current + [tokens[i]]).rstrip()
        if fits(candidate, index):
            current.append(tokens[i])
            i += 1
            continue
        if not current:
            head, rest = _cut_word(network, tokens[i], cap, width, fits, index)
            parts.append(head)
            tokens[i] = rest
            continue
        cut = len(current)
        for k in range(len(current) - 1, len(current) // 2 - 1, -1):
            if k > 0 and _SENTENCE_END.search(current[k - 1]):
                cut = k
                break
        parts.append("".join(current[:cut]).rstrip())
        current = current[cut:]
    if current:
        parts.append("".join(current).rstrip())
    return parts


def _cut_word(network: str, word: str, cap: int, width: int, fits: Any,
              index: int) -> tuple[str, str]:
    core = word.rstrip()
    if (network == "x" and x_urls(core)) or regex.match(r"https?://|@\w", core, regex.I):
        raise ThreadSplitError(f"The link or mention {core[:40]!r} is too long for one post.")
    clusters = regex.findall(r"\X", core)
    lo = 0
    for n in range(1, len(clusters) + 1):
        if fits("".join(clusters[:n]), index):
            lo = n
        else:
            break
    if lo == 0:
        raise ThreadSplitError(f"The limit {cap} leaves no room for text in a thread part.")
    return "".join(clusters[:lo]), "".join(clusters[lo:]) + word[len(core):]
