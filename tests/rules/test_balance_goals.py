"""The balance tool's goals judged honestly: on score per opponent set, dominant when best
in more than half of them, unproven when the sample lacks pairings, and the narrow zone
of agreement. Records are built by hand: no game is played here."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import yaml
from typer.testing import CliRunner

from game_rules.balance import STRATEGY_NAMES, GameRecord, check_goals, narrow_zone
from game_rules.cli import app
from game_rules.dealspace import DealSpace, DealValue, Issue, summarise
from game_rules.library import load_scenario
from game_rules.scenario import TermType

MED = load_scenario("mediterranean")
TEAMS = [t.id for t in MED.teams]

Score = Callable[[str, dict[str, str]], float]


def records(
    score: Score, batna: float = 50.0, drop: tuple[str, ...] | None = None
) -> list[GameRecord]:
    """One game per pairing (but the pairing `drop`); `score(team, strategies)`."""
    out = []
    for n, pairing in enumerate(itertools.product(STRATEGY_NAMES, repeat=len(TEAMS))):
        if pairing == drop:
            continue
        strategies = dict(zip(TEAMS, pairing, strict=True))
        out.append(
            GameRecord(
                seed=n,
                strategies=strategies,
                scores={t: score(t, strategies) for t in TEAMS},
                batna={t: batna for t in TEAMS},
                agreements=dict.fromkeys(TEAMS, 1),
                compliance=dict.fromkeys(TEAMS, 100.0),
                falls=dict.fromkeys(TEAMS, 0),
                coercion=dict.fromkeys(TEAMS, 0),
                arrivals=0.0,
                arrivals_no_deal=0.0,
                deaths=0.0,
            )
        )
    return out


def goal(recs: list[GameRecord], gid: str) -> tuple[str, str]:
    (g,) = [g for g in check_goals(MED, recs, 0.9) if g.id == gid]
    return g.verdict, g.detail


BASE = {"conceder": 50.0, "hardliner": 48.0, "reciprocator": 52.0}


def test_pressure_pays_if_the_hardliner_scores_more_against_any_opponent_set() -> None:
    assert goal(records(lambda t, s: BASE[s[t]]), "pressure_does_not_pay")[0] == "pass"

    def one_set(t: str, s: dict[str, str]) -> float:
        against = (s["coastland"], s["sahelia"]) == ("conceder", "conceder")
        if t == "union" and s[t] == "hardliner" and against:
            return 60.0
        return BASE[s[t]]

    verdict, detail = goal(records(one_set), "pressure_does_not_pay")
    assert verdict == "fail" and "union: hardliner score" in detail and "in 1 of 9" in detail


def test_pressure_is_judged_on_score_not_on_gain() -> None:
    # The hardliner scores more but its BATNA rises with its coercion: its gain is smaller.
    recs = records(lambda t, s: {"hardliner": 55.0}.get(s[t], 52.0))
    for r in recs:
        for t in TEAMS:
            if r.strategies[t] == "hardliner":
                r.batna[t] = 54.0
    verdict, detail = goal(recs, "pressure_does_not_pay")
    assert verdict == "fail" and "(gain +1.0 vs +2.0)" in detail


def test_pressure_is_unproven_when_an_opponent_set_is_missing() -> None:
    recs = records(lambda t, s: BASE[s[t]], drop=("hardliner", "conceder", "conceder"))
    verdict, detail = goal(recs, "pressure_does_not_pay")
    assert verdict == "unproven" and "union (8 of 9 opponent sets)" in detail


def test_a_strategy_best_in_more_than_half_of_the_opponent_sets_is_dominant() -> None:
    # Reciprocator best everywhere for every team: dominant.
    verdict, detail = goal(records(lambda t, s: BASE[s[t]]), "no_dominant_strategy")
    assert verdict == "fail" and "union=reciprocator (9 of 9)" in detail

    def best_in(sets: int) -> Score:
        """Union's hardliner is best in the first `sets` opponent sets, else a tie."""
        order = list(itertools.product(STRATEGY_NAMES, repeat=2))

        def score(t: str, s: dict[str, str]) -> float:
            if t != "union":
                return 50.0
            k = order.index((s["coastland"], s["sahelia"]))
            return 51.0 if s[t] == "hardliner" and k < sets else 50.0

        return score

    verdict, detail = goal(records(best_in(5)), "no_dominant_strategy")
    assert verdict == "fail" and detail.endswith("union=hardliner (5 of 9)")
    # Best in 4 of 9: not more than half. Old rule needed all 9; 6 of 9 used to pass.
    assert goal(records(best_in(4)), "no_dominant_strategy")[0] == "pass"


