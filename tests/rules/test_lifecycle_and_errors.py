"""Proposal lifecycle (GAME.md §4) and every kind of illegal action (typed, readable, inert)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError

from game_rules import actions as A
from game_rules import records
from game_rules.actions import Actor
from game_rules.errors import (
    InvalidTerm,
    NotAllowed,
    NotAParty,
    OverBudget,
    RuleError,
    StaleVersion,
    UnknownObject,
    WrongPhase,
)
from game_rules.rules import apply, can, perform, verify
from game_rules.state import GameState, Phase
from game_rules.views import Audience, view
from tests.rules.helpers import (
    SYSTEM,
    F,
    advance_to,
    policies_of,
    resolve,
    scenario,
    sign,
    start,
    team,
    term,
)

VISA = term("visa_facilitation", "union", "sahelia", 1)
READMIT = term("readmission", "sahelia", "union", 70)


def negotiating() -> GameState:
    return advance_to(start(), Phase.negotiation)


def test_propose_counter_accept_signs() -> None:
    st = negotiating()
    perform(
        st,
        team("union"),
        A.Propose(parties=["union", "sahelia"], terms=[VISA, READMIT], message="hi"),
    )
    p1 = st.proposals["p1"]
    assert p1.status.value == "proposed" and p1.accepted_by == ["union"]
    better = term("visa_facilitation", "union", "sahelia", 2)
    perform(st, team("sahelia"), A.Counter(proposal_id="p1", terms=[better, READMIT]))
    p1, p2 = st.proposals["p1"], st.proposals["p2"]
    assert p1.status.value == "countered" and p1.superseded_by == "p2"
    assert p2.supersedes == "p1" and p2.proposer == "sahelia" and p2.accepted_by == ["sahelia"]
    assert st.agreements == {}
    perform(st, team("union"), A.Accept(proposal_id="p2"))
    assert p2.status.value == "signed"
    ag = st.agreements[p2.agreement_id or ""]
    assert ag.status.value == "active" and ag.signed_round == 1
    assert sorted(ag.parties) == ["sahelia", "union"]
    assert [(t.type.value, t.amount) for t in ag.terms] == [
        ("visa_facilitation", 2),
        ("readmission", 70),
    ]
    # A signed agreement is public news, naming the agreement and its parties.
    signed = [n for n in st.news if isinstance(n, records.AgreementSigned)]
    assert [(n.agreement_id, sorted(n.parties)) for n in signed] == [(ag.id, ["sahelia", "union"])]
    assert ag.id in [n.get("agreement_id") for n in view(st, Audience.projector())["news"]]


def test_multilateral_proposal_needs_every_party() -> None:
    st = negotiating()
    terms = [
        term("funding", "union", "coastland", 200, earmark="refugee_hosting"),
        term("border_cooperation", "coastland", "union", 50),
        READMIT,
    ]
    perform(st, team("union"), A.Propose(parties=["union", "coastland", "sahelia"], terms=terms))
    perform(st, team("coastland"), A.Accept(proposal_id="p1"))
    assert st.proposals["p1"].status.value == "proposed"
    perform(st, team("sahelia"), A.Accept(proposal_id="p1"))
    assert st.proposals["p1"].status.value == "signed"


def test_countered_proposal_is_stale() -> None:
    st = negotiating()
    perform(st, team("union"), A.Propose(parties=["union", "sahelia"], terms=[VISA, READMIT]))
    perform(st, team("sahelia"), A.Counter(proposal_id="p1", terms=[VISA]))
    before = st.fingerprint()
    for actor, action in [
        (team("sahelia"), A.Accept(proposal_id="p1")),
        (team("union"), A.Reject(proposal_id="p1")),
        (team("union"), A.Counter(proposal_id="p1", terms=[VISA])),
    ]:
        with pytest.raises(StaleVersion, match="p2"):
            perform(st, actor, action)
    assert st.fingerprint() == before


def test_open_proposals_expire_at_end_of_negotiation() -> None:
    st = negotiating()
    perform(st, team("union"), A.Propose(parties=["union", "sahelia"], terms=[VISA]))
    perform(st, F, A.AdvancePhase())
    assert st.proposals["p1"].status.value == "expired"
    assert st.agreements == {}
    with pytest.raises(WrongPhase):
        perform(st, team("sahelia"), A.Accept(proposal_id="p1"))


def test_reject_and_retract_close_a_proposal() -> None:
    st = negotiating()
    perform(st, team("union"), A.Propose(parties=["union", "sahelia"], terms=[VISA]))
    perform(st, team("sahelia"), A.Reject(proposal_id="p1", message="no"))
    assert st.proposals["p1"].status.value == "rejected"
    assert st.proposals["p1"].closed_by == "sahelia"
    perform(st, team("union"), A.Propose(parties=["union", "sahelia"], terms=[VISA]))
    with pytest.raises(NotAllowed, match="retract"):
        perform(st, team("sahelia"), A.Retract(proposal_id="p2"))
    perform(st, team("union"), A.Retract(proposal_id="p2"))
    assert st.proposals["p2"].status.value == "retracted"
    with pytest.raises(WrongPhase, match="no longer open"):
        perform(st, team("sahelia"), A.Accept(proposal_id="p2"))


def test_version_increases_with_every_action_and_apply_copies() -> None:
    st = negotiating()
    v = st.version
    new, done = apply(st, team("union"), A.Propose(parties=["union", "sahelia"], terms=[VISA]))
    assert st.version == v and st.proposals == {}, "apply leaves its input alone"
    assert new.version == v + 1 and "p1" in new.proposals
    assert done == [
        records.ProposalMade(round=1, proposal_id="p1", by="union", parties=("union", "sahelia"))
    ]
    perform(st, team("union"), A.SetReady(expected_version=v))
    assert st.version == v + 1


def test_action_shapes_are_validated() -> None:
    with pytest.raises(ValidationError):
        A.parse_action({"kind": "propose", "parties": ["union"], "terms": []})
    with pytest.raises(ValidationError):
        A.parse_action({"kind": "implement", "compliance": {"t1": 150}, "policies": {}})
    with pytest.raises(ValidationError):
        A.parse_action({"kind": "teleport"})
    action = A.parse_action({"kind": "accept", "proposal_id": "p3"})
    assert isinstance(action, A.Accept)


# --- illegal actions ------------------------------------------------------------------------


def _with_proposal() -> GameState:
    st = negotiating()
    perform(st, team("union"), A.Propose(parties=["union", "sahelia"], terms=[VISA, READMIT]))
    return st


def _with_agreement(phase: Phase = Phase.negotiation) -> GameState:
    st = start()
    sign(st, [VISA, READMIT])
    return advance_to(st, phase)


def _paused() -> GameState:
    st = _with_proposal()
    perform(st, F, A.PauseGame())
    return st


def _ended() -> GameState:
    st = start()
    perform(st, F, A.EndGame())
    return st


def _revealed() -> GameState:
    st = _ended()
    perform(st, F, A.RevealTruth())
    return st


def _coerced() -> GameState:
    st = negotiating()
    perform(st, team("union"), A.Coerce(tool="visa_sanctions", target="sahelia"))
    return st


def _fallen_free() -> GameState:
    return _with_agreement(Phase.implementation)


def _policies(st: GameState, tid: str, **kw: float) -> A.PolicyChoice:
    return policies_of(st, tid, **kw)


Case = tuple[
    str,
    Callable[[], GameState],
    Actor,
    Callable[[GameState], A.Action] | A.Action,
    type[RuleError],
    str,
]

CASES: list[Case] = [
    # wrong phase
    (
        "propose during briefing",
        start,
        team("union"),
        A.Propose(parties=["union", "sahelia"], terms=[VISA]),
        WrongPhase,
        "briefing",
    ),
    (
        "implement during negotiation",
        negotiating,
        team("union"),
        lambda st: A.Implement(policies=_policies(st, "union")),
        WrongPhase,
        "negotiation",
    ),
    (
        "propose during implementation",
        lambda: advance_to(start(), Phase.implementation),
        team("union"),
        A.Propose(parties=["union", "sahelia"], terms=[VISA]),
        WrongPhase,
        "implementation",
    ),
    ("team acts after the end", _ended, team("union"), A.SetReady(), WrongPhase, "ended"),
    ("facilitator advances after the end", _ended, F, A.AdvancePhase(), WrongPhase, "ended"),
    ("truth revealed during play", start, F, A.RevealTruth(), WrongPhase, "after the game"),
    ("truth revealed twice", _revealed, F, A.RevealTruth(), WrongPhase, "already revealed"),
    ("team reveals the truth", _ended, team("union"), A.RevealTruth(), NotAllowed, "facilitator"),
    (
        "advance before start",
        lambda: __import__("game_rules").new_game(scenario(), 1),
        F,
        A.AdvancePhase(),
        WrongPhase,
        "start",
    ),
    ("start twice", start, F, A.StartGame(), WrongPhase, "already"),
    (
        "accept twice",
        _with_proposal,
        team("union"),
        A.Accept(proposal_id="p1"),
        WrongPhase,
        "already accepted",
    ),
    (
        "coerce twice in a round",
        _coerced,
        team("union"),
        A.Coerce(tool="visa_sanctions", target="sahelia"),
        WrongPhase,
        "already",
    ),
    (
        "ratify what needs no ratification",
        _with_agreement,
        team("union"),
        A.Ratify(agreement_id="a1"),
        WrongPhase,
        "ratification",
    ),
    # paused
    (
        "accept while paused",
        _paused,
        team("sahelia"),
        A.Accept(proposal_id="p1"),
        WrongPhase,
        "paused",
    ),
    ("pause twice", _paused, F, A.PauseGame(), WrongPhase, "paused"),
    ("resume a running game", negotiating, F, A.ResumeGame(), WrongPhase, "not paused"),
    # not a party
    (
        "accept another pair's proposal",
        _with_proposal,
        team("coastland"),
        A.Accept(proposal_id="p1"),
        UnknownObject,
        "p1",
    ),
    (
        "propose for others",
        negotiating,
        team("coastland"),
        A.Propose(parties=["union", "sahelia"], terms=[VISA]),
        NotAParty,
        "party",
    ),
    (
        "withdraw from another pair's agreement",
        _with_agreement,
        team("coastland"),
        A.Withdraw(agreement_id="a1"),
        NotAParty,
        "a1",
    ),
    (
        "honour another team's commitment",
        _fallen_free,
        team("union"),
        lambda st: A.Implement(compliance={"t2": 50}, policies=_policies(st, "union")),
        NotAParty,
        "t2",
    ),
    (
        "retract a partner's proposal",
        _with_proposal,
        team("sahelia"),
        A.Retract(proposal_id="p1"),
        NotAllowed,
        "retract",
    ),
    # over budget
    (
        "spend more than the treasury",
        lambda: advance_to(start(), Phase.implementation),
        team("sahelia"),
        lambda st: A.Implement(policies=_policies(st, "sahelia", development_spending=900000)),
        OverBudget,
        "treasury",
    ),
    (
        "enforce beyond means",
        lambda: advance_to(start(), Phase.implementation),
        team("sahelia"),
        lambda st: A.Implement(
            policies=_policies(st, "sahelia", border_enforcement=100, return_operations=5000)
        ),
        OverBudget,
        "€",
    ),
    # unknown objects and invalid terms
    (
        "honour an unknown commitment",
        _fallen_free,
        team("sahelia"),
        lambda st: A.Implement(compliance={"t99": 50}, policies=_policies(st, "sahelia")),
        UnknownObject,
        "t99",
    ),
    (
        "accept an unknown proposal",
        negotiating,
        team("union"),
        A.Accept(proposal_id="p42"),
        UnknownObject,
        "p42",
    ),
    (
        "withdraw an unknown agreement",
        negotiating,
        team("union"),
        A.Withdraw(agreement_id="a9"),
        UnknownObject,
        "a9",
    ),
    (
        "inject an unknown event",
        start,
        F,
        A.InjectEvent(event_id="meteor"),
        UnknownObject,
        "meteor",
    ),
    (
        "propose to an unknown team",
        negotiating,
        team("union"),
        A.Propose(
            parties=["union", "atlantis"], terms=[term("visa_facilitation", "union", "atlantis", 1)]
        ),
        UnknownObject,
        "atlantis",
    ),
    (
        "origin gives visas",
        negotiating,
        team("sahelia"),
        A.Propose(
            parties=["union", "sahelia"], terms=[term("visa_facilitation", "sahelia", "union", 1)]
        ),
        InvalidTerm,
        "only a destination",
    ),
    (
        "visa level out of range",
        negotiating,
        team("union"),
        A.Propose(
            parties=["union", "sahelia"], terms=[term("visa_facilitation", "union", "sahelia", 7)]
        ),
        InvalidTerm,
        "visa level",
    ),
    (
        "percentage above 100",
        negotiating,
        team("union"),
        A.Propose(
            parties=["union", "sahelia"], terms=[term("readmission", "sahelia", "union", 140)]
        ),
        InvalidTerm,
        "percentage",
    ),
    (
        "funding without earmark",
        negotiating,
        team("union"),
        A.Propose(parties=["union", "sahelia"], terms=[term("funding", "union", "sahelia", 100)]),
        InvalidTerm,
        "earmark",
    ),
    (
        "term with a non-party",
        negotiating,
        team("union"),
        A.Propose(
            parties=["union", "sahelia"], terms=[term("trade_access", "union", "coastland", 50)]
        ),
        InvalidTerm,
        "not a party",
    ),
    (
        "a party that gets nothing",
        negotiating,
        team("union"),
        A.Propose(parties=["union", "sahelia", "coastland"], terms=[VISA]),
        InvalidTerm,
        "nothing",
    ),
    (
        "condition on a missing term",
        negotiating,
        team("union"),
        A.Propose(
            parties=["union", "sahelia"],
            terms=[VISA, READMIT],
            conditions=[A.ConditionSpec(term=0, requires=5, threshold=50)],
        ),
        InvalidTerm,
        "term 6",
    ),
    (
        "condition on itself",
        negotiating,
        team("union"),
        A.Propose(
            parties=["union", "sahelia"],
            terms=[VISA, READMIT],
            conditions=[A.ConditionSpec(term=1, requires=1, threshold=50)],
        ),
        InvalidTerm,
        "itself",
    ),
    (
        "duplicate term",
        negotiating,
        team("union"),
        A.Propose(
            parties=["union", "sahelia"],
            terms=[VISA, term("visa_facilitation", "union", "sahelia", 2)],
        ),
        InvalidTerm,
        "merge",
    ),
    (
        "transit readmission without third_country",
        negotiating,
        team("coastland"),
        A.Propose(
            parties=["union", "coastland"], terms=[term("readmission", "coastland", "union", 50)]
        ),
        InvalidTerm,
        "third_country",
    ),
    (
        "coerce a team the tool cannot target",
        negotiating,
        team("union"),
        A.Coerce(tool="aid_cuts", target="union"),
        UnknownObject,
        "another team",
    ),
    (
        "coerce without the tool",
        negotiating,
        team("sahelia"),
        A.Coerce(tool="visa_sanctions", target="coastland"),
        NotAllowed,
        "visa sanctions",
    ),
    (
        "gate-opening against an origin",
        negotiating,
        team("coastland"),
        A.Coerce(tool="gate_opening", target="sahelia"),
        InvalidTerm,
        "origin",
    ),
    (
        "reject another pair's proposal",
        _with_proposal,
        team("coastland"),
        A.Reject(proposal_id="p1"),
        UnknownObject,
        "p1",
    ),
    (
        "counter with an invalid term",
        _with_proposal,
        team("sahelia"),
        A.Counter(proposal_id="p1", terms=[term("resettlement", "sahelia", "union", 10)]),
        InvalidTerm,
        "destination",
    ),
    # stale version
    (
        "stale expected version",
        _with_proposal,
        team("sahelia"),
        lambda st: A.Accept(proposal_id="p1", expected_version=st.version - 1),
        StaleVersion,
        "moved on",
    ),
    (
        "stale facilitator advance",
        negotiating,
        F,
        lambda st: A.AdvancePhase(expected_version=st.version + 3),
        StaleVersion,
        "reload",
    ),
    # roles
    (
        "team advances the phase",
        negotiating,
        team("union"),
        A.AdvancePhase(),
        NotAllowed,
        "facilitator",
    ),
    (
        "team injects an event",
        start,
        team("union"),
        A.InjectEvent(event_id="drought"),
        NotAllowed,
        "facilitator",
    ),
    ("team reveals scores", start, team("sahelia"), A.RevealScores(), NotAllowed, "facilitator"),
    ("truth before the end", start, F, A.RevealTruth(), WrongPhase, "after the game has ended"),
    ("team reveals the truth", start, team("sahelia"), A.RevealTruth(), NotAllowed, "facilitator"),
    ("slides during play", start, F, A.ShowSlide(slide=1), WrongPhase, "after the game has ended"),
    ("team shows a slide", start, team("union"), A.ShowSlide(slide=1), NotAllowed, "facilitator"),
    ("team ends the game", start, team("coastland"), A.EndGame(), NotAllowed, "facilitator"),
    (
        "facilitator proposes",
        negotiating,
        F,
        A.Propose(parties=["union", "sahelia"], terms=[VISA]),
        NotAllowed,
        "team",
    ),
    (
        "system implements",
        lambda: advance_to(start(), Phase.implementation),
        SYSTEM,
        lambda st: A.Implement(policies=_policies(st, "union")),
        NotAllowed,
        "team",
    ),
    (
        "an unknown team acts",
        negotiating,
        team("atlantis"),
        A.SetReady(),
        UnknownObject,
        "atlantis",
    ),
]


@pytest.mark.parametrize(
    ("setup", "actor", "make", "error", "fragment"),
    [pytest.param(*c[1:], id=c[0]) for c in CASES],
)
def test_illegal_action_raises_typed_error_and_changes_nothing(
    setup: Callable[[], GameState],
    actor: Actor,
    make: Any,
    error: type[RuleError],
    fragment: str,
) -> None:
    st = setup()
    action = make(st) if callable(make) else make
    before = st.fingerprint()
    with pytest.raises(error) as info:
        perform(st, actor, action)
    exc = info.value
    assert type(exc) is error, f"expected exactly {error.__name__}, got {type(exc).__name__}"
    message = str(exc)
    assert fragment.lower() in message.lower(), message
    assert exc.message == message and len(message) > 10
    assert not message.startswith(("<", "{", "[")), "a sentence, not a repr"
    assert isinstance(exc.status, int) and exc.code
    assert st.fingerprint() == before
    assert not can(st, actor, action)
    with pytest.raises(error):
        verify(st, actor, action)
    with pytest.raises(error):
        apply(st, actor, action)
    assert st.fingerprint() == before


def test_every_action_kind_has_an_illegal_case() -> None:
    covered = set()
    for _name, setup, _actor, make, _error, _fragment in CASES:
        covered.add((make(setup()) if callable(make) else make).kind)
    union = A.Action.__origin__  # type: ignore[attr-defined]
    every = {cls.model_fields["kind"].default for cls in union.__args__}
    assert every - covered == set()


def test_resume_after_pause_lets_teams_act_again() -> None:
    st = _paused()
    perform(st, F, A.ResumeGame())
    perform(st, team("sahelia"), A.Accept(proposal_id="p1"))
    assert st.proposals["p1"].status.value == "signed"


def test_implement_within_budget_is_accepted_and_recorded() -> None:
    st = _with_agreement(Phase.implementation)
    visa, readmission = [t.id for t in st.agreements["a1"].terms]
    perform(
        st,
        team("sahelia"),
        A.Implement(compliance={readmission: 55}, policies=_policies(st, "sahelia")),
    )
    assert st.teams["sahelia"].decision is not None
    assert st.teams["sahelia"].decision.compliance == {readmission: 55}
    assert st.teams["sahelia"].ready
    resolve(st)
    delivered = {r.term_id: r.true_compliance for r in st.compliance}
    assert delivered == {visa: pytest.approx(100), readmission: pytest.approx(55)}
