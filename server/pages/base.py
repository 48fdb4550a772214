"""What every page route shares: HTML errors, who is calling, and the page, fragment and
message responses. No game logic lives here."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from pydantic import ValidationError

from game_rules.errors import RuleError
from server.deps import (
    projector_cookie,
    settings_of,
    token_of,
)
from server.errors import ApiError
from server.room import GameRoom, Principal
from server.rooms import GameHall
from server.security import (
    check_form_token,
    form_token,
)
from web import forms, render
from web.i18n import _
from web.refusals import refusal_of

log = logging.getLogger("compact.pages")


class HtmlErrors(APIRoute):
    """Errors of page routes answer in HTML, never JSON: a readable page for a page
    load, the message next to the form for an htmx request."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                await check_form_token(request)
                return await original(request)
            except (ApiError, RuleError) as exc:
                return error_response(request, exc.status, refusal_of(exc))
            except RequestValidationError:
                return error_response(request, 422, _("The form was not filled in as expected."))

        return handler


def page_router() -> APIRouter:
    """A router whose errors answer in HTML."""
    return APIRouter(include_in_schema=False, route_class=HtmlErrors)


# --- who is calling ----------------------------------------------------------------------


def whoami(request: Request, room: GameRoom) -> Principal | None:
    for token in (
        token_of(request, room.id, None),
        request.cookies.get(projector_cookie(room.id)),
    ):
        if token:
            try:
                return room.authenticate(token)
            except ApiError:
                continue
    return None


def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("now", time.time())
    context.setdefault("heartbeat", request.app.state.settings.ws_heartbeat_seconds)
    context.setdefault("csrf", form_token(request.cookies, request.path_params.get("game_id")))
    return render.templates.TemplateResponse(request, template, context, status_code=status)


def fragment(template: str, status: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(render.fragment(template, **context), status_code=status)


def message(text: str, *, ok: bool, status: int = 200) -> HTMLResponse:
    return HTMLResponse(render.message(text, ok=ok), status_code=status)


def error_response(request: Request, status: int, text: str) -> HTMLResponse:
    if request.headers.get("HX-Request"):
        return message(text, ok=False, status=status)
    title, text = render.error_words(status, text)
    return page(request, "error.html", status, title=title, text=text, code=status)


async def attempt(fn: Callable[[], Awaitable[str | None]], success: str = "") -> HTMLResponse:
    """Run a command; its refusal becomes a message next to the form that caused it, and
    its success the text `fn` returns (or `success`)."""
    try:
        said = await fn()
    except (RuleError, ApiError) as exc:
        return message(refusal_of(exc), ok=False, status=exc.status)
    except ValidationError as exc:
        return message(forms.problems(exc), ok=False, status=422)
    return message(said or success, ok=True)


def join_url(request: Request, room: GameRoom) -> str:
    settings = settings_of(request)
    base = settings.public_url.rstrip("/") or str(request.base_url).rstrip("/")
    return f"{base}/join/{room.join_code}"


async def room_of(hall: GameHall, game_id: str) -> GameRoom:
    if len(game_id) != 16 or any(ch not in "0123456789abcdef" for ch in game_id):
        raise ApiError(404, "not_found", "there is no such game")
    return await hall.room(game_id)


async def participant_of(
    request: Request, hall: GameHall, game_id: str
) -> tuple[GameRoom, Principal]:
    room = await room_of(hall, game_id)
    who = whoami(request, room)
    if who is None or who.role != "player" or who.seat is None:
        raise ApiError(401, "unauthorised", _("join the game first"))
    return room, who


async def facilitator_of(
    request: Request, hall: GameHall, game_id: str
) -> tuple[GameRoom, Principal]:
    room = await room_of(hall, game_id)
    who = whoami(request, room)
    if who is None or who.role != "facilitator":
        raise ApiError(
            403,
            "forbidden",
            _("only the facilitator can do that, in the browser that created the game"),
        )
    return room, who


def set_cookie(
    request: Request,
    response: Response,
    name: str,
    token: str,
    samesite: Literal["lax", "strict"] = "lax",
) -> None:
    """A token as an httpOnly cookie (the facilitator's is Strict, as the API sets it)."""
    settings = settings_of(request)
    response.set_cookie(
        name,
        token,
        max_age=int(settings.token_ttl_hours * 3600),
        httponly=True,
        samesite=samesite,
        secure=settings.cookie_secure,
    )
