"""The screens: HTML pages for the facilitator, the participants and the projector.

Pages are rendered on the server with Jinja2 from the same documents the websocket sends
(`GameRoom.document`). Live updates use the websocket's `?format=html`, registered here:
after every action each audience gets its screen's sections as elements with an `id` and
`hx-swap-oob="true"`, which htmx-ext-ws swaps in place. Forms post to the small HTML
endpoints below, which call the very functions the JSON API calls (`perform_action`,
`post_chat`, `join`, …): no game logic lives here. They answer with a fragment (a message
next to the form that caused it, or the re-rendered form), never with JSON.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Coroutine
from html import escape
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError

from game_rules import load_scenario, records, shipped_scenarios
from game_rules.actions import VISA_LEVELS, Earmark, TermType, parse_action
from game_rules.analytics import batna_report
from game_rules.bots import STRATEGIES
from game_rules.errors import RuleError
from server import api
from server import bots as bot_api
from server.errors import ApiError
from server.live import register_renderer
from server.rooms import GameHall, GameRoom, Principal
from server.security import check_form_token, form_token
from web.charts import corridor_map, line_chart, qr_svg
from web.format import AMOUNT_HINTS, condition_text, fmt, label, term_text
from web.i18n import N_, _, install, speaking
from web.words import words

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
STATIC_DIR = WEB_DIR / "static"

log = logging.getLogger("compact.pages")


class HtmlErrors(APIRoute):
    """Errors of page routes answer in HTML, never JSON: a readable page for a page
    load, the message next to the form for an htmx request."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                await check_form_token(request)
                return await original(request)
            except (ApiError, RuleError) as exc:
                return error_response(request, exc.status, exc.message)
            except RequestValidationError:
                return error_response(request, 422, _("The form was not filled in as expected."))

        return handler


router = APIRouter(include_in_schema=False, route_class=HtmlErrors)
templates = Jinja2Templates(directory=str(WEB_DIR / "templates"))


# --- what a screen shows, computed from a document -------------------------------------


def _sig(*parts: Any) -> str:
    return hashlib.sha1(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:12]


CHANNEL_NAMES = {"plenary": N_("Plenary"), "team": N_("Team"), "announcement": N_("Announcement")}


def screen(doc: dict[str, Any]) -> dict[str, Any]:
    """Everything the templates need, derived once from a view document."""
    v = doc["view"]
    key = doc["audience"]
    teams = {t["id"]: t for t in v["teams"]}
    names = {tid: t["name"] for tid, t in teams.items()}
    me = v.get("me")
    me_id = me["id"] if me else None
    history = v["history"]
    last = history[-1] if history else None
    s: dict[str, Any] = {
        "doc": doc,
        "v": v,
        "key": key,
        "teams": teams,
        "names": names,
        "me": me,
        "me_id": me_id,
        "my_team": teams.get(me_id) if me_id else None,
        "last": last,
        "timer": doc["timer"],
        "news": [{"round": n["round"], "text": words(n, names)} for n in reversed(v["news"][-15:])],
        "phase": v["phase"],
        "bots": doc.get("bots") or {},
        "strategies": sorted(STRATEGIES),
    }
    s["bots_sig"] = _sig(s["bots"], v["phase"] == "ended", [t["id"] for t in v["teams"]])
    # chat, newest first, with a channel label a person can read
    chat = []
    for line in reversed(doc["chat"][-80:]):
        if line["channel"] == "bilateral":
            where = f"{names.get(line['team'], '?')} ↔ {names.get(line['to_team'], '?')}"
        elif line["channel"] == "team":
            where = _("Team") + f" {names.get(line['team'], '')}"
        else:
            where = _(CHANNEL_NAMES.get(line["channel"], line["channel"]))
        chat.append({**line, "where": where})
    s["chat"] = chat
    # proposals
    props = v.get("proposals", [])
    s["inbox"] = [
        p for p in props if p["status"] == "proposed" and me_id and p["proposer"] != me_id
    ]
    s["outbox"] = [p for p in props if p["status"] == "proposed" and p["proposer"] == me_id]
    s["open_proposals"] = [p for p in props if p["status"] == "proposed"]
    s["closed_proposals"] = [p for p in reversed(props) if p["status"] != "proposed"][:8]
    ags = v["agreements"]
    s["agreements"] = ags
    s["my_agreements"] = [a for a in ags if me_id in a["parties"]] if me_id else []
    # scores, results, charts
    if me and last:
        s["score"] = (last.get("scores") or {}).get(me_id)
        s["my_indicators"] = last["indicators"].get(me_id, {})
    else:
        s["score"], s["my_indicators"] = None, {}
    charts = []
    if history:
        rounds_support = [
            (t["name"], t["colour"] or "#555", [r["support"].get(tid, 0) for r in history])
            for tid, t in teams.items()
        ]
        charts.append(line_chart(_("Domestic support (%)"), rounds_support))
        corridor_ids = [c["id"] for c in v["corridors"]]
        arrivals = [
            sum(r["corridors"].get(c, {}).get("arrived", 0) for c in corridor_ids) for r in history
        ]
        returns = [
            sum(r["corridors"].get(c, {}).get("returns", 0) for c in corridor_ids) for r in history
        ]
        legal = [
            sum(r["corridors"].get(c, {}).get("legal", 0) for c in corridor_ids) for r in history
        ]
        charts.append(
            line_chart(
                _("Migration per round"),
                [
                    (_("irregular arrivals"), "#b3261e", arrivals),
                    (_("returns"), "#6a3d9a", returns),
                    (_("legal migrants"), "#1b7a3a", legal),
                ],
            )
        )
        if me_id and all(me_id in (r.get("scores") or {}) for r in history):
            charts.append(
                line_chart(
                    _("Your score"),
                    [
                        (
                            names[me_id],
                            teams[me_id]["colour"] or "#555",
                            [r["scores"][me_id] for r in history],
                        )
                    ],
                )
            )
    s["charts"] = charts
    show_scores = bool(last and last.get("scores") and len(last["scores"]) == len(teams))
    s["scores_table"] = (
        sorted(last["scores"].items(), key=lambda kv: -kv[1]) if show_scores and last else []
    )
    # implementation form
    if me:
        decision = me.get("decision")
        policies = (decision or {}).get("policies") or me["policies"]
        compliance = (decision or {}).get("compliance") or {}
        commitments = [
            {
                **c,
                "text": term_text({**c, "giver": me_id}, names),
                "value": compliance.get(
                    c["term_id"],
                    c["last_compliance"] if c["last_compliance"] is not None else 100,
                ),
            }
            for c in me["commitments"]
        ]
        s["impl"] = {
            "policies": policies,
            "commitments": commitments,
            "decided": decision is not None,
            "sig": _sig(v["round"], v["phase"], decision, [c["term_id"] for c in commitments]),
        }
    # projector/facilitator
    s["players_by_team"] = players_by_team(doc.get("players", []), v["teams"])
    s["map"] = corridor_map(v)
    return s


