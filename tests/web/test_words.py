"""The words: language negotiation, placeholders and plurals, and the catalogues."""

from __future__ import annotations

import re

import pytest

from web.i18n import _, choose, from_accept_language, n_, speaking, switch_links


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("fr-FR,fr;q=0.9,en;q=0.8", "fr"),
        ("en;q=0.4, ar-MA;q=0.9", "ar"),
        ("de, fr;q=0.1", "fr"),
        ("de-DE", None),
        ("fr;q=0, en;q=0.2", "en"),
        ("", None),
        ("*", None),
    ],
)
def test_the_browsers_best_language_we_speak(header: str, expected: str | None) -> None:
    assert from_accept_language(header) == expected


def test_the_switch_wins_over_the_cookie_which_wins_over_the_browser() -> None:
    assert choose("ar", "fr", "en") == "ar"
    assert choose(None, "fr", "ar") == "fr"
    assert choose("xx", "yy", "ar;q=0.5") == "ar"
    assert choose(None, None, None) == "en"


def test_placeholders_are_filled_in_every_language() -> None:
    for lang in ("en", "fr", "ar"):
        with speaking(lang):
            assert "7" in _("Term {n}", n=7)


def test_an_unknown_text_falls_back_to_english() -> None:
    with speaking("fr"):
        assert _("No such text {x}", x=1) == "No such text 1"


def test_arabic_plural_forms_follow_the_number() -> None:
    with speaking("en"):
        assert n_("{n} round", "{n} rounds", 1) == "1 round"
        assert n_("{n} round", "{n} rounds", 3) == "3 rounds"
    with speaking("ar"):
        words = {n_("{n} round", "{n} rounds", n) for n in (1, 2, 3, 11, 100)}
        assert len(words) == 5  # one, two, few, many, other: five different words


def test_switch_links_keep_the_other_query_parameters() -> None:
    with speaking("fr"):
        links = switch_links("/games/g1/console", "audience=projector&lang=en")
    assert [link["code"] for link in links] == ["en", "fr", "ar"]
    assert links[2]["href"] == "/games/g1/console?audience=projector&lang=ar"
    assert [link["current"] for link in links] == [False, True, False]


def test_the_stylesheet_has_no_left_or_right_so_arabic_needs_no_second_one() -> None:
    from pathlib import Path

    css = (Path(__file__).resolve().parents[2] / "web/static/compact.css").read_text()
    physical = re.compile(
        r"(margin|padding|border)-(left|right)|(?<![-\w])(left|right)\s*:"
        r"|text-align:\s*(left|right)|float:\s*(left|right)"
        # four different sides in one shorthand: the inline ones would not swap
        r"|(margin|padding):\s*[^;\s]+\s+[^;\s]+\s+[^;\s]+\s+[^;\s]+\s*;"
    )
    found = [line for line in css.splitlines() if physical.search(line)]
    assert not found, found


def test_every_key_of_the_rules_has_words() -> None:
    """A new term type, phase, status, tool or indicator needs its words in web/labels.py
    (and so in the catalogues), or a screen shows the bare key."""
    from game_rules import load_scenario, shipped_scenarios
    from game_rules.actions import VISA_LEVELS, Earmark, TermType
    from game_rules.scenario import CoerciveTool, TeamType
    from game_rules.state import AgreementStatus, Phase, ProposalStatus
    from web.labels import LABELS

    keys = {m.value for e in (TermType, Earmark, TeamType, CoerciveTool) for m in e}
    keys |= {m.value for e in (Phase, ProposalStatus, AgreementStatus) for m in e}
    keys |= set(VISA_LEVELS)
    for sid in shipped_scenarios():
        for team in load_scenario(sid).teams:
            keys |= {o.indicator for o in team.mandate.objectives}
    assert not keys - set(LABELS), sorted(keys - set(LABELS))


def test_a_label_reads_in_the_readers_language() -> None:
    from web.labels import label

    with speaking("fr"):
        assert label("visa_facilitation") == "Facilitation des visas"
    with speaking("ar"):
        assert label("readmission") == "إعادة القبول"
    assert label("a_new_key") == "A new key"


def test_a_view_reads_the_scenarios_texts_in_the_readers_language() -> None:
    from web.i18n import localised

    doc = {
        "scenario": {"translations": {"fr": {"Sahelia": "Sahélie"}}},
        "teams": [{"id": "sahelia", "name": "Sahelia"}, {"id": "x", "name": "Xland"}],
    }
    with speaking("fr"):
        french = localised(doc)
    assert [t["name"] for t in french["teams"]] == ["Sahélie", "Xland"]
    assert doc["teams"][0]["name"] == "Sahelia"  # the document itself is untouched
    with speaking("ar"):
        assert localised(doc) is doc  # no Arabic in this scenario: its own texts


def test_every_refusal_code_has_words() -> None:
    """A new error code of the rules or the API needs its sentence in web/refusals.py."""
    from pathlib import Path

    from web.refusals import REFUSALS

    root = Path(__file__).resolve().parents[2]
    rules = (root / "game_rules/errors.py").read_text()
    codes = set(re.findall(r'code = "([a-z_]+)"', rules))
    for path in (root / "server").glob("*.py"):
        codes |= set(re.findall(r'ApiError\(\s*\d+,\s*"([a-z_]+)"', path.read_text()))
    assert codes and not codes - set(REFUSALS), sorted(codes - set(REFUSALS))


def test_a_refusal_reads_in_the_readers_language_with_its_details() -> None:
    from web.refusals import refusal

    assert refusal("wrong_phase", "not in the briefing") == "not in the briefing"
    with speaking("fr"):
        assert refusal("wrong_phase", "not in the briefing") == (
            "Impossible dans cette phase. (not in the briefing)"
        )


def test_a_refusal_shows_no_raw_key_of_the_rules() -> None:
    from web.refusals import refusal

    said = refusal(
        "invalid_term", "term 1 (visa_facilitation): agreement a1 is awaiting_ratification"
    )
    assert said == "term 1 (visa facilitation): agreement a1 is awaiting ratification"


def test_a_number_with_a_unit_keeps_its_order_in_arabic() -> None:
    from web.format import fmt

    assert fmt(120_000) == "120 k"
    with speaking("ar"):
        assert fmt(120_000) == "\u2068120 k\u2069"


def test_a_refusal_has_no_english_left_where_its_words_are_known() -> None:
    """A fixed detail is said whole, a code that says it all drops the English, and a
    rate limit says its wait in the reader's language."""
    from web.refusals import refusal

    for lang in ("fr", "ar"):
        with speaking(lang):
            cases = [
                refusal("forbidden", "the facilitator removed you from this game"),
                refusal("wrong_phase", "the facilitator has paused the game"),
                refusal("not_found", "there is no game with that code"),
                refusal("name_taken", "someone in this game is already called 'Bea'"),
                refusal("too_many_attempts", "too many wrong codes: wait 12 s", 12.0),
                refusal("database_unavailable", "the database cannot be written just now"),
            ]
        for said in cases:
            assert not re.search(r"\b(the|this|game|wait|someone|database)\b", said), (lang, said)
        assert "12" in cases[4], cases[4]
