"""Hardening that several routes share: display names, cross-site checks, headers.

Kept apart from the routes so that every door (the JSON API, the forms, the websocket)
applies the same rule.
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

from server.errors import ApiError

if TYPE_CHECKING:
    from server.rooms import GameRoom

NAME_MAX_CHARS = 40

RESERVED_NAMES = frozenset({"facilitator", "facilitateur", "facilitatrice", "projector", "ميسر"})
"""Names a participant may not take: the facilitator's announcements are signed so."""


def _visible(ch: str) -> bool:
    # Cc: control characters; Cf: format characters — the bidi overrides and isolates
    # (U+202A-202E, U+2066-2069), zero-width spaces and joiners, the BOM. A name holds none.
    return unicodedata.category(ch) not in ("Cc", "Cf", "Co", "Cs", "Cn")


def display_name(raw: str) -> str:
    """`raw` as a name others will see: NFC, no control or format characters, single
    spaces, 1 to 40 characters. A 422 when nothing visible is left."""
    text = unicodedata.normalize("NFC", raw)
    text = "".join(ch if _visible(ch) else (" " if ch in "\t\n\r" else "") for ch in text)
    text = " ".join(text.split())
    if not text:
        raise ApiError(422, "invalid", "the name is empty: write a name the others will see")
    if len(text) > NAME_MAX_CHARS:
        raise ApiError(422, "too_long", f"a name has at most {NAME_MAX_CHARS} characters")
    return text


def name_key(name: str) -> str:
    """What two names must not share: compatibility forms folded (fullwidth letters,
    ligatures) and case ignored."""
    return unicodedata.normalize("NFKC", name).casefold()


def check_name_free(room: GameRoom, name: str) -> None:
    key = name_key(name)
    if key in RESERVED_NAMES or key.startswith("bot:"):
        raise ApiError(422, "invalid", f"the name {name!r} is reserved: choose another")
    for seat in room.seats.values():
        if not seat.removed and name_key(seat.name) == key:
            raise ApiError(409, "name_taken", f"someone in this game is already called {name!r}")
