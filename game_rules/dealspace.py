"""The deal space: every deal a set of partners could sign at the scenario's levels, what
each is worth to each team, and the bargaining points of FACTS.md.

Pure (no I/O, no clock). The deal language is the scenario's `deal_levels` (the offers a
facilitator would call sensible); bots and this analysis read the same `issues_between`.
"""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from game_rules.actions import (
    Accept,
    Actor,
    AdvancePhase,
    Propose,
    Ratify,
    StartGame,
    TermSpec,
)
from game_rules.analytics import game_scores
from game_rules.errors import RatificationFailed
from game_rules.rules import can, default_decision, fit_to_budget, perform
from game_rules.scenario import Earmark, Scenario, TeamType, TermLevels, TermType
from game_rules.state import Decision, GameState, Phase

FACILITATOR = Actor.facilitator()

# --- the deal language ------------------------------------------------------------------


@dataclass(frozen=True)
class Issue:
    """One negotiable term between two teams and the amounts on the table.

    `levels[0]` is 0: the term left out of the deal; the others are the declared levels.
    """

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


def deal_levels(scenario: Scenario) -> list[TermLevels]:
    """The scenario's declared levels, or for a file that declares none the ones derived
    from its endowments (the levels the bots have always offered)."""
    if scenario.deal_levels is not None:
        return list(scenario.deal_levels)
    return derived_levels(scenario)


def derived_levels(scenario: Scenario) -> list[TermLevels]:
    """Levels for a scenario without a `deal_levels` block, per destination and partner:
    money as shares of the destination's budget, permits of its labour shortage and of
    the host's refugees."""
    out: list[TermLevels] = []

    def add(
        kind: TermType, giver: str, receiver: str, amounts: Sequence[float], **kw: object
    ) -> None:
        levels = sorted({round(x, 6) for x in amounts if x > 0})
        if levels:
            entry = {"type": kind, "giver": giver, "receiver": receiver, "levels": levels, **kw}
            out.append(TermLevels.model_validate(entry))

    for d in scenario.teams:
        if d.type is not TeamType.destination:
            continue
        money = d.endowment.budget
        permits = max(d.endowment.labour_shortage, 20000)
        for o in scenario.teams:
            if o.type is TeamType.origin:
                add(TermType.visa_facilitation, d.id, o.id, (1, 2, 3))
                add(
                    TermType.labour_pathway,
                    d.id,
                    o.id,
                    (permits * 0.15, permits * 0.35),
                    skills_training=True,
                )
                add(
                    TermType.funding,
                    d.id,
                    o.id,
                    (money * 0.05, money * 0.1),
                    earmark=Earmark.reintegration,
                )
                add(TermType.investment, d.id, o.id, (money * 0.1, money * 0.25))
                add(TermType.readmission, o.id, d.id, (50, 75, 95))
            elif o.type is TeamType.transit:
                add(
                    TermType.funding,
                    d.id,
                    o.id,
                    (money * 0.1, money * 0.25),
                    earmark=Earmark.refugee_hosting,
                )
                add(TermType.trade_access, d.id, o.id, (50, 100))
                add(TermType.visa_facilitation, d.id, o.id, (1, 2))
                add(TermType.border_cooperation, o.id, d.id, (50, 75))
                refugees = o.endowment.refugees
                add(TermType.refugee_work_permits, o.id, d.id, (refugees * 0.1, refugees * 0.3))
    return out


def _issues(scenario: Scenario, giver: str, receiver: str) -> list[tuple[int, Issue]]:
    """Each kind of term `giver` can give `receiver`: the most specific entry wins (a
    team's over its type's), keyed by the entry's place in the file."""
    if giver == receiver:
        return []
    g, r = scenario.team(giver), scenario.team(receiver)
    best: dict[TermType, tuple[int, int, TermLevels]] = {}
    for i, lv in enumerate(deal_levels(scenario)):
        if lv.giver not in (g.id, g.type.value) or lv.receiver not in (r.id, r.type.value):
            continue
        rank = lv.specificity()
        if lv.type not in best or best[lv.type][1] < rank:
            best[lv.type] = (i, rank, lv)
    return [
        (
            i,
            Issue(
                type=lv.type,
                giver=giver,
                receiver=receiver,
                levels=(0.0, *lv.levels),
                earmark=lv.earmark,
                skills_training=lv.skills_training,
                third_country=lv.third_country,
            ),
        )
        for i, _rank, lv in best.values()
    ]


