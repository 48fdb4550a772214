"""The debrief's figures, hand-checked on small games played with the rules engine (no
server, no browser): what a facilitator reads out to the room must add up."""

from __future__ import annotations

from typing import Any

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


# --- left on the table: who sees which numbers ------------------------------------------------


def small_ended() -> tuple[GameState, dict[str, Any]]:
    from game_rules.actions import TermSpec
    from game_rules.frontier import report
    from tests.rules.test_frontier import signed_small_game

    st = signed_small_game(
        [TermSpec(type="readmission", giver="marenia", receiver="alpland", amount=50)]
    )
    return st, report(st)


def test_the_frontier_is_the_facilitators_until_the_reveal_and_a_team_sees_its_own() -> None:
    st, left = small_ended()
    outcomes = batna_report(st)
    (full,) = left["sets"]
    fac = debrief_of(st, Audience.facilitator(), outcomes, left)
    assert fac["left_on_table"] == left
    proj = debrief_of(st, Audience.projector(), outcomes, left)
    assert proj["left_on_table"]["hidden"]
    assert proj["left_on_table"]["sets"] == [
        {"parties": ["alpland", "marenia"], "agreements": ["a1"], "hidden": True}
    ]
    alp = debrief_of(st, Audience.of_team("alpland"), outcomes, left)
    (mine,) = alp["left_on_table"]["sets"]
    assert mine["batna"] == {"alpland": full["batna"]["alpland"]}
    assert mine["deals"][0]["gains"] == [full["deals"][0]["gains"][0], None]
    assert mine["nash"] == {"gains": [full["nash"]["gains"][0], None]}
    for secret in ("cloud", "frontier", "best_surplus"):
        assert secret not in mine
    assert all(k in ("agreement", "valued", "gains") for k in mine["deals"][0])
    # Rendered: the partner's numbers are nowhere on the team's or the projector's page.
    for audience in (Audience.of_team("alpland"), Audience.projector()):
        d = debrief(view(st, audience), debrief_of(st, audience, outcomes, left))
        html = render.debrief_html(d, GAME_ID)
        assert 'class="chart gains"' not in html and "Efficiency" not in html
        assert "Nash deal" not in html  # no table of the deals' gains
    # After the reveal everyone sees the whole analysis.
    perform(st, F, A.RevealTruth())
    for audience in (Audience.projector(), Audience.of_team("alpland")):
        assert debrief_of(st, audience, outcomes, left)["left_on_table"] == left
    d = debrief(
        view(st, Audience.projector()), debrief_of(st, Audience.projector(), outcomes, left)
    )
    html = render.debrief_html(d, GAME_ID)
    assert 'class="chart gains"' in html and "Nash deal" in html


def test_while_the_analysis_runs_the_debrief_says_so_and_shows_the_rest() -> None:
    st, _left = small_ended()
    fac = Audience.facilitator()
    dd = debrief_of(st, fac, batna_report(st), None)
    assert dd["left_pending"]
    d = debrief(view(st, fac), dd, facilitator=True, stepped=True)
    assert d.left_sets is None and d.sig.endswith("-r-s0")
    html = render.debrief_html(d, GAME_ID)
    assert "Working out the deals" in html and "Gain from partnership" in html


def test_the_facilitator_moves_every_projector_to_a_slide_after_the_end_only() -> None:
    import pydantic
    import pytest

    from game_rules.errors import RuleError
    from tests.rules.helpers import start as begin

    st = begin()
    with pytest.raises(RuleError):
        perform(st, F, A.ShowSlide(slide=1))
    with pytest.raises(pydantic.ValidationError):
        A.ShowSlide(slide=50)
    st, left = small_ended()
    perform(st, F, A.ShowSlide(slide=3))
    proj = Audience.projector()
    dd = debrief_of(st, proj, batna_report(st), left)
    d = debrief(view(st, proj), dd, stepped=True)
    assert dd["slide"] == 3 and d.slide == 3 and d.sig.endswith("-s3")
    html = render.debrief_html(d, GAME_ID)
    assert html.count('class="slide ') == len(d.slides or []) and "current" in html
    perform(st, F, A.ShowSlide(slide=49))  # past the last: the last is shown
    d = debrief(view(st, proj), debrief_of(st, proj, batna_report(st), left), stepped=True)
    assert d.slide == len(d.slides or []) - 1
