"""The rules' commands of `compact`: play bot games, check scenarios, balance runs.

This module is the I/O edge of the rules (printing, files); the rules themselves are not.
The `compact` program itself lives in `server/cli.py`, which mounts these commands next to
`serve` and `db upgrade`: nothing in `game_rules` imports the server.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from game_rules.analytics import batna_report
from game_rules.bots import STRATEGIES, strategy
from game_rules.library import load_scenario
from game_rules.scenario import ScenarioError, parse_scenario_bytes
from game_rules.simulate import BotsStalled, play_bot_game
from game_rules.state import GameState

app = typer.Typer(
    help="Compact: a negotiation game on migration partnerships.",
    no_args_is_help=True,
    add_completion=False,
)
scenario_app = typer.Typer(help="Work with scenario files.", no_args_is_help=True)
app.add_typer(scenario_app, name="scenario")


@scenario_app.command("check")
def scenario_check(file: Annotated[Path, typer.Argument(help="a scenario YAML file")]) -> None:
    """Validate a scenario file; exit non-zero with every problem found."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        typer.echo(f"{file}: cannot read: {exc.strerror}", err=True)
        raise typer.Exit(2) from None
    try:
        scenario = parse_scenario_bytes(data, str(file))
    except ScenarioError as exc:
        for problem in exc.problems:
            typer.echo(problem, err=True)
        typer.echo(f"{file}: {len(exc.problems)} problem(s)", err=True)
        raise typer.Exit(1) from None
    for note in scenario.translation_problems(str(file)):
        typer.echo(f"note: {note} — it never shows", err=True)
    typer.echo(
        f"{file}: ok — {scenario.name}: {len(scenario.teams)} teams, "
        f"{len(scenario.corridors)} corridors, {scenario.rounds} rounds"
    )


@scenario_app.command("list")
def scenario_list() -> None:
    """The scenarios that ship with Compact."""
    from game_rules.library import shipped_scenarios

    for name in shipped_scenarios():
        s = load_scenario(name)
        typer.echo(f"{name:16} {s.name} ({len(s.teams)} teams, {s.rounds} rounds)")


def _parse_strategies(spec: str, teams: list[str], default: str) -> dict[str, Any]:
    try:
        chosen = {t: strategy(default) for t in teams}
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--default-strategy") from None
    if spec:
        for part in spec.split(","):
            if "=" not in part:
                raise typer.BadParameter(f"expected team=strategy, got {part!r}")
            team, name = (x.strip() for x in part.split("=", 1))
            if team not in chosen:
                raise typer.BadParameter(f"no team {team!r} (teams: {', '.join(teams)})")
            try:
                chosen[team] = strategy(name)
            except ValueError as exc:
                raise typer.BadParameter(str(exc)) from None
    return chosen


def game_report(state: GameState, strategies: dict[str, str]) -> dict[str, Any]:
    """The whole game as one JSON-ready document."""
    return {
        "scenario": state.scenario.id,
        "seed": state.seed,
        "strategies": strategies,
        "rounds": [
            {
                "round": rec.round,
                "year": rec.year,
                "events": rec.events,
                "corridors": {k: v.model_dump() for k, v in rec.corridors.items()},
                "indicators": rec.indicators,
                "scores": rec.scores,
                "support": rec.support,
                "trust": rec.trust,
                "fallen": rec.fallen,
                "coercions": [c.model_dump() for c in rec.coercions],
            }
            for rec in state.history
        ],
        "agreements": [ag.model_dump(mode="json") for ag in state.agreements.values()],
        "compliance": [c.model_dump() for c in state.compliance],
        "teams": batna_report(state),
    }


