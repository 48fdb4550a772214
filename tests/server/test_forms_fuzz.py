"""Every form route of the pages, fuzzed: whatever fields and values a browser (or
anyone) posts, the answer is below 500. The routes are read from the app, so a new form
is fuzzed too; requests carry a real game's ids, a participant's or the facilitator's
cookie and the page's CSRF token, so they reach the code behind the checks."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from server import pages
from server.security import csrf_for
from tests.server.test_openapi import ThreadedServer

FIELDS = [
    "op", "kind", "team", "to", "text", "code", "name", "scenario", "title", "rounds",
    "nterms", "nconds", "t0_type", "t0_giver", "t0_receiver", "t0_amount", "t0_duration",
    "t0_earmark", "t0_skills", "t0_third", "t0_removed", "t1_amount", "c0_term",
    "c0_requires", "c0_threshold", "c0_removed", "parties", "message", "proposal_id",
    "agreement_id", "ready", "tool", "target", "minutes", "event_id", "seconds", "strategy",
    "timer_briefing", "timer_negotiation", "teams_mediterranean", "c_union", "c_sahelia",
    "border_enforcement", "labour_permits", "csrf_token", "lang",
]  # fmt: skip
NASTY = [
    "", " ", "0", "-1", "1", "2", "40", "41", "99999999999999999999", "1e999", "-1e999",
    "NaN", "nan", "inf", "-inf", "Infinity", "0x10", "1_0", "²", "١", "½", "\x00", "\ufeff",
    "union", "sahelia", "coastland", "nobody", "start", "pause", "advance", "end", "seat",
    "unseat", "pace", "add_term", "add_condition", "clear", "send", "propose", "accept",
    "set_ready", "implement", "bil:union", "bil:", "team", "plenary", "p1", "a1", "<script>",
    "a" * 5000, "[" * 3000, "' OR 1=1 --", "%s%n", "\u202e", "reciprocator", "grim",
]  # fmt: skip
TEAMS = ["union", "sahelia", "coastland", "nobody", ""]

values = st.one_of(st.sampled_from(NASTY), st.text(max_size=20))
forms = st.dictionaries(
    st.one_of(st.sampled_from(FIELDS), st.text(max_size=6)), values, max_size=10
)


@pytest.fixture
def server(db_url: str) -> Iterator[ThreadedServer]:
    with ThreadedServer(db_url) as live:
        yield live


def _page_routes(server: ThreadedServer) -> list[APIRoute]:
    return [r for r in pages.router.routes if isinstance(r, APIRoute)]


def _fill(path: str, game: dict[str, Any], team: str, other: str) -> str:
    return (
        path.replace("{game_id}", game["game_id"])
        .replace("{player_id}", other)
        .replace("{team}", team)
        .replace("{code}", game["join_code"])
    )


def test_no_form_route_answers_with_a_server_error(server: ThreadedServer) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        _fuzz_every_route(server, client)


def _fuzz_every_route(server: ThreadedServer, client: httpx.Client) -> None:
    game = client.post("/api/games", json={"scenario": "mediterranean", "seed": 4}).json()
    g = game["game_id"]
    fac_token = game["facilitator_token"]
    seats = {}
    for team in ("union", "sahelia"):
        client.cookies.clear()
        seat = client.post(
            "/api/join", json={"code": game["join_code"], "name": team, "team": team}
        ).json()
        seats[team] = seat
    client.cookies.clear()
    identities = [
        {f"compact_facilitator_{g}": fac_token},
        {f"compact_seat_{g}": seats["union"]["token"]},
        {},
    ]
    routes = _page_routes(server)
    posts = [r for r in routes if "POST" in r.methods]
    gets = [r for r in routes if "GET" in r.methods and "{" in r.path]
    assert len(posts) >= 10, [r.path for r in posts]
    fac = {"Authorization": f"Bearer {fac_token}"}
    failures: list[str] = []

    def fuzz(phase: str) -> None:
        @given(
            route=st.sampled_from(posts + gets),
            form=forms,
            who=st.sampled_from(identities),
            team=st.sampled_from(TEAMS),
            other=st.sampled_from([seats["sahelia"]["player_id"], secrets.token_hex(8), "x"]),
        )
        @settings(
            max_examples=100,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def one(
            route: APIRoute, form: dict[str, str], who: dict[str, str], team: str, other: str
        ) -> None:
            path = _fill(route.path, game, team, other)
            token = next(iter(who.values()), "")
            headers = {"origin": server.url, "x-csrf-token": csrf_for(token)}
            client.cookies.clear()
            for k, v in who.items():
                client.cookies.set(k, v)
            clean = dict(form)
            if "POST" in route.methods:
                r = client.post(path, data=clean, headers=headers)
            else:
                r = client.get(path, params={k: v for k, v in form.items()}, headers=headers)
            if r.status_code >= 500:
                failures.append(f"{phase}: {route.path} {form!r} -> {r.status_code} {r.text[:300]}")

        one()

    fuzz("lobby")
    for kind in ("start_game", "advance_phase"):
        assert client.post(f"/api/games/{g}/actions", json={"kind": kind}, headers=fac).is_success
    fuzz("negotiation")
    client.post(f"/api/games/{g}/actions", json={"kind": "advance_phase"}, headers=fac)
    fuzz("implementation")
    client.cookies.clear()
    assert not failures, "\n".join(dict.fromkeys(re.sub(r"\s+", " ", f) for f in failures))
