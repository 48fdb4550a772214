"""Actions against the state: verify first, then perform. Nothing here does I/O.

`perform(state, actor, action)` changes `state` in place and returns the records of what
happened (`game_rules.records`); it verifies the whole action before touching anything, so
an illegal action raises a `RuleError` and leaves the state exactly as it was. `apply` is
the copying form.
"""

from __future__ import annotations

from collections.abc import Callable

from game_rules import actions as A
from game_rules import records as R
from game_rules.actions import Action, Actor, PolicyChoice, TermSpec, TermType
from game_rules.errors import (
    InvalidTerm,
    NotAllowed,
    NotAParty,
    OverBudget,
    RatificationFailed,
    StaleVersion,
    UnknownObject,
    WrongPhase,
)
from game_rules.model import resolve_round, take_effect
from game_rules.rulebook import (
    COERCION_TARGETS,
    costly,
    decision_cost,
    ratification_cost,
    scaled_policies,
    term_cost,
)
from game_rules.scenario import (
    PERCENT_TERMS,
    TERM_GIVERS,
    TERM_RECEIVERS,
    EventCard,
    Scenario,
    TeamType,
)
from game_rules.state import (
    ActiveEvent,
    Agreement,
    AgreementStatus,
    Coercion,
    Condition,
    Decision,
    GameState,
    Phase,
    Proposal,
    ProposalStatus,
    TeamState,
    Term,
    add_support,
    add_trust,
    happened,
    rng,
)

__all__ = ["apply", "can", "default_decision", "fit_to_budget", "new_game", "perform", "verify"]


# --- creation ---------------------------------------------------------------------------


def new_game(scenario: Scenario, seed: int, *, counterfactual: bool = False) -> GameState:
    """A game in the lobby, every team at its endowment."""
    teams: dict[str, TeamState] = {}
    for t in scenario.teams:
        e = t.endowment
        teams[t.id] = TeamState(
            id=t.id,
            type=t.type.value,
            treasury=e.budget,
            income=e.budget,
            population=e.population,
            development=e.development,
            youth_share=e.youth_share,
            refugees=e.refugees,
            stranded=e.stranded,
            diaspora_legal=e.diaspora * scenario.model.legal_diaspora_share,
            diaspora_irregular=e.diaspora * (1 - scenario.model.legal_diaspora_share),
            return_backlog=e.return_backlog,
            labour_shortage=e.labour_shortage,
            trade_value=e.trade_value,
            conflict=e.conflict,
            support=t.support.initial,
            mandate=list(t.mandate.objectives),
            policies=PolicyChoice(**t.policies.model_dump()),
        )
    trust = {a: {b: scenario.initial_trust for b in teams if b != a} for a in teams}
    state = GameState(
        scenario=scenario, seed=seed, counterfactual=counterfactual, teams=teams, trust=trust
    )
    for dest in teams.values():
        routes = [c for c in scenario.corridors if c.destination == dest.id]
        for c in routes:
            state.backlog[c.id] = dest.return_backlog / len(routes)
    return state


# --- helpers shared by verification, defaults and the model ------------------------------


def default_decision(state: GameState, team_id: str) -> Decision:
    """GAME.md §1: a team without decisions keeps its policies and last round's compliance.

    A commitment it never decided on is honoured at its average of last round (fully if it
    has none); if that is over budget, everything that costs money is scaled down to fit.
    """
    team = state.teams[team_id]
    last = team.last_compliance
    mean_last = sum(last.values()) / len(last) if last else 100.0
    compliance = {
        term.id: last.get(term.id, mean_last)
        for _ag, term in state.live_terms()
        if term.giver == team_id
    }
    decision = Decision(compliance=compliance, policies=team.policies, defaulted=True)
    return fit_to_budget(state, team_id, decision)


