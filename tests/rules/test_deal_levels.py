"""Deal levels in the scenario file, the shared deal language, and the new check errors
(NaN and infinities, non-UTF-8 files, weight sums that read as 1)."""

from __future__ import annotations

import copy
import itertools
import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError
from typer.testing import CliRunner

from game_rules.actions import TermType
from game_rules.cli import app
from game_rules.dealspace import derived_levels, issues_between, negotiating_pairs
from game_rules.library import SCENARIO_DIR, load_scenario, shipped_scenarios
from game_rules.scenario import ScenarioError, parse_scenario, parse_scenario_bytes

MED = yaml.safe_load((SCENARIO_DIR / "mediterranean.yaml").read_text(encoding="utf-8"))
runner = CliRunner()
FULL_LEVELS = load_scenario("full_table").deal_levels or []


def med(**levels: Any) -> dict[str, Any]:
    data = copy.deepcopy(MED)
    data["deal_levels"] = [levels]
    return data


def problems(data: Any) -> list[str]:
    with pytest.raises(ScenarioError) as err:
        parse_scenario(data, "x.yaml")
    return err.value.problems


@pytest.mark.parametrize("name", shipped_scenarios())
def test_every_shipped_scenario_declares_levels_for_each_negotiating_pair(name: str) -> None:
    sc = load_scenario(name)
    assert sc.deal_levels
    pairs = negotiating_pairs(sc)
    assert pairs
    for a, b in pairs:
        for issue in issues_between(sc, a, b):
            assert issue.levels[0] == 0 and list(issue.levels[1:]) == sorted(issue.levels[1:])
            assert {issue.giver, issue.receiver} == {a, b}
            # Every issue becomes a term the rules accept (shape and amount).
            issue.term(issue.levels[-1], 2)


def test_pair_order_does_not_change_the_issues() -> None:
    sc = load_scenario("mediterranean")
    assert issues_between(sc, "union", "sahelia") == issues_between(sc, "sahelia", "union")
    kinds = [(i.type, i.giver) for i in issues_between(sc, "union", "sahelia")]
    assert (TermType.readmission, "sahelia") in kinds
    assert (TermType.visa_facilitation, "union") in kinds
    assert issues_between(sc, "coastland", "sahelia") == []


def test_a_team_entry_beats_its_type_entry() -> None:
    data = copy.deepcopy(MED)
    data["deal_levels"] = [
        {"type": "visa_facilitation", "giver": "destination", "receiver": "origin", "levels": [3]},
        {"type": "visa_facilitation", "giver": "union", "receiver": "sahelia", "levels": [1, 2]},
    ]
    (issue,) = issues_between(parse_scenario(data), "union", "sahelia")
    assert issue.levels == (0, 1, 2)


def test_without_a_block_the_levels_are_derived_from_endowments() -> None:
    data = copy.deepcopy(MED)
    data.pop("deal_levels", None)
    sc = parse_scenario(data)
    assert sc.deal_levels is None
    derived = derived_levels(sc)
    assert derived and issues_between(sc, "union", "sahelia")
    money = next(lv for lv in derived if lv.type is TermType.investment)
    budget = sc.team("union").endowment.budget
    assert money.levels == [budget * 0.1, budget * 0.25]
    data["deal_levels"] = []
    assert negotiating_pairs(parse_scenario(data)) == []


def test_restricting_a_scenario_drops_levels_of_teams_left_out() -> None:
    data = load_scenario("full_table").model_dump(mode="json")
    data["deal_levels"].append(
        {
            "type": "funding",
            "giver": "nordland",
            "receiver": "agency",
            "earmark": "development",
            "levels": [10],
        }
    )
    full = parse_scenario(data)
    assert ("nordland", "agency") in negotiating_pairs(full)
    sc = full.restricted_to([t.id for t in full.teams if t.id != "agency"])
    assert sc.deal_levels and len(sc.deal_levels) == len(FULL_LEVELS)
    assert all("agency" not in pair for pair in negotiating_pairs(sc))


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            {
                "type": "visa_facilitation",
                "giver": "origin",
                "receiver": "destination",
                "levels": [1],
            },
            "an origin cannot give visa facilitation",
        ),
        (
            {"type": "readmission", "giver": "sahelia", "receiver": "coastland"},
            "a transit cannot receive readmission",
        ),
        (
            {"type": "funding", "earmark": "training", "giver": "union", "receiver": "atlantis"},
            "neither a team nor",
        ),
        ({"type": "funding", "giver": "union", "receiver": "sahelia"}, "needs an earmark"),
        (
            {"type": "funding", "earmark": "development", "giver": "union", "receiver": "union"},
            "the same team",
        ),
        ({"type": "trade_access", "levels": [50, 150]}, "percentages"),
        ({"type": "visa_facilitation", "levels": [1.5]}, "visa levels are 1"),
        ({"type": "investment", "levels": [200, 100]}, "ascending"),
        ({"type": "investment", "levels": [0, 100]}, "greater than 0"),
        ({"type": "investment", "levels": []}, "at least 1 item"),
        ({"type": "investment", "levels": [math.nan]}, "finite number"),
        ({"type": "investment", "earmark": "training"}, "only funding carries an earmark"),
        ({"type": "investment", "skills_training": True}, "belongs to a labour pathway"),
        (
            {"type": "readmission", "giver": "coastland", "receiver": "union", "levels": [50]},
            "third-country nationals",
        ),
    ],
)
def test_bad_deal_levels_are_refused_with_their_place(entry: dict[str, Any], message: str) -> None:
    levels = {"giver": "union", "receiver": "sahelia", "levels": [100], **entry}
    found = problems(med(**levels))
    assert any(message in p and "deal_levels" in p for p in found), found


