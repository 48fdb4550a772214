"""The projector, the debrief part of every screen, and the join QR code."""

from __future__ import annotations

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from server.deps import (
    Hall,
    projector_cookie,
)
from server.errors import ApiError
from server.pages.base import (
    fragment,
    join_url,
    page,
    page_router,
    room_of,
    set_cookie,
    whoami,
)
from web import screens
from web.charts import qr_svg
from web.debrief import debrief
from web.i18n import _

router = page_router()

# --- the projector -----------------------------------------------------------------------


@router.get("/games/{game_id}/projector", response_class=HTMLResponse)
async def projector_page(request: Request, hall: Hall, game_id: str, token: str = "") -> Response:
    room = await room_of(hall, game_id)
    if token:
        holder = room.authenticate(token)
        if holder.role != "projector":
            raise ApiError(403, "forbidden", _("this is not the projector's link"))
        response = RedirectResponse(f"/games/{game_id}/projector", status_code=303)
        set_cookie(request, response, projector_cookie(game_id), token)
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
    room = await room_of(hall, game_id)
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
    d = debrief(
        doc["view"],
        doc["debrief"],
        facilitator=who.role == "facilitator",
        stepped=who.audience_key in ("facilitator", "projector"),
    )
    return fragment("debrief.html", d=d, game_id=game_id)


@router.get("/games/{game_id}/qr.svg")
async def qr_code(request: Request, hall: Hall, game_id: str) -> Response:
    room = await room_of(hall, game_id)
    svg = str(qr_svg(join_url(request, room)))
    return Response(svg, media_type="image/svg+xml")
