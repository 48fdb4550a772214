"""Bots at every table: they end every phase, never repeat a refused move, keep or leave
agreements as their partners deserve, and re-ratify what a fallen government signed."""

from __future__ import annotations

from typing import Any

import pytest

from game_rules import actions as A
from game_rules.bots import MEMORY, Bot, Strategy, fingerprint, public_rules, strategy
from game_rules.errors import RuleError
from game_rules.library import load_scenario
from game_rules.rules import new_game, perform
from game_rules.simulate import play_bot_game
from game_rules.state import Phase
from game_rules.views import Audience, view
from tests.rules.helpers import (
    F,
    advance_to,
    implement,
    next_round,
    resolve,
    scenario,
    sign,
    start,
    term,
)

RECIPROCATORS = "reciprocator"


def _all(name: str, sc: Any) -> dict[str, Strategy]:
    return {t.id: strategy(name) for t in sc.teams}


def test_the_table_that_never_ended_now_ends_and_nothing_is_refused() -> None:
    # Mediterranean, seed 1142236384, three reciprocators, no timers: a bot used to accept
    # a counter its own parliament could not ratify, for ever, and never said ready.
    sc = load_scenario("mediterranean")
    game = play_bot_game(sc, 1142236384, _all(RECIPROCATORS, sc), turns=None)
    assert game.state.phase is Phase.ended
    assert game.refused == 0
    assert game.state.agreements


def _accept_refused_for_ratification() -> tuple[Any, Bot, str]:
    """Negotiation in which Sahelia's parliament cannot ratify a proposal open to it."""
    st = start(scenario())
    st.teams["sahelia"].support = st.scenario.team("sahelia").support.threshold + 1
    perform(st, F, A.AdvancePhase())
    perform(
        st,
        A.Actor.of_team("union"),
        A.Propose(
            parties=["union", "sahelia"],
            terms=[
                term("visa_facilitation", "union", "sahelia", 3),
                term("labour_pathway", "union", "sahelia", 40000),
                term("readmission", "sahelia", "union", 50),
            ],
        ),
    )
    bot = Bot("sahelia", public_rules(st.scenario), strategy(RECIPROCATORS), 7)
    return st, bot, next(iter(st.proposals))


def test_a_bot_does_not_accept_what_its_parliament_would_refuse() -> None:
    st, bot, pid = _accept_refused_for_ratification()
    moves = bot.act(view(st, Audience.of_team("sahelia")), 1.0)
    assert A.Accept(proposal_id=pid) not in moves
    # It answers all the same: a counter it could ratify, or a rejection.
    answer = next(m for m in moves if getattr(m, "proposal_id", None) == pid)
    assert isinstance(answer, A.Counter | A.Reject)
    for move in moves:
        perform(st, A.Actor.of_team("sahelia"), move)


def test_a_refused_move_is_never_made_again_in_that_phase() -> None:
    st, bot, _pid = _accept_refused_for_ratification()
    seen = view(st, Audience.of_team("sahelia"))
    first = bot.act(seen, 0.0)
    for move in first:
        bot.refused(move, RuleError("refused"))
    again = bot.act(seen, 0.0)
    refused = {fingerprint(m) for m in first}
    assert not refused & {fingerprint(m) for m in again if not isinstance(m, A.SetReady)}
    assert again, "a bot whose every move was refused still says it is ready"


