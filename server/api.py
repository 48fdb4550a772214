"""The HTTP API: everything a facilitator, a participant, a bot or a test can do.

Each route authorises its caller (`server.deps`), calls one command (`server.commands`)
and answers with what it did; the commands go through `GameHall.commit`, so each write is
serialised with the game's other actions and appended to the log.
"""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query, Request, Response

from game_rules import load_scenario, shipped_scenarios
from game_rules.actions import Action
from game_rules.views import may_read_chat, records_for
from server import commands
from server.commands import uploaded_scenario
from server.deps import (
    ERRORS,
    Caller,
    Config,
    ErrorOut,
    Facilitator,
    GameIdPath,
    Hall,
    Participant,
    PlayerIdPath,
    Room,
    facilitator_cookie,
    idempotency_key,
    projector_cookie,
    seat_cookie,
    settings_of,
    token_of,
)
from server.room import GameRoom, Outcome, Principal, audience_of
from server.rooms import GameHall
from server.schemas import (
    MAX_SCENARIO_CHARS,
    Accepted,
    AdmissionIn,
    AnnouncementIn,
    ChatIn,
    GameCreate,
    GameCreated,
    GameInfo,
    JoinRequest,
    Placed,
    ScenarioInfo,
    SeatOut,
    TeamChoice,
    TeamInfo,
    TimerChange,
)
from server.security import browser_id, client_address, limit_game_creation
from server.settings import Settings
from web.words import words

__all__ = [
    "ERRORS",
    "MAX_SCENARIO_CHARS",
    "AnnouncementIn",
    "ChatIn",
    "ErrorOut",
    "GameCreate",
    "GameIdPath",
    "JoinRequest",
    "TeamChoice",
    "TimerChange",
    "facilitator_cookie",
    "projector_cookie",
    "router",
    "seat_cookie",
    "settings_of",
    "token_of",
    "uploaded_scenario",
]

router = APIRouter(prefix="/api")


def _accepted(room: GameRoom, outcome: Outcome, who: Principal, **result: Any) -> Accepted:
    names = {t.id: t.name for t in room.state.scenario.teams}
    notices = [
        {**r, "text": words(r, names)}
        for r in records_for(outcome.notices, audience_of(who.audience_key))
    ]
    return Accepted(
        seq=outcome.seq,
        version=room.state.version,
        phase=room.state.phase.value,
        round=room.state.round,
        notices=notices,
        result=result,
    )


def _teams(room: GameRoom) -> list[TeamInfo]:
    return [
        TeamInfo(id=t.id, name=t.name, type=t.type.value, colour=t.colour)
        for t in room.state.scenario.teams
    ]


def _set_cookie(
    response: Response,
    name: str,
    token: str,
    settings: Settings,
    samesite: Literal["lax", "strict"] = "lax",
) -> None:
    # Lax for seats: a join link opened from a chat app still finds its seat. The
    # facilitator's cookie is Strict: its console is reached from this site only.
    response.set_cookie(
        name,
        token,
        max_age=int(settings.token_ttl_hours * 3600),
        httponly=True,
        samesite=samesite,
        secure=settings.cookie_secure,
    )


# --- scenarios and games --------------------------------------------------------------


@router.get("/scenarios", response_model=list[ScenarioInfo])
async def list_scenarios() -> list[ScenarioInfo]:
    out = []
    for name in shipped_scenarios():
        sc = load_scenario(name)
        out.append(
            ScenarioInfo(
                id=sc.id,
                name=sc.name,
                rounds=sc.rounds,
                teams=[
                    TeamInfo(id=t.id, name=t.name, type=t.type.value, colour=t.colour)
                    for t in sc.teams
                ],
            )
        )
    return out


@router.post("/games", response_model=GameCreated, status_code=201, responses=ERRORS)
async def create_game(
    hall: Hall,
    settings: Config,
    request: Request,
    response: Response,
    spec: Annotated[GameCreate, Body()],
) -> GameCreated:
    """Create a game; the answer holds the facilitator's and the projector's tokens."""
    limit_game_creation(request)
    new = await commands.create_game(hall, **spec.arguments())
    room = new.room
    _set_cookie(
        response, facilitator_cookie(room.id), new.facilitator_token, settings, samesite="strict"
    )
    return GameCreated(
        game_id=room.id,
        join_code=room.join_code,
        facilitator_token=new.facilitator_token,
        projector_token=new.projector_token,
        join_path=f"/join/{room.join_code}",
    )


