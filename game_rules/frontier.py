"""Left on the table (GAME.md §7): for each set of partners that signed, and each pair
that could have and did not, the Pareto frontier of their deal space under the teams'
private mandates, the Nash and Kalai–Smorodinsky points, and how far each signed deal
was from the frontier (FACTS.md, "Bargaining formulas").

Pure (no I/O, no clock). Deals are valued from the game's opening (`dealspace.Evaluator`
on `new_game(scenario, seed)`): signed in round 1 and honoured to the end, against no
deal from the same opening. A signed agreement is valued the same way, so its point and
the frontier compare like with like; what its parties really delivered, and when they
signed, is the debrief's "promised vs delivered", not this.

Valuing a deal is playing a game out (milliseconds each, hundreds of deals a pair): the
caller may spread `Plan.deals` over processes and hand the values back (`report`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from game_rules.actions import TermSpec
from game_rules.dealspace import (
    FEASIBLE_SLACK,
    DealSpace,
    DealValue,
    Evaluator,
    deal_space,
    negotiating_pairs,
    summarise,
)
from game_rules.errors import RuleError
from game_rules.rules import new_game
from game_rules.state import GameState, Term

MAX_DEALS = 3_000
"""A set of partners with a larger space is reported as too large to analyse here (three
or more parties: only the issues their agreements touched are varied, see `plans`)."""

CLOUD_POINTS = 1_200
"""At most this many deals of a space are sent to be drawn as the cloud behind the frontier."""


@dataclass(frozen=True)
class Plan:
    """One set of partners to analyse: their deal space and the agreements they signed."""

    parties: tuple[str, ...]
    agreements: tuple[str, ...]
    """Ids of the agreements signed among exactly these parties (empty: none was)."""
    space: DealSpace
    restricted: bool
    """Three or more parties: only the issues their agreements touched are in the space."""

    @property
    def too_large(self) -> bool:
        return self.space.size > MAX_DEALS

    def deals(self) -> list[tuple[int, ...]]:
        return [] if self.too_large else self.space.deals()


def _key(t: Term | TermSpec) -> tuple[str, str, str]:
    return (t.type.value, t.giver, t.receiver)


def plans(state: GameState) -> list[Plan]:
    """Every set of partners of a signed agreement (in signing order), then every pair
    with something to sign that signed nothing together (in team order)."""
    sc = state.scenario
    by_parties: dict[tuple[str, ...], list[str]] = {}
    order = [t.id for t in sc.teams]
    for ag in state.agreements.values():
        parties = tuple(t for t in order if t in set(ag.parties))
        by_parties.setdefault(parties, []).append(ag.id)
    out: list[Plan] = []
    for parties, ids in by_parties.items():
        space = deal_space(sc, parties)
        restricted = len(parties) > 2
        if restricted:
            touched = {_key(t) for i in ids for t in state.agreements[i].terms}
            kept = tuple(i for i in space.issues if (i.type.value, i.giver, i.receiver) in touched)
            space = DealSpace(space.parties, kept)
        out.append(Plan(parties, tuple(ids), space, restricted))
    together = {frozenset(p) for parties in by_parties for p in _pairs(parties)}
    for pair in negotiating_pairs(sc):
        if frozenset(pair) not in together:
            out.append(Plan(pair, (), deal_space(sc, pair), False))
    return out


def _pairs(parties: Sequence[str]) -> list[tuple[str, str]]:
    return [(a, b) for i, a in enumerate(parties) for b in parties[i + 1 :]]


def opening(state: GameState) -> GameState:
    """The state deals are valued from: the same scenario and seed, before round 1."""
    return new_game(state.scenario, state.seed)


def value_all(evaluator: Evaluator, plan: Plan) -> list[DealValue]:
    """Every deal of `plan`'s space, in this process (the caller may split `deals()`)."""
    return [evaluator.value(plan.space.terms(d, evaluator.duration)) for d in plan.deals()]


