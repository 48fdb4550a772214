"""What happened is data (ARCHITECTURE rule 8): `perform` returns frozen records, the state
keeps the news as records (never prose), and snapshots carry them, old ones included."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from game_rules import actions as A
from game_rules import records
from game_rules.rules import perform
from game_rules.state import GameState, Phase
from tests.rules.helpers import F, advance_to, implement, next_round, sign, start, team, term


def test_a_round_reads_as_records_in_order() -> None:
    st = start()
    assert [r.kind for r in st.news] == ["phase_changed"]
    done = perform(st, F, A.AdvancePhase())
    assert done == [records.PhaseChanged(round=1, phase="negotiation", year=st.year)]
    ag = sign(
        st,
        [
            term("visa_facilitation", "union", "sahelia", 1),
            term("readmission", "sahelia", "union", 70),
        ],
    )
    implement(st, "union")
    done = perform(st, team("sahelia"), A.SetReady(ready=True))
    assert done[0] == records.TeamReady(round=1, team="sahelia", ready=True)
    done = perform(st, team("coastland"), A.SetReady(ready=True))
    # The last team ready ends implementation: the round is computed, its records follow.
    assert [r.kind for r in done] == ["team_ready", "round_resolved"]
    assert st.phase is Phase.resolution
    kinds = [r.kind for r in st.news]
    assert kinds[:3] == ["phase_changed", "phase_changed", "agreement_signed"]
    signed = st.news[2]
    assert isinstance(signed, records.AgreementSigned) and signed.agreement_id == ag
    assert "round_resolved" in kinds and "team_ready" not in kinds, "readiness is not news"


def test_records_are_frozen() -> None:
    r = records.GovernmentFell(round=2, team="union")
    with pytest.raises(ValidationError):
        r.team = "sahelia"  # type: ignore[misc]


def test_the_state_holds_no_prose() -> None:
    st = start()
    sign(
        st,
        [
            term("visa_facilitation", "union", "sahelia", 1),
            term("readmission", "sahelia", "union", 70),
        ],
    )
    perform(st, team("union"), A.Coerce(tool="visa_sanctions", target="coastland"))
    for r in st.news:
        for name, value in r.__dict__.items():
            if isinstance(value, str) and name not in ("title", "text"):
                assert " " not in value, (r.kind, name, value)  # ids and kinds, not sentences


def test_records_survive_the_snapshot() -> None:
    st = start()
    sign(
        st,
        [
            term("visa_facilitation", "union", "sahelia", 1),
            term("readmission", "sahelia", "union", 70),
        ],
    )
    next_round(st)
    again = GameState.from_snapshot(st.snapshot())
    assert again.news == st.news
    assert all(type(a) is type(b) for a, b in zip(again.news, st.news, strict=True))


def test_an_old_snapshot_with_prose_news_still_loads() -> None:
    """Games saved before records existed hold English news: they load as LegacyNews,
    public or for their parties as before, and play on with records."""
    st = advance_to(start(), Phase.negotiation)
    data = json.loads(st.snapshot())
    data["news"] = [
        {"round": 1, "kind": "phase", "text": "Round 1 (2025) begins", "teams": None},
        {
            "round": 1,
            "kind": "politics",
            "text": "Sahelia's parliament refused to ratify p1",
            "teams": ["sahelia", "union"],
        },
    ]
    data["teams"]["union"]["coerced_this_round"] = []  # a field since removed
    old = GameState.from_snapshot(json.dumps(data))
    assert old.news == [
        records.LegacyNews(round=1, text="Round 1 (2025) begins", topic="phase"),
        records.LegacyNews(
            round=1,
            text="Sahelia's parliament refused to ratify p1",
            topic="politics",
            teams=("sahelia", "union"),
        ),
    ]
    perform(old, team("union"), A.Coerce(tool="visa_sanctions", target="sahelia"))
    assert isinstance(old.news[-1], records.CoercionUsed)
    again = GameState.from_snapshot(old.snapshot())
    assert again.news == old.news


def test_record_kinds_never_collide_with_old_news_topics() -> None:
    for cls in records.RECORD_TYPES:
        kind = cls.model_fields["kind"].default
        assert kind and kind not in {
            "event",
            "agreement",
            "coercion",
            "politics",
            "results",
            "facilitator",
            "phase",
        }, "old snapshot topics stay apart"
