"""The deal space: bargaining points against brute force, deal values against a fresh
engine run, and the report's counts on a small hand-made space."""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from game_rules import actions as A
from game_rules.actions import Actor, TermSpec
from game_rules.analytics import game_scores
from game_rules.dealspace import (
    Evaluator,
    analyse,
    deal_space,
    egalitarian_point,
    evaluate,
    issues_between,
    kalai_smorodinsky_point,
    nash_point,
    pareto_front,
)
from game_rules.library import load_scenario
from game_rules.rules import can, new_game, perform
from game_rules.scenario import Scenario, parse_scenario
from game_rules.state import GameState, Phase

F = Actor.facilitator()

# --- bargaining points against brute force ----------------------------------------------

# Small integer payoffs: ties and duplicates are common, as FACTS.md warns.
gain_vectors = st.integers(min_value=1, max_value=3).flatmap(
    lambda k: st.lists(
        st.tuples(*[st.integers(min_value=0, max_value=6) for _ in range(k)]),
        min_size=1,
        max_size=25,
    )
)


def dominates(a: Sequence[float], b: Sequence[float]) -> bool:
    return all(x >= y for x, y in zip(a, b, strict=True)) and any(
        x > y for x, y in zip(a, b, strict=True)
    )


@given(gain_vectors)
@settings(max_examples=120, deadline=None)
def test_pareto_front_is_exactly_the_undominated_points_ties_kept(points: list[Any]) -> None:
    brute = [i for i, p in enumerate(points) if not any(dominates(q, p) for q in points)]
    assert pareto_front(points) == brute


@given(gain_vectors)
@settings(max_examples=120, deadline=None)
def test_nash_point_maximises_the_product_of_gains(points: list[Any]) -> None:
    front = pareto_front(points)
    k = nash_point(points, front)
    assert k in front
    best = max(math.prod(p) for p in points)
    assert math.prod(points[k]) == best
    # Among the deals with that product, the one with the most total gain.
    assert sum(points[k]) == max(sum(p) for p in points if math.prod(p) == best)


@given(gain_vectors)
@settings(max_examples=120, deadline=None)
def test_weighted_nash_point_maximises_the_weighted_product(points: list[Any]) -> None:
    weights = [0.5 + i for i in range(len(points[0]))]
    front = pareto_front(points)
    k = nash_point(points, front, weights)

    def value(p: Sequence[float]) -> float:
        return math.prod(g**w for g, w in zip(p, weights, strict=True))

    assert k in front and value(points[k]) == max(value(points[i]) for i in front)


@given(gain_vectors)
@settings(max_examples=120, deadline=None)
def test_kalai_smorodinsky_point_equalises_shares_of_the_ideal(points: list[Any]) -> None:
    front = pareto_front(points)
    k = kalai_smorodinsky_point(points, front)
    assert k in front
    dims = range(len(points[0]))
    ideal = [max(points[i][d] for i in front) for d in dims]
    live = [d for d in dims if ideal[d] > 0]
    if not live:
        return

    def spread(p: Sequence[float]) -> float:
        shares = [p[d] / ideal[d] for d in live]
        return max(shares) - min(shares)

    assert spread(points[k]) == min(spread(points[i]) for i in front)


@given(gain_vectors)
@settings(max_examples=120, deadline=None)
def test_egalitarian_point_maximises_the_smallest_gain(points: list[Any]) -> None:
    front = pareto_front(points)
    k = egalitarian_point(points, front)
    assert k in front
    assert min(points[k]) == max(min(p) for p in points)


def test_points_on_a_known_two_party_space() -> None:
    # d = (0, 0). Frontier: (8, 1), (6, 6) twice, (2, 7); (1, 1) and (5, 5) dominated.
    points = [(1, 1), (8, 1), (6, 6), (5, 5), (2, 7), (6, 6)]
    front = pareto_front(points)
    assert front == [1, 2, 4, 5]
    assert nash_point(points, front) == 2  # 36, the first of the tie
    assert egalitarian_point(points, front) == 2
    # Ideal (8, 7): shares (1, 1/7), (3/4, 6/7), (1/4, 1): (6, 6) is the most equal.
    assert kalai_smorodinsky_point(points, front) == 2
    assert nash_point(points, []) is None and kalai_smorodinsky_point(points, []) is None


# --- deal values against a fresh engine run ---------------------------------------------