def fit_to_budget(state: GameState, team_id: str, decision: Decision) -> Decision:
    treasury = state.teams[team_id].treasury
    cost = decision_cost(state, team_id, decision)
    if cost <= treasury + 1e-9:
        return decision
    scale = max(0.0, treasury / cost) * 0.999
    policies = scaled_policies(decision.policies, scale)
    compliance = {}
    for tid, c in decision.compliance.items():
        _ag, term = state.term(tid)
        compliance[tid] = c * scale if costly(term.type, term_cost(state, term)) else c
    return Decision(compliance=compliance, policies=policies, defaulted=decision.defaulted)


def team_name(state: GameState, team_id: str) -> str:
    return state.scenario.team(team_id).name


# --- verification -----------------------------------------------------------------------

_TEAM_PHASES: dict[str, tuple[Phase, ...]] = {
    "propose": (Phase.negotiation,),
    "counter": (Phase.negotiation,),
    "accept": (Phase.negotiation,),
    "reject": (Phase.negotiation,),
    "retract": (Phase.negotiation,),
    "withdraw": (Phase.briefing, Phase.negotiation, Phase.implementation),
    "ratify": (Phase.briefing, Phase.negotiation, Phase.implementation),
    "set_ready": (Phase.briefing, Phase.negotiation, Phase.implementation, Phase.resolution),
    "implement": (Phase.implementation,),
    "coerce": (Phase.negotiation, Phase.implementation),
}

_GIVER_TYPES = TERM_GIVERS
_RECEIVER_TYPES = TERM_RECEIVERS
_PERCENT_TERMS = PERCENT_TERMS


def _team_type(state: GameState, team_id: str) -> TeamType:
    return TeamType(state.teams[team_id].type)


def _verify_terms(
    state: GameState, parties: list[str], terms: list[TermSpec], conditions: list[A.ConditionSpec]
) -> None:
    seen: set[tuple[str, str, str]] = set()
    involved: set[str] = set()
    for i, t in enumerate(terms, start=1):
        where = f"term {i} ({t.type.value})"
        for who in (t.giver, t.receiver):
            if who not in state.teams:
                raise UnknownObject(f"{where}: there is no team {who!r} in this game")
            if who not in parties:
                raise InvalidTerm(
                    f"{where}: {team_name(state, who)} is not a party to the proposal"
                )
        if t.giver == t.receiver:
            raise InvalidTerm(f"{where}: giver and receiver must be different teams")
        gtype, rtype = _team_type(state, t.giver), _team_type(state, t.receiver)
        if gtype not in _GIVER_TYPES[t.type]:
            allowed = " or ".join(x.value for x in _GIVER_TYPES[t.type])
            raise InvalidTerm(
                f"{where}: {team_name(state, t.giver)} is a {gtype.value} state; "
                f"only a {allowed} can give this"
            )
        if rtype not in _RECEIVER_TYPES[t.type]:
            raise InvalidTerm(
                f"{where}: a {rtype.value} cannot receive {t.type.value.replace('_', ' ')}"
            )
        if t.type is TermType.readmission and gtype is TeamType.transit and not t.third_country:
            raise InvalidTerm(
                f"{where}: a transit state readmits third-country nationals; set third_country"
            )
        if t.type in _PERCENT_TERMS and t.amount > 100:
            raise InvalidTerm(f"{where}: the level is a percentage, 0 to 100 (got {t.amount:g})")
        if t.type is TermType.visa_facilitation and (t.amount not in (1, 2, 3)):
            raise InvalidTerm(
                f"{where}: the visa level must be 1 (facilitated), 2 (multiple-entry) or "
                f"3 (visa-free), got {t.amount:g}"
            )
        if t.type is TermType.funding and t.earmark is None:
            raise InvalidTerm(f"{where}: funding needs an earmark (what the money is for)")
        if t.type is not TermType.funding and t.earmark is not None:
            raise InvalidTerm(f"{where}: only funding carries an earmark")
        if t.skills_training and t.type is not TermType.labour_pathway:
            raise InvalidTerm(f"{where}: skills training belongs to a labour pathway")
        if t.amount <= 0:
            raise InvalidTerm(f"{where}: the amount must be above zero")
        key = (t.type.value, t.giver, t.receiver)
        if key in seen:
            raise InvalidTerm(
                f"{where}: the proposal already has this kind of term from "
                f"{team_name(state, t.giver)} to {team_name(state, t.receiver)}; merge them"
            )
        seen.add(key)
        involved.update((t.giver, t.receiver))
    for p in parties:
        if p not in involved:
            raise InvalidTerm(f"{team_name(state, p)} gives or receives nothing in this proposal")
    for c in conditions:
        if c.term >= len(terms) or c.requires >= len(terms):
            raise InvalidTerm(
                f"a condition refers to term {max(c.term, c.requires) + 1}, "
                f"but the proposal has {len(terms)} terms"
            )
        if c.term == c.requires:
            raise InvalidTerm("a term cannot be conditional on itself")


