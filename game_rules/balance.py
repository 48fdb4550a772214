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
    sets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Per team, each opponent set's verdict with its sample sizes (`SetVerdict.to_json`)."""

    @property
    def passed(self) -> bool:
        return self.verdict == "pass"


def _verdict(ok: bool) -> Verdict:
    return "pass" if ok else "fail"


NARROW_ZONE_SHARE = 0.10
"""At most this share of the deal space may be feasible (FACTS.md: narrow, not empty)."""
BELOW_BATNA_SHARE = 0.10
"""At least this share of bot games leave some team below its BATNA (issue 8): a zone of
agreement is something to find, not something every signature lands in."""
MIN_GAMES = 5
"""Games a strategy must have played against one set of opponents before that set is
compared at all. Within a set a team's score spreads by 2-6 points from game to game
(event draws, the strategies' noise), as much as strategies differ: a set with one or two
games a strategy (the full table at 1,000 games: 729 assignments) says nothing. Fewer:
the set is `unmeasured`, and a goal that needs it is unproven."""
CLEAR_SE = 2.0
"""A lead is clear when it exceeds this many standard errors of the difference of the two
means (about 95 %). `pressure_does_not_pay` counts every lead on the means (a hardliner
even level with the reciprocator fails it); `no_dominant_strategy` counts only clear
ones: a set whose two best strategies are level within the noise has no single best.
Counting unclear leads there would contradict the pressure goal by arithmetic: with three
strategies a team meets an odd number of opponent sets (3, 9, 243), so once the hardliner
is behind the reciprocator in each, the reciprocator or the conceder leads in more than
half of them, however close they are."""


@dataclass(frozen=True)
class SetVerdict:
    """One team's strategies against one set of opponents."""

    opponents: tuple[str, ...]
    games: dict[str, int]
    means: dict[str, float]
    ses: dict[str, float]
    """Standard error of each mean (sample standard deviation over the square root of n)."""

    @property
    def measured(self) -> bool:
        return all(n >= MIN_GAMES for n in self.games.values())

    def lead(self, a: str, b: str) -> tuple[float, float]:
        """Mean of `a` minus mean of `b`, and the standard error of that difference."""
        return self.means[a] - self.means[b], math.hypot(self.ses[a], self.ses[b])

    def leader(self) -> tuple[str | None, bool]:
        """The strategy with the strictly highest mean (None on a tie), and whether its
        lead over the runner-up is clear (more than CLEAR_SE standard errors)."""
        ranked = sorted(self.means, key=lambda s: self.means[s], reverse=True)
        if len(ranked) < 2 or self.means[ranked[0]] == self.means[ranked[1]]:
            return None, False
        margin, se = self.lead(ranked[0], ranked[1])
        return ranked[0], margin > CLEAR_SE * se

    def to_json(self) -> dict[str, Any]:
        leader, clear = self.leader() if self.measured else (None, False)
        return {
            "opponents": list(self.opponents),
            "games": dict(self.games),
            "means": {s: round(v, 2) for s, v in self.means.items()},
            "measured": self.measured,
            "best": leader,
            "clear": clear,
        }


def opponent_sets(
    records: list[GameRecord], teams: list[str], team: str, strategies: Sequence[str]
) -> list[SetVerdict]:
    """Every set of opponents' strategies `team` can meet (played or not), with the
    games, mean scores and their standard errors of each of `strategies` against it."""
    groups = _by_opponents(records, teams, team)
    out: list[SetVerdict] = []
    for key in itertools.product(STRATEGY_NAMES, repeat=len(teams) - 1):
        g = groups.get(key, {})
        games: dict[str, int] = {}
        means: dict[str, float] = {}
        ses: dict[str, float] = {}
        for strat in strategies:
            xs = [r.scores[team] for r in g.get(strat, [])]
            games[strat] = len(xs)
            if xs:
                means[strat] = statistics.fmean(xs)
                ses[strat] = statistics.stdev(xs) / math.sqrt(len(xs)) if len(xs) > 1 else math.inf
        out.append(SetVerdict(key, games, means, ses))
    return out


