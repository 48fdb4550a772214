"""Why an action was refused, in the reader's language.

The rules and the API refuse with a code (`wrong_phase`, `over_budget`, …) and an English
sentence that names the details (ids, amounts, the phase). A reader of another language
gets the code's meaning in their language, then the English details in parentheses until
the refusals carry their details as data (a later change to `game_rules.errors`).
"""

from __future__ import annotations

import re

from web.i18n import N_, _, language
from web.labels import LABELS, label

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
    "bad_format": N_(
        "This page asked for its updates in a form the server does not know: reload it."
    ),
    "invalid_scenario": N_("This scenario file cannot be used."),
    "teams_fixed": N_("Teams are fixed once the game has started: the facilitator places you."),
    "admission_approval": N_("The facilitator places every new participant: wait a moment."),
    "too_many_messages": N_("Too many messages in a short time: wait a moment."),
    "too_many_actions": N_("Too many actions in a short time: wait a moment."),
    "database_unavailable": N_("The game cannot be saved just now: nothing changed, try again."),
}


SAYS_IT_ALL = frozenset(
    {
        "busy",
        "conflict",
        "csrf",
        "database_unavailable",
        "ended",
        "full",
        "game_unavailable",
        "name_taken",
        "no_timer",
        "stale_version",
        "teams_fixed",
        "admission_approval",
        "too_many_games",
    }
)
"""Codes whose sentence says all a reader needs: their English detail is not added."""

WAITS: dict[str, str] = {
    "too_many_attempts": N_("Too many wrong codes: wait {seconds} s."),
    "too_many_messages": N_("Too many messages in a short time: wait {seconds} s."),
    "too_many_actions": N_("Too many actions in a short time: wait {seconds} s."),
}
"""Codes whose only detail is how long to wait: said in the reader's language."""

DETAILS: dict[str, str] = {
    # Fixed English details the server and the rules give, said whole in the reader's
    # language instead of after the code's sentence.
    "only the facilitator can do that": N_("Only the facilitator can do that."),
    "only a participant with a seat can do that": N_("Only a participant with a seat can do that."),
    "only a participant with a seat can chat": N_("Only a participant with a seat can chat."),
    "only the facilitator can move another participant": N_(
        "Only the facilitator can move another participant."
    ),
    "the facilitator removed you from this game": N_("The facilitator removed you from this game."),
    "the facilitator removed this seat from the game": N_(
        "The facilitator removed you from this game."
    ),
    "choose a team first": N_("Choose a team first."),
    "the projector only watches": N_("The projector only watches."),
    "the message is empty": N_("The message is empty."),
    "the name is empty: write a name the others will see": N_(
        "The name is empty: write a name the others will see."
    ),
    "use the team channel to talk to your own team": N_(
        "Use the team channel to talk to your own team."
    ),
    "there is no game with that code": N_("There is no game with that code: check it."),
    "this token has expired": N_("Your access to this game has expired."),
    "the game has ended": N_("The game has ended."),
    "the facilitator has paused the game": N_("The facilitator has paused the game."),
    "the game has already started": N_("The game has already started."),
    "the game is already paused": N_("The game is already paused."),
    "the game is not paused": N_("The game is not paused."),
    "start the game first": N_("Start the game first."),
    "the truth is already revealed": N_("The truth is already revealed."),
    "there is no phase timer before start or after end": N_(
        "There is no phase timer before the start or after the end."
    ),
    "you have already used that tool on that team this round": N_(
        "Your team has already used that tool on that team this round."
    ),
}


_KEY = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")


def readable(detail: str) -> str:
    """The rules' keys in a detail as words (`visa_facilitation` → "visa facilitation",
    `awaiting_ratification` → "awaiting ratification"): no raw key on screen."""
    return _KEY.sub(lambda m: label(m[0]).lower() if m[0] in LABELS else m[0], detail)


def refusal(code: str, detail: str, wait: float | None = None) -> str:
    """The refusal a person reads next to the form: the detail itself in English; in
    another language the detail's own words where it is a fixed sentence, the code's
    sentence alone where it says it all (with the wait, for a rate limit), else the
    code's sentence with the English detail after it (ids, amounts, phases) until the
    rules' refusals carry their details as data."""
    if language() == "en" or code not in REFUSALS:
        return readable(detail)
    if detail in DETAILS:
        return _(DETAILS[detail])
    if code in WAITS and wait is not None:
        return _(WAITS[code], seconds=max(1, round(wait)))
    if code in SAYS_IT_ALL or code in WAITS:
        return _(REFUSALS[code])
    return _("{why} ({detail})", why=_(REFUSALS[code]), detail=readable(detail))


def refusal_of(exc: Exception) -> str:
    """`refusal` of a RuleError or ApiError, its wait included."""
    code, message = str(getattr(exc, "code", "")), str(getattr(exc, "message", exc))
    return refusal(code, message, getattr(exc, "retry_after", None))
