"""Engine speed: complete 5-round bot games per second on all cores, and one resolve_round.

Run: .venv/bin/python bench/engine.py [--games N] [--scenario ID]
Target (issue 2): at least 100 complete bot games per second on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from concurrent.futures import ProcessPoolExecutor

from game_rules.actions import Actor, AdvancePhase
from game_rules.bots import STRATEGIES
from game_rules.library import load_scenario
from game_rules.rules import default_decision, perform
from game_rules.simulate import play_bot_game
from game_rules.state import Phase


def _play(args: tuple[str, int, int]) -> int:
    scenario_id, first_seed, count = args
    scenario = load_scenario(scenario_id)
    names = list(STRATEGIES)
    for seed in range(first_seed, first_seed + count):
        strategies = {
            t.id: STRATEGIES[names[(seed + i) % len(names)]] for i, t in enumerate(scenario.teams)
        }
        play_bot_game(scenario, seed, strategies)
    return count


def games_per_second(scenario_id: str, games: int, workers: int) -> float:
    chunk = max(1, games // (workers * 4))
    jobs = [(scenario_id, s, min(chunk, games - s)) for s in range(0, games, chunk)]
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=workers) as pool:
        done = sum(pool.map(_play, jobs))
    return done / (time.perf_counter() - start)


def resolve_round_time(scenario_id: str, repeats: int = 200) -> list[float]:
    """Seconds for one resolution, on a game paused at the end of round 3's implementation."""
    scenario = load_scenario(scenario_id)
    game = play_bot_game(scenario, 3, {t.id: STRATEGIES["reciprocator"] for t in scenario.teams})
    del game
    from game_rules.rules import new_game

    base = new_game(scenario, 3)
    system = Actor.system()
    perform(base, Actor.facilitator(), __import__("game_rules").actions.StartGame())
    while not (base.round == 3 and base.phase is Phase.implementation):
        perform(base, system, AdvancePhase())
    for tid in base.teams:
        base.teams[tid].decision = default_decision(base, tid)
    times = []
    for _ in range(repeats):
        state = base.model_copy(deep=True)
        start = time.perf_counter()
        perform(state, system, AdvancePhase())
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--games", type=int, default=1000)
    parser.add_argument("--scenario", default="mediterranean")
    args = parser.parse_args()
    workers = os.cpu_count() or 1
    one = games_per_second(args.scenario, max(50, args.games // 10), 1)
    rate = games_per_second(args.scenario, args.games, workers)
    times = resolve_round_time(args.scenario)
    print(f"scenario {args.scenario}, {os.cpu_count()} cores")
    print(f"bot games per second, 1 process:  {one:8.1f}")
    print(f"bot games per second, {workers} processes: {rate:8.1f}  (target >= 100)")
    print(
        f"resolve_round: median {statistics.median(times) * 1e3:.2f} ms, "
        f"p95 {sorted(times)[int(len(times) * 0.95)] * 1e3:.2f} ms"
    )


if __name__ == "__main__":
    main()
