"""Bots: strategies that play any team through the same actions as people.

A bot sees only its team's view (the dict of `game_rules.views.view`) and the public
rules (`public_rules`: the model's constants, corridors, team types; never another
team's mandate). It judges a deal with a linear additive estimate of what each term does
to the indicators in its own mandate (FACTS.md), and guesses a partner's interests from
the partner's type, since mandates are private.

Strategies (FACTS.md, "Bot strategies"):
- `conceder`: time-based concession, target(t) = Pmin + (Pmax − Pmin)(1 − t^(1/e)),
  e > 1; offers what is best for the partner at its target; honours its commitments.
- `hardliner`: Boulware concession (e ≈ 0.2), uses its coercive tools when a partner
  does not deliver or will not deal, honours by the letter rather than the spirit.
- `reciprocator`: moderate concession; tit-for-tat on compliance, forgiving after one
  good round.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from typing import Any

from game_rules.actions import (
    Accept,
    Action,
    Coerce,
    ConditionSpec,
    Counter,
    Earmark,
    Implement,
    PolicyChoice,
    Propose,
    Reject,
    SetReady,
    TermSpec,
    TermType,
)
from game_rules.scenario import CoerciveTool, Model, Scenario, TeamType

# --- the public rules a bot may know ---------------------------------------------------


@dataclass(frozen=True)
class PublicTeam:
    id: str
    type: TeamType
    budget: float
    labour_shortage: float
    trade_value: float
    refugees: float
    coercive_tools: tuple[CoerciveTool, ...]


@dataclass(frozen=True)
class PublicRules:
    """What every player knows: the rules of the model, the map, who is what."""

    model: Model
    teams: dict[str, PublicTeam]
    corridors: tuple[tuple[str, str | None, str, float], ...]  # origin, transit, dest, base


def public_rules(scenario: Scenario) -> PublicRules:
    return PublicRules(
        model=scenario.model,
        teams={
            t.id: PublicTeam(
                id=t.id,
                type=t.type,
                budget=t.endowment.budget,
                labour_shortage=t.endowment.labour_shortage,
                trade_value=t.endowment.trade_value,
                refugees=t.endowment.refugees,
                coercive_tools=tuple(t.coercive_tools),
            )
            for t in scenario.teams
        },
        corridors=tuple(
            (c.origin, c.transit, c.destination, c.base_pressure) for c in scenario.corridors
        ),
    )


# A partner's mandate is private: bots assume the typical interests of its type (GAME.md §3).
TYPE_PRIORS: dict[TeamType, dict[str, float]] = {
    TeamType.destination: {
        "irregular_arrivals": -0.3,
        "return_rate": 0.2,
        "labour_filled": 0.15,
        "spending": -0.15,
        "legal_workers": -0.1,
    },
    TeamType.transit: {
        "funding_received": 0.3,
        "trade_income": 0.2,
        "visa_level": 0.15,
        "hosting_burden": -0.2,
        "border_guard": -0.15,
    },
    TeamType.origin: {
        "legal_migrants": 0.3,
        "visa_level": 0.15,
        "forced_returns": -0.2,
        "youth_opportunity": 0.15,
        "remittances": 0.2,
    },
    TeamType.organisation: {"migrant_deaths": -0.5, "refugee_livelihood_mean": 0.5},
}

# Typical ranges (worst→target spans) that turn an indicator change into a share of a
# mandate, used only for the guess about a partner.
TYPICAL_SPANS: dict[str, float] = {
    "spending": 1700,
    "legal_workers": 140000,
    "irregular_arrivals": 200000,
    "return_rate": 35,
    "labour_filled": 65,
    "funding_received": 1200,
    "trade_income": 800,
    "visa_level": 2,
    "hosting_burden": 1100,
    "border_guard": 70,
    "legal_migrants": 60000,
    "forced_returns": 75000,
    "youth_opportunity": 30,
    "remittances": 2500,
    "migrant_deaths": 7500,
    "refugee_livelihood_mean": 50,
}


# --- deals as bundles of issues ---------------------------------------------------------


@dataclass(frozen=True)
class Issue:
    """One negotiable term between two teams, with the levels a bot considers."""

    type: TermType
    giver: str
    receiver: str
    levels: tuple[float, ...]
    earmark: Earmark | None = None
    skills_training: bool = False
    third_country: bool = False

    def term(self, amount: float, duration: int) -> TermSpec:
        return TermSpec(
            type=self.type,
            giver=self.giver,
            receiver=self.receiver,
            amount=amount,
            duration=duration,
            earmark=self.earmark,
            skills_training=self.skills_training,
            third_country=self.third_country,
        )


def issues_between(rules: PublicRules, a: str, b: str) -> list[Issue]:
    """The deal space of a pair of teams, from their types (GAME.md §4)."""
    ta, tb = rules.teams[a].type, rules.teams[b].type
    if ta is not TeamType.destination and tb is TeamType.destination:
        a, b = b, a
        ta, tb = tb, ta
    if ta is not TeamType.destination:
        return []
    d, other = rules.teams[a], rules.teams[b]
    money = d.budget
    if tb is TeamType.origin:
        permits = max(d.labour_shortage, 20000)
        return [
            Issue(TermType.visa_facilitation, a, b, (0, 1, 2, 3)),
            Issue(
                TermType.labour_pathway,
                a,
                b,
                (0, permits * 0.15, permits * 0.35),
                skills_training=True,
            ),
            Issue(
                TermType.funding,
                a,
                b,
                (0, money * 0.05, money * 0.1),
                earmark=Earmark.reintegration,
            ),
            Issue(TermType.investment, a, b, (0, money * 0.1, money * 0.25)),
            Issue(TermType.readmission, b, a, (0, 50, 75, 95)),
        ]
    if tb is TeamType.transit:
        return [
            Issue(
                TermType.funding,
                a,
                b,
                (0, money * 0.1, money * 0.25),
                earmark=Earmark.refugee_hosting,
            ),
            Issue(TermType.trade_access, a, b, (0, 50, 100)),
            Issue(TermType.visa_facilitation, a, b, (0, 1, 2)),
            Issue(TermType.border_cooperation, b, a, (0, 50, 75)),
            Issue(
                TermType.refugee_work_permits, b, a, (0, other.refugees * 0.1, other.refugees * 0.3)
            ),
        ]
    return []


def _effects(
    rules: PublicRules, issue: Issue, amount: float, who: str, stats: dict[str, float]
) -> dict[str, float]:
    """Rough change of the indicators `who` cares about if `issue` is delivered at `amount`.

    `stats` holds public figures of the last round (potential migrants, arrivals, backlog).
    """
    m = rules.model
    eff: dict[str, float] = {}
    t = issue.type
    trust_eff = m.trust_effect_floor + (1 - m.trust_effect_floor) * 0.5
    pot = stats.get("potential", 1e6)
    attempts = stats.get("attempts", 250000)
    ordered = stats.get("ordered", 400000)
    is_giver, is_receiver = who == issue.giver, who == issue.receiver
    if t is TermType.visa_facilitation:
        lo = min(int(amount), 3)
        mobility = m.visa_mobility[lo]
        if is_receiver:
            eff["visa_level"] = amount
            eff["legal_migrants"] = mobility * pot
        if is_giver:
            eff["labour_filled_people"] = mobility * pot
            eff["legal_workers"] = mobility * pot
            eff["support"] = -m.visa_support_cost * amount
            eff["irregular_arrivals"] = -mobility * pot * m.irregular_propensity * 0.5
    elif t is TermType.labour_pathway:
        legal = amount * m.trained_match_rate * trust_eff
        if is_receiver:
            eff["legal_migrants"] = legal
            eff["remittances"] = legal / 1000 * m.remittance_legal
        if is_giver:
            eff["labour_filled_people"] = legal
            eff["legal_workers"] = legal
            eff["spending"] = amount / 1000 * m.training_cost_per_permit
    elif t is TermType.readmission:
        extra = ordered * max(0.0, amount / 100 - m.base_readmission) * trust_eff
        if is_receiver:
            eff["return_rate"] = 100 * extra / max(ordered, 1)
        if is_giver:
            eff["forced_returns"] = extra * 0.6
    elif t is TermType.funding:
        if is_giver:
            eff["spending"] = amount
        if is_receiver:
            eff["funding_received"] = amount
            if issue.earmark is Earmark.reintegration:
                eff["forced_returns"] = (
                    -min(1.0, amount * 1000 / (m.reintegration_cost * ordered * 0.5)) * 30000
                )
            if issue.earmark is Earmark.refugee_hosting:
                eff["hosting_burden"] = -amount
        if issue.earmark is Earmark.reintegration and is_giver:
            eff["return_rate"] = (
                m.reintegration_boost
                * min(1.0, amount * 1000 / (m.reintegration_cost * ordered * 0.5))
                * 100
                * trust_eff
            )
    elif t is TermType.investment:
        if is_giver:
            eff["spending"] = amount * m.investment_budget_share
        if is_receiver:
            eff["youth_opportunity"] = 100 * m.opportunity_per_investment * amount / 1000
    elif t is TermType.trade_access:
        if is_receiver:
            eff["trade_income"] = amount / 100 * rules.teams[who].trade_value
        if is_giver:
            eff["support"] = -m.trade_support_cost * amount / 100
    elif t is TermType.border_cooperation:
        if is_giver:
            eff["border_guard"] = amount
            eff["spending"] = max(0.0, amount - 30) * m.enforcement_cost
        if is_receiver:
            eff["irregular_arrivals"] = -attempts * m.block_efficiency * max(0.0, amount - 30) / 100
            eff["migrant_deaths"] = attempts * 0.003 * amount / 100
    elif t is TermType.refugee_work_permits:
        if is_giver:
            refugees = max(rules.teams[who].refugees, 1)
            eff["hosting_burden"] = -(
                refugees
                / 1000
                * m.hosting_cost
                * m.work_permit_relief
                * min(1.0, amount / refugees)
            )
        if is_receiver:
            eff["irregular_arrivals"] = -amount * m.onward_rate
    return eff


@dataclass
class Mind:
    """How one team values indicator changes: score points a round per unit of each.

    From its own mandate, plus what its public's reaction does to the support term of the
    mandate (the two-level game); or, for a partner, a prior for the partner's type.
    """

    per_unit: dict[str, float]

    @staticmethod
    def from_view(me: dict[str, Any], budget: float) -> Mind:
        per_unit: dict[str, float] = {}
        for o in me["mandate"]:
            per_unit[o["indicator"]] = per_unit.get(o["indicator"], 0.0) + _slope(o)
        support_value = per_unit.get("support", 0.0) * me.get("support_responsiveness", 0.3)
        for d in me.get("support_drivers", []):
            per_unit[d["indicator"]] = per_unit.get(d["indicator"], 0.0) + support_value * _slope(d)
        per_unit.setdefault("spending", -10.0 / max(budget, 50.0))
        return Mind(per_unit=per_unit)

    @staticmethod
    def from_prior(team: PublicTeam) -> Mind:
        per_unit = {ind: 100 * w / TYPICAL_SPANS[ind] for ind, w in TYPE_PRIORS[team.type].items()}
        per_unit.setdefault("spending", -10.0 / max(team.budget, 50.0))
        return Mind(per_unit=per_unit)

    def value(self, effects: dict[str, float], shortage: float) -> float:
        total = 0.0
        for ind, delta in effects.items():
            if ind == "labour_filled_people":
                if shortage > 0:
                    total += self.per_unit.get("labour_filled", 0.0) * 100 * delta / shortage
            else:
                total += self.per_unit.get(ind, 0.0) * delta
        return total


def _slope(objective: dict[str, Any]) -> float:
    """Score points per unit of the indicator (negative where lower is better)."""
    return 100 * objective["weight"] / (objective["target"] - objective["worst"])


# --- strategies -------------------------------------------------------------------------


@dataclass
class Strategy:
    """A bot's parameters. `concession` is FACTS.md's e; `spirit` its honouring level."""

    name: str
    concession: float
    spirit: float
    coercive: bool = False
    reciprocal: bool = False
    duration: int = 3

    def with_noise(self, r: random.Random) -> Strategy:
        """Randomised parameters for balance runs: no strategy is one fixed point."""
        return Strategy(
            name=self.name,
            concession=self.concession * r.uniform(0.7, 1.4),
            spirit=min(100.0, self.spirit * r.uniform(0.9, 1.1)),
            coercive=self.coercive,
            reciprocal=self.reciprocal,
            duration=self.duration,
        )


STRATEGIES: dict[str, Strategy] = {
    "conceder": Strategy("conceder", concession=2.0, spirit=100.0),
    "hardliner": Strategy("hardliner", concession=0.2, spirit=70.0, coercive=True),
    "reciprocator": Strategy("reciprocator", concession=1.0, spirit=100.0, reciprocal=True),
}


def strategy(name: str) -> Strategy:
    try:
        return STRATEGIES[name]
    except KeyError:
        raise ValueError(f"unknown strategy {name!r}; choose from {sorted(STRATEGIES)}") from None


@dataclass
class _Space:
    partner: str
    issues: list[Issue]
    packages: list[tuple[int, ...]]
    mine: list[float]
    theirs: list[float]
    mine_by_issue: list[list[float]]


@dataclass
class Bot:
    """One team played by a strategy. Call `act(view, t)` whenever it may act."""

    team: str
    rules: PublicRules
    strategy: Strategy
    seed: int
    _spaces: dict[str, _Space] = field(default_factory=dict)
    _proposed_round: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._rng = random.Random(f"bot:{self.seed}:{self.team}")

    # The three moments a bot acts in.
    def act(self, view: dict[str, Any], t: float) -> list[Action]:
        """Actions for now; `t` in [0, 1] is the share of the phase that has passed."""
        phase = view["phase"]
        if phase == "negotiation":
            return self._negotiate(view, t)
        if phase == "implementation":
            me = view["me"]
            if me["decision"] is None:
                return [self._implement(view)]
            return []
        if phase in ("briefing", "resolution"):
            mine = next(x for x in view["teams"] if x["id"] == self.team)
            return [] if mine["ready"] else [SetReady(ready=True)]
        return []

    def explain(self, action: Action) -> str:
        """A short line a bot says in chat about its offer."""
        if isinstance(action, Propose | Counter):
            kinds = ", ".join(sorted({t.type.value.replace("_", " ") for t in action.terms}))
            return f"We offer a package on {kinds}; we think it serves both sides."
        if isinstance(action, Accept):
            return "This works for us. Agreed."
        if isinstance(action, Reject):
            return "This does not meet our minimum. We remain open to talk."
        return ""

    # --- negotiation --------------------------------------------------------------------

    def _space(self, view: dict[str, Any], partner: str) -> _Space | None:
        key = f"{partner}:{view['round']}"
        if key in self._spaces:
            return self._spaces[key]
        issues = issues_between(self.rules, self.team, partner)
        if not issues:
            return None
        stats = _public_stats(view, self.team, partner, self.rules)
        me = view["me"]
        my_mind = Mind.from_view(me, self.rules.teams[self.team].budget)
        their_mind = Mind.from_prior(self.rules.teams[partner])
        shortage_me = self.rules.teams[self.team].labour_shortage
        shortage_them = self.rules.teams[partner].labour_shortage
        mine_tab = [
            [
                my_mind.value(_effects(self.rules, iss, lvl, self.team, stats), shortage_me)
                for lvl in iss.levels
            ]
            for iss in issues
        ]
        their_tab = [
            [
                their_mind.value(_effects(self.rules, iss, lvl, partner, stats), shortage_them)
                for lvl in iss.levels
            ]
            for iss in issues
        ]
        packages = list(itertools.product(*(range(len(i.levels)) for i in issues)))
        # Sums in itertools.product order, built row by row: far cheaper than summing
        # each package (this runs for every bot, partner and round).
        mine_sums, their_sums = [0.0], [0.0]
        for mrow, trow in zip(mine_tab, their_tab, strict=True):
            mine_sums = [s + v for s in mine_sums for v in mrow]
            their_sums = [s + v for s in their_sums for v in trow]
        # Package 0 gives nothing at all: it is no deal, not an offer.
        space = _Space(partner, issues, packages[1:], mine_sums[1:], their_sums[1:], mine_tab)
        self._spaces[key] = space
        return space

    def _target(self, space: _Space, t: float) -> float:
        best = max(space.mine)
        floor = max(0.0, min(space.mine))  # never below the no-deal outcome (gain 0)
        e = max(self.strategy.concession, 0.05)
        return floor + (best - floor) * (1.0 - min(1.0, max(0.0, t)) ** (1.0 / e))

    def _offer(self, space: _Space, target: float) -> int:
        """The package at or above my target that is best for the partner."""
        best_i, best_theirs = -1, float("-inf")
        for i, (mv, tv) in enumerate(zip(space.mine, space.theirs, strict=True)):
            if mv >= target and (
                tv > best_theirs or (tv == best_theirs and mv > space.mine[best_i])
            ):
                best_i, best_theirs = i, tv
        if best_i < 0:
            best_i = max(range(len(space.mine)), key=space.mine.__getitem__)
        return best_i

    def _terms(self, space: _Space, idx: int) -> tuple[list[TermSpec], list[ConditionSpec]]:
        package = space.packages[idx]
        terms: list[TermSpec] = []
        for issue, lvl in zip(space.issues, package, strict=True):
            if lvl:
                terms.append(issue.term(issue.levels[lvl], self.strategy.duration))
        conditions: list[ConditionSpec] = []
        if self.strategy.reciprocal or self.strategy.coercive:
            # More-for-more: what we give is released only while the partner delivers.
            mine = [i for i, t in enumerate(terms) if t.giver == self.team]
            theirs = [i for i, t in enumerate(terms) if t.giver != self.team]
            if theirs:
                threshold = 80.0 if self.strategy.reciprocal else 60.0
                for i in mine:
                    conditions.append(
                        ConditionSpec(term=i, requires=theirs[0], threshold=threshold)
                    )
        return terms, conditions

    def _value_of_terms(
        self, view: dict[str, Any], partner: str, terms: list[dict[str, Any]]
    ) -> float | None:
        space = self._space(view, partner)
        if space is None:
            return None
        total = 0.0
        for term in terms:
            for i, issue in enumerate(space.issues):
                if (
                    issue.type.value == term["type"]
                    and issue.giver == term["giver"]
                    and issue.receiver == term["receiver"]
                ):
                    levels = issue.levels
                    # Interpolate the valuation at the proposed amount.
                    total += _interpolate(levels, space.mine_by_issue[i], term["amount"])
                    break
        return total

    def _negotiate(self, view: dict[str, Any], t: float) -> list[Action]:
        out: list[Action] = []
        open_props = [p for p in view.get("proposals", []) if p["status"] == "proposed"]
        answered: set[str] = set()
        for p in open_props:
            if self.team in p["accepted_by"]:
                continue
            others = [x for x in p["parties"] if x != self.team]
            if len(others) != 1:
                out.append(Reject(proposal_id=p["id"]))
                continue
            partner = others[0]
            answered.add(partner)
            value = self._value_of_terms(view, partner, p["terms"])
            space = self._space(view, partner)
            if value is None or space is None:
                out.append(Reject(proposal_id=p["id"]))
                continue
            target = self._target(space, t)
            if value >= target - 1e-9 and value > 0:
                out.append(Accept(proposal_id=p["id"]))
            else:
                terms, conditions = self._terms(space, self._offer(space, target))
                out.append(Counter(proposal_id=p["id"], terms=terms, conditions=conditions))
        mine_open = {x for p in open_props if p["proposer"] == self.team for x in p["parties"]}
        active_with = {
            x
            for a in view["agreements"]
            if a["status"] == "active" and self.team in a["parties"]
            for x in a["parties"]
        }
        for partner in self.rules.teams:
            if partner == self.team or partner in answered or partner in mine_open:
                continue
            if partner in active_with:
                continue
            space = self._space(view, partner)
            if space is None:
                continue
            terms, conditions = self._terms(space, self._offer(space, self._target(space, t)))
            if terms:
                out.append(
                    Propose(parties=[self.team, partner], terms=terms, conditions=conditions)
                )
        if self.strategy.coercive and t >= 0.5:
            out.extend(self._coerce(view, active_with))
        return out

    def _coerce(self, view: dict[str, Any], partners: set[str]) -> list[Action]:
        """A hardliner uses pressure on those it has no deal with, or who fell short."""
        out: list[Action] = []
        done = {
            (c["tool"], c["target"])
            for c in view["coercions"]
            if c["by"] == self.team and c["round"] == view["round"]
        }
        shortfall = _partner_shortfall(view, self.team)
        for tool in self.rules.teams[self.team].coercive_tools:
            for target, pt in self.rules.teams.items():
                if target == self.team or (tool.value, target) in done:
                    continue
                if not _can_target(tool, pt.type):
                    continue
                if target not in partners or shortfall.get(target, 100.0) < 60.0:
                    out.append(Coerce(tool=tool, target=target))
                    break
        return out

    # --- implementation -----------------------------------------------------------------

    def _implement(self, view: dict[str, Any]) -> Implement:
        me = view["me"]
        compliance: dict[str, float] = {}
        partner_record = _partner_shortfall(view, self.team)
        for c in me["commitments"]:
            level = self.strategy.spirit
            if self.strategy.reciprocal:
                seen = partner_record.get(c["receiver"])
                if seen is not None:
                    level = 100.0 if seen >= 70.0 else max(seen, 30.0)  # tit-for-tat, forgiving
            compliance[c["term_id"]] = level
        p = me["policies"]
        policies = PolicyChoice(**p)
        cost = _cost(me, compliance, policies)
        if cost > me["treasury"]:
            scale = me["treasury"] / cost * 0.99 if cost else 0.0
            policies = PolicyChoice(
                border_enforcement=p["border_enforcement"] * scale,
                development_spending=p["development_spending"] * scale,
                integration_spending=p["integration_spending"] * scale,
                return_operations=p["return_operations"] * scale,
                labour_permits=p["labour_permits"],
                refugee_work_permits=p["refugee_work_permits"],
            )
            compliance = {k: v * scale if _costly(me, k) else v for k, v in compliance.items()}
        return Implement(compliance=compliance, policies=policies)


def _costly(me: dict[str, Any], term_id: str) -> bool:
    for c in me["commitments"]:
        if c["term_id"] == term_id:
            return bool(c["full_cost"] > 0 or c["type"] == "border_cooperation")
    return False


def _cost(me: dict[str, Any], compliance: dict[str, float], policies: PolicyChoice) -> float:
    """The same cost the rules will compute, from what the team's own view shows."""
    enforcement = policies.border_enforcement
    cost = 0.0
    for c in me["commitments"]:
        share = compliance.get(c["term_id"], 100.0) / 100.0
        cost += c["full_cost"] * share
        if c["type"] == "border_cooperation":
            enforcement = max(enforcement, c["amount"] * share)
    cost += min(enforcement, 100.0) * me["costs"]["enforcement_per_point"]
    return cost + (
        policies.development_spending + policies.integration_spending + policies.return_operations
    )


