"""Whole games played by bots, for the CLI, balance runs and benchmarks.

The bots act through `perform` with the same actions a person sends; each sees only its
team's view. Negotiation runs in turns; `t` tells a bot how much of the phase is gone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from game_rules.actions import Actor, AdvancePhase, StartGame
from game_rules.bots import Bot, Strategy, public_rules
from game_rules.errors import RuleError
from game_rules.rules import perform
from game_rules.scenario import Scenario
from game_rules.state import GameState, Phase
from game_rules.views import Audience, view


@dataclass
class BotGame:
    state: GameState
    bots: dict[str, Bot]
    refused: int = 0
    """Actions the rules refused (a bot acting on a proposal that just closed, say)."""
    said: list[tuple[int, str, str]] = field(default_factory=list)


def play_bot_game(
    scenario: Scenario,
    seed: int,
    strategies: dict[str, Strategy],
    *,
    turns: int = 4,
) -> BotGame:
    from game_rules.rules import new_game

    state = new_game(scenario, seed)
    rules = public_rules(scenario)
    bots = {tid: Bot(tid, rules, strategies[tid], seed) for tid in state.teams}
    game = BotGame(state=state, bots=bots)
    facilitator = Actor.facilitator()
    perform(state, facilitator, StartGame())
    order = list(state.teams)
    while state.phase is not Phase.ended:
        if state.phase is Phase.negotiation:
            rotation = order[state.round % len(order) :] + order[: state.round % len(order)]
            for turn in range(turns):
                t = turn / max(turns - 1, 1)
                for tid in rotation:
                    _act(game, tid, t)
        elif state.phase is Phase.implementation:
            for tid in order:
                _act(game, tid, 1.0)
            if state.phase is Phase.implementation:
                perform(state, facilitator, AdvancePhase())
            continue
        perform(state, facilitator, AdvancePhase())
    return game


def _act(game: BotGame, tid: str, t: float) -> None:
    state = game.state
    bot = game.bots[tid]
    actor = Actor.of_team(tid)
    seen = view(state, Audience.of_team(tid), news=0, closed_proposals=False, history=1)
    for action in bot.act(seen, t):
        try:
            perform(state, actor, action)
        except RuleError:
            game.refused += 1
            continue
        line = bot.explain(action)
        if line:
            game.said.append((state.round, tid, line))
