"""The private scoresheet: what a proposal is worth to the caller's team (a proposal in
its inbox or sent, the builder as it is being filled, a counter), and the decision form's
preview. Fragments only, asked for by htmx.

The team is always the caller's seat's own (never a parameter), and the figures come
from `views.known_state` (what that team may know), copied under the game's lock and
valued off it, in a worker thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request, Response
from fastapi.responses import HTMLResponse
from pydantic import TypeAdapter, ValidationError

from game_rules.actions import Implement, TermSpec
from game_rules.errors import RuleError
from game_rules.state import GameState, Phase
from game_rules.views import known_state
from server.deps import Hall
from server.errors import ApiError
from server.pages.base import fragment, page_router, participant_of
from server.room import GameRoom, Principal
from server.rooms import in_thread
from web import forms
from web import scoresheet as sheets
from web.i18n import _
from web.refusals import refusal

router = page_router()

_TERMS = TypeAdapter(list[TermSpec])


def _team(who: Principal) -> str:
    assert who.seat is not None  # participant_of: a seated player
    if who.seat.team is None:
        raise ApiError(409, "no_team", _("choose a team first"))
    return who.seat.team


class _PhaseOver(Exception):
    """A page's own valuation crossed the end of its phase: nothing to show."""


async def _known(
    room: GameRoom, team: str, phase: Phase, wrong: str, *, quiet: bool = False
) -> GameState:
    """The state as `team` may know it, copied under the lock (a commit changes the
    state in place in a worker thread). `quiet`: the page asked on its own (on load, as
    the form is typed in), and a phase that has just ended is not the reader's mistake —
    the next live update replaces the slot — so it answers no content, not an error."""
    async with room.lock:
        if room.state.phase is not phase:
            if quiet:
                raise _PhaseOver
            raise ApiError(409, "wrong_phase", wrong)
        return known_state(room.state, team)


def _answer(template_context: dict[str, Any], status: int = 200) -> HTMLResponse:
    return fragment("sections/scoresheet.html", status, units=sheets.UNITS, **template_context)


def _problem(text: str, status: int) -> HTMLResponse:
    return _answer({"problem": text}, status)


async def _valued(
    room: GameRoom,
    team: str,
    phase: Phase,
    wrong: str,
    compute: Callable[[GameState], object],
    name: str,
    *,
    quiet: bool = False,
    **context: Any,
) -> Response:
    """`compute` on the known state, in a worker thread, shown as `name` in the
    fragment; terms or decisions the rules refuse are a 4xx with the rules' sentence."""
    try:
        known = await _known(room, team, phase, wrong, quiet=quiet)
    except _PhaseOver:
        return Response(status_code=204)
    try:
        result = await in_thread(compute, known)
    except RuleError as exc:
        return _problem(refusal(exc.code, exc.message), exc.status)
    except ValueError as exc:  # no round left to sign a deal in
        return _problem(str(exc), 409)
    return _answer({name: result, **context})


async def _sheet_of(
    room: GameRoom, team: str, terms: list[TermSpec], *, quiet: bool = False, **context: Any
) -> Response:
    return await _valued(
        room,
        team,
        Phase.negotiation,
        _("proposals are valued in the negotiation phase"),
        lambda k: sheets.sheet(k, team, terms),
        "sh",
        quiet=quiet,
        names={t.id: t.name for t in room.state.scenario.teams},
        **context,
    )


@router.get("/games/{game_id}/play/scoresheet/{proposal_id}", response_class=HTMLResponse)
async def proposal_sheet(
    request: Request, hall: Hall, game_id: str, proposal_id: str, quiet: bool = False
) -> Response:
    """A proposal the team is party to, valued for the team."""
    room, who = await participant_of(request, hall, game_id)
    team = _team(who)
    proposal = room.state.proposals.get(proposal_id[:16])
    if proposal is None or team not in proposal.parties:
        # a proposal the team is not party to does not exist for it (views.py)
        raise ApiError(404, "not_found", _("there is no such proposal"))
    return await _sheet_of(room, team, list(proposal.terms), quiet=quiet, proposal_id=proposal.id)


@router.post("/games/{game_id}/play/scoresheet", response_class=HTMLResponse)
async def builder_sheet(request: Request, hall: Hall, game_id: str) -> Response:
    """The builder's terms as they are being typed, valued for the team."""
    room, who = await participant_of(request, hall, game_id)
    team = _team(who)
    form = await request.form()
    if form.get("quiet") and room.state.phase is not Phase.negotiation:
        # the builder's slot, typed in before or after the negotiation: nothing to show
        return Response(status_code=204)
    built = forms.read_builder(form)
    # A term whose amount is not typed yet is not malformed, only not there yet.
    typed = [t for t in forms.action_terms(built)[0]["terms"] if t["amount"] != ""]
    try:
        terms = _TERMS.validate_python(typed)
    except ValidationError as exc:
        return _problem(forms.problems(exc), 422)
    return await _sheet_of(room, team, terms, quiet=bool(form.get("quiet")), live=True)


@router.post("/games/{game_id}/play/preview", response_class=HTMLResponse)
async def decision_preview(request: Request, hall: Hall, game_id: str) -> Response:
    """The decision form as it is being filled: cost and this round's expected effect."""
    room, who = await participant_of(request, hall, game_id)
    team = _team(who)
    form = await request.form()
    try:
        action = Implement.model_validate(forms.implement_action(form))
    except ValidationError as exc:
        return _problem(forms.problems(exc), 422)
    return await _valued(
        room,
        team,
        Phase.implementation,
        _("decisions are previewed in the implementation phase"),
        lambda k: sheets.preview(k, team, action),
        "pv",
        quiet=bool(form.get("quiet")),
    )
