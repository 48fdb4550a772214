"""Property tests: random sequences of legal and illegal actions, and of bots' actions.

Invariants checked after every action: illegal actions raise a RuleError and change
nothing (and `can` agrees with `perform`); stocks, treasuries and populations never go
negative; trust and support stay within 0–100; every corridor conserves people each round
(potential = stayed + legal + blocked + died + arrived). The same seed and actions give the
same fingerprint.
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from game_rules import actions as A
from game_rules.actions import Actor, Earmark, TermType
from game_rules.bots import Bot, public_rules, strategy
from game_rules.errors import RuleError
from game_rules.rules import can, new_game, perform
from game_rules.scenario import CoerciveTool, Scenario
from game_rules.state import GameState
from tests.rules.helpers import scenario
from tests.rules.synthetic import bilateral

MED = scenario(calm=False)
SCENARIOS = {"mediterranean": MED, "bilateral": bilateral()}
TEAMS = ["union", "coastland", "sahelia", "alpina", "bosna", "nobody"]

# RULES_EXAMPLES=2000 for a longer hunt; the default keeps the suite fast.
EXAMPLES = int(os.environ.get("RULES_EXAMPLES", "60"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

team_ids = st.sampled_from(TEAMS)
proposal_ids = st.sampled_from([f"p{i}" for i in range(1, 8)])
agreement_ids = st.sampled_from([f"a{i}" for i in range(1, 5)])
term_ids = st.sampled_from([f"t{i}" for i in range(1, 12)])
amounts = st.sampled_from([0, 1, 2, 3, 25, 60, 80, 100, 150, 400, 5000, 60000, 1_000_000])
percent = st.sampled_from([0.0, 10.0, 45.5, 60.0, 80.0, 100.0])
money = st.sampled_from([0.0, 50.0, 300.0, 2000.0, 50_000.0])

term_specs = st.builds(
    A.TermSpec,
    type=st.sampled_from(list(TermType)),
    giver=team_ids,
    receiver=team_ids,
    amount=amounts,
    duration=st.integers(1, 4),
    earmark=st.none() | st.sampled_from(list(Earmark)),
    skills_training=st.booleans(),
    third_country=st.booleans(),
)
conditions = st.builds(
    A.ConditionSpec,
    term=st.integers(0, 4),
    requires=st.integers(0, 4),
    threshold=percent,
)
policy_choices = st.builds(
    A.PolicyChoice,
    border_enforcement=percent,
    development_spending=money,
    integration_spending=money,
    return_operations=money,
    labour_permits=st.sampled_from([0.0, 20000.0, 500000.0]),
    refugee_work_permits=st.sampled_from([0.0, 20000.0, 500000.0]),
)
versions = st.none() | st.integers(0, 60)

team_actions = st.one_of(
    st.builds(
        A.Propose,
        parties=st.lists(team_ids, min_size=2, max_size=3),
        terms=st.lists(term_specs, min_size=1, max_size=4),
        conditions=st.lists(conditions, max_size=2),
    ),
    st.builds(
        A.Counter,
        proposal_id=proposal_ids,
        terms=st.lists(term_specs, min_size=1, max_size=3),
        conditions=st.lists(conditions, max_size=2),
    ),
    st.builds(A.Accept, proposal_id=proposal_ids, expected_version=versions),
    st.builds(A.Reject, proposal_id=proposal_ids),
    st.builds(A.Retract, proposal_id=proposal_ids),
    st.builds(A.Withdraw, agreement_id=agreement_ids),
    st.builds(A.Ratify, agreement_id=agreement_ids),
    st.builds(A.SetReady, ready=st.booleans()),
    st.builds(
        A.Implement,
        compliance=st.dictionaries(term_ids, percent, max_size=3),
        policies=policy_choices,
    ),
    st.builds(A.Coerce, tool=st.sampled_from(list(CoerciveTool)), target=team_ids),
)
facilitator_actions = st.one_of(
    st.just(A.AdvancePhase()),
    st.just(A.AdvancePhase()),
    st.just(A.AdvancePhase()),
    st.just(A.StartGame()),
    st.just(A.PauseGame()),
    st.just(A.ResumeGame()),
    st.builds(A.InjectEvent, event_id=st.sampled_from(["drought", "shipwreck", "nope"])),
    st.builds(A.RevealScores, revealed=st.booleans()),
    st.builds(A.AdvancePhase, expected_version=versions),
)
actors = st.one_of(
    st.builds(Actor.of_team, team_ids),
    st.just(Actor.facilitator()),
    st.just(Actor.system()),
)


def _t(kind: str, giver: str, receiver: str, amount: float, **kw: Any) -> A.TermSpec:
    return A.TermSpec(type=kind, giver=giver, receiver=receiver, amount=amount, **kw)


# Plausible deals, so that random games do sign, honour, break, suspend and withdraw.
DEALS: dict[str, list[tuple[list[str], list[A.TermSpec], list[A.ConditionSpec]]]] = {
    "mediterranean": [
        (
            ["union", "sahelia"],
            [
                _t("visa_facilitation", "union", "sahelia", 2),
                _t("readmission", "sahelia", "union", 80),
            ],
            [A.ConditionSpec(term=0, requires=1, threshold=60)],
        ),
        (
            ["union", "coastland"],
            [
                _t("funding", "union", "coastland", 400, earmark=Earmark.refugee_hosting),
                _t("border_cooperation", "coastland", "union", 70),
                _t("trade_access", "union", "coastland", 50),
            ],
            [A.ConditionSpec(term=0, requires=1, threshold=50)],
        ),
        (
            ["union", "coastland", "sahelia"],
            [
                _t("labour_pathway", "union", "sahelia", 30000, skills_training=True, duration=1),
                _t("resettlement", "union", "coastland", 20000),
                _t("readmission", "coastland", "union", 30, third_country=True),
                _t("funding", "union", "sahelia", 200, earmark=Earmark.reintegration),
            ],
            [
                A.ConditionSpec(term=1, requires=2, threshold=40),
                A.ConditionSpec(term=2, requires=1, threshold=40),
            ],
        ),
    ],
    "bilateral": [
        (
            ["alpina", "bosna"],
            [
                _t("labour_pathway", "alpina", "bosna", 20000, skills_training=True),
                _t("readmission", "bosna", "alpina", 60),
                _t("investment", "alpina", "bosna", 300),
            ],
            [A.ConditionSpec(term=2, requires=1, threshold=70)],
        ),
    ],
}

# A step: ("act", actor, action); ("bot", team): that team's bot acts on its view;
# ("deal", k): deal k of the scenario is proposed and accepted by every party.
advance = st.tuples(st.just("act"), st.just(Actor.facilitator()), st.just(A.AdvancePhase()))
steps = st.one_of(
    st.tuples(st.just("act"), actors, team_actions),
    st.tuples(st.just("act"), actors, team_actions),
    st.tuples(st.just("act"), actors, facilitator_actions),
    advance,
    advance,
    advance,
    st.tuples(st.just("bot"), team_ids),
    st.tuples(st.just("deal"), st.integers(0, 2)),
)
step_lists = st.lists(steps, min_size=25, max_size=80)
end_game = st.booleans()


def check_invariants(state: GameState, checked_rounds: int) -> None:
    for t in state.teams.values():
        for name in (
            "treasury",
            "income",
            "refugees",
            "stranded",
            "diaspora_legal",
            "diaspora_irregular",
            "return_backlog",
            "labour_shortage",
            "trade_value",
        ):
            assert getattr(t, name) >= 0, f"{t.id}.{name} = {getattr(t, name)}"
        assert t.population > 0 and t.development > 0
        assert 0 <= t.support <= 100, f"{t.id} support {t.support}"
        assert 0 <= t.conflict <= 1
    assert all(v >= 0 for v in state.backlog.values())
    assert all(v >= 0 for v in state.remigrants.values())
    for a, row in state.trust.items():
        for b, v in row.items():
            assert 0 <= v <= 100, f"trust {a}->{b} = {v}"
    for rec in state.history[checked_rounds:]:
        for cid, f in rec.corridors.items():
            assert f.potential == f.stayed + f.legal + f.blocked + f.died + f.arrived, (
                f"round {rec.round} corridor {cid}: {f}"
            )
            assert min(f.model_dump().values()) >= 0, f"round {rec.round} corridor {cid}: {f}"
            assert f.recognised <= f.asylum_claims <= f.arrived
        for tid, s in rec.scores.items():
            assert 0 <= s <= 100, f"round {rec.round} score of {tid}: {s}"
    for r in state.compliance:
        assert 0 <= r.true_compliance <= 100 and 0 <= r.observed_compliance <= 100


def run(sc: Scenario, seed: int, script: list[Any], *, check: bool) -> tuple[GameState, int]:
    """Play `script`; return the state and how many actions the rules refused."""
    state = new_game(sc, seed)
    perform(state, Actor.facilitator(), A.StartGame())
    rules = public_rules(sc)
    names = ["conceder", "hardliner", "reciprocator"]
    bots = {tid: Bot(tid, rules, strategy(names[i % 3]), seed) for i, tid in enumerate(state.teams)}
    refused = 0
    checked = 0
    for step in script:
        if step[0] == "deal":
            deals = DEALS[sc.id]
            parties, terms, conds = deals[step[1] % len(deals)]
            pid = f"p{state.counters.get('p', 0) + 1}"
            pairs = [
                (
                    Actor.of_team(parties[0]),
                    A.Propose(parties=parties, terms=terms, conditions=conds),
                )
            ]
            pairs += [(Actor.of_team(p), A.Accept(proposal_id=pid)) for p in parties[1:]]
        elif step[0] == "bot":
            tid = step[1]
            if tid not in bots or state.phase.value in ("lobby", "ended"):
                continue
            from game_rules.views import Audience, view

            pairs = [
                (Actor.of_team(tid), a)
                for a in bots[tid].act(view(state, Audience.of_team(tid)), 0.5)
            ]
        else:
            pairs = [(step[1], step[2])]
        for actor, action in pairs:
            legal = can(state, actor, action)
            before = state.fingerprint() if check else None
            try:
                perform(state, actor, action)
            except RuleError:
                refused += 1
                assert not legal, f"can() said yes but perform refused {action!r}"
                if check:
                    assert state.fingerprint() == before, f"refused {action!r} changed the state"
                continue
            assert legal, f"can() said no but perform accepted {action!r}"
            if check:
                check_invariants(state, checked)
                checked = len(state.history)
    return state, refused


@SETTINGS
@given(
    which=st.sampled_from(sorted(SCENARIOS)),
    seed=st.integers(0, 2**31),
    script=step_lists,
)
def test_random_actions_keep_invariants_and_illegal_ones_change_nothing(
    which: str, seed: int, script: list[Any]
) -> None:
    state, refused = run(SCENARIOS[which], seed, script, check=True)
    check_invariants(state, 0)
    event(f"rounds resolved: {len(state.history)}")
    event(f"agreements: {min(len(state.agreements), 3)}")
    event(f"refused: {min(refused // 10 * 10, 50)}+")


@SETTINGS
@given(seed=st.integers(0, 2**31), script=step_lists)
def test_same_seed_and_actions_give_identical_fingerprints(seed: int, script: list[Any]) -> None:
    first, refused_1 = run(MED, seed, script, check=False)
    second, refused_2 = run(MED, seed, script, check=False)
    assert first.fingerprint() == second.fingerprint()
    assert refused_1 == refused_2
    assert first.snapshot() == second.snapshot()


@settings(max_examples=max(25, EXAMPLES // 3), deadline=None)
@given(seed=st.integers(0, 2**31))
def test_full_bot_games_keep_invariants(seed: int) -> None:
    """Bot-only games played to the end, with phases advanced by the facilitator."""
    script: list[Any] = []
    for _round in range(MED.rounds):
        for _phase in range(4):
            script += [("bot", t) for t in ("union", "coastland", "sahelia")] * 2
            script.append(("act", Actor.facilitator(), A.AdvancePhase()))
    state, _ = run(MED, seed, script, check=True)
    assert state.phase.value == "ended"
    check_invariants(state, 0)


def test_snapshot_round_trips() -> None:
    script: list[Any] = []
    script += [
        ("bot", "union"),
        ("bot", "sahelia"),
        ("act", Actor.facilitator(), A.AdvancePhase()),
    ] * 9
    state, _ = run(MED, 4, script, check=False)
    again = GameState.from_snapshot(state.snapshot())
    assert again.fingerprint() == state.fingerprint()
