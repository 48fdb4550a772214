"""The debrief's analysis pool gives the same report as the rules engine alone, and its
workers never outlive the server."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from game_rules.frontier import report
from server.analysis import Analyst
from tests.rules.test_frontier import signed_small_game


def test_deals_valued_in_worker_processes_give_the_report_of_one_process() -> None:
    from game_rules.actions import TermSpec

    st = signed_small_game(
        [TermSpec(type="readmission", giver="marenia", receiver="alpland", amount=95)]
    )
    analyst = Analyst(2)
    try:
        assert analyst.left_on_table(st.snapshot()) == report(st)
    finally:
        analyst.close()
    assert Analyst(0).left_on_table(st.snapshot()) == report(st)


def test_the_workers_leave_when_the_server_is_killed(tmp_path: Path) -> None:
    """A server killed with SIGKILL must not leave its analysis processes behind."""
    script = (
        "import os, sys, time\n"
        "from server.analysis import Analyst\n"
        "pool = Analyst(workers=1)._executor()\n"
        "print(pool.submit(os.getpid).result(), flush=True)\n"
        "time.sleep(600)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    try:
        assert proc.stdout is not None
        worker = int(proc.stdout.readline())
        assert _running(worker)
    finally:
        proc.kill()
        proc.wait()
    deadline = time.monotonic() + 30
    while _running(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running(worker), "the analysis worker outlived its server"


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[-1][0] != "Z"  # a zombie has ended
    except FileNotFoundError:
        return False
