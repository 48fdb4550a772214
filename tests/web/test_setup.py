"""Setting a game up from the start page and the console: an uploaded scenario file
(refused with its problems listed, then accepted), a bot seated on a team that answers a
participant's proposal in the bilateral chat, and readable error pages."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import check_accessibility, screenshots

pytestmark = pytest.mark.browser

expect: Any
try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips with the reason
    expect = None

BILATERAL = Path(__file__).resolve().parents[2] / "game_rules" / "scenarios" / "bilateral.yaml"


def test_an_uploaded_scenario_and_a_bot_seated_from_the_console(
    new_context: Any, tmp_path: Path
) -> None:
    text = BILATERAL.read_text()
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        text.replace("initial_trust: 50", "initial_trust: lots").replace(
            'colour: "#b22234"', "colour: 12"
        )
    )

    # --- a broken file: each problem listed next to the file input -------------------------
    fac = new_context().new_page()
    fac.goto("/")
    fac.get_by_label("Or your own scenario file").set_input_files(str(broken))
    fac.get_by_role("button", name="Create the game").click()
    problems = fac.locator("#scenario_file-e .problems li")
    expect(problems).to_have_count(2)
    expect(problems.first).to_contain_text("initial_trust")
    expect(problems.nth(1)).to_contain_text("teams.0.colour")
    expect(fac.get_by_label("Or your own scenario file")).to_have_attribute("aria-invalid", "true")
    check_accessibility(fac, "start-upload-error")
    screenshots(fac, "start-upload-error")

    # --- the shipped file uploaded as it is: a game of its own teams --------------------------
    fac.get_by_label("Or your own scenario file").set_input_files(str(BILATERAL))
    fac.get_by_label("Title (optional)").fill("Own file")
    fac.get_by_role("button", name="Create the game").click()
    expect(fac).to_have_url(re.compile(r"/games/[0-9a-f]{16}/console$"))
    expect(fac.locator("body")).to_have_attribute("data-connected", "1")
    expect(fac.locator("#teams")).to_contain_text("Marenia")
    code = fac.locator("#join-code").inner_text()

    # --- Marenia goes to a bot, at a quick pace ------------------------------------------------
    bots = fac.locator("#bots")
    bots.get_by_label("Strategy").nth(1).select_option("reciprocator")
    bots.get_by_role("button", name="Give to a bot (Marenia)").click()
    expect(bots.locator("#bot-marenia")).to_contain_text("played by a bot: reciprocator")
    expect(fac.locator("#teams")).to_contain_text("played by a bot: reciprocator")
    fac.get_by_label("Bots' pace").fill("0.3")
    fac.get_by_role("button", name="Set the pace").click()
    expect(fac.locator("#bot-pace output")).to_contain_text("0.3 s")

    # --- a person plays Alpland and sees Marenia is a bot ----------------------------------------
    ana = new_context(360, 780).new_page()
    ana.goto(f"/join/{code}")
    ana.get_by_label("Your name").fill("Ana")
    ana.get_by_role("button", name="Join").click()
    expect(ana.locator("label[for=team-marenia]")).to_contain_text("played by a bot")
    ana.locator("#team-alpland").check()
    ana.get_by_role("button", name="Take this team").click()
    expect(ana.locator("body")).to_have_attribute("data-connected", "1")
    # Which strategy the bot plays is the facilitator's to know until the end.
    expect(ana.locator("#overview .trust")).to_contain_text("played by a bot")
    expect(ana.locator("#overview .trust")).not_to_contain_text("reciprocator")

    proj = fac.context.new_page()
    proj.goto(fac.url.replace("/console", "/projector"))
    expect(proj.locator("#proj-headlines")).to_contain_text("played by a bot")
    expect(proj.locator("#proj-headlines")).not_to_contain_text("reciprocator")
    proj.close()

    fac.locator("button[data-op=start]").click()
    expect(ana.locator("#status .phase")).to_have_text("Briefing")
    fac.locator("button[data-op=advance]").click()
    expect(ana.locator("#status .phase")).to_have_text("Negotiation")

    # --- Ana offers funding; the bot answers, and says so in the bilateral chat ----------------
    b = ana.locator("#builder")
    b.get_by_label("Marenia").check()
    b.locator("#t0_type").select_option("funding")
    b.locator("#t0_giver").select_option("alpland")
    b.locator("#t0_receiver").select_option("marenia")
    b.locator("#t0_amount").fill("40")
    b.locator("#t0_earmark").select_option("development")
    b.get_by_role("button", name="Send proposal").click()
    expect(b).to_contain_text(re.compile(r"Proposal p\d+ sent"))
    pid = re.search(r"Proposal (p\d+) sent", b.inner_text())
    assert pid is not None
    earlier = ana.locator("#proposals details")
    expect(earlier).to_contain_text(pid.group(1), timeout=15_000)
    expect(ana.locator("#chat-log")).to_contain_text("Marenia (bot)")
    expect(fac.locator("#chat-log")).to_contain_text("Marenia (bot)")

    # --- and takes the team back ------------------------------------------------------------------
    bots.get_by_role("button", name="Take back (Marenia)").click()
    expect(bots.locator("#bot-marenia")).to_contain_text(
        "nobody plays it yet"
    )  # taken back, no seat on it
    expect(ana.locator("#overview .trust")).not_to_contain_text("played by a bot")
    check_accessibility(fac, "console-bots")

    # --- the console in another browser: a readable page, not JSON ----------------------------
    stranger = new_context(360, 780).new_page()
    response = stranger.goto(fac.url)
    assert response is not None and response.status == 403
    expect(stranger.get_by_role("heading", level=1)).to_have_text(
        "This screen is not for this browser"
    )
    stranger.get_by_role("link", name="Start page").click()
    expect(stranger.get_by_role("heading", name="Start a game")).to_be_visible()
    stranger.go_back()
    check_accessibility(stranger, "error-page")
    screenshots(stranger, "error-page")
