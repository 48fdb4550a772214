"""Balance: many bot games across every pairing of strategies to roles, and the checks
that a scenario teaches what it claims (its `teaching_goals`).

Pure: `play_one` plays one game and returns a small record; `summarise` and `check_goals`
aggregate records. The CLI spreads `play_one` over processes and shows progress.
"""

from __future__ import annotations

import itertools
import math
import random
import statistics
from dataclasses import asdict, dataclass, field
from typing import Any

from game_rules.actions import Actor, AdvancePhase, StartGame
from game_rules.analytics import game_scores, no_agreement_run
from game_rules.bots import STRATEGIES, Strategy, issues_between, public_rules
from game_rules.rules import fit_to_budget, new_game, perform
from game_rules.scenario import Scenario, TeamType
from game_rules.simulate import play_bot_game
from game_rules.state import (
    Agreement,
    AgreementStatus,
    Decision,
    GameState,
    Phase,
    Term,
)

STRATEGY_NAMES = tuple(STRATEGIES)
COOPERATIVE = ("conceder", "reciprocator")


def pairings(scenario: Scenario) -> list[tuple[str, ...]]:
    """Every assignment of a strategy to each team, in a fixed order."""
    return list(itertools.product(STRATEGY_NAMES, repeat=len(scenario.teams)))


def schedule(scenario: Scenario, games: int, seed: int) -> list[tuple[int, tuple[str, ...]]]:
    """`games` (seed, pairing) jobs cycling through all pairings; seeds derived from `seed`."""
    all_pairings = pairings(scenario)
    r = random.Random(f"balance:{scenario.id}:{seed}")
    order = list(range(len(all_pairings)))
    jobs = []
    for i in range(games):
        if i % len(order) == 0:
            r.shuffle(order)
        jobs.append((r.randrange(2**31), all_pairings[order[i % len(order)]]))
    return jobs


@dataclass
class GameRecord:
    seed: int
    strategies: dict[str, str]
    scores: dict[str, float]
    batna: dict[str, float]
    agreements: dict[str, int]
    compliance: dict[str, float]
    falls: dict[str, int]
    coercion: dict[str, int]
    arrivals: float
    arrivals_no_deal: float
    deaths: float


def play_one(scenario: Scenario, seed: int, pairing: tuple[str, ...]) -> GameRecord:
    teams = [t.id for t in scenario.teams]
    r = random.Random(f"params:{seed}")
    strategies: dict[str, Strategy] = {
        t: STRATEGIES[name].with_noise(r) for t, name in zip(teams, pairing, strict=True)
    }
    state = play_bot_game(scenario, seed, strategies).state
    cf = no_agreement_run(state)
    scores, batna = game_scores(state), game_scores(cf)
    given: dict[str, list[float]] = {t: [] for t in teams}
    for rec in state.compliance:
        if not rec.suspended:
            given[rec.giver].append(rec.true_compliance)
    return GameRecord(
        seed=seed,
        strategies=dict(zip(teams, pairing, strict=True)),
        scores=scores,
        batna=batna,
        agreements={
            t: sum(1 for ag in state.agreements.values() if t in ag.parties) for t in teams
        },
        compliance={t: (statistics.fmean(v) if v else math.nan) for t, v in given.items()},
        falls={t: state.teams[t].government - 1 for t in teams},
        coercion={t: state.teams[t].coercion_used for t in teams},
        arrivals=_total(state, "arrived"),
        arrivals_no_deal=_total(cf, "arrived"),
        deaths=_total(state, "died"),
    )


def _total(state: GameState, outcome: str) -> float:
    return float(sum(getattr(f, outcome) for rec in state.history for f in rec.corridors.values()))


def record_to_dict(rec: GameRecord) -> dict[str, Any]:
    return asdict(rec)


