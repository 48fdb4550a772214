"""Parallel tables in a browser: a facilitator creates two tables from the start page,
gives every team to bots from the session console, starts both at once, watches them
side by side to the end, compares them, opens the printable reports, and replays a
round that the projector (another computer, 1920×1080) follows live."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.web.conftest import ARTIFACTS, screenshots

pytestmark = pytest.mark.browser

expect: Any
try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips with the reason
    expect = None

WAIT = 60_000


def test_two_parallel_tables_of_bots_compared_reported_and_replayed(new_context: Any) -> None:
    fac = new_context().new_page()
    fac.goto("/")
    fac.get_by_label("Title (optional)").fill("Twin tables")
    fac.get_by_label("Rounds (leave empty").fill("2")
    fac.get_by_label("Number of tables").fill("2")
    fac.get_by_role("button", name="Create the game").click()
    expect(fac).to_have_url(re.compile(r"/sessions/[0-9a-f]{16}$"))
    expect(fac.get_by_role("heading", name=re.compile("Twin tables · 2 tables"))).to_be_visible()
    codes = [fac.locator(f"#table-{n} .code").inner_text() for n in (1, 2)]
    assert len(set(codes)) == 2 and all(re.fullmatch(r"[A-Z2-9]{6}", c) for c in codes)

    # Every team to a bot, fast, and both tables started at once.
    fac.get_by_label("Seconds between bot moves").fill("0")
    fac.get_by_role("button", name="Give to bots").click()
    expect(fac.locator("#session-msg")).to_contain_text("Done at every table.")
    fac.locator("button[data-op=start]").click()
    expect(fac.locator("#session-msg")).to_contain_text("Done at every table.")
    for n in (1, 2):
        expect(fac.locator(f"#table-{n} .table-phase")).to_contain_text("Ended", timeout=WAIT)
    compare = fac.locator("#session-compare table")
    expect(compare.locator("tbody tr")).to_have_count(2)
    # The gains arrive with each table's no-agreement replay: a sign in every row.
    expect(compare.locator("tbody tr").first).to_contain_text(re.compile(r"[+−-]\d|0"))
    # Efficiency against the deal frontier, once the debrief's analysis is ready.
    expect(compare.locator("thead")).to_contain_text("Efficiency", timeout=WAIT)
    screenshots(fac, "session-console")

    # The session's printable report: the comparison, then each table.
    fac.get_by_role("link", name="Printable session report").click()
    for part in ("report-compare", "report-table-1", "report-table-2"):
        expect(fac.locator(f"#{part}")).to_be_visible()
    fac.emulate_media(media="print")
    expect(fac.locator("button[data-print]")).to_be_hidden()
    fac.emulate_media(media="screen")

    # Table 1's report, as its facilitator sees it: every section.
    game_id = fac.locator("#report-table-1").evaluate("e => e.dataset.game")
    fac.goto(f"/games/{game_id}/report")
    for part in ("summary", "outcome", "agreements", "indicators", "trust", "timeline"):
        expect(fac.locator(f"#report-{part}")).to_be_visible()
    screenshots(fac, "report")
    fac.emulate_media(media="print")
    ARTIFACTS.mkdir(exist_ok=True)
    fac.screenshot(path=str(ARTIFACTS / "report-print.png"), full_page=True)
    assert fac.locator("button:visible, form:visible, nav.languages:visible").count() == 0
    fac.emulate_media(media="screen")

    # The projector of table 1, on its own computer.
    fac.goto(f"/games/{game_id}/console")
    projector_link = fac.locator("#projector-link").input_value()
    proj = new_context(1920, 1080).new_page()
    proj.goto(projector_link)
    expect(proj.locator("body")).to_have_attribute("data-connected", "1")

    # Replay: round 1 on the console, and the projector follows.
    fac.goto(f"/games/{game_id}/replay")
    fac.get_by_role("button", name="Round 1", exact=True).click()
    expect(fac.locator("#replay h2")).to_contain_text("Replay: the end of round 1 of 2")
    expect(fac.locator("#replay-on-projector")).to_have_text("The projector shows round 1.")
    expect(proj.locator("#proj-replay h2")).to_contain_text("the end of round 1 of 2")
    expect(proj.locator("#proj-replay svg").first).to_be_visible()
    expect(proj.locator("#proj-map")).to_be_hidden()
    proj.screenshot(path=str(ARTIFACTS / "projector-replay-1920.png"))
    # The replayed round fits the projector's screen: nobody scrolls a projector.
    assert proj.evaluate("() => document.documentElement.scrollHeight") <= 1080
    screenshots(fac, "replay")
    fac.get_by_role("button", name="Back to the live game").click()
    expect(proj.locator("#proj-replay")).to_be_hidden()
    # The game has ended: back to the live screen is back to the debrief.
    expect(proj.locator("#debrief")).to_be_visible()
    # A table of a session steps through the debrief's slides like any game (the slides'
    # own test steps through all of them): the next one reaches this table's projector.
    expect(fac).to_have_url(re.compile(r"/console$"))
    fac.get_by_role("button", name="Next slide").click()
    expect(proj.locator("#debrief .slide.current")).to_have_attribute("data-slide", "1")
    proj.screenshot(path=str(ARTIFACTS / "session-table-slide-1920.png"))
