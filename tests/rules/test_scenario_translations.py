"""Scenario texts with translations: checked against the scenario's own texts, and a view
carries only the translations of what its audience already reads."""

from __future__ import annotations

import json

import pytest

from game_rules.library import load_scenario
from game_rules.rules import new_game
from game_rules.scenario import ScenarioError, parse_scenario
from game_rules.views import Audience, view


def _data(**translations: dict[str, str]) -> dict[str, object]:
    data = load_scenario("mediterranean").model_dump(mode="json")
    data["translations"] = translations
    return data


def test_a_translation_of_a_text_the_scenario_does_not_have_is_refused() -> None:
    with pytest.raises(ScenarioError, match=r"translations.*'Atlantis' is not a text"):
        parse_scenario(_data(fr={"Atlantis": "Atlantide"}), "x.yaml")


def test_an_empty_translation_is_refused() -> None:
    with pytest.raises(ScenarioError, match="is empty"):
        parse_scenario(_data(fr={"Sahelia": " "}), "x.yaml")


def test_a_language_is_a_two_letter_code() -> None:
    with pytest.raises(ScenarioError, match="translations"):
        parse_scenario(_data(French={"Sahelia": "Sahélie"}), "x.yaml")


def test_the_shipped_mediterranean_scenario_is_translated_whole() -> None:
    sc = load_scenario("mediterranean")
    for lang in ("fr", "ar"):
        assert set(sc.translations[lang]) == set(sc.texts()), lang


def test_a_team_reads_no_translation_of_an_undrawn_event_or_of_another_mandate() -> None:
    data = _data(
        fr={
            "Sahelia": "Sahélie",
            "Drought across the Sahel": "Sécheresse au Sahel",
            "Returns above all": "Les retours avant tout",
        }
    )
    data["teams"][0]["mandate"]["objectives"][0]["note"] = "Returns above all"  # type: ignore[index]
    state = new_game(parse_scenario(data), seed=1)
    team = view(state, Audience.of_team("sahelia"))
    assert team["scenario"]["translations"]["fr"] == {"Sahelia": "Sahélie"}
    assert "Sécheresse" not in json.dumps(team, ensure_ascii=False)
    assert "retours avant" not in json.dumps(team, ensure_ascii=False)
    union = view(state, Audience.of_team("union"))["scenario"]["translations"]["fr"]
    assert union["Returns above all"] == "Les retours avant tout"
    facilitator = view(state, Audience.facilitator())
    assert "Drought across the Sahel" in facilitator["scenario"]["translations"]["fr"]


def test_a_scenario_without_translations_adds_nothing_to_a_view() -> None:
    state = new_game(load_scenario("bilateral"), seed=1)
    assert (
        "translations" not in view(state, Audience.of_team(state.scenario.teams[0].id))["scenario"]
    )