def _open_proposal(state: GameState, team_id: str, proposal_id: str) -> Proposal:
    prop = state.proposals.get(proposal_id)
    if prop is None or team_id not in prop.parties:
        # A team that is not a party learns nothing, not even that the proposal exists.
        raise UnknownObject(f"there is no proposal {proposal_id} for your team")
    if prop.status is ProposalStatus.countered:
        raise StaleVersion(
            f"proposal {proposal_id} was countered by {prop.superseded_by}: "
            f"answer the newer version"
        )
    if prop.status is not ProposalStatus.proposed:
        raise WrongPhase(f"proposal {proposal_id} is {prop.status.value}, no longer open")
    return prop


def _agreement_of(state: GameState, team_id: str, agreement_id: str) -> Agreement:
    ag = state.agreements.get(agreement_id)
    if ag is None:
        raise UnknownObject(f"there is no agreement {agreement_id}")
    if team_id not in ag.parties:
        raise NotAParty(f"your team is not a party to agreement {agreement_id}")
    return ag


def _require_phase(state: GameState, kind: str, allowed: tuple[Phase, ...]) -> None:
    if state.phase not in allowed:
        names = ", ".join(p.value for p in allowed)
        raise WrongPhase(
            f"cannot {kind.replace('_', ' ')} during {state.phase.value}; possible during {names}"
        )


def verify(state: GameState, actor: Actor, action: Action) -> None:
    """Raise the RuleError that `action` by `actor` would meet now; return if it is legal."""
    if action.expected_version is not None and action.expected_version != state.version:
        raise StaleVersion(
            f"the game has moved on (version {state.version}, you saw {action.expected_version}):"
            f" reload and try again"
        )
    kind = action.kind
    if kind in A.FACILITATOR_ACTIONS:
        if actor.role == "team":
            raise NotAllowed("only the facilitator can do that")
        _verify_facilitator(state, action)
        return
    if actor.role != "team" or actor.team is None:
        raise NotAllowed(f"{kind.replace('_', ' ')} is an action of a team")
    team_id = actor.team
    if team_id not in state.teams:
        raise UnknownObject(f"there is no team {team_id!r} in this game")
    if state.phase is Phase.ended:
        raise WrongPhase("the game has ended")
    if state.paused:
        raise WrongPhase("the facilitator has paused the game")
    _require_phase(state, kind, _TEAM_PHASES[kind])
    _VERIFY_TEAM[kind](state, team_id, action)


