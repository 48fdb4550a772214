"""Errors the server answers with, besides the engine's RuleErrors.

Every error body has the same shape: `{"error": code, "message": words a person can read}`.
"""

from __future__ import annotations


class ApiError(Exception):
    def __init__(
        self, status: int, code: str, message: str, problems: list[str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.problems = problems
        """each problem on its own, when there are several (an uploaded scenario's)"""
        self.retry_after: float | None = None
        """for a 429: seconds until the caller may try again"""


class Conflict(ApiError):
    """Another action got there first. Nothing changed: reload the view and try again."""

    def __init__(self, message: str) -> None:
        super().__init__(409, "conflict", message)


class DatabaseUnavailable(ApiError):
    """The database cannot be read or written just now (read-only, full, gone). Nothing
    changed; the same request may be sent again."""

    def __init__(self) -> None:
        super().__init__(
            503,
            "database_unavailable",
            "the game's database cannot be written just now: nothing changed, try again shortly",
        )
        self.retry_after = 5.0


def not_found(what: str) -> ApiError:
    return ApiError(404, "not_found", f"there is no {what}")


def unauthorised(message: str = "a valid token is needed") -> ApiError:
    return ApiError(401, "unauthorised", message)


def forbidden(message: str) -> ApiError:
    return ApiError(403, "forbidden", message)
