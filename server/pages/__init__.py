"""The page routes: HTML for the facilitator, the participants and the projector.

Each route reads the request, calls the server's commands (`server.commands`, the same
functions the JSON API calls: no route calls another route) and renders through
`web.render`: what a screen shows is `web.screens`, what a form sends is `web.forms`.
No game logic lives here. Forms get a fragment back (a message next to the form that
caused it, or the re-rendered form), never JSON. Live updates are the websocket's
`?format=html`, which `web.render` provides and the app registers at start-up.

One module a screen (`entry`, `help`, `play`, `scoresheet`, `console`, `projector`, `report`
with the replay, `tables` for parallel sessions); `base` holds what they
share. A new screen gets its own module, included here.
"""

from fastapi import APIRouter

from server.pages import console, entry, help, play, projector, report, scoresheet, tables

router = APIRouter(include_in_schema=False)
for part in (entry, help, play, scoresheet, console, projector, report, tables):
    # the routes themselves, not a nested router: each keeps its HTML error handling, and
    # the fuzz test and the app see one flat list
    router.routes.extend(part.router.routes)

__all__ = ["router"]