def players_by_team(players: list[dict[str, Any]], teams: list[dict[str, Any]]) -> list[Any]:
    groups: list[tuple[str | None, str, list[dict[str, Any]]]] = [
        (t["id"], t["name"], []) for t in teams
    ]
    groups.append((None, _("No team yet"), []))
    index = {tid: g for tid, _n, g in groups}
    for p in players:
        index.get(p.get("team"), index[None]).append(p)
    return groups


def _presence_players(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {**p, "team": team or None}
        for team, members in doc.get("teams", {}).items()
        for p in members
    ]


# --- the debrief (GAME.md §7) -----------------------------------------------------------

_DEBRIEFS: dict[str, tuple[int, dict[str, Any]]] = {}
"""game id → (state version, debrief): the no-agreement run is replayed once per state."""

DISCUSSION = (
    N_("Partnership or pressure: what did coercion buy, and what did it cost in trust?"),
    N_("Quick deals or long-term ones: which agreements were still honoured at the end?"),
    N_(
        "Security bias: how much of what was signed was about stopping people, how much about "
        "legal pathways and livelihoods?"
    ),
    N_("Who carried the cost: the migrants (deaths en route), the refugees, the treasuries?"),
)


def debrief(room: GameRoom) -> dict[str, Any]:
    """Everything the debrief shows, from the room's state (the game has ended: its
    screens show the whole truth, as the facilitator sees it)."""
    version = room.state.version
    cached = _DEBRIEFS.get(room.id)
    if cached is not None and cached[0] == version:
        return cached[1]
    report = batna_report(room.state)
    v = room.document("facilitator")["view"]
    teams = {t["id"]: t for t in v["teams"]}
    names = {tid: t["name"] for tid, t in teams.items()}
    rows = [
        {"id": tid, "name": names[tid], "colour": teams[tid]["colour"], **report[tid]}
        for tid in teams
    ]
    rows.sort(key=lambda r: -r["score"])
    total = {k: sum(r[k] for r in rows) for k in ("score", "batna", "gain")}
    # agreements: promised (100 %) vs delivered, per giver
    agreements = []
    delivered_all: list[float] = []
    for a in v["agreements"]:
        by_giver: dict[str, list[tuple[float, float]]] = {}
        for c in a["compliance"]:
            true = c.get("true", c["observed"])
            by_giver.setdefault(c["giver"], []).append((true, c["observed"]))
        kept = []
        for giver, values in by_giver.items():
            true_mean = sum(t for t, _o in values) / len(values)
            seen_mean = sum(o for _t, o in values) / len(values)
            delivered_all.extend(t for t, _o in values)
            kept.append({"team": names.get(giver, giver), "true": true_mean, "seen": seen_mean})
        agreements.append(
            {
                "id": a["id"],
                "parties": [names.get(p, p) for p in a["parties"]],
                "status": a["status"],
                "signed_round": a.get("signed_round"),
                "terms": a["terms"],
                "kept": kept,
            }
        )
    kept_share = sum(delivered_all) / len(delivered_all) if delivered_all else None
    # trust: the matrix at the end, and the trust each team received, round by round
    order = list(teams)
    matrix = v.get("trust") or {}
    trust_rows = [
        (names[a], [None if a == b else matrix.get(a, {}).get(b) for b in order]) for a in order
    ]
    received = []
    for b in order:
        by_round: list[float] = []
        for rec in v["history"]:
            given = [row.get(b) for a, row in (rec.get("trust") or {}).items() if a != b]
            given = [x for x in given if x is not None]
            by_round.append(sum(given) / len(given) if given else 0.0)
        received.append((names[b], teams[b]["colour"] or "#555", by_round))
    trust_chart = line_chart(_("Trust received (average of the others), by round"), received)
    # left on the table
    left: list[str] = []
    props = v.get("proposals", [])
    unsigned = [p for p in props if p["status"] in ("rejected", "expired", "retracted")]
    if unsigned:
        counts = {
            st: sum(1 for p in unsigned if p["status"] == st)
            for st in ("rejected", "expired", "retracted")
        }
        left.append(
            _(
                "{n} proposal(s) never became an agreement: {r} rejected, {e} expired, "
                "{w} withdrawn.",
                n=len(unsigned),
                r=counts["rejected"],
                e=counts["expired"],
                w=counts["retracted"],
            )
        )
    signed_pairs = {
        frozenset((x, y))
        for a in v["agreements"]
        for x in a["parties"]
        for y in a["parties"]
        if x != y
    }
    seen_pairs: set[frozenset[str]] = set()
    for c in v["corridors"]:
        stops = [c[k] for k in ("origin", "transit", "destination") if c.get(k)]
        for i, x in enumerate(stops):
            for y in stops[i + 1 :]:
                pair = frozenset((x, y))
                if x in teams and y in teams and pair not in signed_pairs | seen_pairs:
                    seen_pairs.add(pair)
                    left.append(
                        _(
                            "No agreement between {a} and {b}, who share the {c} corridor.",
                            a=names[x],
                            b=names[y],
                            c=c["name"],
                        )
                    )
    if kept_share is not None and kept_share < 99.5:
        left.append(
            _(
                "Commitments were honoured at {k} % on average: the rest was promised and "
                "not delivered.",
                k=fmt(kept_share),
            )
        )
    for r in rows:
        if r["gain"] < 0:
            left.append(
                _(
                    "{t} ended {g} points below its no-agreement outcome.",
                    t=r["name"],
                    g=fmt(-r["gain"], 1),
                )
            )
    out = {
        "rows": rows,
        "total": total,
        "agreements": agreements,
        "kept_share": kept_share,
        "order": [names[t] for t in order],
        "trust_rows": trust_rows,
        "trust_chart": trust_chart,
        "left": left,
        "prompts": [_(p) for p in DISCUSSION],
        "names": names,
        "rounds": len(v["history"]),
    }
    if len(_DEBRIEFS) > 64:
        _DEBRIEFS.pop(next(iter(_DEBRIEFS)))
    _DEBRIEFS[room.id] = (version, out)
    return out


