"""Watch words, pure: folding, word boundaries, phrases, regex terms and their errors."""

from __future__ import annotations

import pytest

from curator.errors import CuratorError, WatchTermError
from curator.watch import Matcher, fold, normalize_terms, parse_term


def found(terms: list[str], title: str = "", summary: str = "", content: str = "") -> set[str]:
    return {term for _, term in Matcher([(1, terms)]).match(title, summary, content)}


def test_fold_drops_case_and_accents() -> None:
    assert fold("TELEFÓNICA") == fold("Telefónica") == fold("telefonica") == "telefonica"
    assert fold("Cigüeña Ñandú") == "ciguena nandu"
    assert fold("Straße") == "strasse"  # casefold, not lower
    assert fold("ﬁnanzas") == "finanzas"  # compatibility forms decomposed


@pytest.mark.parametrize("text", ["Telefónica sube", "telefonica sube", "TELEFÓNICA SUBE",
                                  "TELEFONICA", "La telefónica."])
def test_words_match_whatever_the_case_and_accents(text: str) -> None:
    assert found(["Telefónica"], title=text) == {"Telefónica"}
    assert found(["telefonica"], title=text) == {"telefonica"}


def test_words_match_on_word_boundaries_only() -> None:
    assert found(["Acme"], summary="Acmeist y ProAcme no cuentan") == set()
    assert found(["Acme"], summary="(Acme), Acme's y «Acme»") == {"Acme"}
    assert found(["Acme"], summary="El informe de ACME-Ibérica") == {"Acme"}
    assert found(["Año"], summary="Los años pasan") == set()
    assert found(["Año"], summary="¡Feliz año!") == {"Año"}
    # Non-ASCII words keep their boundaries too (the non-ASCII splitting path).
    assert found(["東京"], summary="東京都 y 東京") == {"東京"}


def test_phrases_cross_whitespace_and_line_breaks_but_not_fields() -> None:
    terms = ["Banco Santander"]
    assert found(terms, content="el banco\n  SANTANDER anunció") == terms_set(terms)
    assert found(terms, content="el Banco\tSantander") == terms_set(terms)
    assert found(terms, content="Banco de Santander") == set()
    assert found(terms, content="Bancos Santander") == set()
    assert found(terms, title="Noticias del Banco", summary="Santander crece") == set()


def terms_set(terms: list[str]) -> set[str]:
    return set(terms)


def test_terms_with_punctuation() -> None:
    assert found(["C++"], content="Programar en C++ hoy") == {"C++"}
    assert found(["C++"], content="Programar en C hoy") == set()
    assert found(["Lleida.net"], content="Lleida.net cotiza") == {"Lleida.net"}
    assert found(["Lleida.net"], content="Lleida net cotiza") == set()


def test_matches_title_summary_and_content() -> None:
    terms = ["Iberdrola", "Repsol", "Endesa"]
    assert found(terms, title="Iberdrola", summary="nada", content="nada") == {"Iberdrola"}
    assert found(terms, summary="y Repsol") == {"Repsol"}
    assert found(terms, content="según Endesa") == {"Endesa"}


def test_regex_terms_ignore_case_and_accents() -> None:
    terms = ["/iphone\\s*1[0-9]/", "/telef[oó]nica/", "/Señal/"]
    assert found(terms, title="Nuevo IPHONE 15") == {"/iphone\\s*1[0-9]/"}
    assert found(terms, title="Telefónica") == {"/telef[oó]nica/"}
    assert found(terms, title="la SENAL abierta") == {"/Señal/"}
    assert found(terms, title="iPhone 9") == set()
    assert parse_term("/iphone/").pattern is not None
    assert parse_term("/iPhone/").is_regex


@pytest.mark.parametrize(("term", "words"), [
    ("/iphone(/", ["/iphone(/", "not a valid regular expression", "missing )"]),
    ("/[a-/", ["/[a-/", "not a valid regular expression"]),
    ("/a*/", ["/a*/", "matches empty text"]),
    ("//", ["//"]),
    ("   ", ["empty"]),
])
def test_bad_terms_are_named_in_one_sentence(term: str, words: list[str]) -> None:
    with pytest.raises(WatchTermError) as e:
        parse_term(term)
    message = str(e.value)
    for w in words:
        assert w in message
    assert "\n" not in message and message.endswith(".")
    assert isinstance(e.value, CuratorError) and isinstance(e.value, ValueError)


def test_normalize_terms_strips_dedupes_and_names_the_bad_one() -> None:
    assert normalize_terms([" Acme ", "Acme", "Banco  Santander"]) == ["Acme", "Banco  Santander"]
    with pytest.raises(WatchTermError, match="/sin cerrar\\(/"):
        normalize_terms(["Acme", "/sin cerrar(/"])
    with pytest.raises(WatchTermError):
        normalize_terms("Acme")  # a string is not a list of terms


def test_several_lists_and_terms_report_each_hit() -> None:
    m = Matcher([(1, ["Telefónica", "Vodafone"]), (2, ["telefonica"]), (3, ["Orange"])])
    hits = m.match("Telefónica y Vodafone", None, None)
    assert sorted(hits) == [(1, "Telefónica"), (1, "Vodafone"), (2, "telefonica")]
    assert not Matcher([(1, [])])
    assert Matcher([(1, [])]).match("Acme", "", "") == []


def test_huge_text_is_bounded() -> None:
    text = "palabra " * 100_000 + "Acme"  # past MAX_TEXT: not searched
    assert found(["Acme"], content=text) == set()
    assert found(["Acme"], content="Acme " + text) == {"Acme"}


def test_regex_prefilter_literal_is_required_text_only() -> None:
    from curator.watch import required_literal

    def literal(term: str) -> str:
        pattern = parse_term(term).pattern
        assert pattern is not None
        return required_literal(pattern)

    assert literal("/\\bopa (?:hostil|amistosa)\\b/") == "opa "
    assert literal("/iphone\\s*1[0-9]/") == "iphone"
    assert literal("/acme|globex/") == ""  # either may match: nothing is required
    assert literal("/(ab)*c/") == "c"  # a repeated group may be absent
    assert literal("/Acme/") == ""  # ignore-case patterns get no prefilter
    terms = ["/\\bopa (?:hostil|amistosa)\\b/", "/(ab)*c/"]
    assert found(terms, title="Una OPA hostil") == {"/\\bopa (?:hostil|amistosa)\\b/"}
    assert found(terms[:1], title="la Copa hostil") == set()
    assert found(terms, title="ababc") == {"/(ab)*c/"}