def _verify_facilitator(state: GameState, action: Action) -> None:
    kind = action.kind
    if kind == "start_game":
        if state.phase is not Phase.lobby:
            raise WrongPhase("the game has already started")
        return
    if kind == "show_slide":
        if state.phase is not Phase.ended:
            raise WrongPhase("the debrief's slides are shown after the game has ended")
        return
    if kind == "reveal_truth":
        if state.phase is not Phase.ended:
            raise WrongPhase("the truth is revealed in the debrief, after the game has ended")
        if state.truth_revealed:
            raise WrongPhase("the truth is already revealed")
        return
    if state.phase is Phase.ended:
        raise WrongPhase("the game has ended")
    if kind == "pause_game" and state.paused:
        raise WrongPhase("the game is already paused")
    if kind == "resume_game" and not state.paused:
        raise WrongPhase("the game is not paused")
    if kind in ("advance_phase", "inject_event") and state.phase is Phase.lobby:
        raise WrongPhase("start the game first")
    if (
        kind == "inject_event"
        and state.phase is Phase.resolution
        and state.round >= state.scenario.rounds
    ):
        raise WrongPhase("the last round is over: there is no round left for an event to act in")
    if isinstance(action, A.InjectEvent) and not any(
        c.id == action.event_id for c in state.scenario.events.deck
    ):
        ids = ", ".join(c.id for c in state.scenario.events.deck) or "none"
        raise UnknownObject(f"there is no event {action.event_id!r} (the deck has: {ids})")


def _v_propose(state: GameState, team_id: str, action: A.Propose) -> None:
    parties = action.parties
    if len(set(parties)) != len(parties):
        raise InvalidTerm("a team is listed twice among the parties")
    for p in parties:
        if p not in state.teams:
            raise UnknownObject(f"there is no team {p!r} in this game")
    if team_id not in parties:
        raise NotAParty("your team must be a party to its own proposal")
    _verify_terms(state, parties, list(action.terms), list(action.conditions))


def _v_counter(state: GameState, team_id: str, action: A.Counter) -> None:
    prop = _open_proposal(state, team_id, action.proposal_id)
    _verify_terms(state, prop.parties, list(action.terms), list(action.conditions))


def _v_accept(state: GameState, team_id: str, action: A.Accept) -> None:
    prop = _open_proposal(state, team_id, action.proposal_id)
    if team_id in prop.accepted_by:
        raise WrongPhase(f"your team has already accepted proposal {prop.id}")
    _verify_ratification(state, team_id, prop.terms)


def _verify_ratification(
    state: GameState, team_id: str, terms: list[TermSpec] | list[Term]
) -> None:
    team = state.teams[team_id]
    cost = ratification_cost(state, team_id, terms)
    threshold = state.scenario.team(team_id).support.threshold
    if cost and team.support - cost < threshold:
        raise RatificationFailed(
            f"your parliament would not ratify this: support would fall from "
            f"{team.support:.0f} to {team.support - cost:.0f}, under the threshold of "
            f"{threshold:.0f}"
        )


def _v_reject(state: GameState, team_id: str, action: A.Reject) -> None:
    _open_proposal(state, team_id, action.proposal_id)


def _v_retract(state: GameState, team_id: str, action: A.Retract) -> None:
    prop = _open_proposal(state, team_id, action.proposal_id)
    if prop.proposer != team_id:
        raise NotAllowed("only the team that made a proposal can retract it; reject it instead")


def _v_withdraw(state: GameState, team_id: str, action: A.Withdraw) -> None:
    ag = _agreement_of(state, team_id, action.agreement_id)
    if ag.status not in (AgreementStatus.active, AgreementStatus.awaiting_ratification):
        raise WrongPhase(f"agreement {ag.id} is {ag.status.value}; there is nothing to leave")


def _v_ratify(state: GameState, team_id: str, action: A.Ratify) -> None:
    ag = _agreement_of(state, team_id, action.agreement_id)
    if team_id not in ag.awaiting:
        raise WrongPhase(f"agreement {ag.id} does not need your team's ratification")
    _verify_ratification(state, team_id, ag.terms)


def _v_set_ready(state: GameState, team_id: str, action: A.SetReady) -> None:
    return None