# --- the websocket's html format -------------------------------------------------------


def render_live(document: dict[str, Any], audience_key: str, context: dict[str, Any]) -> str:
    """The `html` websocket format: the audience's sections as out-of-band swaps.

    It runs inside the game's commit: it must never raise, or an accepted action would
    look failed. A rendering bug is logged and the screen gets a reload instruction.
    """
    with speaking(context.get("language")):
        return _render_safely(document, readonly=False)


def render_live_readonly(
    document: dict[str, Any], audience_key: str, context: dict[str, Any]
) -> str:
    """The `html-readonly` format: a team's screen without its buttons, for the
    facilitator's live look (`?audience=team:<id>`)."""
    with speaking(context.get("language")):
        return _render_safely(document, readonly=True)


def _render_safely(document: dict[str, Any], *, readonly: bool) -> str:
    try:
        return _render_live(document, readonly)
    except Exception:
        log.exception("rendering the html view of game %s failed", document.get("game_id"))
        return '<span id="audience-mark" data-key="reload" hidden hx-swap-oob="true"></span>'


def _render_live(document: dict[str, Any], readonly: bool = False) -> str:
    env = templates.env
    if document.get("type") == "presence":
        return env.get_template("live_presence.html").render(
            players=_presence_players(document), game_id=document["game_id"], _=_
        )
    if document.get("type") != "view":
        return ""
    s = screen(document)
    return env.get_template("live.html").render(
        s=s, game_id=document["game_id"], oob=True, readonly=readonly, _=_
    )


install(templates.env)
templates.env.globals.update(
    _=_, fmt=fmt, label=label, term_text=term_text, condition_text=condition_text
)
templates.env.filters["extract"] = lambda key, mapping: mapping.get(key, key)
templates.env.filters["num"] = lambda x: int(x) if isinstance(x, float) and x.is_integer() else x
register_renderer("html", render_live)
register_renderer("html-readonly", render_live_readonly)


# --- who is calling ----------------------------------------------------------------------


def hall_of(request: Request) -> GameHall:
    hall: GameHall = request.app.state.hall
    return hall


Hall = Annotated[GameHall, Depends(hall_of)]


def whoami(request: Request, room: GameRoom) -> Principal | None:
    for token in (
        api.token_of(request, room.id, None),
        request.cookies.get(api.projector_cookie(room.id)),
    ):
        if token:
            try:
                return room.authenticate(token)
            except ApiError:
                continue
    return None


def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("now", time.time())
    context.setdefault("csrf", form_token(request.cookies, request.path_params.get("game_id")))
    return templates.TemplateResponse(request, template, context, status_code=status)


def fragment(template: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = templates.env.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status)


def message(text: str, *, ok: bool, status: int = 200) -> HTMLResponse:
    cls = "ok" if ok else "error"
    role = "status" if ok else "alert"
    return HTMLResponse(
        f'<span class="msg-{cls}" role="{role}">{escape(text)}</span>', status_code=status
    )


ERROR_TITLES = {
    401: N_("You are not in this game (yet)"),
    403: N_("This screen is not for this browser"),
    404: N_("Not found"),
    409: N_("Someone else got there first"),
    429: N_("Too many attempts"),
}


def error_response(request: Request, status: int, text: str) -> HTMLResponse:
    if request.headers.get("HX-Request"):
        return message(text, ok=False, status=status)
    title = _(ERROR_TITLES.get(status, N_("Something went wrong")))
    text = text[:1].upper() + text[1:]
    if text and text[-1] not in ".!?":
        text += "."
    return page(request, "error.html", status, title=title, text=text, code=status)


def problems(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'form'}: {e['msg']}" for e in exc.errors()
    )


