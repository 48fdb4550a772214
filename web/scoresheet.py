"""The private scoresheet: what a proposal is worth to one team, and what its decisions
would do this round, computed only from what that team may know.

Every figure here comes from `game_rules.views.known_state(state, team)` (the state with
every other team's secrets replaced by public or neutral stand-ins; secrecy lives there)
and the deal-space evaluator (`game_rules.dealspace.Evaluator`) run on it. Nothing here
reads the true state: the server hands over the known state only.

A sheet is cached per (digest of the known state, terms): typing in the builder asks for
one a keystroke pause, and the same terms come back often (a term typed, then removed).
Pure apart from the cache (no I/O, no clock).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from game_rules.actions import Actor, AdvancePhase, Implement, TermSpec
from game_rules.dealspace import Evaluator
from game_rules.errors import UnknownObject
from game_rules.model import objective_value
from game_rules.rulebook import decision_cost
from game_rules.rules import default_decision, fit_to_budget, perform
from game_rules.scenario import Direction, Objective
from game_rules.state import Decision, GameState, Phase, RoundRecord
from web.i18n import N_

UNITS: dict[str, str] = {
    # What one unit of an indicator is, as a player reads it (through `_` in the template).
    "irregular_arrivals": N_("people a round"),
    "legal_migrants": N_("people a round"),
    "legal_workers": N_("workers a round"),
    "forced_returns": N_("people a round"),
    "migrant_deaths": N_("deaths a round"),
    "stranded_total": N_("people"),
    "return_rate": N_("%"),
    "labour_filled": N_("%"),
    "support": N_("%"),
    "border_guard": N_("enforcement for others, 0–100"),
    "visa_level": N_("level 0–3"),
    "youth_opportunity": N_("%"),
    "refugee_livelihood_mean": N_("%"),
    "remittances": N_("€m a round"),
    "spending": N_("€m a round"),
    "trade_income": N_("€m a round"),
    "funding_received": N_("€m a round"),
    "hosting_burden": N_("€m a round"),
}


@dataclass(frozen=True)
class Line:
    """One objective of the mandate: the points it adds to the game score with the deal,
    against no deal, and its indicator's mean over the rounds the deal runs."""

    indicator: str
    weight: float
    higher_is_better: bool
    points: float
    with_deal: float
    without: float

    @property
    def better(self) -> bool:
        return self.points > 0.05

    @property
    def worse(self) -> bool:
        return self.points < -0.05


@dataclass(frozen=True)
class Sheet:
    """What a deal is worth to one team if every party honours it to the end."""

    team: str
    round: int
    """The round the deal would be signed in."""
    rounds: int
    """The rounds it runs over (the signing round to the last); never shown, since a
    scenario may hide the number of rounds."""
    score: float
    batna: float
    ratifiable: bool
    empty: bool
    lines: tuple[Line, ...]
    other: float
    """Points no objective of today's mandate explains: a new government's priorities."""

    @property
    def gain(self) -> float:
        return self.score - self.batna


@dataclass(frozen=True)
class Preview:
    """This round's decisions, resolved from what the team may know: their cost, and the
    team's indicators and round score with them and without changes (the decisions in
    force: those submitted, else the defaults). `Line.with_deal` is with these
    decisions, `Line.without` without changes."""

    team: str
    cost: float
    treasury: float
    lines: tuple[Line, ...]
    round_score: float
    unchanged_score: float

    @property
    def over_budget(self) -> bool:
        return self.cost > self.treasury + 1e-6


# --- the cache --------------------------------------------------------------------------

_T = TypeVar("_T")


