"""What the console, the projector and How to play say, read as a facilitator's and a
room computer's browser receive them (cookies kept per client, no JavaScript)."""

from __future__ import annotations

import html
import re

from game_rules.library import load_scenario
from tests.server.players import Browser


async def create_in_the_browser(fac: Browser) -> str:
    """A game made with the start form: the facilitator's and projector's cookies set."""
    r = await fac.http.post("/start", data={"scenario": "mediterranean", "title": "Room 4"})
    assert r.status_code == 303, r.text
    game_id = r.headers["location"].split("/")[2]
    fac.game_id = game_id
    return game_id


def section(page: str, element_id: str) -> str:
    found = re.search(rf'<(\w+) id="{element_id}".*?</\1>', page, re.S)
    assert found is not None, f"no #{element_id}"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found.group(0))).split())


async def test_the_projector_link_on_the_console_works_on_another_computer(browsers) -> None:
    fac, room = browsers(), browsers()
    game_id = await create_in_the_browser(fac)
    console = (await fac.http.get(f"/games/{game_id}/console")).text
    link = re.search(r'id="projector-open" href="([^"]+)"', console)
    assert link is not None, "the console shows the projector link as a button"
    url = html.unescape(link.group(1))
    assert "token=" in url
    # The room's computer has no cookie of this game: the bare address is refused, saying
    # where to find the link; the link itself opens the projector in one go.
    bare = await room.http.get(f"/games/{game_id}/projector")
    assert bare.status_code == 403 and "facilitator console" in bare.text
    opened = await room.http.get(url)
    assert opened.status_code == 303
    screen = await room.http.get(opened.headers["location"])
    assert screen.status_code == 200 and 'data-audience="projector"' in screen.text
    assert "Join the game on your phone" in section(screen.text, "proj-guide")
    assert "token=" not in screen.text  # the projector's page carries no credential


async def test_the_console_says_who_is_waited_for_and_what_each_control_does(browsers) -> None:
    fac, ana = browsers(), browsers()
    game_id = await create_in_the_browser(fac)
    page = (await fac.http.get(f"/games/{game_id}/console")).text
    bots = section(page, "bots")
    assert bots.count("nobody plays it yet") == 3 and "played by people" not in bots
    assert "Nobody plays" in section(page, "fac-waiting")
    assert "once the game has started" in section(page, "timer-box")
    assert 'data-scores="0"' in page  # the stylesheet shows "Scores hidden: reveal them" alone
    assert "Scores hidden: reveal them" in page and "Scores shown: hide them" in page

    code = re.search(r'id="join-code">(\w+)<', page)
    assert code is not None
    await ana.join(code.group(1), "Ana", "union")
    csrf = re.search(r'"X-CSRF-Token": "(\w+)"', page)
    assert csrf is not None
    headers = {"HX-Request": "true", "X-CSRF-Token": csrf.group(1)}
    start = await fac.http.post(
        f"/games/{game_id}/console/do", data={"op": "start"}, headers=headers
    )
    assert start.status_code == 200, start.text
    page = (await fac.http.get(f"/games/{game_id}/console")).text
    assert "played by 1 person" in section(page, "bots")
    waiting = section(page, "fac-waiting")
    assert "Not ready: Northern Union, Coastland, Sahelia" in waiting
    assert "Advance to the next phase" in waiting
    timer = section(page, "timer-box")
    assert "No timer runs in this phase" in timer and "Start a timer for this phase" in timer

    revealed = await fac.http.post(
        f"/games/{game_id}/console/do", data={"op": "reveal"}, headers=headers
    )
    assert revealed.status_code == 200
    page = (await fac.http.get(f"/games/{game_id}/console")).text
    assert 'data-scores="1"' in page
    # The seat's own screen: the line on top and the ready button of the briefing.
    play = (await ana.get("/games/{g}/play")).text
    guide = section(play, "guide")
    assert "Round 1 begins" in guide and "Mark my team ready" in guide


async def test_how_to_play_is_there_without_a_game_in_every_language(browsers) -> None:
    b = browsers()
    en = await b.http.get("/help?scenario=mediterranean")
    assert en.status_code == 200
    text = html.unescape(en.text)
    assert "Northern Union → Sahelia: visas: facilitated, 3 rounds" in text
    assert "Term 1 only while term 2 is honoured at ≥ 50 %" in text
    # The partnership's own tranche, in the scenario's figures: a player must know that a
    # shortfall costs part of what it receives even where nobody wrote a condition.
    model = load_scenario("mediterranean").model
    share, bar = round(model.variable_tranche * 100), round(model.tranche_bar)
    assert f"in Mediterranean corridor, {share} % of the money, market access and mobility" in text
    assert f"less than {bar} % of its own part" in text
    fr = await b.http.get("/help?lang=fr")
    assert "Comment jouer" in fr.text and "Le langage des accords" in html.unescape(fr.text)
    assert f"Plus pour plus : dans Corridor méditerranéen, {share} %" in html.unescape(fr.text)
    ar = await b.http.get("/help?scenario=nowhere&lang=ar")  # an unknown scenario: the default
    assert ar.status_code == 200 and "طريقة اللعب" in ar.text
    join = await b.http.get("/join")
    assert 'href="/help"' in join.text
