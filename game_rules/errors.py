"""Typed errors for illegal actions. Each says, in words a participant can read, why.

They subclass ValueError (as python-chess's IllegalMoveError does); `status` is the HTTP
status the server answers with, so the mapping lives next to the meaning.
"""

from __future__ import annotations


class RuleError(ValueError):
    """An action the rules do not allow. The state is left unchanged."""

    status = 422
    code = "illegal_action"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class WrongPhase(RuleError):
    """The action is not possible in the current phase (or while paused, or after the end)."""

    status = 409
    code = "wrong_phase"


class NotAllowed(RuleError):
    """The actor may not do this at all: a team acting as facilitator, or for another team."""

    status = 403
    code = "not_allowed"


class NotAParty(NotAllowed):
    """The team is not a party to the proposal or agreement it acts on."""

    code = "not_a_party"


class UnknownObject(RuleError):
    """A proposal, agreement, term, team or event that does not exist."""

    status = 404
    code = "unknown"


class InvalidTerm(RuleError):
    """A term or condition that breaks the deal language of GAME.md §4."""

    code = "invalid_term"


class OverBudget(RuleError):
    """Implementation decisions that cost more than the team has."""

    code = "over_budget"


class StaleVersion(RuleError):
    """The action was built on a state or proposal version that has since changed."""

    status = 409
    code = "stale_version"


class RatificationFailed(RuleError):
    """Signing would push the government's support under its threshold (two-level game)."""

    code = "ratification_failed"
