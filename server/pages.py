"""The page routes: HTML for the facilitator, the participants and the projector.

Each route reads the request, calls the server's commands (`server.commands`, the same
functions the JSON API calls: no route calls another route) and renders through
`web.render`: what a screen shows is `web.screens`, what a form sends is `web.forms`.
No game logic lives here. Forms get a fragment back (a message next to the form that
caused it, or the re-rendered form), never JSON. Live updates are the websocket's
`?format=html`, which `web.render` provides and the app registers at start-up.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Form, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from pydantic import ValidationError

from game_rules import records
from game_rules.actions import parse_action
from game_rules.errors import RuleError
from server import commands
from server.deps import (
    Hall,
    facilitator_cookie,
    projector_cookie,
    seat_cookie,
    settings_of,
    token_of,
)
from server.errors import ApiError
from server.room import GameRoom, Principal, Seat
from server.rooms import GameHall
from server.schemas import (
    MAX_SCENARIO_CHARS,
    AnnouncementIn,
    BotChoice,
    BotPace,
    ChatIn,
    GameCreate,
    JoinRequest,
    TeamChoice,
    TimerChange,
)
from server.security import (
    check_form_token,
    client_address,
    form_token,
    limit_game_creation,
)
from web import forms, render, screens
from web.charts import qr_svg
from web.debrief import debrief
from web.i18n import _
from web.refusals import refusal

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
                return error_response(request, exc.status, refusal(exc.code, exc.message))
            except RequestValidationError:
                return error_response(request, 422, _("The form was not filled in as expected."))

        return handler


router = APIRouter(include_in_schema=False, route_class=HtmlErrors)


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
        return message(refusal(exc.code, exc.message), ok=False, status=exc.status)
    except ValidationError as exc:
        return message(forms.problems(exc), ok=False, status=422)
    return message(said or success, ok=True)


def join_url(request: Request, room: GameRoom) -> str:
    settings = settings_of(request)
    base = settings.public_url.rstrip("/") or str(request.base_url).rstrip("/")
    return f"{base}/join/{room.join_code}"


# --- start: the facilitator creates a game ----------------------------------------------


@router.get("/", response_class=HTMLResponse)
async def start_page(request: Request) -> HTMLResponse:
    return page(
        request,
        "start.html",
        scenarios=screens.scenario_choices(),
        errors={},
        form={},
        file_problems=[],
        max_chars=MAX_SCENARIO_CHARS,
    )


async def _uploaded_scenario(form: Any) -> tuple[str, dict[str, str]]:
    """The text of an uploaded scenario file ("" if none), or why it cannot be read."""
    upload = form.get("scenario_file")
    if upload is None or isinstance(upload, str) or not upload.filename:
        return "", {}
    data = await upload.read(4 * (MAX_SCENARIO_CHARS + 1))
    try:
        return data.decode("utf-8-sig"), {}
    except UnicodeDecodeError:
        return "", {"scenario_file": _("The file is not text (UTF-8): is it the YAML file?")}


def _set_cookie(
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


@router.post("/start", response_class=HTMLResponse)
async def start_game(request: Request, hall: Hall) -> Response:
    form = await request.form()
    text, errors = await _uploaded_scenario(form)
    spec_data, more = forms.game_spec(form, text)
    errors |= more
    file_problems: list[str] = []
    response = RedirectResponse("/", status_code=303)
    if not errors:
        try:
            spec = GameCreate.model_validate(spec_data)
            limit_game_creation(request)
            new = await commands.create_game(
                hall,
                scenario=spec.scenario,
                scenario_file=spec.scenario_file,
                teams=spec.teams,
                rounds=spec.rounds,
                seed=spec.seed,
                title=spec.title,
                timers=spec.timers.model_dump(),
            )
        except ValidationError as exc:
            errors = forms.spec_errors(exc)
        except ApiError as exc:
            if exc.status >= 500:
                raise  # not the form's fault: the error page says what happened
            if exc.code == "invalid_scenario" or (text and exc.code == "invalid_teams"):
                errors["scenario_file"] = _("This scenario file cannot be used.")
                file_problems = exc.problems or [exc.message]
            else:
                errors["teams" if exc.code == "invalid_teams" else "scenario"] = exc.message
        else:
            game_id = new.room.id
            response.headers["location"] = f"/games/{game_id}/console"
            fac = facilitator_cookie(game_id)
            _set_cookie(request, response, fac, new.facilitator_token, samesite="strict")
            _set_cookie(request, response, projector_cookie(game_id), new.projector_token)
            return response
    kept = {k: v for k, v in form.items() if isinstance(v, str)}
    return page(
        request,
        "start.html",
        422,
        scenarios=screens.scenario_choices(),
        errors=errors,
        form=kept,
        file_problems=file_problems,
        max_chars=MAX_SCENARIO_CHARS,
    )


# --- join: a code and a name, then a team -------------------------------------------------


async def _room_by_code(request: Request, hall: GameHall, code: str) -> GameRoom:
    client = client_address(request, request.app.state.settings.trusted_proxies)
    return await commands.find_game(hall, request.app.state.join_limiter, client, code)


@router.get("/join", response_class=HTMLResponse)
async def join_page(request: Request) -> HTMLResponse:
    return page(request, "join.html", code="", game=None, errors={}, seat=None)


@router.get("/join/{code}", response_class=HTMLResponse)
async def join_link(request: Request, hall: Hall, code: str) -> HTMLResponse:
    """What a join link shows. Takes no seat: a link preview must not join anyone."""
    try:
        room = await _room_by_code(request, hall, code[:16])
    except ApiError as exc:
        return page(
            request,
            "join.html",
            exc.status,
            code=code,
            game=None,
            errors={"code": exc.message},
            seat=None,
        )
    info = {"game_id": room.id, "title": room.title, "scenario": room.state.scenario.name}
    who = whoami(request, room)
    seat = who.seat if who and who.seat else None
    return page(request, "join.html", code=room.join_code, game=info, errors={}, seat=seat)


@router.post("/join", response_class=HTMLResponse)
async def join_submit(
    request: Request,
    hall: Hall,
    code: Annotated[str, Form(max_length=16)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    response = RedirectResponse("/", status_code=303)
    errors: dict[str, str] = {}
    if not code.strip():
        errors["code"] = _("Enter the code shown by the facilitator.")
    if not name.strip():
        errors["name"] = _("Enter a name the others will see.")
    elif len(name.strip()) > 40:
        errors["name"] = _("At most 40 characters.")
    if not errors:
        try:
            body = JoinRequest(code=code, name=name.strip())
            room = await _room_by_code(request, hall, body.code)
            cookie = request.cookies.get(seat_cookie(room.id))
            joined = await commands.join(hall, room, name=body.name, token=cookie)
        except ApiError as exc:
            errors["name" if exc.code in ("invalid", "too_long") else "code"] = exc.message
        except ValidationError as exc:
            errors["name"] = forms.problems(exc)
        else:
            if not joined.rejoined:
                _set_cookie(request, response, seat_cookie(room.id), joined.token)
            response.headers["location"] = f"/games/{room.id}/play"
            return response
    return page(
        request, "join.html", 422, code=code, game=None, errors=errors, seat=None, name=name
    )


# --- the participant's screen -------------------------------------------------------------


async def _room(hall: GameHall, game_id: str) -> GameRoom:
    if len(game_id) != 16 or any(ch not in "0123456789abcdef" for ch in game_id):
        raise ApiError(404, "not_found", "there is no such game")
    return await hall.room(game_id)


async def _participant(
    request: Request, hall: GameHall, game_id: str
) -> tuple[GameRoom, Principal]:
    room = await _room(hall, game_id)
    who = whoami(request, room)
    if who is None or who.role != "player" or who.seat is None:
        raise ApiError(401, "unauthorised", _("join the game first"))
    return room, who


@router.get("/games/{game_id}", response_class=HTMLResponse)
async def game_home(request: Request, hall: Hall, game_id: str) -> Response:
    room = await _room(hall, game_id)
    who = whoami(request, room)
    if who is None:
        return RedirectResponse(f"/join/{room.join_code}", status_code=303)
    target = {"facilitator": "console", "projector": "projector"}.get(who.role, "play")
    return RedirectResponse(f"/games/{game_id}/{target}", status_code=303)


@router.get("/games/{game_id}/play", response_class=HTMLResponse)
async def play_page(request: Request, hall: Hall, game_id: str) -> Response:
    room = await _room(hall, game_id)
    who = whoami(request, room)
    if who is None or who.seat is None:
        if who is not None and who.role == "facilitator":
            return RedirectResponse(f"/games/{game_id}/console", status_code=303)
        return RedirectResponse(f"/join/{room.join_code}", status_code=303)
    doc = room.document(who.audience_key, hall.hub.online(room.id))
    doc = {**doc, "timer": room.timer()}
    return page(
        request,
        "play.html",
        s=screens.build(doc),
        seat=who.seat,
        game_id=game_id,
        room=room,
        builder=forms.builder_context(doc, None),
    )


@router.post("/games/{game_id}/play/team")
async def pick_team(
    request: Request, hall: Hall, game_id: str, team: Annotated[str, Form(max_length=32)] = ""
) -> Response:
    room, who = await _participant(request, hall, game_id)
    try:
        choice = TeamChoice(team=team or None)
        assert who.seat is not None  # _participant: a seated player
        await commands.change_team(hall, room, who, who.seat.id, choice.team)
    except (ApiError, RuleError) as exc:
        return message(refusal(exc.code, exc.message), ok=False, status=exc.status)
    except ValidationError as exc:
        return message(forms.problems(exc), ok=False, status=422)
    return RedirectResponse(f"/games/{game_id}/play", status_code=303)


# proposal builder -------------------------------------------------------------------------


@router.get("/games/{game_id}/play/builder", response_class=HTMLResponse)
async def builder_get(
    request: Request, hall: Hall, game_id: str, counter: str = ""
) -> HTMLResponse:
    room, who = await _participant(request, hall, game_id)
    doc = room.document(who.audience_key)
    proposal = next((p for p in doc["view"].get("proposals", []) if p["id"] == counter), None)
    shown = forms.counter_of(proposal) if proposal is not None else None
    return fragment(
        "builder.html", b=forms.builder_context(doc, None, counter=shown), game_id=game_id
    )


@router.post("/games/{game_id}/play/builder", response_class=HTMLResponse)
async def builder_post(request: Request, hall: Hall, game_id: str) -> HTMLResponse:
    room, who = await _participant(request, hall, game_id)
    doc = room.document(who.audience_key)
    form = await request.form()
    built = forms.read_builder(form)
    op = str(form.get("op", "send"))
    counter = forms.counter_in(built)
    me_id = doc["view"]["me"]["id"] if doc["view"].get("me") else None
    if op in ("add_term", "add_condition"):
        forms.add_row(built, op, me_id)
        b = forms.builder_context(doc, built, errors={}, shown_counter=counter)
        return fragment("builder.html", b=b, game_id=game_id)
    if op == "clear":
        return fragment("builder.html", b=forms.builder_context(doc, None), game_id=game_id)
    try:
        action = parse_action(forms.proposal_action(built, me_id))
        outcome = await commands.act(hall, room, who, action)
    except (ValidationError, RuleError, ApiError) as exc:
        errors = forms.builder_errors(exc)
        b = forms.builder_context(doc, built, errors=errors, shown_counter=counter)
        status = exc.status if isinstance(exc, RuleError | ApiError) else 422
        return fragment("builder.html", status, b=b, game_id=game_id)
    ids = [
        r.proposal_id
        for r in outcome.notices
        if isinstance(r, records.ProposalMade | records.ProposalCountered)
    ]
    sent = _("Proposal {id} sent.", id=ids[-1]) if ids else _("Proposal sent.")
    fresh = forms.builder_context(room.document(who.audience_key), None, notice=sent)
    return fragment("builder.html", b=fresh, game_id=game_id)


# simple actions, chat, implementation --------------------------------------------------------


@router.post("/games/{game_id}/play/act", response_class=HTMLResponse)
async def play_act(request: Request, hall: Hall, game_id: str) -> HTMLResponse:
    room, who = await _participant(request, hall, game_id)
    data = forms.simple_action(await request.form())
    if data is None:
        return message(_("unknown action"), ok=False, status=422)

    async def run() -> None:
        await commands.act(hall, room, who, parse_action(data))

    return await attempt(run, _(forms.DONE[data["kind"]]))


@router.post("/games/{game_id}/play/chat", response_class=HTMLResponse)
async def play_chat(
    request: Request,
    hall: Hall,
    game_id: str,
    to: Annotated[str, Form(max_length=40)] = "plenary",
    text: Annotated[str, Form(max_length=4000)] = "",
) -> HTMLResponse:
    room, who = await _participant(request, hall, game_id)
    channel, to_team = ("bilateral", to[4:]) if to.startswith("bil:") else (to, None)

    async def run() -> None:
        body = ChatIn.model_validate({"channel": channel, "text": text, "to_team": to_team})
        await commands.chat(
            hall, room, who, channel=body.channel, text=body.text, to_team=body.to_team
        )

    if not text.strip():
        return message(_("Write a message first."), ok=False, status=422)
    return await attempt(run, _("Sent."))


@router.post("/games/{game_id}/play/implement", response_class=HTMLResponse)
async def play_implement(request: Request, hall: Hall, game_id: str) -> HTMLResponse:
    room, who = await _participant(request, hall, game_id)
    data = forms.implement_action(await request.form())

    async def run() -> None:
        await commands.act(hall, room, who, parse_action(data))

    return await attempt(run, _("Decisions saved. You can change them until the phase ends."))


# --- the facilitator's console ------------------------------------------------------------


async def _facilitator(
    request: Request, hall: GameHall, game_id: str
) -> tuple[GameRoom, Principal]:
    room = await _room(hall, game_id)
    who = whoami(request, room)
    if who is None or who.role != "facilitator":
        raise ApiError(
            403,
            "forbidden",
            _("only the facilitator can do that, in the browser that created the game"),
        )
    return room, who


@router.get("/games/{game_id}/console", response_class=HTMLResponse)
async def console_page(request: Request, hall: Hall, game_id: str) -> HTMLResponse:
    room, _who = await _facilitator(request, hall, game_id)
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


CONSOLE_OPS: dict[str, Callable[[GameHall, GameRoom, Principal, Any], Awaitable[str]]] = {
    "inject": _inject,
    "timer": _timer,
    "announce": _announce,
}
"""The console's forms that send more than a button: each reads its form, runs its
command and says what happened."""


@router.post("/games/{game_id}/console/do", response_class=HTMLResponse)
async def console_do(request: Request, hall: Hall, game_id: str) -> HTMLResponse:
    room, who = await _facilitator(request, hall, game_id)
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
    room, who = await _facilitator(request, hall, game_id)
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
    room, who = await _facilitator(request, hall, game_id)
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
    room, who = await _facilitator(request, hall, game_id)
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
    room, _who = await _facilitator(request, hall, game_id)
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


# --- the projector -----------------------------------------------------------------------


@router.get("/games/{game_id}/projector", response_class=HTMLResponse)
async def projector_page(request: Request, hall: Hall, game_id: str, token: str = "") -> Response:
    room = await _room(hall, game_id)
    if token:
        holder = room.authenticate(token)
        if holder.role != "projector":
            raise ApiError(403, "forbidden", _("this is not the projector's link"))
        response = RedirectResponse(f"/games/{game_id}/projector", status_code=303)
        _set_cookie(request, response, projector_cookie(game_id), token)
        return response
    who = whoami(request, room)
    facilitator_here = who is not None and who.role == "facilitator"
    if not facilitator_here and (who is None or who.role != "projector"):
        raise ApiError(403, "forbidden", _("open the projector link from the facilitator console"))
    doc = {**room.document("projector"), "timer": room.timer()}
    # The socket reads the projector's cookie too: no token in this page. The facilitator
    # (whose cookie the socket reads first) asks for the projector's screen.
    ws_query = "&audience=projector" if facilitator_here else ""
    link = join_url(request, room)
    return page(
        request,
        "projector.html",
        s=screens.projector(doc),
        game_id=game_id,
        room=room,
        ws_query=ws_query,
        join_link=link,
        qr=qr_svg(link),
    )


@router.get("/games/{game_id}/debrief", response_class=HTMLResponse)
async def debrief_part(request: Request, hall: Hall, game_id: str) -> HTMLResponse:
    """The debrief section, loaded by every screen once the game has ended."""
    room = await _room(hall, game_id)
    who = whoami(request, room)
    if who is None:
        raise ApiError(401, "unauthorised", _("join the game first"))
    # Each audience's debrief from its own document: what it may see of the ended game
    # is game_rules.views' to say, once the no-agreement replay is done (waited for here).
    if room.state.phase.value == "ended":
        await hall.debrief(room)
    doc = room.document(who.audience_key)
    if doc["debrief"] is None:
        return fragment("debrief.html", d=None, game_id=game_id)
    d = debrief(doc["view"], doc["debrief"], facilitator=who.role == "facilitator")
    return fragment("debrief.html", d=d, game_id=game_id)


@router.get("/games/{game_id}/qr.svg")
async def qr_code(request: Request, hall: Hall, game_id: str) -> Response:
    room = await _room(hall, game_id)
    svg = str(qr_svg(join_url(request, room)))
    return Response(svg, media_type="image/svg+xml")


__all__ = ["router"]
