"""Shared builders for the rules tests: scenario variants and a small game driver.

Everything goes through the public API (`new_game`, `perform`, actions); the helpers only
save typing. Scenario variants are built from the shipped Mediterranean file so a test
changes exactly the constant it is about.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import Any

from game_rules import actions as A
from game_rules.actions import Actor
from game_rules.library import load_scenario
from game_rules.rules import new_game, perform
from game_rules.scenario import Scenario
from game_rules.state import GameState, Phase

F = Actor.facilitator()
SYSTEM = Actor.system()

_MED = load_scenario("mediterranean").model_dump(mode="json")


def med_dict(*, calm: bool = True) -> dict[str, Any]:
    """A deep copy of the Mediterranean scenario as plain data; `calm` empties the deck."""
    data = copy.deepcopy(_MED)
    if calm:
        data["events"] = {"draws_per_round": 0, "deck": []}
    return data


def team_dict(data: dict[str, Any], team_id: str) -> dict[str, Any]:
    return next(t for t in data["teams"] if t["id"] == team_id)


def scenario(
    change: Callable[[dict[str, Any]], None] | None = None, *, calm: bool = True
) -> Scenario:
    """The Mediterranean scenario with `change` applied to its data (no events by default)."""
    data = med_dict(calm=calm)
    if change is not None:
        change(data)
    return Scenario.model_validate(data)


def team(tid: str) -> Actor:
    return Actor.of_team(tid)


def start(sc: Scenario | None = None, seed: int = 7) -> GameState:
    """A started game: round 1, briefing."""
    st = new_game(sc if sc is not None else scenario(), seed)
    perform(st, F, A.StartGame())
    return st


def advance_to(st: GameState, phase: Phase) -> GameState:
    """Advance (as facilitator) until the game reaches `phase` (at most one round ahead)."""
    for _ in range(6):
        if st.phase is phase:
            return st
        perform(st, F, A.AdvancePhase())
    assert st.phase is phase, f"never reached {phase}"
    return st


def term(kind: str, giver: str, receiver: str, amount: float, **kw: Any) -> A.TermSpec:
    kw.setdefault("duration", 3)
    return A.TermSpec(type=kind, giver=giver, receiver=receiver, amount=amount, **kw)


def sign(
    st: GameState,
    terms: Iterable[A.TermSpec],
    *,
    parties: list[str] | None = None,
    conditions: Iterable[A.ConditionSpec] = (),
) -> str:
    """Propose and have every party accept, in negotiation; return the agreement id."""
    terms = list(terms)
    if parties is None:
        parties = sorted({x for t in terms for x in (t.giver, t.receiver)})
    advance_to(st, Phase.negotiation)
    proposer = parties[0]
    perform(
        st,
        team(proposer),
        A.Propose(parties=parties, terms=terms, conditions=list(conditions)),
    )
    pid = max(st.proposals, key=lambda p: int(p[1:]))
    for p in parties[1:]:
        perform(st, team(p), A.Accept(proposal_id=pid))
    ag_id = st.proposals[pid].agreement_id
    assert ag_id is not None, f"{pid} was not signed: {st.proposals[pid].status}"
    return ag_id


def policies_of(st: GameState, tid: str, **changes: float) -> A.PolicyChoice:
    return A.PolicyChoice(**{**st.teams[tid].policies.model_dump(), **changes})


def implement(
    st: GameState,
    tid: str,
    compliance: dict[str, float] | None = None,
    **policy_changes: float,
) -> None:
    advance_to(st, Phase.implementation)
    perform(
        st,
        team(tid),
        A.Implement(compliance=compliance or {}, policies=policies_of(st, tid, **policy_changes)),
    )


def resolve(st: GameState) -> GameState:
    """End implementation (defaults for teams that did not decide) and compute the round."""
    advance_to(st, Phase.resolution)
    return st


def next_round(st: GameState) -> GameState:
    advance_to(st, Phase.resolution)
    perform(st, F, A.AdvancePhase())
    assert st.phase in (Phase.briefing, Phase.ended)
    return st


def term_ids(st: GameState, ag_id: str) -> list[str]:
    return [t.id for t in st.agreements[ag_id].terms]


def last(st: GameState):
    return st.history[-1]


def attempts(flows: Any) -> int:
    """Irregular attempts on a corridor in a round: everyone who set off irregularly."""
    return flows.blocked + flows.died + flows.arrived
