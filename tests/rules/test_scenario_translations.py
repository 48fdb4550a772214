"""Scenario texts with translations: checked against the scenario's own texts, and a view
carries only the translations of what its audience already reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from game_rules.cli import app
from game_rules.library import load_scenario
from game_rules.rules import new_game
from game_rules.scenario import ScenarioError, parse_scenario
from game_rules.views import Audience, view


def _data(**translations: dict[str, str]) -> dict[str, object]:
    data = load_scenario("mediterranean").model_dump(mode="json")
    data["translations"] = translations
    return data


def test_a_translation_of_a_text_the_scenario_does_not_have_is_named_not_refused() -> None:
    # A facilitator who renames a team in a copy of a shipped file can still play it.
    sc = parse_scenario(_data(fr={"Atlantis": "Atlantide", "Sahelia": " "}), "x.yaml")
    notes = sc.translation_problems("x.yaml")
    assert any("'Atlantis' is not a text" in n for n in notes)
    assert any("'Sahelia' is empty" in n for n in notes)


def test_scenario_check_notes_a_translation_that_never_shows(tmp_path: Path) -> None:
    data = _data(fr={"Atlantis": "Atlantide"})
    path = tmp_path / "x.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    result = CliRunner().invoke(app, ["scenario", "check", str(path)])
    assert result.exit_code == 0, result.output
    assert "translations.fr: 'Atlantis' is not a text" in result.output


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