def issues_between(scenario: Scenario, a: str, b: str) -> list[Issue]:
    """The deal space of a pair of teams: every term either can give the other, with its
    levels, in the order the scenario declares them."""
    found = _issues(scenario, a, b) + _issues(scenario, b, a)
    return [issue for _i, issue in sorted(found, key=lambda x: (x[0], x[1].giver != a))]


def issues_among(scenario: Scenario, parties: Sequence[str]) -> list[Issue]:
    """The deal space of a set of teams: the issues of every pair among them."""
    out: list[Issue] = []
    for a, b in itertools.combinations(parties, 2):
        out.extend(issues_between(scenario, a, b))
    return out


def negotiating_pairs(scenario: Scenario) -> list[tuple[str, str]]:
    """Every pair of teams with something to sign, in team order."""
    ids = [t.id for t in scenario.teams]
    return [(a, b) for a, b in itertools.combinations(ids, 2) if issues_between(scenario, a, b)]


# --- bargaining points on gain vectors --------------------------------------------------

FEASIBLE_SLACK = 1e-9
"""A deal is feasible when every party's gain is at least minus this (float noise)."""


def pareto_front(gains: Sequence[Sequence[float]]) -> list[int]:
    """Indexes of the points no other point dominates (FACTS.md); equal points all stay.

    a dominates b when a ≥ b everywhere and a > b somewhere. Sorted lexicographically
    from the top, a point's dominators all come before it, and a dominated dominator's
    own dominator dominates it too: checking against the front found so far suffices.
    """
    order = sorted(range(len(gains)), key=lambda i: tuple(gains[i]), reverse=True)
    front: list[int] = []
    for i in order:
        p = gains[i]
        dominated = False
        for j in front:
            q = gains[j]
            if q != p and all(qk >= pk for qk, pk in zip(q, p, strict=True)):
                dominated = True
                break
        if not dominated:
            front.append(i)
    return sorted(front)


def _best(candidates: Sequence[int], key: Callable[[int], tuple[float, ...]]) -> int | None:
    """The candidate with the largest key; ties go to the earliest (lowest index)."""
    best: int | None = None
    best_key: tuple[float, ...] | None = None
    for i in candidates:
        k = key(i)
        if best_key is None or k > best_key:
            best, best_key = i, k
    return best


def nash_point(
    gains: Sequence[Sequence[float]], front: Sequence[int], weights: Sequence[float] | None = None
) -> int | None:
    """argmax over the front of Π gainᵢ^αᵢ (αᵢ = 1 without weights); ties to the larger
    total gain, then the earlier deal."""

    def key(i: int) -> tuple[float, ...]:
        product = 1.0
        for k, g in enumerate(gains[i]):
            product *= max(g, 0.0) ** (weights[k] if weights else 1.0)
        return (product, sum(gains[i]))

    return _best(front, key)


def kalai_smorodinsky_point(gains: Sequence[Sequence[float]], front: Sequence[int]) -> int | None:
    """The front point whose shares of each party's best feasible gain are most equal
    (smallest max − min of gainᵢ / idealᵢ); ties to the larger smallest share.

    A party that can gain nothing in any point of the front (ideal 0) has no share to
    equalise and is left out of the comparison.
    """
    if not front:
        return None
    parties = range(len(gains[front[0]]))
    ideal = [max(gains[i][k] for i in front) for k in parties]
    live = [k for k in parties if ideal[k] > FEASIBLE_SLACK]
    if not live:
        return min(front)

    def key(i: int) -> tuple[float, ...]:
        shares = [gains[i][k] / ideal[k] for k in live]
        return (-(max(shares) - min(shares)), min(shares), sum(gains[i]))

    return _best(front, key)


