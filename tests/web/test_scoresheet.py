"""The scoresheet's secrecy: it is computed from what the team may know, and from nothing
else. Each test attacks the boundary (`views.known_state`): another team's secrets are
changed, and the team's scoresheet must not move; what the sheet shows is compared with
what the team's own view holds."""

from __future__ import annotations

import copy
import re
from typing import Any

import httpx
import pytest

from game_rules import actions as A
from game_rules.dealspace import Evaluator
from game_rules.rules import perform
from game_rules.scenario import Direction, DomesticPolitics, Mandate, Objective
from game_rules.state import Decision, GameState, Phase
from game_rules.views import Audience, known_state, view
from tests.rules.helpers import advance_to, implement, next_round, sign, start, team, term
from tests.web.conftest import ARTIFACTS, check_accessibility, screenshots
from web import render
from web import scoresheet as sheets

ME, PARTNER, OTHER = "union", "coastland", "sahelia"
"""The Union values a deal with Coastland; Sahelia's secrets are attacked."""

DEAL = [
    term("funding", ME, PARTNER, 100, earmark="border_management"),
    term("border_cooperation", PARTNER, ME, 60),
]


@pytest.fixture(scope="module")
def game() -> GameState:
    """Round 2 in negotiation: the Union and Sahelia signed in round 1 (Sahelia honoured
    its readmission at 30 %, which only Sahelia knows), Sahelia and Coastland talk."""
    st = start()
    sign(st, [term("visa_facilitation", ME, OTHER, 1), term("readmission", OTHER, ME, 60)])
    implement(st, ME)
    readmission = next(t.id for _ag, t in st.live_terms() if t.giver == OTHER)
    implement(st, OTHER, {readmission: 30})
    next_round(st)
    advance_to(st, Phase.negotiation)
    return st


def tampered(st: GameState) -> GameState:
    """`st` with every secret of Sahelia changed, and a proposal the Union never sees."""
    s = copy.deepcopy(st)
    goal = Objective(
        indicator="remittances", weight=1.0, direction=Direction.higher_is_better,
        target=99999, worst=0,
    )  # fmt: skip
    politics = DomesticPolitics(
        initial=50, threshold=49, responsiveness=1, after_fall=60, drivers=[goal]
    )
    specs = [
        t.model_copy(update={"mandate": Mandate(objectives=[goal]), "support": politics})
        if t.id == OTHER
        else t
        for t in s.scenario.teams
    ]
    s.scenario = s.scenario.model_copy(update={"teams": specs})
    other = s.teams[OTHER]
    other.mandate = [goal]
    other.treasury = 1.0
    other.policies = other.policies.model_copy(update={"border_enforcement": 95.0})
    other.last_compliance = dict.fromkeys(other.last_compliance, 0.0)
    for rec in s.compliance:
        if rec.giver == OTHER:
            rec.true_compliance = 0.0
    s.decisions_log[-1][OTHER] = Decision(compliance={}, policies=other.policies)
    s.trust[OTHER][PARTNER], s.trust[PARTNER][OTHER] = 0.0, 100.0
    s.history[-1].scores[OTHER] = 99.0
    s.history[-1].indicators[OTHER]["treasury"] = 1.0
    s.history[-1].trust[OTHER][PARTNER] = 0.0
    offer = [term("funding", OTHER, PARTNER, 5, earmark="development")]
    perform(s, team(OTHER), A.Propose(parties=[OTHER, PARTNER], terms=offer))
    return s


def test_another_teams_secrets_do_not_move_the_scoresheet(game: GameState) -> None:
    changed = tampered(game)
    # The attack is real: valued on the true states, the Union's number moves (by a few
    # thousandths since Sahelia's outside investment is 500, far above rounding noise).
    truth = Evaluator(game).value(DEAL).gain(ME), Evaluator(changed).value(DEAL).gain(ME)
    assert abs(truth[0] - truth[1]) > 1e-3, truth
    # What the Union may know is the same in both games, to the byte.
    before, after = known_state(game, ME), known_state(changed, ME)
    assert sheets.digest(before) == sheets.digest(after)
    sheets.clear_cache()
    a = sheets.sheet(before, ME, DEAL)
    sheets.clear_cache()
    b = sheets.sheet(after, ME, DEAL)
    assert a == b and not a.empty
    # and so is the decision preview, once in implementation
    for st in (game_copy := copy.deepcopy(game), changed):
        advance_to(st, Phase.implementation)
    decide = A.Implement(policies=game_copy.teams[ME].policies)
    sheets.clear_cache()
    p1 = sheets.preview(known_state(game_copy, ME), ME, decide)
    sheets.clear_cache()
    p2 = sheets.preview(known_state(changed, ME), ME, decide)
    assert p1 == p2


