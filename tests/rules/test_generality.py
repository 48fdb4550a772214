"""Nothing assumes three teams: 2-team and 7-team scenarios play whole games."""

from __future__ import annotations

import itertools

import pytest

from game_rules import actions as A
from game_rules.analytics import batna_report
from game_rules.bots import STRATEGIES, strategy
from game_rules.rules import perform
from game_rules.scenario import Scenario
from game_rules.simulate import play_bot_game
from game_rules.state import GameState, Phase
from game_rules.views import Audience, view
from tests.rules.helpers import advance_to, implement, next_round, resolve, sign, start, term
from tests.rules.synthetic import bilateral, full_table


def assert_sound(st: GameState) -> None:
    sc = st.scenario
    assert st.phase is Phase.ended
    assert [r.round for r in st.history] == list(range(1, sc.rounds + 1))
    for rec in st.history:
        assert set(rec.corridors) == {c.id for c in sc.corridors}
        assert set(rec.scores) == set(rec.indicators) == set(rec.support) == set(st.teams)
        for f in rec.corridors.values():
            assert f.potential == f.stayed + f.legal + f.blocked + f.died + f.arrived
            assert min(f.model_dump().values()) >= 0
        for row in rec.trust.values():
            assert all(0 <= v <= 100 for v in row.values())
        assert all(0 <= s <= 100 for s in rec.scores.values())
    for t in st.teams.values():
        assert t.treasury >= 0 and t.population > 0 and t.refugees >= 0 and t.stranded >= 0


@pytest.mark.parametrize("make", [bilateral, full_table], ids=["2 teams", "7 teams"])
@pytest.mark.parametrize("mix", ["reciprocator", "conceder", "hardliner", "mixed"])
def test_bot_games_play_to_the_end(make: type[Scenario], mix: str) -> None:
    sc = make()
    names = itertools.cycle(sorted(STRATEGIES)) if mix == "mixed" else itertools.repeat(mix)
    chosen = {t.id: strategy(n) for t, n in zip(sc.teams, names, strict=False)}
    game = play_bot_game(sc, 3, chosen)
    assert_sound(game.state)
    report = batna_report(game.state)
    assert set(report) == {t.id for t in sc.teams}
    for row in report.values():
        assert row["gain"] == pytest.approx(row["score"] - row["batna"])
    for tid in sc.teams:
        json_view = view(game.state, Audience.of_team(tid.id))
        assert json_view["me"]["id"] == tid.id


def test_bots_make_deals_in_the_big_game() -> None:
    game = play_bot_game(full_table(), 5, {t.id: strategy("conceder") for t in full_table().teams})
    assert game.state.agreements, "conceders on a full table should sign something"
    parties = {p for ag in game.state.agreements.values() for p in ag.parties}
    assert len(parties) >= 4


def test_direct_corridor_has_no_transit_and_blocked_return_home() -> None:
    st = start(bilateral())
    implement(st, "alpina", border_enforcement=90)
    resolve(st)
    flows = st.history[-1].corridors["direct"]
    assert (
        flows.potential == flows.stayed + flows.legal + flows.blocked + flows.died + flows.arrived
    )
    assert flows.blocked > 0
    assert flows.refugees_displaced == 0, "no neighbour to flee into without a transit state"


def test_multilateral_agreement_on_a_full_table() -> None:
    st = start(full_table())
    ag = sign(
        st,
        [
            term("funding", "nordia", "porto", 200, earmark="refugee_hosting"),
            term("border_cooperation", "porto", "nordia", 60),
            term("readmission", "kora", "nordia", 70),
            term("labour_pathway", "westmark", "kora", 20000, skills_training=True),
            term("readmission", "steppe", "westmark", 40, third_country=True),
            term("resettlement", "westmark", "steppe", 5000),
        ],
    )
    assert len(st.agreements[ag].parties) == 5
    resolve(st)
    records = [r for r in st.compliance if r.agreement_id == ag]
    assert len(records) == 6
    # An organisation with monitor=True makes compliance visible as it is.
    assert all(r.observed_compliance == r.true_compliance for r in records)
    next_round(st)
    before = {a: dict(row) for a, row in st.trust.items()}
    perform(st, A.Actor.of_team("nordia"), A.Withdraw(agreement_id=ag))
    for other in st.agreements[ag].parties:
        if other != "nordia":
            assert st.trust[other]["nordia"] < before[other]["nordia"]
    assert st.trust["lumo"]["nordia"] == before["lumo"]["nordia"], "lumo is not a party"


def test_all_ready_counts_every_team_of_a_big_table() -> None:
    st = start(full_table())
    ids = list(st.teams)
    for tid in ids[:-1]:
        perform(st, A.Actor.of_team(tid), A.SetReady())
    assert st.phase is Phase.briefing
    perform(st, A.Actor.of_team(ids[-1]), A.SetReady())
    assert st.phase is Phase.negotiation
    advance_to(st, Phase.implementation)