def small(levels: list[dict[str, Any]] | None = None) -> Scenario:
    """The bilateral scenario with a two-issue deal space (eight deals)."""
    data = load_scenario("bilateral").model_dump(mode="json")
    # Without money on the table these three terms never beat the €150m Marenia's other
    # partners invest while it is not tied to Alpland: without that outside option the
    # space has a frontier to test (5 of its 11 deals feasible on seed 2).
    for team in data["teams"]:
        team["endowment"]["outside_investment"] = 0
    data["deal_levels"] = levels or [
        {"type": "visa_facilitation", "giver": "alpland", "receiver": "marenia", "levels": [3]},
        {"type": "readmission", "giver": "marenia", "receiver": "alpland", "levels": [50, 95]},
        {
            "type": "labour_pathway",
            "giver": "alpland",
            "receiver": "marenia",
            "skills_training": True,
            "levels": [7000],
        },
    ]
    return parse_scenario(data)


def played_by_hand(
    state: GameState, terms: list[TermSpec], *, ratify: bool = True
) -> dict[str, float]:
    """Sign `terms` now through the public actions and honour them to the end, every team
    keeping its policies: what a facilitator would see playing the game out."""
    st = copy.deepcopy(state)
    if st.phase is Phase.lobby:
        perform(st, F, A.StartGame())
    while st.phase is not Phase.negotiation:
        perform(st, F, A.AdvancePhase())
    duration = st.scenario.rounds - st.round + 1
    parties = [t.id for t in st.scenario.teams if any(t.id in (x.giver, x.receiver) for x in terms)]
    specs = [t.model_copy(update={"duration": duration}) for t in terms]
    perform(st, Actor.of_team(parties[0]), A.Propose(parties=parties, terms=specs))
    pid = max(st.proposals, key=lambda p: int(p[1:]))
    for p in parties[1:]:
        perform(st, Actor.of_team(p), A.Accept(proposal_id=pid))
    agreement = st.agreements[st.proposals[pid].agreement_id or ""]
    ours = {t.id for t in agreement.terms}
    while st.phase is not Phase.ended:
        if st.phase is Phase.briefing and ratify:
            for p in list(agreement.awaiting):  # a new government confirms the deal
                ratify = A.Ratify(agreement_id=agreement.id)
                if can(st, Actor.of_team(p), ratify):
                    perform(st, Actor.of_team(p), ratify)
        if st.phase is Phase.implementation:
            for tid, team in st.teams.items():
                mine = {
                    t.id: (100.0 if t.id in ours else team.last_compliance.get(t.id, 100.0))
                    for _ag, t in st.live_terms()
                    if t.giver == tid
                }
                policies = A.PolicyChoice(**team.policies.model_dump())
                perform(st, Actor.of_team(tid), A.Implement(compliance=mine, policies=policies))
        else:
            perform(st, F, A.AdvancePhase())
    return game_scores(st)


def idle_scores(state: GameState) -> dict[str, float]:
    st = copy.deepcopy(state)
    if st.phase is Phase.lobby:
        perform(st, F, A.StartGame())
    while st.phase is not Phase.ended:
        perform(st, F, A.AdvancePhase())
    return game_scores(st)


@pytest.mark.parametrize("deal", [(1, 0, 0), (0, 2, 1), (1, 1, 1), (1, 2, 0)])
def test_a_deal_is_worth_what_a_fresh_engine_run_gives(deal: tuple[int, ...]) -> None:
    sc = small()
    state = new_game(sc, 11)
    space = deal_space(sc, ["alpland", "marenia"])
    terms = space.terms(deal, 1)
    value = evaluate(state, terms)
    assert value.ratifiable and value.round == 1
    assert any(abs(g) > 0.01 for g in value.gains.values())
    assert value.scores == played_by_hand(state, terms)
    assert value.batna == idle_scores(state)
    assert value.gains == {t: value.scores[t] - value.batna[t] for t in value.scores}


def test_a_deal_from_the_middle_of_a_game_is_signed_in_the_round_under_way() -> None:
    sc = load_scenario("mediterranean")
    state = new_game(sc, 5)
    perform(state, F, A.StartGame())
    for _ in range(5):  # round 1 played out; round 2 in negotiation
        perform(state, F, A.AdvancePhase())
    assert (state.round, state.phase) == (2, Phase.negotiation)
    (visa, *_rest) = issues_between(sc, "union", "sahelia")
    terms = [visa.term(3, 1)]
    before = state.fingerprint()
    value = evaluate(state, terms)
    assert state.fingerprint() == before  # the state itself is untouched
    assert value.round == 2
    assert value.scores == played_by_hand(state, terms)
    assert value.batna == idle_scores(state)
    # From implementation the deal waits for the next round's negotiation.
    perform(state, F, A.AdvancePhase())
    assert evaluate(state, terms).round == 3


