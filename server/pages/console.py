"""The facilitator's console: controls, players, seating, bots and a look at a team."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse

from game_rules.actions import parse_action
from server import commands
from server.deps import (
    Hall,
    projector_cookie,
)
from server.errors import ApiError
from server.pages.base import (
    attempt,
    facilitator_of,
    join_url,
    message,
    page,
    page_router,
)
from server.room import GameRoom, Principal, Seat
from server.rooms import GameHall
from server.schemas import (
    AnnouncementIn,
    BotChoice,
    BotPace,
    TeamChoice,
    TimerChange,
)
from web import forms, screens
from web.charts import qr_svg
from web.i18n import _

router = page_router()

# --- the facilitator's console ------------------------------------------------------------


@router.get("/games/{game_id}/console", response_class=HTMLResponse)
async def console_page(request: Request, hall: Hall, game_id: str) -> HTMLResponse:
    room, _who = await facilitator_of(request, hall, game_id)
    doc = {**room.document("facilitator", hall.hub.online(room.id)), "timer": room.timer()}
    link = join_url(request, room)
    projector_token = request.cookies.get(projector_cookie(game_id), "")
    projector_link = (
        f"{join_url(request, room).split('/join/')[0]}/games/{game_id}/projector"
        f"?token={quote(projector_token)}"
        if projector_token
        else ""
    )
    return page(
        request,
        "console.html",
        s=screens.console(doc),
        game_id=game_id,
        room=room,
        join_link=link,
        qr=qr_svg(link),
        projector_link=projector_link,
    )


async def _inject(hall: GameHall, room: GameRoom, who: Principal, form: Any) -> str:
    action = parse_action({"kind": "inject_event", "event_id": str(form.get("event_id"))})
    await commands.act(hall, room, who, action)
    return _("Event injected: it takes effect at resolution.")


async def _timer(hall: GameHall, room: GameRoom, who: Principal, form: Any) -> str:
    try:
        seconds = int(float(str(form.get("minutes", "0"))) * 60)
    except (ValueError, OverflowError):  # "abc", "inf", "nan"
        raise ApiError(422, "invalid", _("Give the minutes as a number.")) from None
    await commands.change_timer(hall, room, who, TimerChange(add_seconds=seconds).add_seconds)
    return _("Timer changed.")


async def _announce(hall: GameHall, room: GameRoom, who: Principal, form: Any) -> str:
    text = str(form.get("text", ""))
    if not text.strip():
        raise ApiError(422, "invalid", _("Write the announcement first."))
    await commands.announce(hall, room, who, AnnouncementIn(text=text).text)
    return _("Announced on every screen.")


async def _admission(hall: GameHall, room: GameRoom, who: Principal, form: Any) -> str:
    mode = str(form.get("mode", ""))
    await commands.set_admission(hall, room, who, mode)
    if mode == "open":
        return _("Newcomers choose their team again.")
    return _("New participants now wait for you to place them.")


async def _slide(hall: GameHall, room: GameRoom, who: Principal, form: Any) -> str:
    try:
        slide = int(str(form.get("slide", "")))
    except ValueError:
        raise ApiError(422, "invalid", _("Choose a slide.")) from None
    await commands.act(hall, room, who, parse_action({"kind": "show_slide", "slide": slide}))
    return _("Every projector shows slide {n}.", n=slide + 1)


CONSOLE_OPS: dict[str, Callable[[GameHall, GameRoom, Principal, Any], Awaitable[str]]] = {
    "admission": _admission,
    "slide": _slide,
    "inject": _inject,
    "timer": _timer,
    "announce": _announce,
}
"""The console's forms that send more than a button: each reads its form, runs its
command and says what happened."""


@router.post("/games/{game_id}/console/do", response_class=HTMLResponse)
async def console_do(request: Request, hall: Hall, game_id: str) -> HTMLResponse:
    room, who = await facilitator_of(request, hall, game_id)
    form = await request.form()
    op = str(form.get("op", ""))
    if op in forms.FACILITATOR_OPS:
        data, done = forms.FACILITATOR_OPS[op]

        async def act() -> None:
            await commands.act(hall, room, who, parse_action(data))

        return await attempt(act, _(done))
    do = CONSOLE_OPS.get(op)
    if do is None:
        return message(_("unknown operation"), ok=False, status=422)
    return await attempt(lambda: do(hall, room, who, form))


@router.post("/games/{game_id}/console/players/{player_id}", response_class=HTMLResponse)
async def console_player(
    request: Request, hall: Hall, game_id: str, player_id: str
) -> HTMLResponse:
    room, who = await facilitator_of(request, hall, game_id)
    form = await request.form()
    op = str(form.get("op", ""))
    if op == "remove":

        async def remove() -> None:
            await commands.remove_player(hall, room, who, player_id)

        return await attempt(remove, _("Removed."))
    team = str(form.get("team", "")) or None

    async def move() -> None:
        await commands.change_team(hall, room, who, player_id, TeamChoice(team=team).team)

    return await attempt(move, _("Moved."))


@router.post("/games/{game_id}/console/place", response_class=HTMLResponse)
async def console_place(request: Request, hall: Hall, game_id: str) -> HTMLResponse:
    """Every seat that waits for a team gets one, balancing the teams."""
    room, who = await facilitator_of(request, hall, game_id)
    placed: list[Seat] = []

    async def run() -> None:
        placed.extend(await commands.place_waiting(hall, room, who))

    done = await attempt(run, "")
    if done.status_code != 200:
        return done
    return message(_("{n} placed.", n=len(placed)) if placed else _("Nobody waits."), ok=True)


@router.post("/games/{game_id}/console/bots", response_class=HTMLResponse)
async def console_bots(request: Request, hall: Hall, game_id: str) -> HTMLResponse:
    """Give a team to a bot, change its strategy, take the team back, or set the pace:
    the bot API's own functions do it."""
    room, who = await facilitator_of(request, hall, game_id)
    form = await request.form()
    op = str(form.get("op", ""))
    team = str(form.get("team", ""))[:32]
    name = room.state.scenario.team(team).name if team in room.state.teams else team
    strategy = str(form.get("strategy", "reciprocator"))[:32]
    seconds = str(form.get("seconds", "")).strip()

    async def run() -> None:
        if op == "seat":
            body = BotChoice(strategy=strategy)
            await commands.seat_bot(hall, room, who, team, body.strategy)
        elif op == "unseat":
            await commands.unseat_bot(hall, room, who, team)
        elif op == "pace":
            try:
                pace = float(seconds)
            except ValueError:
                raise ApiError(422, "invalid", _("Give the seconds as a number.")) from None
            await commands.set_bot_pace(hall, room, who, BotPace(seconds=pace).seconds)
        else:
            raise ApiError(422, "invalid", _("unknown operation"))

    done = forms.BOT_DONE.get(op, "")
    return await attempt(run, _(done, team=name, strategy=strategy, seconds=seconds))


@router.get("/games/{game_id}/console/look/{team}", response_class=HTMLResponse)
async def console_look(request: Request, hall: Hall, game_id: str, team: str) -> HTMLResponse:
    """A read-only look into one team's screen, as its members see it."""
    room, _who = await facilitator_of(request, hall, game_id)
    if team not in room.state.teams:
        raise ApiError(404, "not_found", f"there is no team {team!r} in this game")
    doc = {**room.document(f"team:{team}"), "timer": room.timer()}
    return page(
        request,
        "look.html",
        s=screens.look(doc),
        game_id=game_id,
        room=room,
    )
