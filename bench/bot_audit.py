"""What the bots do at every table: per scenario, in how many of N bot games each thing
issue 8 asks of them happens (every negotiating pair signs, packages for three,
conditions, resettlement, withdrawals, re-ratification after a fall) and how often they
do what they must not (repeat a proposal a partner just closed, make a move the rules
refuse, press a partner they signed with that very round).

Games are those of a balance run (`schedule`, timers of 4 turns, randomised strategies),
without its no-agreement replays. One process.

Run: .venv/bin/python bench/bot_audit.py [--games 100] [--seed 1] [SCENARIO ...]
"""

from __future__ import annotations

import argparse
import collections
import itertools
import json
import random
import time
from typing import Any

from game_rules import actions as A
from game_rules.balance import schedule
from game_rules.bots import STRATEGIES, fingerprint
from game_rules.dealspace import issues_between
from game_rules.library import load_scenario, shipped_scenarios
from game_rules.simulate import play_bot_game


def audit(scenario_id: str, games: int, seed: int) -> dict[str, Any]:
    sc = load_scenario(scenario_id)
    ids = [t.id for t in sc.teams]
    pairs = ["+".join(sorted(p)) for p in itertools.combinations(ids, 2) if issues_between(sc, *p)]
    count: collections.Counter[str] = collections.Counter()
    start = time.process_time()
    for game_seed, pairing in schedule(sc, games, seed):
        r = random.Random(f"params:{game_seed}")
        strategies = {
            t: STRATEGIES[name].with_noise(r) for t, name in zip(ids, pairing, strict=True)
        }
        game = play_bot_game(sc, game_seed, strategies)
        st = game.state
        seen: set[str] = set()
        made = collections.Counter(
            (rnd, tid, fingerprint(a))
            for rnd, _ph, tid, a in game.performed
            if isinstance(a, A.Propose)
        )
        count["proposals made again in a round"] += sum(n - 1 for n in made.values())
        count["moves the rules refused"] += game.refused
        for rnd, _ph, tid, a in game.performed:
            if isinstance(a, A.Withdraw):
                count["withdrawals"] += 1
            elif isinstance(a, A.Ratify):
                count["ratifications"] += 1
                seen.add("games with a re-ratification")
            elif isinstance(a, A.Coerce):
                count["coercions"] += 1
                signed_now = {
                    x
                    for ag in st.agreements.values()
                    if tid in ag.parties and ag.signed_round == rnd
                    for x in ag.parties
                }
                count["coercions of a partner signed with that round"] += a.target in signed_now
        for ag in st.agreements.values():
            for t in ag.terms:
                seen.add("signed " + "+".join(sorted((t.giver, t.receiver))))
                if t.type is A.TermType.resettlement:
                    seen.add("games with resettlement signed")
            if ag.conditions:
                seen.add("games with a conditional agreement")
            if len(ag.parties) > 2:
                seen.add("signed for three " + "+".join(sorted(ag.parties)))
        if any(t.government > 1 for t in st.teams.values()):
            seen.add("games with a fall")
        count["government falls"] += sum(t.government - 1 for t in st.teams.values())
        count.update(seen)
    return {
        "scenario": scenario_id,
        "games": games,
        "seed": seed,
        "negotiating pairs": pairs,
        "cpu_seconds": round(time.process_time() - start, 1),
        **dict(sorted(count.items())),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*", default=shipped_scenarios())
    parser.add_argument("--games", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    for scenario_id in args.scenarios:
        print(json.dumps(audit(scenario_id, args.games, args.seed), indent=1))


if __name__ == "__main__":
    main()
