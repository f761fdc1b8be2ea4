"""Search terms to highlight: what the user typed, read the way the search reads it."""

from __future__ import annotations

from curator.highlight import SearchTerm, find_spans, search_terms


def marked(text: str, query: str) -> list[str]:
    return [text[a:b] for a, b in find_spans(text, search_terms(query))]


def test_words_phrases_prefixes_and_fields() -> None:
    assert search_terms('campaña "Quick  Brown" data* title:Notes') == [
        SearchTerm(("campana",)),
        SearchTerm(("quick", "brown")),
        SearchTerm(("data",), prefix=True),
        SearchTerm(("notes",)),
    ]
    assert search_terms('"spring launch"*') == [SearchTerm(("spring", "launch"), prefix=True)]


def test_operators_and_excluded_terms_are_not_highlighted() -> None:
    assert search_terms('fox OR dog AND cat -mouse -"big cheese"') == [
        SearchTerm(("fox",)),
        SearchTerm(("dog",)),
        SearchTerm(("cat",)),
    ]
    assert search_terms("") == [] and search_terms(None) == [] and search_terms('"" * -') == []


def test_a_colon_that_is_no_field_is_text() -> None:
    assert search_terms("http://example.com") == [SearchTerm(("http", "example", "com"))]
    assert marked("see http://example.com now", "http://example.com") == ["http://example.com"]


def test_accents_and_case_are_ignored_both_ways() -> None:
    assert marked("La Campaña de primavera", "campana") == ["Campaña"]
    assert marked("la nueva campana suena", "CAMPAÑA") == ["campana"]
    assert marked("Die Größe", "grosse") == []  # the index does not turn ß into ss either
    assert marked("Die Größe", "große") == ["Größe"]
    # Decomposed text (n + combining tilde) keeps its accent inside the span.
    assert marked("una campan\u0303a", "campana") == ["campan\u0303a"]


def test_whole_words_only_unless_prefix() -> None:
    text = "Campaigning for a campaign in camp"
    assert marked(text, "camp") == ["camp"]
    assert marked(text, "camp*") == ["Campaigning", "campaign", "camp"]
    assert marked(text, "campaign") == ["campaign"]


def test_phrases_match_in_order_across_punctuation() -> None:
    assert marked("the quick, brown fox; brown quick", '"quick brown"') == ["quick, brown"]
    assert marked("brown quick", '"quick brown"') == []


def test_spans_are_sorted_and_merged() -> None:
    text = "quick brown fox"
    assert find_spans(text, search_terms('quick "quick brown" fox')) == [(0, 11), (12, 15)]
    assert find_spans(text, []) == []


def test_non_latin_and_astral_text() -> None:
    assert marked("日本 とスペイン", "日本") == ["日本"]
    assert marked("🎉 fiesta 🎉 Fiesta", "fiesta") == ["fiesta", "Fiesta"]
    assert find_spans("🎉 fiesta", search_terms("fiesta")) == [(2, 8)]  # code points