# --- the measures of a deal against the frontier (FACTS.md) -----------------------------


def surplus(gains: Sequence[float]) -> float:
    """The joint gain of the parties over their BATNAs."""
    return sum(gains)


def efficiency(captured: float, best: float) -> float | None:
    """Captured over best achievable surplus; None when nothing was achievable (best ≤ 0).
    Below 0 when the deal left the parties together worse off than no deal."""
    return captured / best if best > FEASIBLE_SLACK else None


def dominates(a: Sequence[float], b: Sequence[float]) -> bool:
    return all(x >= y for x, y in zip(a, b, strict=True)) and any(
        x > y + FEASIBLE_SLACK for x, y in zip(a, b, strict=True)
    )


def distance(point: Sequence[float], frontier: Sequence[Sequence[float]]) -> float:
    """The shortest Euclidean distance from `point` to a frontier point; 0 when no
    frontier point dominates it (a signed deal off the scenario's levels can lie between
    or beyond the frontier's points: it left nothing the levels could have claimed)."""
    if not frontier or not any(dominates(f, point) for f in frontier):
        return 0.0
    return min(math.dist(point, f) for f in frontier)


def better_for_all(point: Sequence[float], frontier: Sequence[Sequence[float]]) -> int | None:
    """The frontier point that makes every party strictly better off than `point` by the
    most (the largest smallest improvement; ties to the larger joint gain, then the
    earlier point): the amendment a negotiation-support system would propose. None if no
    frontier point improves everyone."""
    best: int | None = None
    best_key: tuple[float, float] | None = None
    for i, f in enumerate(frontier):
        rise = [x - y for x, y in zip(f, point, strict=True)]
        if min(rise) <= FEASIBLE_SLACK:
            continue
        key = (min(rise), sum(rise))
        if best_key is None or key > best_key:
            best, best_key = i, key
    return best


def changes(before: Sequence[TermSpec], after: Sequence[TermSpec]) -> list[dict[str, Any]]:
    """The terms that differ between two deals, keyed by type, giver and receiver: what
    to add, raise, lower or drop (amount 0: not in that deal)."""
    was = {_key(t): t for t in before}
    now = {_key(t): t for t in after}
    out = []
    for key in [*was, *(k for k in now if k not in was)]:
        a = was[key].amount if key in was else 0.0
        b = now[key].amount if key in now else 0.0
        if abs(a - b) > 1e-9:
            t = now.get(key) or was[key]
            out.append(
                {
                    "type": key[0],
                    "giver": key[1],
                    "receiver": key[2],
                    "earmark": t.earmark.value if t.earmark else None,
                    "from": a,
                    "to": b,
                }
            )
    return out


# --- the report ---------------------------------------------------------------------------


def _spec(t: Term) -> TermSpec:
    return TermSpec(
        type=t.type,
        giver=t.giver,
        receiver=t.receiver,
        amount=t.amount,
        duration=1,
        earmark=t.earmark,
        skills_training=t.skills_training,
        third_country=t.third_country,
    )


def _terms_json(terms: Sequence[TermSpec]) -> list[dict[str, Any]]:
    return [t.model_dump(mode="json", exclude={"duration"}) for t in terms]


def _r(x: float) -> float:
    return round(x, 2)


