"""Time from the end of a game to its complete debrief, per shipped scenario: the
no-agreement replay (`analytics.batna_report`), then left on the table
(`frontier.report`) with its deals valued in the server's analysis pool, as
`server/debriefs.py` runs them after the commit that ends a game.

Run: .venv/bin/python bench/debrief.py [--workers 2] [--scenario ID] [--seed 7]
Each game is a bot game of the scenario (mixed strategies) played to its end first. The
pool is started once before timing (a server starts it with the first ended game: its
workers' start-up is printed apart). Figures in wall seconds and CPU seconds of all
processes; tests never time anything. The pool's workers are not counted in `cpu s`
(they are not waited for): run `--workers 0` for the CPU the analysis needs, which over
the two cores of an idle machine is about twice the wall time of a `--workers 2` run.
On a shared machine the wall clock says more about the neighbours than about the code.
"""

from __future__ import annotations

import argparse
import importlib
import json
import resource
import sys
import time
from pathlib import Path

from game_rules.analytics import batna_report
from game_rules.bots import STRATEGIES
from game_rules.frontier import plans
from game_rules.library import load_scenario, shipped_scenarios
from game_rules.simulate import play_bot_game

# bench/server.py would shadow the server package: import it from the project's root.
sys.path[0] = str(Path(__file__).resolve().parent.parent)
Analyst = importlib.import_module("server.analysis").Analyst


def cpu() -> float:
    """CPU seconds of this process and of its finished or waited-for children."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=2, help="analysis processes (0: none)")
    parser.add_argument("--scenario", action="append", help="default: every shipped one")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    analyst = Analyst(args.workers)
    start = time.perf_counter()
    warm = load_scenario("bilateral")
    analyst.left_on_table(play_bot_game(warm, 1, _mix(warm)).state.snapshot())
    print(f"pool of {args.workers} workers started and warmed in "
          f"{time.perf_counter() - start:.1f} s")  # fmt: skip
    print(
        f"{'scenario':16} {'sets':>4} {'deals':>6} {'replay s':>9} {'frontier s':>11} "
        f"{'end→debrief s':>14} {'cpu s':>7} {'report kB':>10}"
    )
    try:
        for name in args.scenario or shipped_scenarios():
            sc = load_scenario(name)
            state = play_bot_game(sc, args.seed, _mix(sc)).state
            ended = state.snapshot()
            todo = plans(state)
            deals = sum(len(p.deals()) for p in todo)
            c0, t0 = cpu(), time.perf_counter()
            batna_report(state)
            t1 = time.perf_counter()
            left = analyst.left_on_table(ended)
            t2 = time.perf_counter()
            size = len(json.dumps(left)) / 1000
            print(
                f"{name:16} {len(todo):4} {deals:6} {t1 - t0:9.2f} {t2 - t1:11.2f} "
                f"{t2 - t0:14.2f} {cpu() - c0:7.1f} {size:10.0f}"
            )
    finally:
        analyst.close()


def _mix(sc: object) -> dict[str, object]:
    kinds = list(STRATEGIES.values())
    return {t.id: kinds[i % len(kinds)] for i, t in enumerate(sc.teams)}  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
