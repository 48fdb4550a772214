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
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from game_rules.actions import Actor, AdvancePhase, StartGame
from game_rules.analytics import game_scores, no_agreement_run
from game_rules.bots import STRATEGIES, Strategy
from game_rules.dealspace import DealSpaceReport, issues_between
from game_rules.rules import fit_to_budget, new_game, perform
from game_rules.scenario import Scenario
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


Verdict = Literal["pass", "fail", "unproven"]


@dataclass
class GoalResult:
    """A teaching goal's verdict. `unproven`: the sample lacks what the goal needs (the
    pairings, the deal space): never a pass."""

    id: str
    verdict: Verdict
    detail: str

    @property
    def passed(self) -> bool:
        return self.verdict == "pass"


def _verdict(ok: bool) -> Verdict:
    return "pass" if ok else "fail"


NARROW_ZONE_SHARE = 0.10
"""At most this share of the deal space may be feasible (FACTS.md: narrow, not empty)."""


def check_goals(
    scenario: Scenario,
    records: list[GameRecord],
    legal_only_ratio: float | None,
    zone: Sequence[DealSpaceReport] | None = None,
) -> list[GoalResult]:
    """The checks of the scenario's stated goals, on score per opponent set.

    `zone` holds the deal-space reports of the negotiating pairs (for `narrow_zone`).
    """
    results: list[GoalResult] = []
    wanted = {g.id for g in scenario.teaching_goals}
    teams = [t.id for t in scenario.teams]
    if "zone_of_agreement" in wanted:
        results.append(_zone_of_agreement(records, teams))
    if "pressure_does_not_pay" in wanted:
        results.append(_pressure_does_not_pay(scenario, records, teams))
    if "no_dominant_strategy" in wanted:
        results.append(_no_dominant_strategy(records, teams))
    if "legal_pathways_not_enough" in wanted:
        if legal_only_ratio is None:
            results.append(
                GoalResult("legal_pathways_not_enough", "unproven", "no legal-pathways run")
            )
        else:
            results.append(
                GoalResult(
                    "legal_pathways_not_enough",
                    _verdict(legal_only_ratio > 0.75),
                    f"the widest legal pathways alone leave {legal_only_ratio:.0%} of "
                    f"irregular arrivals (must stay above 75 %)",
                )
            )
    if "narrow_zone" in wanted:
        results.append(narrow_zone(zone))
    return results


def _zone_of_agreement(records: list[GameRecord], teams: list[str]) -> GoalResult:
    coop = [r for r in records if all(s in COOPERATIVE for s in r.strategies.values())]
    seen = {tuple(r.strategies[t] for t in teams) for r in coop}
    need = len(COOPERATIVE) ** len(teams)
    if len(seen) < need:
        return GoalResult(
            "zone_of_agreement",
            "unproven",
            f"cooperative bots in every seat met in {len(seen)} of their {need} pairings: "
            f"play more games",
        )
    gains = {t: statistics.fmean(r.scores[t] - r.batna[t] for r in coop) for t in teams}
    below = sum(1 for r in records if any(r.scores[t] < r.batna[t] for t in teams))
    return GoalResult(
        "zone_of_agreement",
        _verdict(all(g > 0 for g in gains.values())),
        f"with cooperative bots ({len(coop)} games) mean gain per team: "
        + ", ".join(f"{t} {g:+.1f}" for t, g in gains.items())
        + f"; {below / len(records):.0%} of all games leave some team below its BATNA",
    )


def _by_opponents(
    records: list[GameRecord], teams: list[str], team: str
) -> dict[tuple[str, ...], dict[str, list[GameRecord]]]:
    """The games of `team`, by the strategies of everyone else, then by its own."""
    out: dict[tuple[str, ...], dict[str, list[GameRecord]]] = {}
    for r in records:
        key = tuple(r.strategies[o] for o in teams if o != team)
        out.setdefault(key, {}).setdefault(r.strategies[team], []).append(r)
    return out


def _opponent_sets(teams: list[str]) -> int:
    return len(STRATEGY_NAMES) ** (len(teams) - 1)


