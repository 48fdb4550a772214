"""Scoresheet latency: how long a player waits for the value of a proposal, per shipped
scenario, in the server's own path (the state as the team may know it, its digest, the
evaluator, the sheet) without HTTP.

- keystroke: the builder's terms change as the player types, the game does not (the
  evaluator of the known state is cached; each sheet is a game played out);
- cold: the first sheet after the game changed (another team's move the team can see):
  known state, digest, the no-deal run and the sheet;
- preview: the decision form's preview in implementation (one round resolved).

Run: .venv/bin/python bench/scoresheet.py [--samples N] [--scenario ID]
Target (issue 10): well under a second at p95, to follow typing (a 300 ms pause).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable

from game_rules.actions import Actor, AdvancePhase, Implement, StartGame
from game_rules.dealspace import deal_space, negotiating_pairs
from game_rules.library import load_scenario, shipped_scenarios
from game_rules.rules import new_game, perform
from game_rules.state import GameState, Phase
from game_rules.views import known_state
from web import scoresheet as sheets

F = Actor.facilitator()


def _to(st: GameState, phase: Phase) -> GameState:
    while st.phase is not phase:
        perform(st, F, AdvancePhase())
    return st


def _percentiles(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1e3, p95 * 1e3


def _timed(n: int, f: Callable[[int], object]) -> list[float]:
    out = []
    for i in range(n):
        start = time.perf_counter()
        f(i)
        out.append(time.perf_counter() - start)
    return out


def measure(name: str, samples: int) -> dict[str, tuple[float, float]]:
    sc = load_scenario(name)
    st = new_game(sc, 1)
    perform(st, F, StartGame())
    _to(st, Phase.negotiation)
    pairs = negotiating_pairs(sc)
    spaces = [deal_space(sc, p) for p in pairs]
    rnd = random.Random(1)
    deals = []
    for _ in range(samples):
        space = rnd.choice(spaces)
        deals.append((space.parties[0], space.terms(rnd.choice(space.deals()), 2)))

    def cold(i: int) -> None:
        sheets.clear_cache()
        team, terms = deals[i]
        known = known_state(st, team)
        sheets.sheet(known, team, terms, sheets.digest(known))

    knowns = {t: known_state(st, t) for t in st.teams}
    keys = {t: sheets.digest(k) for t, k in knowns.items()}

    def keystroke(i: int) -> None:
        team, terms = deals[i]
        sheets.sheet(knowns[team], team, terms, keys[team])

    sheets.clear_cache()
    for team in st.teams:  # the evaluators warm, as after the first sheet of a version
        sheets.sheet(knowns[team], team, [], keys[team])
    out = {"cold": _percentiles(_timed(samples, cold))}
    sheets.clear_cache()
    for team in st.teams:
        sheets.sheet(knowns[team], team, [], keys[team])
    out["keystroke"] = _percentiles(_timed(samples, keystroke))

    _to(st, Phase.implementation)
    teams = list(st.teams)

    def preview(i: int) -> None:
        sheets.clear_cache()
        team = teams[i % len(teams)]
        policies = st.teams[team].policies.model_copy(update={"border_enforcement": i % 100})
        known = known_state(st, team)
        sheets.preview(known, team, Implement(policies=policies))

    out["preview"] = _percentiles(_timed(samples, preview))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=60, help="sheets timed per kind")
    parser.add_argument("--scenario", action="append", help="default: every shipped one")
    args = parser.parse_args()
    print(
        f"{'scenario':16} {'keystroke p50':>13} {'p95':>7} {'cold p50':>9} {'p95':>7} "
        f"{'preview p50':>12} {'p95':>7}   (ms)"
    )
    for name in args.scenario or shipped_scenarios():
        m = measure(name, args.samples)
        print(
            f"{name:16} {m['keystroke'][0]:13.1f} {m['keystroke'][1]:7.1f} "
            f"{m['cold'][0]:9.1f} {m['cold'][1]:7.1f} {m['preview'][0]:12.1f} "
            f"{m['preview'][1]:7.1f}"
        )


if __name__ == "__main__":
    main()
