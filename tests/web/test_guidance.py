"""A participant on a phone who follows only the line on top of the screen: from the join
link to the end of round 2, the other two teams played by bots. On the way: How to play,
the tabs, an announcement banner, a draft kept across a reload, the confirmation of every
submission; no sideways scroll at 360 px, no console error, axe clean; the console's
waiting panel and scores toggle, and the projector filling a 1920×1080 screen."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.web.conftest import ARTIFACTS, check_accessibility

pytestmark = pytest.mark.browser

expect: Any
try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips with the reason
    expect = None

OVERFLOWING = """() => {
  const out = [];
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth) out.push('document ' + root.scrollWidth);
  for (const e of document.querySelectorAll('body *')) {
    // not shown, inline, or a drawing's part
    if (!e.getClientRects().length || !e.clientWidth || e.closest('svg')) continue;
    if (e.getBoundingClientRect().right > root.clientWidth + 1 && !e.closest('.table-wrap'))
      out.push('past the edge: ' + e.tagName + '#' + e.id + '.' + e.className);
    if (e.scrollWidth <= e.clientWidth + 1) continue;
    const x = getComputedStyle(e).overflowX;
    if (x === 'hidden' || x === 'clip') continue;  // clipped on purpose (.sr-only)
    // a wide table may scroll inside a visible, labelled container, nothing else
    if ((x === 'auto' || x === 'scroll') && e.getAttribute('aria-label')) continue;
    out.push(`${e.tagName}#${e.id}.${e.className} ${e.scrollWidth}>${e.clientWidth}`);
  }
  return out.slice(0, 8);
}"""


def look(page: Any, name: str, *, width: int = 360) -> None:
    """A screenshot, and no element wider than its box at `width` px (then back)."""
    ARTIFACTS.mkdir(exist_ok=True)
    size = page.viewport_size
    page.set_viewport_size({"width": width, "height": size["height"]})
    page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / f"guide-{name}-{width}.png"), full_page=True)
    wide = page.evaluate(OVERFLOWING)
    assert not wide, f"{name} at {width} px: wider than their box: {wide}"
    page.set_viewport_size(size)


def fits_the_room_screen(proj: Any, name: str) -> None:
    proj.evaluate("() => window.scrollTo(0, 0)")
    proj.screenshot(path=str(ARTIFACTS / f"guide-projector-{name}-1920.png"))
    height = proj.evaluate("() => document.documentElement.scrollHeight")
    assert height <= 1080, f"the projector scrolls in {name}: {height} px"


def guide(page: Any) -> Any:
    return page.locator("#guide")


def test_a_phone_player_follows_the_guidance_to_the_end_of_round_2(new_context: Any) -> None:
    errors: list[str] = []

    def watch(page: Any) -> Any:
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on(
            "response",
            lambda r: (
                errors.append(f"{r.status} {r.request.method} {r.url}") if r.status >= 400 else None
            ),
        )
        return page

    # --- the facilitator creates a two-round game, bots for the other teams -------------
    fac = watch(new_context(1920, 1080).new_page())
    fac.goto("/")
    fac.get_by_label("Rounds (leave empty").fill("2")
    fac.get_by_role("button", name="Create the game").click()
    expect(fac).to_have_url(re.compile(r"/console$"))
    code = fac.locator("#join-code").inner_text()
    bots = fac.locator("#bots")
    for team in ("Coastland", "Sahelia"):
        row = bots.locator("li", has_text=team)
        expect(row).to_contain_text("nobody plays it yet")
        row.get_by_role("button", name="Give to a bot").click()
        expect(row).to_contain_text("played by a bot")
    fac.get_by_label("Bots' pace").fill("0")
    fac.get_by_role("button", name="Set the pace").click()
    waiting = fac.locator("#fac-waiting")
    expect(waiting).to_contain_text("Northern Union")  # nobody plays it yet
    expect(fac.locator("#timer-box")).to_contain_text("once the game has started")

    # --- the projector, on another computer: one click on the console's link -----------
    link = fac.locator("#projector-open").get_attribute("href")
    assert link and "token=" in link
    proj = watch(new_context(1920, 1080).new_page())
    proj.goto(link)
    expect(proj).to_have_url(re.compile(r"/projector$"))
    expect(proj.locator("#proj-join .code")).to_have_text(code)
    expect(proj.locator("body")).to_have_attribute("data-connected", "1")
    fits_the_room_screen(proj, "lobby")

    # --- a participant joins on a phone, reads How to play, takes a team -----------------
    ana = watch(new_context(390, 844).new_page())
    ana.goto(f"/join/{code}")
    ana.get_by_role("link", name="How to play").click()
    expect(ana.get_by_role("heading", name="How to play")).to_be_visible()
    example = ana.locator("ol.example")
    expect(example).to_contain_text("Northern Union → Sahelia: visas: facilitated")
    check_accessibility(ana, "help")
    look(ana, "help")
    ana.go_back()
    ana.get_by_label("Your name").fill("Ana")
    ana.get_by_role("button", name="Join").click()
    expect(ana.get_by_role("heading", name="Choose your team")).to_be_visible()
    look(ana, "lobby-choose")
    ana.locator("#team-union").check()
    ana.get_by_role("button", name="Take this team").click()
    expect(guide(ana)).to_contain_text("The facilitator starts the game soon")
    expect(ana.locator("body")).to_have_attribute("data-connected", "1")
    expect(ana.locator("#overview .score")).to_have_text("–")
    expect(ana.locator("#overview")).to_contain_text("first score once round 1 is resolved")
    look(ana, "lobby")

    # --- start: briefing, the ready button ----------------------------------------------
    expect(waiting).not_to_contain_text("Nobody plays")
    expect(bots.locator("li", has_text="Northern Union")).to_contain_text("played by 1 person")
    waiting.get_by_role("button", name="Start the game").click()
    expect(guide(ana)).to_contain_text("Round 1 begins")
    expect(waiting).to_contain_text("Not ready: Northern Union")
    expect(fac.locator("#timer-box")).to_contain_text("No timer runs")
    expect(fac.locator("#timer-box button")).to_have_text("Start a timer for this phase")
    fits_the_room_screen(proj, "briefing")
    look(ana, "briefing")
    guide(ana).get_by_role("button", name="Mark my team ready").click()

    # --- negotiation: the Deals tab first; a draft survives a reload --------------------
    expect(guide(ana)).to_contain_text(re.compile("Negotiate|proposals? wait"))
    expect(ana.locator("nav.jump [aria-current]")).to_have_text("Deals")
    expect(ana.locator("#overview")).to_be_hidden()  # one tab at a time on a phone
    fac.get_by_label("Announcement to every screen").fill("Ten minutes for deals")
    fac.get_by_role("button", name="Announce").click()
    for page in (ana, proj, fac):
        expect(page.locator("#announce")).to_contain_text("Ten minutes for deals")
    fits_the_room_screen(proj, "negotiation")
    b = ana.locator("#builder")
    b.get_by_label("Sahelia").check()
    b.locator("#t0_type").select_option("visa_facilitation")
    b.locator("#t0_giver").select_option("union")
    b.locator("#t0_receiver").select_option("sahelia")
    b.locator("#t0_amount").fill("1")
    ana.locator("#announce").get_by_role("button", name="Dismiss").click()
    expect(ana.locator("#announce")).to_be_hidden()
    ana.reload()
    expect(ana.locator("body")).to_have_attribute("data-connected", "1")
    expect(ana.locator("#announce")).to_be_hidden()  # dismissed stays dismissed
    expect(b.locator("#t0_amount")).to_have_value("1")  # the draft is back
    expect(b.get_by_label("Sahelia")).to_be_checked()
    b.get_by_role("button", name="Send proposal").click()
    expect(ana.locator("#toast")).to_contain_text("sent")
    ana.reload()
    expect(ana.locator("#builder #t0_amount")).to_have_value("")  # sent: the draft is gone
    check_accessibility(ana, "guide-negotiation")
    look(ana, "negotiation")
    if guide(ana).get_by_role("link", name="Open the inbox").count():
        guide(ana).get_by_role("link", name="Open the inbox").click()
        expect(ana.locator("#proposals")).to_be_visible()
    fac.locator("#fac-waiting").get_by_role("button", name="Advance to the next phase").click()

    for rnd in (1, 2):
        # --- implementation: submit, see it confirmed; ready ---------------------------
        expect(guide(ana)).to_contain_text("then submit your decisions")
        guide(ana).get_by_role("link", name="Open the decisions").click()
        expect(ana.locator("#impl-form")).to_be_visible()
        expect(waiting).to_contain_text("No decisions yet: Northern Union")
        if rnd == 1:
            look(ana, "implementation")
            fits_the_room_screen(proj, "implementation")
        ana.locator("#impl-form").get_by_role("button", name="Submit decisions").click()
        # Submitting marks the team ready: the bots were, so the round is resolved.
        expect(ana.locator("#toast")).to_contain_text("Decisions saved")

        # --- resolution: the results tab first; ready for the next round ------------
        expect(guide(ana)).to_contain_text(f"Round {rnd} is resolved")
        expect(ana.locator("nav.jump [aria-current]")).to_have_text("Results")
        expect(ana.locator("#results")).to_contain_text(f"Round {rnd}")
        if rnd == 2:
            expect(guide(ana)).to_contain_text("the game ends next")
            break
        look(ana, "resolution")
        expect(fac.locator("[data-op=reveal]")).to_be_visible()
        expect(fac.locator("[data-op=hide]")).to_be_hidden()
        fac.locator("[data-op=reveal]").click()
        expect(fac.locator("[data-op=hide]")).to_be_visible()
        expect(fac.locator("[data-op=hide]")).to_have_text("Scores shown: hide them")
        expect(fac.locator("[data-op=reveal]")).to_be_hidden()
        expect(proj.locator("#proj-scores")).to_be_visible()
        fits_the_room_screen(proj, "resolution")
        guide(ana).get_by_role("button", name="Mark my team ready").click()
        # round 2: briefing, then negotiation without a deal
        expect(guide(ana)).to_contain_text("Round 2 begins")
        guide(ana).get_by_role("button", name="Mark my team ready").click()
        expect(guide(ana)).to_contain_text(re.compile("Negotiate|proposals? wait"))
        if guide(ana).get_by_role("button", name="Ratify").count():
            guide(ana).get_by_role("button", name="Ratify").first.click()
        fac.locator("#fac-waiting").get_by_role("button", name="Advance to the next phase").click()

    check_accessibility(fac, "guide-console")
    fac.screenshot(path=str(ARTIFACTS / "guide-console-1920.png"), full_page=True)
    look(fac, "console")
    assert not errors, f"console errors: {errors}"