def test_two_entries_of_equal_reach_for_one_pair_are_refused() -> None:
    data = copy.deepcopy(MED)
    entry = {"type": "investment", "giver": "destination", "receiver": "origin", "levels": [1]}
    data["deal_levels"] = [entry, {**entry, "levels": [2]}]
    (p,) = problems(data)
    assert "deal_levels 1 and 2 both set the levels of investment from union to sahelia" in p


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_nan_and_infinities_are_refused_everywhere(bad: float) -> None:
    data = copy.deepcopy(MED)
    data["initial_trust"] = bad
    data["teams"][0]["endowment"]["budget"] = bad
    data["model"]["visa_mobility"][1] = bad
    data["corridors"][0]["base_pressure"] = bad
    data["teams"][0]["mandate"]["objectives"][0]["target"] = bad
    found = problems(data)
    for where in (
        "initial_trust",
        "teams.0.endowment.budget",
        "model.visa_mobility.1",
        "corridors.0.base_pressure",
        "teams.0.mandate.objectives.0.target",
    ):
        assert any(p.startswith(f"x.yaml: {where}: ") and "finite" in p for p in found), found


def test_yaml_nan_is_refused_by_the_check(tmp_path: Path) -> None:
    text = (SCENARIO_DIR / "mediterranean.yaml").read_text(encoding="utf-8")
    path = tmp_path / "nan.yaml"
    path.write_text(text.replace("initial_trust: 50", "initial_trust: .nan"), encoding="utf-8")
    result = runner.invoke(app, ["scenario", "check", str(path)])
    assert result.exit_code == 1
    assert "initial_trust: Input should be a finite number" in result.stderr


def test_a_file_that_is_not_utf8_gets_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("id: x\nname: Café\n".encode("latin-1"))
    result = runner.invoke(app, ["scenario", "check", str(path)])
    assert result.exit_code == 1
    assert "line 2: not UTF-8 text (byte 0xe9" in result.stderr
    assert "Traceback" not in result.output
    with pytest.raises(ScenarioError, match="not UTF-8"):
        load_scenario(path)
    # A byte-order mark is fine.
    text = (SCENARIO_DIR / "bilateral.yaml").read_text(encoding="utf-8")
    assert parse_scenario_bytes(("\ufeff" + text).encode("utf-8")).id == "bilateral"


@pytest.mark.parametrize("delta", [-4e-6, 3e-6, -0.001])
def test_a_weight_sum_just_off_one_never_reads_as_one(delta: float) -> None:
    data = copy.deepcopy(MED)
    data["teams"][0]["mandate"]["objectives"][0]["weight"] += delta
    (p,) = problems(data)
    assert "must sum to 1" in p
    shown = p.split("they sum to ")[1].rstrip(")")
    assert float(shown) != 1.0 and math.isclose(float(shown), 1 + delta, abs_tol=1e-9)


def test_rounding_within_a_millionth_is_tolerated() -> None:
    data = copy.deepcopy(MED)
    data["teams"][0]["mandate"]["objectives"][0]["weight"] += 5e-7
    parse_scenario(data)


@pytest.mark.parametrize("name", ["full_table", "mediterranean", "refugee_compact", "bilateral"])
def test_every_subset_of_teams_with_a_corridor_can_be_played(name: str) -> None:
    """A facilitator may pick any teams that share a corridor; events lose their effects
    on the teams and routes left out, and an event with nothing left to act on goes."""
    full = load_scenario(name)
    ids = [t.id for t in full.teams]
    for n in range(2, len(ids) + 1):
        for chosen in itertools.combinations(ids, n):
            keep = set(chosen)
            has_route = any(
                c.origin in keep and c.destination in keep and (c.transit in keep or not c.transit)
                for c in full.corridors
            )
            if not has_route:
                with pytest.raises(ValidationError, match="corridors"):
                    full.restricted_to(list(chosen))
                continue
            sc = full.restricted_to(list(chosen))
            present = keep | {c.id for c in sc.corridors} | {"all"}
            assert all(e.target in present for card in sc.events.deck for e in card.effects)


def test_a_full_table_without_riverland_keeps_the_events_that_still_act() -> None:
    full = load_scenario("full_table")
    sc = full.restricted_to(["nordland", "coastland", "sahelia"])
    cards = {card.id: card for card in sc.events.deck}
    assert "conflict_escalation" not in cards  # Riverland's war: nothing left to act on
    assert [e.target for e in cards["drought"].effects] == ["sahel_north", "sahelia"]
    assert [e.target for e in cards["diaspora_investment"].effects] == ["sahelia"]
    assert "media_panic" not in cards  # Westmark's public, not in play
