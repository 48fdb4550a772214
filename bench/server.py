"""Live fan-out of one server process, against the physical floor. Prints figures, asserts nothing.

For each N in --sizes: N participants in 10-person games (N/10 games of the Mediterranean
scenario; players spread over its 3 teams) on ONE `compact serve` process (a subprocess,
on a fresh temporary SQLite database). Games are created, joined, started and advanced
to negotiation over the HTTP API; then every participant opens one websocket (JSON
format with ?changes=1: after the first whole view, each view is a `changes` frame of the
members that changed; --whole-views for whole views every time), and plenary chat
messages are sent over those websockets at a steady pace (--rate per game per second,
each from the next member of the game in turn). A plenary message changes the view of
all 10 members, so each one causes 10 views.

Measured, over --seconds of paced load:
- latency: from just before a message is sent to the arrival of a view at least as new as
  the message's seq at *every* member of its game (the last of the 10); p50 / p99;
- views delivered per second, to all sockets;
- server RSS (VmRSS of /proc/PID/status) before the games and after the run (sockets still
  open), divided by the number of games;
- then, for --max-seconds, the most it can do: each game keeps one message in flight
  (send, wait until all 10 members have its view, send the next): views/s at saturation.

The floor: the same number of sockets in groups of 10, the same pacing and the same bytes
(each broadcast payload has the mean size of the view Compact sent for the same message
of the same game), against a bare `websockets` broadcast server (bench/floor_server.py,
also a subprocess) that only parses each message and broadcasts. Ratios: p99 vs floor
(target <= 2x) and throughput vs floor (target >= 0.5x).

The load comes from --clients client processes (default 1), each an asyncio loop with
its share of the games' websockets (the websockets library, compression off, as
browsers get from the server). The machine has 2 cores: server and client(s) share them.

--baseline DIR measures another checkout first, in the same run (an A/B of two versions on
the same machine state: `git archive main | tar -x -C DIR`); a checkout without JSON
changes ignores ?changes=1 and sends whole views.

Run: .venv/bin/python bench/server.py [--sizes 100,500,1000] [--seconds 20] [--rate 1]
     make bench-server
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import http.cookiejar
import json
import multiprocessing as mp
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

sys.path.insert(0, str(Path(__file__).resolve().parent))
from processes import Instance, cpu_seconds, load_average, rss_kib, start_floor, start_instance

TEAMS = ("union", "coastland", "sahelia")
PER_GAME = 10
TEXT = "We can offer two more visa appointments a week if readmission requests get an answer."
TYPE = re.compile(rb'"type": ?"(\w+)"')
SEQ = re.compile(rb'"seq": ?(\d+)')


# --- processes ------------------------------------------------------------------------


# --- setting games up over HTTP -------------------------------------------------------


def no_cookies() -> http.cookiejar.CookieJar:
    # A join from a client that holds the game's seat cookie gets that seat back: keep none.
    return http.cookiejar.CookieJar(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))


async def setup_games(port: int, games: int, changes: bool = True) -> list[list[str]]:
    """Create, fill, start and advance `games` games; each game's member websocket URLs."""
    base = f"http://127.0.0.1:{port}"
    limit = asyncio.Semaphore(8)
    async with httpx.AsyncClient(base_url=base, timeout=60, cookies=no_cookies()) as http:

        async def one(i: int) -> list[str]:
            async with limit:
                r = await http.post("/api/games", json={"scenario": "mediterranean", "seed": i})
                r.raise_for_status()
                game = r.json()
                gid, fac = game["game_id"], {"Authorization": f"Bearer {game['facilitator_token']}"}
                urls = []
                for m in range(PER_GAME):
                    body = {
                        "code": game["join_code"],
                        "name": f"p{m}",
                        "team": TEAMS[m % len(TEAMS)],
                    }
                    r = await http.post("/api/join", json=body)
                    r.raise_for_status()
                    url = f"ws://127.0.0.1:{port}/ws/games/{gid}?token={r.json()['token']}"
                    urls.append(url + ("&changes=1" if changes else ""))
                for kind in ("start_game", "advance_phase"):
                    r = await http.post(
                        f"/api/games/{gid}/actions", json={"kind": kind}, headers=fac
                    )
                    r.raise_for_status()
                return urls

        return list(await asyncio.gather(*(one(i) for i in range(games))))


# --- the client -----------------------------------------------------------------------


@dataclass
class Member:
    ws: ClientConnection
    seqs: list[int] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    latest: int = -1


