"""The rulebook: what things cost, who may give, receive or pressure whom, and which
policies a team sets — defined once, read by the rules, the model, the bots, the views and
(through the view document, `cost_formula`) the page's script.

Nothing here changes a state; everything is a plain function of the scenario's numbers
and of what a team decided.
"""

from __future__ import annotations

from collections.abc import Iterable

from game_rules.actions import PolicyChoice, TermSpec, TermType
from game_rules.scenario import (
    PERCENT_TERMS,
    TERM_GIVERS,
    TERM_RECEIVERS,
    CoerciveTool,
    Model,
    TeamType,
)
from game_rules.state import Decision, GameState, TeamState, Term

__all__ = [
    "COERCION_TARGETS",
    "ENFORCEMENT_CAP",
    "ENFORCEMENT_POLICY",
    "ENFORCEMENT_TERM",
    "MORE_FOR_MORE",
    "PERCENT_TERMS",
    "POLITICAL_TERMS",
    "SPENDING_POLICIES",
    "TERM_GIVERS",
    "TERM_RECEIVERS",
    "UNSCALED_POLICIES",
    "cost_formula",
    "costly",
    "decision_cost",
    "effective_enforcement",
    "full_cost",
    "policies_cost",
    "ratification_cost",
    "scaled_policies",
    "term_cost",
]

# --- policies -----------------------------------------------------------------------------

ENFORCEMENT_POLICY = "border_enforcement"
"""A level 0–100; each point costs the scenario's `enforcement_cost` (€m)."""
SPENDING_POLICIES = ("development_spending", "integration_spending", "return_operations")
"""Policies that are €m spent as chosen."""
UNSCALED_POLICIES = ("labour_permits", "refugee_work_permits")
"""Policies that cost no money: a budget too small never scales them down."""
ENFORCEMENT_TERM = TermType.border_cooperation
"""The term whose promised level is a floor under the giver's own enforcement."""
ENFORCEMENT_CAP = 100.0

# --- terms --------------------------------------------------------------------------------

POLITICAL_TERMS = frozenset(
    {
        TermType.readmission,
        TermType.border_cooperation,
        TermType.labour_pathway,
        TermType.visa_facilitation,
        TermType.refugee_work_permits,
        TermType.resettlement,
    }
)
"""Terms a public notices: giving one costs the government political capital to sign."""

MORE_FOR_MORE = frozenset(
    {
        TermType.funding,
        TermType.investment,
        TermType.trade_access,
        TermType.visa_facilitation,
        TermType.labour_pathway,
    }
)
"""The benefits a partnership pays in tranches: money, markets and mobility."""

COERCION_TARGETS: dict[CoerciveTool, tuple[TeamType, ...]] = {
    CoerciveTool.visa_sanctions: (TeamType.origin, TeamType.transit),
    CoerciveTool.aid_cuts: (TeamType.origin, TeamType.transit),
    CoerciveTool.gate_opening: (TeamType.destination,),
    CoerciveTool.readmission_refusal: (TeamType.destination,),
}
"""Which kinds of state each coercive tool can be used against."""


def term_cost(state: GameState, term: Term | TermSpec) -> float:
    """€m a round a term costs its giver when fully honoured."""
    return full_cost(state.scenario.model, term)


def full_cost(m: Model, term: Term | TermSpec) -> float:
    """`term_cost` from the scenario's numbers alone."""
    if term.type is TermType.funding:
        return term.amount
    if term.type is TermType.investment:
        return term.amount * m.investment_budget_share
    if term.type is TermType.resettlement:
        return term.amount / 1000.0 * m.resettlement_cost
    if term.type is TermType.labour_pathway and term.skills_training:
        return term.amount / 1000.0 * m.training_cost_per_permit
    return 0.0


def costly(term_type: TermType | str, full_cost: float) -> bool:
    """Whether honouring a term costs money (itself, or as enforcement it commits to): a
    budget too small scales its compliance down."""
    return full_cost > 0 or term_type == ENFORCEMENT_TERM


# --- the cost of a round's decisions ---------------------------------------------------


def policies_cost(
    policies: PolicyChoice,
    honoured: Iterable[tuple[TermType | str, float, float, float]],
    per_point: float,
) -> float:
    """€m the decisions cost: `honoured` gives, per commitment the team gives, its type,
    amount, full cost and the share honoured (0–1). The formula the rules charge and the
    bots and the page's script (from `cost_formula`) estimate."""
    honoured = list(honoured)
    level = policies.border_enforcement
    for kind, amount, _full, share in honoured:
        if kind == ENFORCEMENT_TERM:
            level = max(level, amount * share)
    cost = (
        min(level, ENFORCEMENT_CAP) * per_point
        + policies.development_spending
        + policies.integration_spending
        + policies.return_operations
    )
    for _kind, _amount, full, share in honoured:
        cost += full * share
    return cost


def _honoured(
    state: GameState, team_id: str, decision: Decision
) -> list[tuple[TermType, float, float, float]]:
    m = state.scenario.model
    return [
        (
            term.type,
            term.amount,
            full_cost(m, term),
            decision.compliance.get(term.id, 100.0) / 100.0,
        )
        for _ag, term in state.live_terms()
        if term.giver == team_id
    ]


def effective_enforcement(state: GameState, team: TeamState, decision: Decision) -> float:
    """A team's border enforcement: its own policy, or what it committed to if that is more."""
    level = decision.policies.border_enforcement
    for kind, amount, _full, share in _honoured(state, team.id, decision):
        if kind == ENFORCEMENT_TERM:
            level = max(level, amount * share)
    return min(level, ENFORCEMENT_CAP)


def decision_cost(state: GameState, team_id: str, decision: Decision) -> float:
    """€m the decisions cost this round: policies plus the commitments as honoured."""
    return policies_cost(
        decision.policies,
        _honoured(state, team_id, decision),
        state.scenario.model.enforcement_cost,
    )


def scaled_policies(p: PolicyChoice, scale: float) -> PolicyChoice:
    """The policies with everything that costs money scaled by `scale`."""
    return PolicyChoice(
        border_enforcement=p.border_enforcement * scale,
        development_spending=p.development_spending * scale,
        integration_spending=p.integration_spending * scale,
        return_operations=p.return_operations * scale,
        labour_permits=p.labour_permits,
        refugee_work_permits=p.refugee_work_permits,
    )


def ratification_cost(state: GameState, team_id: str, terms: list[TermSpec] | list[Term]) -> float:
    """Support a government spends to sign what it gives of `terms`."""
    return state.scenario.model.ratification_cost * sum(
        1 for t in terms if t.giver == team_id and t.type in POLITICAL_TERMS
    )


def cost_formula(m: Model) -> dict[str, object]:
    """The cost formula as data, for the view document: the page's script computes the
    live budget from it instead of keeping its own copy."""
    return {
        "enforcement_per_point": m.enforcement_cost,
        "enforcement_policy": ENFORCEMENT_POLICY,
        "enforcement_term": ENFORCEMENT_TERM.value,
        "enforcement_cap": ENFORCEMENT_CAP,
        "spending_policies": list(SPENDING_POLICIES),
    }
