"""Pure post composition: templates, UTM tagging, disclaimers and hashtags (no storage, no Qt).

Everything here runs on each keystroke in the composer, so it is small, allocation-light
and never touches the network or the database. The functions the rest of Curator calls:

- `check_template`, `render_template`: templates with `{title}`, `{url}`, `{source}`,
  `{author}`, `{commentary}`, `{quote}` and `{hashtags}`.
- `add_utm`, `tag_links_in_text`: the account's UTM tags on the item's link.
- `apply_disclaimer`, `has_disclaimer`, `enforce_disclaimer`: the account's disclaimer.
- `normalize_hashtag`, `format_hashtags`, `suggest_hashtags`: hashtags that work on X,
  Mastodon and Bluesky alike.
- `compose_post`: all of the above for one account's variant of a post.
- `card_description`, `card_image`: a link card's text and picture from the item.
"""

from __future__ import annotations

import difflib
import html
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol
from urllib.parse import quote, unquote_plus, urlsplit

from .errors import TemplateError

# ---- templates ------------------------------------------------------------------------------

PLACEHOLDERS = ("title", "url", "source", "author", "commentary", "quote", "hashtags")

# Used when an account or draft has no template. Lines whose placeholders are all empty
# disappear (no quote: no “” line), so one default serves every case.
DEFAULT_TEMPLATE = "{commentary}\n\n“{quote}”\n\n{title} {url}\n\n{hashtags}"

# What Spanish-speaking users (and typos) tend to write instead: used for "did you mean".
_ALIASES = {
    "titulo": "title", "título": "title", "enlace": "url", "link": "url", "fuente": "source",
    "autor": "author", "autora": "author", "comentario": "commentary", "cita": "quote",
    "etiquetas": "hashtags", "tags": "hashtags",
}

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}\n]*)\}|[{}]")

# A template line: literal text and placeholder names, in order. (True, name) = placeholder.
_Line = tuple[tuple[bool, str], ...]


def _allowed() -> str:
    names = [f"{{{p}}}" for p in PLACEHOLDERS]
    return ", ".join(names[:-1]) + " and " + names[-1]


def _suggestion(name: str) -> str | None:
    key = name.strip().lower()
    if key in PLACEHOLDERS:
        return key
    if key in _ALIASES:
        return _ALIASES[key]
    close = difflib.get_close_matches(key, PLACEHOLDERS, n=1, cutoff=0.7)
    return close[0] if close else None


@lru_cache(maxsize=128)
def _parse(body: str) -> tuple[_Line, ...]:
    """Split a template into lines of literal text and placeholders; raise on any mistake.

    Cached: the composer re-renders the same template on every keystroke."""
    lines: list[list[tuple[bool, str]]] = [[]]
    unknown: list[str] = []

    def literal(text: str) -> None:
        first, *rest = text.split("\n")
        if first:
            lines[-1].append((False, first))
        for part in rest:
            lines.append([(False, part)] if part else [])

    pos = 0
    for m in _TOKEN.finditer(body):
        literal(body[pos:m.start()])
        pos = m.end()
        token, name = m.group(0), m.group(1)
        if token == "{{":
            literal("{")
        elif token == "}}":
            literal("}")
        elif name is not None:
            if name in PLACEHOLDERS:
                lines[-1].append((True, name))
            elif not name.strip():
                raise TemplateError(
                    f"The template has an empty placeholder {{}} at character {m.start() + 1};"
                    f" the allowed placeholders are {_allowed()}."
                )
            elif name not in unknown:
                unknown.append(name)
        elif token == "{":
            raise TemplateError(
                f'The template has a "{{" with no closing "}}" at character {m.start() + 1};'
                ' write "{{" for a literal brace.'
            )
        else:
            raise TemplateError(
                f'The template has a "}}" with no opening "{{" at character {m.start() + 1};'
                ' write "}}" for a literal brace.'
            )
    literal(body[pos:])
    if unknown:
        shown = []
        for name in unknown[:5]:
            hint = _suggestion(name)
            shown.append(f"{{{name}}}" + (f" (did you mean {{{hint}}}?)" if hint else ""))
        what = "an unknown placeholder" if len(unknown) == 1 else "unknown placeholders"
        raise TemplateError(
            f"The template uses {what} {', '.join(shown)}; the allowed placeholders are"
            f" {_allowed()}."
        )
    return tuple(tuple(line) for line in lines)


