"""The debrief's heavy analysis off the event loop: left on the table
(`game_rules.frontier.report`) with its deals valued in worker processes.

Valuing a deal is playing a game out, hundreds of them a pair of partners: in threads the
GIL would hold them to one core and slow every other game of the process. One pool of
`workers` processes serves the whole server; it starts when the first game ends and its
workers keep one evaluator per game opening (a few ms to build), so chunks of the same
game after the first cost nothing to set up. With `workers=0` (tests, a one-core box) the
deals are valued in the calling thread.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import select
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any

from game_rules.dealspace import DealSpace, DealValue, Evaluator
from game_rules.frontier import Plan, report, value_all
from game_rules.state import GameState

log = logging.getLogger("compact.analysis")

CHUNKS_PER_WORKER = 4
"""Each plan's deals are cut into about this many chunks a worker: even loads, few trips."""

_EVALUATORS: dict[str, Evaluator] = {}
"""In a worker: the evaluator of each game opening it has seen (the newest few)."""
_KEEP = 4


def _evaluator(opening: str) -> Evaluator:
    ev = _EVALUATORS.get(opening)
    if ev is None:
        if len(_EVALUATORS) >= _KEEP:
            _EVALUATORS.pop(next(iter(_EVALUATORS)))
        ev = _EVALUATORS[opening] = Evaluator(GameState.from_snapshot(opening))
    return ev


def _leave_with(server: int) -> None:
    """In a worker: exit when the server process does. A worker waits on its pool's pipes
    and holds both ends of them, so a server killed with SIGKILL (the crash it must survive)
    left its workers, and the forkserver behind them, running for ever: 130 MiB a crash."""

    def watch() -> None:
        try:
            fd = os.pidfd_open(server)
        except OSError:  # already gone, or no pidfd (Linux < 5.3): ask every few seconds
            fd = -1
        if fd >= 0:
            select.select([fd], [], [])  # readable once the process has ended
        else:
            while _alive(server):
                time.sleep(2.0)
        os._exit(0)

    threading.Thread(target=watch, name="compact-analysis-watch", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, someone else's: a reused pid, but not ours to judge
        return True
    return True


def value_chunk(job: tuple[str, DealSpace, Sequence[tuple[int, ...]]]) -> list[DealValue]:
    """In a worker: the values of some deals of a space, from the game opening `job[0]`."""
    opening, space, deals = job
    ev = _evaluator(opening)
    return [ev.value(space.terms(d, ev.duration)) for d in deals]


class Analyst:
    """The server's pool for the debrief's analysis (`left_on_table` in a thread)."""

    def __init__(self, workers: int = 2) -> None:
        self.workers = workers
        self._pool: Executor | None = None
        self._lock = threading.Lock()

    def _executor(self) -> Executor | None:
        if self.workers <= 0:
            return None
        with self._lock:
            if self._pool is None:
                # forkserver, not fork: this process runs threads (asyncio's, the
                # database's), and a forked child may inherit one's held lock.
                context = multiprocessing.get_context("forkserver")
                self._pool = ProcessPoolExecutor(
                    self.workers,
                    mp_context=context,
                    initializer=_leave_with,
                    initargs=(os.getpid(),),
                )
            return self._pool

    def left_on_table(self, ended: str) -> dict[str, Any]:
        """`frontier.report` of the ended game (its snapshot); blocks: call in a thread."""
        state = GameState.from_snapshot(ended)
        pool = self._executor()
        if pool is None:
            return report(state)

        def values_of(start: GameState, plans: list[Plan]) -> list[list[DealValue]]:
            opening = start.snapshot()
            jobs: list[tuple[int, tuple[str, DealSpace, Sequence[tuple[int, ...]]]]] = []
            for n, plan in enumerate(plans):
                deals = plan.deals()
                size = max(25, len(deals) // (self.workers * CHUNKS_PER_WORKER) + 1)
                jobs += [
                    (n, (opening, plan.space, deals[i : i + size]))
                    for i in range(0, len(deals), size)
                ]
            out: list[list[DealValue]] = [[] for _ in plans]
            try:
                results = list(pool.map(value_chunk, [j for _n, j in jobs]))
            except Exception:  # a broken pool (a worker killed): do it here, slowly
                log.exception("the analysis pool failed; valuing deals in this thread")
                ev = Evaluator(start)
                return [value_all(ev, p) for p in plans]
            for (n, _job), values in zip(jobs, results, strict=True):
                out[n] += values
            return out

        return report(state, values_of)

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None
