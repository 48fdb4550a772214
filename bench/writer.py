"""The group writer alone (server.store): CPU of its thread per log entry, as it is and as
it was, in the same process and run. Prints figures, asserts nothing.

bench/server.py's server-wide figures move ±10 % between two runs of the same build on
the shared machine, more than the writer's whole share, so this measures the writer
thread's own CPU clock (`pthread_getcpuclockid`), which waiting for a core or the GIL
does not advance. Each entry is a plenary chat line's rows (its log row and its chat
row). Two shapes: one entry at a time, each waited for (a transaction per entry, as
while bench/server.py is paced), and --batch entries submitted together (one
transaction for them all, as at saturation). The paths take turns round by round, each
on a fresh writer, so a slower minute of the machine falls on all of them.

Paths: "core" is the writer before issue 13's faster commit path (Core's compiled
insert, a connection from the pool for each transaction: `engine.begin()`); "driver"
adds the rows through the DBAPI driver (`driver_insert`); "held" is the writer as it
is (the driver's rows on the writer thread's kept connection).

Run: .venv/bin/python bench/writer.py [--entries 1000] [--batch 100] [--rounds 4] [--postgres]
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# bench/server.py would shadow the server package: import it from the project's root.
sys.path[0] = str(Path(__file__).resolve().parent.parent)
sys.path.insert(1, str(Path(__file__).resolve().parent))
from processes import database  # noqa: E402

store = importlib.import_module("server.store")
records = importlib.import_module("server.records")
models = importlib.import_module("server.models")
db = importlib.import_module("server.db")
Session = importlib.import_module("sqlmodel").Session

GAMES = 100
TEXT = "We can offer two more visa appointments a week if readmission requests get an answer."


class Entries:
    """Chat entries of GAMES games, each game's seqs counting on across the rounds."""

    def __init__(self, games: list[str]) -> None:
        self.games = games
        self.seq = dict.fromkeys(games, 0)
        self.n = 0

    def next(self) -> Any:
        gid = self.games[self.n % len(self.games)]
        self.n += 1
        self.seq[gid] += 1
        seq, at = self.seq[gid], datetime.now(UTC)
        action = {
            "game_id": gid,
            "seq": seq,
            "kind": "chat",
            "actor_role": "player",
            "actor_team": "union",
            "player_id": None,
            "payload": '{"channel":"plenary","text":"' + TEXT + '"}',
            "created_at": at,
            "client_id": None,
        }
        chat = {
            "game_id": gid,
            "seq": seq,
            "channel": "plenary",
            "team": "union",
            "to_team": None,
            "player_id": None,
            "author": "Union",
            "text": TEXT,
            "created_at": at,
        }
        return store.Write(gid, seq, inserts=[(records.ACTIONS, action), (records.CHAT, chat)])


def writer_cpu(engine: Any, entries: Entries, count: int, batch: int) -> float:
    """CPU seconds of a fresh writer's thread per entry, for `count` entries submitted
    `batch` at a time (each group waited for before the next)."""
    writer = store.GroupWriter(engine)
    writer.submit(entries.next()).result(30)  # the thread and its connection exist now
    assert writer._thread is not None and writer._thread.ident is not None
    clock = time.pthread_getcpuclockid(writer._thread.ident)
    t0 = time.clock_gettime(clock)
    for _ in range(count // batch):
        futures = [writer.submit(entries.next()) for _ in range(batch)]
        for f in futures:
            f.result(30)
    spent = time.clock_gettime(clock) - t0
    writer.close()
    return spent / (count // batch * batch)


def core_only(table: Any, keys: tuple[str, ...], dialect: Any) -> None:
    return None


def pooled_transaction(self: Any, writes: list[Any]) -> None:
    """`GroupWriter._transaction` before the kept connection: one from the pool each time."""
    with self.engine.begin() as conn:
        store.run_writes(conn, writes)
    self.batches += 1
    self.writes += len(writes)


PATHS = ("core", "driver", "held")


def measure(engine: Any, entries: Entries, count: int, batch: int, path: str) -> float:
    driver: Callable[..., Any] = store.driver_insert
    transaction = store.GroupWriter._transaction
    if path == "core":
        store.driver_insert = core_only
    if path in ("core", "driver"):
        store.GroupWriter._transaction = pooled_transaction
    try:
        return writer_cpu(engine, entries, count, batch)
    finally:
        store.driver_insert = driver
        store.GroupWriter._transaction = transaction


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1000, help="entries per measurement")
    parser.add_argument("--batch", type=int, default=100, help="entries a batch, batched")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL, not SQLite")
    args = parser.parse_args()
    kind = "postgresql" if args.postgres else "sqlite"
    with tempfile.TemporaryDirectory() as tmp, database(kind, Path(tmp)) as url:
        if kind == "sqlite":
            db.upgrade(url)
        engine = db.make_engine(url)
        games = [f"bench{i:03d}" for i in range(GAMES)]
        # The games the entries belong to (their rows refer to `games`): tokens that
        # nobody holds, never expiring during the bench.
        hashes = {"facilitator_token_hash": "f" * 64, "projector_token_hash": "p" * 64}
        with Session(engine) as s:
            s.add_all(
                models.Game(
                    id=g,
                    join_code=g.upper(),
                    scenario_id="mediterranean",
                    **hashes,
                    tokens_expire_at=time.time() + 3600,
                )
                for g in games
            )
            s.commit()
        entries = Entries(games)
        print(f"group writer, {kind}: writer thread CPU per entry (a chat line: 2 rows)")
        for label, batch in (("one at a time", 1), (f"{args.batch} a batch", args.batch)):
            got: dict[str, list[float]] = {p: [] for p in PATHS}
            for r in range(args.rounds):
                for path in PATHS[r % 3 :] + PATHS[: r % 3]:
                    got[path].append(measure(engine, entries, args.entries, batch, path))
            medians = {p: statistics.median(v) for p, v in got.items()}
            print(
                f"  {label:>14}: "
                + ", ".join(f"{p} {medians[p] * 1e6:6.1f} µs" for p in PATHS)
                + f" (medians of {args.rounds})"
            )
            for p in PATHS[1:]:
                ratios = [x / c for x, c in zip(got[p], got["core"], strict=True)]
                each = ", ".join(f"{x:.2f}x" for x in ratios)
                print(f"  {'':>14}  {p} / core per round: {each}")
        engine.dispose()


if __name__ == "__main__":
    main()