def check_template(body: str) -> None:
    """Check that a template can be rendered. `{{` and `}}` stand for literal braces.

    Raises:
        TemplateError: an unknown or empty placeholder, or a brace with no partner; the
            message names the culprit and the allowed placeholders in one sentence.
    """
    _parse(body)


def template_placeholders(body: str) -> set[str]:
    """The placeholders a (valid) template uses. Raises TemplateError like check_template."""
    return {text for line in _parse(body) for is_ph, text in line if is_ph}


_GAP = "\x00"  # marks where an empty placeholder was, while its line is tidied
_OPENERS, _CLOSERS = "“\"«‘'([¿¡", "”\"»’')]?!"
_EMPTY_WRAPPER = re.compile(r"[“\"«‘'(\[¿¡][ \t]*\x00[ \t]*[”\"»’')\]?!]")
_EDGE_SEPARATOR = re.compile(
    r"^[ \t]*\x00[ \t]*[—–|·•:-]+[ \t]*|[ \t]*[—–|·•-]+[ \t]*\x00[ \t]*$"
)
_GAP_BEFORE_PUNCT = re.compile(r"[ \t]*\x00[ \t]*(?=[.,;:!?…)\]»”’])")
_GAP_AT_EDGE = re.compile(r"^[ \t]*\x00[\x00 \t]*|[ \t]*\x00[\x00 \t]*$")
_GAP_INSIDE = re.compile(r"[ \t]*\x00[\x00 \t]*")


def _render_line(line: _Line, values: Mapping[str, str | None]) -> str | None:
    """One template line with values filled in; None when it should disappear."""
    parts: list[str] = []
    gaps = False
    for is_placeholder, text in line:
        if not is_placeholder:
            parts.append(text)
            continue
        value = (values.get(text) or "").replace(_GAP, "")
        if value.strip():
            parts.append(value.strip())
        else:
            parts.append(_GAP)
            gaps = True
    out = "".join(parts)
    if not gaps:
        return out
    for _ in range(3):  # nested wrappers: («{quote}»)
        tidier = _EDGE_SEPARATOR.sub(_GAP, _EMPTY_WRAPPER.sub(_GAP, out))
        if tidier == out:
            break
        out = tidier
    out = _GAP_BEFORE_PUNCT.sub("", out)
    out = _GAP_AT_EDGE.sub("", out)
    out = _GAP_INSIDE.sub(" ", out)
    # Only wrappers or separators left (a lone “”, a dash): nothing worth a line.
    if not any(c.isalnum() for c in out):
        return None
    return out


def render_template(body: str, values: Mapping[str, str | None]) -> str:
    """Fill a template's placeholders from `values`; missing or blank values render empty.

    Tidying after empty values, so a template reads well whatever the item gives:
    - a line whose only text was empty placeholders, quote marks, brackets or separators
      (`“{quote}”`, `{hashtags}`, `— {author}`) disappears, and so does the blank line it
      would leave doubled;
    - inside a line, quote marks or brackets around an empty value go, as does a separator
      (`—`, `|`, `·`) between it and the line's edge, and the spaces around it become one;
    - values are inserted as text: braces in a commentary are never read as placeholders;
    - the result is stripped of leading and trailing blank space.
    Lines with no placeholder, and blank lines between filled ones, are kept as written.

    Raises:
        TemplateError: the template is not valid (see check_template).
    """
    result: list[str] = []
    dropped = False  # a line vanished since the last line with text
    for line in _parse(body):
        text = _render_line(line, values)
        if text is None:
            dropped = True
            continue
        blank = not text.strip()
        if blank and dropped and (not result or not result[-1].strip()):
            continue  # a vanished line would leave two blank lines in a row
        result.append(text)
        if not blank:
            dropped = False
    return "\n".join(result).strip()


# ---- UTM ------------------------------------------------------------------------------------


def _ascii_host(host: str) -> str:
    """The host in IDNA (punycode) form, so "café.es" and "xn--caf-dma.es" compare equal."""
    host = host.strip().lower().rstrip(".")
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:  # an empty or over-long label: compare as written
        return host


