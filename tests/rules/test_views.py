"""Secrecy (GAME.md §4, §6.6): each audience sees what it may, and nothing more.

The attack: give every team private markers (an objective and a support driver nobody else
has, an after-fall mandate, a proposal message), play, then search the serialized JSON of
the other audiences' views for them.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from game_rules import actions as A
from game_rules import records
from game_rules.errors import NotAllowed, WrongPhase
from game_rules.library import load_scenario
from game_rules.rules import new_game, perform
from game_rules.state import GameState, Phase
from game_rules.views import (
    OWN_RECORDS,
    PARTY_RECORDS,
    PUBLIC_RECORDS,
    Audience,
    bots_seen,
    debrief,
    may_read_chat,
    records_for,
    sees_join_code,
    view,
)
from tests.rules.helpers import (
    F,
    advance_to,
    implement,
    next_round,
    resolve,
    scenario,
    sign,
    start,
    team,
    term,
)

TEAMS = ("union", "coastland", "sahelia")
TRUE_LEVEL = {"union": 63.7, "sahelia": 41.3, "coastland": 57.9}


def _marker(tid: str, what: str) -> str:
    return f"zz_{what}_{tid}"


def _secret(tid: str, what: str, target: float) -> dict[str, Any]:
    return {
        "indicator": _marker(tid, what),
        "weight": 0.0,
        "direction": "higher",
        "target": target,
        "worst": 0,
        "note": f"private note {_marker(tid, what)}",
    }


def _with_markers(d: dict[str, Any]) -> None:
    for i, t in enumerate(d["teams"]):
        tid = t["id"]
        t["mandate"]["objectives"].append(_secret(tid, "mandate", 987001 + i))
        t["mandate"]["after_fall"] = [
            {**o} for o in t["mandate"]["after_fall"] or t["mandate"]["objectives"]
        ] + [_secret(tid, "afterfall", 987101 + i)]
        t["support"]["drivers"].append(_secret(tid, "driver", 987201 + i))
        t["support"]["threshold"] = 0  # keep governments standing: not this test's subject


def played() -> GameState:
    """Two rounds with a union–sahelia deal, a union–coastland deal and an open proposal."""
    st = start(scenario(_with_markers))
    us = sign(
        st,
        [
            term("visa_facilitation", "union", "sahelia", 2),
            term("readmission", "sahelia", "union", 80),
        ],
    )
    uc = sign(
        st,
        [
            term("funding", "union", "coastland", 300, earmark="refugee_hosting"),
            term("border_cooperation", "coastland", "union", 70),
        ],
    )
    terms = {t.giver + ":" + a: t.id for a in (us, uc) for t in st.agreements[a].terms}
    for rnd in (1, 2):
        if rnd == 2:
            next_round(st)
        advance_to(st, Phase.negotiation)
        perform(
            st,
            team("sahelia"),
            A.Propose(
                parties=["sahelia", "union"],
                terms=[term("labour_pathway", "union", "sahelia", 12345)],
                message=f"secret sahelia offer round {rnd}",
            ),
        )
        implement(
            st,
            "union",
            {terms["union:" + us]: TRUE_LEVEL["union"], terms["union:" + uc]: TRUE_LEVEL["union"]},
        )
        implement(st, "sahelia", {terms["sahelia:" + us]: TRUE_LEVEL["sahelia"]})
        implement(st, "coastland", {terms["coastland:" + uc]: TRUE_LEVEL["coastland"]})
        resolve(st)
    next_round(st)
    advance_to(st, Phase.negotiation)
    perform(
        st,
        team("union"),
        A.Propose(
            parties=["union", "coastland"],
            terms=[term("trade_access", "union", "coastland", 35)],
            message="secret union offer to coastland",
        ),
    )
    return st


@pytest.fixture(scope="module")
def game() -> GameState:
    return played()


def dump(st: GameState, audience: Audience) -> str:
    return json.dumps(view(st, audience), sort_keys=True, default=str)


@pytest.mark.parametrize("me", TEAMS)
def test_team_view_hides_other_mandates(game: GameState, me: str) -> None:
    text = dump(game, Audience.of_team(me))
    for other in TEAMS:
        for what in ("mandate", "afterfall", "driver"):
            marker = _marker(other, what)
            if other == me and what != "afterfall":
                assert marker in text, f"{me} must see its own {what}"
            elif other != me:
                assert marker not in text, f"{me} sees {other}'s private {what}"
    mine = view(game, Audience.of_team(me))["me"]
    assert [o["indicator"] for o in mine["mandate"]][-1] == _marker(me, "mandate")


def test_team_view_hides_proposals_it_is_not_party_to(game: GameState) -> None:
    coastland = view(game, Audience.of_team("coastland"))
    ids = {p["id"] for p in coastland["proposals"]}
    for pid, prop in game.proposals.items():
        if "coastland" not in prop.parties:
            assert pid not in ids
    text = json.dumps(coastland)
    assert "secret sahelia offer" not in text
    assert "12345" not in text, "the amount of a proposal coastland is not party to leaks"
    assert "secret union offer to coastland" in text
    sahelia_text = dump(game, Audience.of_team("sahelia"))
    assert "secret union offer to coastland" not in sahelia_text
    projector = dump(game, Audience.projector())
    assert "secret" not in projector and "12345" not in projector


def _records(v: dict[str, Any]) -> list[dict[str, Any]]:
    return [rec for ag in v["agreements"] for rec in ag["compliance"]]


@pytest.mark.parametrize("me", TEAMS)
def test_team_view_hides_true_compliance_of_others(game: GameState, me: str) -> None:
    v = view(game, Audience.of_team(me))
    records = _records(v)
    assert records
    for rec in records:
        if rec["giver"] == me:
            assert rec["true"] == pytest.approx(TRUE_LEVEL[me], abs=0.05)
        else:
            assert "true" not in rec, f"{me} sees {rec['giver']}'s true compliance"
    text = json.dumps(v)
    for other, level in TRUE_LEVEL.items():
        if other != me:
            assert f"{level}" not in text, (
                f"{other}'s true compliance {level} appears in {me}'s view"
            )


def test_true_compliance_is_private_to_giver_and_facilitator(game: GameState) -> None:
    # Direct search for the exact true values anywhere in the projector's view.
    text = dump(game, Audience.projector())
    for level in TRUE_LEVEL.values():
        assert f"{level}" not in text
    full = _records(view(game, Audience.facilitator()))
    assert full and all("true" in rec for rec in full)


def test_facilitator_sees_everything(game: GameState) -> None:
    v = view(game, Audience.facilitator())
    text = json.dumps(v, default=str)
    for tid in TEAMS:
        for what in ("mandate", "driver"):
            assert _marker(tid, what) in text
    assert {p["id"] for p in v["proposals"]} == set(game.proposals)
    assert set(v["team_details"]) == set(TEAMS)
    assert v["trust"] == game.trust
    assert all("scores" in rec and len(rec["scores"]) == 3 for rec in v["history"])


def test_team_sees_only_its_own_trust_rows(game: GameState) -> None:
    v = view(game, Audience.of_team("sahelia"))
    assert set(v["trust"]["in_others"]) == {"union", "coastland"}
    assert set(v["trust"]["from_others"]) == {"union", "coastland"}
    assert all("trust" not in rec for rec in v["history"]), "the full matrix history is private"


def test_projector_shows_no_scores_until_revealed() -> None:
    st = played()
    hidden = view(st, Audience.projector())
    assert hidden["history"] and all("scores" not in rec for rec in hidden["history"])
    own = view(st, Audience.of_team("union"))
    assert all(set(rec["scores"]) == {"union"} for rec in own["history"]), (
        "a team sees its own score only"
    )
    assert "proposals" not in hidden and "me" not in hidden and "team_details" not in hidden
    perform(st, F, A.RevealScores())
    shown = view(st, Audience.projector())
    assert all(set(rec["scores"]) == set(TEAMS) for rec in shown["history"])
    perform(st, F, A.RevealScores(revealed=False))
    assert all("scores" not in rec for rec in view(st, Audience.projector())["history"])
    perform(st, F, A.EndGame())
    assert all("scores" in rec for rec in view(st, Audience.projector())["history"]), (
        "the debrief shows scores"
    )


def test_private_indicators_stay_private(game: GameState) -> None:
    v = view(game, Audience.of_team("coastland"))
    for rec in v["history"]:
        assert "spending" not in rec["indicators"]["union"]
        assert "hosting_burden" in rec["indicators"]["coastland"]
        assert "readmission_level" not in rec["indicators"]["sahelia"]


def test_hidden_round_count() -> None:
    def hide(d: dict[str, Any]) -> None:
        d["hide_round_count"] = True

    st = start(scenario(hide))
    assert view(st, Audience.of_team("union"))["rounds"] is None
    assert view(st, Audience.projector())["rounds"] is None
    assert view(st, Audience.facilitator())["rounds"] == st.scenario.rounds


def test_private_news_reaches_only_its_teams() -> None:
    st = start()
    ag = sign(
        st,
        [
            term("visa_facilitation", "union", "sahelia", 1),
            term("readmission", "sahelia", "union", 70),
        ],
        conditions=[A.ConditionSpec(term=0, requires=1, threshold=60)],
    )
    _visa, readmission = [t.id for t in st.agreements[ag].terms]
    implement(st, "sahelia", {readmission: 0})
    resolve(st)
    suspended = [n for n in st.news if isinstance(n, records.TermSuspended)]
    assert [(n.term_id, sorted(n.parties)) for n in suspended] == [(_visa, ["sahelia", "union"])], (
        "a suspension is news for the parties only"
    )
    for tid in TEAMS:
        seen = [x for x in view(st, Audience.of_team(tid))["news"] if x["kind"] == "term_suspended"]
        assert bool(seen) == (tid in ("union", "sahelia")), tid
    for audience in (Audience.projector(), Audience(kind="observer")):
        kinds = [x["kind"] for x in view(st, audience)["news"]]
        assert "term_suspended" not in kinds and "round_resolved" in kinds


def test_only_the_facilitator_sees_the_event_deck() -> None:
    st = new_game(load_scenario("mediterranean"), seed=1)
    deck = [c.id for c in st.scenario.events.deck]
    assert deck, "the shipped scenario has a deck to hide"
    full = view(st, Audience.facilitator())["event_deck"]
    assert [c["id"] for c in full] == deck and all(c["title"] for c in full)
    for audience in (Audience.of_team("union"), Audience.projector(), Audience(kind="observer")):
        assert view(st, audience)["event_deck"] == []


def test_every_record_type_has_an_audience() -> None:
    """A new record the views never classified would go to the facilitator only; this
    says so at once instead of a sentence missing from every team's news."""
    classified = PARTY_RECORDS | OWN_RECORDS | PUBLIC_RECORDS | {records.LegacyNews}
    assert set(records.RECORD_TYPES) == classified


