"""Scores, each team's no-agreement outcome (its BATNA) and the gain from partnership.

The no-agreement run replays the same game, same seed, same events (drawn and injected),
same unilateral policies and coercion, with no agreement at all (GAME.md §6.2).
"""

from __future__ import annotations

from game_rules.actions import Actor, AdvancePhase, InjectEvent, StartGame
from game_rules.rules import fit_to_budget, new_game, perform
from game_rules.state import Coercion, Decision, GameState, RoundRecord


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
    records = state.history
    for i, (rec, decisions) in enumerate(zip(records, state.decisions_log, strict=True)):
        # Scheduled and drawn events come from the seed; injected ones are replayed at the
        # point they were injected (early ones were replayed before this round began).
        for card_id in _after_start(rec):
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
        following = records[i + 1] if i + 1 < len(records) else None
        if following is None and state.round > cf.round:
            following = _pending_record(state)
        for card_id in following.injected_early if following else []:
            perform(cf, Actor.facilitator(), InjectEvent(event_id=card_id))
        if cf.round < state.round:
            perform(cf, system, AdvancePhase())  # → next briefing
    return cf


def _after_start(rec: RoundRecord) -> list[str]:
    early = list(rec.injected_early)
    rest = []
    for card_id in rec.injected:
        if card_id in early:
            early.remove(card_id)
        else:
            rest.append(card_id)
    return rest


def _pending_record(state: GameState) -> RoundRecord:
    """The round in play (not yet resolved): only its early injections matter here."""
    early = [ev.card_id for ev in state.events if ev.early and ev.round_drawn == state.round]
    return RoundRecord(
        round=state.round,
        year=state.year,
        corridors={},
        indicators={},
        scores={},
        support={},
        trust={},
        events=[],
        injected=early,
        injected_early=early,
    )


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