@app.command()
def play(
    scenario: Annotated[str, typer.Option(help="scenario id or YAML file")] = "mediterranean",
    seed: Annotated[int, typer.Option(help="the game's seed")] = 1,
    bots: Annotated[str, typer.Option(help="which teams bots play: only 'all' here")] = "all",
    strategies: Annotated[
        str, typer.Option(help="per team, e.g. union=hardliner,sahelia=conceder")
    ] = "",
    default_strategy: Annotated[
        str,
        typer.Option("--default-strategy", help=f"for teams not named: {', '.join(STRATEGIES)}"),
    ] = "reciprocator",
    turns: Annotated[
        int,
        typer.Option(
            help="negotiation turns before a timer closes the phase; 0: no timers, the bots "
            "end every phase themselves (as a table of bots on the server)",
            min=0,
            max=100,
        ),
    ] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON document")] = False,
) -> None:
    """Play a whole game with bots and print what happened."""
    if bots != "all":
        raise typer.BadParameter("the command line plays bots only: use --bots all")
    try:
        sc = load_scenario(scenario)
    except ScenarioError as exc:
        for problem in exc.problems:
            typer.echo(problem, err=True)
        raise typer.Exit(1) from None
    chosen = _parse_strategies(strategies, [t.id for t in sc.teams], default_strategy)
    try:
        game = play_bot_game(sc, seed, chosen, turns=turns or None)
    except BotsStalled as exc:
        typer.echo(f"the bots did not finish the game: {exc}", err=True)
        raise typer.Exit(1) from None
    report = game_report(game.state, {t: s.name for t, s in chosen.items()})
    if as_json:
        sys.stdout.write(json.dumps(report, sort_keys=True) + "\n")
        return
    typer.echo(f"{sc.name}, seed {seed}")
    for rec in report["rounds"]:
        flows = rec["corridors"]
        arrived = sum(f["arrived"] for f in flows.values())
        died = sum(f["died"] for f in flows.values())
        scores = ", ".join(f"{t} {s:.0f}" for t, s in rec["scores"].items())
        typer.echo(f"  {rec['year']}: arrivals {arrived:,}, deaths {died:,}; scores {scores}")
    typer.echo(f"  agreements signed: {len(report['agreements'])}")
    for t, r in report["teams"].items():
        typer.echo(
            f"  {t:12} {chosen[t].name:12} score {r['score']:5.1f}  "
            f"no-deal {r['batna']:5.1f}  gain {r['gain']:+5.1f}"
        )


_WORKER_SCENARIO: dict[str, Any] = {}


def _balance_worker_init(scenario_json: str) -> None:
    from game_rules.scenario import Scenario

    _WORKER_SCENARIO["s"] = Scenario.model_validate_json(scenario_json)


def _balance_job(job: tuple[int, tuple[str, ...]]) -> dict[str, Any]:
    from game_rules.balance import play_one, record_to_dict

    return record_to_dict(play_one(_WORKER_SCENARIO["s"], job[0], job[1]))