def test_the_scoresheet_shows_what_the_teams_own_view_holds(game: GameState) -> None:
    mine = view(game, Audience.of_team(ME), translations=False)
    known = known_state(game, ME)
    # The team's own view is the same whether built from the game or from what it knows:
    # the known state holds nothing the view leaves out, and loses nothing it shows.
    assert view(known, Audience.of_team(ME), translations=False) == mine
    sh = sheets.sheet(known, ME, DEAL)
    goals = [(o["indicator"], o["weight"]) for o in mine["me"]["mandate"]]
    assert [(line.indicator, line.weight) for line in sh.lines] == goals
    # No secret of another team is in the known state: mandates and politics are the
    # stand-ins, true compliance is what was observed, as in the team's view.
    for tid in (PARTNER, OTHER):
        assert known.teams[tid].mandate == list(known.scenario.team(tid).mandate.objectives)
        assert [o.indicator for o in known.teams[tid].mandate] == ["support"]
        assert known.scenario.team(tid).support.threshold == 0
    observed = {
        (c["term_id"], c["round"]): c["observed"]
        for ag in mine["agreements"]
        for c in ag["compliance"]
        if c["giver"] != ME
    }
    assert observed and all(
        round(rec.true_compliance, 1) == observed[(rec.term_id, rec.round)]
        for rec in known.compliance
        if rec.giver != ME
    )
    assert set(known.proposals) == {p["id"] for p in mine["proposals"]}
    # On screen: the team's goals in words, none of a partner's goals.
    html = render.fragment("sections/scoresheet.html", sh=sh, names={}, units=sheets.UNITS)
    assert "Irregular arrivals" in html and "Remittances" not in html
    assert "irregular_arrivals" not in html


# --- in a browser, at phone size -----------------------------------------------------------


@pytest.mark.browser
def test_a_participant_values_a_proposal_on_the_scoresheet_then_accepts_it(
    new_context: Any, base_url: str
) -> None:
    """At 390×844: Sahelia's offer arrives valued for the Union; the Union types a
    counter and its sheet follows the typing; it accepts the offer instead."""
    from playwright.sync_api import expect

    with httpx.Client(base_url=base_url, timeout=15) as api:
        game = api.post("/api/games", json={"scenario": "mediterranean", "seed": 5}).json()
        fac = {"Authorization": f"Bearer {game['facilitator_token']}"}
        g = game["game_id"]
        sahelia = api.post(
            "/api/join", json={"code": game["join_code"], "name": "Sami", "team": OTHER}
        ).json()
        ctx = new_context(390, 844)
        page = ctx.new_page()
        page.goto(f"/join/{game['join_code']}")
        page.get_by_label("Your name").fill("Ana")
        page.get_by_role("button", name="Join").click()
        page.locator(f"#team-{ME}").check()
        page.get_by_role("button", name="Take this team").click()
        expect(page.locator("body")).to_have_attribute("data-connected", "1")
        errors: list[str] = []  # from here on: the play page, its scoresheets and live updates
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        for kind in ("start_game", "advance_phase"):
            assert api.post(f"/api/games/{g}/actions", json={"kind": kind}, headers=fac).is_success
        offer = {
            "kind": "propose",
            "parties": [OTHER, ME],
            "terms": [
                {"type": "visa_facilitation", "giver": ME, "receiver": OTHER, "amount": 1},
                {"type": "readmission", "giver": OTHER, "receiver": ME, "amount": 60},
            ],
        }
        sami = {"Authorization": f"Bearer {sahelia['token']}"}
        assert api.post(f"/api/games/{g}/actions", json=offer, headers=sami).is_success
        proposal = api.get(f"/api/games/{g}/view", headers=sami).json()["view"]["proposals"][0]

    # The offer arrives with its value for the Union, in words, goal by goal.
    card = page.locator(f"#prop-{proposal['id']}")
    sheet = card.locator(".scoresheet")
    expect(sheet).to_contain_text("against no agreement")
    expect(sheet).to_contain_text("Irregular arrivals")
    assert "irregular_arrivals" not in sheet.inner_text()
    valued = sheet.locator(".sheet-total strong").inner_text()
    assert re.search(r"[+−±]\d", valued), valued

    # The builder's sheet follows the typing (a pause of 300 ms, no button).
    b = page.locator("#builder")
    b.get_by_label("Sahelia").check()
    b.locator("#t0_type").select_option("readmission")
    b.locator("#t0_giver").select_option(OTHER)
    b.locator("#t0_receiver").select_option(ME)
    live = b.locator("#builder-sheet")
    expect(live).to_contain_text("Type an amount")
    # Typed key by key, a slow page may value "1" before "10": both are a token return
    # worth about the signature's cost, so the next amount is one that moves the score.
    b.locator("#t0_amount").press_sequentially("10")
    expect(live).to_contain_text("against no agreement")
    first = live.locator(".sheet-total").inner_text()
    b.locator("#t0_amount").fill("80")
    expect(live.locator(".sheet-total")).not_to_have_text(first)

    check_accessibility(page, "scoresheet")
    screenshots(page, "scoresheet")
    page.set_viewport_size({"width": 1920, "height": 1080})
    card.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "scoresheet-1920.png"))
    page.set_viewport_size({"width": 390, "height": 844})
    card.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "scoresheet-390.png"))

    # Valued: the Union accepts, and the deal is signed.
    card.get_by_role("button", name="Accept").click()
    expect(page.locator("#ag-a1")).to_contain_text("readmission 60 %")

    # In implementation the decision form previews cost and effect before submitting.
    with httpx.Client(base_url=base_url, timeout=15) as api:
        r = api.post(f"/api/games/{g}/actions", json={"kind": "advance_phase"}, headers=fac)
        assert r.is_success, r.text
    form = page.locator("#impl-form")
    preview = form.locator("#impl-preview")
    expect(preview).to_contain_text("They cost")
    expect(preview).to_contain_text("Expected score this round")
    form.get_by_label("Development spending").fill("999999")
    expect(preview).to_contain_text("more than your treasury")
    form.get_by_label("Development spending").fill("50")
    expect(preview).not_to_contain_text("more than your treasury")
    preview.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "scoresheet-preview-390.png"))
    form.get_by_role("button", name="Submit decisions").click()
    expect(page.locator("#toast")).to_contain_text("Decisions saved")
    assert not errors, errors
