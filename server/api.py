"""The HTTP API: everything a facilitator, a participant, a bot or a test can do.

Each write goes through `GameHall.commit`, so it is serialised with the game's other
actions and appended to the log. Tokens come as `Authorization: Bearer …` or as the
httpOnly cookie set at creation or join.
"""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import yaml
from fastapi import APIRouter, Body, Depends, Path, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import update
from sqlmodel import col

from game_rules import load_scenario, shipped_scenarios
from game_rules.actions import FACILITATOR_ACTIONS, Action, TeamId
from game_rules.scenario import Scenario, ScenarioError, parse_scenario_text
from game_rules.state import Phase
from game_rules.views import records_for
from server.errors import ApiError, forbidden, not_found
from server.limits import GuessLimiter
from server.models import ChatMessage, Player
from server.rooms import (
    ChatLine,
    GameHall,
    GameRoom,
    LogEntry,
    Principal,
    Seat,
    Step,
    audience_of,
    engine_step,
    new_token,
    token_hash,
)
from server.security import check_name_free, display_name
from server.settings import Settings
from web.words import words

router = APIRouter(prefix="/api")
bearer = HTTPBearer(auto_error=False, description="a facilitator, projector or player token")

GameIdPath = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$", description="the game's id")]
PlayerIdPath = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$", description="a player's id")]
Name = Annotated[str, Field(min_length=1, max_length=40)]


def seat_cookie(game_id: str) -> str:
    return f"compact_seat_{game_id}"


def facilitator_cookie(game_id: str) -> str:
    return f"compact_facilitator_{game_id}"


def projector_cookie(game_id: str) -> str:
    return f"compact_projector_{game_id}"


# --- dependencies ---------------------------------------------------------------------


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


# --- models ---------------------------------------------------------------------------


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PhaseTimers(_In):
    """Seconds per phase; 0 or absent: no timer (the facilitator advances)."""

    briefing: float = Field(default=0, ge=0, le=24 * 3600)
    negotiation: float = Field(default=0, ge=0, le=24 * 3600)
    implementation: float = Field(default=0, ge=0, le=24 * 3600)
    resolution: float = Field(default=0, ge=0, le=24 * 3600)


MAX_SCENARIO_CHARS = 60_000


class GameCreate(_In):
    scenario: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,47}$")] = "mediterranean"
    scenario_file: str | None = Field(
        default=None,
        max_length=MAX_SCENARIO_CHARS,
        description="the text of an uploaded scenario file (YAML); when given, `scenario` "
        "is ignored. Checked like `compact scenario check`.",
    )
    title: Annotated[str, Field(max_length=120)] = ""
    teams: list[TeamId] | None = Field(
        default=None, min_length=2, max_length=8, description="teams in play; default: all"
    )
    rounds: int | None = Field(default=None, ge=1, le=20)
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1)
    timers: PhaseTimers = PhaseTimers()


class GameCreated(BaseModel):
    game_id: str
    join_code: str
    facilitator_token: str
    projector_token: str
    join_path: str


class TeamInfo(BaseModel):
    id: str
    name: str
    type: str
    colour: str | None = None


class GameInfo(BaseModel):
    """What a join link may show before anyone takes a seat."""

    game_id: str
    title: str
    scenario: str
    phase: str
    teams: list[TeamInfo]


class JoinRequest(_In):
    code: Annotated[str, Field(min_length=1, max_length=16)]
    name: Name
    team: TeamId | None = None


class SeatOut(BaseModel):
    game_id: str
    player_id: str
    name: str
    team: str | None
    token: str | None = Field(default=None, description="only when joining")
    rejoined: bool = False
    waiting: bool = Field(
        default=False, description="joined after the start: the facilitator places the seat"
    )


class TeamChoice(_In):
    team: TeamId | None


class ChatIn(_In):
    channel: Literal["plenary", "team", "bilateral"]
    text: Annotated[str, Field(min_length=1, max_length=4000)]
    to_team: TeamId | None = Field(default=None, description="bilateral: the other team")


class AnnouncementIn(_In):
    text: Annotated[str, Field(min_length=1, max_length=4000)]


class TimerChange(_In):
    add_seconds: int = Field(
        ge=-24 * 3600, le=24 * 3600, description="negative shortens; 0 or less can end it now"
    )