def egalitarian_point(gains: Sequence[Sequence[float]], front: Sequence[int]) -> int | None:
    """argmax over the front of the smallest gain; ties to the larger total gain."""
    return _best(front, lambda i: (min(gains[i]), sum(gains[i])))


# --- what a deal is worth ---------------------------------------------------------------


@dataclass(frozen=True)
class DealValue:
    """A deal signed now and honoured to the end of the game, against no deal.

    `scores` and `batna` hold every team's game score (mean of its round scores, 0–100),
    parties and teams outside the deal alike. A deal some party's parliament would not
    ratify is never signed: its scores are the BATNA and `ratifiable` is false.
    """

    scores: dict[str, float]
    batna: dict[str, float]
    ratifiable: bool
    round: int
    """The round the deal is signed in."""

    def gain(self, team: str) -> float:
        return self.scores[team] - self.batna[team]

    @property
    def gains(self) -> dict[str, float]:
        return {t: self.scores[t] - self.batna[t] for t in self.scores}


def _shared(state: GameState) -> dict[int, Any]:
    """What a copy of `state` can share with it: the scenario, the records of the past
    (play appends new ones and never changes them) and every frozen model (objectives,
    policies, term specs, event effects). A deep-copy memo that maps them to themselves."""
    memo: dict[int, Any] = {id(state.scenario): state.scenario}
    for records in (state.history, state.compliance, state.news, state.decisions_log):
        for item in records:
            memo[id(item)] = item

    def walk(x: object) -> None:
        if isinstance(x, BaseModel):
            if x.model_config.get("frozen"):
                memo[id(x)] = x
                return
            for v in x.__dict__.values():
                walk(v)
        elif isinstance(x, dict):
            for v in x.values():
                walk(v)
        elif isinstance(x, list | tuple):
            for v in x:
                walk(v)

    for name, value in state.__dict__.items():
        if name not in ("scenario", "history", "compliance", "news", "decisions_log"):
            walk(value)
    return memo


def _fork(state: GameState, shared: dict[int, Any] | None = None) -> GameState:
    """A copy to play on, sharing what play never changes: far cheaper than a deep copy."""
    return copy.deepcopy(state, dict(shared if shared is not None else _shared(state)))


def signing_state(state: GameState) -> GameState:
    """A copy of `state` in the negotiation phase of the round a deal would be signed in:
    this round if it is still open for proposals, else the next one (the rest of this
    round is played with what the teams decided, defaults for the others)."""
    s = _fork(state)
    s.paused = False
    if s.phase is Phase.lobby:
        perform(s, FACILITATOR, StartGame())
    if s.phase in (Phase.implementation, Phase.resolution):
        if s.round >= s.scenario.rounds and s.phase is Phase.resolution:
            raise ValueError("the last round is over: no round is left to sign a deal in")
        while s.phase is not Phase.briefing:
            _advance(s, ())
            if s.phase is Phase.ended:
                raise ValueError("the last round is over: no round is left to sign a deal in")
    if s.phase is Phase.ended:
        raise ValueError("the game has ended: no round is left to sign a deal in")
    if s.phase is Phase.briefing:
        perform(s, FACILITATOR, AdvancePhase())
    return s


def _advance(s: GameState, honoured: Sequence[str], agreement: str | None = None) -> None:
    """One phase on. Implementation: every team's default decision (its policies kept,
    commitments as last honoured) with the deal's terms honoured in full, within budget.
    Briefing: a successor government re-ratifies the deal if its support allows."""
    if s.phase is Phase.briefing and agreement is not None:
        ag = s.agreements[agreement]
        for party in list(ag.awaiting):
            ratify = Ratify(agreement_id=agreement)
            if can(s, Actor.of_team(party), ratify):
                perform(s, Actor.of_team(party), ratify)
    if s.phase is Phase.implementation:
        for tid, team in s.teams.items():
            if team.decision is not None:
                continue
            decision = default_decision(s, tid)
            mine = {t: 100.0 for t in honoured if s.term(t)[1].giver == tid}
            if mine:
                compliance = {**decision.compliance, **mine}
                decision = fit_to_budget(
                    s, tid, Decision(compliance=compliance, policies=decision.policies)
                )
            team.decision = decision
    perform(s, FACILITATOR, AdvancePhase())


