"""Deal-space speed: deals valued per second per shipped scenario (one process), and the
time a player's scoresheet waits for one deal from a fresh state (its no-deal run too).

Run: .venv/bin/python bench/dealspace.py [--deals N] [--scenario ID]
Targets (issue 8): a pair's whole deal space in seconds for the debrief; one deal well
under a second for a scoresheet. Each deal is a game played out from the signing round.
"""

from __future__ import annotations

import argparse
import statistics
import time

from game_rules.dealspace import Evaluator, deal_space, evaluate, negotiating_pairs
from game_rules.library import load_scenario, shipped_scenarios
from game_rules.rules import new_game


def measure(scenario_id: str, deals: int) -> tuple[str, int, float, float, float, float]:
    sc = load_scenario(scenario_id)
    pairs = negotiating_pairs(sc)
    space = deal_space(sc, pairs[0])
    start = time.perf_counter()
    evaluator = Evaluator(new_game(sc, 1))
    setup = time.perf_counter() - start
    sample = space.deals()[:deals]
    start, cpu = time.perf_counter(), time.process_time()
    for d in sample:
        evaluator.value(space.terms(d, evaluator.duration))
    rate = len(sample) / (time.perf_counter() - start)
    cpu_rate = len(sample) / (time.process_time() - cpu)
    one = []
    full = space.terms(space.deals()[-1], evaluator.duration)
    for _ in range(5):
        start = time.perf_counter()
        evaluate(new_game(sc, 1), full)
        one.append(time.perf_counter() - start)
    largest = max(deal_space(sc, p).size for p in pairs)
    return "+".join(space.parties), largest, setup, rate, cpu_rate, statistics.median(one)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deals", type=int, default=200, help="deals timed per scenario")
    parser.add_argument("--scenario", action="append", help="default: every shipped one")
    args = parser.parse_args()
    # Deals per CPU second too: on a shared machine the wall clock says more about the
    # neighbours than about the code.
    print(
        f"{'scenario':16} {'pair timed':22} {'deals/s':>8} {'per cpu s':>9} {'setup ms':>9} "
        f"{'one deal ms':>12} {'largest pair':>13} {'its time s':>10}"
    )
    for name in args.scenario or shipped_scenarios():
        pair, largest, setup, rate, cpu_rate, one = measure(name, args.deals)
        print(
            f"{name:16} {pair:22} {rate:8.0f} {cpu_rate:9.0f} {setup * 1e3:9.1f} "
            f"{one * 1e3:12.1f} {largest:13,} {largest / rate:10.1f}"
        )


if __name__ == "__main__":
    main()