def _domain_key(domain: str) -> str:
    """A skip-list entry as a bare host; "https://www.x.es/a", "*.x.es" and ".x.es" work."""
    domain = domain.strip()
    if "://" in domain:
        try:
            domain = urlsplit(domain).hostname or ""
        except ValueError:
            return ""
    domain = domain.split("/", 1)[0].lstrip("*").lstrip(".")
    return _ascii_host(domain)


def _skipped(host: str, skip_domains: Iterable[str]) -> bool:
    host = _ascii_host(host)
    for entry in skip_domains:
        domain = _domain_key(entry)
        if domain and (host == domain or host.endswith("." + domain)):
            return True
    return False


def _has_utm(query: str) -> bool:
    for pair in re.split(r"[&;]", query):
        name = unquote_plus(pair.split("=", 1)[0]).strip().lower()
        if name.startswith("utm_"):
            return True
    return False


def _slug(value: str) -> str:
    """A placeholder value as a campaign name: lower case, words joined by "-", accents kept."""
    words = re.split(r"[\W_]+", unicodedata.normalize("NFC", value).lower())
    return "-".join(w for w in words if w)[:60].strip("-")


def render_campaign(campaign: str, values: Mapping[str, str | None] | None = None) -> str:
    """The utm_campaign value: literal text as typed, each placeholder's value as a slug
    ("{source}-semanal" with source "El País" -> "el-país-semanal").

    Raises:
        TemplateError: the campaign names an unknown placeholder.
    """
    values = values or {}
    out = []
    for i, line in enumerate(_parse(campaign)):
        if i:
            out.append(" ")
        for is_placeholder, text in line:
            out.append(_slug(values.get(text) or "") if is_placeholder else text)
    return " ".join("".join(out).split())


def add_utm(
    url: str,
    *,
    source: str | None,
    medium: str | None,
    campaign: str | None,
    skip_domains: Iterable[str] = (),
    values: Mapping[str, str | None] | None = None,
) -> str:
    """Add utm_source, utm_medium and utm_campaign to a link, changing nothing else.

    - The existing query (order, encoding, empty values) and the #fragment are kept byte
      for byte; the new parameters are appended, percent-encoded as UTF-8.
    - A link that already has any utm_* parameter is returned unchanged: it was tagged
      already (by us, or by its publisher), and mixing two sets of tags corrupts both
      reports. So the function is idempotent.
    - Empty settings are left out; with none set the link is unchanged.
    - The campaign may hold placeholders, filled from `values` (see render_campaign).
    - Links to a domain in `skip_domains`, or to any of its subdomains, are unchanged
      (compared in IDNA form, so "café.es" and "xn--caf-dma.es" are the same domain).
    - Anything but an absolute http(s) URL (mailto:, relative, malformed) is unchanged.
    - A link with no path gets "/" before the query ("https://x.es" -> "https://x.es/?...").

    Raises:
        TemplateError: the campaign names an unknown placeholder.
    """
    wanted = [
        (name, value.strip())
        for name, value in (
            ("utm_source", source),
            ("utm_medium", medium),
            ("utm_campaign", render_campaign(campaign, values) if campaign else None),
        )
        if value and value.strip()
    ]
    if not wanted:
        return url
    link = url.strip()
    try:
        parts = urlsplit(link)
        host = parts.hostname
    except ValueError:  # "http://[oops/"
        return url
    if parts.scheme.lower() not in ("http", "https") or not host:
        return url
    if any(c.isspace() for c in link) or _skipped(host, skip_domains):
        return url
    base, hash_, fragment = link.partition("#")
    path_and_host, question, query = base.partition("?")
    if _has_utm(query):
        return url
    tags = "&".join(f"{name}={quote(value, safe='-._~')}" for name, value in wanted)
    if question:
        joiner = "" if not query or query.endswith("&") else "&"
        tagged = f"{path_and_host}?{query}{joiner}{tags}"
    else:
        slash = "/" if not parts.path else ""
        tagged = f"{path_and_host}{slash}?{tags}"
    return tagged + hash_ + fragment


_URL_END = r"(?=$|[\s)\]>»”’\"']|[.,;:!?…]+(?:$|[\s)\]>»”’\"']))"
_URL_START = r"(?<![^\s(\[<«“‘\"'])"


