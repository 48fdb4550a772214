"""Whole games played by bots, for the CLI, balance runs, benchmarks and tests.

The bots act through `perform` with the same actions a person sends; each sees only its
team's view. Two ways to run a table:
- with timers (`turns=N`, balance runs and benchmarks): negotiation runs in N turns in which
  every bot makes all its moves, then the facilitator closes the phase; `t` tells a bot how
  much of the phase is gone;
- without timers (`turns=None`, `compact play`): nobody closes a phase but the bots, as on
  a server where only bots sit at the table and no timer runs. Each bot makes one move at a
  time, in turn, and its sense of time is its own count of moves, exactly as the server
  drives it; a phase ends when every bot has said it is ready.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from game_rules.actions import Action, Actor, AdvancePhase, StartGame
from game_rules.bots import MEMORY, Bot, Strategy, public_rules
from game_rules.errors import RuleError
from game_rules.rules import new_game, perform
from game_rules.scenario import Scenario
from game_rules.state import GameState, Phase
from game_rules.views import Audience, view

NO_TIMER_TURNS = 4
"""Without a timer, a bot's concessions spread over this many of its own moves (as on the
server)."""
MOVES_PER_PHASE = 10_000
"""A phase without timers that takes more turns than this is a bug in the bots: stop."""


class BotsStalled(RuntimeError):
    """A table of bots without timers did not finish a phase: some bot never says ready."""


@dataclass
class BotGame:
    state: GameState
    bots: dict[str, Bot]
    refused: int = 0
    """Actions the rules refused (a bot acting on a proposal that just closed, say)."""
    said: list[tuple[int, str, str]] = field(default_factory=list)
    moves: int = 0
    """Moves the bots made (refused ones included)."""
    performed: list[tuple[int, str, str, Action]] = field(default_factory=list)
    """Every move the rules accepted: round, phase, team, action."""


def play_bot_game(
    scenario: Scenario,
    seed: int,
    strategies: dict[str, Strategy],
    *,
    turns: int | None = 4,
) -> BotGame:
    state = new_game(scenario, seed)
    rules = public_rules(scenario)
    bots = {tid: Bot(tid, rules, strategies[tid], seed) for tid in state.teams}
    game = BotGame(state=state, bots=bots)
    perform(state, Actor.facilitator(), StartGame())
    if turns is None:
        _play_without_timers(game)
    else:
        _play_with_timers(game, turns)
    return game


def _play_with_timers(game: BotGame, turns: int) -> None:
    state = game.state
    facilitator = Actor.facilitator()
    order = list(state.teams)
    while state.phase is not Phase.ended:
        moment = (state.round, state.phase)
        if state.phase is Phase.negotiation:
            rotation = order[state.round % len(order) :] + order[: state.round % len(order)]
            for turn in range(turns):
                t = turn / max(turns - 1, 1)
                for tid in rotation:
                    if (state.round, state.phase) == moment:
                        _act(game, tid, t)
        elif state.phase is Phase.implementation:
            for tid in order:
                if (state.round, state.phase) == moment:
                    _act(game, tid, 1.0)
        # The timer runs out: the facilitator closes the phase the bots have not closed.
        if (state.round, state.phase) == moment:
            perform(state, facilitator, AdvancePhase())


def _act(game: BotGame, tid: str, t: float) -> None:
    state = game.state
    bot = game.bots[tid]
    actor = Actor.of_team(tid)
    seen = _bot_view(state, tid)
    moment = (state.round, state.phase)
    for action in bot.act(seen, t):
        if (state.round, state.phase) != moment:
            break  # the bot's own SetReady (or another's) closed the phase it planned for
        _perform(game, tid, actor, action)


def _bot_view(state: GameState, tid: str) -> dict[str, Any]:
    """What a bot reads of its team's view, and no more (views are most of a game's cost)."""
    return view(
        state,
        Audience.of_team(tid),
        news=0,
        closed_proposals=False,
        history=1,
        compliance=MEMORY,
        translations=False,
    )


def _perform(game: BotGame, tid: str, actor: Actor, action: Action) -> bool:
    game.moves += 1
    bot = game.bots[tid]
    moment = (game.state.round, game.state.phase.value)
    try:
        perform(game.state, actor, action)
    except RuleError as exc:
        game.refused += 1
        bot.refused(action, exc)
        return False
    game.performed.append((*moment, tid, action))
    line = bot.explain(action)
    if line:
        game.said.append((game.state.round, tid, line))
    return True


def _play_without_timers(game: BotGame) -> None:
    state = game.state
    order = list(state.teams)
    moves: dict[str, int] = dict.fromkeys(order, 0)
    moment = (state.round, state.phase)
    in_phase = 0
    while state.phase is not Phase.ended:
        for tid in order:
            if (state.round, state.phase) != moment:
                moment = (state.round, state.phase)
                moves = dict.fromkeys(order, 0)
                in_phase = 0
            seen = _bot_view(state, tid)
            t = min(1.0, moves[tid] / (NO_TIMER_TURNS - 1))
            actions = game.bots[tid].act(seen, t)
            moves[tid] += 1
            in_phase += 1
            if in_phase > MOVES_PER_PHASE:
                raise BotsStalled(
                    f"{state.scenario.id}, seed {state.seed}: round {state.round} "
                    f"{state.phase.value} did not end after {MOVES_PER_PHASE} turns"
                )
            if actions:
                _perform(game, tid, Actor.of_team(tid), actions[0])
