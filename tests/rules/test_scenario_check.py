"""`compact scenario check`: the designer's validator (GAME.md §1, trainer / designer)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from game_rules.cli import app
from game_rules.library import SCENARIO_DIR, load_scenario, shipped_scenarios
from game_rules.scenario import ScenarioError, parse_scenario, parse_scenario_text

MED_FILE = SCENARIO_DIR / "mediterranean.yaml"
MED = yaml.safe_load(MED_FILE.read_text(encoding="utf-8"))
runner = CliRunner()


def check(path: Path) -> Any:
    return runner.invoke(app, ["scenario", "check", str(path)])


def write(tmp_path: Path, data: Any, name: str = "broken.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_shipped_scenarios_pass(tmp_path: Path) -> None:
    assert "mediterranean" in shipped_scenarios()
    for name in shipped_scenarios():
        result = check(SCENARIO_DIR / f"{name}.yaml")
        assert result.exit_code == 0, result.output
        assert "ok" in result.stdout and f"{name}.yaml" in result.stdout
    assert load_scenario("mediterranean") == load_scenario(MED_FILE)


def _drop_team_name(d: dict[str, Any]) -> None:
    del d["teams"][0]["name"]


def _rounds_as_text(d: dict[str, Any]) -> None:
    d["rounds"] = "five"


def _unknown_corridor_team(d: dict[str, Any]) -> None:
    d["corridors"][0]["origin"] = "atlantis"


def _weights_off(d: dict[str, Any]) -> None:
    d["teams"][1]["mandate"]["objectives"][0]["weight"] += 0.3


def _negative_budget(d: dict[str, Any]) -> None:
    d["teams"][2]["endowment"]["budget"] = -50


def _unknown_field(d: dict[str, Any]) -> None:
    d["teams"][0]["endowment"]["gold"] = 12


def _wrong_type_of_team(d: dict[str, Any]) -> None:
    d["corridors"][0]["transit"] = "sahelia"


def _event_on_nothing(d: dict[str, Any]) -> None:
    d["events"]["deck"][0]["effects"][0]["target"] = "mars"


CASES: list[tuple[str, Callable[[dict[str, Any]], None], list[str]]] = [
    ("missing field", _drop_team_name, ["teams.0.name", "missing"]),
    ("wrong type", _rounds_as_text, ["rounds", "integer"]),
    ("unknown team in a corridor", _unknown_corridor_team, ["atlantis", "origin", "not a team"]),
    ("weights not summing to 1", _weights_off, ["teams.1.mandate", "sum to 1", "1.3"]),
    (
        "negative budget",
        _negative_budget,
        ["teams.2.endowment.budget", "greater than or equal to 0"],
    ),
    ("unknown field", _unknown_field, ["teams.0.endowment.gold", "unknown field"]),
    ("team of the wrong type", _wrong_type_of_team, ["transit", "sahelia", "expected a transit"]),
    ("event target unknown", _event_on_nothing, ["mars", "neither a team"]),
]


@pytest.mark.parametrize(
    ("change", "expected"), [pytest.param(c, e, id=name) for name, c, e in CASES]
)
def test_broken_scenario_fails_with_located_errors(
    tmp_path: Path, change: Callable[[dict[str, Any]], None], expected: list[str]
) -> None:
    data = copy.deepcopy(MED)
    change(data)
    path = write(tmp_path, data)
    result = check(path)
    assert result.exit_code != 0
    err = result.stderr
    lines = [line for line in err.splitlines() if all(x in line for x in expected)]
    assert lines, f"no line names {expected}:\n{err}"
    assert all(line.startswith(str(path)) for line in lines), "each problem names the file"
    assert "problem" in err.splitlines()[-1]
    assert "Traceback" not in result.output


def test_corridor_reference_errors_name_the_corridor_field(tmp_path: Path) -> None:
    """A designer looks for the field: the message says which corridor and which role."""
    data = copy.deepcopy(MED)
    _unknown_corridor_team(data)
    err = check(write(tmp_path, data)).stderr
    assert "corridors.0.origin" in err or ("corridor 'central'" in err and "origin" in err)
    assert "union" in err, "the message lists the teams it expected"


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    data = copy.deepcopy(MED)
    _drop_team_name(data)
    _negative_budget(data)
    _rounds_as_text(data)
    result = check(write(tmp_path, data))
    assert result.exit_code == 1
    assert "teams.0.name" in result.stderr
    assert "teams.2.endowment.budget" in result.stderr
    assert "rounds" in result.stderr
    assert "3 problem(s)" in result.stderr


def test_invalid_yaml(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("id: x\nteams: [\n  - {id: a\n", encoding="utf-8")
    result = check(path)
    assert result.exit_code != 0
    assert str(path) in result.stderr
    assert "not valid YAML" in result.stderr and "line" in result.stderr


def test_not_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- 1\n- 2\n", encoding="utf-8")
    result = check(path)
    assert result.exit_code != 0
    assert "expected a mapping" in result.stderr


def test_missing_file(tmp_path: Path) -> None:
    result = check(tmp_path / "nowhere.yaml")
    assert result.exit_code == 2
    assert "nowhere.yaml" in result.stderr and "cannot read" in result.stderr


def test_parse_errors_are_scenario_errors_listing_problems() -> None:
    data = copy.deepcopy(MED)
    _negative_budget(data)
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data, "my.yaml")
    assert info.value.source == "my.yaml"
    assert any("teams.2.endowment.budget" in p for p in info.value.problems)
    with pytest.raises(ScenarioError, match="YAML"):
        parse_scenario_text(":\n  - ]", "x.yaml")
    with pytest.raises(ScenarioError):
        load_scenario("no_such_scenario")


def test_scenario_constraints_that_keep_games_playable() -> None:
    data = copy.deepcopy(MED)
    data["teams"][0]["support"]["after_fall"] = data["teams"][0]["support"]["threshold"]
    with pytest.raises(ScenarioError, match="after_fall"):
        parse_scenario(data)
    data = copy.deepcopy(MED)
    data["teams"] = data["teams"][:1]
    with pytest.raises(ScenarioError, match="teams"):
        parse_scenario(data)
    data = copy.deepcopy(MED)
    data["teams"].append(copy.deepcopy(data["teams"][0]))
    with pytest.raises(ScenarioError, match="unique"):
        parse_scenario(data)


@pytest.mark.parametrize(
    ("target", "variable"),
    [
        ("central", "support"),
        ("central", "budget"),
        ("sahelia", "base_pressure"),
        ("union", "death_rate"),
    ],
)
def test_event_effect_that_cannot_apply_to_its_target_is_rejected(
    tmp_path: Path, target: str, variable: str
) -> None:
    """A corridor has no support or budget, a team no base pressure or death rate: such an
    effect would silently do nothing in play, so the check must refuse it."""
    data = copy.deepcopy(MED)
    data["events"]["deck"][0]["effects"] = [{"target": target, "variable": variable, "change": 1}]
    result = check(write(tmp_path, data))
    assert result.exit_code != 0, f"{variable} on {target} was accepted"
    assert variable in result.stderr and target in result.stderr