def tag_links_in_text(
    text: str,
    url: str | None,
    *,
    source: str | None,
    medium: str | None,
    campaign: str | None,
    skip_domains: Iterable[str] = (),
    values: Mapping[str, str | None] | None = None,
) -> str:
    """Tag every occurrence of the item's link `url` in a post's text (see add_utm).

    Only that exact link, standing on its own, is changed: other URLs, a longer URL that
    starts with it, and an occurrence already tagged are left alone. A sentence's final
    punctuation right after the link ("…en https://x.es/a.") is not taken as part of it.
    """
    if not url or url not in text:
        return text
    tagged = add_utm(url, source=source, medium=medium, campaign=campaign,
                     skip_domains=skip_domains, values=values)
    if tagged == url:
        return text
    pattern = re.compile(_URL_START + re.escape(url) + _URL_END)
    return pattern.sub(lambda _: tagged, text)


# ---- disclaimer -----------------------------------------------------------------------------


def _squeeze(text: str) -> str:
    return " ".join(text.split())


def has_disclaimer(text: str, disclaimer: str) -> bool:
    """Whether the text holds the whole disclaimer, anywhere (whitespace may differ:
    a reflowed disclaimer is still the disclaimer). An empty disclaimer is always there."""
    wanted = _squeeze(disclaimer)
    return not wanted or wanted in _squeeze(text)


def apply_disclaimer(text: str, disclaimer: str, *, mandatory: bool) -> str:
    """Append the disclaimer after a blank line, unless the text already holds it.

    Idempotent. An empty text stays empty for an optional disclaimer (nothing to post yet),
    but gets a mandatory one, so the composer shows from the start what will be counted.
    """
    disclaimer = disclaimer.strip()
    if not disclaimer or has_disclaimer(text, disclaimer):
        return text
    body = text.rstrip()
    if not body:
        return disclaimer if mandatory else text
    return f"{body}\n\n{disclaimer}"


