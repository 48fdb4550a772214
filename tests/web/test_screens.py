"""The screen model of each audience, built from real view documents of a Mediterranean
game played with the rules engine (no server, no browser), and the same screens rendered:
the page and its live update carry the same sections."""

from __future__ import annotations

import re
from typing import Any

import pytest

from game_rules import actions as A
from game_rules.analytics import batna_report
from game_rules.rules import perform
from game_rules.state import GameState, Phase
from game_rules.views import Audience, view
from game_rules.views import debrief as debrief_of
from tests.rules.helpers import F, advance_to, implement, next_round, sign, start, team, term
from web import render, screens
from web.debrief import debrief

GAME_ID = "0123456789abcdef"


def document(st: GameState, key: str, **extra: Any) -> dict[str, Any]:
    """What `GameRoom.document` sends `key`, from the state itself."""
    audience = {
        "facilitator": Audience.facilitator(),
        "projector": Audience.projector(),
        "observer": Audience(kind="observer"),
    }.get(key) or Audience.of_team(key.removeprefix("team:"))
    doc: dict[str, Any] = {
        "type": "view",
        "game_id": GAME_ID,
        "seq": st.version,
        "audience": key,
        "title": "Vienna workshop",
        "join_code": None,
        "timer": {"deadline": None, "remaining": 90.0, "running": False, "server_time": 0.0},
        "players": [
            {"id": "p1", "name": "Ana", "team": "union"},
            {"id": "p2", "name": "Sami", "team": None},
        ],
        "bots": {"coastland": "reciprocator"},
        "bot_pace": 2.0,
        "chat": [
            _line(1, "plenary", "union", None, "Welcome"),
            _line(2, "bilateral", "union", "sahelia", "Visas for returns?"),
            _line(3, "team", "union", None, "Hold firm"),
        ],
        "view": view(st, audience),
        "debrief": None,
    }
    return doc | extra


def _line(seq: int, channel: str, team_id: str, to: str | None, text: str) -> dict[str, Any]:
    return {"seq": seq, "channel": channel, "team": team_id, "to_team": to, "author": "Ana",
            "player_id": "p1", "text": text, "at": 0.0}  # fmt: skip


@pytest.fixture(scope="module")
def game() -> GameState:
    """Round 1 resolved with a signed agreement, round 2 in negotiation with an open
    proposal from Sahelia to the Union."""
    st = start()
    sign(st, [term("visa_facilitation", "union", "sahelia", 1),
              term("readmission", "sahelia", "union", 60)])  # fmt: skip
    implement(st, "union")
    implement(st, "sahelia")
    next_round(st)
    advance_to(st, Phase.negotiation)
    funding = term("funding", "union", "sahelia", 30, earmark="development")
    perform(st, team("sahelia"), A.Propose(parties=["sahelia", "union"], terms=[funding]))
    return st


def test_a_team_member_sees_their_team_deals_and_results(game: GameState) -> None:
    s = screens.build(document(game, "team:union"))
    assert isinstance(s, screens.ParticipantScreen) and not s.readonly
    assert s.me_id == "union" and s.my_team["name"] == s.names["union"]
    assert [p["proposer"] for p in s.inbox] == ["sahelia"] and s.outbox == []
    assert [a["id"] for a in s.my_agreements] == ["a1"]
    assert s.score is not None and s.my_indicators
    assert len(s.results.charts) == 3  # support, migration, and the team's own score
    # the implementation form: the visa the Union gives, at 100 % until it decides
    assert [(c.type, c.value) for c in s.impl.commitments] == [("visa_facilitation", 100)]
    assert not s.impl.decided
    union, sahelia = s.names["union"], s.names["sahelia"]
    assert [line["where"] for line in s.chat][:2] == [f"Team {union}", f"{union} ↔ {sahelia}"]


def test_a_team_sees_its_proposal_as_sent_and_the_other_as_received(game: GameState) -> None:
    s = screens.participant(document(game, "team:sahelia"))
    assert [p["proposer"] for p in s.outbox] == ["sahelia"] and s.inbox == []
    assert [c.type for c in s.impl.commitments] == ["readmission"]
    assert len(s.results.charts) == 3