def _can_target(tool: CoerciveTool, ttype: TeamType) -> bool:
    if tool in (CoerciveTool.visa_sanctions, CoerciveTool.aid_cuts):
        return ttype in (TeamType.origin, TeamType.transit)
    return ttype is TeamType.destination


def _partner_shortfall(view: dict[str, Any], me: str) -> dict[str, float]:
    """Each partner's observed compliance last round, toward us (lowest term)."""
    last: dict[str, tuple[int, float]] = {}
    for ag in view["agreements"]:
        for rec in ag["compliance"]:
            if rec["giver"] == me or rec["suspended"]:
                continue
            if me not in ag["parties"]:
                continue
            prev = last.get(rec["giver"])
            if prev is None or rec["round"] > prev[0]:
                last[rec["giver"]] = (rec["round"], rec["observed"])
            elif rec["round"] == prev[0]:
                last[rec["giver"]] = (rec["round"], min(prev[1], rec["observed"]))
    return {k: v[1] for k, v in last.items()}


def _public_stats(view: dict[str, Any], a: str, b: str, rules: PublicRules) -> dict[str, float]:
    stats: dict[str, float] = {}
    if view["history"]:
        last = view["history"][-1]
        for cid, flows in last["corridors"].items():
            del cid
            stats["potential"] = stats.get("potential", 0.0) + flows["potential"]
            stats["attempts"] = stats.get("attempts", 0.0) + (
                flows["arrived"] + flows["blocked"] + flows["died"]
            )
            stats["ordered"] = stats.get("ordered", 0.0) + flows["arrived"] * 2
    else:
        m = rules.model
        for origin, _transit, dest, base in rules.corridors:
            if a in (origin, dest) or b in (origin, dest):
                stats["potential"] = stats.get("potential", 0.0) + base
                stats["attempts"] = stats.get("attempts", 0.0) + base * m.irregular_propensity
                stats["ordered"] = stats.get("ordered", 0.0) + base * m.irregular_propensity
    return stats


def _interpolate(levels: tuple[float, ...], values: list[float], x: float) -> float:
    if x <= levels[0]:
        return values[0]
    for i in range(1, len(levels)):
        if x <= levels[i]:
            lo, hi = levels[i - 1], levels[i]
            f = (x - lo) / (hi - lo) if hi != lo else 1.0
            return values[i - 1] + f * (values[i] - values[i - 1])
    hi, lo = levels[-1], levels[-2]
    slope = (values[-1] - values[-2]) / (hi - lo) if hi != lo else 0.0
    return values[-1] + slope * (x - hi)
