"""One Mediterranean game in real browsers: a facilitator, a projector and three
participants, from creating the game to the end of round 2. Every step is checked on
every screen it should reach, live (Playwright waits for conditions, never a time)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.web.conftest import check_accessibility, screenshots

pytestmark = pytest.mark.browser

expect: Any
try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips with the reason
    expect = None


DECIDED = re.compile("decisions for round [12] are in")


def phase_is(page: Any, name: str) -> None:
    expect(page.locator("#status .phase")).to_have_text(name)


def join(ctx: Any, code: str, name: str, team: str) -> Any:
    page = ctx.new_page()
    page.goto(f"/join/{code}")
    page.get_by_label("Your name").fill(name)
    page.get_by_role("button", name="Join").click()
    expect(page.get_by_role("heading", name="Choose your team")).to_be_visible()
    page.locator(f"#team-{team}").check()
    page.get_by_role("button", name="Take this team").click()
    expect(page.locator("#overview")).to_be_visible()
    expect(page.locator("body")).to_have_attribute("data-connected", "1")
    return page


def facilitator_does(fac: Any, op: str, done: str) -> None:
    fac.locator(f"button[data-op={op}]").click()
    expect(fac.locator("#controls-msg")).to_contain_text(done)


def test_a_mediterranean_game_from_creation_to_the_end_of_round_2(
    new_context: Any, base_url: str
) -> None:
    # --- the facilitator creates the game ------------------------------------------------
    fac = new_context().new_page()
    fac.goto("/")
    expect(fac.get_by_role("heading", name="Start a game")).to_be_visible()
    check_accessibility(fac, "start")
    screenshots(fac, "start")
    fac.get_by_label("Title (optional)").fill("Vienna workshop")
    fac.get_by_label("Rounds (leave empty").fill("3")
    fac.get_by_role("button", name="Create the game").click()
    expect(fac).to_have_url(re.compile(r"/games/[0-9a-f]{16}/console$"))
    expect(fac.locator("body")).to_have_attribute("data-connected", "1")
    game_id = fac.url.split("/")[-2]
    code = fac.locator("#join-code").inner_text()
    assert re.fullmatch(r"[A-Z2-9]{6}", code)
    expect(fac.locator(".qr svg")).to_be_visible()
    projector_link = fac.locator("#projector-link").input_value()

    # --- the projector, on its own machine -------------------------------------------------
    proj = new_context().new_page()
    proj.goto(projector_link)
    expect(proj).to_have_url(re.compile(r"/projector$"))
    expect(proj.locator("#proj-join .code")).to_have_text(code)
    expect(proj.locator("body")).to_have_attribute("data-connected", "1")

    # --- a join link takes no seat ---------------------------------------------------------
    union_ctx = new_context(360, 780)
    peek = union_ctx.new_page()
    peek.goto(f"/join/{code}")
    expect(peek.get_by_label("Game code")).to_have_value(code)
    check_accessibility(peek, "join")
    screenshots(peek, "join")
    peek.close()
    expect(fac.locator("#players-h .count")).to_have_text("0")

    # --- three participants join by code and pick teams ------------------------------------
    union = join(union_ctx, code, "Ana", "union")
    expect(fac.locator("#players")).to_contain_text("Ana")
    sahelia = join(new_context(), code, "Sami", "sahelia")
    # Cy picks the wrong team; the facilitator moves Cy, whose screen follows.
    coast = join(new_context(), code, "Cy", "sahelia")
    expect(fac.locator("#players")).to_contain_text("Cy")
    cy = fac.locator("#players li", has_text="Cy")
    cy.get_by_label("Team for Cy").select_option("coastland")
    cy.get_by_role("button", name="Move", exact=True).click()
    expect(coast.locator("#overview-h")).to_contain_text("Coastland")
    expect(coast.locator("body")).to_have_attribute("data-connected", "1")
    expect(fac.locator("#players-h .count")).to_have_text("3")
    # A fourth person joins and is removed: the page says so.
    extra = new_context().new_page()
    extra.goto(f"/join/{code}")
    extra.get_by_label("Your name").fill("Dee")
    extra.get_by_role("button", name="Join").click()
    expect(extra.locator("body")).to_have_attribute("data-connected", "1")
    dee = fac.locator("#players li", has_text="Dee")
    fac.once("dialog", lambda d: d.accept())
    dee.get_by_role("button", name="Remove Dee").click()
    expect(extra.locator("#conn-banner")).to_contain_text("removed")
    expect(fac.locator("#players")).not_to_contain_text("Dee")
    players = [union, sahelia, coast]
    everyone = [fac, proj, *players]

    # --- start; briefing → negotiation; a timer --------------------------------------------
    facilitator_does(fac, "start", "started")
    for page in everyone:
        phase_is(page, "Briefing")
    expect(proj.locator("#proj-join")).to_be_hidden()
    facilitator_does(fac, "advance", "Next phase")
    for page in everyone:
        phase_is(page, "Negotiation")
    expect(fac.locator("#timer-box")).to_contain_text("No timer runs in this phase")
    fac.locator("#timer-box").get_by_label("Minutes").fill("2")
    fac.get_by_role("button", name="Start a timer for this phase").click()
    expect(fac.locator("#timer-box button")).to_have_text("Change the timer")
    for page in everyone:
        expect(page.locator("#status .timer")).to_have_text(re.compile(r"^[12]:\d\d$"))

    # --- the union proposes visas for readmission (first with a mistake) -------------------
    b = union.locator("#builder")
    b.get_by_label("Sahelia").check()
    b.locator("#t0_type").select_option("visa_facilitation")
    b.locator("#t0_giver").select_option("union")
    b.locator("#t0_receiver").select_option("sahelia")
    b.get_by_role("button", name="Send proposal").click()
    expect(b.locator("#term-0 .field-error")).to_contain_text("amount")
    b.locator("#t0_amount").fill("1")
    b.get_by_role("button", name="Add a term").click()
    b.locator("#t1_type").select_option("readmission")
    b.locator("#t1_giver").select_option("sahelia")
    b.locator("#t1_receiver").select_option("union")
    b.locator("#t1_amount").fill("60")
    expect(b.locator("#t0_amount")).to_have_value("1")
    b.get_by_role("button", name="Add a condition").click()
    b.locator("#c0_term").fill("1")
    b.locator("#c0_requires").fill("2")
    b.locator("#c0_threshold").fill("50")
    b.get_by_role("button", name="Send proposal").click()
    expect(b).to_contain_text("Proposal p1 sent")
    expect(union.locator("#proposals")).to_contain_text("p1")
    inbox = sahelia.locator("#prop-p1")
    expect(inbox).to_contain_text("Northern Union → Sahelia: visas: facilitated")
    expect(inbox).to_contain_text("Term 1 only while term 2 is honoured at ≥ 50 %")
    expect(coast.locator("#proposals")).not_to_contain_text("p1")
    expect(fac.locator("#fac-deals")).to_contain_text("p1")

    # --- Sahelia counters: more visas, less readmission ------------------------------------
    inbox.get_by_role("button", name="Counter").click()
    sb = sahelia.locator("#builder")
    expect(sb.locator("#builder-h")).to_have_text("Counter proposal p1")
    sb.locator("#t0_amount").fill("2")
    sb.locator("#t1_amount").fill("50")
    sb.get_by_label("Message to the other parties").fill("Multiple-entry visas, 50 % readmission")
    sb.get_by_role("button", name="Send counter-proposal").click()
    expect(sb).to_contain_text("sent")
    offer = union.locator("#prop-p2")
    expect(offer).to_contain_text("visas: multiple-entry")
    expect(offer).to_contain_text("Multiple-entry visas, 50 % readmission")
    expect(union.locator("#prop-p1")).to_have_count(0)

    # --- the union accepts: a signed agreement, public ---------------------------------------
    check_accessibility(union, "participant-negotiation")
    screenshots(union, "participant-negotiation")
    offer.get_by_role("button", name="Accept").click()
    for page in (union, sahelia, coast):
        expect(page.locator("#ag-a1")).to_contain_text("readmission 50 %")
    expect(proj.locator("#proj-agreements")).to_contain_text("a1")
    expect(fac.locator("#fac-deals")).to_contain_text("a1")

    # --- chat on every channel, and an announcement ---------------------------------------------
    def chat(page: Any, to: str, text: str) -> None:
        page.locator("nav.jump [data-tab-link=chat]").click()  # a phone shows one tab
        form = page.locator(".chat-form")
        form.get_by_label("To", exact=True).select_option(to)
        form.get_by_label("Message", exact=True).fill(text)
        form.get_by_role("button", name="Send").click()
        expect(page.locator("#chat-msg")).to_contain_text("Sent")

    chat(coast, "plenary", "Coastland wants funding too")
    for page in (union, sahelia, coast, fac):
        expect(page.locator("#chat-log")).to_contain_text("Coastland wants funding too")
    chat(union, "bil:coastland", "Let us talk border cooperation")
    expect(coast.locator("#chat-log")).to_contain_text("Let us talk border cooperation")
    expect(sahelia.locator("#chat-log")).not_to_contain_text("border cooperation")
    chat(sahelia, "team", "Keep our red line on returns")
    expect(sahelia.locator("#chat-log")).to_contain_text("red line")
    expect(union.locator("#chat-log")).not_to_contain_text("red line")
    fac.get_by_label("Announcement to every screen").fill("Implementation starts now")
    fac.get_by_role("button", name="Announce").click()
    expect(proj.locator("#announce")).to_contain_text("Implementation starts now")
    expect(union.locator("#chat-log")).to_contain_text("Implementation starts now")

    # --- implementation: the budget shows live; an error stays next to the form ---------------
    facilitator_does(fac, "advance", "Next phase")
    for page in everyone:
        phase_is(page, "Implementation")
    form = sahelia.locator("#impl-form")
    left = form.locator("#impl-left")
    before = int(re.sub(r"[^0-9-]", "", left.inner_text()))
    form.get_by_label("Development spending").fill("100")
    expect(left).to_have_text(f"€{before - 100}m")
    form.get_by_label("Development spending").fill("999999")
    form.get_by_role("button", name="Submit decisions").click()
    expect(form.locator("#impl-msg")).to_contain_text("treasury")
    form.get_by_label("Development spending").fill("100")
    form.get_by_role("button", name="Submit decisions").click()
    # The section is re-rendered live for the whole team, with the decisions in it.
    expect(sahelia.locator("#implementation")).to_contain_text(DECIDED)
    expect(sahelia.get_by_label("Development spending")).to_have_value("100")
    union.locator("#impl-form").get_by_role("button", name="Submit decisions").click()
    expect(union.locator("#implementation")).to_contain_text(DECIDED)
    decided = fac.locator("#teams tbody tr")
    expect(decided.filter(has_text="Sahelia").locator("td").nth(4)).to_have_text("✓")
    expect(decided.filter(has_text="Northern Union").locator("td").nth(4)).to_have_text("✓")
    check_accessibility(sahelia, "participant-implementation")
    screenshots(sahelia, "participant-implementation")

    # --- resolution of round 1: results on every screen -----------------------------------------
    fac.get_by_label("Event").select_option(index=0)
    fac.get_by_role("button", name="Inject event").click()
    expect(fac.locator("#controls")).to_contain_text("Event injected")
    facilitator_does(fac, "advance", "Next phase")
    for page in everyone:
        phase_is(page, "Resolution")
    for page in (*players, fac):
        expect(page.locator("#results")).to_contain_text("Round 1 (2018)")
        expect(page.locator("#results svg.chart").first).to_be_visible()
    for page in players:
        expect(page.locator("#overview .score")).to_have_text(re.compile(r"^\d"))
    expect(proj.locator("#proj-map figcaption")).to_contain_text("Flows of round 1")
    expect(proj.locator("#proj-headlines")).to_contain_text("Irregular arrivals")
    expect(proj.locator("#proj-scores")).to_be_hidden()
    expect(union.locator("#news")).to_contain_text("Round 1")

    # The facilitator looks at Sahelia's screen: live, read-only.
    look = fac.context.new_page()
    look.goto(f"/games/{game_id}/console/look/sahelia")
    expect(look.locator("#overview-h")).to_contain_text("Sahelia")
    expect(look.locator("#ag-a1")).to_be_visible()
    expect(look.locator("body")).to_have_attribute("data-connected", "1")
    expect(look.get_by_role("button", name="Accept")).to_have_count(0)
    check_accessibility(look, "look")

    # --- round 2, to its resolution --------------------------------------------------------------
    for phase in ("Briefing", "Negotiation", "Implementation"):
        facilitator_does(fac, "advance", "Next phase")
        for page in everyone:
            phase_is(page, phase)
            expect(page.locator("#status .round")).to_contain_text("Round 2")
        if phase == "Negotiation":
            phase_is(look, "Negotiation")  # the look follows the game, no reload
            sahelia.locator(".chat-form").get_by_label("To", exact=True).select_option("team")
            sahelia.locator(".chat-form").get_by_label("Message", exact=True).fill("Hold firm")
            sahelia.locator(".chat-form").get_by_role("button", name="Send").click()
            expect(look.locator("#chat-log")).to_contain_text("Hold firm")
            expect(look.locator("#implementation button")).to_have_count(0)
            look.close()
    union.locator("#impl-form").get_by_role("button", name="Submit decisions").click()
    expect(union.locator("#implementation")).to_contain_text(DECIDED)
    toast = union.locator("#toast")
    expect(toast).to_contain_text("change them until the phase ends")
    facilitator_does(fac, "advance", "Next phase")
    for page in everyone:
        phase_is(page, "Resolution")
    # The confirmation belonged to the phase that ended: it goes with it, well before its
    # own 6 s, instead of covering the results.
    expect(toast).to_be_hidden(timeout=2_000)
    for page in (*players, fac):
        expect(page.locator("#results")).to_contain_text("Round 2 (2020)")
    expect(proj.locator("#proj-map figcaption")).to_contain_text("Flows of round 2")

    # --- scores revealed: now the projector shows them ---------------------------------------
    facilitator_does(fac, "reveal", "revealed")
    expect(proj.locator("#proj-scores")).to_be_visible()
    expect(proj.locator("#proj-scores li")).to_have_count(3)
    expect(coast.locator("#results .scores li")).to_have_count(3)

    for page, screen in ((union, "participant-results"), (fac, "console"), (proj, "projector")):
        check_accessibility(page, screen)
        screenshots(page, screen)

    # --- the end: a debrief on every screen ------------------------------------------------------
    fac.once("dialog", lambda d: d.accept())
    fac.get_by_role("button", name="End the game").click()
    for page in everyone:
        phase_is(page, "Ended")
        debrief = page.locator("#debrief")
        expect(debrief.get_by_role("heading", name="Gain from partnership")).to_be_visible()
        expect(debrief.locator("tbody tr").first).to_contain_text(re.compile(r"\d"))
        expect(debrief).to_contain_text("a1")
        # The projector shows one slide at a time (the first); the others scroll through all.
        left = debrief.locator("h3", has_text="Left on the table")
        expect(left).to_have_count(1) if page is proj else expect(left).to_be_visible()
    # Until the facilitator reveals it, only the facilitator sees the truth and all trust;
    # the projector, which every team reads, shows what the partners saw.
    expect(fac.locator("#debrief .trust-matrix tbody tr")).to_have_count(3)
    expect(proj.locator("#debrief")).to_contain_text("the partners saw")
    expect(proj.locator("#debrief .trust-matrix")).to_have_count(0)
    fac.get_by_role("button", name="Reveal the truth to everyone").click()
    for page in everyone:
        debrief = page.locator("#debrief")
        expect(debrief.locator(".trust-matrix tbody tr")).to_have_count(3)
        expect(debrief).to_contain_text("promised 100 %, delivered")
    # Union and Coastland share a corridor and never signed: it is on the table.
    expect(union.locator("#debrief .left")).to_contain_text("Coastland")
    for page, screen in (
        (union, "debrief-participant"),
        (fac, "debrief-console"),
        (proj, "debrief-projector"),
    ):
        check_accessibility(page, screen)
        screenshots(page, screen)

    # --- the server is still healthy ------------------------------------------------------
    r = httpx.get(f"{base_url}/healthz")
    assert r.json()["ok"]