def test_the_console_shows_every_player_team_and_negotiation(game: GameState) -> None:
    s = screens.build(document(game, "facilitator"))
    assert isinstance(s, screens.ConsoleScreen)
    groups = {tid: [p["name"] for p in members] for tid, _name, members in s.players_by_team}
    assert groups["union"] == ["Ana"] and groups[None] == ["Sami"]
    assert len(s.open_proposals) == 1 and [a["id"] for a in s.agreements] == ["a1"]
    assert s.strategies and "reciprocator" in s.strategies
    assert len(s.results.charts) == 2  # nobody's own score on the console
    assert s.bots_sig != screens.console(document(game, "facilitator", bots={})).bots_sig


def test_the_projector_shows_the_public_screen_only(game: GameState) -> None:
    s = screens.build(document(game, "projector"))
    assert isinstance(s, screens.ProjectorScreen)
    assert "<svg" in str(s.map) and "Flows of round 1" in str(s.map)
    assert [a["id"] for a in s.agreements] == ["a1"]
    assert s.scores_table == []  # scores are not revealed
    assert "me" not in s.v and "proposals" not in s.v
    assert {line["channel"] for line in s.chat} <= {"plenary", "announcement", "bilateral",
                                                    "team"}  # fmt: skip


def test_revealed_scores_reach_the_projector_best_first(game: GameState) -> None:
    perform(game, F, A.RevealScores(revealed=True))
    try:
        table = screens.projector(document(game, "projector")).scores_table
        assert len(table) == 3 and table == sorted(table, key=lambda kv: -kv[1])
    finally:
        perform(game, F, A.RevealScores(revealed=False))


def test_the_look_is_a_team_screen_without_buttons(game: GameState) -> None:
    s = screens.build(document(game, "team:union"), readonly=True)
    assert isinstance(s, screens.LookScreen) and s.readonly
    assert "builder" not in s.layout.sections and "pressure" not in s.layout.sections
    html = render.live_sections(s)
    assert "/play/act" not in html and "/play/chat" not in html


def test_a_participant_without_a_team_sees_news_and_the_plenary(game: GameState) -> None:
    s = screens.build(document(game, "observer"))
    assert isinstance(s, screens.LobbyScreen)
    assert s.layout.sections == (
        "status", "audience_mark", "announce", "team_pick", "news", "plenary_chat"
    )  # fmt: skip


SCREENS = ["team:union", "facilitator", "projector", "observer"]


@pytest.mark.parametrize("key", SCREENS)
def test_a_live_update_swaps_every_live_section_of_the_page(game: GameState, key: str) -> None:
    """Every element a live update sends exists on the page it updates (an element
    without its target is htmx's oobErrorNoTarget), and each swaps out of band."""
    doc = document(game, key)
    s = screens.build(doc)
    live = render.live_sections(s)
    ids = re.findall(r'<[^>]+\bid="([^"]+)"[^>]*hx-swap-oob="true"', live)
    assert ids and "audience-mark" in ids and "status" in ids
    page = render.templates.env.get_template(_page_of(s)).render(
        s=s, game_id=GAME_ID, room=_Room(), seat={"name": "Ana"}, join_link="http://x/join/ABC",
        qr="", projector_link="", ws_query="", now=0, builder=_builder(doc),
    )  # fmt: skip
    for element_id in ids:
        assert f'id="{element_id}"' in page, f"{element_id} is sent live but not on the page"


def test_a_screen_that_fails_to_render_is_told_to_reload() -> None:
    broken = {"type": "view", "game_id": GAME_ID, "audience": "projector", "view": {}}
    assert render.live_html(broken) == render.RELOAD


