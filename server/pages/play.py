"""The participant's screen: the team, the proposal builder, actions, chat and decisions."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from game_rules import records
from game_rules.actions import parse_action
from game_rules.errors import RuleError
from server import commands
from server.deps import (
    Hall,
    idempotency_key,
)
from server.errors import ApiError
from server.pages.base import (
    attempt,
    fragment,
    message,
    page,
    page_router,
    participant_of,
    room_of,
    whoami,
)
from server.schemas import (
    ChatIn,
    TeamChoice,
)
from web import forms, screens
from web.i18n import _
from web.refusals import refusal_of

router = page_router()

# --- the participant's screen -------------------------------------------------------------


@router.get("/games/{game_id}", response_class=HTMLResponse)
async def game_home(request: Request, hall: Hall, game_id: str) -> Response:
    room = await room_of(hall, game_id)
    who = whoami(request, room)
    if who is None:
        return RedirectResponse(f"/join/{room.join_code}", status_code=303)
    target = {"facilitator": "console", "projector": "projector"}.get(who.role, "play")
    return RedirectResponse(f"/games/{game_id}/{target}", status_code=303)


@router.get("/games/{game_id}/play", response_class=HTMLResponse)
async def play_page(request: Request, hall: Hall, game_id: str) -> Response:
    room = await room_of(hall, game_id)
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
        s=screens.build(doc),
        seat=who.seat,
        game_id=game_id,
        room=room,
        builder=forms.builder_context(doc, None),
    )


@router.post("/games/{game_id}/play/team")
async def pick_team(
    request: Request, hall: Hall, game_id: str, team: Annotated[str, Form(max_length=32)] = ""
) -> Response:
    room, who = await participant_of(request, hall, game_id)
    try:
        choice = TeamChoice(team=team or None)
        assert who.seat is not None  # _participant: a seated player
        await commands.change_team(hall, room, who, who.seat.id, choice.team)
    except (ApiError, RuleError) as exc:
        return message(refusal_of(exc), ok=False, status=exc.status)
    except ValidationError as exc:
        return message(forms.problems(exc), ok=False, status=422)
    return RedirectResponse(f"/games/{game_id}/play", status_code=303)


# proposal builder -------------------------------------------------------------------------


@router.get("/games/{game_id}/play/builder", response_class=HTMLResponse)
async def builder_get(
    request: Request, hall: Hall, game_id: str, counter: str = ""
) -> HTMLResponse:
    room, who = await participant_of(request, hall, game_id)
    doc = room.document(who.audience_key)
    proposal = next((p for p in doc["view"].get("proposals", []) if p["id"] == counter), None)
    shown = forms.counter_of(proposal) if proposal is not None else None
    return fragment(
        "builder.html", b=forms.builder_context(doc, None, counter=shown), game_id=game_id
    )


@router.post("/games/{game_id}/play/builder", response_class=HTMLResponse)
async def builder_post(request: Request, hall: Hall, game_id: str) -> HTMLResponse:
    room, who = await participant_of(request, hall, game_id)
    doc = room.document(who.audience_key)
    form = await request.form()
    built = forms.read_builder(form)
    op = str(form.get("op", "send"))
    counter = forms.counter_in(built)
    me_id = doc["view"]["me"]["id"] if doc["view"].get("me") else None
    if op in ("add_term", "add_condition"):
        forms.add_row(built, op, me_id)
        b = forms.builder_context(doc, built, errors={}, shown_counter=counter)
        return fragment("builder.html", b=b, game_id=game_id)
    if op == "clear":
        return fragment("builder.html", b=forms.builder_context(doc, None), game_id=game_id)
    try:
        action = parse_action(forms.proposal_action(built, me_id))
        outcome = await commands.act(hall, room, who, action, client_id=idempotency_key(request))
    except (ValidationError, RuleError, ApiError) as exc:
        errors = forms.builder_errors(exc)
        b = forms.builder_context(doc, built, errors=errors, shown_counter=counter)
        status = exc.status if isinstance(exc, RuleError | ApiError) else 422
        return fragment("builder.html", status, b=b, game_id=game_id)
    ids = [
        r.proposal_id
        for r in outcome.notices
        if isinstance(r, records.ProposalMade | records.ProposalCountered)
    ]
    sent = _("Proposal {id} sent.", id=ids[-1]) if ids else _("Proposal sent.")
    fresh = forms.builder_context(room.document(who.audience_key), None, notice=sent)
    return fragment("builder.html", b=fresh, game_id=game_id)


# simple actions, chat, implementation --------------------------------------------------------


@router.post("/games/{game_id}/play/act", response_class=HTMLResponse)
async def play_act(request: Request, hall: Hall, game_id: str) -> HTMLResponse:
    room, who = await participant_of(request, hall, game_id)
    data = forms.simple_action(await request.form())
    if data is None:
        return message(_("unknown action"), ok=False, status=422)

    async def run() -> None:
        await commands.act(hall, room, who, parse_action(data), client_id=idempotency_key(request))

    return await attempt(run, _(forms.DONE[data["kind"]]))


@router.post("/games/{game_id}/play/chat", response_class=HTMLResponse)
async def play_chat(
    request: Request,
    hall: Hall,
    game_id: str,
    to: Annotated[str, Form(max_length=40)] = "plenary",
    text: Annotated[str, Form(max_length=4000)] = "",
) -> HTMLResponse:
    room, who = await participant_of(request, hall, game_id)
    channel, to_team = ("bilateral", to[4:]) if to.startswith("bil:") else (to, None)

    async def run() -> None:
        body = ChatIn.model_validate({"channel": channel, "text": text, "to_team": to_team})
        await commands.chat(
            hall,
            room,
            who,
            channel=body.channel,
            text=body.text,
            to_team=body.to_team,
            client_id=idempotency_key(request),
        )

    if not text.strip():
        return message(_("Write a message first."), ok=False, status=422)
    return await attempt(run, _("Sent."))


@router.post("/games/{game_id}/play/implement", response_class=HTMLResponse)
async def play_implement(request: Request, hall: Hall, game_id: str) -> HTMLResponse:
    room, who = await participant_of(request, hall, game_id)
    data = forms.implement_action(await request.form())

    async def run() -> None:
        await commands.act(hall, room, who, parse_action(data), client_id=idempotency_key(request))

    return await attempt(run, _("Decisions saved. You can change them until the phase ends."))