@dataclass
class Cell:
    """One team played by one strategy, over the games where it was."""

    games: int = 0
    score: list[float] = field(default_factory=list)
    gain: list[float] = field(default_factory=list)
    agreements: list[float] = field(default_factory=list)
    compliance: list[float] = field(default_factory=list)
    falls: list[float] = field(default_factory=list)
    coercion: list[float] = field(default_factory=list)

    def row(self) -> dict[str, float]:
        def mean(xs: list[float]) -> float:
            xs = [x for x in xs if not math.isnan(x)]
            return statistics.fmean(xs) if xs else math.nan

        def sd(xs: list[float]) -> float:
            return statistics.pstdev(xs) if len(xs) > 1 else 0.0

        return {
            "games": self.games,
            "score_mean": mean(self.score),
            "score_sd": sd(self.score),
            "gain_mean": mean(self.gain),
            "gain_sd": sd(self.gain),
            "agreement_rate": mean([1.0 if a > 0 else 0.0 for a in self.agreements]),
            "compliance": mean(self.compliance),
            "government_falls": mean(self.falls),
            "coercion_used": mean(self.coercion),
        }


def summarise(records: list[GameRecord]) -> dict[str, dict[str, dict[str, float]]]:
    """Per team, per strategy: the table of the issue (mean and spread, rates)."""
    cells: dict[str, dict[str, Cell]] = {}
    for rec in records:
        for team, strat in rec.strategies.items():
            cell = cells.setdefault(team, {}).setdefault(strat, Cell())
            cell.games += 1
            cell.score.append(rec.scores[team])
            cell.gain.append(rec.scores[team] - rec.batna[team])
            cell.agreements.append(rec.agreements[team])
            cell.compliance.append(rec.compliance[team])
            cell.falls.append(rec.falls[team])
            cell.coercion.append(rec.coercion[team])
    return {
        team: {strat: cell.row() for strat, cell in sorted(by.items())}
        for team, by in cells.items()
    }


@dataclass
class GoalResult:
    id: str
    passed: bool
    detail: str


def check_goals(
    scenario: Scenario, records: list[GameRecord], legal_only_ratio: float | None
) -> list[GoalResult]:
    """The four checks every shipped scenario must pass (issue 5), for its stated goals."""
    results: list[GoalResult] = []
    wanted = {g.id for g in scenario.teaching_goals}
    teams = [t.id for t in scenario.teams]
    if "zone_of_agreement" in wanted:
        coop = [r for r in records if all(s in COOPERATIVE for s in r.strategies.values())]
        if not coop:
            # Too few games to meet every cooperative pairing: unproven is a failure.
            results.append(
                GoalResult(
                    "zone_of_agreement",
                    False,
                    "no game had cooperative bots in every seat: play more games",
                )
            )
        else:
            gains = {t: statistics.fmean(r.scores[t] - r.batna[t] for r in coop) for t in teams}
            results.append(
                GoalResult(
                    "zone_of_agreement",
                    all(g > 0 for g in gains.values()),
                    f"with cooperative bots ({len(coop)} games) mean gain per team: "
                    + ", ".join(f"{t} {g:+.1f}" for t, g in gains.items()),
                )
            )
    if "pressure_does_not_pay" in wanted:
        parts, ok = [], True
        for t in scenario.teams:
            if not t.coercive_tools:
                continue
            hard = [
                r.scores[t.id] - r.batna[t.id] for r in records if r.strategies[t.id] == "hardliner"
            ]
            recip = [
                r.scores[t.id] - r.batna[t.id]
                for r in records
                if r.strategies[t.id] == "reciprocator"
            ]
            if not hard or not recip:
                continue
            h, rc = statistics.fmean(hard), statistics.fmean(recip)
            ok = ok and h < rc
            parts.append(f"{t.id}: hardliner {h:+.1f} vs reciprocator {rc:+.1f}")
        results.append(GoalResult("pressure_does_not_pay", ok, "; ".join(parts) or "no coercion"))
    if "no_dominant_strategy" in wanted:
        dominant = _dominant(records, teams)
        results.append(
            GoalResult(
                "no_dominant_strategy",
                not dominant,
                "dominant: " + ", ".join(f"{t}={s}" for t, s in dominant)
                if dominant
                else "no strategy is best for a role against every combination of opponents",
            )
        )
    if "legal_pathways_not_enough" in wanted and legal_only_ratio is not None:
        ok = legal_only_ratio > 0.75
        results.append(
            GoalResult(
                "legal_pathways_not_enough",
                ok,
                f"the widest legal pathways alone leave {legal_only_ratio:.0%} of irregular "
                f"arrivals (must stay above 75 %)",
            )
        )
    return results


