"""The debrief as slides: a bot game of the bilateral partnership played to its end on the shared
server, then the facilitator steps every projector through every slide from the console
at 1920×1080, and each slide fits the screen. Screenshots of every slide go to
tests/web/artifacts/ (look at them: fitting is necessary, not sufficient)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.web.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

expect: Any
try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips with the reason
    expect = None

PLAY = 90_000
"""ms a two-round bot game and its analysis may take on a loaded 2-core machine."""


def fits(page: Any) -> tuple[int, int]:
    """How far the page runs past the viewport: (down, sideways), in px."""
    return page.evaluate(
        """() => [document.documentElement.scrollHeight - innerHeight,
                  document.documentElement.scrollWidth - innerWidth]"""
    )


def test_the_facilitator_steps_every_projector_through_slides_that_fit(
    new_context: Any, base_url: str
) -> None:
    api = httpx.Client(base_url=base_url, timeout=30)
    game = api.post("/api/games", json={"scenario": "bilateral", "rounds": 2, "seed": 7})
    assert game.status_code == 201, game.text
    g = game.json()
    gid, auth = g["game_id"], {"Authorization": f"Bearer {g['facilitator_token']}"}
    for team in ("alpland", "marenia"):
        r = api.put(
            f"/api/games/{gid}/bots/{team}", json={"strategy": "reciprocator"}, headers=auth
        )
        assert r.status_code == 200, r.text
    assert api.put(f"/api/games/{gid}/bots", json={"seconds": 0}, headers=auth).status_code == 200
    start = api.post(f"/api/games/{gid}/actions", json={"kind": "start_game"}, headers=auth)
    assert start.status_code == 200, start.text

    proj = new_context(1920, 1080).new_page()
    proj.goto(f"/games/{gid}/projector?token={g['projector_token']}")
    fac_ctx = new_context(1280, 900)
    fac_ctx.add_cookies([{"name": f"compact_facilitator_{gid}", "value": g["facilitator_token"],
                          "url": base_url}])  # fmt: skip
    fac = fac_ctx.new_page()
    fac.goto(f"/games/{gid}/console")
    expect(proj.locator("#status .phase")).to_have_text("Ended", timeout=PLAY)
    # The analysis is done: the left-on-the-table slide has its figures.
    expect(proj.locator("#debrief")).to_have_attribute(
        "data-sig", re.compile("-left"), timeout=PLAY
    )
    expect(fac.locator("#debrief")).to_have_attribute("data-sig", re.compile("-left"))
    # The placeholder has its signature before the debrief it loads has arrived: wait
    # for the slides themselves (count() does not wait).
    fac.locator(".slide-list li").nth(9).wait_for(state="attached")
    count = fac.locator(".slide-list li").count()
    assert count >= 10
    ARTIFACTS.mkdir(exist_ok=True)
    for n in range(count):
        if n:
            fac.get_by_role("button", name="Next slide").click()
        current = proj.locator("#debrief .slide.current")
        expect(current).to_have_attribute("data-slide", str(n))
        expect(proj.locator("#debrief .slide:visible")).to_have_count(1)
        proj.screenshot(path=str(ARTIFACTS / f"slide-{n + 1:02d}-1920.png"))
        down, sideways = fits(proj)
        title = current.locator("h3").inner_text()
        assert down <= 1 and sideways <= 1, f"slide {n + 1} ({title}) overflows: {down}, {sideways}"
    expect(fac.get_by_role("button", name="Next slide")).to_be_disabled()
    # The reveal: the frontier under every team's mandate reaches the projector.
    fac.get_by_role("button", name="Reveal the truth to everyone").first.click()
    left = fac.locator(".slide-list button", has_text="Left on the table").first
    left.click()
    expect(proj.locator("#debrief .slide.current.slide-left .chart.gains").first).to_be_visible()
    proj.screenshot(path=str(ARTIFACTS / "slide-left-revealed-1920.png"))
    down, sideways = fits(proj)
    assert down <= 1 and sideways <= 1, f"the revealed frontier overflows: {down}, {sideways}"
    # On a phone every table and chart of the debrief fits 360 px (the console shows all;
    # a wide table scrolls inside its own region, as on every screen).
    fac.set_viewport_size({"width": 360, "height": 800})
    fac.evaluate("() => window.scrollTo(0, 0)")
    fac.screenshot(path=str(ARTIFACTS / "debrief-slides-console-360.png"), full_page=True)
    wide = fac.evaluate(
        """() => [...document.querySelectorAll('#debrief *')]
            .filter(e => e.getBoundingClientRect().right > innerWidth + 1)
            .filter(e => !e.closest('.table-wrap'))
            .slice(0, 6).map(e => e.tagName + '.' + e.className)"""
    )
    assert not wide, f"the debrief is wider than a phone: {wide}"