def test_proposal_records_reach_only_their_parties() -> None:
    st = advance_to(start(), Phase.negotiation)
    done = perform(
        st,
        team("union"),
        A.Propose(
            parties=["union", "sahelia"], terms=[term("visa_facilitation", "union", "sahelia", 1)]
        ),
    )
    assert (
        records_for(done, Audience.of_team("union"))
        == records_for(done, Audience.of_team("sahelia"))
        == [
            {
                "kind": "proposal_made",
                "round": 1,
                "proposal_id": "p1",
                "by": "union",
                "parties": ["union", "sahelia"],
            }
        ]
    )
    for audience in (
        Audience.of_team("coastland"),
        Audience.projector(),
        Audience(kind="observer"),
    ):
        assert records_for(done, audience) == []
    assert len(records_for(done, Audience.facilitator())) == 1


def test_unknown_team_audience_is_refused() -> None:
    with pytest.raises(KeyError):
        view(start(), Audience.of_team("atlantis"))


# --- the ended game, the debrief, chat, bots and the join code ---------------------------


def _ended(game: GameState) -> GameState:
    st = game.model_copy(deep=True)
    perform(st, F, A.EndGame())
    return st


OUTCOMES = {t: {"score": 50.0, "batna": 40.0, "gain": 10.0} for t in TEAMS}