def _client(request: Request) -> str:
    return client_address(request, settings_of(request).trusted_proxies)


async def _room_by_code(hall: GameHall, request: Request, code: str) -> GameRoom:
    limiter = request.app.state.join_limiter
    return await commands.find_game(hall, limiter, _client(request), browser_id(request), code)


@router.get("/join/{code}", response_model=GameInfo, responses=ERRORS)
async def game_by_code(
    hall: Hall, request: Request, code: Annotated[str, Path(max_length=16)]
) -> GameInfo:
    """What a join link shows. Takes no seat: link previews and crawlers may GET it."""
    room = await _room_by_code(hall, request, code)
    return GameInfo(
        game_id=room.id,
        title=room.title,
        scenario=room.state.scenario.name,
        phase=room.state.phase.value,
        teams=_teams(room),
    )


@router.post("/join", response_model=SeatOut, responses=ERRORS)
async def join(
    hall: Hall,
    settings: Config,
    request: Request,
    response: Response,
    body: Annotated[JoinRequest, Body()],
) -> SeatOut:
    """Take a seat. From a browser that already has one in this game, get it back."""
    room = await _room_by_code(hall, request, body.code)
    cookie = request.cookies.get(seat_cookie(room.id))
    joined = await commands.join(hall, room, name=body.name, team=body.team, token=cookie)
    if not joined.rejoined:
        _set_cookie(response, seat_cookie(room.id), joined.token, settings)
    seat = joined.seat
    return SeatOut(
        game_id=room.id,
        player_id=seat.id,
        name=seat.name,
        team=seat.team,
        token=joined.token,
        rejoined=joined.rejoined,
        waiting=joined.waiting,
    )


@router.get("/games/{game_id}/me", response_model=SeatOut, responses=ERRORS)
async def my_seat(who: Participant, room: Room) -> SeatOut:
    assert who.seat is not None
    return SeatOut(game_id=room.id, player_id=who.seat.id, name=who.seat.name, team=who.seat.team)


@router.post("/games/{game_id}/me/team", response_model=Accepted, responses=ERRORS)
async def choose_team(hall: Hall, room: Room, who: Participant, body: TeamChoice) -> Accepted:
    """Choose a team, in the lobby only: after the start the facilitator places seats."""
    assert who.seat is not None
    outcome = await commands.change_team(hall, room, who, who.seat.id, body.team)
    return _accepted(room, outcome, who)


@router.get("/games/{game_id}/players", responses=ERRORS)
async def players(hall: Hall, room: Room, who: Facilitator) -> dict[str, Any]:
    """Every seat, with how many tabs each has open now (presence)."""
    return room.presence_document(hall.hub.online(room.id))


@router.post("/games/{game_id}/players/{player_id}/team", response_model=Accepted, responses=ERRORS)
async def move_player(
    hall: Hall, room: Room, who: Facilitator, player_id: PlayerIdPath, body: TeamChoice
) -> Accepted:
    outcome = await commands.change_team(hall, room, who, player_id, body.team)
    return _accepted(room, outcome, who)


@router.post("/games/{game_id}/players/place", response_model=Placed, responses=ERRORS)
async def place_waiting(hall: Hall, room: Room, who: Facilitator) -> Placed:
    """Give every waiting seat a team, one at a time to the team with the fewest people."""
    placed = await commands.place_waiting(hall, room, who)
    return Placed(
        placed=[{"player_id": s.id, "name": s.name, "team": s.team or ""} for s in placed]
    )


@router.put("/games/{game_id}/admission", response_model=Accepted, responses=ERRORS)
async def admission(hall: Hall, room: Room, who: Facilitator, body: AdmissionIn) -> Accepted:
    """Whether newcomers choose their team in the lobby or wait for the facilitator."""
    outcome = await commands.set_admission(hall, room, who, body.mode)
    return _accepted(room, outcome, who)