@pytest.mark.parametrize("victim", ["union", "sahelia", "coastland"])
def test_a_bot_whose_every_move_is_refused_still_lets_the_game_end(victim: str) -> None:
    """Drive a table the way the server does (one move at a time, no timers) and refuse
    every move of one team but its readiness: it never repeats a refused move in a phase,
    and the game still ends."""
    sc = load_scenario("mediterranean")
    st = new_game(sc, 5)
    rules = public_rules(sc)
    bots = {tid: Bot(tid, rules, strategy(RECIPROCATORS), 5) for tid in st.teams}
    perform(st, F, A.StartGame())
    refused: dict[tuple[int, str], set[str]] = {}
    for _turn in range(20_000):
        if st.phase is Phase.ended:
            break
        for tid, bot in bots.items():
            moves = bot.act(view(st, Audience.of_team(tid)), 0.5)
            if not moves:
                continue
            move = moves[0]
            key = (st.round, st.phase.value)
            if tid == victim and not isinstance(move, A.SetReady):
                assert fingerprint(move) not in refused.setdefault(key, set())
                refused[key].add(fingerprint(move))
                bot.refused(move, RuleError("refused by the test"))
                continue
            try:
                perform(st, A.Actor.of_team(tid), move)
            except RuleError as exc:
                bot.refused(move, exc)
    assert st.phase is Phase.ended
    assert refused, "the test refused nothing: it proves nothing"


def test_a_bot_leaves_a_partner_who_keeps_breaking_its_word() -> None:
    sc = load_scenario("mediterranean")
    breaker = Strategy("breaker", concession=2.0, spirit=0.0)
    plan = {"union": strategy(RECIPROCATORS), "sahelia": breaker, "coastland": strategy("conceder")}
    game = play_bot_game(sc, 1, plan)
    left = [
        (rnd, a.agreement_id)
        for rnd, _phase, tid, a in game.performed
        if isinstance(a, A.Withdraw) and tid == "union"
    ]
    assert left, "the union kept an agreement Sahelia never honoured"
    rnd, ag_id = left[0]
    ag = game.state.agreements[ag_id]
    assert set(ag.parties) == {"union", "sahelia"}
    # It left after Sahelia broke its word round after round, not at the first shortfall.
    assert rnd > ag.signed_round + strategy(RECIPROCATORS).tolerance - 1
    broken = [c for c in game.state.compliance if c.agreement_id == ag_id and c.giver == "sahelia"]
    assert broken and all(c.observed_compliance < 50 for c in broken)
    # And it signs nothing new with the breaker in the round it left.
    assert not [
        a
        for a in game.state.agreements.values()
        if a.signed_round == rnd and set(a.parties) == {"union", "sahelia"}
    ]


def test_an_honest_partner_is_not_left() -> None:
    sc = load_scenario("mediterranean")
    game = play_bot_game(sc, 1, _all("conceder", sc))
    assert not [a for *_x, a in game.performed if isinstance(a, A.Withdraw)]


def _scandal(d: dict[str, Any]) -> None:
    d["events"]["deck"].append(
        {
            "id": "scandal",
            "title": "Scandal",
            "news": "The government is caught lying.",
            "weight": 0,
            "effects": [{"target": "union", "variable": "support", "change": -45}],
        }
    )


def test_a_new_government_re_ratifies_a_deal_worth_keeping() -> None:
    st = start(scenario(_scandal))
    ag = sign(
        st,
        [
            term("visa_facilitation", "union", "sahelia", 1),
            term("readmission", "sahelia", "union", 80),
        ],
    )
    perform(st, F, A.InjectEvent(event_id="scandal"))
    resolve(st)
    assert st.history[-1].fallen == ["union"]
    next_round(st)
    assert st.agreements[ag].awaiting == ["union"]
    bot = Bot("union", public_rules(st.scenario), strategy(RECIPROCATORS), 7)
    moves = bot.act(view(st, Audience.of_team("union")), 0.0)
    assert A.Ratify(agreement_id=ag) in moves
    for move in moves:
        perform(st, A.Actor.of_team("union"), move)
    assert st.agreements[ag].status.value == "active"


