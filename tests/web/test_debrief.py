"""The debrief's figures, hand-checked on small games played with the rules engine (no
server, no browser): what a facilitator reads out to the room must add up."""

from __future__ import annotations

from game_rules import actions as A
from game_rules.analytics import batna_report
from game_rules.rules import perform
from game_rules.state import AgreementStatus, GameState
from game_rules.views import Audience, view
from game_rules.views import debrief as debrief_of
from tests.rules.helpers import F, implement, next_round, sign, start, term
from web import render
from web.debrief import Debrief, debrief

GAME_ID = "0123456789abcdef"


def ended_game() -> GameState:
    """Mediterranean, two rounds: union–sahelia sign visas for readmission in round 1 and
    keep it; union–coastland sign border cooperation, and at the end a new government of
    coastland has not ratified it yet (set by hand: where the game stands is the point)."""
    st = start()
    visas = sign(st, [term("visa_facilitation", "union", "sahelia", 1),
              term("readmission", "sahelia", "union", 60)])  # fmt: skip
    money = term("funding", "union", "coastland", 40, earmark="border_management")
    border = sign(st, [term("border_cooperation", "coastland", "union", 50), money])
    for tid in ("union", "sahelia", "coastland"):
        implement(st, tid)
    next_round(st)
    for tid in ("union", "sahelia", "coastland"):
        implement(st, tid)
    next_round(st)
    perform(st, F, A.EndGame())
    st.agreements[visas].status = AgreementStatus.active
    st.agreements[border].status = AgreementStatus.awaiting_ratification
    st.agreements[border].awaiting = ["coastland"]
    return st


def facilitator_debrief(st: GameState) -> Debrief:
    fac = Audience.facilitator()
    return debrief(view(st, fac), debrief_of(st, fac, batna_report(st)), facilitator=True)


def test_the_score_table_shows_the_last_round_beside_the_game_score_each_labelled() -> None:
    st = ended_game()
    d = facilitator_debrief(st)
    last = st.history[-1].scores
    mean = {t: sum(r.scores[t] for r in st.history) / len(st.history) for t in st.teams}
    for row in d.rows:
        assert row["last"] == last[row["id"]]
        assert abs(row["score"] - mean[row["id"]]) <= 0.05  # rounded to one decimal
    html = render.debrief_html(d, GAME_ID)
    assert "Last round&#39;s score" in html or "Last round's score" in html
    assert "Game score (mean of the rounds)" in html


def test_an_agreement_awaiting_ratification_is_signed_but_not_kept() -> None:
    st = ended_game()
    d = facilitator_debrief(st)
    assert d.counts["signed"] == 2
    assert d.counts["awaiting_ratification"] == 1
    assert d.counts["kept"] == 1  # the visa deal, honoured in full; not the one waiting
    html = render.debrief_html(d, GAME_ID)
    assert "2 agreements signed" in html and "1 awaiting ratification" in html
    assert "1 kept in full" in html