@router.delete("/games/{game_id}/players/{player_id}", response_model=Accepted, responses=ERRORS)
async def remove_player(
    hall: Hall, room: Room, who: Facilitator, player_id: PlayerIdPath
) -> Accepted:
    """Remove a seat: its token stops working and its tabs are disconnected."""
    outcome = await commands.remove_player(hall, room, who, player_id)
    return _accepted(room, outcome, who)


# --- game actions ---------------------------------------------------------------------


@router.post("/games/{game_id}/actions", response_model=Accepted, responses=ERRORS)
async def act(
    hall: Hall, room: Room, who: Caller, request: Request, action: Annotated[Action, Body()]
) -> Accepted:
    """Any action of the rules engine: `kind` says which. The facilitator's actions
    (start_game, pause_game, resume_game, advance_phase, inject_event, reveal_scores,
    end_game, and reveal_truth after the end) need the facilitator's token; the others a
    seated participant's, acting for the participant's own team. Pass `expected_version`
    to refuse the action if the game has moved on."""
    action = commands.strict_action(await request.body())
    outcome = await commands.act(hall, room, who, action, client_id=idempotency_key(request))
    return _accepted(room, outcome, who)


# --- chat and announcements -----------------------------------------------------------


@router.post("/games/{game_id}/chat", response_model=Accepted, responses=ERRORS)
async def chat(
    hall: Hall, room: Room, who: Participant, body: ChatIn, request: Request
) -> Accepted:
    """Say something in the plenary, to your own team, or to one other team (bilateral).
    An `Idempotency-Key` header makes a retry safe: the same key is not said twice."""
    outcome = await commands.chat(
        hall,
        room,
        who,
        channel=body.channel,
        text=body.text,
        to_team=body.to_team,
        client_id=idempotency_key(request),
    )
    return _accepted(room, outcome, who)


@router.get("/games/{game_id}/chat", responses=ERRORS)
async def chat_history(
    room: Room, who: Caller, after_seq: Annotated[int, Query(ge=0)] = 0
) -> dict[str, Any]:
    """The recent messages the caller may read (also in every view)."""
    audience = audience_of(who.audience_key)
    return {
        "seq": room.seq,
        "messages": [
            c.public()
            for c in room.chat
            if c.seq > after_seq and may_read_chat(audience, c.channel, c.team, c.to_team)
        ],
    }


@router.post("/games/{game_id}/announcements", response_model=Accepted, responses=ERRORS)
async def announce(
    hall: Hall, room: Room, who: Facilitator, settings: Config, body: AnnouncementIn
) -> Accepted:
    """A message from the facilitator to every screen."""
    outcome = await commands.announce(hall, room, who, body.text)
    return _accepted(room, outcome, who)


# --- timer ----------------------------------------------------------------------------


@router.post("/games/{game_id}/timer", response_model=Accepted, responses=ERRORS)
async def change_timer(hall: Hall, room: Room, who: Facilitator, body: TimerChange) -> Accepted:
    """Extend (positive) or shorten (negative) the current phase's timer; with no timer
    running, a positive change starts one. Shortening to zero ends the phase now."""
    outcome = await commands.change_timer(hall, room, who, body.add_seconds)
    return _accepted(room, outcome, who, timer=room.timer(outcome.entry.at))


# --- reading ---------------------------------------------------------------------------


@router.get("/games/{game_id}/view", responses=ERRORS)
async def current_view(hall: Hall, room: Room, who: Caller) -> dict[str, Any]:
    """The caller's whole screen, as the websocket sends it (a fallback for polling)."""
    return room.document(who.audience_key, hall.hub.online(room.id))


@router.get("/games/{game_id}/export", responses=ERRORS)
async def export(hall: Hall, room: Room, who: Facilitator) -> dict[str, Any]:
    """The full event log and the current state (for the debrief and for checks)."""
    log = await hall.log(room.id)
    return {
        "game_id": room.id,
        "seq": room.seq,
        "exported_at": time.time(),
        "log": log,
        "state": room.state.model_dump(mode="json"),
    }