def _cells(sets: list[SetVerdict]) -> str:
    """The range of games a cell (strategy x opponent set) has, for a goal's detail."""
    counts = [n for v in sets for n in v.games.values()]
    return f"{min(counts)}-{max(counts)}" if counts else "0"


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
    """Cooperative bots (conceders and reciprocators in every seat) gain over their
    BATNAs, every team clearly; and some games (at least BELOW_BATNA_SHARE) leave a team
    below its BATNA. Unproven while a cooperative pairing has fewer than MIN_GAMES games
    or a gain is within the noise."""
    coop = [r for r in records if all(s in COOPERATIVE for s in r.strategies.values())]
    counts: dict[tuple[str, ...], int] = dict.fromkeys(
        itertools.product(COOPERATIVE, repeat=len(teams)), 0
    )
    for r in coop:
        counts[tuple(r.strategies[t] for t in teams)] += 1
    short = sum(1 for n in counts.values() if n < MIN_GAMES)
    if short:
        return GoalResult(
            "zone_of_agreement",
            "unproven",
            f"{short} of the {len(counts)} pairings of cooperative bots have fewer than "
            f"{MIN_GAMES} games ({min(counts.values())}-{max(counts.values())} each): "
            f"play at least {MIN_GAMES * len(STRATEGY_NAMES) ** len(teams):,} games",
        )
    gains = {t: [r.scores[t] - r.batna[t] for r in coop] for t in teams}
    mean = {t: statistics.fmean(g) for t, g in gains.items()}
    se = {t: statistics.stdev(g) / math.sqrt(len(g)) for t, g in gains.items()}
    below = sum(1 for r in records if any(r.scores[t] < r.batna[t] for t in teams))
    share = below / len(records)
    unclear = [t for t in teams if abs(mean[t]) < CLEAR_SE * se[t]]
    ok = all(g > 0 for g in mean.values()) and share >= BELOW_BATNA_SHARE
    return GoalResult(
        "zone_of_agreement",
        _verdict(ok),
        f"with cooperative bots ({len(coop)} games, {min(counts.values())}-"
        f"{max(counts.values())} a pairing) mean gain per team: "
        + ", ".join(f"{t} {mean[t]:+.1f} ± {se[t]:.1f}" for t in teams)
        + (f" (within the noise: {', '.join(unclear)})" if unclear else "")
        + f"; {share:.0%} of all games leave some team below its BATNA (must be at least "
        f"{BELOW_BATNA_SHARE:.0%})",
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


def _pressure_does_not_pay(
    scenario: Scenario, records: list[GameRecord], teams: list[str]
) -> GoalResult:
    """Every team with a coercive tool scores less as a hardliner than as a reciprocator
    against every set of opponents (its gain over its BATNA is shown beside).

    Fails on a measured set (MIN_GAMES of each) where the hardliner's mean is at least
    the reciprocator's; passes when every set is measured and it is behind in each;
    otherwise unproven (some set unmeasured)."""
    coercers = [t.id for t in scenario.teams if t.coercive_tools]
    if not coercers:
        return GoalResult(
            "pressure_does_not_pay", "pass", "no coercion: no team has a coercive tool"
        )
    parts: list[str] = []
    per_team: dict[str, list[dict[str, Any]]] = {}
    failed = unmeasured = False
    for team in coercers:
        sets = opponent_sets(records, teams, team, ("hardliner", "reciprocator"))
        per_team[team] = [v.to_json() for v in sets]
        measured = [v for v in sets if v.measured]
        as_good = clearly = 0
        for v in measured:
            margin, se = v.lead("hardliner", "reciprocator")
            if margin >= 0:
                as_good += 1
                clearly += margin >= CLEAR_SE * se
        failed = failed or as_good > 0
        unmeasured = unmeasured or len(measured) < len(sets)
        hard = [r for r in records if r.strategies[team] == "hardliner"]
        recip = [r for r in records if r.strategies[team] == "reciprocator"]

        def mean(rs: list[GameRecord], gain: bool, team: str = team) -> float:
            return (
                statistics.fmean(r.scores[team] - (r.batna[team] if gain else 0) for r in rs)
                if rs
                else math.nan
            )

        parts.append(
            f"{team}: hardliner score {mean(hard, False):.1f} vs reciprocator "
            f"{mean(recip, False):.1f}, at least as good in {as_good} of {len(measured)} "
            f"measured opponent sets (clearly in {clearly}; {len(measured)} of {len(sets)} "
            f"measured, {_cells(sets)} games a cell; gain {mean(hard, True):+.1f} vs "
            f"{mean(recip, True):+.1f})"
        )
    verdict: Verdict = "fail" if failed else "unproven" if unmeasured else "pass"
    note = (
        f"; a set counts with at least {MIN_GAMES} games of each strategy: play at least "
        f"{MIN_GAMES * len(STRATEGY_NAMES) ** len(teams):,} games"
        if verdict == "unproven"
        else ""
    )
    return GoalResult("pressure_does_not_pay", verdict, "; ".join(parts) + note, per_team)


def dominant_strategies(
    records: list[GameRecord], teams: list[str]
) -> tuple[list[tuple[str, str, int, int]], list[str]]:
    """(team, strategy, measured opponent sets it is clearly best in, all opponent sets)
    for every strategy that scores clearly best (CLEAR_SE) in more than half of its
    team's opponent sets; and the teams whose sample leaves some opponent set unmeasured
    (MIN_GAMES)."""
    found: list[tuple[str, str, int, int]] = []
    incomplete: list[str] = []
    for team in teams:
        sets = opponent_sets(records, teams, team, STRATEGY_NAMES)
        best = dict.fromkeys(STRATEGY_NAMES, 0)
        for v in sets:
            if v.measured:
                leader, clear = v.leader()
                if leader is not None and clear:
                    best[leader] += 1
        for strat, n in best.items():
            if n * 2 > len(sets):
                found.append((team, strat, n, len(sets)))
        measured = sum(1 for v in sets if v.measured)
        if measured < len(sets):
            incomplete.append(f"{team} ({measured} of {len(sets)} opponent sets)")
    return found, incomplete


def _no_dominant_strategy(records: list[GameRecord], teams: list[str]) -> GoalResult:
    """No strategy is clearly best (CLEAR_SE) in more than half of a team's opponent
    sets. Fails when one clearly leads in more than half of them among the measured
    (MIN_GAMES) sets, whatever the others would show; passes when every set is measured
    and none does; otherwise unproven. Leads within the noise are reported beside."""
    parts: list[str] = []
    per_team: dict[str, list[dict[str, Any]]] = {}
    dominant: list[str] = []
    unmeasured = False
    for team in teams:
        sets = opponent_sets(records, teams, team, STRATEGY_NAMES)
        per_team[team] = [v.to_json() for v in sets]
        measured = [v for v in sets if v.measured]
        unmeasured = unmeasured or len(measured) < len(sets)
        leads = dict.fromkeys(STRATEGY_NAMES, 0)
        clear = dict.fromkeys(STRATEGY_NAMES, 0)
        for v in measured:
            leader, is_clear = v.leader()
            if leader is not None:
                leads[leader] += 1
                clear[leader] += is_clear
        half = len(sets) / 2
        for strat in STRATEGY_NAMES:
            if clear[strat] > half:
                dominant.append(
                    f"{team}={strat} (clearly best in {clear[strat]} of {len(sets)}, ahead on "
                    f"the means in {leads[strat]})"
                )
        parts.append(
            f"{team}: best in "
            + ", ".join(f"{s} {leads[s]} ({clear[s]} clearly)" for s in STRATEGY_NAMES)
            + f" of {len(measured)} measured of {len(sets)} opponent sets ({_cells(sets)} "
            "games a cell)"
        )
    if dominant:
        verdict: Verdict = "fail"
        head = "dominant (clearly best in more than half of the opponent sets): " + ", ".join(
            dominant
        )
    elif unmeasured:
        verdict = "unproven"
        head = (
            f"some opponent sets have fewer than {MIN_GAMES} games of a strategy: play at "
            f"least {MIN_GAMES * len(STRATEGY_NAMES) ** len(teams):,} games"
        )
    else:
        verdict = "pass"
        head = "no strategy scores clearly best in more than half of the opponent sets for any team"
    return GoalResult("no_dominant_strategy", verdict, head + "; " + "; ".join(parts), per_team)


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
