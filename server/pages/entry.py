"""Start and join: the facilitator creates a game; a participant brings a code and a name."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from server import commands
from server.deps import (
    Hall,
    facilitator_cookie,
    projector_cookie,
    seat_cookie,
)
from server.errors import ApiError
from server.pages.base import (
    page,
    page_router,
    set_cookie,
    whoami,
)
from server.pages.tables import start_session
from server.room import GameRoom
from server.rooms import GameHall
from server.schemas import (
    MAX_SCENARIO_CHARS,
    GameCreate,
    JoinRequest,
)
from server.security import (
    browser_id,
    client_address,
    limit_game_creation,
)
from server.sessions import MAX_TABLES
from web import forms, screens
from web.i18n import _
from web.refusals import refusal_of

router = page_router()

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


def _tables(form: Any, errors: dict[str, str]) -> int:
    """How many parallel tables the start form asks for (1: a single game)."""
    raw = str(form.get("tables", "") or "1").strip()
    if raw.isdigit() and 1 <= int(raw) <= MAX_TABLES:
        return int(raw)
    errors["tables"] = _("From 1 to {n} tables.", n=MAX_TABLES)
    return 1


@router.post("/start", response_class=HTMLResponse)
async def start_game(request: Request, hall: Hall) -> Response:
    form = await request.form()
    text, errors = await _uploaded_scenario(form)
    spec_data, more = forms.game_spec(form, text)
    errors |= more
    file_problems: list[str] = []
    response = RedirectResponse("/", status_code=303)
    tables = _tables(form, errors)
    if not errors:
        try:
            spec = GameCreate.model_validate(spec_data)
            limit_game_creation(request)
            if tables > 1:
                return await start_session(request, hall, spec, tables)
            new = await commands.create_game(hall, **spec.arguments())
        except ValidationError as exc:
            errors = forms.spec_errors(exc)
        except ApiError as exc:
            if exc.status >= 500:
                raise  # not the form's fault: the error page says what happened
            if exc.code == "invalid_scenario" or (text and exc.code == "invalid_teams"):
                errors["scenario_file"] = _("This scenario file cannot be used.")
                file_problems = exc.problems or [exc.message]
            else:
                errors["teams" if exc.code == "invalid_teams" else "scenario"] = refusal_of(exc)
        else:
            game_id = new.room.id
            response.headers["location"] = f"/games/{game_id}/console"
            fac = facilitator_cookie(game_id)
            set_cookie(request, response, fac, new.facilitator_token, samesite="strict")
            set_cookie(request, response, projector_cookie(game_id), new.projector_token)
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
    limiter = request.app.state.join_limiter
    return await commands.find_game(hall, limiter, client, browser_id(request), code)


@router.get("/join", response_class=HTMLResponse)
async def join_page(request: Request) -> HTMLResponse:
    # The browser is known from its first visit: by the time its code is typed, others'
    # wrong codes at its address no longer stand in its way (server.limits.JoinLimiter).
    client = client_address(request, request.app.state.settings.trusted_proxies)
    request.app.state.join_limiter.register(browser_id(request), client)
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
            errors={"code": refusal_of(exc)},
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
            errors["name" if exc.code in ("invalid", "too_long") else "code"] = refusal_of(exc)
        except ValidationError as exc:
            errors["name"] = forms.problems(exc)
        else:
            if not joined.rejoined:
                set_cookie(request, response, seat_cookie(room.id), joined.token)
            response.headers["location"] = f"/games/{room.id}/play"
            return response
    return page(
        request, "join.html", 422, code=code, game=None, errors=errors, seat=None, name=name
    )
