"""The printable report of a game, and its replay round by round (console and projector)."""

from __future__ import annotations

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from server import replay
from server.deps import Hall
from server.errors import ApiError
from server.pages.base import facilitator_of, fragment, page, page_router, room_of, whoami
from web.i18n import _
from web.report import PROJECTOR_ROWS, frame, report

router = page_router()


@router.get("/games/{game_id}/report", response_class=HTMLResponse)
async def report_page(request: Request, hall: Hall, game_id: str) -> HTMLResponse:
    """The report of the caller's own view: a team's holds what the team could see."""
    room = await room_of(hall, game_id)
    who = whoami(request, room)
    if who is None:
        raise ApiError(401, "unauthorised", _("join the game first"))
    if room.state.phase.value == "ended":
        await hall.debrief(room)  # the gains need the no-agreement replay
    doc = room.document(who.audience_key)
    back = {"facilitator": "console", "projector": "projector"}.get(who.role, "play")
    return page(
        request,
        "tables/report.html",
        r=report(doc),
        game_id=game_id,
        back=f"/games/{game_id}/{back}",
    )


def _round(text: str | None, last: int) -> int | None:
    if text is None or not text.strip():
        return None
    try:
        number = int(text)
    except ValueError:
        raise ApiError(422, "invalid", _("Give the round as a number.")) from None
    if not 0 <= number <= last:
        raise ApiError(404, "not_found", _("There is no such round to replay."))
    return number


@router.get("/games/{game_id}/replay", response_class=HTMLResponse)
async def replay_page(
    request: Request, hall: Hall, game_id: str, round: str | None = None
) -> HTMLResponse:
    """The facilitator's replay: the round chosen (or the one the projector shows, or
    the last), as the facilitator saw it."""
    room, _who = await facilitator_of(request, hall, game_id)
    rounds = await replay.rounds_of(hall, room)
    number = _round(round, rounds.last)
    if number is None:
        number = room.replay_round if room.replay_round is not None else rounds.last
        number = min(number, rounds.last)
    doc = replay.frame_document(room, rounds.state(number), "facilitator", number)
    return page(
        request,
        "tables/replay.html",
        f=frame(doc, rounds.last),
        game_id=game_id,
        title=room.title,
        shown=room.replay_round,
    )


@router.post("/games/{game_id}/replay")
async def replay_step(request: Request, hall: Hall, game_id: str) -> Response:
    """Show a round on the projector (empty: the live game again), then see it here."""
    room, who = await facilitator_of(request, hall, game_id)
    form = await request.form()
    rounds = await replay.rounds_of(hall, room)
    raw = form.get("round")
    number = _round(raw if isinstance(raw, str) else None, rounds.last)
    await replay.show_round(hall, room, who, number)
    target = f"/games/{game_id}/replay" + (f"?round={number}" if number is not None else "")
    if number is None:
        target = f"/games/{game_id}/console"
    return RedirectResponse(target, status_code=303)


@router.get("/games/{game_id}/replay/frame", response_class=HTMLResponse)
async def replay_frame(
    request: Request, hall: Hall, game_id: str, audience: str = "projector"
) -> HTMLResponse:
    """The round the projector shows, as the projector may see it (the facilitator may
    ask for its own view with `audience=facilitator`)."""
    room = await room_of(hall, game_id)
    who = whoami(request, room)
    if who is None or who.role not in ("facilitator", "projector"):
        raise ApiError(403, "forbidden", _("open the projector link from the facilitator console"))
    key = "facilitator" if who.role == "facilitator" and audience == "facilitator" else "projector"
    rounds = await replay.rounds_of(hall, room)
    number = room.replay_round
    if number is None:
        return HTMLResponse("")
    number = min(number, rounds.last)
    doc = replay.frame_document(room, rounds.state(number), key, number)
    rows = PROJECTOR_ROWS if key == "projector" else None
    return fragment("tables/frame.html", f=frame(doc, rounds.last, rows))
