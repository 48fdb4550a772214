"""The debrief's analysis pool gives the same report as the rules engine alone."""

from __future__ import annotations

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
