"""The scoresheet's secrecy: it is computed from what the team may know, and from nothing
else. Each test attacks the boundary (`views.known_state`): another team's secrets are
changed, and the team's scoresheet must not move; what the sheet shows is compared with
what the team's own view holds."""

from __future__ import annotations

import copy

import pytest

from game_rules import actions as A
from game_rules.dealspace import Evaluator
from game_rules.rules import perform
from game_rules.scenario import Direction, DomesticPolitics, Mandate, Objective
from game_rules.state import Decision, GameState, Phase
from game_rules.views import Audience, known_state, view
from tests.rules.helpers import advance_to, implement, next_round, sign, start, team, term
from web import render
from web import scoresheet as sheets

ME, PARTNER, OTHER = "union", "coastland", "sahelia"
"""The Union values a deal with Coastland; Sahelia's secrets are attacked."""

DEAL = [
    term("funding", ME, PARTNER, 100, earmark="border_management"),
    term("border_cooperation", PARTNER, ME, 60),
]


@pytest.fixture(scope="module")
def game() -> GameState:
    """Round 2 in negotiation: the Union and Sahelia signed in round 1 (Sahelia honoured
    its readmission at 30 %, which only Sahelia knows), Sahelia and Coastland talk."""
    st = start()
    sign(st, [term("visa_facilitation", ME, OTHER, 1), term("readmission", OTHER, ME, 60)])
    implement(st, ME)
    readmission = next(t.id for _ag, t in st.live_terms() if t.giver == OTHER)
    implement(st, OTHER, {readmission: 30})
    next_round(st)
    advance_to(st, Phase.negotiation)
    return st


def tampered(st: GameState) -> GameState:
    """`st` with every secret of Sahelia changed, and a proposal the Union never sees."""
    s = copy.deepcopy(st)
    goal = Objective(
        indicator="remittances", weight=1.0, direction=Direction.higher_is_better,
        target=99999, worst=0,
    )  # fmt: skip
    politics = DomesticPolitics(
        initial=50, threshold=49, responsiveness=1, after_fall=60, drivers=[goal]
    )
    specs = [
        t.model_copy(update={"mandate": Mandate(objectives=[goal]), "support": politics})
        if t.id == OTHER
        else t
        for t in s.scenario.teams
    ]
    s.scenario = s.scenario.model_copy(update={"teams": specs})
    other = s.teams[OTHER]
    other.mandate = [goal]
    other.treasury = 1.0
    other.policies = other.policies.model_copy(update={"border_enforcement": 95.0})
    other.last_compliance = dict.fromkeys(other.last_compliance, 0.0)
    for rec in s.compliance:
        if rec.giver == OTHER:
            rec.true_compliance = 0.0
    s.decisions_log[-1][OTHER] = Decision(compliance={}, policies=other.policies)
    s.trust[OTHER][PARTNER], s.trust[PARTNER][OTHER] = 0.0, 100.0
    s.history[-1].scores[OTHER] = 99.0
    s.history[-1].indicators[OTHER]["treasury"] = 1.0
    s.history[-1].trust[OTHER][PARTNER] = 0.0
    offer = [term("funding", OTHER, PARTNER, 5, earmark="development")]
    perform(s, team(OTHER), A.Propose(parties=[OTHER, PARTNER], terms=offer))
    return s


def test_another_teams_secrets_do_not_move_the_scoresheet(game: GameState) -> None:
    changed = tampered(game)
    # The attack is real: valued on the true states, the Union's number moves.
    truth = Evaluator(game).value(DEAL).gain(ME), Evaluator(changed).value(DEAL).gain(ME)
    assert abs(truth[0] - truth[1]) > 0.01, truth
    # What the Union may know is the same in both games, to the byte.
    before, after = known_state(game, ME), known_state(changed, ME)
    assert sheets.digest(before) == sheets.digest(after)
    sheets.clear_cache()
    a = sheets.sheet(before, ME, DEAL)
    sheets.clear_cache()
    b = sheets.sheet(after, ME, DEAL)
    assert a == b and not a.empty
    # and so is the decision preview, once in implementation
    for st in (game_copy := copy.deepcopy(game), changed):
        advance_to(st, Phase.implementation)
    decide = A.Implement(policies=game_copy.teams[ME].policies)
    sheets.clear_cache()
    p1 = sheets.preview(known_state(game_copy, ME), ME, decide)
    sheets.clear_cache()
    p2 = sheets.preview(known_state(changed, ME), ME, decide)
    assert p1 == p2


def test_the_scoresheet_shows_what_the_teams_own_view_holds(game: GameState) -> None:
    mine = view(game, Audience.of_team(ME), translations=False)
    known = known_state(game, ME)
    # The team's own view is the same whether built from the game or from what it knows:
    # the known state holds nothing the view leaves out, and loses nothing it shows.
    assert view(known, Audience.of_team(ME), translations=False) == mine
    sh = sheets.sheet(known, ME, DEAL)
    goals = [(o["indicator"], o["weight"]) for o in mine["me"]["mandate"]]
    assert [(line.indicator, line.weight) for line in sh.lines] == goals
    # No secret of another team is in the known state: mandates and politics are the
    # stand-ins, true compliance is what was observed, as in the team's view.
    for tid in (PARTNER, OTHER):
        assert known.teams[tid].mandate == list(known.scenario.team(tid).mandate.objectives)
        assert [o.indicator for o in known.teams[tid].mandate] == ["support"]
        assert known.scenario.team(tid).support.threshold == 0
    observed = {
        (c["term_id"], c["round"]): c["observed"]
        for ag in mine["agreements"]
        for c in ag["compliance"]
        if c["giver"] != ME
    }
    assert observed and all(
        round(rec.true_compliance, 1) == observed[(rec.term_id, rec.round)]
        for rec in known.compliance
        if rec.giver != ME
    )
    assert set(known.proposals) == {p["id"] for p in mine["proposals"]}
    # On screen: the team's goals in words, none of a partner's goals.
    html = render.fragment("sections/scoresheet.html", sh=sh, names={}, units=sheets.UNITS)
    assert "Irregular arrivals" in html and "Remittances" not in html
    assert "irregular_arrivals" not in html
