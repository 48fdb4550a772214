"""Why an action was refused, in the reader's language.

The rules and the API refuse with a code (`wrong_phase`, `over_budget`, …) and an English
sentence that names the details (ids, amounts, the phase). A reader of another language
gets the code's meaning in their language, then the English details in parentheses until
the refusals carry their details as data (a later change to `game_rules.errors`).
"""

from __future__ import annotations

from web.i18n import N_, _, language

REFUSALS: dict[str, str] = {
    # the rules (game_rules.errors)
    "illegal_action": N_("The rules do not allow this."),
    "invalid_term": N_("A term of this proposal is not possible."),
    "not_a_party": N_("Your team is not a party to this."),
    "not_allowed": N_("Your team may not do this."),
    "over_budget": N_("This costs more than your treasury holds."),
    "ratification_failed": N_("Ratification failed at home."),
    "stale_version": N_("The game moved on meanwhile: look again and decide."),
    "unknown": N_("This does not exist in this game."),
    "wrong_phase": N_("Not possible in this phase."),
    # the server (server.errors.ApiError)
    "unauthorised": N_("You are not in this game (yet)."),
    "forbidden": N_("This is not for this browser."),
    "not_found": N_("Not found."),
    "conflict": N_("Someone else got there first."),
    "ended": N_("The game has ended."),
    "full": N_("This game is full."),
    "name_taken": N_("Someone in this game already has this name."),
    "no_timer": N_("This phase has no timer."),
    "invalid": N_("This was not filled in as expected."),
    "invalid_teams": N_("These teams cannot play this scenario."),
    "too_long": N_("This is too long."),
    "too_many_attempts": N_("Too many attempts: wait a moment."),
    "busy": N_("The server is busy: try again."),
    "too_many_games": N_("Too many new games from here: wait a while."),
    "game_unavailable": N_("This game cannot be loaded right now: tell the facilitator."),
    "csrf": N_("This form is out of date: reload the page and send it again."),
    "invalid_scenario": N_("This scenario file cannot be used."),
    "teams_fixed": N_("Teams are fixed once the game has started: the facilitator places you."),
    "admission_approval": N_("The facilitator places every new participant: wait a moment."),
    "too_many_messages": N_("Too many messages in a short time: wait a moment."),
    "too_many_actions": N_("Too many actions in a short time: wait a moment."),
    "database_unavailable": N_("The game cannot be saved just now: nothing changed, try again."),
}


def refusal(code: str, detail: str) -> str:
    """The refusal a person reads next to the form: the detail itself in English; in
    another language the code's sentence, the English detail after it."""
    if language() == "en" or code not in REFUSALS:
        return detail
    return _("{why} ({detail})", why=_(REFUSALS[code]), detail=detail)
