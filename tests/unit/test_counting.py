"""Post lengths as each network counts them, Bluesky facets, LinkedIn escaping, threads."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curator.counting import (
    DEFAULT_LIMITS,
    Facet,
    ThreadSplitError,
    UnknownNetworkError,
    bluesky_facets,
    bluesky_graphemes,
    fetch_mastodon_limit,
    length,
    linkedin_commentary,
    linkedin_escape,
    linkedin_hashtags,
    linkedin_length,
    linkedin_unescape,
    mastodon_length,
    measure,
    split_thread,
    x_urls,
    x_weighted_length,
)
from curator.errors import CuratorError

FAMILY = "\U0001F468\u200D\U0001F469\u200D\U0001F467\u200D\U0001F466"  # 👨‍👩‍👧‍👦
FLAG_ES = "\U0001F1EA\U0001F1F8"  # 🇪🇸
THUMB_TONE = "\U0001F44D\U0001F3FD"  # 👍🏽


def sliced(text: str, facet: Facet) -> str:
    return text.encode("utf-8")[facet.byte_start:facet.byte_end].decode("utf-8")


# ---- measure / CLI-facing API -------------------------------------------------------------------


def test_measure_uses_each_network_default_limit() -> None:
    for network, cap in {"x": 280, "bluesky": 300, "mastodon": 500, "linkedin": 3000}.items():
        m = measure(network, "¡Hola, señor Muñoz!")
        assert (m.limit, m.ok) == (cap, True)
        assert m.to_json() == {"length": m.length, "limit": cap, "ok": True}
    assert DEFAULT_LIMITS["mastodon"] == 500


def test_measure_over_the_limit_and_override() -> None:
    text = "ñ" * 301
    assert measure("bluesky", text).ok is False
    assert measure("bluesky", text, limit=301).ok is True
    assert measure("Bluesky ", "¿sí?").ok  # names are forgiving about case and spaces


def test_unknown_network_and_bad_limit_are_clear_errors() -> None:
    with pytest.raises(UnknownNetworkError, match="choose one of x, bluesky"):
        measure("myspace", "hola")
    with pytest.raises(CuratorError, match="at least 1"):
        measure("x", "hola", limit=0)


# ---- X ------------------------------------------------------------------------------------------


def test_x_weights_spanish_cjk_and_emoji() -> None:
    assert x_weighted_length("¿Qué tal, año nuevo? ¡Olé!") == 26  # Latin-1 weighs 1
    assert x_weighted_length("日本語") == 6  # CJK weighs 2
    assert x_weighted_length(FAMILY) == 2  # one emoji sequence, not 7 code points
    assert x_weighted_length(FLAG_ES + THUMB_TONE) == 4
    assert x_weighted_length("e\u0301") == 1  # NFC first: é is one character


def test_x_urls_count_23_with_or_without_protocol() -> None:
    assert x_weighted_length("Mira https://ejemplo.es/una/ruta/muy/larga/de/verdad?anio=2024") == 28
    assert x_weighted_length("Mira ejemplo.es") == 28  # a bare domain with a real TLD
    assert x_weighted_length("Mira ejemplo.noexiste") == len("Mira ejemplo.noexiste")
    text = "Lee www.ejemplo.com/ñandú y t.co"
    assert [text[s:e] for s, e in x_urls(text)] == ["www.ejemplo.com/ñandú", "t.co"]


# ---- Bluesky ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("¿Qué tal, Muñoz? ¡Olé!", 22),
    ("e\u0301", 1),  # e + combining accent is one grapheme
    ("日本語のテキスト", 8),
    (FAMILY, 1),
    (FLAG_ES, 1),
    (THUMB_TONE, 1),
    (FAMILY + FLAG_ES + THUMB_TONE + "ñ", 4),
    ("\U0001F3F4\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F", 1),  # England
])
def test_bluesky_counts_grapheme_clusters(text: str, expected: int) -> None:
    assert bluesky_graphemes(text) == expected
    assert length("bluesky", text) == expected


def test_bluesky_facets_byte_offsets_with_accents_cjk_and_emoji() -> None:
    text = (f"¿Leíste {FAMILY} esto? https://ejemplo.es/año?x=1. 日本 @ana.bsky.social "
            f"{FLAG_ES} #España #2024 y ejemplo.com/ruta")
    facets = bluesky_facets(text)
    assert [(f.kind, f.value) for f in facets] == [
        ("link", "https://ejemplo.es/año?x=1"),
        ("mention", "ana.bsky.social"),
        ("tag", "España"),
        ("link", "https://ejemplo.com/ruta"),
    ]
    assert [sliced(text, f) for f in facets] == [
        "https://ejemplo.es/año?x=1", "@ana.bsky.social", "#España", "ejemplo.com/ruta"]
    start = text.index("https://")
    assert facets[0].byte_start == len(text[:start].encode("utf-8"))
    assert facets[0].byte_start != start  # accents and the ZWJ family shift bytes vs characters


def test_bluesky_facet_record_shape() -> None:
    text = "Hola @ana.bsky.social y #café en https://ejemplo.es"
    link, mention, tag = sorted(bluesky_facets(text), key=lambda f: f.kind)
    assert link.to_record() == {
        "index": {"byteStart": link.byte_start, "byteEnd": link.byte_end},
        "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://ejemplo.es"}]}
    assert tag.to_record()["features"] == [{"$type": "app.bsky.richtext.facet#tag",
                                            "tag": "café"}]
    assert mention.to_record(did="did:plc:abc123")["features"] == [
        {"$type": "app.bsky.richtext.facet#mention", "did": "did:plc:abc123"}]
    with pytest.raises(CuratorError, match="DID"):
        mention.to_record()


def test_bluesky_ignores_non_links_and_number_tags() -> None:
    facets = bluesky_facets("Son las 10.30, #1 en ventas, correo ana@ejemplo.es, ejemplo.noexiste")
    assert facets == []


def test_bluesky_trailing_punctuation_is_not_part_of_a_link() -> None:
    text = "¿Viste (https://ejemplo.es/ñ)? Y https://ejemplo.es/a_(b)."
    assert [sliced(text, f) for f in bluesky_facets(text)] == [
        "https://ejemplo.es/ñ", "https://ejemplo.es/a_(b)"]


_words = st.text(alphabet=st.characters(
    codec="utf-8", exclude_categories=("Cs", "Zs", "Zl", "Zp", "Cc")), min_size=1, max_size=8)
_entities = st.one_of(
    st.builds(lambda w: f"https://ejemplo.es/{w}",
              st.from_regex(r"[a-z0-9ñ_-]{1,10}", fullmatch=True)),
    st.builds(lambda w: f"#{w}", st.from_regex(r"[a-zñáéíóú]{1,10}", fullmatch=True)),
    st.builds(lambda w: f"@{w}.bsky.social",
              st.from_regex(r"[a-z][a-z0-9]{0,9}", fullmatch=True)),
)
_pieces = st.lists(st.one_of(_words, _entities, st.sampled_from(
    [FAMILY, FLAG_ES, THUMB_TONE, "¿", "¡", "ñ", "日本", "e\u0301"])), min_size=1, max_size=12)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(_pieces, _entities)
def test_property_facets_slice_the_utf8_text_at_what_they_name(pieces: list[str],
                                                                entity: str) -> None:
    text = " ".join(pieces + [entity])
    facets = bluesky_facets(text)
    assert facets, text  # the entity we put last is always found
    encoded = text.encode("utf-8")
    for f in facets:
        assert 0 <= f.byte_start < f.byte_end <= len(encoded)
        piece = encoded[f.byte_start:f.byte_end].decode("utf-8")  # never splits a character
        if f.kind == "link":
            assert f.value in (piece, f"https://{piece}")
        elif f.kind == "tag":
            assert piece in (f"#{f.value}", f"\uff03{f.value}")
        else:
            assert piece.lower() == f"@{f.value}"
    assert sliced(text, facets[-1]) == entity
    ends = [(f.byte_start, f.byte_end) for f in facets]
    assert all(a[1] <= b[0] for a, b in zip(ends, ends[1:], strict=False))  # no overlaps


# ---- Mastodon -----------------------------------------------------------------------------------


def test_mastodon_urls_count_23_and_mentions_their_username() -> None:
    long_url = "https://ejemplo.es/" + "ñandú/" * 30
    assert mastodon_length(f"Mira {long_url}") == len("Mira ") + 23
    assert mastodon_length("https://t.co") == 23  # short links count 23 too
    assert mastodon_length("Hola @ana@mastodon.social") == len("Hola @ana")
    assert mastodon_length("Hola @ana") == len("Hola @ana")
    assert mastodon_length("correo ana@ejemplo.es") == len("correo ana@ejemplo.es")
    assert mastodon_length("sin protocolo ejemplo.es") == len("sin protocolo ejemplo.es")
    assert mastodon_length(f"¡Olé! {FAMILY}{FLAG_ES}") == 8  # graphemes, like Mastodon


class _InstanceHandler(BaseHTTPRequestHandler):
    routes: dict[str, tuple[int, object]] = {}
    seen: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.seen.append(self.path)
        status, body = self.routes.get(self.path, (404, {"error": "Record not found"}))
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def instance() -> Iterator[tuple[str, type[_InstanceHandler]]]:
    handler = type("Handler", (_InstanceHandler,), {"routes": {}, "seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_mastodon_limit_from_v2_instance(instance) -> None:  # type: ignore[no-untyped-def]
    base, handler = instance
    # The documented V2 Instance shape (docs.joinmastodon.org/entities/Instance).
    handler.routes["/api/v2/instance"] = (200, {
        "domain": "mastodon.ejemplo.es", "title": "Mastodon en español",
        "configuration": {"statuses": {"max_characters": 5000, "max_media_attachments": 4,
                                       "characters_reserved_per_url": 23}}})
    with requests.Session() as s:
        assert fetch_mastodon_limit(base, s) == 5000
    assert handler.seen == ["/api/v2/instance"]


def test_mastodon_limit_falls_back_to_v1_then_default(instance) -> None:  # type: ignore[no-untyped-def]
    base, handler = instance
    handler.routes["/api/v1/instance"] = (200, {"uri": "viejo.ejemplo.es",
                                                "max_toot_chars": 1000})
    with requests.Session() as s:
        assert fetch_mastodon_limit(base + "/", s) == 1000
        handler.routes.clear()
        assert fetch_mastodon_limit(base, s) == 500
        handler.routes["/api/v2/instance"] = (200, {"configuration": {"statuses": {}}})
        assert fetch_mastodon_limit(base, s) == 500
    assert handler.seen[:2] == ["/api/v2/instance", "/api/v1/instance"]


def test_mastodon_limit_when_the_server_is_down() -> None:
    with requests.Session() as s:
        assert fetch_mastodon_limit("http://127.0.0.1:9", s, timeout=2) == 500


# ---- LinkedIn -----------------------------------------------------------------------------------


def test_linkedin_escapes_every_reserved_character() -> None:
    text = r"¿(Año) [2024] {nuevo} <ñ> #España @Ana *sí* _no_ ~ya~ |barra| \fin"
    escaped = linkedin_escape(text)
    assert escaped == (r"¿\(Año\) \[2024\] \{nuevo\} \<ñ\> \#España \@Ana \*sí\* \_no\_ "
                       r"\~ya\~ \|barra\| \\fin")
    assert linkedin_unescape(escaped) == text
    assert linkedin_length(text) == len(text)  # the count is of what was typed
    assert measure("linkedin", text).length == len(text)


def test_linkedin_counts_utf16_units() -> None:
    assert linkedin_length("ñ" + FLAG_ES) == 5  # ñ is 1, each regional indicator 2


@given(st.text(max_size=200))
def test_property_linkedin_escape_round_trips(text: str) -> None:
    escaped = linkedin_escape(text)
    assert linkedin_unescape(escaped) == text
    assert len(escaped) == len(text) + sum(c in "\\|{}@[]()<>#*_~" for c in text)


# ---- threads ------------------------------------------------------------------------------------


SPANISH = ("¿Sabías que el ñandú corre a 60 km/h? Lo leí en https://ejemplo.es/ñandú-veloz. "
           "¡Increíble! Compártelo con @ana.bsky.social y @luis@mastodon.social #naturaleza. ")


@pytest.mark.parametrize("network", ["x", "bluesky", "mastodon"])
def test_split_thread_parts_fit_and_keep_every_word(network: str) -> None:
    text = (SPANISH + "日本語 " + FAMILY + " ") * 8
    parts = split_thread(network, text)
    assert len(parts) > 1
    for i, part in enumerate(parts, 1):
        assert part.endswith(f" {i}/{len(parts)}")
        assert measure(network, part).ok, (network, part)
    words = [w for p in parts for w in p.rsplit(" ", 1)[0].split()]
    assert words == text.split()
    assert "https://ejemplo.es/ñandú-veloz." in words  # a URL is never cut


def test_split_thread_prefers_sentence_ends() -> None:
    text = " ".join(f"Frase número {i} sobre el año y la señal." for i in range(40))
    parts = split_thread("x", text)
    assert all(p.rsplit(" ", 1)[0].endswith(".") for p in parts)


def test_split_thread_short_text_and_linkedin() -> None:
    assert split_thread("x", "¡Hola!") == ["¡Hola!"]
    with pytest.raises(ThreadSplitError, match="LinkedIn has no threads"):
        split_thread("linkedin", "ñ" * 4000)


def test_split_thread_cuts_a_giant_word_between_graphemes() -> None:
    text = (FAMILY + "ñ") * 200  # one "word", 400 graphemes
    parts = split_thread("bluesky", text)
    assert all(measure("bluesky", p).ok for p in parts)
    assert "".join(p.rsplit(" ", 1)[0] for p in parts) == text


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(_words, _entities), min_size=1, max_size=120),
       st.sampled_from(["x", "bluesky", "mastodon"]), st.integers(min_value=60, max_value=300))
def test_property_thread_parts_fit_and_rejoin(words: list[str], network: str,
                                              limit: int) -> None:
    text = " ".join(words)
    try:
        parts = split_thread(network, text, limit=limit)
    except ThreadSplitError:
        return  # e.g. a mention or URL longer than the limit: refused, not mangled
    if len(parts) == 1:
        assert parts == [text]
        return
    for part in parts:
        assert measure(network, part, limit=limit).ok
    bodies = [p.rsplit(" ", 1)[0] for p in parts]
    # Nothing lost, added or reordered (a giant word may be cut between graphemes)...
    assert "".join("".join(b.split()) for b in bodies) == "".join(text.split())
    # ...and words that fit a part are kept whole.
    if all(measure(network, f"{w} 99/99", limit=limit).ok for w in words):
        assert " ".join(bodies).split() == text.split()


def test_test_handles_are_mentions_as_in_bluesky_s_own_client() -> None:
    # detectFacets: "!isValidDomain(handle) && !handle.endsWith('.test')" -> skip.
    kinds = [f.kind for f in bluesky_facets("¡Hola @alice.test y @nadie.inventado!")]
    assert kinds == ["mention"]


# ---- LinkedIn hashtags (little text's HashtagTemplate) ----------------------------------------


def test_linkedin_commentary_turns_hashtags_into_templates() -> None:
    text = "Nuestra guía de #marketing con #IA: ¿(sí) o no? @Ana"
    commentary = linkedin_commentary(text)
    assert commentary == (r"Nuestra guía de {hashtag|\#|marketing} con {hashtag|\#|IA}: "
                          r"¿\(sí\) o no? \@Ana")
    assert linkedin_unescape(commentary) == text
    assert linkedin_length(text) == len(text)  # a hashtag counts as the #tag shown


def test_linkedin_hashtags_only_where_a_word_starts() -> None:
    assert linkedin_hashtags("https://ejemplo.es/a#b") == []  # a link's fragment stays a link
    assert linkedin_commentary("https://ejemplo.es/a#b") == r"https://ejemplo.es/a\#b"
    assert linkedin_hashtags("Aprende C# y F#") == []
    assert linkedin_hashtags("#") == [] and linkedin_commentary("# y #") == r"\# y \#"
    assert linkedin_hashtags("#1 en ventas, #2026Elecciones") == [(14, 29)]
    assert linkedin_hashtags("(#IA) «#datos» ¿#sí?") == [(1, 4), (7, 13), (16, 19)]
    assert linkedin_hashtags("ejemplo.es/#ancla y #ok") == [(20, 23)]


def test_linkedin_commentary_keeps_a_fullwidth_sign_and_escapes_the_tag() -> None:
    assert linkedin_commentary("＃全角 #mi_tag.") == (
        r"{hashtag|＃|全角} {hashtag|\#|mi\_tag}.")
    assert linkedin_unescape(r"{hashtag|#|IA} {hashtag|＃|全角}") == "#IA ＃全角"


@given(st.text(alphabet=st.sampled_from(list("#＃ aéZ9_/(.:@\\{}|C")), max_size=60))
def test_property_linkedin_commentary_round_trips(text: str) -> None:
    import re

    commentary = linkedin_commentary(text)
    assert linkedin_unescape(commentary) == text
    hashtags = linkedin_hashtags(text)
    assert commentary.count("{hashtag|") == len(hashtags)
    # Outside the templates, nothing reserved is left unescaped.
    bare = re.sub(r"\{hashtag\|(?:\\#|＃)\|(?:\\.|[^\\{}|])+\}", "", commentary)
    assert re.fullmatch(r"(?:\\[\\|{}@\[\]()<>#*_~]|[^\\|{}@\[\]()<>#*_~])*", bare)

