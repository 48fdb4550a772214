"""Left on the table: the measures of a signed deal against the frontier on hand-computed
cases, and the whole report of a small game against brute force over every deal."""

from __future__ import annotations

import math

import pytest

from game_rules import actions as A
from game_rules.actions import Actor, TermSpec
from game_rules.dealspace import Evaluator, deal_space
from game_rules.frontier import (
    better_for_all,
    changes,
    distance,
    efficiency,
    plans,
    report,
    value_all,
)
from game_rules.rules import new_game, perform
from game_rules.state import GameState, Phase
from tests.rules.test_dealspace import dominates, small

F = Actor.facilitator()

FRONT = [(0.0, 10.0), (6.0, 6.0), (10.0, 0.0)]


def test_a_deal_inside_the_frontier_is_measured_against_it_by_hand() -> None:
    # (3, 3) is dominated by (6, 6): 3√2 from it, half the best joint gain of 12.
    assert distance((3.0, 3.0), FRONT) == pytest.approx(3 * math.sqrt(2))
    assert efficiency(3.0 + 3.0, 12.0) == pytest.approx(0.5)
    assert better_for_all((3.0, 3.0), FRONT) == 1
    # (1, 8): (0, 10) is nearest but worse for the first party; (6, 6) worse for the
    # second: no frontier point makes both better off, and it is dominated by none.
    assert better_for_all((1.0, 8.0), FRONT) is None
    assert distance((1.0, 8.0), FRONT) == 0.0
    # (5, 0) is dominated by (6, 6) and (10, 0); the nearest frontier point is (10, 0),
    # 5 away, but only (6, 6) raises both.
    assert distance((5.0, 0.0), FRONT) == pytest.approx(5.0)
    assert better_for_all((5.0, 0.0), FRONT) == 1
    # A frontier point is on it; a deal below both BATNAs has negative efficiency.
    assert distance((6.0, 6.0), FRONT) == 0.0 and better_for_all((6.0, 6.0), FRONT) is None
    assert efficiency(-3.0, 12.0) == pytest.approx(-0.25)
    assert efficiency(0.0, 0.0) is None  # nothing was achievable


def test_the_terms_that_would_have_made_both_better_off_are_named() -> None:
    visas = TermSpec(type="visa_facilitation", giver="alpland", receiver="marenia", amount=1)
    more = visas.model_copy(update={"amount": 3.0})
    returns = TermSpec(type="readmission", giver="marenia", receiver="alpland", amount=50)
    work = TermSpec(
        type="labour_pathway", giver="alpland", receiver="marenia", amount=7000,
        skills_training=True,
    )  # fmt: skip
    assert changes([visas, returns], [more, work]) == [
        {"type": "visa_facilitation", "giver": "alpland", "receiver": "marenia",
         "earmark": None, "from": 1.0, "to": 3.0},
        {"type": "readmission", "giver": "marenia", "receiver": "alpland",
         "earmark": None, "from": 50.0, "to": 0.0},
        {"type": "labour_pathway", "giver": "alpland", "receiver": "marenia",
         "earmark": None, "from": 0.0, "to": 7000.0},
    ]  # fmt: skip
    assert changes([visas], [visas]) == []


def signed_small_game(terms: list[TermSpec]) -> GameState:
    """The small bilateral space (eleven deals), `terms` signed in round 1, played to the end."""
    st = new_game(small(), 2)
    perform(st, F, A.StartGame())
    perform(st, F, A.AdvancePhase())
    duration = st.scenario.rounds
    specs = [t.model_copy(update={"duration": duration}) for t in terms]
    perform(st, Actor.of_team("alpland"), A.Propose(parties=["alpland", "marenia"], terms=specs))
    perform(st, Actor.of_team("marenia"), A.Accept(proposal_id="p1"))
    while st.phase is not Phase.ended:
        perform(st, F, A.AdvancePhase())
    return st


def test_the_report_matches_brute_force_over_every_deal_of_a_small_space() -> None:
    signed = [
        TermSpec(type="visa_facilitation", giver="alpland", receiver="marenia", amount=3),
        TermSpec(type="readmission", giver="marenia", receiver="alpland", amount=50),
    ]
    st = signed_small_game(signed)
    (plan,) = plans(st)
    assert plan.parties == ("alpland", "marenia") and plan.agreements == ("a1",)
    (s,) = report(st)["sets"]
    # Brute force: every deal valued from the opening, the frontier by definition.
    ev = Evaluator(new_game(st.scenario, st.seed))
    space = deal_space(st.scenario, ["alpland", "marenia"])
    values = [ev.value(space.terms(d, ev.duration)) for d in space.deals()]
    assert [v.scores for v in value_all(ev, plan)] == [v.scores for v in values]
    gains = [(v.gain("alpland"), v.gain("marenia")) for v in values if v.ratifiable]
    feasible = [g for g in gains if min(g) >= -1e-9]
    front = sorted(
        {g for g in feasible if not any(dominates(h, g) for h in feasible)}, key=lambda g: g[0]
    )
    assert s["size"] == len(space.deals()) == 11 and s["feasible"] == len(feasible)
    assert [tuple(p["gains"]) for p in s["frontier"]] == [
        tuple(round(x, 2) for x in g) for g in front
    ]
    best = max(sum(g) for g in front)
    nash = max(front, key=lambda g: (g[0] * g[1], sum(g)))
    assert s["nash"]["gains"] == pytest.approx(list(nash), abs=0.01)
    # The signed deal is one of the space's deals: its point is that deal's value.
    (deal,) = s["deals"]
    mine = ev.value([t.model_copy(update={"duration": ev.duration}) for t in signed])
    point = (mine.gain("alpland"), mine.gain("marenia"))
    best = max(best, sum(point))  # what was signed was achievable
    assert s["best_surplus"] == pytest.approx(best, abs=0.01)
    assert deal["efficiency"] <= 1  # below 0: together worse off than no deal
    assert deal["gains"] == pytest.approx(list(point), abs=0.01)
    assert deal["efficiency"] == pytest.approx(sum(point) / best)
    assert deal["distance"] == pytest.approx(distance(point, front), abs=0.01)
    assert deal["on_frontier"] == (not any(dominates(f, point) for f in front))
    if deal["better"] is not None:
        assert all(b > p for b, p in zip(deal["better"]["gains"], point, strict=True))
        assert deal["better"]["changes"]


def test_a_pair_that_signed_nothing_is_analysed_too() -> None:
    st = new_game(small(), 2)
    perform(st, F, A.StartGame())
    while st.phase is not Phase.ended:
        perform(st, F, A.AdvancePhase())
    (s,) = report(st)["sets"]
    assert s["agreements"] == [] and s["deals"] == [] and s["size"] == 11
    assert s["frontier"] and s["nash"] is not None
