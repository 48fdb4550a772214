"""What happened: frozen, typed records that `rules.perform` returns (pokerkit's operations).

Every action yields the records of what it did, in order; the records the public or the
parties would read about are also kept in `GameState.news`. A record holds data — ids,
teams, numbers — never prose: the web layer turns it into words in the reader's language
(`web/words.py`), and the debrief and exports can reason over it. Who may read which record
is decided in `game_rules/views.py` alone.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str
    round: int
    """the game's round when it happened."""

    news: ClassVar[bool] = True
    """kept in the state's news (what a newspaper or the parties' ministries would report);
    the others are only returned to the action's caller."""


# --- proposals (only their parties ever hear of them) ----------------------------------


class ProposalMade(_Record):
    """A team put a proposal to the other parties."""

    kind: Literal["proposal_made"] = "proposal_made"
    proposal_id: str
    by: str
    parties: tuple[str, ...]
    news: ClassVar[bool] = False


class ProposalCountered(_Record):
    """A party answered `countered` with a new version, `proposal_id`."""

    kind: Literal["proposal_countered"] = "proposal_countered"
    proposal_id: str
    countered: str
    by: str
    parties: tuple[str, ...]
    news: ClassVar[bool] = False


class ProposalAccepted(_Record):
    """A party accepted; others have still to accept before it is signed."""

    kind: Literal["proposal_accepted"] = "proposal_accepted"
    proposal_id: str
    by: str
    parties: tuple[str, ...]
    news: ClassVar[bool] = False


class ProposalRejected(_Record):
    kind: Literal["proposal_rejected"] = "proposal_rejected"
    proposal_id: str
    by: str
    parties: tuple[str, ...]
    news: ClassVar[bool] = False


class ProposalRetracted(_Record):
    """Its proposer took it back."""

    kind: Literal["proposal_retracted"] = "proposal_retracted"
    proposal_id: str
    by: str
    parties: tuple[str, ...]
    news: ClassVar[bool] = False


class RatificationRefused(_Record):
    """Every party accepted, but `by`'s parliament (its support too low) refused to ratify."""

    kind: Literal["ratification_refused"] = "ratification_refused"
    proposal_id: str
    by: str
    parties: tuple[str, ...]


# --- agreements -------------------------------------------------------------------------


class AgreementSigned(_Record):
    kind: Literal["agreement_signed"] = "agreement_signed"
    agreement_id: str
    parties: tuple[str, ...]


class AgreementWithdrawn(_Record):
    """`by` left the agreement; its partners' trust in it fell."""

    kind: Literal["agreement_withdrawn"] = "agreement_withdrawn"
    agreement_id: str
    by: str
    parties: tuple[str, ...]


class AgreementRatified(_Record):
    """A successor government ratified an agreement it inherited."""

    kind: Literal["agreement_ratified"] = "agreement_ratified"
    agreement_id: str
    by: str
    parties: tuple[str, ...]


class TermSuspended(_Record):
    """A term's condition was not met this round: it is suspended (0 % delivered)."""

    kind: Literal["term_suspended"] = "term_suspended"
    agreement_id: str
    term_id: str
    parties: tuple[str, ...]


class TermReleased(_Record):
    """A suspended term's condition is met again: it is back in force."""

    kind: Literal["term_released"] = "term_released"
    agreement_id: str
    term_id: str
    parties: tuple[str, ...]


# --- pressure and politics --------------------------------------------------------------


class CoercionUsed(_Record):
    kind: Literal["coercion_used"] = "coercion_used"
    by: str
    tool: str
    target: str


class PressureLifted(_Record):
    """`by` signed with `target` after pressing it this round: the pressure has no effect
    this round (its trust cost and its bill at `by`'s home stay)."""

    kind: Literal["pressure_lifted"] = "pressure_lifted"
    by: str
    tool: str
    target: str


class GovernmentFell(_Record):
    """Support fell under the threshold; the successor must re-ratify every agreement."""

    kind: Literal["government_fell"] = "government_fell"
    team: str


class TeamReady(_Record):
    kind: Literal["team_ready"] = "team_ready"
    team: str
    ready: bool
    news: ClassVar[bool] = False