def _pressure_does_not_pay(
    scenario: Scenario, records: list[GameRecord], teams: list[str]
) -> GoalResult:
    """Every team with a coercive tool scores less as a hardliner than as a reciprocator
    against every set of opponents (its gain over its BATNA is shown beside)."""
    coercers = [t.id for t in scenario.teams if t.coercive_tools]
    if not coercers:
        return GoalResult(
            "pressure_does_not_pay", "pass", "no coercion: no team has a coercive tool"
        )
    parts: list[str] = []
    missing: list[str] = []
    ok = True
    for team in coercers:
        groups = _by_opponents(records, teams, team)
        compared = [g for g in groups.values() if "hardliner" in g and "reciprocator" in g]
        if len(compared) < _opponent_sets(teams):
            missing.append(f"{team} ({len(compared)} of {_opponent_sets(teams)} opponent sets)")
            continue
        wins = 0
        hard_score, recip_score, hard_gain, recip_gain = [], [], [], []
        for g in compared:
            h = statistics.fmean(r.scores[team] for r in g["hardliner"])
            rc = statistics.fmean(r.scores[team] for r in g["reciprocator"])
            wins += h >= rc
            hard_score.append(h)
            recip_score.append(rc)
            hard_gain.append(
                statistics.fmean(r.scores[team] - r.batna[team] for r in g["hardliner"])
            )
            recip_gain.append(
                statistics.fmean(r.scores[team] - r.batna[team] for r in g["reciprocator"])
            )
        ok = ok and wins == 0
        parts.append(
            f"{team}: hardliner score {statistics.fmean(hard_score):.1f} vs reciprocator "
            f"{statistics.fmean(recip_score):.1f}, at least as good in {wins} of "
            f"{len(compared)} opponent sets (gain {statistics.fmean(hard_gain):+.1f} vs "
            f"{statistics.fmean(recip_gain):+.1f})"
        )
    if missing:
        return GoalResult(
            "pressure_does_not_pay",
            "unproven",
            "hardliner and reciprocator not both played against every set of opponents: "
            + ", ".join(missing)
            + (f"; {'; '.join(parts)}" if parts else ""),
        )
    return GoalResult("pressure_does_not_pay", _verdict(ok), "; ".join(parts))


def dominant_strategies(
    records: list[GameRecord], teams: list[str]
) -> tuple[list[tuple[str, str, int, int]], list[str]]:
    """(team, strategy, opponent sets it is best in, all opponent sets) for every strategy
    that scores strictly best in more than half of its team's opponent sets; and the
    teams whose sample lacks some opponent set, or some strategy in one."""
    found: list[tuple[str, str, int, int]] = []
    incomplete: list[str] = []
    need = _opponent_sets(teams)
    for team in teams:
        groups = _by_opponents(records, teams, team)
        complete = [g for g in groups.values() if all(s in g for s in STRATEGY_NAMES)]
        best: dict[str, int] = dict.fromkeys(STRATEGY_NAMES, 0)
        for g in complete:
            means = {s: statistics.fmean(r.scores[team] for r in g[s]) for s in STRATEGY_NAMES}
            top = max(means.values())
            leaders = [s for s, v in means.items() if v == top]
            if len(leaders) == 1:
                best[leaders[0]] += 1
        # Best in more than half of all the opponent sets: proven even if some are missing.
        for strat, n in best.items():
            if n * 2 > need:
                found.append((team, strat, n, need))
        if len(complete) < need:
            incomplete.append(f"{team} ({len(complete)} of {need} opponent sets)")
    return found, incomplete


def _no_dominant_strategy(records: list[GameRecord], teams: list[str]) -> GoalResult:
    dominant, incomplete = dominant_strategies(records, teams)
    if dominant:
        # A strategy best in most opponent sets already seen fails, whatever is missing.
        return GoalResult(
            "no_dominant_strategy",
            "fail",
            "dominant (best in more than half of the opponent sets): "
            + ", ".join(f"{t}={s} ({n} of {k})" for t, s, n, k in dominant),
        )
    if incomplete:
        return GoalResult(
            "no_dominant_strategy",
            "unproven",
            "every strategy must meet every set of opponents: missing for "
            + ", ".join(incomplete)
            + f"; play at least {len(STRATEGY_NAMES) ** len(teams):,} games",
        )
    return GoalResult(
        "no_dominant_strategy",
        "pass",
        "no strategy scores best in more than half of the opponent sets for any team",
    )


def narrow_zone(zone: Sequence[DealSpaceReport] | None) -> GoalResult:
    """The zone of agreement exists but is narrow: at most a tenth of the deal space is
    feasible, some deal is, and some team's favourite deal leaves a partner below its
    BATNA (conflict, not a shared wish list). Over every negotiating pair together."""
    if not zone:
        return GoalResult("narrow_zone", "unproven", "no deal space was analysed")
    size = sum(r.size for r in zone)
    feasible = sum(r.feasible for r in zone)
    share = feasible / size if size else 0.0
    conflicts = [c for r in zone for c in r.conflicts()]
    ok = feasible > 0 and share <= NARROW_ZONE_SHARE and bool(conflicts)
    pairs = "; ".join(
        f"{'+'.join(r.parties)} {r.feasible}/{r.size} ({r.feasible_share:.0%})" for r in zone
    )
    conflict = (
        ", ".join(f"{a}'s favourite is below {b}'s BATNA" for a, b in conflicts[:4])
        if conflicts
        else "no team's favourite deal hurts a partner (a shared wish list)"
    )
    return GoalResult(
        "narrow_zone",
        _verdict(ok),
        f"{feasible:,} of {size:,} deals feasible ({share:.1%}, must be above 0 and at most "
        f"{NARROW_ZONE_SHARE:.0%}): {pairs}; {conflict}",
    )


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
    system = Actor.system()
    perform(state, Actor.facilitator(), StartGame())
    if legal:
        terms: list[Term] = []
        for c in scenario.corridors:
            for issue in issues_between(scenario, c.destination, c.origin):
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