def test_no_deal_can_be_signed_after_the_last_round() -> None:
    sc = small()
    state = new_game(sc, 1)
    perform(state, F, A.StartGame())
    perform(state, F, A.EndGame())
    with pytest.raises(ValueError, match="no round is left"):
        Evaluator(state)


def test_a_deal_a_parliament_refuses_is_never_signed() -> None:
    data = small().model_dump(mode="json")
    data["model"]["ratification_cost"] = 40.0  # support 55 − 40 is under any threshold
    sc = parse_scenario(data)
    ev = Evaluator(new_game(sc, 3))
    space = deal_space(sc, ["alpland", "marenia"])
    refused = ev.value(space.terms((1, 0, 0), 1))
    assert not refused.ratifiable and refused.scores == refused.batna
    report = analyse(new_game(sc, 3), ["marenia", "alpland"])
    assert report.ratifiable == 0 and report.feasible == 0 and report.nash is None


# --- the report on a small space, against brute force -----------------------------------


def test_report_counts_and_points_match_brute_force_over_every_deal() -> None:
    sc = small()
    state = new_game(sc, 2)
    calls: list[tuple[int, int]] = []
    report = analyse(state, ["marenia", "alpland"], progress=lambda n, t: calls.append((n, t)))
    space = deal_space(sc, ["alpland", "marenia"])
    deals = space.deals()
    assert report.size == len(deals) == 2 * 3 * 2 - 1
    assert calls[-1] == (len(deals), len(deals)) and len(calls) == len(deals)
    assert report.parties == ("alpland", "marenia")
    ev = Evaluator(state)
    values = [ev.value(space.terms(d, 1)) for d in deals]
    gains = [(v.gain("alpland"), v.gain("marenia")) for v in values]
    feasible = [i for i, g in enumerate(gains) if min(g) >= -1e-9]
    assert report.feasible == len(feasible)
    assert report.unanimous == sum(1 for i in feasible if min(values[i].gains.values()) >= -1e-9)
    front = [i for i in feasible if not any(dominates(gains[j], gains[i]) for j in feasible)]
    assert [p.index for p in report.frontier] == front and report.pareto == len(front)
    if front:
        assert report.nash is not None and report.egalitarian is not None
        assert math.prod(report.nash.gains[p] for p in report.parties) == max(
            math.prod(gains[i]) for i in front
        )
        assert min(report.egalitarian.gains.values()) >= 0
        assert report.kalai_smorodinsky in report.frontier
    for n, team in enumerate(report.parties):
        assert report.favourite[team].gains[team] == max(g[n] for g in gains)
        if feasible:
            ff = report.favourite_feasible[team]
            assert ff is not None and ff.gains[team] == max(gains[i][n] for i in feasible)
    assert report.conflicts() == [
        (team, other)
        for team in report.parties
        for other in report.parties
        if other != team and report.favourite[team].gains[other] < -1e-9
    ]
    doc = report.to_json()
    assert doc["size"] == report.size and len(doc["frontier"]) == report.pareto
    assert doc["issues"][0]["levels"] == [3.0]


def test_a_space_too_large_is_refused_before_any_game_is_played() -> None:
    sc = load_scenario("mediterranean")
    with pytest.raises(ValueError, match="more than 100"):
        analyse(new_game(sc, 1), ["union", "coastland", "sahelia"], max_deals=100)
    with pytest.raises(ValueError, match="no team 'atlantis'"):
        deal_space(sc, ["union", "atlantis"])
    with pytest.raises(ValueError, match="at least two"):
        deal_space(sc, ["union", "union"])


def test_issues_of_a_multi_party_space_are_those_of_its_pairs() -> None:
    sc = load_scenario("mediterranean")
    space = deal_space(sc, ["sahelia", "union", "coastland"])
    pairs = [("union", "coastland"), ("union", "sahelia"), ("coastland", "sahelia")]
    assert list(space.issues) == list(
        itertools.chain.from_iterable(issues_between(sc, a, b) for a, b in pairs)
    )
    assert space.size == math.prod(len(i.levels) for i in space.issues) - 1