class _Lru:
    """A small thread-safe LRU (the server computes sheets in worker threads)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[object, object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: object, make: Callable[[], _T]) -> _T:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]  # type: ignore[return-value]
        value = make()  # outside the lock: two threads may compute it, neither waits
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_EVALUATORS = _Lru(32)
_SHEETS = _Lru(1024)


def digest(known: GameState) -> str:
    """What a team knows, as a key: equal for two states it cannot tell apart (the
    version, bumped by others' unseen acts, is left out)."""
    text = known.model_dump_json(exclude={"version"})
    return hashlib.blake2b(text.encode(), digest_size=20).hexdigest()


def _terms_key(terms: Sequence[TermSpec]) -> tuple[str, ...]:
    return tuple(sorted(t.model_dump_json() for t in terms if t.amount > 0))


def clear_cache() -> None:
    _EVALUATORS.clear()
    _SHEETS.clear()


# --- the scoresheet of a deal ------------------------------------------------------------


def sheet(known: GameState, team: str, terms: Sequence[TermSpec], key: str | None = None) -> Sheet:
    """What `terms` are worth to `team`, from `known` (`views.known_state(state, team)`:
    the caller builds it; this module never sees the true state). `key`: `digest(known)`
    if the caller has it. Raises the rules' error for terms the rules refuse, ValueError
    when no round is left to sign in."""
    key = key or digest(known)
    evaluator = _EVALUATORS.get(key, lambda: Evaluator(known))
    return _SHEETS.get((key, team, _terms_key(terms)), lambda: _sheet(evaluator, team, terms))


def _sheet(evaluator: Evaluator, team: str, terms: Sequence[TermSpec]) -> Sheet:
    value, run = evaluator.play(terms, durations=True)
    mandate = evaluator.base.teams[team].mandate
    lines = tuple(
        _line(o, team, run.history, evaluator.batna_run.history, evaluator.round) for o in mandate
    )
    gain = value.gain(team)
    return Sheet(
        team=team,
        round=evaluator.round,
        rounds=evaluator.duration,
        score=value.scores[team],
        batna=value.batna[team],
        ratifiable=value.ratifiable,
        empty=not any(t.amount > 0 for t in terms),
        lines=lines,
        other=gain - sum(line.points for line in lines),
    )


def _contribution(o: Objective, team: str, history: Sequence[RoundRecord]) -> float:
    """The points `o` adds to the game score (the mean of the round scores)."""
    if not history:
        return 0.0
    total = sum(
        o.weight * objective_value(o, rec.indicators[team].get(o.indicator, 0.0)) for rec in history
    )
    return 100.0 * total / len(history)


def _mean_from(o: Objective, team: str, history: Sequence[RoundRecord], start: int) -> float:
    values = [rec.indicators[team].get(o.indicator, 0.0) for rec in history if rec.round >= start]
    return sum(values) / len(values) if values else 0.0


def _line(
    o: Objective,
    team: str,
    deal: Sequence[RoundRecord],
    batna: Sequence[RoundRecord],
    start: int,
) -> Line:
    return Line(
        indicator=o.indicator,
        weight=o.weight,
        higher_is_better=o.direction is Direction.higher_is_better,
        points=_contribution(o, team, deal) - _contribution(o, team, batna),
        with_deal=_mean_from(o, team, deal, start),
        without=_mean_from(o, team, batna, start),
    )


# --- the decision form's preview ---------------------------------------------------------


def preview(known: GameState, team: str, action: Implement) -> Preview:
    """The round resolved with `action` as `team`'s decisions and every other team's
    defaults, from `known` (`views.known_state`). The cost is the rules' own
    (`decision_cost`); decisions over budget are refused on submit, so the preview says
    so and resolves them as the rules would fit them to the treasury."""
    key = (digest(known), team, action.model_dump_json())
    return _SHEETS.get(key, lambda: _preview(known, team, action))


def _resolved(known: GameState, team: str, decision: Decision | None) -> RoundRecord:
    """This round resolved from `known` with `decision` as `team`'s (None: the decision
    in force, submitted or default) and every other team's defaults."""
    s = known.model_copy(deep=True)
    s.paused = False
    if decision is not None:
        s.teams[team].decision = fit_to_budget(s, team, decision)
    for tid, other in s.teams.items():
        if other.decision is None:
            other.decision = default_decision(s, tid)
    perform(s, Actor.facilitator(), AdvancePhase())
    return s.history[-1]


def _preview(known: GameState, team: str, action: Implement) -> Preview:
    if known.phase is not Phase.implementation:
        raise ValueError("decisions are previewed in the implementation phase")
    live = {t.id for _ag, t in known.live_terms() if t.giver == team}
    unknown = sorted(set(action.compliance) - live)
    if unknown:
        raise UnknownObject(f"your team has no commitment {unknown[0]!r} this round")
    decision = Decision(compliance=dict(action.compliance), policies=action.policies)
    mine = _resolved(known, team, decision)
    unchanged = _resolved(known, team, None)
    lines = tuple(
        _line(o, team, [mine], [unchanged], known.round) for o in known.teams[team].mandate
    )
    return Preview(
        team=team,
        cost=decision_cost(known, team, decision),
        treasury=known.teams[team].treasury,
        lines=lines,
        round_score=mine.scores[team],
        unchanged_score=unchanged.scores[team],
    )
