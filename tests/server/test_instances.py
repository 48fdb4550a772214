"""Several instances on one PostgreSQL database (docs/operations.md, server/notify.py).

Two servers on a fresh database each test: what is done through one reaches the sockets of
the other in seq order, each seq once; a phase timer ends its phase once, not once per
instance; and an instance killed with SIGKILL behind nginx (the configuration of
docs/operations.md) loses nothing: its clients reconnect to the other, which takes its
timer and bots over.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.db import upgrade
from tests.server.conftest import LiveServer, free_socket, fresh_postgres_database
from tests.server.players import TEAMS, Browser, Tab
from tests.server.test_crash import ServerProcess

DOCS = Path(__file__).resolve().parents[2] / "docs" / "operations.md"

pytestmark = pytest.mark.skipif(
    os.environ.get("COMPACT_SKIP_POSTGRES") == "1",
    reason="COMPACT_SKIP_POSTGRES=1: several instances need PostgreSQL (SQLite is one process)",
)


@pytest.fixture
def shared_url() -> Iterator[str]:
    with fresh_postgres_database() as url:
        upgrade(url)
        yield url


@pytest.fixture
async def two(shared_url: str) -> AsyncIterator[tuple[LiveServer, LiveServer]]:
    from server.settings import Settings

    def settings() -> Settings:
        # Deep queues: a test that counts every seq must not see a resync skip one.
        return Settings(database_url=shared_url, ws_queue_size=1024, chat_burst=100, lease_tick=0.2)

    a = await LiveServer(settings()).start()
    b = await LiveServer(settings()).start()
    try:
        yield a, b
    finally:
        await b.stop()
        await a.stop()


def on(server: LiveServer | ServerProcess, like: Browser) -> Browser:
    """The same browser (its token) speaking to another instance."""
    other = Browser(server.url, server.ws_url)
    other.token, other.game_id, other.player_id = like.token, like.game_id, like.player_id
    return other


async def _log(b: Browser) -> list[dict[str, Any]]:
    log: list[dict[str, Any]] = (await b.get("/api/games/{g}/export")).json()["log"]
    return log


async def test_what_one_instance_commits_reaches_the_others_sockets_in_order_once(two) -> None:
    a, b = two
    fac = a.browser()
    game = await fac.create_game(scenario="mediterranean", seed=5)
    players = {}
    for team in TEAMS:
        p = a.browser()
        await p.join(game["join_code"], f"{team} delegate", team)
        players[team] = p
    await fac.act({"kind": "start_game"})
    await fac.act({"kind": "advance_phase"})
    # union chats through A, sahelia through B, at the same time: both append to one log.
    union, sahelia = players["union"], on(b, players["sahelia"])
    coastland_b, fac_b = on(b, players["coastland"]), on(b, fac)
    tabs: dict[str, Tab] = {
        "A union": await union.open_tab(),
        "B sahelia": await sahelia.open_tab(),
        "B coastland": await coastland_b.open_tab(),
        "B facilitator": await fac_b.open_tab(),
    }
    first = {
        name: (await tab.until(lambda m: m["type"] == "view"))["seq"] for name, tab in tabs.items()
    }

    async def say(p: Browser, n: int) -> list[int]:
        seqs = []
        for i in range(n):
            r = await p.post("/api/games/{g}/chat", {"channel": "plenary", "text": f"{p.url} {i}"})
            assert r.status_code == 200, r.text
            seqs.append(r.json()["seq"])
        return seqs

    sent = await asyncio.gather(say(union, 12), say(sahelia, 12))
    last = max(max(s) for s in sent)
    log = await _log(fac)
    assert [e["seq"] for e in log] == list(range(last + 1))  # no hole, nothing doubled
    assert sum(e["kind"] == "chat" for e in log) == 24
    assert len(set(sent[0]) | set(sent[1])) == 24  # each answer names its own seq

    finals = {}
    for name, tab in tabs.items():
        final = await tab.view_at(last)
        seqs = [v["seq"] for v in tab.views()]
        # Every seq after the first view, in order, exactly once.
        assert seqs == list(range(first[name], last + 1)), name
        finals[name] = [(c["seq"], c["text"]) for c in final["chat"] if c["channel"] == "plenary"]
    assert len({tuple(f) for f in finals.values()}) == 1, "the instances disagree on the chat"
    assert len(finals["A union"]) == 24
    for p in [*players.values(), sahelia, coastland_b, fac_b, fac]:
        await p.close()


async def test_a_phase_timer_ends_its_phase_once_with_the_game_on_both(two) -> None:
    a, b = two
    fac = a.browser()
    await fac.create_game(scenario="mediterranean", seed=5, timers={"briefing": 2.0})
    fac_b = on(b, fac)
    on_a, on_b = await fac.open_tab(), await fac_b.open_tab()
    await on_b.until(lambda m: m["type"] == "view")
    assert fac.game_id in a.hall.rooms and fac.game_id in b.hall.rooms
    await fac.act({"kind": "start_game"})

    # While the timer runs one of them drives the game (holds its lease), never both.
    # Once the phase has ended the game needs no driver and the lease is let go: so who
    # drives is watched throughout the briefing, not read after it.
    seen: set[tuple[bool, bool]] = set()

    async def watch() -> None:
        while True:
            seen.add((a.hall.drives(fac.game_id), b.hall.drives(fac.game_id)))
            await asyncio.sleep(0.01)

    watcher = asyncio.create_task(watch())
    try:
        for tab in (on_a, on_b):
            await tab.until(lambda m: m["type"] == "view" and m["view"]["phase"] == "negotiation")
    finally:
        watcher.cancel()
    assert (True, True) not in seen
    assert {(True, False), (False, True)} & seen, seen
    advances = [e for e in await _log(fac) if e["kind"] == "advance_phase"]
    assert [e["actor_role"] for e in advances] == ["system"]
    await fac.close()
    await fac_b.close()


# --- SIGKILL behind nginx ------------------------------------------------------------------


def nginx_config(listen: int, backends: list[int], workdir: Path) -> str:
    """The configuration of docs/operations.md, on these ports, in a file of its own."""
    text = DOCS.read_text()
    block = text.split("<!-- nginx-instances -->", 1)[1].split("<!-- /nginx-instances -->")[0]
    conf = block.split("```nginx", 1)[1].split("```", 1)[0]
    servers = re.findall(r"^\s*server 127\.0\.0\.1:\d+ .*$", conf, flags=re.M)
    assert len(servers) == len(backends)
    for line, port in zip(servers, backends, strict=True):
        conf = conf.replace(line, re.sub(r":\d+ ", f":{port} ", line))
    conf = conf.replace("listen 127.0.0.1:8000;", f"listen 127.0.0.1:{listen};")
    tmp = workdir
    return f"""daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fcgi; uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
{conf}
}}
"""


@pytest.fixture
def nginx_binary() -> str:
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if found is None:
        pytest.skip("nginx is not installed (make test installs it: scripts/install-test-deps)")
    return found


@pytest.fixture
async def balanced(
    shared_url: str, tmp_path: Path, nginx_binary: str
) -> AsyncIterator[tuple[str, list[ServerProcess]]]:
    procs = []
    for name in ("one", "two"):
        work = tmp_path / name
        work.mkdir()
        procs.append(ServerProcess(shared_url, work))
    try:
        await asyncio.gather(*(p.start() for p in procs))
    except BaseException:
        for p in procs:  # one that did not come up must not leave the other running
            p.stop()
        raise
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    conf = tmp_path / "nginx.conf"
    conf.write_text(nginx_config(port, [p.port for p in procs], tmp_path))
    nginx = subprocess.Popen(
        [nginx_binary, "-c", str(conf), "-p", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=url, timeout=2) as client:
            deadline = time.monotonic() + 10
            while True:
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get("/healthz")).status_code == 200:
                        break
                assert nginx.poll() is None and time.monotonic() < deadline, "nginx did not start"
                await asyncio.sleep(0.05)  # polling a condition: is it up yet?
        yield url, procs
    finally:
        nginx.terminate()
        nginx.wait(10)
        for p in procs:
            p.stop()


async def _health(p: ServerProcess) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=p.url, timeout=5) as client:
        data: dict[str, Any] = (await client.get("/healthz")).json()
        return data


async def test_an_instance_killed_mid_game_loses_nothing_and_its_timer_and_bots_move_on(
    balanced: tuple[str, list[ServerProcess]],
) -> None:
    url, procs = balanced
    ws_url = url.replace("http", "ws")
    made: list[Browser] = []

    def browser() -> Browser:
        made.append(Browser(url, ws_url))
        return made[-1]

    fac = browser()
    game = await fac.create_game(
        scenario="mediterranean", seed=5, timers={"briefing": 600, "negotiation": 600}
    )
    people = {}
    for team in ("union", "coastland"):
        people[team] = browser()
        await people[team].join(game["join_code"], f"{team} delegate", team)
    r = await fac.http.put(
        f"/api/games/{fac.game_id}/bots/sahelia", json={"strategy": "conceder"}, headers=fac.auth
    )
    assert r.status_code == 200, r.text
    r = await fac.http.put(f"/api/games/{fac.game_id}/bots", json={"seconds": 0}, headers=fac.auth)
    assert r.status_code == 200, r.text
    tab = await people["union"].open_tab()
    await fac.act({"kind": "start_game"})
    acknowledged = []
    for i in range(5):
        r = await people["union"].post(
            "/api/games/{g}/chat", {"channel": "plenary", "text": f"before the crash {i}"}
        )
        assert r.status_code == 200, r.text
        acknowledged.append(r.json()["seq"])
    healths = await asyncio.gather(*(_health(p) for p in procs))
    victim, survivor = (0, 1) if healths[0]["connections"] else (1, 0)
    assert healths[victim]["connections"] == 1 and healths[survivor]["connections"] == 0

    # The game's instance drives its timer and bots (the other does not hold it at all),
    # once its next lease tick has taken the game: wait for that, not for a while.
    async def driven() -> list[int]:
        return [(await _health(p))["games_driven"] for p in procs]

    deadline = time.monotonic() + 20
    while (counts := await driven())[victim] != 1 and time.monotonic() < deadline:
        await asyncio.sleep(0.1)  # polling a condition: has the lease been taken?
    assert counts[victim] == 1 and counts[survivor] == 0
    # A short briefing now: its end falls after the crash, so another instance must ring it.
    r = await fac.post("/api/games/{g}/timer", {"add_seconds": -597})
    assert r.status_code == 200, r.text
    seen = (await tab.view_at(max(acknowledged) + 1))["seq"]
    procs[victim].kill()
    await tab.wait_closed()

    # The client reconnects through the same address: nginx sends it to the survivor.
    again = await people["union"].open_tab(f"last_seq={seen}")
    first = await again.until(lambda m: m["type"] == "view")
    assert first["seq"] >= seen
    texts = [c["text"] for c in first["chat"]]
    assert all(f"before the crash {i}" in texts for i in range(5))
    # The survivor's timer ends the briefing; its bots play the negotiation.
    await again.until(
        lambda m: m["type"] == "view" and m["view"]["phase"] == "negotiation", timeout=20
    )
    log = await _log(fac)
    assert {e["seq"] for e in log} >= set(acknowledged)
    assert [e["seq"] for e in log] == list(range(len(log)))
    ends = [e for e in log if e["kind"] == "advance_phase" and e["actor_role"] == "system"]
    assert len(ends) == 1
    negotiation_from = ends[0]["seq"]

    async def bot_moved() -> None:
        while not any(
            e["actor_role"] == "bot" and e["seq"] > negotiation_from for e in await _log(fac)
        ):
            await asyncio.sleep(0.1)  # polling a condition: has the bot moved?

    await asyncio.wait_for(bot_moved(), 20)
    assert (await _health(procs[survivor]))["games_driven"] == 1
    for b in made:
        with contextlib.suppress(Exception):
            await b.close()