class Accepted(BaseModel):
    seq: int
    version: int
    phase: str
    round: int
    notices: list[dict[str, Any]] = Field(
        default=[],
        description="the records of what the action did that the caller may read, each with "
        "its `kind`, its fields and a sentence `text`",
    )
    result: dict[str, Any] = {}


class ScenarioInfo(BaseModel):
    id: str
    name: str
    rounds: int
    teams: list[TeamInfo]


class ErrorOut(BaseModel):
    error: str
    message: str


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (400, 401, 403, 404, 409, 413, 422, 429)
}


def _accepted(room: GameRoom, seq: int, step: Step, who: Principal) -> Accepted:
    names = {t.id: t.name for t in room.state.scenario.teams}
    notices = [
        {**r, "text": words(r, names)}
        for r in records_for(step.notices, audience_of(who.audience_key))
    ]
    return Accepted(
        seq=seq,
        version=room.state.version,
        phase=room.state.phase.value,
        round=room.state.round,
        notices=notices,
        result=step.result,
    )


def _clean_text(text: str, limit: int) -> str:
    # Keep newlines and tabs, drop other control characters a chat has no use for.
    cleaned = "".join(ch for ch in text if ch >= " " or ch in "\n\t").strip()
    if not cleaned:
        raise ApiError(422, "invalid", "the message is empty")
    if len(cleaned) > limit:
        raise ApiError(422, "too_long", f"a message has at most {limit} characters")
    return cleaned


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
    hall: Hall, settings: Config, response: Response, spec: Annotated[GameCreate, Body()]
) -> GameCreated:
    """Create a game; the answer holds the facilitator's and the projector's tokens."""
    if spec.scenario_file is None and spec.scenario not in shipped_scenarios():
        raise ApiError(
            404, "not_found", f"no scenario {spec.scenario!r} ({', '.join(shipped_scenarios())})"
        )
    try:
        if spec.scenario_file is not None:
            scenario = uploaded_scenario(spec.scenario_file)
        else:
            scenario = load_scenario(spec.scenario)
        if spec.teams is not None:
            scenario = scenario.restricted_to(list(dict.fromkeys(spec.teams)))
        if spec.rounds is not None:
            scenario = scenario.model_copy(update={"rounds": spec.rounds})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise ApiError(
            422, "invalid_teams", f"the scenario cannot be played with these teams: {problems}"
        ) from None
    except (ScenarioError, ValueError) as exc:
        raise ApiError(422, "invalid_teams", str(exc)) from None
    timers = {k: v for k, v in spec.timers.model_dump().items() if v}
    seed = spec.seed if spec.seed is not None else secrets.randbelow(2**31)
    room, fac_token, proj_token = await hall.create(
        scenario, seed=seed, title=spec.title or scenario.name, timers=timers
    )
    _set_cookie(response, facilitator_cookie(room.id), fac_token, settings, samesite="strict")
    return GameCreated(
        game_id=room.id,
        join_code=room.join_code,
        facilitator_token=fac_token,
        projector_token=proj_token,
        join_path=f"/join/{room.join_code}",
    )


