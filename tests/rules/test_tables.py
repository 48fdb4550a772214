"""Recalibration targets (issue 8) of the full table and the bilateral partnership that a
few engine runs can check: governments that stand without a deal, mobility against
readmission as a trade-off on every destination–origin pair. The zone of agreement and
the dead-mechanic checks of every recalibrated file are in test_shipped_scenarios.py;
the full figures come from `compact dealspace` and `compact balance` (docs/balance.md).
"""

from __future__ import annotations

import pytest

from game_rules.actions import TermType
from game_rules.dealspace import Evaluator, Issue, issues_between, negotiating_pairs
from game_rules.library import load_scenario
from game_rules.rules import new_game
from game_rules.scenario import Scenario

TABLES = ("full_table", "bilateral")


def _destination_origin_pairs(sc: Scenario) -> list[tuple[str, str]]:
    kind = {t.id: t.type.value for t in sc.teams}
    return [
        (a, b) if kind[a] == "destination" else (b, a)
        for a, b in negotiating_pairs(sc)
        if {kind[a], kind[b]} == {"destination", "origin"}
    ]


def _top(issues: list[Issue], ttype: TermType, giver: str) -> Issue:
    return next(i for i in issues if i.type is ttype and i.giver == giver)


@pytest.mark.parametrize("name", TABLES)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_no_government_falls_in_the_game_without_a_deal(name: str, seed: int) -> None:
    """Before the recalibration Nordland's government fell in every round of the full
    table whatever it played (its standing labour scheme cost 12 support a round against a
    public that was never satisfied): a fall that happens anyway makes every price at
    home free. Without a deal, every government must stand."""
    sc = load_scenario(name)
    batna_run = Evaluator(new_game(sc, seed)).batna_run
    fell = {t: team.government - 1 for t, team in batna_run.teams.items() if team.government > 1}
    assert not fell, f"governments fell without a deal in {name}, seed {seed}: {fell}"


@pytest.mark.parametrize("name", TABLES)
def test_mobility_against_readmission_is_a_trade_off(name: str) -> None:
    """On every destination–origin pair: readmission alone, at its highest level, leaves
    the origin below its BATNA and helps the destination; mobility alone (visas and the
    labour pathway at their highest levels) leaves the destination below its BATNA and
    helps the origin ("security bias" against "deeply unpopular" returns: neither side
    gives its concession for free). Before the recalibration Nordland and the origins
    both gained from labour pathways: a shared wish, not a trade."""
    sc = load_scenario(name)
    evaluator = Evaluator(new_game(sc, 1))
    pairs = _destination_origin_pairs(sc)
    assert pairs
    for dest, origin in pairs:
        issues = issues_between(sc, dest, origin)
        readmission = _top(issues, TermType.readmission, origin)
        visas = _top(issues, TermType.visa_facilitation, dest)
        labour = _top(issues, TermType.labour_pathway, dest)
        returns = evaluator.value([readmission.term(readmission.levels[-1], 1)])
        mobility = evaluator.value(
            [visas.term(visas.levels[-1], 1), labour.term(labour.levels[-1], 1)]
        )
        assert returns.gain(origin) < 0 < returns.gain(dest), (dest, origin, returns.gains)
        assert mobility.gain(dest) < 0 < mobility.gain(origin), (dest, origin, mobility.gains)
