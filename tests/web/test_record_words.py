"""Records into words (web/words.py): every kind of record has a sentence, and the
sentence names the teams and the objects the record is about."""

from __future__ import annotations

import typing
from typing import Any

import pytest

from game_rules import records
from game_rules.views import record_json
from web.words import KINDS, words

NAMES = {"union": "The Union", "sahelia": "Sahelia", "coastland": "Coastland"}
"""Names unlike the ids, so that a sentence showing an id instead of a name fails."""

SAMPLES: dict[str, Any] = {
    "round": 3,
    "year": 2031,
    "by": "sahelia",
    "team": "coastland",
    "target": "union",
    "parties": ("union", "sahelia", "coastland"),
    "proposal_id": "p17",
    "countered": "p16",
    "agreement_id": "a4",
    "term_id": "t9",
    "tool": "aid_cuts",
    "card_id": "drought",
    "title": "Drought in the Sahel",
    "text": "Harvests fail.",
    "topic": "politics",
    "teams": None,
    "slide": 4,
}


def _variants(cls: type[Any]) -> list[Any]:
    """One record of `cls` per value of each of its bool or literal fields."""
    fixed: dict[str, Any] = {}
    choices: list[tuple[str, list[Any]]] = []
    for name, field in cls.model_fields.items():
        if name == "kind":
            continue
        if field.annotation is bool:
            choices.append((name, [True, False]))
        elif typing.get_origin(field.annotation) is typing.Literal:
            choices.append((name, list(typing.get_args(field.annotation))))
        else:
            fixed[name] = SAMPLES[name]
            continue
        fixed[name] = choices[-1][1][0]
    out = [cls(**fixed)]
    for name, values in choices:
        out = [cls(**{**r.__dict__, name: v}) for r in out for v in values]
    return out


ALL = [r for cls in records.RECORD_TYPES for r in _variants(cls)]


def test_every_record_kind_has_a_sentence() -> None:
    kinds = {cls.model_fields["kind"].default for cls in records.RECORD_TYPES}
    assert kinds == set(KINDS)


@pytest.mark.parametrize("record", ALL, ids=lambda r: f"{r.kind}-{r.__dict__}")
def test_the_sentence_names_the_teams_and_objects_of_the_record(record: Any) -> None:
    sentence = words(record_json(record), NAMES)
    assert sentence and "{" not in sentence, sentence
    data = record.__dict__
    for key in ("by", "team", "target"):
        if key in data:
            assert NAMES[data[key]] in sentence, (key, sentence)
    if record.kind == "agreement_signed":
        assert all(NAMES[p] in sentence for p in data["parties"]), sentence
    for key in ("proposal_id", "countered", "agreement_id", "term_id", "title", "text"):
        if key in data:
            assert str(data[key]) in sentence, (key, sentence)
    if record.kind == "coercion_used":
        assert "aid cuts" in sentence
    if record.kind in ("phase_changed", "round_resolved"):
        assert str(data["round"]) in sentence


def test_variants_differ_in_words() -> None:
    """A bool or a phase changes what the sentence says (ready / not ready, ...); whether
    an event was the deck's or the facilitator's doing is not news."""
    for cls in records.RECORD_TYPES:
        if cls is records.EventPlayed:
            continue
        sentences = {words(record_json(r), NAMES) for r in _variants(cls)}
        assert len(sentences) == len(_variants(cls)), cls.__name__


def test_an_unknown_team_id_is_shown_as_it_is() -> None:
    r = records.GovernmentFell(round=1, team="atlantis")
    assert "atlantis" in words(record_json(r), NAMES)


def test_the_servers_announcements_are_said_in_every_language() -> None:
    from web.i18n import speaking
    from web.words import SERVER_KINDS

    assert "bot_handed_back" in SERVER_KINDS
    said = set()
    for lang in ("en", "fr", "ar"):
        with speaking(lang):
            sentence = words({"kind": "bot_handed_back", "team": "union"}, NAMES)
        assert "The Union" in sentence and "{" not in sentence, (lang, sentence)
        said.add(sentence)
    assert len(said) == 3, said  # not English three times
