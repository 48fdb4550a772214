"""The balance tool's goals judged honestly: on score per opponent set, dominant when clearly best
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

from game_rules.balance import (
    MIN_GAMES,
    STRATEGY_NAMES,
    GameRecord,
    check_goals,
    narrow_zone,
)
from game_rules.cli import app
from game_rules.dealspace import DealSpace, DealValue, Issue, summarise
from game_rules.library import load_scenario
from game_rules.scenario import TermType

MED = load_scenario("mediterranean")
TEAMS = [t.id for t in MED.teams]

Score = Callable[[str, dict[str, str]], float]


def records(
    score: Score,
    batna: float = 50.0,
    drop: tuple[str, ...] | None = None,
    copies: int = MIN_GAMES,
) -> list[GameRecord]:
    """`copies` games per pairing (but the pairing `drop`); `score(team, strategies)`,
    spread by ±0.2 from game to game so that every mean has a standard error."""
    out = []
    pairings = itertools.product(STRATEGY_NAMES, repeat=len(TEAMS))
    for n, (pairing, k) in enumerate(itertools.product(pairings, range(copies))):
        if pairing == drop:
            continue
        strategies = dict(zip(TEAMS, pairing, strict=True))
        jitter = 0.1 * (k % 5 - 2)
        out.append(
            GameRecord(
                seed=n,
                strategies=strategies,
                scores={t: score(t, strategies) + jitter for t in TEAMS},
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
    assert verdict == "fail" and "gain +1.0 vs +2.0)" in detail


def test_pressure_is_unproven_when_an_opponent_set_is_missing() -> None:
    recs = records(lambda t, s: BASE[s[t]], drop=("hardliner", "conceder", "conceder"))
    verdict, detail = goal(recs, "pressure_does_not_pay")
    assert verdict == "unproven" and "8 of 9 measured" in detail
    assert f"play at least {MIN_GAMES * 27} games" in detail


def test_a_set_with_too_few_games_is_not_measured_and_proves_nothing() -> None:
    """One game a cell: every set is there, none is measured; pass becomes unproven for
    both goals that compare strategies per set, and the zone of agreement too."""
    few = records(lambda t, s: BASE[s[t]], copies=MIN_GAMES - 1)
    for gid in ("pressure_does_not_pay", "zone_of_agreement"):
        verdict, detail = goal(few, gid)
        assert verdict == "unproven", (gid, detail)
    flat = records(lambda t, s: 50.0 + 0.1 * (s[t] == "hardliner"), copies=MIN_GAMES - 1)
    verdict, detail = goal(flat, "no_dominant_strategy")
    assert verdict == "unproven" and "fewer than 5 games" in detail
    # With enough games the same scores are judged.
    assert goal(records(lambda t, s: BASE[s[t]]), "pressure_does_not_pay")[0] == "pass"


def test_each_opponent_set_is_reported_with_its_sample() -> None:
    recs = records(lambda t, s: BASE[s[t]], drop=("hardliner", "conceder", "conceder"))
    (g,) = [g for g in check_goals(MED, recs, 0.9) if g.id == "no_dominant_strategy"]
    union = g.sets["union"]
    assert len(union) == 9 and {tuple(v["opponents"]) for v in union} == set(
        itertools.product(STRATEGY_NAMES, repeat=2)
    )
    short = next(v for v in union if v["opponents"] == ["conceder", "conceder"])
    assert short["games"] == {"conceder": 5, "hardliner": 0, "reciprocator": 5}
    assert not short["measured"] and short["best"] is None
    full = next(v for v in union if v["opponents"] == ["hardliner", "hardliner"])
    assert full["measured"] and full["best"] == "reciprocator" and full["clear"]
    json.dumps(g.sets)  # goes into `compact balance --json` as it is


def test_a_strategy_best_in_more_than_half_of_the_opponent_sets_is_dominant() -> None:
    # Reciprocator best everywhere for every team: dominant.
    verdict, detail = goal(records(lambda t, s: BASE[s[t]]), "no_dominant_strategy")
    assert verdict == "fail" and "union=reciprocator (clearly best in 9 of 9" in detail

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
    assert verdict == "fail"
    assert "than half of the opponent sets): union=hardliner (clearly best in 5 of 9," in detail
    # Best in 4 of 9: not more than half. Old rule needed all 9; 6 of 9 used to pass.
    assert goal(records(best_in(4)), "no_dominant_strategy")[0] == "pass"


def test_no_dominant_strategy_is_unproven_when_pairings_are_missing() -> None:
    def flat(t: str, s: dict[str, str]) -> float:
        return 50.0

    verdict, detail = goal(records(flat, drop=("conceder",) * 3), "no_dominant_strategy")
    assert verdict == "unproven" and f"play at least {MIN_GAMES * 27} games" in detail
    # A sample without a game of cooperative bots in every seat proves no zone either.
    hard = [r for r in records(flat) if r.strategies["union"] == "hardliner"]
    assert goal(hard, "zone_of_agreement")[0] == "unproven"


def test_a_lead_within_the_noise_makes_no_strategy_dominant_but_is_reported() -> None:
    """A set whose best two are level within the noise has no single best strategy; the
    report still says who leads on the means."""
    noisy = records(lambda t, s: BASE[s[t]] / 100 + 50.0)  # leads of 0.02, spread of 0.14
    verdict, detail = goal(noisy, "no_dominant_strategy")
    assert verdict == "pass" and "union: best in conceder 0 (0 clearly)" in detail
    assert "reciprocator 9 (0 clearly)" in detail
    clear = records(lambda t, s: BASE[s[t]])
    assert goal(clear, "no_dominant_strategy")[0] == "fail"


def test_pressure_and_dominance_can_pass_together() -> None:
    """A team with a coercive tool whose hardliner is behind everywhere, and whose
    reciprocator and conceder are level: both goals pass. (Counting leads within the
    noise, three strategies over nine opponent sets made that impossible.)"""
    level = {"conceder": 52.0, "hardliner": 47.0, "reciprocator": 52.0}

    def score(t: str, s: dict[str, str]) -> float:
        # A reciprocator a hair ahead of the conceder: a lead on the means, not a clear one.
        return level[s[t]] + (0.01 if s[t] == "reciprocator" else 0.0)

    recs = records(score)
    assert goal(recs, "pressure_does_not_pay")[0] == "pass"
    verdict, detail = goal(recs, "no_dominant_strategy")
    assert verdict == "pass" and "reciprocator 9 (0 clearly)" in detail


def test_the_zone_of_agreement_needs_gains_and_some_games_below_a_batna() -> None:
    gaining = records(lambda t, s: 52.0, batna=50.0)
    verdict, detail = goal(gaining, "zone_of_agreement")
    # Every game above every BATNA: a zone nobody can miss is no negotiation.
    assert verdict == "fail" and "0% of all games leave some team below its BATNA" in detail

    def some_below(t: str, s: dict[str, str]) -> float:
        return 45.0 if "hardliner" in s.values() and t == "sahelia" else 52.0

    verdict, detail = goal(records(some_below), "zone_of_agreement")
    assert verdict == "pass" and "union +2.0" in detail, detail

    def coastland_loses(t: str, s: dict[str, str]) -> float:
        return 49.0 if t == "coastland" else some_below(t, s)

    assert goal(records(coastland_loses), "zone_of_agreement")[0] == "fail"


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
    assert "[UNPROVEN] zone_of_agreement: " in result.stdout
    assert "pairings of cooperative bots have fewer than 5 games" in result.stdout
    assert "alpland+marenia" in result.stdout and "3 deals, feasible" in result.stdout
    assert "] narrow_zone: " in result.stdout
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["zone_of_agreement"][0]["size"] == 3
    verdicts = {g["id"]: g["verdict"] for g in doc["goals"]}
    assert verdicts["no_dominant_strategy"] == "unproven"
