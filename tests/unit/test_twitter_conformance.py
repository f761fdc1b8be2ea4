"""twitter-text's published weighted-length conformance cases, run against curator.counting."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from curator.counting import x_parse, x_weighted_length

DATA = Path(__file__).parent.parent / "data" / "twitter-text" / "validate.yml"
SECTIONS = {
    # section -> does that config parse emoji (v3) or not (v2)
    "WeightedTweetsCounterTest": False,
    "WeightedTweetsWithDiscountedEmojiCounterTest": True,
    "UnicodeDirectionalMarkerCounterTest": True,
}


def _cases() -> list[object]:
    tests = yaml.safe_load(DATA.read_text(encoding="utf-8"))["tests"]
    assert set(tests) == set(SECTIONS)
    return [pytest.param(section, case, id=f"{section}: {case['description']}")
            for section, cases in tests.items() for case in cases]


CASES = _cases()


def test_every_published_case_is_here() -> None:
    # 20 + 21 + 2 cases upstream; a lost case must not pass silently.
    assert len(CASES) == 43


@pytest.mark.parametrize(("section", "case"), CASES)
def test_weighted_tweets_counter(section: str, case: dict) -> None:
    got = x_parse(case["text"], emoji_parsing=SECTIONS[section])
    expected = case["expected"]
    assert got.weighted_length == expected["weightedLength"]
    assert got.valid is expected["valid"]
    assert got.permillage == expected["permillage"]
    assert expected["displayRangeStart"] == 0 and expected["validRangeStart"] == 0
    assert got.display_range_end == expected["displayRangeEnd"]
    assert got.valid_range_end == expected["validRangeEnd"]


@pytest.mark.parametrize(("section", "case"), [c for c in CASES
                                               if c.values[0] != "WeightedTweetsCounterTest"])
def test_public_length_is_the_v3_weighted_length(section: str, case: dict) -> None:
    assert x_weighted_length(case["text"]) == case["expected"]["weightedLength"]