def enforce_disclaimer(old_text: str, new_text: str, disclaimer: str, mandatory: bool) -> str:
    """Undo an edit's damage to a mandatory disclaimer, keeping the rest of the edit.

    `old_text` is the text before the edit (it held the disclaimer), `new_text` after it.
    When the disclaimer is optional, empty, or still whole, `new_text` is returned as is.
    Otherwise the edit's change inside the disclaimer is dropped, what the user typed or
    deleted elsewhere stays, and the disclaimer is put back at the end after a blank line.

    How the composer uses it: keep the last accepted text; on each change call
    `enforce_disclaimer(last, current, ...)`; if the answer differs from `current`, set it
    as the editor's text (cursor at the end of the user's part, i.e. before the blank line
    and disclaimer) and tell the user, e.g. in the status line, that the account requires it.
    The result is the new `last`. The disclaimer is part of the text, so the length counter
    counts it.
    """
    disclaimer = disclaimer.strip()
    if not mandatory or not disclaimer or has_disclaimer(new_text, disclaimer):
        return new_text
    start = old_text.rfind(disclaimer)
    if start < 0:  # the old text did not hold it either (whitespace differed): add it
        return apply_disclaimer(new_text, disclaimer, mandatory=True)
    end = start + len(disclaimer)
    # The edit replaced old_text[prefix:len(old)-suffix] by new_text[prefix:len(new)-suffix].
    limit = min(len(old_text), len(new_text))
    prefix = 0
    while prefix < limit and old_text[prefix] == new_text[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and old_text[-1 - suffix] == new_text[-1 - suffix]:
        suffix += 1
    edit_start, edit_end = prefix, len(old_text) - suffix
    # An edit wholly inside the disclaimer was an edit of the disclaimer: it is dropped.
    inside = start <= edit_start and edit_end <= end
    inserted = "" if inside else new_text[prefix:len(new_text) - suffix]
    left = new_text[:min(prefix, start)] + inserted
    after = old_text[max(edit_end, end):]  # what followed the disclaimer, unedited
    if after.strip() and (left.endswith("\n") or after.startswith("\n")):
        kept = left.rstrip("\n") + "\n\n" + after.lstrip("\n")
    else:
        kept = left + after
    return apply_disclaimer(kept, disclaimer, mandatory=True)


# ---- hashtags -------------------------------------------------------------------------------

# The rules of the three networks that link hashtags in the text, and what Curator keeps:
# - X (twitter-text): letters of any script with their accents and marks, digits and "_";
#   not digits only; "-" and other punctuation end the tag.
# - Mastodon (Tag::HASHTAG_RE): [[:word:]] characters, i.e. the same letters, digits, "_",
#   with at least one letter; "-" ends the tag.
# - Bluesky (richtext TAG_REGEX): anything up to a space, but at least one character that
#   is not a digit or punctuation, trailing punctuation dropped, at most 64 characters.
# So a tag that works everywhere is letters (accents kept: #campaña), marks, digits and
# "_", with a letter somewhere, no "_" at either end, at most 64 characters. Emoji are
# dropped (X and Mastodon do not link them). Words are joined in camel case
# ("inteligencia artificial" -> #inteligenciaArtificial), which screen readers read as words.
HASHTAG_MAX = 64
_IGNORED_CATEGORIES = {"uncategorized", "sincategoría", "sincategoria", "nocategorizado"}
_HASHTAG_IN_TEXT = re.compile(r"(?<![\w&/])[#＃]([\w\u0300-\u036f]+)")


def _tag_char(c: str) -> bool:
    return c.isalnum() or c == "_" or unicodedata.category(c).startswith("M")


def _words(text: str) -> list[str]:
    words, word = [], []
    for c in text:
        if _tag_char(c):
            word.append(c)
        elif word:
            words.append("".join(word))
            word = []
    if word:
        words.append("".join(word))
    return words


def normalize_hashtag(tag: str) -> str:
    """A tag (with or without "#") as it works on X, Mastodon and Bluesky, without the "#";
    "" when nothing usable is left ("2024", "!!!", an emoji)."""
    words = _words(unicodedata.normalize("NFC", tag))
    if not words:
        return ""
    joined = words[0] + "".join(w[:1].upper() + w[1:] for w in words[1:])
    joined = joined.strip("_")[:HASHTAG_MAX].rstrip("_")
    return joined if any(c.isalpha() for c in joined) else ""


def format_hashtags(tags: Iterable[str]) -> str:
    """Tags as "#a #b": normalized, empty ones dropped, duplicates (ignoring case, not
    accents: #campana is not #campaña) kept once, in their first spelling."""
    seen: set[str] = set()
    out: list[str] = []
    for tag in tags:
        name = normalize_hashtag(tag)
        if name and name.casefold() not in seen:
            seen.add(name.casefold())
            out.append("#" + name)
    return " ".join(out)


def hashtags_in_text(text: str) -> set[str]:
    """The hashtags a text already has, case-folded, without "#"."""
    return {t.casefold() for t in _HASHTAG_IN_TEXT.findall(unicodedata.normalize("NFC", text))}


def suggest_hashtags(
    categories: Iterable[str],
    existing_text: str,
    account_tags: Iterable[str] = (),
    limit: int = 5,
) -> list[str]:
    """Hashtags (without "#") suggested from an item's categories, in the feed's order.

    Skips categories already a hashtag in the text or among the account's default tags
    (which are added anyway), placeholders like "Uncategorized", URLs, and phrases of more
    than four words (a sentence is not a tag)."""
    taken = hashtags_in_text(existing_text)
    taken |= {normalize_hashtag(t).casefold() for t in account_tags}
    out: list[str] = []
    for category in categories:
        if len(out) >= limit:
            break
        if "://" in category or len(_words(category)) > 4:
            continue
        name = normalize_hashtag(category)
        key = name.casefold()
        if name and key not in taken and key not in _IGNORED_CATEGORIES:
            taken.add(key)
            out.append(name)
    return out


# ---- composing a variant --------------------------------------------------------------------


class AccountSettings(Protocol):
    """What composing needs from an account; curator.types.Account fits as it is."""

    @property
    def disclaimer(self) -> str: ...
    @property
    def disclaimer_mandatory(self) -> bool: ...
    @property
    def utm_source(self) -> str | None: ...
    @property
    def utm_medium(self) -> str | None: ...
    @property
    def utm_campaign(self) -> str | None: ...
    @property
    def utm_skip_domains(self) -> Sequence[str]: ...
    @property
    def hashtags(self) -> Sequence[str]: ...


@dataclass(frozen=True)
class ComposeSettings:
    """Account settings without an account (the CLI's `check`, tests, previews)."""

    disclaimer: str = ""
    disclaimer_mandatory: bool = False
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    utm_skip_domains: Sequence[str] = ()
    hashtags: Sequence[str] = ()


def item_fields(obj: object) -> dict[str, str | None]:
    """The item fields templates use, from an Item (title, link, feed_title, author) or a
    Draft (item_title, item_link, item_source, item_author), whichever it is."""
    def get(*names: str) -> str | None:
        for name in names:
            value = getattr(obj, name, None)
            if isinstance(value, str) and value.strip():
                return value.strip()
        return None

    return {
        "title": get("item_title", "title"),
        "url": get("item_link", "link", "url"),
        "source": get("item_source", "feed_title", "source"),
        "author": get("item_author", "author"),
    }


def compose_post(
    template_body: str | None,
    item: Mapping[str, str | None],
    *,
    commentary: str = "",
    quote: str = "",
    hashtags: Iterable[str] = (),
    account: AccountSettings | None = None,
) -> str:
    """The text one account posts: the template filled in, link tagged, disclaimer added.

    `item` maps "title", "url", "source" (the feed's title) and "author" to the item's
    values (see item_fields); any may be missing. With no template, DEFAULT_TEMPLATE:
    commentary, quote, title and link, hashtags. The item's link always goes out: when
    neither the template nor the commentary has it, it is added at the end. Hashtags are
    the given ones then the account's defaults, minus those the commentary already has;
    when the template has no {hashtags} they go on a last line of their own. The link gets
    the account's UTM tags wherever it appears, and the account's disclaimer closes the
    post (see apply_disclaimer).

    Raises:
        TemplateError: the template (or the account's UTM campaign) is not valid.
    """
    body = template_body if template_body and template_body.strip() else DEFAULT_TEMPLATE
    used = template_placeholders(body)
    url = (item.get("url") or "").strip()
    inline = hashtags_in_text(commentary)
    all_tags = [*hashtags, *(account.hashtags if account else ())]
    tag_line = format_hashtags(t for t in all_tags if normalize_hashtag(t).casefold() not in inline)
    values: dict[str, str | None] = {
        "title": item.get("title"), "url": url, "source": item.get("source"),
        "author": item.get("author"), "commentary": commentary, "quote": quote,
        "hashtags": tag_line,
    }
    text = render_template(body, values)
    extra = []
    if url and "url" not in used and url not in text:
        extra.append(url)
    if tag_line and "hashtags" not in used:
        extra.append(tag_line)
    if extra:
        text = "\n\n".join([text, *extra]) if text else "\n\n".join(extra)
    if account is None:
        return text
    if url:
        text = tag_links_in_text(
            text, url, source=account.utm_source, medium=account.utm_medium,
            campaign=account.utm_campaign, skip_domains=account.utm_skip_domains, values=values,
        )
    return apply_disclaimer(text, account.disclaimer, mandatory=account.disclaimer_mandatory)


# ---- link cards -----------------------------------------------------------------------------

CARD_DESCRIPTION_CHARS = 300  # Bluesky and LinkedIn cards show about two lines
_CARD_BLOCK_TAG = re.compile(r"<(?:/?(?:p|br|li|ul|ol|div|h[1-6]|tr|td|blockquote|pre)\b)[^>]*>",
                             re.I)
_CARD_TAG = re.compile(r"<[^>]*>")
_CARD_IMG = re.compile(r"<img\b[^>]*?\bsrc\s*=\s*(?:\"([^\"]*)\"|'([^']*)')", re.I)


def card_description(summary_html: str | None, limit: int = CARD_DESCRIPTION_CHARS) -> str | None:
    """The item's summary as one plain line for a link card, cut at a word; None if empty."""
    plain = _CARD_TAG.sub("", _CARD_BLOCK_TAG.sub(" ", summary_html or ""))
    text = " ".join(html.unescape(plain).split())
    if not text:
        return None
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    cut = cut.rsplit(" ", 1)[0] if " " in cut else cut
    return cut.rstrip(" ,.;:") + "…"


def card_image(*html_parts: str | None) -> str | None:
    """The first http(s) picture of the item (its content, else its summary), for the card's
    thumbnail; None when it has none."""
    for part in html_parts:
        for match in _CARD_IMG.finditer(part or ""):
            url = html.unescape(match.group(1) or match.group(2) or "").strip()
            if urlsplit(url).scheme in ("http", "https"):
                return url
    return None