def _true_levels(doc: dict[str, Any]) -> dict[str, float]:
    return {k["giver"]: k["true"] for a in doc["agreements"] for k in a["kept"] if k["true"]}


def test_the_debrief_hides_others_true_compliance_until_the_facilitator_reveals(
    game: GameState,
) -> None:
    st = _ended(game)
    assert debrief(game, Audience.facilitator(), OUTCOMES) is None, "no debrief before the end"
    full = debrief(st, Audience.facilitator(), OUTCOMES)
    assert full is not None and _true_levels(full) == pytest.approx(TRUE_LEVEL, abs=0.1)
    assert set(full["trust"]) == set(TEAMS) and full["unsigned"]["expired"] == 2
    for me in TEAMS:
        d = debrief(st, Audience.of_team(me), OUTCOMES)
        assert d is not None and set(_true_levels(d)) == {me}, "only its own truth"
        assert d["trust"] == {} and set(d["trust_received"]) == {me}
        assert d["outcomes"] == OUTCOMES, "the counterfactual is for everyone"
        text = json.dumps(d)
        for other in TEAMS:
            if other != me:
                assert f"{TRUE_LEVEL[other]}" not in text
        assert "secret" not in text
    # Sahelia made two proposals to the union that expired; coastland was party to none.
    assert debrief(st, Audience.of_team("sahelia"), OUTCOMES)["unsigned"]["expired"] == 2  # type: ignore[index]
    assert sum(debrief(st, Audience.of_team("coastland"), OUTCOMES)["unsigned"].values()) == 0  # type: ignore[index]
    for public in (Audience.projector(), Audience(kind="observer")):
        d = debrief(st, public, OUTCOMES)
        assert d is not None and _true_levels(d) == {} and d["trust"] == {}
        assert d["trust_received"] == {} and sum(d["unsigned"].values()) == 0
        assert all("true" not in c for a in view(st, public)["agreements"] for c in a["compliance"])
    # The reveal: the truth for every screen, in the debrief and the view alike.
    perform(st, F, A.RevealTruth())
    for audience in (Audience.projector(), Audience(kind="observer"), Audience.of_team("sahelia")):
        d = debrief(st, audience, OUTCOMES)
        assert d is not None and _true_levels(d) == pytest.approx(TRUE_LEVEL, abs=0.1)
        assert set(d["trust"]) == set(TEAMS)
        records_seen = [c for a in view(st, audience)["agreements"] for c in a["compliance"]]
        assert records_seen and all("true" in c for c in records_seen)
        text = json.dumps([d, view(st, audience)])
        assert _marker("union", "mandate") not in text and "secret union offer" not in text
    assert sum(debrief(st, Audience.projector(), OUTCOMES)["unsigned"].values()) == 0  # type: ignore[index]


