"""Balance: many bot games across every pairing of strategies to roles, and the checks
that a scenario teaches what it claims (its `teaching_goals`).

Pure: `play_one` plays one game and returns a small record; `summarise` and `check_goals`
aggregate records; `remeasure` decides which cells to play again (sequential
re-measurement of the opponent sets within the noise) and leaves the playing to a function
it is given. The CLI spreads `play_one` over processes and shows progress.
"""

from __future__ import annotations

import itertools
import math
import random
import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
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
    extra_round: int = 0
    """0: a game of the first pass (the schedule cycling through every assignment); k > 0:
    a game re-played in round k of the re-measurement of the sets within the noise."""


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
means (about 95 % at one look; the re-measurement's repeated looks raise the chance that
a level set is called clear: docs/balance.md). A set within the noise is re-played
(`remeasure`) until it is clear or the budget is spent. Then `pressure_does_not_pay`
fails on a set where the hardliner is clearly as good or still at least level on the
means, and is unproven on one where it is behind only within the noise;
`no_dominant_strategy` counts only clear leads: a set whose two best strategies are level
within the noise has no single best.
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
    extra: dict[str, int] = field(default_factory=dict)
    """Of `games`, those re-played by the re-measurement (`GameRecord.extra_round` > 0)."""

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

    def contenders(self) -> set[str]:
        """The strategies not clearly behind the best mean: those more games could still
        make clearly best."""
        top = max(self.means.values())
        best = max(self.means, key=lambda s: self.means[s])
        return {
            s
            for s, m in self.means.items()
            if s == best or m == top or top - m < CLEAR_SE * math.hypot(self.ses[best], self.ses[s])
        }

    def pressure(self) -> PressureStatus:
        """The hardliner against the reciprocator in this set (`PressureStatus`)."""
        margin, se = self.lead("hardliner", "reciprocator")
        if margin >= CLEAR_SE * se:
            return "clearly_as_good"
        if margin < -CLEAR_SE * se:
            return "behind"
        return "ahead_on_mean" if margin >= 0 else "level"

    def to_json(self) -> dict[str, Any]:
        leader, clear = self.leader() if self.measured else (None, False)
        return {
            "opponents": list(self.opponents),
            "games": dict(self.games),
            "extra_games": {s: self.extra.get(s, 0) for s in self.games},
            "means": {s: round(v, 2) for s, v in self.means.items()},
            "measured": self.measured,
            "best": leader,
            "clear": clear,
        }


