"""Rendering: the Jinja environment, whole pages, and the live fragments of a screen.

The server's page routes hand a screen model (`web.screens`) and their page's context to
`page_context`/`templates`; the websocket's `html` formats call `live_html`, which the app
registers explicitly at start-up (`RENDERERS`), so importing this module changes nothing.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from markupsafe import escape as _esc

from web import screens
from web.debrief import Debrief, signature
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


@functools.cache
def static_digest(path: str) -> str:
    """The first 12 hex digits of a static file's SHA-256: its version in the pages' URLs."""
    return hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:12]


def static_url(path: str) -> str:
    """`/static/<path>?v=<digest>`: cached for good by browsers (the app's static mount
    says immutable for the current digest), and a new file is a new URL."""
    return f"/static/{path}?v={static_digest(path)}"


def chat_items(lines: list[dict[str, Any]]) -> Markup:
    """A chat log's lines as its `<li>`s: the same markup as a Jinja loop, escaped as Jinja
    escapes (markupsafe), made in Python because a screen shows up to `CHAT_SHOWN` lines
    and Jinja's loop and attribute lookups were a fifth of a screen's render
    (bench/commit.py). A line's text may already be markup (a server notice in words)."""
    return Markup(
        "".join(
            f'<li class="ch-{_esc(m["channel"])}"><span class="where">{_esc(m["where"])}'
            f"</span> <strong>{_esc(m['author'])}</strong>: {_esc(m['text'])}</li>"
            for m in lines
        )
    )