def uploaded_scenario(text: str, source: str = "uploaded scenario") -> Scenario:
    """A facilitator's own scenario file, refused with the CLI's messages when invalid."""
    try:
        # Aliases let a few lines of YAML stand for a huge tree: not from strangers.
        if any(isinstance(ev, yaml.AliasEvent) for ev in yaml.parse(text)):
            raise ApiError(
                422,
                "invalid_scenario",
                f"{source}: YAML aliases (*name) are not accepted in uploads; write the values out",
            )
    except yaml.YAMLError:
        pass  # parse_scenario_text reports where the YAML is broken
    try:
        return parse_scenario_text(text, source)
    except ScenarioError as exc:
        raise ApiError(
            422,
            "invalid_scenario",
            f"{source}: {len(exc.problems)} problem(s): " + "; ".join(exc.problems),
            problems=exc.problems,
        ) from None


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def _room_by_code(hall: GameHall, request: Request, code: str) -> GameRoom:
    limiter: GuessLimiter = request.app.state.join_limiter
    client = _client(request)
    wait = limiter.retry_after(client)
    if wait:
        exc = ApiError(429, "too_many_attempts", f"too many wrong codes: wait {wait:.0f} s")
        exc.retry_after = wait
        raise exc
    room = await hall.find_by_code(code)
    if room is None:
        limiter.miss(client)
        raise not_found("game with that code")
    return room


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
    if cookie:
        seat = room.by_token.get(token_hash(cookie))
        if seat is not None and seat.removed:
            # The removed seat's cookie is kept (not cleared) so that this browser is
            # recognised: it does not come back by joining again.
            raise forbidden("the facilitator removed you from this game")
        if seat is not None:
            return SeatOut(
                game_id=room.id,
                player_id=seat.id,
                name=seat.name,
                team=seat.team,
                token=cookie,
                rejoined=True,
            )
    name = display_name(body.name)
    token = new_token()
    player_id = secrets.token_hex(8)
    joined_team: str | None = None

    def take_seat(room: GameRoom, now: float) -> Step:
        nonlocal joined_team
        if room.state.phase is Phase.ended:
            raise ApiError(409, "ended", "this game has ended")
        if body.team is not None and body.team not in room.state.teams:
            raise ApiError(404, "not_found", f"there is no team {body.team!r} in this game")
        if sum(1 for s in room.seats.values() if not s.removed) >= settings.max_players_per_game:
            raise ApiError(409, "full", "this game is full")
        check_name_free(room, name)
        # After the start a newcomer waits without a team until the facilitator places it:
        # otherwise anyone with the code could open a second seat on another team.
        team = body.team if room.state.phase is Phase.lobby else None
        joined_team = team
        seat = Seat(player_id, name, team, token_hash(token), joined_at=now)
        room.seats[seat.id] = seat
        room.by_token[seat.token_hash] = seat
        row = Player(
            id=seat.id,
            game_id=room.id,
            name=name,
            team=team,
            token_hash=seat.token_hash,
            joined_at=datetime.fromtimestamp(now, UTC),
        )
        entry = LogEntry("join", "player", {"name": name, "team": team}, team, seat.id)
        return Step(entry, rows=[row])

    await hall.commit(room.id, take_seat, seen_seq=None)
    _set_cookie(response, seat_cookie(room.id), token, settings)
    return SeatOut(
        game_id=room.id,
        player_id=player_id,
        name=name,
        team=joined_team,
        token=token,
        waiting=joined_team is None and room.state.phase is not Phase.lobby,
    )


@router.get("/games/{game_id}/me", response_model=SeatOut, responses=ERRORS)
async def my_seat(who: Participant, room: Room) -> SeatOut:
    assert who.seat is not None
    return SeatOut(game_id=room.id, player_id=who.seat.id, name=who.seat.name, team=who.seat.team)


async def _change_team(
    hall: GameHall, room: GameRoom, player_id: str, team: str | None, by: Principal
) -> Step:
    def change(room: GameRoom, now: float) -> Step:
        seat = room.seats.get(player_id)
        if seat is None or seat.removed:
            raise not_found(f"player {player_id}")
        if team is not None and team not in room.state.teams:
            raise ApiError(404, "not_found", f"there is no team {team!r} in this game")
        if by.role == "player" and room.state.phase is not Phase.lobby:
            raise ApiError(
                409,
                "teams_fixed",
                "teams are fixed once the game has started: the facilitator places you",
            )
        old = seat.team
        seat.team = team
        row = update(Player).where(col(Player.id) == seat.id).values(team=team)
        entry = LogEntry(
            "team_change",
            by.role,
            {"player_id": seat.id, "from": old, "to": team},
            by.seat.team if by.seat else None,
            by.seat.id if by.seat else None,
        )
        return Step(entry, rows=[row])

    outcome = await hall.commit(room.id, change, seen_seq=None)
    seat = room.seats[player_id]
    await request_retarget(hall, room, seat)
    return outcome.step


async def request_retarget(hall: GameHall, room: GameRoom, seat: Seat) -> None:
    """Connections of a seat that changed team (or left) follow it."""
    for conn in list(hall.hub.connections(room.id)):
        if conn.player_id != seat.id:
            continue
        if seat.removed:
            await conn.socket.close(4403, "removed from the game")
            continue
        if conn.audience_key != seat.audience_key:
            hall.hub.remove(conn)
            conn.audience_key = seat.audience_key
            await hall.attach(room, conn)


@router.post("/games/{game_id}/me/team", response_model=Accepted, responses=ERRORS)
async def choose_team(hall: Hall, room: Room, who: Participant, body: TeamChoice) -> Accepted:
    """Choose a team, in the lobby only: after the start the facilitator places seats."""
    assert who.seat is not None
    step = await _change_team(hall, room, who.seat.id, body.team, who)
    return _accepted(room, room.seq, step, who)


