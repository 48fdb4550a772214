"""What every route depends on, defined once: the hall, the settings, the game of the
path, and who is calling (from `Authorization: Bearer …` or the game's httpOnly cookies).

The routers (`server.api`, `server.bots`, `server.pages`) and the websocket import these;
none of them imports another router.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from server.errors import ApiError, forbidden
from server.room import GameRoom, Principal
from server.rooms import GameHall
from server.settings import Settings

bearer = HTTPBearer(auto_error=False, description="a facilitator, projector or player token")

GameIdPath = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$", description="the game's id")]
PlayerIdPath = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$", description="a player's id")]


def seat_cookie(game_id: str) -> str:
    return f"compact_seat_{game_id}"


def facilitator_cookie(game_id: str) -> str:
    return f"compact_facilitator_{game_id}"


def projector_cookie(game_id: str) -> str:
    return f"compact_projector_{game_id}"


def client_id(value: object) -> str | None:
    """A client-chosen id for an action or a message (its idempotency key), or None."""
    if isinstance(value, str) and 0 < len(value) <= 64:
        return value
    if value is not None and value != "":
        raise ApiError(422, "invalid", "client_id: a string of 1 to 64 characters")
    return None


def idempotency_key(request: Request) -> str | None:
    """The `Idempotency-Key` header of an action or a message: a retry with the same key
    is not done twice (the live pages send one with every form; docs/websocket.md)."""
    return client_id(request.headers.get("idempotency-key"))


def hall_of(request: Request) -> GameHall:
    hall: GameHall = request.app.state.hall
    return hall


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


Hall = Annotated[GameHall, Depends(hall_of)]
Config = Annotated[Settings, Depends(settings_of)]
Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


async def room_of(game_id: GameIdPath, hall: Hall) -> GameRoom:
    return await hall.room(game_id)


Room = Annotated[GameRoom, Depends(room_of)]


def token_of(
    request: Request, game_id: str, credentials: HTTPAuthorizationCredentials | None
) -> str | None:
    if credentials is not None:
        return credentials.credentials
    return (
        request.cookies.get(seat_cookie(game_id))
        or request.cookies.get(facilitator_cookie(game_id))
        or request.cookies.get(projector_cookie(game_id))
    )


async def caller(request: Request, room: Room, credentials: Bearer) -> Principal:
    return room.authenticate(token_of(request, room.id, credentials))


Caller = Annotated[Principal, Depends(caller)]


async def facilitator(who: Caller) -> Principal:
    if who.role != "facilitator":
        raise forbidden("only the facilitator can do that")
    return who


Facilitator = Annotated[Principal, Depends(facilitator)]


async def player(who: Caller) -> Principal:
    if who.role != "player" or who.seat is None:
        raise forbidden("only a participant with a seat can do that")
    return who


Participant = Annotated[Principal, Depends(player)]


class ErrorOut(BaseModel):
    error: str
    message: str


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (400, 401, 403, 404, 409, 413, 422, 429)
}
"""The error answers every route may give, for the OpenAPI document."""
