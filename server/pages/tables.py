"""Parallel tables: the session console (every table side by side, controls acting on
all), its comparison of the tables, and the session's printable report."""

from __future__ import annotations

import hmac

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from game_rules.bots import STRATEGIES
from server import sessions
from server.api_tables import SessionDo, authorised_session, set_session_cookies
from server.deps import Hall, projector_cookie, settings_of
from server.errors import ApiError
from server.pages.base import attempt, fragment, page, page_router, set_cookie
from server.rooms import GameHall
from server.schemas import GameCreate
from server.security import CSRF_HEADER, csrf_for
from web.i18n import N_, _
from web.report import report
from web.tables import Comparison, compare

router = page_router()


async def start_session(
    request: Request, hall: GameHall, spec: GameCreate, tables: int
) -> Response:
    """The start form asked for several tables: create them as one session and open its
    console (with the cookies of the session and of every table's console)."""
    new = await sessions.create_session(
        hall,
        tables=tables,
        seed=spec.seed,
        title=spec.title,
        scenario=spec.scenario,
        scenario_file=spec.scenario_file,
        teams=spec.teams,
        rounds=spec.rounds,
        timers=spec.timers.model_dump(),
    )
    response = RedirectResponse(f"/sessions/{new.info.id}", status_code=303)
    set_session_cookies(response, settings_of(request), new)
    for game in new.games:
        set_cookie(request, response, projector_cookie(game.room.id), game.projector_token)
    return response


OPS = (
    ("start", N_("Start every table")),
    ("advance", N_("Advance every table to its next phase")),
    ("pause", N_("Pause every table")),
    ("resume", N_("Resume every table")),
)


async def _comparison(hall: GameHall, info: sessions.SessionInfo) -> Comparison:
    tables = []
    for t, room in await sessions.rooms_of(hall, info):
        if room.state.phase.value == "ended" and room.debrief_report is None:
            await hall.debrief(room)  # gains need the no-agreement replay
        doc = room.document("facilitator", hall.hub.online(room.id))
        tables.append((t.number, doc, sessions.waiting_for(room)))
    return compare(tables)


@router.get("/sessions/{session_id}", response_class=HTMLResponse)
async def session_page(request: Request, hall: Hall, session_id: str) -> HTMLResponse:
    info = await authorised_session(hall, request, session_id, None)
    token = request.cookies.get(sessions.session_cookie(session_id), "")
    return page(
        request,
        "tables/session.html",
        info=info,
        c=await _comparison(hall, info),
        ops=[(op, _(words)) for op, words in OPS],
        strategies=sorted(STRATEGIES),
        csrf=csrf_for(token),
    )


@router.get("/sessions/{session_id}/tables", response_class=HTMLResponse)
async def session_tables(request: Request, hall: Hall, session_id: str) -> HTMLResponse:
    info = await authorised_session(hall, request, session_id, None)
    return fragment("tables/session_tables.html", c=await _comparison(hall, info))


@router.post("/sessions/{session_id}/do", response_class=HTMLResponse)
async def session_do(request: Request, hall: Hall, session_id: str) -> HTMLResponse:
    info = await authorised_session(hall, request, session_id, None)
    token = request.cookies.get(sessions.session_cookie(session_id), "")
    sent = request.headers.get(CSRF_HEADER, "")
    if not hmac.compare_digest(sent, csrf_for(token)):
        raise ApiError(
            403, "csrf", _("this form is out of date or comes from another site: reload the page")
        )
    form = await request.form()
    seconds = str(form.get("seconds", "")).strip()

    async def run() -> str:
        body = SessionDo(
            op=str(form.get("op", "")),
            text=str(form.get("text", "")),
            strategy=str(form.get("strategy", "reciprocator")),
            seconds=float(seconds) if seconds else None,
        )
        if body.op == "announce" and not body.text.strip():
            raise ApiError(422, "invalid", _("Write the announcement first."))
        done = await sessions.on_every_table(
            hall, info, body.op, text=body.text, strategy=body.strategy, seconds=body.seconds
        )
        refused = [d for d in done if not d.ok]
        if not refused:
            return _("Done at every table.")
        return _(
            "Done at {ok} of {n} tables; refused at {which}.",
            ok=len(done) - len(refused),
            n=len(done),
            which=", ".join(f"{d.number} ({d.message})" for d in refused),
        )

    try:
        return await attempt(run)
    except ValueError:
        raise ApiError(422, "invalid", _("Give the seconds as a number.")) from None


@router.get("/sessions/{session_id}/report", response_class=HTMLResponse)
async def session_report(request: Request, hall: Hall, session_id: str) -> HTMLResponse:
    info = await authorised_session(hall, request, session_id, None)
    c = await _comparison(hall, info)
    reports = [
        (t.number, room.id, report(room.document("facilitator")))
        for t, room in await sessions.rooms_of(hall, info)
    ]
    return page(request, "tables/session_report.html", info=info, c=c, reports=reports)