@router.get("/games/{game_id}/players", responses=ERRORS)
async def players(hall: Hall, room: Room, who: Facilitator) -> dict[str, Any]:
    """Every seat, with how many tabs each has open now (presence)."""
    return room.presence_document(hall.hub.online(room.id))


@router.post("/games/{game_id}/players/{player_id}/team", response_model=Accepted, responses=ERRORS)
async def move_player(
    hall: Hall, room: Room, who: Facilitator, player_id: PlayerIdPath, body: TeamChoice
) -> Accepted:
    step = await _change_team(hall, room, player_id, body.team, who)
    return _accepted(room, room.seq, step, who)


class Placed(BaseModel):
    placed: list[dict[str, str]] = Field(description="each waiting seat and the team it got")


def waiting_seats(room: GameRoom) -> list[Seat]:
    """Seats that joined after the start and wait for the facilitator to place them."""
    if room.state.phase is Phase.lobby:
        return []
    return [s for s in room.seats.values() if not s.removed and s.team is None]


def lightest_team(room: GameRoom) -> str:
    """The team with the fewest people (teams a bot plays come last), in scenario order."""
    counts = {t: 0 for t in room.state.teams}
    for s in room.seats.values():
        if not s.removed and s.team in counts:
            counts[s.team] += 1
    return min(counts, key=lambda t: (t in room.bots, counts[t]))


@router.post("/games/{game_id}/players/place", response_model=Placed, responses=ERRORS)
async def place_waiting(hall: Hall, room: Room, who: Facilitator) -> Placed:
    """Give every waiting seat a team, one at a time to the team with the fewest people."""
    placed = []
    for seat in waiting_seats(room):
        if seat.team is not None or seat.removed:
            continue  # placed by hand in the meantime
        team = lightest_team(room)
        await _change_team(hall, room, seat.id, team, who)
        placed.append({"player_id": seat.id, "name": seat.name, "team": team})
    return Placed(placed=placed)


@router.delete("/games/{game_id}/players/{player_id}", response_model=Accepted, responses=ERRORS)
async def remove_player(
    hall: Hall, room: Room, who: Facilitator, player_id: PlayerIdPath
) -> Accepted:
    """Remove a seat: its token stops working and its tabs are disconnected."""

    def remove(room: GameRoom, now: float) -> Step:
        seat = room.seats.get(player_id)
        if seat is None or seat.removed:
            raise not_found(f"player {player_id}")
        seat.removed = True
        row = update(Player).where(col(Player.id) == seat.id).values(removed=True)
        entry = LogEntry("player_removed", "facilitator", {"player_id": seat.id})
        return Step(entry, rows=[row])

    outcome = await hall.commit(room.id, remove, seen_seq=None)
    await request_retarget(hall, room, room.seats[player_id])
    return _accepted(room, outcome.seq, outcome.step, who)


# --- game actions ---------------------------------------------------------------------


@router.post("/games/{game_id}/actions", response_model=Accepted, responses=ERRORS)
async def act(hall: Hall, room: Room, who: Caller, action: Annotated[Action, Body()]) -> Accepted:
    """Any action of the rules engine: `kind` says which. The facilitator's actions
    (start_game, pause_game, resume_game, advance_phase, inject_event, reveal_scores,
    end_game) need the facilitator's token; the others a seated participant's, acting
    for the participant's own team. Pass `expected_version` to refuse the action if the
    game has moved on."""
    outcome = await perform_action(hall, room, who, action)
    return _accepted(room, outcome.seq, outcome.step, who)


async def perform_action(hall: GameHall, room: GameRoom, who: Principal, action: Action) -> Any:
    if action.kind in FACILITATOR_ACTIONS and who.role != "facilitator":
        raise forbidden("only the facilitator can do that")
    step = engine_step(who.actor(), action, who.seat.id if who.seat else None)
    return await hall.commit(room.id, step, seen_seq=room.seq)


# --- chat and announcements -----------------------------------------------------------


