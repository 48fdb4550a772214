"""A participant's page that loses its websocket while the game moves on shows a banner,
then catches up; and the participant page stays light on a cold load."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.browser

expect: Any
try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips with the reason
    expect = None

PAGE_BUDGET = 150_000
"""bytes transferred for a participant's cold load (GAME.md: phones on conference wifi)"""


def new_game(base_url: str) -> tuple[str, str, str]:
    r = httpx.post(f"{base_url}/api/games", json={"scenario": "mediterranean"})
    r.raise_for_status()
    data = r.json()
    return data["game_id"], data["join_code"], data["facilitator_token"]


def seated_page(ctx: Any, code: str, name: str, team: str) -> Any:
    page = ctx.new_page()
    page.goto(f"/join/{code}")
    page.get_by_label("Your name").fill(name)
    page.get_by_role("button", name="Join").click()
    page.locator(f"#team-{team}").check()
    page.get_by_role("button", name="Take this team").click()
    expect(page.locator("body")).to_have_attribute("data-connected", "1")
    return page


def test_a_page_that_lost_its_websocket_shows_a_banner_then_catches_up(
    new_context: Any, base_url: str
) -> None:
    game_id, code, token = new_game(base_url)
    ctx = new_context(360, 780)
    page = seated_page(ctx, code, "Ana", "sahelia")
    expect(page.locator("#status .phase")).to_have_text("Lobby")

    ctx.set_offline(True)
    page.evaluate("() => window.compactSocket.close()")
    expect(page.locator("#conn-banner")).to_be_visible()
    expect(page.locator("#conn-banner")).to_contain_text("reconnecting")
    expect(page.locator("body")).to_have_attribute("data-connected", "0")

    # The game moves on while this page is away.
    auth = {"Authorization": f"Bearer {token}"}
    for kind in ("start_game", "advance_phase"):
        r = httpx.post(f"{base_url}/api/games/{game_id}/actions", json={"kind": kind}, headers=auth)
        assert r.status_code == 200, r.text
    r = httpx.post(
        f"{base_url}/api/games/{game_id}/announcements",
        json={"text": "Negotiations are open"},
        headers=auth,
    )
    assert r.status_code == 200, r.text
    expect(page.locator("#status .phase")).to_have_text("Lobby")

    ctx.set_offline(False)
    expect(page.locator("#conn-banner")).to_contain_text("Back online")
    expect(page.locator("#status .phase")).to_have_text("Negotiation")
    expect(page.locator("#chat-log")).to_contain_text("Negotiations are open")
    expect(page.locator("#conn-banner")).to_be_hidden()

    # A closed tab loses nothing either: reopening it gets the same seat back.
    page.close()
    again = ctx.new_page()
    again.goto(f"/games/{game_id}/play")
    expect(again.locator("#overview-h")).to_contain_text("Sahelia")
    expect(again.locator(".who")).to_have_text("Ana")


def test_the_participant_page_is_light_on_a_cold_load(new_context: Any, base_url: str) -> None:
    _game_id, code, _token = new_game(base_url)
    ctx = new_context(360, 780)
    seated_page(ctx, code, "Ana", "union")
    fresh = new_context(360, 780)  # a new context has an empty HTTP cache: a cold load
    fresh.add_cookies(ctx.cookies())
    cold = fresh.new_page()
    sizes: list[tuple[str, int]] = []
    cold.on(
        "requestfinished",
        lambda req: sizes.append(
            (req.url, req.sizes()["responseBodySize"] + req.sizes()["responseHeadersSize"])
        ),
    )
    cold.goto(f"/games/{_game_id}/play")
    expect(cold.locator("body")).to_have_attribute("data-connected", "1")
    total = sum(n for _url, n in sizes)
    report = ", ".join(f"{url.rsplit('/', 1)[-1]}: {n}" for url, n in sizes)
    print(f"participant page, cold: {total} bytes ({report})")
    assert total < PAGE_BUDGET, f"{total} bytes transferred: {report}"