def report(
    state: GameState,
    values_of: Callable[[GameState, list[Plan]], list[list[DealValue]]] | None = None,
) -> dict[str, Any]:
    """Left on the table for the ended (or any) game `state`, as plain data.

    `values_of(opening, plans)` returns every plan's deal values in `plan.deals()`
    order, valued from `opening` (default: `value_all` here, one process). Per set of
    partners: `parties`, `agreements`, the space's `size`, `feasible` count, `restricted`,
    `too_large`,
    `batna` (each party's score without a deal), `cloud` (ratifiable deals' gains),
    `frontier`, `nash`, `ks` (points: `gains` in party order and `terms`), `best_surplus`,
    and `deals`: per signed agreement its `gains`, `ratifiable`, `captured`,
    `efficiency`, `distance`, `on_frontier`, and `better` (a frontier point better for
    every party, with its `changes`) or None.
    """
    start = opening(state)
    evaluator = Evaluator(start)
    todo = plans(state)
    work = [p for p in todo if not p.too_large]
    if values_of is None:
        computed = [value_all(evaluator, p) for p in work]
    else:
        computed = values_of(start, work)
    values = {p.parties: v for p, v in zip(work, computed, strict=True)}
    sets = [_set_report(state, evaluator, p, values.get(p.parties)) for p in todo]
    return {
        "valued_from": "opening",
        "rounds": evaluator.duration,
        "sets": sets,
    }


def _set_report(
    state: GameState, evaluator: Evaluator, plan: Plan, values: list[DealValue] | None
) -> dict[str, Any]:
    parties = plan.parties
    out: dict[str, Any] = {
        "parties": list(parties),
        "agreements": list(plan.agreements),
        "size": plan.space.size,
        "restricted": plan.restricted,
        "too_large": plan.too_large,
        "batna": {p: _r(evaluator.batna[p]) for p in parties},
    }
    if values is None:
        return {**out, "feasible": 0, "cloud": [], "frontier": [], "nash": None, "ks": None,
                "best_surplus": None, "deals": []}  # fmt: skip
    deals = plan.deals()
    rep = summarise(evaluator, plan.space, deals, values)
    front = [tuple(p.gains[t] for t in parties) for p in rep.frontier]

    def point(p: Any) -> dict[str, Any] | None:
        if p is None:
            return None
        return {"gains": [_r(p.gains[t]) for t in parties], "terms": _terms_json(p.terms)}

    cloud = sorted({tuple(_r(v.gain(t)) for t in parties) for v in values if v.ratifiable})
    step = max(1, math.ceil(len(cloud) / CLOUD_POINTS))
    best = max((sum(g) for g in front), default=0.0)
    out |= {
        "feasible": rep.feasible,
        "cloud": [list(g) for g in cloud[::step]],
        "frontier": [point(p) for p in sorted(rep.frontier, key=lambda p: p.gains[parties[0]])],
        "nash": point(rep.nash),
        "ks": point(rep.kalai_smorodinsky),
        "best_surplus": _r(best),
    }
    signed = []
    valued = []
    for ag_id in plan.agreements:
        terms = [_spec(t) for t in state.agreements[ag_id].terms if t.amount > 0]
        try:
            v = evaluator.value(
                [t.model_copy(update={"duration": evaluator.duration}) for t in terms]
            )
        except RuleError:
            signed.append({"agreement": ag_id, "valued": False})
            continue
        valued.append((ag_id, terms, v, tuple(v.gain(t) for t in parties)))
    # A signed deal off the scenario's levels (or one leaving a party a little under its
    # BATNA) may beat every feasible deal at them: what was signed was achievable, so the
    # best achievable includes it and efficiency never exceeds 1.
    for _id, _terms, v, gains in valued:
        if v.ratifiable:
            best = max(best, sum(gains))
    out["best_surplus"] = _r(best)
    for ag_id, terms, v, gains in valued:
        k = better_for_all(gains, front)
        better = None
        if k is not None:
            p = rep.frontier[k]
            better = {**(point(p) or {}), "changes": changes(terms, p.terms)}
        signed.append(
            {
                "agreement": ag_id,
                "valued": True,
                "ratifiable": v.ratifiable,
                "gains": [_r(g) for g in gains],
                "captured": _r(surplus(gains)),
                "efficiency": efficiency(surplus(gains), best),
                "distance": _r(distance(gains, front)),
                "on_frontier": not any(dominates(f, gains) for f in front),
                "better": better,
            }
        )
    out["deals"] = signed
    return out