async def post_chat(
    hall: GameHall, room: GameRoom, who: Principal, body: ChatIn, settings: Settings
) -> Any:
    assert who.seat is not None
    seat = who.seat
    text = _clean_text(body.text, settings.chat_max_chars)

    def say(room: GameRoom, now: float) -> Step:
        team = seat.team
        to_team = None
        if body.channel != "plenary" and team is None:
            raise forbidden("choose a team first")
        if body.channel == "bilateral":
            if body.to_team is None or body.to_team not in room.state.teams:
                raise ApiError(404, "not_found", "name another team of this game in to_team")
            if body.to_team == team:
                raise ApiError(422, "invalid", "use the team channel to talk to your own team")
            to_team = body.to_team
        if room.state.phase is Phase.ended and body.channel == "plenary":
            pass  # the debrief may go on talking
        seq = room.seq + 1
        line = ChatLine(seq, body.channel, team, to_team, seat.name, text, now, seat.id)
        room.chat.append(line)
        row = ChatMessage(
            game_id=room.id,
            seq=seq,
            channel=body.channel,
            team=team,
            to_team=to_team,
            player_id=seat.id,
            author=seat.name,
            text=text,
        )
        entry = LogEntry(
            "chat",
            "player",
            {"channel": body.channel, "to_team": to_team, "text": text},
            team,
            seat.id,
        )
        return Step(entry, rows=[row])

    return await hall.commit(room.id, say, seen_seq=None)


@router.post("/games/{game_id}/chat", response_model=Accepted, responses=ERRORS)
async def chat(
    hall: Hall, room: Room, who: Participant, settings: Config, body: ChatIn
) -> Accepted:
    """Say something in the plenary, to your own team, or to one other team (bilateral)."""
    outcome = await post_chat(hall, room, who, body, settings)
    return _accepted(room, outcome.seq, outcome.step, who)


@router.get("/games/{game_id}/chat", responses=ERRORS)
async def chat_history(
    room: Room, who: Caller, after_seq: Annotated[int, Query(ge=0)] = 0
) -> dict[str, Any]:
    """The recent messages the caller may read (also in every view)."""
    key = who.audience_key
    return {
        "seq": room.seq,
        "messages": [c.public() for c in room.chat if c.seq > after_seq and c.visible_to(key)],
    }


@router.post("/games/{game_id}/announcements", response_model=Accepted, responses=ERRORS)
async def announce(
    hall: Hall, room: Room, who: Facilitator, settings: Config, body: AnnouncementIn
) -> Accepted:
    """A message from the facilitator to every screen."""
    text = _clean_text(body.text, settings.chat_max_chars)

    def say(room: GameRoom, now: float) -> Step:
        seq = room.seq + 1
        room.chat.append(ChatLine(seq, "announcement", None, None, "Facilitator", text, now))
        row = ChatMessage(
            game_id=room.id, seq=seq, channel="announcement", author="Facilitator", text=text
        )
        return Step(LogEntry("announcement", "facilitator", {"text": text}), rows=[row])

    outcome = await hall.commit(room.id, say, seen_seq=None)
    return _accepted(room, outcome.seq, outcome.step, who)


# --- timer ----------------------------------------------------------------------------


@router.post("/games/{game_id}/timer", response_model=Accepted, responses=ERRORS)
async def change_timer(hall: Hall, room: Room, who: Facilitator, body: TimerChange) -> Accepted:
    """Extend (positive) or shorten (negative) the current phase's timer; with no timer
    running, a positive change starts one. Shortening to zero ends the phase now."""

    def change(room: GameRoom, now: float) -> Step:
        state = room.state
        if state.phase is Phase.lobby or state.phase is Phase.ended:
            raise ApiError(409, "wrong_phase", "there is no phase timer before start or after end")
        if room.deadline is not None:
            room.deadline = max(now, room.deadline + body.add_seconds)
        elif room.paused_remaining is not None:
            room.paused_remaining = max(0.0, room.paused_remaining + body.add_seconds)
        elif body.add_seconds > 0:
            if state.paused:
                room.paused_remaining = float(body.add_seconds)
            else:
                room.deadline = now + body.add_seconds
        else:
            raise ApiError(409, "no_timer", "no timer is running to shorten")
        entry = LogEntry(
            "timer",
            "facilitator",
            {
                "add_seconds": body.add_seconds,
                "deadline": room.deadline,
                "paused_remaining": room.paused_remaining,
            },
        )
        return Step(entry, timer_set=True, result={"timer": room.timer(now)})

    outcome = await hall.commit(room.id, change, seen_seq=None)
    return _accepted(room, outcome.seq, outcome.step, who)


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