def _environment() -> Jinja2Templates:
    t = Jinja2Templates(directory=str(TEMPLATES_DIR))
    # Jinja's default stats every template file (and each one it imports) at every render
    # to see whether it changed: 3 % of an action's CPU with web screens attached
    # (bench/commit.py). Templates change only with a new release; `compact serve
    # --reload` restarts on their edits.
    t.env.auto_reload = False
    install(t.env)  # the words: `_` and `n_` in the reader's language, the switch
    t.env.globals.update(
        _=_,
        fmt=fmt,
        label=label,
        term_text=term_text,
        condition_text=condition_text,
        static=static_url,
        debrief_sig=signature,
        chat_items=chat_items,
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
    """Every section of a screen as out-of-band swaps, in its layout's order, each followed
    by SEP (a connection's LiveFrames cuts there)."""
    return fragment("live.html", s=screen, game_id=screen.game_id, sep=SEP)


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


def _headed(document: dict[str, Any], html: str) -> str:
    """A view's sections behind the head LiveFrames reads (a presence passes as it is)."""
    if document.get("type") != "view":
        return html
    return f"{HEAD_START}seq={int(document.get('seq') or 0)}{HEAD_END}{html}"


def render_live(document: dict[str, Any], audience_key: str, context: dict[str, Any]) -> str:
    """`?format=html`: the audience's own screen, in the readers' language (`context`)."""
    with speaking(context.get("language")):
        return _headed(document, live_html(document))


def render_live_readonly(
    document: dict[str, Any], audience_key: str, context: dict[str, Any]
) -> str:
    """`?format=html-readonly`: a team's screen without its buttons, for the
    facilitator's live look (`?audience=team:<id>`)."""
    with speaking(context.get("language")):
        return _headed(document, live_html(document, readonly=True))


# --- small updates: only the sections a connection has not got yet -------------------------
#
# The html formats render an audience's whole screen once per action (shared by all its
# connections). Each connection then keeps what it last sent of every section (a hash) and
# sends only the sections whose HTML changed; the chat log, newest first, is sent as its new
# lines only. A connection starts empty, so its first frame is always the whole screen.
# See docs/websocket.md, "Small updates".

SEP = "\x1e"
"""Between two sections in the rendered text (never in HTML: Jinja escapes no control
characters, but no template or text of ours contains one; chat text has them dropped)."""
HEAD_START, HEAD_END = "<!--compact ", "-->"
_ID = re.compile(r'\bid="([^"]+)"')
_LINES = re.compile(r"<li\b.*?</li>", re.S)
LIST_SECTIONS = {"chat-log": "#chat-log>ul"}
"""Sections whose new lines are sent alone (id -> the list they are prepended to)."""
MAX_NEW_LINES = 20
"""More new lines than this at once: the whole section is cheaper to reason about."""


@dataclass(frozen=True)
class Piece:
    id: str
    html: str
    lines: tuple[str, ...] | None = None  # a list section's lines, newest first


@dataclass(frozen=True)
class Frame:
    seq: int
    pieces: tuple[Piece, ...]


@functools.lru_cache(maxsize=256)
def parse_frame(text: str) -> Frame | None:
    """A rendered view cut into sections; None for anything else (JSON, a presence).
    Cached: every connection of an audience gets the very same text."""
    if not text.startswith(HEAD_START):
        return None
    head, _sep, html = text[len(HEAD_START) :].partition(HEAD_END)
    fields = dict(f.partition("=")[::2] for f in head.split())
    pieces = []
    for chunk in html.split(SEP):
        chunk = chunk.strip()
        found = _ID.search(chunk)
        if not chunk or found is None:
            continue  # a section with nothing to say in a live update (a form kept)
        lines = None
        if found.group(1) in LIST_SECTIONS and "<ul>" in chunk:
            lines = tuple(_LINES.findall(chunk.split("<ul>", 1)[1]))
        pieces.append(Piece(found.group(1), chunk, lines))
    return Frame(int(fields.get("seq", "0")), tuple(pieces))


@dataclass
class LiveFrames:
    """What one connection has been sent: the frames it gets are the sections that changed.

    `diff` is called as a frame is *sent* (not when it is queued), so a connection that was
    resynced (its queue emptied, only the newest view kept) is compared with what it really
    has. The client checks `base` against the seq it last applied and asks for a resync on a
    gap (docs/websocket.md)."""

    sent: dict[str, int] = field(default_factory=dict)
    lines: dict[str, list[int]] = field(default_factory=dict)
    seq: int | None = None
    frames: int = 0

    def reset(self) -> None:
        """Forget everything: the next frame is the whole screen."""
        self.sent.clear()
        self.lines.clear()
        self.seq = None

    def diff(self, frame: Frame) -> str | None:
        """The text to send for `frame`: its head and the sections this connection lacks;
        None when nothing on its screen changed."""
        out: list[str] = []
        keep: list[str] = []
        for piece in frame.pieces:
            digest = hash(piece.html)
            if self.sent.get(piece.id) == digest:
                continue
            self.sent[piece.id] = digest
            if piece.lines is None:
                out.append(piece.html)
                continue
            new = [hash(line) for line in piece.lines]
            added = _added_on_top(self.lines.get(piece.id), new)
            self.lines[piece.id] = new
            if added is None:
                out.append(piece.html)
            else:
                target = LIST_SECTIONS[piece.id]
                out.append(
                    f'<ul hx-swap-oob="afterbegin:{target}">{"".join(piece.lines[:added])}</ul>'
                )
                keep.append(f"{piece.id}:{len(new)}")
        if not out:
            return None  # the client's seq stays that of the last frame it got: `base`
        base, self.seq = self.seq, frame.seq
        self.frames += 1
        head = f"seq={frame.seq}" + (f" base={base}" if base is not None else " full=1")
        if keep:
            head += " keep=" + ",".join(keep)
        return f"{HEAD_START}{head}{HEAD_END}" + "".join(out)


def _added_on_top(old: list[int] | None, new: list[int]) -> int | None:
    """How many lines were added at the top of a newest-first list that went from `old`
    to `new` (the oldest falling off the end at the history's cap); None if it changed any
    other way (an edit, a first line: send the whole section)."""
    if not old or not new:
        return None
    for added in range(1, min(MAX_NEW_LINES, len(new)) + 1):
        rest = new[added:]
        if rest == old[: len(rest)]:
            return added
    return None


Renderer = Callable[[dict[str, Any], str, dict[str, Any]], str]

RENDERERS: dict[str, Renderer] = {"html": render_live, "html-readonly": render_live_readonly}
"""The websocket formats the web layer offers; the app registers them at start-up."""