def test_a_bots_view_is_the_teams_view_with_only_recent_compliance() -> None:
    sc = load_scenario("mediterranean")
    state = play_bot_game(sc, 2, _all("conceder", sc)).state
    assert state.round > MEMORY and state.compliance
    full = view(state, Audience.of_team("union"))
    short = view(state, Audience.of_team("union"), compliance=MEMORY)
    assert [a["id"] for a in full["agreements"]] == [a["id"] for a in short["agreements"]]
    for whole, recent in zip(full["agreements"], short["agreements"], strict=True):
        ag = state.agreements[whole["id"]]
        assert {k: v for k, v in whole.items() if k != "compliance"} == {
            k: v for k, v in ag.model_dump(mode="json").items()
        }
        assert recent["compliance"] == [
            c for c in whole["compliance"] if c["round"] > state.round - MEMORY
        ]
    # Bots read no prose: their view skips the walk that finds the translations shown.
    assert state.scenario.translations and "translations" in full["scenario"]
    assert (
        "translations" not in view(state, Audience.of_team("union"), translations=False)["scenario"]
    )
    assert sum(len(a["compliance"]) for a in short["agreements"]) < sum(
        len(a["compliance"]) for a in full["agreements"]
    )


def _types(sc: Any, parties: list[str]) -> set[str]:
    return {sc.team(p).type.value for p in parties}


@pytest.mark.parametrize("turns", [4, None], ids=["timers", "no timers"])
def test_bots_sign_at_every_table_of_the_full_table(turns: int | None) -> None:
    sc = load_scenario("full_table")
    between: set[frozenset[str]] = set()
    offered: set[frozenset[str]] = set()
    three: list[tuple[str, ...]] = []
    for name in ("reciprocator", "conceder"):
        game = play_bot_game(sc, 3, _all(name, sc), turns=turns)
        for a in game.state.agreements.values():
            between |= {frozenset(_types(sc, [t.giver, t.receiver])) for t in a.terms}
        for *_x, move in game.performed:
            if isinstance(move, A.Propose):
                offered |= {frozenset(_types(sc, [t.giver, t.receiver])) for t in move.terms}
                if len(move.parties) > 2:
                    three.append(tuple(move.parties))
    # Not only destination and origin: donors and the host signed; the host and an origin
    # (permits for the origin's refugees, which cost the host at home) are offered as part
    # of a package for three, with a destination paying the host. Since the full table's
    # recalibration (its zones 10 % feasible) the partners refuse those packages, judged
    # at the middle of the concession curve, in these games: offered, not signed.
    assert frozenset({"destination", "transit"}) in between
    assert frozenset({"destination", "origin"}) in between
    assert frozenset({"origin", "transit"}) in offered
    assert three and all(_types(sc, list(p)) == {"destination", "transit", "origin"} for p in three)


def test_bots_offer_only_the_scenarios_deal_levels_and_resettle_where_it_pays() -> None:
    from game_rules.dealspace import issues_between

    sc = load_scenario("mediterranean")
    offered: list[A.TermSpec] = []
    for seed in (1, 2, 3):
        game = play_bot_game(sc, seed, _all("conceder", sc))
        offered += [
            t for *_x, a in game.performed if isinstance(a, A.Propose | A.Counter) for t in a.terms
        ]
    assert offered
    for t in offered:
        levels = next(
            i.levels
            for i in issues_between(sc, t.giver, t.receiver)
            if i.type is t.type and i.giver == t.giver
        )
        assert t.amount in levels, t
    assert any(t.type is A.TermType.resettlement for t in offered)


def test_a_bot_reckons_hosting_money_once_and_permits_worth_something_to_the_origin() -> None:
    """The bots' guess of a term's effects follows the model: money for hosting is funding
    received, not also a lighter hosting burden; a host's work permits for an origin's
    refugees send money home (refugee_remittance)."""
    from game_rules.bots import _effects
    from game_rules.dealspace import issues_between

    sc = load_scenario("full_table")
    rules = public_rules(sc)
    funding = next(
        i
        for i in issues_between(sc, "nordland", "coastland")
        if i.type is A.TermType.funding and i.receiver == "coastland"
    )
    got = _effects(rules, funding, funding.levels[-1], "coastland", {})
    assert got["funding_received"] == funding.levels[-1]
    assert "hosting_burden" not in got
    permits = next(iter(issues_between(sc, "coastland", "riverland")))
    assert permits.type is A.TermType.refugee_work_permits
    to_origin = _effects(rules, permits, permits.levels[-1], "riverland", {})
    assert to_origin.get("remittances", 0.0) > 0.0