def test_the_truth_is_revealed_once_by_the_facilitator_after_the_end(game: GameState) -> None:
    st = game.model_copy(deep=True)
    with pytest.raises(WrongPhase):
        perform(st, F, A.RevealTruth())
    perform(st, F, A.EndGame())
    with pytest.raises(NotAllowed):
        perform(st, team("union"), A.RevealTruth())
    done = perform(st, F, A.RevealTruth())
    assert done == [records.TruthRevealed(round=st.round)] and st.news[-1] == done[0]
    with pytest.raises(WrongPhase):
        perform(st, F, A.RevealTruth())


@pytest.mark.parametrize(
    ("channel", "team_", "to_team", "readers"),
    [
        ("plenary", "union", None, {"union", "sahelia", "coastland", "projector", "observer"}),
        ("announcement", None, None, {"union", "sahelia", "coastland", "projector", "observer"}),
        ("team", "union", None, {"union"}),
        ("bilateral", "union", "coastland", {"union", "coastland"}),
        ("whisper", "union", "coastland", set()),
    ],
)
def test_who_reads_a_chat_line(
    channel: str, team_: str | None, to_team: str | None, readers: set[str]
) -> None:
    audiences = {t: Audience.of_team(t) for t in TEAMS} | {
        "projector": Audience.projector(),
        "observer": Audience(kind="observer"),
    }
    assert may_read_chat(Audience.facilitator(), channel, team_, to_team)
    got = {k for k, a in audiences.items() if may_read_chat(a, channel, team_, to_team)}
    assert got == readers


def test_a_bots_strategy_is_the_facilitators_until_the_end(game: GameState) -> None:
    bots = {"coastland": "hardliner"}
    assert bots_seen(game, Audience.facilitator(), bots) == bots
    for audience in (Audience.of_team("union"), Audience.projector(), Audience(kind="observer")):
        assert bots_seen(game, audience, bots) == {"coastland": None}, "that it is a bot: yes"
        assert bots_seen(_ended(game), audience, bots) == bots


def test_only_the_facilitator_and_the_projector_see_the_join_code() -> None:
    assert sees_join_code(Audience.facilitator()) and sees_join_code(Audience.projector())
    assert not sees_join_code(Audience.of_team("union"))
    assert not sees_join_code(Audience(kind="observer"))