def _play_out(s: GameState, honoured: Sequence[str], agreement: str | None = None) -> GameState:
    while s.phase is not Phase.ended:
        _advance(s, honoured, agreement)
    return s


class Evaluator:
    """Values deals from one state. The signing state and the no-deal run are computed
    once: keep one evaluator per state to value many deals (a scoresheet, a debrief)."""

    def __init__(self, state: GameState) -> None:
        self.base = signing_state(state)
        self.round = self.base.round
        self.duration = self.base.scenario.rounds - self.round + 1
        self._shared = _shared(self.base)
        self.batna_run = _play_out(_fork(self.base, self._shared), ())
        """The game played out without the deal (its rounds' records: a scoresheet's
        per-objective comparison)."""
        self.batna = game_scores(self.batna_run)

    def value(self, terms: Sequence[TermSpec]) -> DealValue:
        """The deal signed now by the teams its terms name, and honoured.

        Every term runs to the end of the game (the terms' own durations are ignored) and
        is delivered in full as far as the giver's treasury allows (the rules' budget
        fit); conditions are moot when everything is honoured. A government that falls
        re-ratifies the deal if its support allows. Every team keeps its policies. Terms
        the rules refuse raise the rules' error.
        """
        return self.play(terms)[0]

    def play(
        self, terms: Sequence[TermSpec], *, durations: bool = False
    ) -> tuple[DealValue, GameState]:
        """`value`, with the game as played out under the deal (the no-deal run when the
        deal is not signed). With `durations`, each term runs for its own duration (at
        most to the end of the game), as a proposal on the table would: a scoresheet."""
        terms = [t for t in terms if t.amount > 0]
        if not terms:
            return DealValue(dict(self.batna), dict(self.batna), True, self.round), self.batna_run
        s = _fork(self.base, self._shared)
        order = [t.id for t in s.scenario.teams]
        named = {t.giver for t in terms} | {t.receiver for t in terms}
        parties = [t for t in order if t in named]
        specs = [
            t.model_copy(
                update={"duration": min(t.duration, self.duration) if durations else self.duration}
            )
            for t in terms
        ]
        perform(s, Actor.of_team(parties[0]), Propose(parties=parties, terms=specs))
        proposal = s.proposals[f"p{s.counters['p']}"]
        try:
            for party in parties[1:]:
                perform(s, Actor.of_team(party), Accept(proposal_id=proposal.id))
        except RatificationFailed:
            return DealValue(dict(self.batna), dict(self.batna), False, self.round), self.batna_run
        if proposal.agreement_id is None:
            return DealValue(dict(self.batna), dict(self.batna), False, self.round), self.batna_run
        honoured = [t.id for t in s.agreements[proposal.agreement_id].terms]
        run = _play_out(s, honoured, proposal.agreement_id)
        return DealValue(game_scores(run), dict(self.batna), True, self.round), run


def evaluate(state: GameState, terms: Sequence[TermSpec]) -> DealValue:
    """What a deal is worth to every team: signed in the current round (the next if this
    one's negotiation is over) and honoured to the end, against no deal from the same
    state (agreements already signed go on as the teams last honoured them). For many
    deals from one state, keep an `Evaluator`. After the game, value deals from its
    opening: `evaluate(new_game(state.scenario, state.seed), terms)`."""
    return Evaluator(state).value(terms)


# --- the deal space of a set of partners and its report ---------------------------------

DEFAULT_MAX_DEALS = 20_000
"""Spaces larger than this are refused unless asked for: each deal is a game played out."""