@dataclass
class Game:
    index: int
    members: list[Member]
    results: dict[str, int] = field(default_factory=dict)
    errors: int = 0
    target: int | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)
    replied: asyncio.Event = field(default_factory=asyncio.Event)
    sent: list[tuple[str, float]] = field(default_factory=list)
    """(request_id, time sent), in order."""

    def check(self) -> None:
        if self.target is not None and all(m.latest >= self.target for m in self.members):
            self.done.set()


@dataclass
class Job:
    kind: str  # compact | floor
    games: list[tuple[int, list[str]]]  # (global index, member URLs)
    total_games: int
    rate: float
    seconds: float
    max_seconds: float
    sizes: dict[str, dict[int, int]]
    """floor only: phase → action number → payload bytes (from the Compact run)"""


def message(job: Job, game: int, phase: str, k: int) -> str:
    rid = f"{phase}-{game}-{k}"
    msg: dict[str, Any] = {"type": "chat", "channel": "plenary", "text": TEXT, "request_id": rid}
    if job.kind == "floor":
        sizes = job.sizes.get(f"{phase}-{game}") or {0: 1000}
        last = max(sizes)
        msg["size"] = sizes.get(k, sizes[last])
        # Same number of bytes on the wire as Compact's message.
        msg["text"] = TEXT[: max(1, len(TEXT) - len(f', "size": {msg["size"]}'))]
    return json.dumps(msg)


async def receive(game: Game, member: Member) -> None:
    try:
        while True:
            data = await member.ws.recv(decode=False)
            now = time.perf_counter()
            m = TYPE.search(data, 0, 40)
            kind = m.group(1) if m else b""
            if kind in (b"view", b"changes"):
                s = SEQ.search(data, 0, 200)
                seq = int(s.group(1)) if s else -1
                member.seqs.append(seq)
                member.times.append(now)
                member.sizes.append(len(data))
                member.latest = seq
                game.check()
            elif kind in (b"result", b"error"):
                reply = json.loads(data)
                rid = reply.get("request_id")
                if kind == b"error":
                    game.errors += 1
                if rid is not None:
                    game.results[rid] = reply["seq"] if kind == b"result" else -1
                    game.replied.set()
    except Exception:
        return


