"""The HTTP API of exports, replay and parallel tables (sessions).

Exports answer for the caller's audience (`server.export`): the facilitator gets the log,
anyone else the view they had. Sessions are authorised by the session's token
(`Authorization: Bearer …` or its cookie) and act on each table as its facilitator.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from server import export, replay, sessions
from server.deps import ERRORS, Bearer, Caller, Config, Facilitator, Hall, Room, facilitator_cookie
from server.rooms import GameHall
from server.schemas import GameCreate, PhaseTimers
from server.security import limit_game_creation
from server.settings import Settings

router = APIRouter(prefix="/api")

SessionIdPath = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$", description="the session's id")]


def attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


# --- exports ------------------------------------------------------------------------------


@router.get("/games/{game_id}/export/log.json", responses=ERRORS)
async def export_log(hall: Hall, room: Room, who: Caller) -> JSONResponse:
    """The facilitator's export: the whole log (without the seats' token hashes), the
    state at creation and the digest of the state now, re-importable with `compact db
    import`. Anyone else's: their own view of the game, every round, news item and chat
    line they could read, and their debrief."""
    data = await export.export_for(hall, room, who.audience_key)
    name = f"compact-{room.id}-{who.audience_key.replace(':', '-')}.json"
    return JSONResponse(data, headers=attachment(name))


@router.get("/games/{game_id}/export/indicators.csv", responses=ERRORS)
async def export_indicators(room: Room, who: Caller) -> PlainTextResponse:
    """Indicators per round and team as the caller saw them (CSV: table, game_id, round,
    year, team, indicator, value)."""
    v = export.audience_view(room, who.audience_key)
    text = export.indicators_csv([("", room.id, v)])
    name = f"compact-{room.id}-{who.audience_key.replace(':', '-')}-indicators.csv"
    return PlainTextResponse(text, media_type="text/csv", headers=attachment(name))


# --- replay -------------------------------------------------------------------------------


class ReplayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    round: int | None = Field(ge=0, le=100, description="0: the start; null: the live game")


@router.put("/games/{game_id}/replay", responses=ERRORS)
async def show_round(hall: Hall, room: Room, who: Facilitator, body: ReplayIn) -> dict[str, Any]:
    """Show a past round on the projector (or, with null, the live game again)."""
    outcome = await replay.show_round(hall, room, who, body.round)
    return {"seq": outcome.seq, "replay": room.replay_round}


# --- sessions -----------------------------------------------------------------------------


class SessionCreate(GameCreate):
    tables: int = Field(ge=2, le=sessions.MAX_TABLES, description="how many games")


class SessionTableOut(BaseModel):
    number: int
    game_id: str
    join_code: str
    facilitator_token: str | None = None
    projector_token: str | None = None


class SessionOut(BaseModel):
    session_id: str
    title: str
    scenario: str
    seed: int
    token: str | None = Field(default=None, description="the session's token: only on creation")
    tables: list[SessionTableOut]


class SessionDo(BaseModel):
    model_config = ConfigDict(extra="forbid")
    op: Literal["start", "advance", "pause", "resume", "announce", "bots"]
    text: Annotated[str, Field(max_length=4000)] = ""
    strategy: Annotated[str, Field(max_length=32)] = "reciprocator"
    seconds: float | None = Field(default=None, ge=0, le=600)


def session_token(request: Request, session_id: str, credentials: Any) -> str | None:
    if credentials is not None:
        return str(credentials.credentials)
    return request.cookies.get(sessions.session_cookie(session_id))


async def authorised_session(
    hall: GameHall, request: Request, session_id: str, credentials: Any
) -> sessions.SessionInfo:
    info = await sessions.load_session(hall, session_id)
    info.authorise(session_token(request, session_id, credentials))
    return info


def set_session_cookies(response: Response, settings: Settings, new: sessions.NewSession) -> None:
    """The session's cookie and each table's facilitator cookie (Strict: consoles are
    reached from this site only), so the tables' consoles open from the session's."""
    age = int(settings.token_ttl_hours * 3600)
    pairs = [(sessions.session_cookie(new.info.id), new.token)] + [
        (facilitator_cookie(g.room.id), g.facilitator_token) for g in new.games
    ]
    for name, token in pairs:
        response.set_cookie(
            name,
            token,
            max_age=age,
            httponly=True,
            samesite="strict",
            secure=settings.cookie_secure,
        )


@router.post("/sessions", response_model=SessionOut, status_code=201, responses=ERRORS)
async def create_session(
    hall: Hall,
    settings: Config,
    request: Request,
    response: Response,
    spec: Annotated[SessionCreate, Body()],
) -> SessionOut:
    """Several games ("tables") of one scenario and seed, as one session."""
    limit_game_creation(request)
    new = await sessions.create_session(
        hall,
        tables=spec.tables,
        seed=spec.seed,
        title=spec.title,
        scenario=spec.scenario,
        scenario_file=spec.scenario_file,
        teams=spec.teams,
        rounds=spec.rounds,
        timers=(spec.timers or PhaseTimers()).model_dump(),
    )
    set_session_cookies(response, settings, new)
    info = new.info
    return SessionOut(
        session_id=info.id,
        title=info.title,
        scenario=info.scenario_id,
        seed=info.seed,
        token=new.token,
        tables=[
            SessionTableOut(
                number=n,
                game_id=g.room.id,
                join_code=g.room.join_code,
                facilitator_token=g.facilitator_token,
                projector_token=g.projector_token,
            )
            for n, g in enumerate(new.games, start=1)
        ],
    )


@router.get("/sessions/{session_id}", response_model=SessionOut, responses=ERRORS)
async def get_session(
    hall: Hall, request: Request, session_id: SessionIdPath, credentials: Bearer
) -> SessionOut:
    info = await authorised_session(hall, request, session_id, credentials)
    rooms = await sessions.rooms_of(hall, info)
    return SessionOut(
        session_id=info.id,
        title=info.title,
        scenario=info.scenario_id,
        seed=info.seed,
        tables=[
            SessionTableOut(number=t.number, game_id=r.id, join_code=r.join_code) for t, r in rooms
        ],
    )


@router.post("/sessions/{session_id}/do", responses=ERRORS)
async def on_every_table(
    hall: Hall,
    request: Request,
    session_id: SessionIdPath,
    credentials: Bearer,
    body: Annotated[SessionDo, Body()],
) -> dict[str, Any]:
    """Start, advance, pause, resume, announce or give empty teams to bots, at every
    table; each table answers for itself (one that refuses does not stop the others)."""
    info = await authorised_session(hall, request, session_id, credentials)
    done = await sessions.on_every_table(
        hall, info, body.op, text=body.text, strategy=body.strategy, seconds=body.seconds
    )
    return {"tables": [d.__dict__ for d in done]}


@router.get("/sessions/{session_id}/export/indicators.csv", responses=ERRORS)
async def session_indicators(
    hall: Hall, request: Request, session_id: SessionIdPath, credentials: Bearer
) -> PlainTextResponse:
    """Indicators per round, team and table (the facilitator's: every indicator)."""
    info = await authorised_session(hall, request, session_id, credentials)
    rooms = await sessions.rooms_of(hall, info)
    text = export.indicators_csv(
        [(t.number, r.id, export.audience_view(r, "facilitator")) for t, r in rooms]
    )
    name = f"compact-session-{info.id}-indicators.csv"
    return PlainTextResponse(text, media_type="text/csv", headers=attachment(name))
