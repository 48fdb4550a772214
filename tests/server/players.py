"""Test clients: a browser (its own cookie jar, its tabs) speaking the real HTTP and ws API."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

WAIT = 15.0
HTTP_WAIT = 60.0


class Tab:
    """One websocket: collects every message; tests wait for a condition, never a time."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.messages: list[dict[str, Any]] = []
        self._changed = asyncio.Condition()
        self.closed: Exception | None = None
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                msg = json.loads(raw)
                async with self._changed:
                    self.messages.append(msg)
                    self._changed.notify_all()
        except Exception as exc:  # the connection closed
            self.closed = exc
        finally:
            async with self._changed:
                self.closed = self.closed or ConnectionError("closed")
                self._changed.notify_all()

    async def until(
        self, check: Callable[[dict[str, Any]], bool], timeout: float = WAIT
    ) -> dict[str, Any]:
        """The first message (already received or coming) for which `check` holds."""

        async def wait() -> dict[str, Any]:
            seen = 0
            async with self._changed:
                while True:
                    for msg in self.messages[seen:]:
                        if check(msg):
                            return msg
                    seen = len(self.messages)
                    if self.closed is not None:
                        raise AssertionError(f"closed before the message came: {self.closed}")
                    await self._changed.wait()

        return await asyncio.wait_for(wait(), timeout)

    async def view_at(self, seq: int) -> dict[str, Any]:
        return await self.until(lambda m: m.get("type") == "view" and m["seq"] >= seq)

    async def wait_closed(self, timeout: float = WAIT) -> None:
        async def wait() -> None:
            async with self._changed:
                while self.closed is None:
                    await self._changed.wait()

        await asyncio.wait_for(wait(), timeout)

    def views(self) -> list[dict[str, Any]]:
        return [m for m in self.messages if m.get("type") == "view"]

    async def send(self, msg: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(msg))

    async def close(self) -> None:
        await self.ws.close()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader


class Browser:
    def __init__(self, url: str, ws_url: str) -> None:
        self.url = url
        self.ws_url = ws_url
        # The client forgets an idle connection well before uvicorn closes it (5 s): with
        # both at 5 s a request sent on a connection the server is closing fails with a
        # ReadError (seen on a loaded machine). A reply's deadline is generous: speed is
        # the benchmarks' to judge, not a test's.
        self.http = httpx.AsyncClient(
            base_url=url, timeout=HTTP_WAIT, limits=httpx.Limits(keepalive_expiry=2.0)
        )
        self.token: str | None = None
        self.game_id: str | None = None
        self.player_id: str | None = None
        self.tabs: list[Tab] = []

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    async def create_game(self, **spec: Any) -> dict[str, Any]:
        r = await self.http.post("/api/games", json=spec)
        assert r.status_code == 201, r.text
        data: dict[str, Any] = r.json()
        self.token = data["facilitator_token"]
        self.game_id = data["game_id"]
        return data

    async def join(self, code: str, name: str, team: str | None = None) -> dict[str, Any]:
        r = await self.http.post("/api/join", json={"code": code, "name": name, "team": team})
        assert r.status_code == 200, r.text
        data: dict[str, Any] = r.json()
        self.token = data["token"]
        self.game_id = data["game_id"]
        self.player_id = data["player_id"]
        return data

    async def post(self, path: str, body: Any = None, **kw: Any) -> httpx.Response:
        return await self.http.post(
            path.format(g=self.game_id), json=body, headers={**self.auth, **kw.pop("headers", {})}
        )

    async def get(self, path: str, **kw: Any) -> httpx.Response:
        return await self.http.get(path.format(g=self.game_id), headers=self.auth, **kw)

    async def act(self, action: dict[str, Any], expect: int = 200) -> dict[str, Any]:
        r = await self.post("/api/games/{g}/actions", action)
        assert r.status_code == expect, r.text
        data: dict[str, Any] = r.json()
        return data

    async def open_tab(self, query: str = "", token: bool = True) -> Tab:
        params = []
        if token and self.token:
            params.append(f"token={self.token}")
        if query:
            params.append(query)
        url = f"{self.ws_url}/ws/games/{self.game_id}" + ("?" + "&".join(params) if params else "")
        ws = await connect(url, compression=None, open_timeout=WAIT)
        tab = Tab(ws)
        self.tabs.append(tab)
        return tab

    async def close(self) -> None:
        for tab in self.tabs:
            await tab.close()
        await self.http.aclose()


TEAMS = ("union", "coastland", "sahelia")


def deal(proposer: str = "union", partner: str = "sahelia") -> dict[str, Any]:
    """A legal proposal of the Mediterranean scenario: visas for readmission."""
    return {
        "kind": "propose",
        "parties": [proposer, partner],
        "terms": [
            {"type": "visa_facilitation", "giver": "union", "receiver": "sahelia", "amount": 1},
            {"type": "readmission", "giver": "sahelia", "receiver": "union", "amount": 40},
        ],
        "message": "visas for readmission",
    }


def union_coastland_deal(message: str = "") -> dict[str, Any]:
    """A legal proposal between destination and transit: funding for border cooperation."""
    return {
        "kind": "propose",
        "parties": ["union", "coastland"],
        "terms": [
            {
                "type": "funding",
                "giver": "union",
                "receiver": "coastland",
                "amount": 100,
                "earmark": "border_management",
            },
            {"type": "border_cooperation", "giver": "coastland", "receiver": "union", "amount": 60},
        ],
        "message": message,
    }


class Table:
    """A facilitator and one seated browser per team of a Mediterranean game."""

    def __init__(self, facilitator: Browser, teams: dict[str, Browser], game: dict[str, Any]):
        self.facilitator = facilitator
        self.teams = teams
        self.game = game

    @property
    def game_id(self) -> str:
        return str(self.game["game_id"])


async def seat_table(
    make: Callable[[], Browser], *, to_negotiation: bool = True, **spec: Any
) -> Table:
    fac = make()
    game = await fac.create_game(**{"scenario": "mediterranean", "seed": 5, **spec})
    teams = {}
    for team in TEAMS:
        b = make()
        await b.join(game["join_code"], f"{team} delegate", team)
        teams[team] = b
    if to_negotiation:
        await fac.act({"kind": "start_game"})
        await fac.act({"kind": "advance_phase"})
    return Table(fac, teams, game)


async def log_length(facilitator: Browser) -> int:
    """How many entries the game's log holds: what a refused request must leave as it was."""
    return len((await facilitator.get("/api/games/{g}/export")).json()["log"])