def _dominant(records: list[GameRecord], teams: list[str]) -> list[tuple[str, str]]:
    """(team, strategy) pairs that score best against every combination of opponents."""
    found = []
    for team in teams:
        by_opponents: dict[tuple[str, ...], dict[str, list[float]]] = {}
        for r in records:
            key = tuple(r.strategies[o] for o in teams if o != team)
            by_opponents.setdefault(key, {}).setdefault(r.strategies[team], []).append(
                r.scores[team]
            )
        for strat in STRATEGY_NAMES:
            wins = 0
            for results in by_opponents.values():
                if len(results) < len(STRATEGY_NAMES):
                    break
                means = {s: statistics.fmean(v) for s, v in results.items()}
                if means[strat] > max(v for s, v in means.items() if s != strat):
                    wins += 1
            if by_opponents and wins == len(by_opponents):
                found.append((team, strat))
    return found


def legal_pathways_only(scenario: Scenario, seed: int) -> tuple[float, float]:
    """Irregular arrivals without agreements, and with the widest legal pathways alone.

    Every destination grants every origin of its corridors visa-free travel and the
    largest labour pathway with skills training, honoured in full; nothing else changes.
    """
    base = _scripted_run(scenario, seed, legal=False)
    wide = _scripted_run(scenario, seed, legal=True)
    return _total(base, "arrived"), _total(wide, "arrived")


def _scripted_run(scenario: Scenario, seed: int, *, legal: bool) -> GameState:
    state = new_game(scenario, seed)
    rules = public_rules(scenario)
    system = Actor.system()
    perform(state, Actor.facilitator(), StartGame())
    if legal:
        terms: list[Term] = []
        for c in scenario.corridors:
            for issue in issues_between(rules, c.destination, c.origin):
                if issue.giver != c.destination or issue.type.value not in (
                    "visa_facilitation",
                    "labour_pathway",
                ):
                    continue
                terms.append(
                    Term(
                        id=state.next_id("t"),
                        type=issue.type,
                        giver=issue.giver,
                        receiver=issue.receiver,
                        amount=issue.levels[-1],
                        duration=scenario.rounds,
                        rounds_left=scenario.rounds,
                        skills_training=issue.skills_training,
                    )
                )
        if terms:
            ag_id = state.next_id("a")
            state.agreements[ag_id] = Agreement(
                id=ag_id,
                proposal_id="p0",
                parties=sorted({t.giver for t in terms} | {t.receiver for t in terms}),
                terms=terms,
                signed_round=1,
            )
    while state.phase is not Phase.ended:
        if state.phase is Phase.implementation:
            for tid, team in state.teams.items():
                team.decision = fit_to_budget(
                    state,
                    tid,
                    Decision(
                        compliance={
                            t.id: 100.0
                            for ag in state.agreements.values()
                            if ag.status is AgreementStatus.active
                            for t in ag.terms
                            if t.giver == tid
                        },
                        policies=team.policies,
                    ),
                )
        perform(state, system, AdvancePhase())
    return state


def has_origin_destination_pair(scenario: Scenario) -> bool:
    types = {t.type for t in scenario.teams}
    return TeamType.origin in types and TeamType.destination in types