# --- what the audit of real bot games counts (issue 8): each behaviour has its test ------


def _sahelia_hardliner_at(st: Any, t: float) -> set[str]:
    bot = Bot("sahelia", public_rules(st.scenario), strategy("hardliner"), 7)
    moves = bot.act(view(st, Audience.of_team("sahelia")), t)
    return {m.target for m in moves if isinstance(m, A.Coerce)}


def test_a_hardliner_presses_who_has_not_signed_with_it_once_talks_have_failed() -> None:
    from game_rules.bots import COERCE_AT

    st = start(scenario())
    perform(st, F, A.AdvancePhase())
    assert st.phase is Phase.negotiation
    assert _sahelia_hardliner_at(st, COERCE_AT) == {"union"}
    # Not while the round's talks still run: a deal signed later in the phase would be
    # broken by the pressure at once (a readmission refusal voids the refuser's term).
    assert COERCE_AT > 2 / 3 and not _sahelia_hardliner_at(st, 2 / 3)


def test_a_hardliner_does_not_press_a_partner_in_force_or_awaiting_ratification() -> None:
    st = start(scenario(_scandal))
    sign(
        st,
        [
            term("visa_facilitation", "union", "sahelia", 1),
            term("readmission", "sahelia", "union", 80),
        ],
    )
    assert _sahelia_hardliner_at(st, 1.0) == set()
    perform(st, F, A.InjectEvent(event_id="scandal"))
    resolve(st)
    next_round(st)
    perform(st, F, A.AdvancePhase())
    assert st.phase is Phase.negotiation
    assert [a.status.value for a in st.agreements.values()] == ["awaiting_ratification"]
    assert _sahelia_hardliner_at(st, 1.0) == set()


def _reciprocator_answer(sahelia_delivers: float) -> float:
    """Union's compliance on its visas, as a reciprocator, the round after Sahelia
    delivered `sahelia_delivers` % of its readmission."""
    st = start(scenario())
    ag = sign(
        st,
        [
            term("visa_facilitation", "union", "sahelia", 1),
            term("readmission", "sahelia", "union", 80),
        ],
    )
    visas, readmission = (t.id for t in st.agreements[ag].terms)

    implement(st, "sahelia", {readmission: sahelia_delivers})
    next_round(st)
    advance_to(st, Phase.implementation)
    bot = Bot("union", public_rules(st.scenario), strategy(RECIPROCATORS), 7)
    (decision,) = [
        m for m in bot.act(view(st, Audience.of_team("union")), 1.0) if isinstance(m, A.Implement)
    ]
    return decision.compliance[visas]


def test_a_reciprocator_answers_a_breach_and_not_a_partial_delivery() -> None:
    # Most of the word kept (seen through the observation's noise): answered in full.
    assert _reciprocator_answer(60.0) == 100.0
    # A breach is answered in kind (never under 30: the door stays open).
    assert _reciprocator_answer(5.0) <= 40.0


def test_a_rejected_proposal_is_not_made_again_in_the_round() -> None:
    """The Agency had nothing to give and asked Coastland for the same permits four
    times a round, every round (3,539 repeated proposals in 100 full-table games)."""
    sc = load_scenario("full_table")
    for name in ("conceder", "reciprocator", "hardliner"):
        game = play_bot_game(sc, 3, _all(name, sc))
        made = [
            (rnd, tid, fingerprint(a))
            for rnd, _ph, tid, a in game.performed
            if isinstance(a, A.Propose)
        ]
        assert made and len(made) == len(set(made)), name


@pytest.mark.parametrize("name", ["mediterranean", "refugee_compact", "bilateral"])
def test_reciprocators_and_hardliners_sign_conditional_terms(name: str) -> None:
    """More-for-more: what a reciprocator or hardliner gives is released only while its
    partner delivers; conceders add no condition of their own."""
    sc = load_scenario(name)
    for strat, wants in (("reciprocator", True), ("hardliner", True), ("conceder", False)):
        game = play_bot_game(sc, 2, _all(strat, sc))
        conditioned = [ag for ag in game.state.agreements.values() if ag.conditions]
        assert bool(conditioned) is wants, strat
        for ag in conditioned:
            terms = {t.id: t for t in ag.terms}
            for c in ag.conditions:
                assert terms[c.term].giver != terms[c.requires].giver