@app.command()
def balance(
    scenario: Annotated[str, typer.Argument(help="scenario id or YAML file")],
    games: Annotated[int, typer.Option(help="number of bot games")] = 1000,
    seed: Annotated[int, typer.Option(help="seed of the whole run")] = 1,
    workers: Annotated[int, typer.Option(help="processes (default: every core)")] = 0,
    json_out: Annotated[Path | None, typer.Option("--json", help="write the results here")] = None,
    extra_games: Annotated[
        int | None,
        typer.Option(
            help="at most this many games re-played in the opponent sets still within the "
            "noise after the first pass (default: as many as --games; 0: none)"
        ),
    ] = None,
) -> None:
    """Play many bot games across all pairings of strategies to roles, analyse every
    pair's deal space; check the scenario's teaching goals and exit non-zero if one fails
    or is unproven (the sample lacks the pairings it needs). Opponent sets whose
    comparison is within the noise after the first pass are re-played, round after
    round, until clear or --extra-games are spent (docs/balance.md)."""
    import os
    import time
    from concurrent.futures import ProcessPoolExecutor

    from game_rules.balance import (
        GameRecord,
        Job,
        check_goals,
        legal_pathways_only,
        open_cells,
        remeasure,
        schedule,
        summarise,
    )

    try:
        sc = load_scenario(scenario)
    except ScenarioError as exc:
        for problem in exc.problems:
            typer.echo(problem, err=True)
        raise typer.Exit(1) from None
    if games < 1:
        raise typer.BadParameter("--games must be at least 1")
    budget = games if extra_games is None else extra_games
    if budget < 0:
        raise typer.BadParameter("--extra-games must be at least 0")
    jobs = schedule(sc, games, seed)
    n_workers = workers or os.cpu_count() or 1
    first: list[GameRecord] = []
    start = time.perf_counter()
    with ProcessPoolExecutor(
        n_workers, initializer=_balance_worker_init, initargs=(sc.model_dump_json(),)
    ) as pool:

        def play(batch: list[Job], label: str) -> list[GameRecord]:
            out: list[GameRecord] = []
            chunk = max(1, len(batch) // (n_workers * 20))
            with typer.progressbar(length=len(batch), label=label, file=sys.stderr) as bar:
                for rec in pool.map(_balance_job, batch, chunksize=chunk):
                    out.append(GameRecord(**rec))
                    bar.update(1)
            return out

        first = play(jobs, f"{sc.id}: {games} games")
        elapsed = time.perf_counter() - start
        start = time.perf_counter()
        records = remeasure(
            sc,
            first,
            seed,
            budget,
            lambda batch, rnd: play(
                batch, f"{sc.id}: re-measuring, round {rnd}: {len(batch)} games"
            ),
        )
        extra_elapsed = time.perf_counter() - start
    extra = len(records) - len(first)
    rounds = max((r.extra_round for r in records), default=0)
    still_open = len(open_cells(sc, records))
    base, wide = 0.0, 0.0
    for s in range(seed, seed + 10):
        b, w = legal_pathways_only(sc, s)
        base, wide = base + b, wide + w
    ratio = wide / base if base else None
    table = summarise(first)  # the first pass: balanced over every assignment
    from game_rules.dealspace import negotiating_pairs

    pairs = [tuple(p) for p in negotiating_pairs(sc)]
    zone = analyse_spaces(sc, seed, pairs, workers=n_workers, max_deals=20_000)
    goals = check_goals(sc, records, ratio, zone)
    typer.echo(
        f"{sc.name}: {games} games in {elapsed:.1f} s ({games / elapsed:.0f} games/s, "
        f"{n_workers} processes); re-measured the sets within the noise: {extra} extra "
        f"games of at most {budget} in {rounds} round(s), {extra_elapsed:.1f} s"
        + (f", {still_open} cells still within the noise at the cap" if still_open else "")
        + " (the table: the first pass only)"
    )
    header = (
        f"{'team':12} {'strategy':13} {'games':>5} {'score':>12} {'gain':>12} "
        f"{'deals':>6} {'comply':>7} {'falls':>6} {'coerce':>7}"
    )
    typer.echo(header)
    for team, by in table.items():
        for strat, row in by.items():
            typer.echo(
                f"{team:12} {strat:13} {row['games']:5.0f} "
                f"{row['score_mean']:6.1f}±{row['score_sd']:<5.1f} "
                f"{row['gain_mean']:+6.1f}±{row['gain_sd']:<5.1f} "
                f"{row['agreement_rate']:6.0%} {row['compliance']:7.0f} "
                f"{row['government_falls']:6.2f} {row['coercion_used']:7.2f}"
            )
    typer.echo(f"zone of agreement (deals signed in round 1, seed {seed}):")
    for r in zone:
        nash = ", ".join(f"{t} {r.nash.gains[t]:+.1f}" for t in r.parties) if r.nash else "none"
        typer.echo(
            f"  {'+'.join(r.parties):24} {r.size:6,} deals, feasible {r.feasible:5,} "
            f"({r.feasible_share:5.1%}), unanimous {r.unanimous:5,}, Pareto {r.pareto:3}, "
            f"Nash: {nash}"
        )
    failed = [g for g in goals if not g.passed]
    label = {"pass": "pass", "fail": "FAIL", "unproven": "UNPROVEN"}
    for g in goals:
        typer.echo(f"[{label[g.verdict]}] {g.id}: {g.detail}")
    if json_out is not None:
        json_out.write_text(
            json.dumps(
                {
                    "scenario": sc.id,
                    "games": games,
                    "seed": seed,
                    "seconds": elapsed,
                    "extra_games": extra,
                    "extra_games_budget": budget,
                    "extra_rounds": rounds,
                    "extra_seconds": extra_elapsed,
                    "open_cells_at_cap": still_open,
                    "table": table,
                    "legal_only_ratio": ratio,
                    "zone_of_agreement": [r.to_json() for r in zone],
                    "goals": [g.__dict__ for g in goals],
                },
                indent=2,
                sort_keys=True,
                default=str,
            )
            + "\n",
            encoding="utf-8",
        )
    if failed:
        raise typer.Exit(1)


# --- the deal space ---------------------------------------------------------------------


def describe_term(term: Any) -> str:
    """One term in a line: `union → sahelia: visa facilitation visa-free`."""
    from game_rules.actions import VISA_LEVELS, TermType

    kind = term.type.value.replace("_", " ")
    amount = term.amount
    if term.type is TermType.visa_facilitation:
        what = VISA_LEVELS[min(int(amount), 3)]
    elif term.type in (TermType.readmission, TermType.border_cooperation, TermType.trade_access):
        what = f"{amount:g} %"
    elif term.type in (TermType.funding, TermType.investment):
        what = f"€{amount:,.0f}m" + (f" ({term.earmark.value})" if term.earmark else "")
    else:
        what = f"{amount:,.0f}" + (" with training" if term.skills_training else "")
    return f"{term.giver} → {term.receiver}: {kind} {what}"


def dealspace_lines(report: Any) -> list[str]:
    """A deal-space report as text for the terminal."""
    parties = report.parties

    def gains(point: Any) -> str:
        return ", ".join(f"{t} {point.gains[t]:+.1f}" for t in parties)

    def deal(point: Any) -> list[str]:
        return [f"      {describe_term(t)}" for t in point.terms]

    lines = [
        f"{' + '.join(parties)}: {report.size:,} deals ({len(report.issues)} terms), "
        f"{report.ratifiable:,} ratifiable, feasible {report.feasible:,} "
        f"({report.feasible_share:.1%}), unanimous {report.unanimous:,}, "
        f"Pareto-optimal {report.pareto:,}",
        "  no-deal scores (BATNA): " + ", ".join(f"{t} {report.batna[t]:.1f}" for t in parties),
    ]
    for label, point in (
        ("Nash bargaining point", report.nash),
        ("Kalai–Smorodinsky point", report.kalai_smorodinsky),
        ("egalitarian point", report.egalitarian),
    ):
        if point is None:
            lines.append(f"  {label}: none (no feasible deal)")
        else:
            lines += [f"  {label}: {gains(point)}", *deal(point)]
    for team in parties:
        fav = report.favourite.get(team)
        if fav is not None:
            lines += [f"  favourite of {team}: {gains(fav)}", *deal(fav)]
    for team, other in report.conflicts():
        lines.append(f"  conflict: {team}'s favourite deal leaves {other} below its BATNA")
    return lines


_WORKER_EVALUATOR: dict[str, Any] = {}


def _dealspace_worker_init(scenario_json: str, seed: int) -> None:
    from game_rules.dealspace import Evaluator
    from game_rules.rules import new_game
    from game_rules.scenario import Scenario

    sc = Scenario.model_validate_json(scenario_json)
    _WORKER_EVALUATOR["sc"] = sc
    _WORKER_EVALUATOR["ev"] = Evaluator(new_game(sc, seed))


def _dealspace_job(job: tuple[tuple[str, ...], list[tuple[int, ...]]]) -> list[Any]:
    from game_rules.dealspace import deal_space

    partners, deals = job
    evaluator = _WORKER_EVALUATOR["ev"]
    space = deal_space(_WORKER_EVALUATOR["sc"], partners)
    return [evaluator.value(space.terms(d, evaluator.duration)) for d in deals]


PARALLEL_FROM = 200
"""Fewer deals than this are valued in this process: starting workers costs more."""


def analyse_spaces(
    sc: Any, seed: int, spaces: list[tuple[str, ...]], *, workers: int = 1, max_deals: int
) -> list[Any]:
    """Reports for each set of partners from the opening of a game of `sc` with `seed`,
    with a progress bar on stderr; deals are spread over `workers` processes."""
    from concurrent.futures import ProcessPoolExecutor

    from game_rules.dealspace import Evaluator, deal_space, summarise
    from game_rules.rules import new_game

    plans = []
    for partners in spaces:
        space = deal_space(sc, partners)
        if space.size > max_deals:
            raise typer.BadParameter(
                f"the deal space of {', '.join(space.parties)} has {space.size:,} deals, "
                f"more than --max-deals {max_deals:,}"
            )
        plans.append((space, space.deals()))
    total = sum(len(deals) for _space, deals in plans)
    evaluator = Evaluator(new_game(sc, seed))
    values: dict[tuple[str, ...], list[Any]] = {space.parties: [] for space, _deals in plans}
    with typer.progressbar(length=total, label=f"{sc.id}: {total:,} deals", file=sys.stderr) as bar:
        if workers <= 1 or total < PARALLEL_FROM:
            for space, deals in plans:
                for d in deals:
                    values[space.parties].append(
                        evaluator.value(space.terms(d, evaluator.duration))
                    )
                    bar.update(1)
        else:
            size = max(10, total // (workers * 16))
            jobs = [
                (space.parties, deals[i : i + size])
                for space, deals in plans
                for i in range(0, len(deals), size)
            ]
            with ProcessPoolExecutor(
                workers, initializer=_dealspace_worker_init, initargs=(sc.model_dump_json(), seed)
            ) as pool:
                for (parties, _chunk), chunk_values in zip(
                    jobs, pool.map(_dealspace_job, jobs), strict=True
                ):
                    values[parties] += chunk_values
                    bar.update(len(chunk_values))
    return [summarise(evaluator, space, deals, values[space.parties]) for space, deals in plans]


@app.command()
def dealspace(
    scenario: Annotated[str, typer.Argument(help="scenario id or YAML file")],
    partners: Annotated[
        str,
        typer.Option(
            help="teams of one deal space, e.g. union,sahelia, or 'all'; "
            "default: every pair with something to sign"
        ),
    ] = "",
    seed: Annotated[int, typer.Option(help="the game's seed (events, monitoring)")] = 1,
    workers: Annotated[int, typer.Option(help="processes (default: every core)")] = 0,
    max_deals: Annotated[int, typer.Option(help="refuse larger spaces")] = 20_000,
    json_out: Annotated[Path | None, typer.Option("--json", help="write the reports here")] = None,
) -> None:
    """The deal space at the scenario's levels: every deal signed in round 1 and honoured
    to the end, against no deal; feasible, unanimous and Pareto counts, the Nash,
    Kalai–Smorodinsky and egalitarian points and each team's favourite deal."""
    import os
    import time

    from game_rules.dealspace import negotiating_pairs

    try:
        sc = load_scenario(scenario)
    except ScenarioError as exc:
        for problem in exc.problems:
            typer.echo(problem, err=True)
        raise typer.Exit(1) from None
    ids = [t.id for t in sc.teams]
    if partners == "all":
        spaces = [tuple(ids)]
    elif partners:
        chosen = tuple(p.strip() for p in partners.split(","))
        unknown = [p for p in chosen if p not in ids]
        if unknown or len(set(chosen)) < 2:
            raise typer.BadParameter(
                f"name two or more teams of {', '.join(ids)}", param_hint="--partners"
            )
        spaces = [chosen]
    else:
        spaces = [tuple(pair) for pair in negotiating_pairs(sc)]
    if not spaces:
        typer.echo(f"{sc.name}: no two teams have anything to sign (deal_levels is empty)")
        raise typer.Exit(1)
    start = time.perf_counter()
    n_workers = workers or os.cpu_count() or 1
    reports = analyse_spaces(sc, seed, spaces, workers=n_workers, max_deals=max_deals)
    elapsed = time.perf_counter() - start
    deals = sum(r.size for r in reports)
    typer.echo(f"{sc.name}, seed {seed}: deals signed in round 1 and honoured to round {sc.rounds}")
    for report in reports:
        for line in dealspace_lines(report):
            typer.echo(line)
    typer.echo(
        f"{deals:,} deals in {elapsed:.1f} s ({deals / elapsed:.0f} deals/s, {n_workers} processes)"
    )
    if json_out is not None:
        doc = {"scenario": sc.id, "seed": seed, "reports": [r.to_json() for r in reports]}
        json_out.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