# --- the command ------------------------------------------------------------------------


def test_the_dealspace_command_prints_the_report_and_writes_json(tmp_path: Path) -> None:
    import json

    import yaml
    from typer.testing import CliRunner

    from game_rules.cli import app

    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(small().model_dump(mode="json")), encoding="utf-8")
    out = tmp_path / "space.json"
    runner = CliRunner()
    result = runner.invoke(app, ["dealspace", str(path), "--seed", "2", "--json", str(out)])
    assert result.exit_code == 0, result.output
    report = analyse(new_game(small(), 2), ["alpland", "marenia"])
    assert (
        f"alpland + marenia: 11 deals (3 terms), 11 ratifiable, feasible {report.feasible}"
        in result.stdout
    )
    # The bilateral file's own calibration decides whether this small space has a deal
    # both accept: the command must print what the analysis found, either way.
    nash = "alpland " if report.nash else "none (no feasible deal)"
    assert f"Nash bargaining point: {nash}" in result.stdout
    assert "alpland → marenia: visa facilitation visa-free" in result.stdout
    assert "deals/s" in result.stdout
    doc = json.loads(out.read_text(encoding="utf-8"))
    (space,) = doc["reports"]
    assert space["feasible"] == report.feasible and space["parties"] == ["alpland", "marenia"]
    written = space["nash"]["gains"] if space["nash"] else {}
    assert written == pytest.approx(report.nash.gains if report.nash else {})
    bad = runner.invoke(app, ["dealspace", str(path), "--partners", "alpland,atlantis"])
    assert bad.exit_code == 2 and "--partners" in bad.output


def test_a_deal_on_the_full_table_is_worth_what_the_engine_gives() -> None:
    # Six teams, four corridors, a monitoring organisation, the event deck.
    sc = load_scenario("full_table")
    state = new_game(sc, 4)
    space = deal_space(sc, ["coastland", "nordland"])
    terms = space.terms(space.deals()[len(space.deals()) // 2], 1)
    value = evaluate(state, terms)
    assert value.scores == played_by_hand(state, terms)
    assert value.batna == idle_scores(state)
    assert value.gain("coastland") != 0 and value.gain("nordland") != 0


def test_a_government_that_falls_re_ratifies_the_deal_it_honours() -> None:
    data = small().model_dump(mode="json")
    scandal = {"target": "alpland", "variable": "support", "change": -40}
    data["events"] = {
        "draws_per_round": 0,
        "deck": [
            {
                "id": "scandal",
                "title": "Scandal",
                "news": "-",
                "scheduled_round": 2,
                "effects": [scandal],
            }
        ],
    }
    sc = parse_scenario(data)
    state = new_game(sc, 3)
    terms = deal_space(sc, ["alpland", "marenia"]).terms((1, 2, 1), 1)
    value = evaluate(state, terms)
    assert value.scores == played_by_hand(state, terms)
    # Without the successor's signature the deal would lapse: a different game.
    assert value.scores != played_by_hand(state, terms, ratify=False)


def test_deals_spread_over_worker_processes_give_the_same_report(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from game_rules import cli

    monkeypatch.setattr(cli, "PARALLEL_FROM", 0)
    sc = small()
    (together,) = cli.analyse_spaces(sc, 2, [("alpland", "marenia")], workers=1, max_deals=99)
    (spread,) = cli.analyse_spaces(sc, 2, [("alpland", "marenia")], workers=2, max_deals=99)
    assert spread.to_json() == together.to_json()
    assert together.to_json() == analyse(new_game(sc, 2), ["alpland", "marenia"]).to_json()


def test_unanimous_deals_leave_no_team_at_the_table_below_its_batna() -> None:
    # Union and Sahelia can agree on what costs Coastland: feasible is not unanimous.
    sc = load_scenario("mediterranean")
    report = analyse(new_game(sc, 1), ["union", "sahelia"])
    ev = Evaluator(new_game(sc, 1))
    space = deal_space(sc, ["union", "sahelia"])
    values = [ev.value(space.terms(d, ev.duration)) for d in space.deals()]
    parties = [v for v in values if min(v.gain(t) for t in report.parties) >= -1e-9]
    everyone = [v for v in parties if min(v.gains.values()) >= -1e-9]
    assert report.feasible == len(parties) and report.unanimous == len(everyone)
    assert report.feasible > report.unanimous  # some deal of the two costs Coastland
