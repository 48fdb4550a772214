"""How to play: the participants' rules page, in plain words, reachable from every screen
and from the lobby (no game or seat needed)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from server.pages.base import page, page_router
from web.help import help_example

router = page_router()


@router.get("/help", response_class=HTMLResponse)
async def help_page(request: Request, scenario: str = "") -> HTMLResponse:
    """`?scenario=` takes the worked example from that shipped scenario's teams."""
    return page(request, "help.html", ex=help_example(scenario[:64]))