class TeamDecided(_Record):
    """A team settled its implementation decisions (what they are stays its secret)."""

    kind: Literal["team_decided"] = "team_decided"
    team: str
    news: ClassVar[bool] = False


# --- the world and the clock ------------------------------------------------------------


class EventPlayed(_Record):
    """An event card took effect. Title and news are the scenario's text (data that may
    carry translations), copied as the card was played."""

    kind: Literal["event_played"] = "event_played"
    card_id: str
    title: str
    text: str
    injected: bool = False


class PhaseChanged(_Record):
    """A round's phase began: briefing (a new round), negotiation or implementation."""

    kind: Literal["phase_changed"] = "phase_changed"
    phase: Literal["briefing", "negotiation", "implementation"]
    year: int


class RoundResolved(_Record):
    """The round was computed: results are on every screen."""

    kind: Literal["round_resolved"] = "round_resolved"
    year: int


class GameEnded(_Record):
    """The debrief begins: after the last round, or ended early by the facilitator."""

    kind: Literal["game_ended"] = "game_ended"
    by_facilitator: bool


class GamePaused(_Record):
    kind: Literal["game_paused"] = "game_paused"


class GameResumed(_Record):
    kind: Literal["game_resumed"] = "game_resumed"


class ScoresRevealed(_Record):
    kind: Literal["scores_revealed"] = "scores_revealed"
    revealed: bool
    news: ClassVar[bool] = False


class TruthRevealed(_Record):
    """After the end, the facilitator showed every screen the true compliance and trust."""

    kind: Literal["truth_revealed"] = "truth_revealed"


class SlideShown(_Record):
    """After the end, the facilitator moved the debrief to another slide."""

    kind: Literal["slide_shown"] = "slide_shown"
    slide: int
    news: ClassVar[bool] = False


class LegacyNews(_Record):
    """News of a game saved before records existed: its English sentence as it was stored
    (such snapshots are converted on load, see `GameState`). `teams` None: public."""

    kind: Literal["legacy_news"] = "legacy_news"
    text: str
    topic: str
    teams: tuple[str, ...] | None = None


Record = Annotated[
    ProposalMade
    | ProposalCountered
    | ProposalAccepted
    | ProposalRejected
    | ProposalRetracted
    | RatificationRefused
    | AgreementSigned
    | AgreementWithdrawn
    | AgreementRatified
    | TermSuspended
    | TermReleased
    | CoercionUsed
    | PressureLifted
    | GovernmentFell
    | TeamReady
    | TeamDecided
    | EventPlayed
    | PhaseChanged
    | RoundResolved
    | GameEnded
    | GamePaused
    | GameResumed
    | ScoresRevealed
    | TruthRevealed
    | SlideShown
    | LegacyNews,
    Field(discriminator="kind"),
]
"""Any record; `kind` tells which."""

RECORD_TYPES: tuple[type[_Record], ...] = tuple(_Record.__subclasses__())
"""Every record class (tests enumerate them: each must have words and an audience)."""

_ADAPTER: TypeAdapter[Record] = TypeAdapter(Record)


def parse_record(data: object) -> Record:
    """A record from its JSON form (as in a view's news)."""
    return _ADAPTER.validate_python(data)


def legacy_news(item: dict[str, object]) -> dict[str, object]:
    """An old snapshot's news item (English `text`, `kind` a topic) as a LegacyNews record."""
    teams = item.get("teams")
    return {
        "kind": "legacy_news",
        "round": item.get("round", 0),
        "text": item.get("text", ""),
        "topic": item.get("kind", ""),
        "teams": teams,
    }


__all__ = [
    "RECORD_TYPES",
    "AgreementRatified",
    "AgreementSigned",
    "AgreementWithdrawn",
    "CoercionUsed",
    "EventPlayed",
    "GameEnded",
    "GamePaused",
    "GameResumed",
    "GovernmentFell",
    "LegacyNews",
    "PhaseChanged",
    "PressureLifted",
    "ProposalAccepted",
    "ProposalCountered",
    "ProposalMade",
    "ProposalRejected",
    "ProposalRetracted",
    "RatificationRefused",
    "Record",
    "RoundResolved",
    "ScoresRevealed",
    "SlideShown",
    "TeamDecided",
    "TeamReady",
    "TermReleased",
    "TermSuspended",
    "TruthRevealed",
    "parse_record",
]
