"""A crash loses nothing that was acknowledged (ARCHITECTURE rule 2).

The real server (`compact serve`) runs as a subprocess on a database of each kind; a game
is played over HTTP and the websocket, the process is killed with SIGKILL in the middle of
a burst of writes, and a new process on the same database must show every acknowledged
action in the log, the same state as before the kill, a phase timer that still ends on
time, and a websocket that picks up again from the last seq it saw.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.server.players import WAIT, Browser, Tab, deal, seat_table

COMPACT = Path(sys.executable).parent / "compact"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class ServerProcess:
    """`compact serve` in its own process, on `database_url`."""

    def __init__(self, database_url: str, workdir: Path) -> None:
        self.database_url = database_url
        self.workdir = workdir
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    async def start(self) -> float:
        """Start and wait until /healthz answers; returns the time it was ready."""
        self.starts += 1
        env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            # Snapshots every few actions: the restart loads one and folds the log after it.
            "COMPACT_SNAPSHOT_EVERY": "3",
            "PYTHONUNBUFFERED": "1",
        }
        log = (self.workdir / f"server-{self.starts}.log").open("wb")
        self.proc = subprocess.Popen(
            [str(COMPACT), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=env,
            cwd=self.workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        async with httpx.AsyncClient(base_url=self.url, timeout=2) as client:
            # Generous: on a loaded 2-core machine the imports alone took over 30 s.
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise AssertionError(f"the server exited: {self.output()}")
                with contextlib.suppress(httpx.TransportError):
                    r = await client.get("/healthz")
                    if r.status_code == 200:
                        return time.time()
                await asyncio.sleep(0.05)  # polling a condition: is it up yet?
        raise AssertionError(f"the server did not come up: {self.output()}")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return "\n".join(
            p.read_text(errors="replace")[-3000:] for p in sorted(self.workdir.glob("server-*.log"))
        )

    def browser(self) -> Browser:
        return Browser(self.url, self.ws_url)


@pytest.fixture
async def process(db_url: str, tmp_path: Path) -> AsyncIterator[ServerProcess]:
    server = ServerProcess(db_url, tmp_path)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def browsers_of(process: ServerProcess) -> AsyncIterator[Callable[[], Browser]]:
    made: list[Browser] = []

    def make() -> Browser:
        b = process.browser()
        made.append(b)
        return b

    yield make
    for b in made:
        with contextlib.suppress(Exception):
            await b.close()


def _comparable(view_doc: dict[str, Any]) -> dict[str, Any]:
    """A view without what moves on its own (the clock, who is online)."""
    doc = {k: v for k, v in view_doc.items() if k not in ("timer", "players")}
    doc["players"] = [{k: v for k, v in p.items() if k != "online"} for p in view_doc["players"]]
    doc["deadline"] = view_doc["timer"]["deadline"]
    return doc


async def _reconnect(b: Browser, last_seq: int) -> Tab:
    """Reopen a tab as the page's script does after a drop: with the last seq it saw."""
    deadline = time.monotonic() + WAIT
    while True:
        try:
            return await b.open_tab(f"last_seq={last_seq}")
        except OSError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.05)