async def attempt(fn: Callable[[], Any], success: str) -> HTMLResponse:
    """Run an API function; its error becomes a message next to the form that caused it."""
    try:
        await fn()
    except (RuleError, ApiError) as exc:
        return message(exc.message, ok=False, status=exc.status)
    except ValidationError as exc:
        return message(problems(exc), ok=False, status=422)
    return message(success, ok=True)


def _scenarios() -> list[dict[str, Any]]:
    out = []
    for sid in shipped_scenarios():
        sc = load_scenario(sid)
        out.append(
            {
                "id": sc.id,
                "name": sc.name,
                "description": sc.description,
                "rounds": sc.rounds,
                "teams": [{"id": t.id, "name": t.name, "type": t.type.value} for t in sc.teams],
            }
        )
    return out


def join_url(request: Request, room: GameRoom) -> str:
    settings = api.settings_of(request)
    base = settings.public_url.rstrip("/") or str(request.base_url).rstrip("/")
    return f"{base}/join/{room.join_code}"


# --- start: the facilitator creates a game ----------------------------------------------


@router.get("/", response_class=HTMLResponse)
async def start_page(request: Request) -> HTMLResponse:
    return page(
        request,
        "start.html",
        scenarios=_scenarios(),
        errors={},
        form={},
        file_problems=[],
        max_chars=api.MAX_SCENARIO_CHARS,
    )


@router.post("/start", response_class=HTMLResponse)
async def start_game(request: Request, hall: Hall) -> Response:
    form = await request.form()
    scenario = str(form.get("scenario", "mediterranean"))
    errors: dict[str, str] = {}
    file_problems: list[str] = []
    spec_data: dict[str, Any] = {"scenario": scenario, "title": str(form.get("title", ""))}
    upload = form.get("scenario_file")
    text = ""
    if upload is not None and not isinstance(upload, str) and upload.filename:
        data = await upload.read(4 * (api.MAX_SCENARIO_CHARS + 1))
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            errors["scenario_file"] = _("The file is not text (UTF-8): is it the YAML file?")
    if text:
        spec_data["scenario_file"] = text  # the file's own teams, all of them
    else:
        teams = [str(t) for t in form.getlist(f"teams_{scenario}")]
        if teams:
            spec_data["teams"] = teams
    if form.get("rounds"):
        spec_data["rounds"] = form.get("rounds")
    timers = {}
    for phase in ("briefing", "negotiation", "implementation", "resolution"):
        raw = str(form.get(f"timer_{phase}", "") or "").strip()
        if raw:
            try:
                timers[phase] = float(raw) * 60
            except ValueError:
                errors[f"timer_{phase}"] = _("minutes, as a number")
    spec_data["timers"] = timers
    response = RedirectResponse("/", status_code=303)
    if not errors:
        try:
            spec = api.GameCreate.model_validate(spec_data)
            created = await api.create_game(hall, api.settings_of(request), response, spec)
        except ValidationError as exc:
            for e in exc.errors():
                field = str(e["loc"][0]) if e["loc"] else "form"
                if field == "timers" and len(e["loc"]) > 1:
                    field = f"timer_{e['loc'][1]}"
                errors[field] = e["msg"]
        except ApiError as exc:
            if exc.code == "invalid_scenario" or (text and exc.code == "invalid_teams"):
                errors["scenario_file"] = _("This scenario file cannot be used.")
                file_problems = exc.problems or [exc.message]
            else:
                errors["teams" if exc.code == "invalid_teams" else "scenario"] = exc.message
        else:
            response.headers["location"] = f"/games/{created.game_id}/console"
            response.set_cookie(
                api.projector_cookie(created.game_id),
                created.projector_token,
                max_age=int(api.settings_of(request).token_ttl_hours * 3600),
                httponly=True,
                samesite="lax",
                secure=api.settings_of(request).cookie_secure,
            )
            return response
    kept = {k: v for k, v in form.items() if isinstance(v, str)}
    return page(
        request,
        "start.html",
        422,
        scenarios=_scenarios(),
        errors=errors,
        form=kept,
        file_problems=file_problems,
        max_chars=api.MAX_SCENARIO_CHARS,
    )


# --- join: a code and a name, then a team -------------------------------------------------


@router.get("/join", response_class=HTMLResponse)
async def join_page(request: Request) -> HTMLResponse:
    return page(request, "join.html", code="", game=None, errors={}, seat=None)


@router.get("/join/{code}", response_class=HTMLResponse)
async def join_link(request: Request, hall: Hall, code: str) -> HTMLResponse:
    """What a join link shows. Takes no seat: a link preview must not join anyone."""
    try:
        info = await api.game_by_code(hall, request, code[:16])
    except ApiError as exc:
        return page(
            request,
            "join.html",
            exc.status,
            code=code,
            game=None,
            errors={"code": exc.message},
            seat=None,
        )
    room = await hall.room(info.game_id)
    who = whoami(request, room)
    seat = who.seat if who and who.seat else None
    return page(request, "join.html", code=room.join_code, game=info, errors={}, seat=seat)