@dataclass(frozen=True)
class DealSpace:
    """Every deal among `parties` at the scenario's levels: one level per issue, each
    issue also left out (level 0). The deal leaving every issue out is no deal: not in it."""

    parties: tuple[str, ...]
    issues: tuple[Issue, ...]

    @property
    def size(self) -> int:
        return math.prod(len(i.levels) for i in self.issues) - 1 if self.issues else 0

    def deals(self) -> list[tuple[int, ...]]:
        """Level indexes per issue, in a fixed order (the last issue varies fastest)."""
        every = itertools.product(*(range(len(i.levels)) for i in self.issues))
        return [d for d in every if any(d)]

    def terms(self, deal: Sequence[int], duration: int) -> list[TermSpec]:
        return [
            issue.term(issue.levels[lvl], duration)
            for issue, lvl in zip(self.issues, deal, strict=True)
            if lvl
        ]


def deal_space(scenario: Scenario, partners: Sequence[str]) -> DealSpace:
    ids = [t.id for t in scenario.teams]
    unknown = [p for p in partners if p not in ids]
    if unknown:
        raise ValueError(f"no team {unknown[0]!r} in this scenario (teams: {', '.join(ids)})")
    if len(set(partners)) < 2:
        raise ValueError("a deal space needs at least two different teams")
    parties = tuple(t for t in ids if t in set(partners))
    return DealSpace(parties, tuple(issues_among(scenario, parties)))


@dataclass(frozen=True)
class Point:
    """One deal of the space and what it is worth."""

    index: int
    """Its place in `DealSpace.deals()`."""
    levels: tuple[int, ...]
    terms: tuple[TermSpec, ...]
    scores: dict[str, float]
    gains: dict[str, float]
    """Score minus BATNA, for every team (parties and the teams outside the deal)."""


@dataclass(frozen=True)
class DealSpaceReport:
    """The deal space of some partners from one state: the counts and bargaining points
    of FACTS.md. Feasible: every party at or above its BATNA. Unanimous: every team at the
    table at or above its BATNA, the teams outside the deal too (Harborco's distinction
    between the parties a deal needs and everyone). Pareto and the points are over the
    feasible deals, in the parties' gains."""

    scenario: str
    seed: int
    round: int
    parties: tuple[str, ...]
    issues: tuple[Issue, ...]
    batna: dict[str, float]
    size: int
    ratifiable: int
    feasible: int
    unanimous: int
    pareto: int
    frontier: tuple[Point, ...]
    nash: Point | None
    kalai_smorodinsky: Point | None
    egalitarian: Point | None
    favourite: dict[str, Point]
    """Each party's best deal of the whole space, whatever its partners think of it."""
    favourite_feasible: dict[str, Point | None]

    @property
    def feasible_share(self) -> float:
        return self.feasible / self.size if self.size else 0.0

    def conflicts(self) -> list[tuple[str, str]]:
        """(team, partner): the team's favourite deal leaves the partner below its BATNA
        (real conflict, not a shared wish list)."""
        return [
            (team, other)
            for team, point in self.favourite.items()
            for other in self.parties
            if other != team and point.gains[other] < -FEASIBLE_SLACK
        ]

    def to_json(self) -> dict[str, Any]:
        def point(p: Point | None) -> dict[str, Any] | None:
            if p is None:
                return None
            return {
                "index": p.index,
                "terms": [t.model_dump(mode="json", exclude={"duration"}) for t in p.terms],
                "scores": p.scores,
                "gains": p.gains,
            }

        return {
            "scenario": self.scenario,
            "seed": self.seed,
            "round": self.round,
            "parties": list(self.parties),
            "issues": [
                {
                    "type": i.type.value,
                    "giver": i.giver,
                    "receiver": i.receiver,
                    "levels": list(i.levels[1:]),
                    "earmark": i.earmark.value if i.earmark else None,
                    "skills_training": i.skills_training,
                    "third_country": i.third_country,
                }
                for i in self.issues
            ],
            "batna": self.batna,
            "size": self.size,
            "ratifiable": self.ratifiable,
            "feasible": self.feasible,
            "feasible_share": self.feasible_share,
            "unanimous": self.unanimous,
            "pareto": self.pareto,
            "conflicts": [list(c) for c in self.conflicts()],
            "nash": point(self.nash),
            "kalai_smorodinsky": point(self.kalai_smorodinsky),
            "egalitarian": point(self.egalitarian),
            "favourite": {t: point(p) for t, p in self.favourite.items()},
            "favourite_feasible": {t: point(p) for t, p in self.favourite_feasible.items()},
            "frontier": [point(p) for p in self.frontier],
        }