def _v_implement(state: GameState, team_id: str, action: A.Implement) -> None:
    for tid in action.compliance:
        try:
            ag, term = state.term(tid)
        except KeyError:
            raise UnknownObject(f"there is no commitment {tid}") from None
        if term.giver != team_id:
            raise NotAParty(f"commitment {tid} is not your team's to honour")
        if ag.status is not AgreementStatus.active or term.rounds_left <= 0:
            raise WrongPhase(f"commitment {tid} is not in force this round")
    decision = _decision_from(state, team_id, action)
    cost = decision_cost(state, team_id, decision)
    treasury = state.teams[team_id].treasury
    if cost > treasury + 1e-6:
        raise OverBudget(
            f"these decisions cost €{cost:,.0f}m but your treasury holds €{treasury:,.0f}m"
        )


def _decision_from(state: GameState, team_id: str, action: A.Implement) -> Decision:
    compliance = {term.id: 100.0 for _ag, term in state.live_terms() if term.giver == team_id}
    compliance.update(action.compliance)
    return Decision(compliance=compliance, policies=action.policies)


def _v_coerce(state: GameState, team_id: str, action: A.Coerce) -> None:
    if action.tool not in state.scenario.team(team_id).coercive_tools:
        raise NotAllowed(f"your team does not have {action.tool.value.replace('_', ' ')}")
    if action.target not in state.teams or action.target == team_id:
        raise UnknownObject(f"{action.target!r} is not another team in this game")
    ttype = _team_type(state, action.target)
    if ttype not in COERCION_TARGETS[action.tool]:
        raise InvalidTerm(f"{action.tool.value.replace('_', ' ')} cannot target a {ttype.value}")
    for c in state.coercions:
        if (c.round, c.by, c.tool, c.target) == (state.round, team_id, action.tool, action.target):
            raise WrongPhase("you have already used that tool on that team this round")


_VERIFY_TEAM: dict[str, Callable[..., None]] = {
    "propose": _v_propose,
    "counter": _v_counter,
    "accept": _v_accept,
    "reject": _v_reject,
    "retract": _v_retract,
    "withdraw": _v_withdraw,
    "ratify": _v_ratify,
    "set_ready": _v_set_ready,
    "implement": _v_implement,
    "coerce": _v_coerce,
}


def can(state: GameState, actor: Actor, action: Action) -> bool:
    try:
        verify(state, actor, action)
    except ValueError:
        return False
    return True


# --- performing -------------------------------------------------------------------------


def perform(state: GameState, actor: Actor, action: Action) -> list[R.Record]:
    """Verify, then apply `action` to `state` in place. Raises RuleError, changing nothing."""
    verify(state, actor, action)
    if action.kind in A.FACILITATOR_ACTIONS:
        records = _FACILITATOR[action.kind](state, action)
    else:
        assert actor.team is not None
        records = _PERFORM_TEAM[action.kind](state, actor.team, action)
    state.version += 1
    return records


def apply(state: GameState, actor: Actor, action: Action) -> tuple[GameState, list[R.Record]]:
    """The pure form: a new state and the records; `state` itself is not touched."""
    new = state.model_copy(deep=True)
    records = perform(new, actor, action)
    return new, records


def _p_propose(state: GameState, team_id: str, action: A.Propose) -> list[R.Record]:
    prop = Proposal(
        id=state.next_id("p"),
        round=state.round,
        parties=list(action.parties),
        proposer=team_id,
        terms=list(action.terms),
        conditions=list(action.conditions),
        message=action.message,
        accepted_by=[team_id],
    )
    state.proposals[prop.id] = prop
    return happened(
        state,
        R.ProposalMade(
            round=state.round, proposal_id=prop.id, by=team_id, parties=tuple(prop.parties)
        ),
    )


def _p_counter(state: GameState, team_id: str, action: A.Counter) -> list[R.Record]:
    old = state.proposals[action.proposal_id]
    new = Proposal(
        id=state.next_id("p"),
        round=state.round,
        parties=list(old.parties),
        proposer=team_id,
        terms=list(action.terms),
        conditions=list(action.conditions),
        message=action.message,
        accepted_by=[team_id],
        supersedes=old.id,
    )
    old.status = ProposalStatus.countered
    old.superseded_by = new.id
    old.closed_by = team_id
    state.proposals[new.id] = new
    return happened(
        state,
        R.ProposalCountered(
            round=state.round,
            proposal_id=new.id,
            countered=old.id,
            by=team_id,
            parties=tuple(new.parties),
        ),
    )