def test_no_dominant_strategy_is_unproven_when_pairings_are_missing() -> None:
    def flat(t: str, s: dict[str, str]) -> float:
        return 50.0

    verdict, detail = goal(records(flat, drop=("conceder",) * 3), "no_dominant_strategy")
    assert verdict == "unproven" and "play at least 27 games" in detail
    # A sample without a game of cooperative bots in every seat proves no zone either.
    hard = [r for r in records(flat) if r.strategies["union"] == "hardliner"]
    assert goal(hard, "zone_of_agreement")[0] == "unproven"


def zone_report(gains: list[tuple[float, float]]) -> object:
    """A deal-space report over hand-made gains for (union, sahelia), BATNA 0."""
    issue = Issue(TermType.investment, "union", "sahelia", tuple(range(len(gains) + 1)))
    space = DealSpace(("union", "sahelia"), (issue,))
    deals = space.deals()
    values = [
        DealValue({"union": a, "sahelia": b}, {"union": 0.0, "sahelia": 0.0}, True, 1)
        for a, b in gains
    ]
    evaluator = SimpleNamespace(
        base=SimpleNamespace(scenario=MED, seed=1),
        round=1,
        duration=5,
        batna={"union": 0.0, "sahelia": 0.0},
    )
    return summarise(evaluator, space, deals, values)  # type: ignore[arg-type]


def test_narrow_zone_needs_a_small_non_empty_zone_and_a_real_conflict() -> None:
    conflict = [(5.0, 1.0)] + [(9.0, -3.0)] + [(-1.0, 8.0)] * 8 + [(-2.0, -2.0)] * 10
    report = zone_report(conflict)
    result = narrow_zone([report])  # type: ignore[list-item]
    verdict, detail = result.verdict, result.detail
    assert verdict == "pass", detail
    assert "1 of 20 deals feasible (5.0%" in detail and "union's favourite" in detail
    wide = zone_report([(5.0, 1.0)] * 3 + [(-1.0, -1.0)] * 17)
    assert narrow_zone([wide]).verdict == "fail"  # type: ignore[list-item]
    wish_list = zone_report([(5.0, 5.0)] + [(-1.0, -1.0)] * 19)
    result = narrow_zone([wish_list])  # type: ignore[list-item]
    assert result.verdict == "fail" and "shared wish list" in result.detail
    empty = zone_report([(9.0, -3.0)] + [(-1.0, 8.0)] * 19)
    assert narrow_zone([empty]).verdict == "fail"  # type: ignore[list-item]
    assert narrow_zone(None).verdict == "unproven" and narrow_zone([]).verdict == "unproven"


def test_the_balance_command_shows_the_zone_and_refuses_an_unproven_goal(tmp_path: Path) -> None:
    data = load_scenario("bilateral").model_dump(mode="json")
    data["deal_levels"] = [
        {"type": "visa_facilitation", "giver": "alpland", "receiver": "marenia", "levels": [3]},
        {"type": "readmission", "giver": "marenia", "receiver": "alpland", "levels": [95]},
    ]
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    out = tmp_path / "balance.json"
    result = CliRunner().invoke(
        app, ["balance", str(path), "--games", "3", "--workers", "1", "--json", str(out)]
    )
    # Three games cannot meet the nine pairings of two teams: unproven, never a pass.
    assert result.exit_code == 1, result.output
    assert "[UNPROVEN] no_dominant_strategy" in result.stdout
    assert "[UNPROVEN] zone_of_agreement: cooperative bots in every seat met in" in result.stdout
    assert "alpland+marenia" in result.stdout and "3 deals, feasible" in result.stdout
    assert "] narrow_zone: " in result.stdout
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["zone_of_agreement"][0]["size"] == 3
    verdicts = {g["id"]: g["verdict"] for g in doc["goals"]}
    assert verdicts["no_dominant_strategy"] == "unproven"