def summarise(
    evaluator: Evaluator,
    space: DealSpace,
    deals: Sequence[tuple[int, ...]],
    values: Sequence[DealValue],
) -> DealSpaceReport:
    """The report from every deal's value (computed in one process or spread over many)."""
    parties = space.parties
    duration = evaluator.duration

    def point(i: int) -> Point:
        v = values[i]
        return Point(i, deals[i], tuple(space.terms(deals[i], duration)), v.scores, v.gains)

    gains = [tuple(v.gain(p) for p in parties) for v in values]
    ratifiable = [i for i, v in enumerate(values) if v.ratifiable]
    feasible = [i for i in ratifiable if min(gains[i]) >= -FEASIBLE_SLACK]
    unanimous = [i for i in feasible if min(values[i].gains.values()) >= -FEASIBLE_SLACK]
    front_of_feasible = pareto_front([gains[i] for i in feasible])
    front = [feasible[k] for k in front_of_feasible]

    def chosen(k: int | None) -> Point | None:
        return None if k is None else point(k)

    local = [gains[i] for i in front]

    def pick(f: Callable[[Sequence[Sequence[float]], Sequence[int]], int | None]) -> Point | None:
        k = f(local, range(len(front)))
        return None if k is None else point(front[k])

    favourite: dict[str, Point] = {}
    favourite_feasible: dict[str, Point | None] = {}
    for n, team in enumerate(parties):

        def own(i: int, n: int = n) -> tuple[float, ...]:
            return (gains[i][n], sum(gains[i]))

        best = _best(ratifiable, own)
        if best is not None:
            favourite[team] = point(best)
        favourite_feasible[team] = chosen(_best(feasible, own))
    return DealSpaceReport(
        scenario=evaluator.base.scenario.id,
        seed=evaluator.base.seed,
        round=evaluator.round,
        parties=parties,
        issues=space.issues,
        batna=dict(evaluator.batna),
        size=len(deals),
        ratifiable=len(ratifiable),
        feasible=len(feasible),
        unanimous=len(unanimous),
        pareto=len(front),
        frontier=tuple(point(i) for i in front),
        nash=pick(nash_point),
        kalai_smorodinsky=pick(kalai_smorodinsky_point),
        egalitarian=pick(egalitarian_point),
        favourite=favourite,
        favourite_feasible=favourite_feasible,
    )


def analyse(
    state: GameState,
    partners: Sequence[str],
    *,
    progress: Callable[[int, int], None] | None = None,
    max_deals: int = DEFAULT_MAX_DEALS,
) -> DealSpaceReport:
    """The deal space of `partners` from `state` (see `evaluate` for when deals are signed).

    `progress(done, total)` is called as deals are valued.
    """
    space = deal_space(state.scenario, partners)
    if space.size > max_deals:
        raise ValueError(
            f"the deal space of {', '.join(space.parties)} has {space.size:,} deals, more "
            f"than {max_deals:,}: analyse fewer partners, or allow more"
        )
    evaluator = Evaluator(state)
    deals = space.deals()
    values: list[DealValue] = []
    for n, deal in enumerate(deals, start=1):
        values.append(evaluator.value(space.terms(deal, evaluator.duration)))
        if progress is not None:
            progress(n, len(deals))
    return summarise(evaluator, space, deals, values)