def _p_accept(state: GameState, team_id: str, action: A.Accept) -> list[R.Record]:
    prop = state.proposals[action.proposal_id]
    prop.accepted_by.append(team_id)
    if set(prop.accepted_by) != set(prop.parties):
        return happened(
            state,
            R.ProposalAccepted(
                round=state.round, proposal_id=prop.id, by=team_id, parties=tuple(prop.parties)
            ),
        )
    return _sign(state, prop)


def _sign(state: GameState, prop: Proposal) -> list[R.Record]:
    # Every party accepted; a party whose support has since sunk can no longer ratify.
    for party in prop.parties:
        cost = ratification_cost(state, party, prop.terms)
        threshold = state.scenario.team(party).support.threshold
        if cost and state.teams[party].support - cost < threshold:
            prop.status = ProposalStatus.rejected
            prop.closed_by = party
            return happened(
                state,
                R.RatificationRefused(
                    round=state.round, proposal_id=prop.id, by=party, parties=tuple(prop.parties)
                ),
            )
    ag_id = state.next_id("a")
    term_ids = [state.next_id("t") for _ in prop.terms]
    terms = [
        Term(
            id=tid,
            type=t.type,
            giver=t.giver,
            receiver=t.receiver,
            amount=t.amount,
            duration=t.duration,
            rounds_left=t.duration,
            earmark=t.earmark,
            skills_training=t.skills_training,
            third_country=t.third_country,
        )
        for tid, t in zip(term_ids, prop.terms, strict=True)
    ]
    conditions = [
        Condition(term=term_ids[c.term], requires=term_ids[c.requires], threshold=c.threshold)
        for c in prop.conditions
    ]
    ag = Agreement(
        id=ag_id,
        proposal_id=prop.id,
        parties=list(prop.parties),
        terms=terms,
        conditions=conditions,
        message=prop.message,
        signed_round=state.round,
    )
    state.agreements[ag_id] = ag
    prop.status = ProposalStatus.signed
    prop.agreement_id = ag_id
    for party in prop.parties:
        add_support(state, party, -ratification_cost(state, party, prop.terms))
    # Pressure that got its deal is lifted: a coercer who signs with its target after
    # pressing it this round stops the pressure (returns are readmitted again, the gates
    # close), as a threat is withdrawn once the target gives in. The trust it cost, the
    # target's memory of it and its bill at the coercer's home stay (the model reads them).
    lifted: list[R.Record] = []
    for c in state.coercions:
        if (
            c.round == state.round
            and not c.lifted
            and c.by in prop.parties
            and c.target in prop.parties
        ):
            c.lifted = True
            lifted.append(
                R.PressureLifted(round=state.round, by=c.by, tool=c.tool, target=c.target)
            )
    return happened(
        state,
        R.AgreementSigned(round=state.round, agreement_id=ag_id, parties=tuple(ag.parties)),
        *lifted,
    )


def _p_reject(state: GameState, team_id: str, action: A.Reject) -> list[R.Record]:
    prop = state.proposals[action.proposal_id]
    prop.status = ProposalStatus.rejected
    prop.closed_by = team_id
    return happened(
        state,
        R.ProposalRejected(
            round=state.round, proposal_id=prop.id, by=team_id, parties=tuple(prop.parties)
        ),
    )


def _p_retract(state: GameState, team_id: str, action: A.Retract) -> list[R.Record]:
    prop = state.proposals[action.proposal_id]
    prop.status = ProposalStatus.retracted
    prop.closed_by = team_id
    return happened(
        state,
        R.ProposalRetracted(
            round=state.round, proposal_id=prop.id, by=team_id, parties=tuple(prop.parties)
        ),
    )


