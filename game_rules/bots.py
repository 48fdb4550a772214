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

from game_rules import dealspace
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
    Ratify,
    Reject,
    SetReady,
    TermSpec,
    TermType,
    Withdraw,
)
from game_rules.dealspace import Issue
from game_rules.rulebook import (
    COERCION_TARGETS,
    POLITICAL_TERMS,
    costly,
    policies_cost,
    scaled_policies,
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
    deals: dict[tuple[str, str], tuple[Issue, ...]] = field(default_factory=dict)
    """The deal language: for each pair of teams (in team order) the terms either can
    give the other at the scenario's declared levels (`dealspace.issues_between`)."""


def public_rules(scenario: Scenario) -> PublicRules:
    ids = [t.id for t in scenario.teams]
    deals = {
        (a, b): tuple(found)
        for a, b in itertools.combinations(ids, 2)
        if (found := dealspace.issues_between(scenario, a, b))
    }
    return PublicRules(
        deals=deals,
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


def issues_between(rules: PublicRules, a: str, b: str) -> list[Issue]:
    """The deal space of a pair of teams: the scenario's declared levels, shared with the
    deal-space analysis (one deal language)."""
    found = rules.deals.get((a, b))
    if found is None:
        found = rules.deals.get((b, a), ())
    return list(found)


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
            eff["support"] = -m.labour_permit_support_cost * amount / 100000
    elif t is TermType.readmission:
        extra = ordered * max(0.0, amount / 100 - m.base_readmission) * trust_eff
        if is_receiver:
            eff["return_rate"] = 100 * extra / max(ordered, 1)
        if is_giver:
            eff["forced_returns"] = extra * 0.6
            eff["support"] = -m.readmission_support_cost * amount / 100
    elif t is TermType.funding:
        if is_giver:
            eff["spending"] = amount
        if is_receiver:
            eff["funding_received"] = amount
            if issue.earmark is Earmark.reintegration:
                # The model reintegrates the covered share of the returns that happen, not
                # of a fixed 30,000: at the no-deal level of cooperation, that is the
                # caseload times the base readmission (the fixed figure made €40m worth
                # 10,700 fewer forced returns to Marenia's bot, three times the model's).
                coverage = min(1.0, amount * 1000 / (m.reintegration_cost * ordered * 0.5))
                eff["forced_returns"] = -coverage * ordered * m.base_readmission
            # Hosting money counts once, as funding received: the burden is what hosting
            # costs the host's society, whoever pays the bill (the model's hosting_burden).
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
        refugees = max(rules.teams[issue.giver].refugees, 1)
        livelihood = min(1.0, amount * m.refugee_permit_takeup / refugees)
        # Livelihoods are a public good: the host, its partners and the organisation
        # that speaks for refugees all see them (the mean over the hosts of the map).
        hosts = sum(1 for x in rules.teams.values() if x.refugees > 0) or 1
        eff["refugee_livelihood_mean"] = 100 * livelihood / hosts
        if is_giver:
            eff["hosting_burden"] = -(
                refugees / 1000 * m.hosting_cost * m.work_permit_relief * livelihood
            )
            eff["support"] = -m.refugee_permit_support_cost * amount / 100000
        if is_receiver and rules.teams[who].type is TeamType.destination:
            eff["irregular_arrivals"] = -amount * m.refugee_permit_takeup * m.onward_rate
        if is_receiver and rules.teams[who].type is TeamType.origin:
            # Its people in work abroad send money home (the model's refugee_remittance).
            eff["remittances"] = amount * m.refugee_permit_takeup / 1000 * m.refugee_remittance
    elif t is TermType.resettlement:
        host = rules.teams[issue.receiver]
        taken = min(amount, host.refugees * m.resettlement_max_share)
        if is_giver:
            eff["spending"] = taken / 1000 * m.resettlement_cost
            eff["resettled"] = taken
        if is_receiver:
            eff["hosting_burden"] = -taken / 1000 * m.hosting_cost
            eff["refugees"] = -taken
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
    tolerance: int = 2
    """Rounds in a row a partner may break its word toward us before we withdraw."""

    def with_noise(self, r: random.Random) -> Strategy:
        """Randomised parameters for balance runs: no strategy is one fixed point."""
        return Strategy(
            name=self.name,
            concession=self.concession * r.uniform(0.7, 1.4),
            spirit=min(100.0, self.spirit * r.uniform(0.9, 1.1)),
            coercive=self.coercive,
            reciprocal=self.reciprocal,
            duration=self.duration,
            tolerance=self.tolerance,
        )


STRATEGIES: dict[str, Strategy] = {
    "conceder": Strategy("conceder", concession=2.0, spirit=100.0, tolerance=3),
    "hardliner": Strategy("hardliner", concession=0.2, spirit=70.0, coercive=True, tolerance=1),
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
    political: list[int]
    """Per package: how many political terms we give in it (each costs support to sign)."""


MULTI_PARTY_T = 0.5
"""The point of the concession curve at which a package for three is offered and judged
at the latest: nobody can counter it, so nobody opens it at their best."""
MOVES_PER_PHASE = 24
"""A bot's moves in one phase after which it only says it is ready: however the others
play, every phase of a table of bots ends."""
PATIENCE = 8
"""Negotiation moves after which a bot only answers (accepts or rejects, no more offers)
and then says ready: two bots at their limits must not counter each other for ever."""
COERCE_AT = 1.0
"""The point of the phase at which a hardliner presses who has not signed with it: at its
end, once talks have failed this round. Pressed earlier, a partner often signed with it
later in the same phase, and the pressure (a readmission refusal, say) broke the deal
it had just made: in 100 Mediterranean games, 252 of 643 coercions hit a partner signed
with that very round (at the end: 73 of 329, partners accepting our last offer)."""
BREACH_LEVEL = 50.0
"""Observed compliance under which a partner's round counts as breaking its word."""
MEMORY = 4
"""Rounds of compliance records a bot reads (the current one included): it needs no older
ones, so a balance run may give it a view with only these (`view(compliance=MEMORY)`)."""


def fingerprint(action: Action) -> str:
    """What makes two moves the same move (the version they were built on aside)."""
    return action.model_dump_json(exclude={"expected_version"})


@dataclass
class Bot:
    """One team played by a strategy. Call `act(view, t)` whenever it may act, and
    `refused(action)` when the rules refused one of its moves: it never makes a refused
    move again in the same phase of the round, and it always ends up saying it is ready."""

    team: str
    rules: PublicRules
    strategy: Strategy
    seed: int
    _spaces: dict[str, _Space] = field(default_factory=dict)
    _phase: tuple[int, str] = (0, "")
    _moves: int = 0
    _refused: set[str] = field(default_factory=set)
    _offers: dict[str, int] = field(default_factory=dict)
    _proposed: set[str] = field(default_factory=set)
    """Proposals the rules accepted from us this round: one a partner closed (rejected,
    or answered with a counter) is not made again the same round."""

    def refused(self, action: Action, error: Exception | None = None) -> None:
        """The rules refused `action` (the error says why): never try it again this phase."""
        del error
        self._refused.add(fingerprint(action))

    # The three moments a bot acts in.
    def act(self, view: dict[str, Any], t: float) -> list[Action]:
        """Actions for now; `t` in [0, 1] is the share of the phase that has passed."""
        key = (int(view["round"]), str(view["phase"]))
        if key != self._phase:
            if key[0] != self._phase[0]:
                self._offers.clear()
                self._proposed.clear()
            self._phase, self._moves = key, 0
            self._refused.clear()
        self._moves += 1
        phase = view["phase"]
        if phase in ("lobby", "ended"):
            return []
        wanted, waiting = self._wanted(view, t) if self._moves <= MOVES_PER_PHASE else ([], False)
        out = [
            a
            for a in wanted
            if fingerprint(a) not in self._refused
            and not (isinstance(a, Propose) and fingerprint(a) in self._proposed)
        ]
        if not out and not waiting and not self._ready(view):
            # SetReady is never held back: it is the move that lets every phase end.
            out = [SetReady(ready=True)]
        return out

    def _ready(self, view: dict[str, Any]) -> bool:
        return bool(next(x["ready"] for x in view["teams"] if x["id"] == self.team))

    def _wanted(self, view: dict[str, Any], t: float) -> tuple[list[Action], bool]:
        """The strategy's moves, and whether it is still waiting for partners' answers."""
        phase = view["phase"]
        if phase == "negotiation":
            return self._negotiate(view, t)
        if phase == "implementation":
            out: list[Action] = self._keep_or_leave(view)
            if view["me"]["decision"] is None:
                out.append(self._implement(view))
            return out, False
        if phase == "briefing":
            return self._keep_or_leave(view), False
        return [], False

    def explain(self, action: Action) -> str:
        """A short line a bot says in chat about its move. Both drivers (the simulator and
        the server's bot seats) call it once for each move the rules accepted, so it also
        notes the proposals made: a rejected one is not repeated in the round."""
        if isinstance(action, Propose):
            self._proposed.add(fingerprint(action))
        if isinstance(action, Propose | Counter):
            kinds = ", ".join(sorted({t.type.value.replace("_", " ") for t in action.terms}))
            return f"We offer a package on {kinds}; we think it serves both sides."
        if isinstance(action, Accept):
            return "This works for us. Agreed."
        if isinstance(action, Reject):
            return "This does not meet our minimum. We remain open to talk."
        if isinstance(action, Withdraw):
            return "You have not kept your word; we leave this agreement."
        return ""

    # --- keeping agreements: re-ratifying after a fall, leaving a partner who breaks --------

    def _keep_or_leave(self, view: dict[str, Any]) -> list[Action]:
        out: list[Action] = []
        breakers = _breakers(view, self.team, self.strategy.tolerance)
        room = self._political_room(view)
        for ag in view["agreements"]:
            if self.team not in ag["parties"]:
                continue
            others = [p for p in ag["parties"] if p != self.team]
            if ag["status"] in ("active", "awaiting_ratification") and any(
                p in breakers for p in others
            ):
                out.append(Withdraw(agreement_id=ag["id"]))
                continue
            if ag["status"] == "awaiting_ratification" and self.team in ag["awaiting"]:
                live = [term for term in ag["terms"] if term["rounds_left"] > 0]
                cost = self._political_terms(ag["terms"])  # the rules charge every term
                if not live or cost > room:
                    continue
                value = self._value_of_deal(view, others, live)
                if value is not None and value > 0:
                    out.append(Ratify(agreement_id=ag["id"]))
                    room -= cost
        return out

    def _political_room(self, view: dict[str, Any]) -> int:
        """How many political terms our parliament would still ratify (two-level game)."""
        cost = self.rules.model.ratification_cost
        if cost <= 0:
            return 1_000
        support = next(x["support"] for x in view["teams"] if x["id"] == self.team)
        # The view rounds support to a tenth: keep that much margin.
        slack = support - 0.05 - view["me"]["support_threshold"]
        return max(0, int(slack // cost))

    def _political_terms(self, terms: list[dict[str, Any]]) -> int:
        """How many political terms we give in `terms` (each costs support to sign)."""
        return sum(
            1 for x in terms if x["giver"] == self.team and TermType(x["type"]) in POLITICAL_TERMS
        )

    # --- negotiation --------------------------------------------------------------------

    def _tied(self, view: dict[str, Any]) -> bool:
        """Whether an agreement in force already ties us to a destination (the model's
        condition for losing the outside option)."""
        return any(
            ag["status"] == "active"
            and self.team in ag["parties"]
            and any(
                self.rules.teams[p].type is TeamType.destination
                for p in ag["parties"]
                if p != self.team
            )
            for ag in view["agreements"]
        )

    def _exit_value(self, view: dict[str, Any], others: list[str]) -> float:
        """What our outside option is worth to us a round, which any deal with a
        destination gives up: other partners' investment and markets, while we are not
        tied to a destination ("either they subdue ... or they leave", Lister, in the
        paper §3). Valued as the same investment and trade would be in a deal."""
        me = view["me"]
        if self.rules.teams[self.team].type is TeamType.destination or not any(
            self.rules.teams[o].type is TeamType.destination for o in others
        ):
            return 0.0
        investment = float(me.get("outside_investment", 0.0))
        trade = float(me.get("outside_trade", 0.0))
        if (investment <= 0 and trade <= 0) or self._tied(view):
            return 0.0
        m = self.rules.model
        effects = {
            "youth_opportunity": 100 * m.opportunity_per_investment * investment / 1000,
            "trade_income": trade,
        }
        mind = Mind.from_view(me, self.rules.teams[self.team].budget)
        return mind.value(effects, self.rules.teams[self.team].labour_shortage)

    def _space(self, view: dict[str, Any], partner: str) -> _Space | None:
        key = f"{partner}:{view['round']}:{self._tied(view)}"
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
        political_tab = [
            [
                int(lvl > 0 and iss.giver == self.team and iss.type in POLITICAL_TERMS)
                for lvl in range(len(iss.levels))
            ]
            for iss in issues
        ]
        packages = list(itertools.product(*(range(len(i.levels)) for i in issues)))
        # Sums in itertools.product order, built row by row: far cheaper than summing
        # each package (this runs for every bot, partner and round).
        mine_sums, their_sums, political = [0.0], [0.0], [0]
        for mrow, trow, prow in zip(mine_tab, their_tab, political_tab, strict=True):
            mine_sums = [s + v for s in mine_sums for v in mrow]
            their_sums = [s + v for s in their_sums for v in trow]
            political = [s + v for s in political for v in prow]
        # Any deal with a destination costs us our outside option: every package but 0.
        exit_value = self._exit_value(view, [partner])
        # Package 0 gives nothing at all: it is no deal, not an offer.
        space = _Space(
            partner,
            issues,
            packages[1:],
            [v - exit_value for v in mine_sums[1:]],
            their_sums[1:],
            mine_tab,
            political[1:],
        )
        self._spaces[key] = space
        return space

    def _target(self, space: _Space, t: float) -> float:
        best = max(space.mine)
        floor = max(0.0, min(space.mine))  # never below the no-deal outcome (gain 0)
        e = max(self.strategy.concession, 0.05)
        return floor + (best - floor) * (1.0 - min(1.0, max(0.0, t)) ** (1.0 / e))

    def _offer(self, space: _Space, target: float, room: int) -> int | None:
        """The package at or above my target that is best for the partner, among those my
        parliament would ratify (None: there is none worth offering)."""
        best_i, best_theirs = -1, float("-inf")
        fallback, fallback_mine = -1, float("-inf")
        for i, (mv, tv, pol) in enumerate(
            zip(space.mine, space.theirs, space.political, strict=True)
        ):
            if pol > room:
                continue
            if mv > fallback_mine:
                fallback, fallback_mine = i, mv
            if mv >= target and (
                tv > best_theirs or (tv == best_theirs and mv > space.mine[best_i])
            ):
                best_i, best_theirs = i, tv
        if best_i < 0:
            best_i = fallback
        if best_i < 0 or space.mine[best_i] <= 0:
            return None
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

    def _value_of_deal(
        self, view: dict[str, Any], others: list[str], terms: list[dict[str, Any]]
    ) -> float | None:
        """Our estimate of a deal among us and `others`: each term we give or receive
        valued in the deal space with its counterpart (None: we have no view of it)."""
        exit_value = self._exit_value(view, others)
        if len(others) == 1:
            value = self._value_of_terms(view, others[0], terms)
            return None if value is None else value - exit_value
        total, known = -exit_value, False
        for term in terms:
            if self.team not in (term["giver"], term["receiver"]):
                continue
            other = term["receiver"] if term["giver"] == self.team else term["giver"]
            value = self._value_of_terms(view, other, [term])
            if value is not None:
                total, known = total + value, True
        return total if known else None

    def _negotiate(self, view: dict[str, Any], t: float) -> tuple[list[Action], bool]:
        out = self._keep_or_leave(view)
        partners = [p for p in self.rules.teams if p != self.team]
        # Late in the phase a bot only answers, so that every negotiation ends.
        late = self._moves > PATIENCE + 2 * len(partners)
        room = self._political_room(view)
        # Who keeps breaking its word gets no new deal from us this round.
        shunned = _breakers(view, self.team, self.strategy.tolerance)
        open_props = [p for p in view.get("proposals", []) if p["status"] == "proposed"]
        answered: set[str] = set()
        for p in open_props:
            if self.team in p["accepted_by"]:
                continue
            others = [x for x in p["parties"] if x != self.team]
            answered.update(others)
            if shunned.intersection(others):
                out.append(Reject(proposal_id=p["id"]))
                continue
            value = self._value_of_deal(view, others, p["terms"])
            space = self._space(view, p["proposer"] if p["proposer"] != self.team else others[0])
            if value is None or space is None:
                out.append(Reject(proposal_id=p["id"]))
                continue
            # A package for three cannot be countered, only signed or refused: it is
            # judged at the middle of the concession curve at the latest.
            target = self._target(space, t if len(others) == 1 else max(t, MULTI_PARTY_T))
            accept = Accept(proposal_id=p["id"])
            # A term given to us that costs us nothing is worth a signature: it binds a
            # partner and builds trust, even where our mandate does not count it.
            gift = value >= 0 and all(x["giver"] != self.team for x in p["terms"])
            if (
                (gift or (value >= target - 1e-9 and value > 0))
                and self._political_terms(p["terms"]) <= room
                and fingerprint(accept) not in self._refused
            ):
                out.append(accept)
                room -= self._political_terms(p["terms"])  # what this signature will cost
                continue
            offer = None if late or len(others) != 1 else self._offer(space, target, room)
            if offer is None:
                out.append(Reject(proposal_id=p["id"]))
            else:
                terms, conditions = self._terms(space, offer)
                out.append(Counter(proposal_id=p["id"], terms=terms, conditions=conditions))
        waiting = False
        mine_open: set[str] = set()
        for p in open_props:
            if p["proposer"] == self.team:
                mine_open.update(p["parties"])
                waiting = waiting or not late
        bound = {
            x
            for a in view["agreements"]
            if a["status"] in ("active", "awaiting_ratification") and self.team in a["parties"]
            for x in a["parties"]
        }
        if not late:
            free = [
                x
                for x in partners
                if x not in answered and x not in mine_open and x not in bound and x not in shunned
            ]
            three = self._three_party(view, t, room, free)
            if three is not None:
                out.append(three)
                free = [x for x in free if x not in three.parties]
            for partner in free:
                space = self._space(view, partner)
                if space is None:
                    continue
                offer = self._offer(space, self._target(space, t), room)
                if offer is None:
                    continue
                terms, conditions = self._terms(space, offer)
                if terms:
                    out.append(
                        Propose(parties=[self.team, partner], terms=terms, conditions=conditions)
                    )
        if self.strategy.coercive and t >= COERCE_AT:
            # Pressure is leverage on who has not signed with us: not on a partner whose
            # agreement is in force or awaits a new government's ratification, nor on one
            # whose deal is being closed this turn (we accept its offer, or it accepted
            # ours). Pressing those broke the deal just made: a readmission refusal
            # voids the refuser's own readmission term for the round, the partner sees
            # a breach, and the reciprocity that follows ends the agreement.
            closing = {
                x
                for p in open_props
                if p["proposer"] == self.team and len(p["accepted_by"]) > 1
                for x in p["parties"]
            }
            for move in out:
                if isinstance(move, Accept):
                    closing.update(
                        x for p in open_props if p["id"] == move.proposal_id for x in p["parties"]
                    )
            out.extend(self._coerce(view, bound | closing))
        return out, waiting

    def _three_party(
        self, view: dict[str, Any], t: float, room: int, free: list[str]
    ) -> Propose | None:
        """One package with two partners who also have something to sign between
        themselves (a donor, a host and the origin of its refugees): what we offer each,
        and what they could give each other, valued by their types' typical interests.

        Offered once a round (a refused package is not repeated); the partners who get it
        get no separate offer from us this turn.
        """
        key = f"three:{view['round']}"
        if key in self._offers:
            return None
        self._offers[key] = 1  # looked for once a round, found or not
        best: tuple[float, Propose] | None = None
        for a, b in itertools.combinations(free, 2):
            between = issues_between(self.rules, a, b)
            space_a, space_b = self._space(view, a), self._space(view, b)
            if not between or space_a is None or space_b is None:
                continue
            # Nobody can counter a package for three: it is offered, and judged, at the
            # middle of the concession curve at the latest (MULTI_PARTY_T).
            t3 = max(t, MULTI_PARTY_T)
            offer_a = self._offer(space_a, self._target(space_a, t3), room)
            if offer_a is None:
                continue
            used = space_a.political[offer_a]
            offer_b = self._offer(space_b, self._target(space_b, t3), room - used)
            if offer_b is None:
                continue
            if space_a.theirs[offer_a] <= 0 or space_b.theirs[offer_b] <= 0:
                continue  # a partner we expect to lose by it would not sign
            terms_a, cond_a = self._terms(space_a, offer_a)
            terms_b, cond_b = self._terms(space_b, offer_b)
            stats = _public_stats(view, a, b, self.rules)
            minds = {x: Mind.from_prior(self.rules.teams[x]) for x in (a, b)}
            extra: list[TermSpec] = []
            for issue in between:
                # The level the two would value most together, by their types' interests.
                joint = [
                    sum(
                        minds[x].value(
                            _effects(self.rules, issue, lvl, x, stats),
                            self.rules.teams[x].labour_shortage,
                        )
                        for x in (a, b)
                    )
                    for lvl in issue.levels[1:]
                ]
                k = max(range(len(joint)), key=joint.__getitem__)
                if joint[k] > 0:
                    extra.append(issue.term(issue.levels[k + 1], self.strategy.duration))
            if not extra:
                continue
            shift = len(terms_a)
            conditions = list(cond_a) + [
                ConditionSpec(
                    term=c.term + shift, requires=c.requires + shift, threshold=c.threshold
                )
                for c in cond_b
            ]
            value = space_a.mine[offer_a] + space_b.mine[offer_b]
            proposal = Propose(
                parties=[self.team, a, b], terms=terms_a + terms_b + extra, conditions=conditions
            )
            if fingerprint(proposal) in self._refused:
                continue
            if best is None or value > best[0]:
                best = (value, proposal)
        return None if best is None else best[1]

    def _coerce(self, view: dict[str, Any], partners: set[str]) -> list[Action]:
        """A hardliner uses pressure on those it has no deal with (`partners`: who has,
        or is closing one now), or who fell short of their word toward it."""
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
                    # Tit-for-tat against a breach, not against noise: a partner that
                    # delivers most of its word (observed through noise) is answered in
                    # full; cutting to its level invited its own conditions and its
                    # withdrawal, and the deal the reciprocator needed collapsed.
                    level = 100.0 if seen >= BREACH_LEVEL else max(seen, 30.0)
            compliance[c["term_id"]] = level
        p = me["policies"]
        policies = PolicyChoice(**p)
        cost = _cost(me, compliance, policies)
        if cost > me["treasury"]:
            scale = me["treasury"] / cost * 0.99 if cost else 0.0
            policies = scaled_policies(policies, scale)
            compliance = {k: v * scale if _costly(me, k) else v for k, v in compliance.items()}
        return Implement(compliance=compliance, policies=policies)


def _costly(me: dict[str, Any], term_id: str) -> bool:
    for c in me["commitments"]:
        if c["term_id"] == term_id:
            return costly(c["type"], c["full_cost"])
    return False


def _cost(me: dict[str, Any], compliance: dict[str, float], policies: PolicyChoice) -> float:
    """The cost the rules will charge (the rulebook's formula), from what the team's own
    view shows."""
    honoured = [
        (c["type"], c["amount"], c["full_cost"], compliance.get(c["term_id"], 100.0) / 100.0)
        for c in me["commitments"]
    ]
    return policies_cost(policies, honoured, me["costs"]["enforcement_per_point"])


def _can_target(tool: CoerciveTool, ttype: TeamType) -> bool:
    return ttype in COERCION_TARGETS[tool]


def _breakers(view: dict[str, Any], me: str, tolerance: int) -> set[str]:
    """Partners whose every term toward us was observed under BREACH_LEVEL in each of the
    last `tolerance` rounds: they keep breaking their word. A term suspended by its
    condition is not a breach of its giver's."""
    worst: dict[tuple[str, int], float] = {}
    for ag in view["agreements"]:
        if me not in ag["parties"]:
            continue
        for rec in ag["compliance"]:
            if rec["giver"] == me or rec["suspended"]:
                continue
            key = (rec["giver"], rec["round"])
            worst[key] = min(worst.get(key, 100.0), rec["observed"])
    last = int(view["round"]) - 1
    rounds = range(last - min(max(tolerance, 1), MEMORY - 1) + 1, last + 1)
    givers = {g for g, _r in worst}
    return {
        g for g in givers if all((g, r) in worst and worst[(g, r)] < BREACH_LEVEL for r in rounds)
    }


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
