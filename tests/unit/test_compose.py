"""Post composition: templates, UTM tagging, disclaimers, hashtags (curator.compose)."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

import pytest

from curator.compose import (
    DEFAULT_TEMPLATE,
    PLACEHOLDERS,
    ComposeSettings,
    add_utm,
    apply_disclaimer,
    check_template,
    compose_post,
    enforce_disclaimer,
    format_hashtags,
    has_disclaimer,
    item_fields,
    normalize_hashtag,
    render_campaign,
    render_template,
    suggest_hashtags,
    tag_links_in_text,
    template_placeholders,
)
from curator.errors import CuratorError, TemplateError

ITEM = {
    "title": "¿Cómo vender más en otoño?",
    "url": "https://ejemplo.es/blog/campaña?id=7#resumen",
    "source": "El País Económico",
    "author": "Begoña Núñez",
}
UTM = dict(source="linkedin", medium="social", campaign="otoño")


# ---- templates ------------------------------------------------------------------------------


def test_placeholders_are_the_documented_ones() -> None:
    assert PLACEHOLDERS == ("title", "url", "source", "author", "commentary", "quote", "hashtags")
    check_template(" ".join(f"{{{p}}}" for p in PLACEHOLDERS))
    check_template(DEFAULT_TEMPLATE)


def test_render_fills_every_placeholder() -> None:
    body = "{commentary}\n\n«{quote}» — {author}, {source}\n{title} {url}\n{hashtags}"
    text = render_template(body, {**ITEM, "commentary": "¡Muy útil para el equipo!",
                                  "quote": "Vender es ayudar", "hashtags": "#ventas"})
    assert text == (
        "¡Muy útil para el equipo!\n\n"
        "«Vender es ayudar» — Begoña Núñez, El País Económico\n"
        "¿Cómo vender más en otoño? https://ejemplo.es/blog/campaña?id=7#resumen\n"
        "#ventas"
    )


def test_unknown_placeholder_is_refused_naming_it_and_the_allowed_ones() -> None:
    with pytest.raises(TemplateError) as err:
        check_template("Mirad esto: {titulo} {enlace}")
    message = str(err.value)
    assert "{titulo}" in message and "{enlace}" in message
    assert "did you mean {title}" in message and "did you mean {url}" in message
    for name in PLACEHOLDERS:
        assert f"{{{name}}}" in message
    assert message.count(".") == 1 and message.endswith(".")  # one sentence
    assert isinstance(err.value, CuratorError) and isinstance(err.value, ValueError)


def test_placeholder_names_are_case_sensitive() -> None:
    with pytest.raises(TemplateError, match=r"\{Title\} \(did you mean \{title\}\?\)"):
        check_template("{Title}")


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("Hola {title", 'a "{" with no closing "}" at character 6'),
        ("Hola } adiós", 'a "}" with no opening "{" at character 6'),
        ("{} vacío", "an empty placeholder {} at character 1"),
        ("¡Ojo! {title:>10}", "unknown placeholder {title:>10}"),
        ("{ {title}", 'a "{" with no closing "}" at character 1'),
    ],
)
def test_malformed_braces_are_clear_errors(body: str, fragment: str) -> None:
    with pytest.raises(TemplateError) as err:
        render_template(body, ITEM)
    assert fragment in str(err.value)


def test_doubled_braces_are_literal_and_values_are_never_reparsed() -> None:
    text = render_template("{{title}} = {title}", {"title": "Año {url} {{x}}"})
    assert text == "{title} = Año {url} {{x}}"
    assert template_placeholders("{{title}} {url} {url}") == {"url"}


def test_missing_quote_leaves_no_empty_quote_marks_or_blank_lines() -> None:
    text = render_template(DEFAULT_TEMPLATE, {**ITEM, "commentary": "Interesante para España."})
    assert text == (
        "Interesante para España.\n\n"
        "¿Cómo vender más en otoño? https://ejemplo.es/blog/campaña?id=7#resumen"
    )
    assert "“" not in text and "\n\n\n" not in text


def test_missing_values_tidy_separators_spaces_and_punctuation() -> None:
    body = "{title} — {author}\n«{quote}» ({source})\nLeído en {source}.\n¡Mirad! {hashtags}"
    text = render_template(body, {"title": "Título", "source": ""})
    assert text == "Título\nLeído en.\n¡Mirad!"


def test_blank_lines_the_user_wrote_are_kept() -> None:
    body = "{commentary}\n\n\n{title}"
    assert render_template(body, {"commentary": "Uno", "title": "Dos"}) == "Uno\n\n\nDos"


def test_empty_result_is_empty() -> None:
    assert render_template("“{quote}”\n\n{hashtags}", {}) == ""


# ---- UTM ------------------------------------------------------------------------------------


def test_utm_appended_after_existing_query_keeping_fragment_and_encoding() -> None:
    url = "https://ejemplo.es/a?q=ni%C3%B1o&b=&x=1+2#sec?ción"
    tagged = add_utm(url, **UTM)
    assert tagged == (
        "https://ejemplo.es/a?q=ni%C3%B1o&b=&x=1+2"
        "&utm_source=linkedin&utm_medium=social&utm_campaign=oto%C3%B1o#sec?ción"
    )


def test_utm_on_url_without_query_or_path() -> None:
    assert add_utm("https://ejemplo.es", **UTM) == (
        "https://ejemplo.es/?utm_source=linkedin&utm_medium=social&utm_campaign=oto%C3%B1o")
    assert add_utm("https://ejemplo.es/#arriba", source="x", medium=None, campaign=None) == (
        "https://ejemplo.es/?utm_source=x#arriba")
    assert add_utm("https://ejemplo.es/a?", source="x", medium="", campaign=" ") == (
        "https://ejemplo.es/a?utm_source=x")


def test_utm_values_are_percent_encoded() -> None:
    tagged = add_utm("https://ejemplo.es/", source="boletín & más", medium="red social",
                     campaign="¿otoño?#1")
    query = urlsplit(tagged).query
    assert "&" not in query.split("utm_source=")[1].split("&utm_medium")[0]
    assert dict(parse_qsl(query)) == {
        "utm_source": "boletín & más", "utm_medium": "red social", "utm_campaign": "¿otoño?#1",
    }
    assert urlsplit(tagged).fragment == ""


@pytest.mark.parametrize(
    "url",
    [
        "https://ejemplo.es/a?utm_source=rss",
        "https://ejemplo.es/a?x=1&UTM_Medium=boletín",
        "https://ejemplo.es/a?utm%5Fcampaign=x",
    ],
)
def test_already_tagged_links_are_left_alone(url: str) -> None:
    assert add_utm(url, **UTM) == url


def test_add_utm_is_idempotent() -> None:
    once = add_utm("https://ejemplo.es/a?b=1#c", **UTM)
    assert add_utm(once, **UTM) == once


@pytest.mark.parametrize(
    ("url", "skip"),
    [
        ("https://intranet.ejemplo.es/x", ["ejemplo.es"]),
        ("https://ejemplo.es/x", ["EJEMPLO.es"]),
        ("https://www.ejemplo.es/x", ["*.ejemplo.es"]),
        ("https://ejemplo.es/x", ["https://ejemplo.es/ruta"]),
        ("https://café.es/menú", ["xn--caf-dma.es"]),
        ("https://xn--caf-dma.es/menú", ["café.es"]),
        ("https://tienda.CAFÉ.es/", ["café.es"]),
    ],
)
def test_skip_domains_and_their_subdomains(url: str, skip: list[str]) -> None:
    assert add_utm(url, skip_domains=skip, **UTM) == url


def test_skip_domain_does_not_match_a_lookalike_or_parent() -> None:
    assert add_utm("https://noejemplo.es/", skip_domains=["ejemplo.es"], **UTM) != (
        "https://noejemplo.es/")
    assert add_utm("https://ejemplo.es/", skip_domains=["blog.ejemplo.es"], **UTM) != (
        "https://ejemplo.es/")


def test_idn_host_is_tagged_and_kept_as_written() -> None:
    tagged = add_utm("https://peñarol.uy/noticias", **UTM)
    assert tagged.startswith("https://peñarol.uy/noticias?utm_source=linkedin")


@pytest.mark.parametrize(
    "url",
    ["mailto:begoña@ejemplo.es", "/relativo/a", "ftp://ejemplo.es/a", "http://[roto/",
     "https:///sin-host", "", "https://ejemplo.es/a b"],
)
def test_non_http_or_malformed_urls_are_left_alone(url: str) -> None:
    assert add_utm(url, **UTM) == url


def test_nothing_to_add_leaves_the_url_unchanged() -> None:
    url = "https://ejemplo.es/a"
    assert add_utm(url, source=None, medium="", campaign=None) == url


def test_campaign_placeholders_become_slugs() -> None:
    assert render_campaign("{source}-semanal", {"source": "El País: Economía"}) == (
        "el-país-economía-semanal")
    tagged = add_utm("https://ejemplo.es/", source="x", medium=None, campaign="{source}",
                     values={"source": "Diario Señor"})
    assert tagged.endswith("utm_campaign=diario-se%C3%B1or")
    with pytest.raises(TemplateError, match="fuente"):
        add_utm("https://ejemplo.es/", source="x", medium=None, campaign="{fuente}")


def test_tag_links_in_text_tags_only_the_item_link() -> None:
    url = "https://ejemplo.es/a"
    text = (f"Leed {url}. También https://otro.es/b y {url}b, ({url}) y «{url}»\n"
            f"Ya marcado: {url}?utm_source=x")
    out = tag_links_in_text(text, url, source="x", medium=None, campaign=None)
    tagged = url + "?utm_source=x"
    assert out == (
        f"Leed {tagged}. También https://otro.es/b y {url}b, ({tagged}) y «{tagged}»\n"
        f"Ya marcado: {url}?utm_source=x"
    )
    assert tag_links_in_text(out, url, source="x", medium=None, campaign=None) == out


def test_tag_links_in_text_without_the_link_or_with_a_skipped_domain() -> None:
    text = "¡Sin enlace aquí!"
    assert tag_links_in_text(text, "https://ejemplo.es/a", **UTM) == text
    text = "Mirad https://ejemplo.es/a"
    assert tag_links_in_text(text, "https://ejemplo.es/a", skip_domains=["ejemplo.es"],
                             **UTM) == text


try:
    from hypothesis import given
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover - hypothesis is in the test extras
    given = None

if given is not None:
    _segment = st.text(alphabet="abcñé%20-_.~+=!$'()*,;:@AZ09", max_size=8)
    _pair = st.tuples(_segment, _segment).map(lambda kv: f"{kv[0]}={kv[1]}")

    @given(
        host=st.sampled_from(["ejemplo.es", "sub.café.es", "xn--caf-dma.es", "127.0.0.1:8080"]),
        path=st.lists(_segment, max_size=3).map(lambda parts: "/" + "/".join(parts)),
        query=st.lists(_pair, max_size=4).map("&".join),
        fragment=st.one_of(st.none(), st.text(alphabet="abcñ?&=/#", max_size=8)),
        source=st.text(max_size=10),
        campaign=st.text(alphabet="abcñ {}", max_size=10).filter(
            lambda c: "{" not in c and "}" not in c),
    )
    def test_add_utm_keeps_everything_and_is_idempotent(
        host: str, path: str, query: str, fragment: str | None, source: str, campaign: str,
    ) -> None:
        url = f"https://{host}{path}" + (f"?{query}" if query else "") + (
            f"#{fragment}" if fragment is not None else "")
        tagged = add_utm(url, source=source, medium="social", campaign=campaign)
        assert add_utm(tagged, source=source, medium="social", campaign=campaign) == tagged
        before, after = urlsplit(url), urlsplit(tagged)
        assert (after.scheme, after.netloc, after.path or "/", after.fragment) == (
            before.scheme, before.netloc, before.path or "/", before.fragment)
        if query:
            assert after.query.startswith(query)  # existing parameters untouched, in order
        added = dict(parse_qsl(after.query[len(query):].lstrip("&")))
        assert added["utm_medium"] == "social"
        assert added.get("utm_source", "") == source.strip()


# ---- disclaimer -----------------------------------------------------------------------------

AVISO = "Opiniones personales; no es asesoramiento financiero."


def test_apply_disclaimer_appends_once() -> None:
    text = apply_disclaimer("¡Gran análisis!\n", AVISO, mandatory=False)
    assert text == f"¡Gran análisis!\n\n{AVISO}"
    assert apply_disclaimer(text, AVISO, mandatory=True) == text
    reflowed = "¡Gran análisis!\n\nOpiniones personales;\nno es asesoramiento financiero."
    assert apply_disclaimer(reflowed, AVISO, mandatory=True) == reflowed
    assert apply_disclaimer("Hola", "", mandatory=True) == "Hola"


def test_empty_text_gets_only_a_mandatory_disclaimer() -> None:
    assert apply_disclaimer("", AVISO, mandatory=False) == ""
    assert apply_disclaimer("  ", AVISO, mandatory=True) == AVISO


def test_has_disclaimer() -> None:
    assert has_disclaimer(f"Hola\n\n{AVISO}", AVISO)
    assert not has_disclaimer("Hola\n\nOpiniones personales.", AVISO)
    assert has_disclaimer("Lo que sea", "   ")


OLD = f"Mi comentario sobre la campaña.\n\n{AVISO}"


@pytest.mark.parametrize(
    ("new", "expected"),
    [
        # deleting the disclaimer's last character: it comes back whole
        (OLD[:-1], OLD),
        # typing inside the disclaimer: the typing is dropped
        (OLD.replace("personales", "personalesX"), OLD),
        # deleting the whole disclaimer
        ("Mi comentario sobre la campaña.\n\n", OLD),
        # select-all and type: the new words stay, the disclaimer follows them
        ("Otro texto, ¡mejor!", f"Otro texto, ¡mejor!\n\n{AVISO}"),
        # a selection from the user's words into the disclaimer, replaced by new words
        ("Mi comentario sobre la campaña de otoño asesoramiento financiero.",
         f"Mi comentario sobre la campaña de otoño\n\n{AVISO}"),
    ],
)
def test_mandatory_disclaimer_comes_back_keeping_other_edits(new: str, expected: str) -> None:
    assert enforce_disclaimer(OLD, new, AVISO, True) == expected


def test_edits_elsewhere_and_optional_disclaimers_are_left_alone() -> None:
    edited = OLD.replace("Mi comentario", "Nuestro comentario")
    assert enforce_disclaimer(OLD, edited, AVISO, True) == edited
    assert enforce_disclaimer(OLD, "Sin aviso", AVISO, False) == "Sin aviso"
    assert enforce_disclaimer("Texto", "Texto nuevo", AVISO, True) == f"Texto nuevo\n\n{AVISO}"


def test_disclaimer_in_the_middle_stays_with_text_after_it() -> None:
    old = f"Antes.\n\n{AVISO}\n\nDespués."
    new = old.replace("financiero", "financ")
    assert enforce_disclaimer(old, new, AVISO, True) == f"Antes.\n\nDespués.\n\n{AVISO}"


# ---- hashtags -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("campaña", "campaña"),
        ("#Año_Nuevo", "Año_Nuevo"),
        ("inteligencia artificial", "inteligenciaArtificial"),
        ("¿Qué es el e-commerce?", "QuéEsElECommerce"),
        ("IA", "IA"),
        ("cafe\u0301", "café"),  # combining accent composed (NFC)
        ("2024", ""),  # digits only: not a hashtag anywhere
        ("Elecciones 2024", "Elecciones2024"),
        ("¡¡!!", ""),
        ("🚀", ""),
        ("_interno_", "interno"),
        ("a" * 80, "a" * 64),
    ],
)
def test_normalize_hashtag(tag: str, expected: str) -> None:
    assert normalize_hashtag(tag) == expected


def test_format_hashtags_dedupes_ignoring_case_but_not_accents() -> None:
    tags = ["campaña", "#Campaña", "campana", "", "2024", "Ventas B2B"]
    assert format_hashtags(tags) == "#campaña #campana #VentasB2B"
    assert format_hashtags([]) == ""


def test_suggest_hashtags_from_categories() -> None:
    categories = ["Marketing", "Uncategorized", "Ventas B2B", "https://ejemplo.es/cat/x",
                  "Inteligencia artificial", "IA", "Una frase demasiado larga para etiqueta",
                  "marketing", "Economía", "Política", "Sociedad"]
    suggested = suggest_hashtags(categories, "¡Leedlo! #marketing", ["ia"], limit=3)
    assert suggested == ["VentasB2B", "InteligenciaArtificial", "Economía"]
    assert suggest_hashtags([], "", []) == []


# ---- composing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class FakeAccount:
    """Shaped like curator.types.Account: compose_post only reads these attributes."""

    disclaimer: str = AVISO
    disclaimer_mandatory: bool = True
    utm_source: str | None = "linkedin"
    utm_medium: str | None = "social"
    utm_campaign: str | None = "{source}"
    utm_skip_domains: list[str] = field(default_factory=list)
    hashtags: list[str] = field(default_factory=lambda: ["ventas", "España"])


def test_compose_with_default_template_and_account() -> None:
    text = compose_post(None, ITEM, commentary="Muy útil. #Ventas", hashtags=["campaña"],
                        account=FakeAccount())
    assert text == (
        "Muy útil. #Ventas\n\n"
        "¿Cómo vender más en otoño? https://ejemplo.es/blog/campaña?id=7"
        "&utm_source=linkedin&utm_medium=social&utm_campaign=el-pa%C3%ADs-econ%C3%B3mico"
        "#resumen\n\n"
        "#campaña #España\n\n"
        f"{AVISO}"
    )


def test_compose_without_account_adds_nothing() -> None:
    text = compose_post("{title}", ITEM, commentary="¡Hola!")
    assert text == f"{ITEM['title']}\n\n{ITEM['url']}"


def test_compose_adds_the_link_and_hashtags_a_template_leaves_out() -> None:
    account = FakeAccount(utm_skip_domains=["ejemplo.es"], disclaimer="")
    text = compose_post("Nuevo en {source}: {title}", ITEM, account=account)
    assert text == (
        f"Nuevo en El País Económico: {ITEM['title']}\n\n{ITEM['url']}\n\n#ventas #España")


def test_compose_tags_the_link_inside_the_commentary() -> None:
    item = {"title": "Informe", "url": "https://ejemplo.es/informe"}
    text = compose_post("{commentary}", item, commentary="Leed https://ejemplo.es/informe ya.",
                        account=ComposeSettings(utm_source="x"))
    assert text == "Leed https://ejemplo.es/informe?utm_source=x ya."


def test_compose_refuses_a_bad_template() -> None:
    with pytest.raises(TemplateError):
        compose_post("{titular}", ITEM)


def test_item_fields_from_an_item_or_a_draft() -> None:
    @dataclass
    class Draftish:
        item_title: str | None = "Título"
        item_link: str | None = "https://ejemplo.es/a"
        item_source: str | None = "Fuente"
        item_author: str | None = None

    @dataclass
    class Itemish:
        title: str | None = "Título"
        link: str | None = "https://ejemplo.es/a"
        feed_title: str | None = "Fuente"
        author: str | None = " Ana "

    assert item_fields(Draftish()) == {"title": "Título", "url": "https://ejemplo.es/a",
                                       "source": "Fuente", "author": None}
    assert item_fields(Itemish())["author"] == "Ana"


def test_real_account_type_fits() -> None:
    from curator.types import Account

    names = {"disclaimer", "disclaimer_mandatory", "utm_source", "utm_medium", "utm_campaign",
             "utm_skip_domains", "hashtags"}
    assert names <= set(Account.__dataclass_fields__)
