"""Scores, each team's no-agreement outcome (its BATNA) and the gain from partnership.

The no-agreement run replays the same game, same seed, same events (drawn and injected),
same unilateral policies and coercion, with no agreement at all (GAME.md §6.2).
"""

from __future__ import annotations

from game_rules.actions import Actor, AdvancePhase, InjectEvent, StartGame
from game_rules.rules import fit_to_budget, new_game, perform
from game_rules.state import Coercion, Decision, GameState, Phase


def game_scores(state: GameState) -> dict[str, float]:
    """Each team's score: the mean of its round scores so far (0–100)."""
    if not state.history:
        return {tid: 0.0 for tid in state.teams}
    return {
        tid: sum(rec.scores[tid] for rec in state.history) / len(state.history)
        for tid in state.teams
    }


def no_agreement_run(state: GameState) -> GameState:
    """The same rounds as `state` has played, without any agreement."""
    cf = new_game(state.scenario, state.seed, counterfactual=True)
    system = Actor.system()
    perform(cf, Actor.facilitator(), StartGame())
    for rec, decisions in zip(state.history, state.decisions_log, strict=True):
        # Scheduled and drawn events come from the seed; injected ones are replayed.
        for card_id in rec.injected:
            perform(cf, Actor.facilitator(), InjectEvent(event_id=card_id))
        perform(cf, system, AdvancePhase())  # → negotiation
        for c in rec.coercions:
            _replay_coercion(cf, c)
        perform(cf, system, AdvancePhase())  # → implementation
        for tid, decision in decisions.items():
            cf.teams[tid].decision = fit_to_budget(
                cf, tid, Decision(compliance={}, policies=decision.policies)
            )
        perform(cf, system, AdvancePhase())  # → resolution
        if cf.round < state.round:
            perform(cf, system, AdvancePhase())  # → next briefing
    return cf


def _replay_coercion(cf: GameState, c: Coercion) -> None:
    from game_rules.actions import Coerce
    from game_rules.scenario import CoerciveTool

    perform(cf, Actor.of_team(c.by), Coerce(tool=CoerciveTool(c.tool), target=c.target))


def batna_report(state: GameState) -> dict[str, dict[str, float]]:
    """Per team: score, no-agreement score (BATNA) and gain from partnership."""
    scores = game_scores(state)
    if not state.history:
        return {t: {"score": 0.0, "batna": 0.0, "gain": 0.0} for t in state.teams}
    batna = game_scores(no_agreement_run(state))
    return {
        t: {"score": scores[t], "batna": batna[t], "gain": scores[t] - batna[t]}
        for t in state.teams
    }


def is_over(state: GameState) -> bool:
    return state.phase is Phase.ended