async def test_sigkill_loses_nothing_acknowledged_and_the_game_goes_on(
    process: ServerProcess, browsers_of: Callable[[], Browser]
) -> None:
    started = time.monotonic()
    await process.start()
    # The phase timer set just before the kill: long enough to restart the server in.
    timer_seconds = max(4, math.ceil(3 * (time.monotonic() - started)) + 1)
    table = await seat_table(browsers_of)
    fac, union, sahelia = table.facilitator, table.teams["union"], table.teams["sahelia"]
    acked: list[int] = []
    # Part of a game: a deal over HTTP, chat, a proposal over the websocket.
    acked.append((await union.act(deal()))["seq"])
    view = (await sahelia.get("/api/games/{g}/view")).json()["view"]
    acked.append(
        (await sahelia.act({"kind": "accept", "proposal_id": view["proposals"][0]["id"]}))["seq"]
    )
    r = await union.post("/api/games/{g}/chat", {"channel": "plenary", "text": "signed!"})
    acked.append(r.json()["seq"])
    tab = await sahelia.open_tab()
    await tab.until(lambda m: m["type"] == "view")
    await tab.send(
        {
            "type": "action",
            "request_id": "w1",
            "action": deal("sahelia", "union") | {"message": "more visas"},
        }
    )
    result = await tab.until(lambda m: m.get("request_id") == "w1")
    assert result["type"] == "result", result
    acked.append(result["seq"])
    # A phase timer, set by the facilitator: it must still ring on time after the crash.
    r = await fac.post("/api/games/{g}/timer", {"add_seconds": timer_seconds})
    assert r.status_code == 200, r.text
    acked.append(r.json()["seq"])
    before = (await fac.get("/api/games/{g}/export")).json()
    view_before = (await fac.get("/api/games/{g}/view")).json()
    deadline = view_before["timer"]["deadline"]
    assert before["seq"] == max(acked)
    last_seen = (await tab.view_at(before["seq"]))["seq"]

    # A burst of writes, and the kill in the middle of it.
    async def say(i: int) -> int | None:
        try:
            r = await union.post("/api/games/{g}/chat", {"channel": "team", "text": f"burst {i}"})
        except httpx.TransportError:
            return None  # never acknowledged
        return int(r.json()["seq"]) if r.status_code == 200 else None

    burst = [asyncio.create_task(say(i)) for i in range(40)]
    while not any(t.done() and t.result() is not None for t in burst):
        await asyncio.sleep(0.005)  # waiting for the first acknowledgement
    process.kill()
    said = [s for s in await asyncio.gather(*burst) if s is not None]
    assert said, "no write of the burst was acknowledged before the kill"
    acked += said
    await tab.wait_closed()
    assert time.time() < deadline, "the kill came after the timer was due"

    restarted_at = await process.start()
    assert restarted_at < deadline, "the restart took longer than the timer"
    after = (await fac.get("/api/games/{g}/export")).json()
    seqs = [e["seq"] for e in after["log"]]
    assert seqs == list(range(len(seqs))), "the log has gaps or duplicates"
    assert set(acked) <= set(seqs), f"acknowledged but lost: {set(acked) - set(seqs)}"
    assert after["log"][: len(before["log"])] == before["log"]
    assert [e["kind"] for e in after["log"][len(before["log"]) :]] == ["chat"] * (
        len(seqs) - len(before["log"])
    )
    assert after["state"] == before["state"]
    view_after = (await fac.get("/api/games/{g}/view")).json()
    assert view_after["seq"] == after["seq"]
    assert _comparable({**view_after, "seq": before["seq"], "chat": []}) == _comparable(
        {**view_before, "chat": []}
    )
    chat = (await union.get("/api/games/{g}/chat")).json()["messages"]
    assert set(said) <= {c["seq"] for c in chat}

    # The websocket client comes back with the last seq it saw and carries on.
    again = await _reconnect(sahelia, last_seen)
    welcome = await again.until(lambda m: m["type"] == "welcome")
    assert welcome["last_seq"] == last_seen and welcome["seq"] == after["seq"]
    caught_up = await again.until(lambda m: m["type"] == "view")
    assert caught_up["seq"] == after["seq"]
    assert [c["text"] for c in caught_up["chat"] if c["channel"] == "plenary"] == ["signed!"]
    await again.send({"type": "action", "request_id": "w2", "action": {"kind": "set_ready"}})
    result = await again.until(lambda m: m.get("request_id") == "w2")
    assert result["type"] == "result" and result["seq"] == after["seq"] + 1, result
    await again.view_at(result["seq"])

    # The timer set before the crash ends the phase on time, with nobody asking.
    ended = await again.until(
        lambda m: m["type"] == "view" and m["view"]["phase"] == "implementation",
        timeout=timer_seconds + WAIT,
    )
    arrived = time.time()
    assert deadline - 0.01 <= arrived <= deadline + 3, (deadline, arrived)
    log = (await fac.get("/api/games/{g}/export")).json()["log"]
    assert log[-1]["kind"] == "advance_phase" and log[-1]["actor_role"] == "system"
    assert log[-1]["seq"] == ended["seq"]