def test_the_debrief_compares_each_team_with_its_no_agreement_outcome() -> None:
    st = start()
    ag = sign(st, [term("visa_facilitation", "union", "sahelia", 1),
                   term("readmission", "sahelia", "union", 60)])  # fmt: skip
    readmission = next(t.id for t in st.agreements[ag].terms if t.type == "readmission")
    implement(st, "union")
    implement(st, "sahelia", {readmission: 50})
    next_round(st)
    perform(st, F, A.EndGame())
    fac = Audience.facilitator()
    d = debrief(view(st, fac), debrief_of(st, fac, batna_report(st)), facilitator=True)
    assert [r["score"] for r in d.rows] == sorted((r["score"] for r in d.rows), reverse=True)
    assert d.total["gain"] == pytest.approx(sum(r["gain"] for r in d.rows))
    kept = {k.team: k.true for k in d.agreements[0].kept}
    assert kept[d.names["sahelia"]] == pytest.approx(50)
    assert kept[d.names["union"]] == pytest.approx(100)
    assert d.kept_share == pytest.approx(75)
    assert any("honoured at 75 %" in x for x in d.left)
    assert any(d.names["coastland"] in x for x in d.left)  # a neighbour who signed nothing
    assert len(d.trust_rows) == 3 and d.rounds == 1
    html = render.debrief_html(d, GAME_ID)
    assert "promised 100 %, delivered 50 %" in html and "Reveal the truth" in html
    # The projector (read by every team in the room) sees what the partners saw, until
    # the facilitator reveals the truth.
    proj = Audience.projector()
    public = debrief(view(st, proj), debrief_of(st, proj, batna_report(st)))
    assert all(k.true is None for a in public.agreements for k in a.kept)
    assert public.trust_rows == [] and not public.offer_reveal
    html = render.debrief_html(public, GAME_ID)
    assert "delivered 50 %" not in html and "the partners saw" in html
    assert "Reveal the truth" not in html and "Trust at the end" not in html
    perform(st, F, A.RevealTruth())
    public = debrief(view(st, proj), debrief_of(st, proj, batna_report(st)))
    assert len(public.trust_rows) == 3
    assert "promised 100 %, delivered 50 %" in render.debrief_html(public, GAME_ID)


class _Room:
    title = "Vienna workshop"
    join_code = "ABC234"


def _builder(doc: dict[str, Any]) -> dict[str, Any] | None:
    from web.forms import builder_context

    return builder_context(doc, None) if doc["view"].get("me") else None


def _rendered(doc: dict[str, Any]) -> str:
    """The whole page a seat of `doc`'s audience gets."""
    s = screens.build(doc)
    return render.templates.env.get_template(_page_of(s)).render(
        s=s, game_id=GAME_ID, room=_Room(), seat={"name": "Ana"}, join_link="http://x/join/ABC",
        qr="", projector_link="", ws_query="", now=0, builder=_builder(doc),
    )  # fmt: skip


def _page_of(s: screens.Screen) -> str:
    return {
        screens.ConsoleScreen: "console.html",
        screens.ProjectorScreen: "projector.html",
        screens.LookScreen: "look.html",
    }.get(type(s), "play.html")


def test_a_team_with_coercive_tools_is_told_what_pressure_costs_later(game: GameState) -> None:
    """To value pressure a player needs its whole price: the lasting backlash, the bill
    at home round by round and the reckoning in the last round."""
    html = _rendered(document(game, "team:union"))
    m = game.scenario.model
    assert game.scenario.team("union").coercive_tools
    assert f"For {m.coercion_memory} rounds afterwards" in html
    assert f"cooperates {round(m.coercion_backlash * 100)} % less with you" in html
    assert "in the last round, what is still owed is taken at once" in html


def test_an_agreement_record_says_what_share_was_withheld_and_why() -> None:
    """A receiver seen delivering too little loses part of what it receives without any
    written condition: its players must see that on the agreement, or it looks like the
    giver's breach."""
    st = start()
    sign(st, [term("visa_facilitation", "union", "sahelia", 2),
              term("readmission", "sahelia", "union", 60)])  # fmt: skip
    (readmission,) = [t.id for _a, t in st.live_terms() if t.giver == "sahelia"]
    implement(st, "sahelia", {readmission: 10})
    next_round(st)
    implement(st, "sahelia", {readmission: 100})
    next_round(st)
    advance_to(st, Phase.negotiation)
    html = _rendered(document(st, "team:sahelia"))
    share = round(st.scenario.model.variable_tranche * 100)
    assert share > 0
    assert f"{share} % withheld: its receiver was seen delivering too little" in html