PressureStatus = Literal["behind", "level", "ahead_on_mean", "clearly_as_good"]
"""A hardliner against its team's reciprocator in one opponent set: `behind` by more than
CLEAR_SE standard errors; `clearly_as_good` (its lead is at least CLEAR_SE standard
errors); in between, within the noise, `level` when behind on the means and
`ahead_on_mean` when at least level on them."""


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
        extra: dict[str, int] = {}
        means: dict[str, float] = {}
        ses: dict[str, float] = {}
        for strat in strategies:
            xs = [r.scores[team] for r in g.get(strat, [])]
            games[strat] = len(xs)
            extra[strat] = sum(1 for r in g.get(strat, []) if r.extra_round > 0)
            if xs:
                means[strat] = statistics.fmean(xs)
                ses[strat] = statistics.stdev(xs) / math.sqrt(len(xs)) if len(xs) > 1 else math.inf
        out.append(SetVerdict(key, games, means, ses, extra))
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

    `records` may hold re-played games (`remeasure`): the per-set goals use every game,
    `zone_of_agreement` the first pass only. `zone` holds the deal-space reports of the
    negotiating pairs (for `narrow_zone`).
    """
    results: list[GoalResult] = []
    wanted = {g.id for g in scenario.teaching_goals}
    teams = [t.id for t in scenario.teams]
    if "zone_of_agreement" in wanted:
        # The first pass only: its assignments are balanced, the re-played cells are not.
        results.append(_zone_of_agreement([r for r in records if r.extra_round == 0], teams))
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

    Judged per measured set (MIN_GAMES of each) on `SetVerdict.pressure`, after the
    re-measurement of the sets within the noise (`remeasure`): fails on a set where the
    hardliner is clearly as good (CLEAR_SE) or, still within the noise, at least level on
    the means; passes when every set is measured and the hardliner is clearly behind in
    each; otherwise unproven (a set unmeasured, or behind only within the noise: `level`).
    The overall means beside are over the first pass, whose assignments are balanced."""
    coercers = [t.id for t in scenario.teams if t.coercive_tools]
    if not coercers:
        return GoalResult(
            "pressure_does_not_pay", "pass", "no coercion: no team has a coercive tool"
        )
    first = [r for r in records if r.extra_round == 0]
    parts: list[str] = []
    per_team: dict[str, list[dict[str, Any]]] = {}
    failed = unproven = False
    for team in coercers:
        sets = opponent_sets(records, teams, team, ("hardliner", "reciprocator"))
        measured = [v for v in sets if v.measured]
        per_team[team] = [
            v.to_json() | {"pressure": v.pressure() if v.measured else None} for v in sets
        ]
        status = Counter(v.pressure() for v in measured)
        failed = failed or status["clearly_as_good"] + status["ahead_on_mean"] > 0
        unproven = unproven or status["level"] > 0 or len(measured) < len(sets)
        hard = [r for r in first if r.strategies[team] == "hardliner"]
        recip = [r for r in first if r.strategies[team] == "reciprocator"]

        def mean(rs: list[GameRecord], gain: bool, team: str = team) -> float:
            return (
                statistics.fmean(r.scores[team] - (r.batna[team] if gain else 0) for r in rs)
                if rs
                else math.nan
            )

        as_good = status["clearly_as_good"] + status["ahead_on_mean"]
        extra = sum(sum(v.extra.values()) for v in sets)
        parts.append(
            f"{team}: hardliner score {mean(hard, False):.1f} vs reciprocator "
            f"{mean(recip, False):.1f}, at least as good in {as_good} of {len(measured)} "
            f"measured opponent sets (clearly in {status['clearly_as_good']}, on the means "
            f"only in {status['ahead_on_mean']}; level within the noise in "
            f"{status['level']}; clearly behind in {status['behind']}; {len(measured)} of "
            f"{len(sets)} measured, {_cells(sets)} games a cell, {extra} of them re-played; "
            f"gain {mean(hard, True):+.1f} vs {mean(recip, True):+.1f})"
        )
    verdict: Verdict = "fail" if failed else "unproven" if unproven else "pass"
    note = ""
    if verdict == "unproven":
        note = (
            "; a set behind only within the noise proves nothing: more games "
            "(--games, --extra-games) can clear it"
            f"; a set counts with at least {MIN_GAMES} games of each strategy: play at least "
            f"{MIN_GAMES * len(STRATEGY_NAMES) ** len(teams):,} games"
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


def _dominance_counts(sets: list[SetVerdict]) -> tuple[dict[str, int], dict[str, int]]:
    """Over the measured sets: how many each strategy leads on the means, and how many
    clearly (CLEAR_SE)."""
    leads = dict.fromkeys(STRATEGY_NAMES, 0)
    clear = dict.fromkeys(STRATEGY_NAMES, 0)
    for v in sets:
        if v.measured:
            leader, is_clear = v.leader()
            if leader is not None:
                leads[leader] += 1
                clear[leader] += is_clear
    return leads, clear


def _dominance_open(sets: list[SetVerdict]) -> list[SetVerdict]:
    """The measured sets without a clear best whose clearing could make a strategy
    clearly best in more than half of the team's sets: none once one is already, none
    when no strategy could get there whatever they showed."""
    _, clear = _dominance_counts(sets)
    half = len(sets) / 2
    if any(n > half for n in clear.values()):
        return []
    unclear = [v for v in sets if v.measured and not v.leader()[1]]
    tipping = {
        s for s in STRATEGY_NAMES if clear[s] + sum(s in v.contenders() for v in unclear) > half
    }
    return [v for v in unclear if v.contenders() & tipping]


def _no_dominant_strategy(records: list[GameRecord], teams: list[str]) -> GoalResult:
    """No strategy is clearly best (CLEAR_SE) in more than half of a team's opponent
    sets. Fails when one clearly leads in more than half of them among the measured
    (MIN_GAMES) sets, whatever the others would show; passes when every set is measured
    and none does; otherwise unproven. The sets within the noise that could tip it were
    re-measured first (`remeasure`); those still within the noise after the cap have no
    single best strategy and are reported beside, with the leads on the means."""
    parts: list[str] = []
    per_team: dict[str, list[dict[str, Any]]] = {}
    dominant: list[str] = []
    unmeasured = False
    for team in teams:
        sets = opponent_sets(records, teams, team, STRATEGY_NAMES)
        per_team[team] = [v.to_json() for v in sets]
        measured = [v for v in sets if v.measured]
        unmeasured = unmeasured or len(measured) < len(sets)
        leads, clear = _dominance_counts(sets)
        half = len(sets) / 2
        for strat in STRATEGY_NAMES:
            if clear[strat] > half:
                dominant.append(
                    f"{team}={strat} (clearly best in {clear[strat]} of {len(sets)}, ahead on "
                    f"the means in {leads[strat]})"
                )
        still = _dominance_open(sets)
        extra = sum(sum(v.extra.values()) for v in sets)
        parts.append(
            f"{team}: best in "
            + ", ".join(f"{s} {leads[s]} ({clear[s]} clearly)" for s in STRATEGY_NAMES)
            + f" of {len(measured)} measured of {len(sets)} opponent sets ({_cells(sets)} "
            f"games a cell, {extra} of them re-played"
            + (
                f"; {len(still)} set(s) level within the noise that could make one dominant"
                if still
                else ""
            )
            + ")"
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


Job = tuple[int, tuple[str, ...]]
"""A game to play: its seed and its assignment of strategies to the teams, in order."""


Assignment = tuple[str, ...]
"""An assignment of strategies to the teams, in order: the games of one cell."""


def _cell(teams: list[str], team: str, opponents: tuple[str, ...], strat: str) -> Assignment:
    """The assignment of `team` playing `strat` against `opponents` (the others in order)."""
    i = teams.index(team)
    return (*opponents[:i], strat, *opponents[i:])


def _open(scenario: Scenario, records: list[GameRecord]) -> tuple[set[Assignment], set[Assignment]]:
    """The open cells of `pressure_does_not_pay` and of `no_dominant_strategy` (`open_cells`)."""
    wanted = {g.id for g in scenario.teaching_goals}
    teams = [t.id for t in scenario.teams]
    pressure: set[Assignment] = set()
    dominance: set[Assignment] = set()
    if "pressure_does_not_pay" in wanted:
        pair = ("hardliner", "reciprocator")
        for team in (t.id for t in scenario.teams if t.coercive_tools):
            for v in opponent_sets(records, teams, team, pair):
                if v.measured and v.pressure() in ("level", "ahead_on_mean"):
                    pressure.update(_cell(teams, team, v.opponents, s) for s in pair)
    if "no_dominant_strategy" in wanted:
        for team in teams:
            for v in _dominance_open(opponent_sets(records, teams, team, STRATEGY_NAMES)):
                dominance.update(_cell(teams, team, v.opponents, s) for s in v.contenders())
    return pressure, dominance


def open_cells(scenario: Scenario, records: list[GameRecord]) -> list[Assignment]:
    """The assignments a goal's verdict still needs more games of: both cells of every
    measured set where a team's hardliner is within the noise of its reciprocator
    (`pressure_does_not_pay`), and the cells of the contenders (`SetVerdict.contenders`)
    of every set without a clear best that could make a strategy dominant
    (`no_dominant_strategy`). Unmeasured sets (fewer than MIN_GAMES) are not filled:
    they need a longer first pass."""
    pressure, dominance = _open(scenario, records)
    return sorted(pressure | dominance)


def extra_seed(scenario: Scenario, seed: int, cell: Assignment, k: int) -> int:
    """The seed of the `k`-th re-played game of `cell` in the run of `seed`: the same
    whatever the rounds, the workers or the other cells."""
    return random.Random(f"balance-extra:{scenario.id}:{seed}:{'/'.join(cell)}:{k}").randrange(
        2**31
    )


def extra_jobs(scenario: Scenario, records: list[GameRecord], seed: int, budget: int) -> list[Job]:
    """The next round of re-measurement: every open cell (`open_cells`) doubles its games
    (at least MIN_GAMES more). The cells of `pressure_does_not_pay` come first: a set of
    it still within the noise makes the goal unproven, one of `no_dominant_strategy`
    only has no single best. When a group's doubling would exceed what is left of
    `budget` extra games, each of its cells gets an equal share, and none is played if
    that share is below MIN_GAMES (a look after a handful of games is worth little).
    Empty when nothing is open or the budget is spent: the cap is never exceeded."""
    teams = [t.id for t in scenario.teams]
    left = budget - sum(1 for r in records if r.extra_round > 0)
    if left <= 0:
        return []
    pressure, dominance = _open(scenario, records)
    played = Counter(tuple(r.strategies[t] for t in teams) for r in records)
    extra = Counter(tuple(r.strategies[t] for t in teams) for r in records if r.extra_round > 0)
    want: dict[Assignment, int] = {}
    for group in (sorted(pressure), sorted(dominance - pressure)):
        need = {c: max(MIN_GAMES, played[c]) for c in group}
        if sum(need.values()) > left:
            share = left // len(group)
            if share < MIN_GAMES:
                break
            need = {c: min(n, share) for c, n in need.items()}
        want |= need
        left -= sum(need.values())
    return [
        (extra_seed(scenario, seed, c, k), c)
        for c in sorted(want)
        for k in range(extra[c], extra[c] + want[c])
    ]


def remeasure(
    scenario: Scenario,
    records: list[GameRecord],
    seed: int,
    budget: int,
    play: Callable[[list[Job], int], list[GameRecord]],
) -> list[GameRecord]:
    """Sequential re-measurement: `records` (the first pass) and, round after round, the
    games of `extra_jobs` played by `play(jobs, round)` and labelled with their round
    (`GameRecord.extra_round`), until no set a verdict needs is within the noise or
    `budget` extra games are spent. Deterministic given the records and the seed."""
    out = list(records)
    rnd = max((r.extra_round for r in out), default=0)
    while jobs := extra_jobs(scenario, out, seed, budget):
        rnd += 1
        out.extend(replace(r, extra_round=rnd) for r in play(jobs, rnd))
    return out


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