def _p_withdraw(state: GameState, team_id: str, action: A.Withdraw) -> list[R.Record]:
    ag = state.agreements[action.agreement_id]
    ag.status = AgreementStatus.withdrawn
    ag.ended_round = state.round
    cost = state.scenario.model.trust_withdrawal_cost
    for other in ag.parties:
        if other != team_id:
            add_trust(state, other, team_id, -cost)
    return happened(
        state,
        R.AgreementWithdrawn(
            round=state.round, agreement_id=ag.id, by=team_id, parties=tuple(ag.parties)
        ),
    )


def _p_ratify(state: GameState, team_id: str, action: A.Ratify) -> list[R.Record]:
    ag = state.agreements[action.agreement_id]
    ag.awaiting.remove(team_id)
    add_support(state, team_id, -ratification_cost(state, team_id, ag.terms))
    if not ag.awaiting:
        ag.status = AgreementStatus.active
    return happened(
        state,
        R.AgreementRatified(
            round=state.round, agreement_id=ag.id, by=team_id, parties=tuple(ag.parties)
        ),
    )


def _p_set_ready(state: GameState, team_id: str, action: A.SetReady) -> list[R.Record]:
    state.teams[team_id].ready = action.ready
    done = happened(state, R.TeamReady(round=state.round, team=team_id, ready=action.ready))
    return done + _advance_if_all_ready(state)


def _p_implement(state: GameState, team_id: str, action: A.Implement) -> list[R.Record]:
    team = state.teams[team_id]
    team.decision = _decision_from(state, team_id, action)
    team.ready = True
    done = happened(state, R.TeamDecided(round=state.round, team=team_id))
    return done + _advance_if_all_ready(state)


def _p_coerce(state: GameState, team_id: str, action: A.Coerce) -> list[R.Record]:
    m = state.scenario.model
    state.coercions.append(
        Coercion(round=state.round, tool=action.tool.value, by=team_id, target=action.target)
    )
    state.teams[team_id].coercion_used += 1
    add_trust(state, action.target, team_id, -m.trust_coercion_target_cost)
    for observer in state.teams:
        if observer not in (team_id, action.target):
            add_trust(state, observer, team_id, -m.trust_coercion_observer_cost)
    add_support(state, team_id, m.coercion_support_gain)
    add_support(state, action.target, -m.coercion_support_loss)
    return happened(
        state,
        R.CoercionUsed(round=state.round, by=team_id, tool=action.tool.value, target=action.target),
    )


_PERFORM_TEAM: dict[str, Callable[..., list[R.Record]]] = {
    "propose": _p_propose,
    "counter": _p_counter,
    "accept": _p_accept,
    "reject": _p_reject,
    "retract": _p_retract,
    "withdraw": _p_withdraw,
    "ratify": _p_ratify,
    "set_ready": _p_set_ready,
    "implement": _p_implement,
    "coerce": _p_coerce,
}


# --- facilitator and phases -------------------------------------------------------------


def _f_start(state: GameState, action: Action) -> list[R.Record]:
    return _begin_round(state)


def _f_pause(state: GameState, action: Action) -> list[R.Record]:
    state.paused = True
    return happened(state, R.GamePaused(round=state.round))


def _f_resume(state: GameState, action: Action) -> list[R.Record]:
    state.paused = False
    return happened(state, R.GameResumed(round=state.round))


def _f_advance(state: GameState, action: Action) -> list[R.Record]:
    return _advance(state)


def _f_inject(state: GameState, action: A.InjectEvent) -> list[R.Record]:
    card = next(c for c in state.scenario.events.deck if c.id == action.event_id)
    return _play_card(state, card, injected=True)


def _f_reveal(state: GameState, action: A.RevealScores) -> list[R.Record]:
    state.scores_revealed = action.revealed
    return happened(state, R.ScoresRevealed(round=state.round, revealed=action.revealed))


