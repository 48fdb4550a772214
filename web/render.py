"""Rendering: the Jinja environment, whole pages, and the live fragments of a screen.

The server's page routes hand a screen model (`web.screens`) and their page's context to
`page_context`/`templates`; the websocket's `html` formats call `live_html`, which the app
registers explicitly at start-up (`RENDERERS`), so importing this module changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates

from web import screens
from web.debrief import Debrief
from web.format import condition_text, fmt, label, term_text
from web.i18n import N_, _, install, speaking

WEB_DIR = Path(__file__).resolve().parent
STATIC_DIR = WEB_DIR / "static"
TEMPLATES_DIR = WEB_DIR / "templates"

log = logging.getLogger("compact.web")

RELOAD = '<span id="audience-mark" data-key="reload" hidden hx-swap-oob="true"></span>'
"""What a screen gets when its update failed to render: compact.js reloads the page."""


def _num(x: Any) -> Any:
    """A whole float as an int (an input's value reads 2, not 2.0)."""
    return int(x) if isinstance(x, float) and x.is_integer() else x


def _environment() -> Jinja2Templates:
    t = Jinja2Templates(directory=str(TEMPLATES_DIR))
    install(t.env)  # the words: `_` and `n_` in the reader's language, the switch
    t.env.globals.update(
        _=_, fmt=fmt, label=label, term_text=term_text, condition_text=condition_text
    )
    t.env.filters["extract"] = lambda key, mapping: mapping.get(key, key)
    t.env.filters["num"] = _num
    return t


templates = _environment()


def fragment(template: str, **context: Any) -> str:
    """A template rendered on its own (a form sent back, the debrief)."""
    return templates.env.get_template(template).render(**context)


def message(text: str, *, ok: bool) -> str:
    """The message shown next to the form that caused it."""
    cls, role = ("ok", "status") if ok else ("error", "alert")
    return f'<span class="msg-{cls}" role="{role}">{escape(text)}</span>'


ERROR_TITLES = {
    401: N_("You are not in this game (yet)"),
    403: N_("This screen is not for this browser"),
    404: N_("Not found"),
    409: N_("Someone else got there first"),
    429: N_("Too many attempts"),
    503: N_("The game is not available just now"),
}


def error_words(status: int, text: str) -> tuple[str, str]:
    """An error page's title (by status) and its message as a sentence."""
    title = _(ERROR_TITLES.get(status, N_("Something went wrong")))
    text = text[:1].upper() + text[1:]
    if text and text[-1] not in ".!?":
        text += "."
    return title, text


def debrief_html(d: Debrief | None, game_id: str) -> str:
    return fragment("debrief.html", d=d, game_id=game_id)


def live_sections(screen: screens.Screen) -> str:
    """Every section of a screen as out-of-band swaps, in its layout's order."""
    return fragment("live.html", s=screen, game_id=screen.game_id)


def live_presence(document: dict[str, Any]) -> str:
    """Who is online, as the console's dots."""
    players = screens.presence_players(document)
    return fragment("live_presence.html", players=players, game_id=document["game_id"])


def live_html(document: dict[str, Any], *, readonly: bool = False) -> str:
    """The `html` websocket formats: a view document as its screen's sections, or a
    presence document as the console's dots.

    It must never raise (the action it follows is already accepted): a rendering bug is
    logged and the screen gets a reload instruction.
    """
    try:
        if document.get("type") == "presence":
            return live_presence(document)
        if document.get("type") != "view":
            return ""
        return live_sections(screens.build(document, readonly=readonly))
    except Exception:
        log.exception("rendering the html view of game %s failed", document.get("game_id"))
        return RELOAD


def render_live(document: dict[str, Any], audience_key: str, context: dict[str, Any]) -> str:
    """`?format=html`: the audience's own screen, in the readers' language (`context`)."""
    with speaking(context.get("language")):
        return live_html(document)


def render_live_readonly(
    document: dict[str, Any], audience_key: str, context: dict[str, Any]
) -> str:
    """`?format=html-readonly`: a team's screen without its buttons, for the
    facilitator's live look (`?audience=team:<id>`)."""
    with speaking(context.get("language")):
        return live_html(document, readonly=True)


Renderer = Callable[[dict[str, Any], str, dict[str, Any]], str]

RENDERERS: dict[str, Renderer] = {"html": render_live, "html-readonly": render_live_readonly}
"""The websocket formats the web layer offers; the app registers them at start-up."""