@router.post("/join", response_class=HTMLResponse)
async def join_submit(
    request: Request,
    hall: Hall,
    code: Annotated[str, Form(max_length=16)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    response = RedirectResponse("/", status_code=303)
    errors: dict[str, str] = {}
    if not code.strip():
        errors["code"] = _("Enter the code shown by the facilitator.")
    if not name.strip():
        errors["name"] = _("Enter a name the others will see.")
    elif len(name.strip()) > 40:
        errors["name"] = _("At most 40 characters.")
    if not errors:
        try:
            body = api.JoinRequest(code=code, name=name.strip())
            seat = await api.join(hall, api.settings_of(request), request, response, body)
        except ApiError as exc:
            errors["name" if exc.code in ("invalid", "too_long") else "code"] = exc.message
        except ValidationError as exc:
            errors["name"] = problems(exc)
        else:
            response.headers["location"] = f"/games/{seat.game_id}/play"
            return response
    return page(
        request, "join.html", 422, code=code, game=None, errors=errors, seat=None, name=name
    )


# --- the participant's screen -------------------------------------------------------------


async def _room(hall: GameHall, game_id: str) -> GameRoom:
    if len(game_id) != 16 or any(ch not in "0123456789abcdef" for ch in game_id):
        raise ApiError(404, "not_found", "there is no such game")
    return await hall.room(game_id)


async def _participant(
    request: Request, hall: GameHall, game_id: str
) -> tuple[GameRoom, Principal]:
    room = await _room(hall, game_id)
    who = whoami(request, room)
    if who is None or who.role != "player" or who.seat is None:
        raise ApiError(401, "unauthorised", _("join the game first"))
    return room, who


@router.get("/games/{game_id}", response_class=HTMLResponse)
async def game_home(request: Request, hall: Hall, game_id: str) -> Response:
    room = await _room(hall, game_id)
    who = whoami(request, room)
    if who is None:
        return RedirectResponse(f"/join/{room.join_code}", status_code=303)
    target = {"facilitator": "console", "projector": "projector"}.get(who.role, "play")
    return RedirectResponse(f"/games/{game_id}/{target}", status_code=303)


@router.get("/games/{game_id}/play", response_class=HTMLResponse)
async def play_page(request: Request, hall: Hall, game_id: str) -> Response:
    room = await _room(hall, game_id)
    who = whoami(request, room)
    if who is None or who.seat is None:
        if who is not None and who.role == "facilitator":
            return RedirectResponse(f"/games/{game_id}/console", status_code=303)
        return RedirectResponse(f"/join/{room.join_code}", status_code=303)
    doc = room.document(who.audience_key, hall.hub.online(room.id))
    doc = {**doc, "timer": room.timer()}
    return page(
        request,
        "play.html",
        s=screen(doc),
        seat=who.seat,
        game_id=game_id,
        room=room,
        builder=builder_context(doc, None),
        readonly=False,
    )


@router.post("/games/{game_id}/play/team")
async def pick_team(
    request: Request, hall: Hall, game_id: str, team: Annotated[str, Form(max_length=32)] = ""
) -> Response:
    room, who = await _participant(request, hall, game_id)
    try:
        await api.choose_team(hall, room, who, api.TeamChoice(team=team or None))
    except (ApiError, RuleError) as exc:
        return message(exc.message, ok=False, status=exc.status)
    except ValidationError as exc:
        return message(problems(exc), ok=False, status=422)
    return RedirectResponse(f"/games/{game_id}/play", status_code=303)


# proposal builder -------------------------------------------------------------------------


def _blank_term(me_id: str | None, other: str | None) -> dict[str, Any]:
    return {
        "type": "readmission",
        "giver": me_id or "",
        "receiver": other or "",
        "amount": "",
        "duration": 2,
        "earmark": "",
        "skills_training": False,
        "third_country": False,
    }


def builder_context(
    doc: dict[str, Any],
    form: dict[str, Any] | None,
    *,
    counter: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    notice: str = "",
) -> dict[str, Any]:
    v = doc["view"]
    me_id = v.get("me", {}).get("id") if v.get("me") else None
    others = [t for t in v["teams"] if t["id"] != me_id]
    if counter is not None:
        terms = [dict(t) for t in counter["terms"]]
        conditions = [dict(c) for c in counter["conditions"]]
        parties = list(counter["parties"])
        message_text = ""
    elif form is not None:
        terms, conditions = form["terms"], form["conditions"]
        parties, message_text = form["parties"], form["message"]
    else:
        terms = [_blank_term(me_id, others[0]["id"] if others else None)]
        conditions, parties, message_text = [], [], ""
    return {
        "me_id": me_id,
        "teams": v["teams"],
        "others": others,
        "terms": terms,
        "conditions": conditions,
        "parties": parties,
        "message": message_text,
        "counter": counter,
        "errors": errors or {},
        "notice": notice,
        "term_types": [t.value for t in TermType],
        "earmarks": [e.value for e in Earmark],
        "hints": AMOUNT_HINTS,
        "visa_levels": VISA_LEVELS,
        "bots": doc.get("bots") or {},
    }


def _read_builder(form: Any) -> dict[str, Any]:
    def num(raw: Any) -> Any:
        raw = str(raw or "").strip()
        try:
            return float(raw) if raw else raw
        except ValueError:
            return raw

    terms = []
    for i in range(min(int(form.get("nterms", 0) or 0), 40)):
        if form.get(f"t{i}_removed"):
            continue
        terms.append(
            {
                "type": str(form.get(f"t{i}_type", "")),
                "giver": str(form.get(f"t{i}_giver", "")),
                "receiver": str(form.get(f"t{i}_receiver", "")),
                "amount": num(form.get(f"t{i}_amount")),
                "duration": num(form.get(f"t{i}_duration")) or 2,
                "earmark": str(form.get(f"t{i}_earmark", "")),
                "skills_training": bool(form.get(f"t{i}_skills")),
                "third_country": bool(form.get(f"t{i}_third")),
            }
        )
    conditions = []
    for i in range(min(int(form.get("nconds", 0) or 0), 40)):
        if form.get(f"c{i}_removed"):
            continue
        conditions.append(
            {
                "term": num(form.get(f"c{i}_term")),
                "requires": num(form.get(f"c{i}_requires")),
                "threshold": num(form.get(f"c{i}_threshold")),
            }
        )
    return {
        "terms": terms,
        "conditions": conditions,
        "parties": [str(p) for p in form.getlist("parties")],
        "message": str(form.get("message", ""))[:1000],
        "proposal_id": str(form.get("proposal_id", "")),
    }


def _action_terms(built: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for t in built["terms"]:
        term = {k: v for k, v in t.items() if k != "earmark"}
        if t["type"] == "funding" and t["earmark"]:
            term["earmark"] = t["earmark"]
        if t["type"] != "labour_pathway":
            term.pop("skills_training")
        if t["type"] != "readmission":
            term.pop("third_country")
        if isinstance(term["duration"], float) and term["duration"].is_integer():
            term["duration"] = int(term["duration"])
        out.append(term)
    conds = []
    for c in built["conditions"]:
        c = dict(c)
        for k in ("term", "requires"):
            if isinstance(c[k], float):
                c[k] = int(c[k]) - 1  # people count terms from 1
        conds.append(c)
    return [{"terms": out, "conditions": conds}]


def _builder_errors(exc: ValidationError | RuleError | ApiError) -> dict[str, str]:
    if not isinstance(exc, ValidationError):
        return {"form": exc.message}
    errors: dict[str, str] = {}
    for e in exc.errors():
        loc = [p for p in e["loc"] if p not in ("propose", "counter")]
        if len(loc) >= 2 and loc[0] in ("terms", "conditions") and isinstance(loc[1], int):
            where = ("t" if loc[0] == "terms" else "c") + str(loc[1])
            field = ".".join(str(p) for p in loc[2:])
            errors[where] = (errors.get(where, "") + f" {field}: {e['msg']}.").strip()
        else:
            field = ".".join(str(p) for p in loc) or "form"
            errors["form"] = (errors.get("form", "") + f" {field}: {e['msg']}.").strip()
    return errors


@router.get("/games/{game_id}/play/builder", response_class=HTMLResponse)
async def builder_get(
    request: Request, hall: Hall, game_id: str, counter: str = ""
) -> HTMLResponse:
    room, who = await _participant(request, hall, game_id)
    doc = room.document(who.audience_key)
    proposal = next((p for p in doc["view"].get("proposals", []) if p["id"] == counter), None)
    if proposal is not None:
        proposal = {
            **proposal,
            "conditions": [
                {**c, "term": c["term"] + 1, "requires": c["requires"] + 1}
                for c in proposal["conditions"]
            ],
        }
    return fragment("builder.html", b=builder_context(doc, None, counter=proposal), game_id=game_id)


@router.post("/games/{game_id}/play/builder", response_class=HTMLResponse)
async def builder_post(request: Request, hall: Hall, game_id: str) -> HTMLResponse:
    room, who = await _participant(request, hall, game_id)
    doc = room.document(who.audience_key)
    form = await request.form()
    built = _read_builder(form)
    op = str(form.get("op", "send"))
    counter = None
    if built["proposal_id"]:
        counter = {
            "id": built["proposal_id"],
            "terms": built["terms"],
            "conditions": built["conditions"],
            "parties": built["parties"],
        }
    me_id = doc["view"]["me"]["id"] if doc["view"].get("me") else None
    if op in ("add_term", "add_condition"):
        if op == "add_term":
            built["terms"].append(_blank_term(me_id, None))
        else:
            built["conditions"].append({"term": "", "requires": "", "threshold": 80})
        b = builder_context(doc, built, errors={})
        b["counter"] = counter
        return fragment("builder.html", b=b, game_id=game_id)
    if op == "clear":
        return fragment("builder.html", b=builder_context(doc, None), game_id=game_id)
    shaped = _action_terms(built)[0]
    data: dict[str, Any]
    if counter is not None:
        data = {
            "kind": "counter",
            "proposal_id": built["proposal_id"],
            **shaped,
            "message": built["message"],
        }
    else:
        parties = list(dict.fromkeys([me_id, *built["parties"]]))
        data = {"kind": "propose", "parties": parties, **shaped, "message": built["message"]}
    try:
        action = parse_action(data)
        outcome = await api.perform_action(hall, room, who, action)
    except (ValidationError, RuleError, ApiError) as exc:
        b = builder_context(doc, built, errors=_builder_errors(exc))
        b["counter"] = counter
        status = exc.status if isinstance(exc, RuleError | ApiError) else 422
        return fragment("builder.html", status, b=b, game_id=game_id)
    ids = [
        r.proposal_id
        for r in outcome.notices
        if isinstance(r, records.ProposalMade | records.ProposalCountered)
    ]
    sent = _("Proposal {id} sent.", id=ids[-1]) if ids else _("Proposal sent.")
    fresh = builder_context(room.document(who.audience_key), None, notice=sent)
    return fragment("builder.html", b=fresh, game_id=game_id)


# simple actions, chat, implementation --------------------------------------------------------

SIMPLE = {
    "accept": ("proposal_id",),
    "reject": ("proposal_id", "message"),
    "retract": ("proposal_id",),
    "withdraw": ("agreement_id",),
    "ratify": ("agreement_id",),
    "set_ready": ("ready",),
    "coerce": ("tool", "target"),
}

DONE = {
    "accept": N_("Accepted."),
    "reject": N_("Rejected."),
    "retract": N_("Withdrawn."),
    "withdraw": N_("You left the agreement."),
    "ratify": N_("Ratified."),
    "set_ready": N_("Saved."),
    "coerce": N_("Done."),
}


@router.post("/games/{game_id}/play/act", response_class=HTMLResponse)
async def play_act(request: Request, hall: Hall, game_id: str) -> HTMLResponse:
    room, who = await _participant(request, hall, game_id)
    form = await request.form()
    kind = str(form.get("kind", ""))
    if kind not in SIMPLE:
        return message(_("unknown action"), ok=False, status=422)
    data: dict[str, Any] = {"kind": kind}
    for field in SIMPLE[kind]:
        if field in form:
            data[field] = str(form[field]) if field != "ready" else form[field] == "1"

    async def run() -> None:
        await api.perform_action(hall, room, who, parse_action(data))

    return await attempt(run, _(DONE[kind]))


@router.post("/games/{game_id}/play/chat", response_class=HTMLResponse)
async def play_chat(
    request: Request,
    hall: Hall,
    game_id: str,
    to: Annotated[str, Form(max_length=40)] = "plenary",
    text: Annotated[str, Form(max_length=4000)] = "",
) -> HTMLResponse:
    room, who = await _participant(request, hall, game_id)
    channel, to_team = ("bilateral", to[4:]) if to.startswith("bil:") else (to, None)

    async def run() -> None:
        body = api.ChatIn.model_validate({"channel": channel, "text": text, "to_team": to_team})
        await api.post_chat(hall, room, who, body, api.settings_of(request))

    if not text.strip():
        return message(_("Write a message first."), ok=False, status=422)
    return await attempt(run, _("Sent."))


POLICY_FIELDS = (
    "border_enforcement",
    "development_spending",
    "integration_spending",
    "return_operations",
    "labour_permits",
    "refugee_work_permits",
)


@router.post("/games/{game_id}/play/implement", response_class=HTMLResponse)
async def play_implement(request: Request, hall: Hall, game_id: str) -> HTMLResponse:
    room, who = await _participant(request, hall, game_id)
    form = await request.form()

    def number(raw: Any) -> Any:
        try:
            return float(str(raw))
        except ValueError:
            return raw

    data = {
        "kind": "implement",
        "compliance": {k[2:]: number(val) for k, val in form.items() if k.startswith("c_")},
        "policies": {f: number(form.get(f, 0)) for f in POLICY_FIELDS},
    }

    async def run() -> None:
        await api.perform_action(hall, room, who, parse_action(data))

    return await attempt(run, _("Decisions saved. You can change them until the phase ends."))


# --- the facilitator's console ------------------------------------------------------------


async def _facilitator(
    request: Request, hall: GameHall, game_id: str
) -> tuple[GameRoom, Principal]:
    room = await _room(hall, game_id)
    who = whoami(request, room)
    if who is None or who.role != "facilitator":
        raise ApiError(
            403,
            "forbidden",
            _("only the facilitator can do that, in the browser that created the game"),
        )
    return room, who


@router.get("/games/{game_id}/console", response_class=HTMLResponse)
async def console_page(request: Request, hall: Hall, game_id: str) -> HTMLResponse:
    room, _who = await _facilitator(request, hall, game_id)
    doc = {**room.document("facilitator", hall.hub.online(room.id)), "timer": room.timer()}
    link = join_url(request, room)
    projector_token = request.cookies.get(api.projector_cookie(game_id), "")
    projector_link = (
        f"{join_url(request, room).split('/join/')[0]}/games/{game_id}/projector"
        f"?token={quote(projector_token)}"
        if projector_token
        else ""
    )
    return page(
        request,
        "console.html",
        s=screen(doc),
        game_id=game_id,
        room=room,
        join_link=link,
        qr=qr_svg(link),
        projector_link=projector_link,
        bot_pace=room.bot_pace,
    )


FACILITATOR_OPS = {
    "start": ({"kind": "start_game"}, N_("The game has started.")),
    "pause": ({"kind": "pause_game"}, N_("Paused.")),
    "resume": ({"kind": "resume_game"}, N_("Resumed.")),
    "advance": ({"kind": "advance_phase"}, N_("Next phase.")),
    "reveal": ({"kind": "reveal_scores", "revealed": True}, N_("Scores revealed.")),
    "hide": ({"kind": "reveal_scores", "revealed": False}, N_("Scores hidden.")),
    "end": ({"kind": "end_game"}, N_("The game has ended.")),
}


@router.post("/games/{game_id}/console/do", response_class=HTMLResponse)
async def console_do(request: Request, hall: Hall, game_id: str) -> HTMLResponse:
    room, who = await _facilitator(request, hall, game_id)
    form = await request.form()
    op = str(form.get("op", ""))
    if op in FACILITATOR_OPS:
        data, done = FACILITATOR_OPS[op]

        async def run() -> None:
            await api.perform_action(hall, room, who, parse_action(data))

        return await attempt(run, _(done))
    if op == "inject":

        async def inject() -> None:
            action = parse_action({"kind": "inject_event", "event_id": str(form.get("event_id"))})
            await api.perform_action(hall, room, who, action)

        return await attempt(inject, _("Event injected: it takes effect at resolution."))
    if op == "timer":
        try:
            seconds = int(float(str(form.get("minutes", "0"))) * 60)
        except ValueError:
            return message(_("Give the minutes as a number."), ok=False, status=422)

        async def timer() -> None:
            await api.change_timer(hall, room, who, api.TimerChange(add_seconds=seconds))

        return await attempt(timer, _("Timer changed."))
    if op == "announce":
        text = str(form.get("text", ""))

        async def announce() -> None:
            body = api.AnnouncementIn(text=text)
            await api.announce(hall, room, who, api.settings_of(request), body)

        if not text.strip():
            return message(_("Write the announcement first."), ok=False, status=422)
        return await attempt(announce, _("Announced on every screen."))
    return message(_("unknown operation"), ok=False, status=422)


@router.post("/games/{game_id}/console/players/{player_id}", response_class=HTMLResponse)
async def console_player(
    request: Request, hall: Hall, game_id: str, player_id: str
) -> HTMLResponse:
    room, who = await _facilitator(request, hall, game_id)
    form = await request.form()
    op = str(form.get("op", ""))
    if op == "remove":

        async def remove() -> None:
            await api.remove_player(hall, room, who, player_id)

        return await attempt(remove, _("Removed."))
    team = str(form.get("team", "")) or None

    async def move() -> None:
        await api.move_player(hall, room, who, player_id, api.TeamChoice(team=team))

    return await attempt(move, _("Moved."))


@router.post("/games/{game_id}/console/place", response_class=HTMLResponse)
async def console_place(request: Request, hall: Hall, game_id: str) -> HTMLResponse:
    """Every seat that waits for a team gets one, balancing the teams."""
    room, who = await _facilitator(request, hall, game_id)
    placed: list[dict[str, str]] = []

    async def run() -> None:
        placed.extend((await api.place_waiting(hall, room, who)).placed)

    done = await attempt(run, "")
    if done.status_code != 200:
        return done
    return message(_("{n} placed.", n=len(placed)) if placed else _("Nobody waits."), ok=True)


BOT_DONE = {
    "seat": N_("{team} is now played by a bot ({strategy})."),
    "unseat": N_("{team} is back in people's hands."),
    "pace": N_("Bots now wait at least {seconds} s between two moves."),
}


@router.post("/games/{game_id}/console/bots", response_class=HTMLResponse)
async def console_bots(request: Request, hall: Hall, game_id: str) -> HTMLResponse:
    """Give a team to a bot, change its strategy, take the team back, or set the pace:
    the bot API's own functions do it."""
    room, who = await _facilitator(request, hall, game_id)
    form = await request.form()
    op = str(form.get("op", ""))
    team = str(form.get("team", ""))[:32]
    name = room.state.scenario.team(team).name if team in room.state.teams else team
    strategy = str(form.get("strategy", "reciprocator"))[:32]
    seconds = str(form.get("seconds", "")).strip()

    async def run() -> None:
        if op == "seat":
            body = bot_api.BotChoice(strategy=strategy)
            await bot_api.seat_bot(hall, room, who, team, body)
        elif op == "unseat":
            await bot_api.unseat_bot(hall, room, who, team)
        elif op == "pace":
            try:
                pace = float(seconds)
            except ValueError:
                raise ApiError(422, "invalid", _("Give the seconds as a number.")) from None
            await bot_api.set_bot_pace(hall, room, who, bot_api.BotPace(seconds=pace))
        else:
            raise ApiError(422, "invalid", _("unknown operation"))

    done = BOT_DONE.get(op, "")
    return await attempt(run, _(done, team=name, strategy=strategy, seconds=seconds))


@router.get("/games/{game_id}/console/look/{team}", response_class=HTMLResponse)
async def console_look(request: Request, hall: Hall, game_id: str, team: str) -> HTMLResponse:
    """A read-only look into one team's screen, as its members see it."""
    room, _who = await _facilitator(request, hall, game_id)
    if team not in room.state.teams:
        raise ApiError(404, "not_found", f"there is no team {team!r} in this game")
    doc = {**room.document(f"team:{team}"), "timer": room.timer()}
    return page(
        request,
        "look.html",
        s=screen(doc),
        game_id=game_id,
        room=room,
        readonly=True,
        seat=None,
        builder=None,
    )


# --- the projector -----------------------------------------------------------------------


@router.get("/games/{game_id}/projector", response_class=HTMLResponse)
async def projector_page(request: Request, hall: Hall, game_id: str, token: str = "") -> Response:
    room = await _room(hall, game_id)
    if token:
        holder = room.authenticate(token)
        if holder.role != "projector":
            raise ApiError(403, "forbidden", _("this is not the projector's link"))
        response = RedirectResponse(f"/games/{game_id}/projector", status_code=303)
        settings = api.settings_of(request)
        response.set_cookie(
            api.projector_cookie(game_id),
            token,
            max_age=int(settings.token_ttl_hours * 3600),
            httponly=True,
            samesite="lax",
            secure=settings.cookie_secure,
        )
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
        s=screen(doc),
        game_id=game_id,
        room=room,
        ws_query=ws_query,
        join_link=link,
        qr=qr_svg(link),
    )


@router.get("/games/{game_id}/debrief", response_class=HTMLResponse)
async def debrief_part(request: Request, hall: Hall, game_id: str) -> HTMLResponse:
    """The debrief section, loaded by every screen once the game has ended (the
    no-agreement replay runs here, once per state, never inside a commit)."""
    room = await _room(hall, game_id)
    if whoami(request, room) is None:
        raise ApiError(401, "unauthorised", _("join the game first"))
    if room.state.phase.value != "ended":
        return fragment("debrief.html", d=None, game_id=game_id)
    return fragment("debrief.html", d=debrief(room), game_id=game_id)


@router.get("/games/{game_id}/qr.svg")
async def qr_code(request: Request, hall: Hall, game_id: str) -> Response:
    room = await _room(hall, game_id)
    svg = str(qr_svg(join_url(request, room)))
    return Response(svg, media_type="image/svg+xml")


__all__ = ["STATIC_DIR", "register_renderer", "router"]