async def client_main(job: Job, conn: Any, barrier: Any) -> None:
    games: list[Game] = []
    limit = asyncio.Semaphore(32)

    async def open_ws(url: str) -> ClientConnection:
        async with limit:
            return await connect(
                url, compression=None, max_size=None, open_timeout=120, ping_interval=None
            )

    for index, urls in job.games:
        sockets = await asyncio.gather(*(open_ws(u) for u in urls))
        games.append(Game(index, [Member(ws) for ws in sockets]))
    readers = [asyncio.create_task(receive(g, m)) for g in games for m in g.members]
    # Every member has its first full view before the clock starts.
    for g in games:
        g.target = 0
        g.check()
        await asyncio.wait_for(g.done.wait(), 120)
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    await asyncio.to_thread(barrier.wait)  # all clients connected; the parent reads RSS

    # Paced phase.
    t0 = time.perf_counter()
    schedule = []
    for g in games:
        offset = g.index / (job.total_games * job.rate)
        k = 0
        while offset + k / job.rate < job.seconds:
            schedule.append((t0 + offset + k / job.rate, g, k))
            k += 1
    schedule.sort(key=lambda item: item[0])
    lags = []
    for at, g, k in schedule:
        delay = at - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        sent = time.perf_counter()
        lags.append(sent - at)
        g.sent.append((f"paced-{g.index}-{k}", sent))
        await g.members[k % PER_GAME].ws.send(message(job, g.index, "paced", k))
    t_end = t0 + job.seconds
    await asyncio.sleep(max(0.0, t_end - time.perf_counter()))
    paced_views = sum(
        len(m.times) - bisect.bisect_left(m.times, t0) for g in games for m in g.members
    )
    paced_bytes = [
        s for g in games for m in g.members for s in m.sizes[bisect.bisect_left(m.times, t0) :]
    ]
    # Drain: wait (up to 10 s) for the last messages to reach every member.
    drain_until = time.perf_counter() + 10
    while time.perf_counter() < drain_until:
        if all(rid in g.results for g in games for rid, _ in g.sent) and all(
            min(m.latest for m in g.members) >= max(g.results.values(), default=0) for g in games
        ):
            break
        await asyncio.sleep(0.05)
    latencies, lost = [], 0
    for g in games:
        for rid, sent in g.sent:
            seq = g.results.get(rid)
            if seq is None or seq < 0:
                lost += 1
                continue
            last = 0.0
            for m in g.members:
                i = bisect.bisect_left(m.seqs, seq)
                if i == len(m.seqs):
                    last = -1.0
                    break
                last = max(last, m.times[i])
            if last < 0:
                lost += 1
            else:
                latencies.append(last - sent)
    paced_sizes: dict[str, dict[int, int]] = {}
    if job.kind == "compact":
        for g in games:
            sizes = paced_sizes.setdefault(f"paced-{g.index}", {})
            for k, (rid, _) in enumerate(g.sent):
                seq = g.results.get(rid)
                if seq is None:
                    continue
                got = [m.sizes[m.seqs.index(seq)] for m in g.members if seq in m.seqs]
                if got:
                    sizes[k] = round(statistics.fmean(got))
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    await asyncio.to_thread(barrier.wait)  # the parent reads RSS with the sockets open

    # Saturation: one message in flight per game.
    max_views = 0
    max_actions = 0
    if job.max_seconds > 0:
        stop_at = time.perf_counter() + job.max_seconds
        counts_before = sum(len(m.times) for g in games for m in g.members)

        async def flood(g: Game) -> int:
            k = 0
            while time.perf_counter() < stop_at:
                rid = f"max-{g.index}-{k}"
                g.done.clear()
                g.target = None
                await g.members[k % PER_GAME].ws.send(message(job, g.index, "max", k))
                while rid not in g.results:
                    g.replied.clear()
                    await asyncio.wait_for(g.replied.wait(), 30)
                if g.results[rid] < 0:
                    break
                g.target = g.results[rid]
                g.check()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(g.done.wait(), 30)
                k += 1
            return k

        started = time.perf_counter()
        counts = await asyncio.gather(*(flood(g) for g in games))
        elapsed = time.perf_counter() - started
        max_actions = sum(counts)
        max_views = sum(len(m.times) for g in games for m in g.members) - counts_before
        max_views = round(max_views * job.max_seconds / elapsed)  # per --max-seconds
        if job.kind == "compact":
            for g in games:
                sizes = paced_sizes.setdefault(f"max-{g.index}", {})
                for k in range(counts[games.index(g)]):
                    seq = g.results.get(f"max-{g.index}-{k}")
                    m = g.members[0]
                    if seq is not None and seq in m.seqs:
                        sizes[k] = m.sizes[m.seqs.index(seq)]
    ru2 = resource.getrusage(resource.RUSAGE_SELF)
    await asyncio.to_thread(barrier.wait)  # the parent reads the server's CPU time
    for r in readers:
        r.cancel()
    for g in games:
        for m in g.members:
            with contextlib.suppress(Exception):
                await m.ws.close()
    conn.send(
        {
            "latencies": latencies,
            "lost": lost,
            "errors": sum(g.errors for g in games),
            "paced_views": paced_views,
            "actions": sum(len(g.sent) for g in games),
            "lag_p99": sorted(lags)[int(len(lags) * 0.99)] if lags else 0.0,
            "view_bytes": paced_bytes,
            "sizes": paced_sizes,
            "client_cpu_paced": (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime),
            "client_cpu_max": (ru2.ru_utime + ru2.ru_stime) - (ru1.ru_utime + ru1.ru_stime),
            "max_views": max_views,
            "max_actions": max_actions,
        }
    )


def client_process(job: Job, conn: Any, barrier: Any) -> None:
    try:
        asyncio.run(client_main(job, conn, barrier))
    except BaseException:
        barrier.abort()  # the parent stops waiting and reports
        raise


# --- one run --------------------------------------------------------------------------


@dataclass
class Figures:
    p50: float
    p99: float
    views_per_s: float
    max_views_per_s: float
    rss_before_kib: int
    rss_after_kib: int
    server_cpu_paced: float
    server_cpu_max: float
    client_cpu_paced: float
    client_cpu_max: float
    lost: int
    errors: int
    actions: int
    mean_view_bytes: float
    lag_p99: float
    sizes: dict[str, dict[int, int]]
    seconds: float