def _f_reveal_truth(state: GameState, action: A.RevealTruth) -> list[R.Record]:
    state.truth_revealed = True
    return happened(state, R.TruthRevealed(round=state.round))


def _f_show_slide(state: GameState, action: A.ShowSlide) -> list[R.Record]:
    state.debrief_slide = action.slide
    return happened(state, R.SlideShown(round=state.round, slide=action.slide))


def _f_end(state: GameState, action: Action) -> list[R.Record]:
    state.phase = Phase.ended
    state.paused = False
    return happened(state, R.GameEnded(round=state.round, by_facilitator=True))


_FACILITATOR: dict[str, Callable[..., list[R.Record]]] = {
    "start_game": _f_start,
    "pause_game": _f_pause,
    "resume_game": _f_resume,
    "advance_phase": _f_advance,
    "inject_event": _f_inject,
    "reveal_scores": _f_reveal,
    "reveal_truth": _f_reveal_truth,
    "show_slide": _f_show_slide,
    "end_game": _f_end,
}


def _advance_if_all_ready(state: GameState) -> list[R.Record]:
    if all(t.ready for t in state.teams.values()):
        return _advance(state)
    return []


def _advance(state: GameState) -> list[R.Record]:
    for t in state.teams.values():
        t.ready = False
    if state.phase is Phase.briefing:
        state.phase = Phase.negotiation
        return happened(
            state, R.PhaseChanged(round=state.round, phase="negotiation", year=state.year)
        )
    if state.phase is Phase.negotiation:
        for prop in state.proposals.values():
            if prop.status is ProposalStatus.proposed:
                prop.status = ProposalStatus.expired
        state.phase = Phase.implementation
        return happened(
            state, R.PhaseChanged(round=state.round, phase="implementation", year=state.year)
        )
    if state.phase is Phase.implementation:
        for tid, team in state.teams.items():
            if team.decision is None:
                team.decision = default_decision(state, tid)
        state.phase = Phase.resolution
        return resolve_round(state)
    if state.phase is Phase.resolution:
        if state.round >= state.scenario.rounds:
            state.phase = Phase.ended
            return happened(state, R.GameEnded(round=state.round, by_facilitator=False))
        return _begin_round(state)
    raise WrongPhase(f"cannot advance from {state.phase.value}")


def _begin_round(state: GameState) -> list[R.Record]:
    state.round += 1
    state.phase = Phase.briefing
    records = happened(state, R.PhaseChanged(round=state.round, phase="briefing", year=state.year))
    for team in state.teams.values():
        team.treasury += team.income
    deck = state.scenario.events.deck
    for card in deck:
        if card.scheduled_round == state.round:
            records += _play_card(state, card, injected=False)
    drawable = [c for c in deck if c.scheduled_round is None and c.weight > 0]
    r = rng(state, "events", state.round)
    draws = state.scenario.events.draws_per_round
    n = int(draws) + (1 if r.random() < draws - int(draws) else 0)
    for _ in range(n):
        if not drawable:
            break
        card = r.choices(drawable, weights=[c.weight for c in drawable])[0]
        records += _play_card(state, card, injected=False)
    return records


def _play_card(state: GameState, card: EventCard, *, injected: bool) -> list[R.Record]:
    ev = ActiveEvent(
        card_id=card.id,
        title=card.title,
        news=card.news,
        effects=list(card.effects),
        rounds_left=card.duration,
        # Injected while results are on screen, it acts in (and is recorded with) the next round.
        round_drawn=state.round + 1 if state.phase is Phase.resolution else state.round,
        injected=injected,
        early=injected and state.phase is Phase.resolution,
    )
    state.events.append(ev)
    take_effect(state, ev)
    return happened(
        state,
        R.EventPlayed(
            round=state.round, card_id=card.id, title=ev.title, text=ev.news, injected=injected
        ),
    )