def test_a_new_government_re_ratifies_in_real_bot_games() -> None:
    """Mediterranean, reciprocators: a government that falls under the price of its
    concessions at home is succeeded by one that ratifies what was signed (23 falls and
    34 ratifications in seeds 1-10; seed 1 has some). The bilateral game was the case
    until its recalibration of 3 December left 2 falls in 60 games, neither with an
    agreement to ratify."""
    sc = load_scenario("mediterranean")
    ratified = 0
    for seed in range(1, 4):
        game = play_bot_game(sc, seed, _all(RECIPROCATORS, sc))
        falls = [f for rec in game.state.history for f in rec.fallen]
        ratify = [a for *_x, a in game.performed if isinstance(a, A.Ratify)]
        assert len(ratify) <= len(falls) * len(game.state.agreements)
        ratified += len(ratify)
    assert ratified > 0


def test_with_host_origin_terms_the_refugee_compacts_bots_offer_packages_for_three() -> None:
    """The refugee compact's file declares no term between the host and the origin, so
    its bots can only negotiate in pairs; given one (the full table's permits for the
    origin's refugees), they offer packages for three."""
    sc = load_scenario("refugee_compact")
    assert not any(len(i) for i in [public_rules(sc).deals.get(("hostland", "eastland"), ())])
    data = sc.model_dump(mode="json")
    data["deal_levels"].append(
        {
            "type": "refugee_work_permits",
            "giver": "transit",
            "receiver": "origin",
            "levels": [60000, 200000],
        }
    )
    from game_rules.scenario import Scenario

    wider = Scenario.model_validate(data)
    offered = [
        a
        for name in ("conceder", "reciprocator")
        for *_x, a in play_bot_game(wider, 1, _all(name, wider)).performed
        if isinstance(a, A.Propose) and len(a.parties) == 3
    ]
    assert offered


NEVER_SIGNED = {
    ("full_table", frozenset({"coastland", "agency"})),
    ("full_table", frozenset({"coastland", "sahelia"})),
    ("full_table", frozenset({"coastland", "riverland"})),
    # Since the bots count their own outside option (Riverland's €400m a round of
    # regional investment, given up by its first deal with a destination), Riverland signs
    # with Nordland, whose packages are the larger, and no longer with Westmark (0 of 30
    # conceder and reciprocator games, seeds 1-15; they signed before).
    ("full_table", frozenset({"westmark", "riverland"})),
}
"""Pairs whose deal space the bots explore but never sign: the Agency can only receive
(Coastland's permits), and nobody pays Coastland for permits delivered to it; the host's
permits for an origin are offered only in packages for three, which since the full
table's recalibration (zones of 10 %) its partners refuse at the middle of their curves."""


@pytest.mark.parametrize("name", ["mediterranean", "bilateral", "refugee_compact", "full_table"])
def test_every_pair_with_terms_between_them_is_offered_and_signs(name: str) -> None:
    from game_rules.dealspace import negotiating_pairs

    sc = load_scenario(name)
    offered: set[frozenset[str]] = set()
    signed: set[frozenset[str]] = set()
    for strat in ("conceder", "reciprocator"):
        for seed in (1, 2):
            game = play_bot_game(sc, seed, _all(strat, sc))
            for *_x, a in game.performed:
                if isinstance(a, A.Propose | A.Counter):
                    offered |= {frozenset((t.giver, t.receiver)) for t in a.terms}
            for ag in game.state.agreements.values():
                signed |= {frozenset((t.giver, t.receiver)) for t in ag.terms}
    for pair in map(frozenset, negotiating_pairs(sc)):
        assert pair in offered, sorted(pair)
        assert (pair in signed) is not ((name, pair) in NEVER_SIGNED), sorted(pair)