def run(
    kind: str,
    server: Instance,
    groups: list[list[str]],
    args: argparse.Namespace,
    sizes: dict[str, dict[int, int]],
    rss_before: int,
    label: str = "",
) -> Figures:
    ctx = mp.get_context("fork")
    clients = max(1, min(args.clients, len(groups)))
    barrier = ctx.Barrier(clients + 1)
    pipes, procs = [], []
    for c in range(clients):
        share = [(i, urls) for i, urls in enumerate(groups) if i % clients == c]
        job = Job(kind, share, len(groups), args.rate, args.seconds, args.max_seconds, sizes)
        parent, child = ctx.Pipe()
        p = ctx.Process(target=client_process, args=(job, child, barrier), daemon=True)
        p.start()
        pipes.append(parent)
        procs.append(p)
    barrier.wait(timeout=600)  # connected
    cpu0 = cpu_seconds(server.pid)

    def profile(phase: str, seconds: float) -> subprocess.Popen[bytes] | None:
        """py-spy on the server for `seconds` (collapsed stacks beside the binary)."""
        if not args.py_spy or kind != "compact" or seconds < 1:
            return None
        out = Path(args.py_spy).parent / f"profile{label}{phase}-{len(groups) * PER_GAME}.txt"
        record = ["record", "-p", str(server.pid), "-d", str(int(seconds)), "-r", "200"]
        return subprocess.Popen(
            [args.py_spy, *record, "-f", "raw", "-o", str(out), "--nonblocking"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    spy = profile("", args.seconds)
    barrier.wait(timeout=600)  # paced phase done, sockets open
    if spy is not None:
        spy.wait(60)
    cpu1 = cpu_seconds(server.pid)
    rss_after = rss_kib(server.pid)
    spy = profile("-saturated", args.max_seconds)
    barrier.wait(timeout=600)  # saturation phase done
    if spy is not None:
        spy.wait(60)
    cpu2 = cpu_seconds(server.pid)
    results = [pipe.recv() for pipe in pipes]
    for p in procs:
        p.join(60)
    latencies = sorted(x for r in results for x in r["latencies"])
    view_bytes = [b for r in results for b in r["view_bytes"]]
    merged: dict[str, dict[int, int]] = {}
    for r in results:
        merged.update(r["sizes"])

    def pct(q: float) -> float:
        return (
            latencies[min(len(latencies) - 1, int(len(latencies) * q))] * 1000 if latencies else 0
        )

    return Figures(
        p50=pct(0.50),
        p99=pct(0.99),
        views_per_s=sum(r["paced_views"] for r in results) / args.seconds,
        max_views_per_s=sum(r["max_views"] for r in results) / args.max_seconds
        if args.max_seconds
        else 0.0,
        rss_before_kib=rss_before,
        rss_after_kib=rss_after,
        server_cpu_paced=(cpu1 - cpu0) / args.seconds,
        server_cpu_max=(cpu2 - cpu1) / args.max_seconds if args.max_seconds else 0.0,
        client_cpu_paced=sum(r["client_cpu_paced"] for r in results) / args.seconds,
        client_cpu_max=sum(r["client_cpu_max"] for r in results) / args.max_seconds
        if args.max_seconds
        else 0.0,
        lost=sum(r["lost"] for r in results),
        errors=sum(r["errors"] for r in results),
        actions=sum(r["actions"] for r in results),
        mean_view_bytes=statistics.fmean(view_bytes) if view_bytes else 0.0,
        lag_p99=max(r["lag_p99"] for r in results) * 1000,
        sizes=merged,
        seconds=args.seconds,
    )


def show(label: str, f: Figures, games: int) -> None:
    per_game = (f.rss_after_kib - f.rss_before_kib) / games / 1024
    print(
        f"  {label:<8} p50 {f.p50:7.1f} ms  p99 {f.p99:7.1f} ms  views/s {f.views_per_s:7.0f}"
        f"  max views/s {f.max_views_per_s:7.0f}  RSS {f.rss_before_kib / 1024:5.0f}"
        f"→{f.rss_after_kib / 1024:5.0f} MiB ({per_game:.2f} MiB/game)"
    )
    print(
        f"           {f.actions} messages, {f.lost} without all views, {f.errors} errors;"
        f" view {f.mean_view_bytes / 1024:.1f} KiB; server CPU {f.server_cpu_paced:.0%},"
        f" client CPU {f.client_cpu_paced:.0%} of a core (saturated: server {f.server_cpu_max:.0%},"
        f" client {f.client_cpu_max:.0%}); send lag p99 {f.lag_p99:.1f} ms"
    )


def measure_compact(
    n: int, tmp: Path, args: argparse.Namespace, tree: Path | None = None
) -> tuple[Figures, float]:
    """One Compact server (this checkout's, or `tree`'s) on a fresh database: set up,
    measured, stopped. Its figures and the set-up time."""
    games = max(1, n // PER_GAME)
    name = tree.name if tree else "compact"
    data = tmp / name
    data.mkdir()
    compact = start_instance(f"sqlite:///{data / 'compact.db'}", data, tree=tree)
    try:
        time.sleep(0.5)
        before = rss_kib(compact.pid)
        t = time.perf_counter()
        urls = asyncio.run(setup_games(compact.port, games, not args.whole_views))
        setup = time.perf_counter() - t
        label = f"-{tree.name}" if tree else ""
        return run("compact", compact, urls, args, {}, before, label), setup
    finally:
        compact.stop()


def bench_size(n: int, args: argparse.Namespace) -> tuple[Figures, Figures]:
    games = max(1, n // PER_GAME)
    print(f"(load average before N = {n}: {load_average()})")
    with tempfile.TemporaryDirectory(prefix="compact-bench-") as tmpdir:
        tmp = Path(tmpdir)
        before: Figures | None = None
        if args.baseline:
            before, _setup = measure_compact(n, tmp, args, Path(args.baseline).resolve())
        mine, setup = measure_compact(n, tmp, args)
        floor = start_floor(tmp)
        try:
            time.sleep(0.2)
            rss0 = rss_kib(floor.pid)
            groups = [[f"ws://127.0.0.1:{floor.port}/?group={g}"] * PER_GAME for g in range(games)]
            base = run("floor", floor, groups, args, mine.sizes, rss0) if args.floor else mine
        finally:
            floor.stop()
    print(f"N = {games * PER_GAME} participants, {games} games (setup over HTTP {setup:.1f} s)")
    if before is not None:
        show("baseline", before, games)
    show("compact", mine, games)
    if before is not None:
        print(
            f"  vs baseline  p99 {mine.p99 / before.p99 if before.p99 else 0:.2f}x; "
            f"saturated views/s {mine.max_views_per_s / max(before.max_views_per_s, 1):.2f}x; "
            f"server CPU per paced message "
            f"{_cpu_per_message(mine) / max(_cpu_per_message(before), 1e-9):.2f}x "
            f"({_cpu_per_message(before) * 1000:.2f} -> {_cpu_per_message(mine) * 1000:.2f} ms)"
        )
    if args.floor:
        show("floor", base, games)
        for label, f in (("baseline", before), ("compact", mine)):
            if f is None:
                continue
            p99_ratio = f.p99 / base.p99 if base.p99 else float("inf")
            tput = f.views_per_s / base.views_per_s if base.views_per_s else 0.0
            max_ratio = f.max_views_per_s / base.max_views_per_s if base.max_views_per_s else 0.0
            print(
                f"  ratios ({label}) p99 {p99_ratio:.2f}x floor (target <= 2x: "
                f"{'met' if p99_ratio <= 2 else 'MISSED'}); paced throughput {tput:.2f}x; "
                f"saturated throughput {max_ratio:.2f}x floor (target >= 0.5x: "
                f"{'met' if max_ratio >= 0.5 else 'MISSED'})"
            )
    print(flush=True)
    return mine, base


def _cpu_per_message(f: Figures) -> float:
    """Server CPU seconds per message of the paced phase."""
    return f.server_cpu_paced * f.seconds / max(f.actions, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,500,1000", help="participants, comma-separated")
    parser.add_argument("--seconds", type=float, default=20.0, help="paced phase length")
    parser.add_argument(
        "--rate", type=float, default=1.0, help="chat messages per second per game (paced)"
    )
    parser.add_argument(
        "--max-seconds", type=float, default=8.0, help="saturation phase length (0: skip)"
    )
    parser.add_argument("--clients", type=int, default=1, help="client processes")
    parser.add_argument(
        "--floor", action=argparse.BooleanOptionalAction, default=True, help="measure the floor"
    )
    parser.add_argument(
        "--whole-views",
        action="store_true",
        help="JSON clients without ?changes=1: every view whole (as before issue 13's JSON "
        "changes); by default each view after the first is a changes frame",
    )
    parser.add_argument(
        "--baseline",
        default="",
        help="directory of another checkout of Compact (git archive main | tar -x -C DIR): "
        "measured first in the same run, for an A/B against this one",
    )
    parser.add_argument(
        "--py-spy",
        default="",
        help="path of a py-spy binary: profile the server during each paced phase and each "
        "saturation phase (collapsed stacks in profile-N.txt and profile-saturated-N.txt "
        "beside it)",
    )
    args = parser.parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    print(
        f"Compact live fan-out vs a bare websockets broadcast server. {os.cpu_count()} cores; "
        f"server and {args.clients} asyncio client process(es) share them. Load: plenary chat "
        f"over the websockets, {args.rate:g}/s per game for {args.seconds:g} s (each message "
        f"-> 10 views), then {args.max_seconds:g} s with one message in flight per game. "
        f"Python {sys.version.split()[0]}.\n",
        flush=True,
    )
    for n in sizes:
        bench_size(n, args)


if __name__ == "__main__":
    main()
