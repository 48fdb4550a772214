"""The termination property: a table of bots alone, with no timers, ends every game.

Nobody but the bots closes a phase (as on a server where only bots sit and no timer
runs): every shipped scenario, every mix of the three strategies with randomised
parameters. A game that stalls raises `BotsStalled` (it never hangs the run). The seeds
are split in chunks so that `pytest -n 2` spreads them over both cores; no no-agreement
replay is run (termination does not need it).

`make test` plays 250 seeds of each scenario, 100 of a table of more than four teams
(a six-team bot game takes about 0.7 s, and 250 of them were 160 s of the suite's
10-minute budget on 2 cores); `make test-properties` plays the full 1,000 of every
scenario.
"""

from __future__ import annotations

import os
import random

import pytest

from game_rules.bots import STRATEGIES, Strategy
from game_rules.library import load_scenario, shipped_scenarios
from game_rules.scenario import Scenario
from game_rules.simulate import play_bot_game
from game_rules.state import Phase

SEEDS = os.environ.get("COMPACT_TERMINATION_SEEDS")
CHUNKS = 10


def seeds(scenario: Scenario) -> int:
    if SEEDS is not None:
        return int(SEEDS)
    return 100 if len(scenario.teams) > 4 else 250


NAMES = sorted(STRATEGIES)


def mix(scenario: Scenario, seed: int) -> dict[str, Strategy]:
    """Seed by seed, every combination of strategies comes round, each with noise."""
    r = random.Random(f"termination:{scenario.id}:{seed}")
    return {
        t.id: STRATEGIES[NAMES[(seed // 3**i) % 3]].with_noise(r)
        for i, t in enumerate(scenario.teams)
    }


@pytest.mark.slow
@pytest.mark.parametrize("chunk", range(CHUNKS))
@pytest.mark.parametrize("scenario_id", shipped_scenarios())
def test_bot_games_without_timers_end(scenario_id: str, chunk: int) -> None:
    sc = load_scenario(scenario_id)
    size = seeds(sc) // CHUNKS
    for seed in range(chunk * size, (chunk + 1) * size):
        game = play_bot_game(sc, seed, mix(sc, seed), turns=None)
        state = game.state
        assert state.phase is Phase.ended, f"seed {seed}"
        assert len(state.history) == sc.rounds, f"seed {seed}"


@pytest.mark.parametrize("scenario_id", shipped_scenarios())
def test_the_chunks_cover_every_seed(scenario_id: str) -> None:
    n = seeds(load_scenario(scenario_id))
    assert n % CHUNKS == 0 and n >= 100
