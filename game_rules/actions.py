"""The actions of the game: everything that changes its state is one of these.

Humans, bots, the CLI and the server all use these same classes (ARCHITECTURE: one way
in). They validate shape only; legality against the state is the rules' job.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

# The vocabulary of terms lives with the scenario schema, which declares their levels.
from game_rules.scenario import CoerciveTool, Earmark, TermType

TeamId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
ObjectId = Annotated[str, Field(pattern=r"^[a-z]{1,2}[0-9]{1,6}$", max_length=8)]
Message = Annotated[str, Field(max_length=1000)]


VISA_LEVELS = ("none", "facilitated", "multiple-entry", "visa-free")


class _Shape(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TermSpec(_Shape):
    """One commitment: giver → receiver, type, amount, duration in rounds."""

    type: TermType
    giver: TeamId
    receiver: TeamId
    amount: float = Field(ge=0, le=10_000_000)
    duration: int = Field(ge=1, le=20, default=2)
    earmark: Earmark | None = None
    skills_training: bool = False
    third_country: bool = False


class ConditionSpec(_Shape):
    """Term `term` is released only while term `requires` is honoured at ≥ `threshold` %.

    Both are indexes into the proposal's term list (terms get ids once signed).
    """

    term: int = Field(ge=0, lt=40)
    requires: int = Field(ge=0, lt=40)
    threshold: float = Field(ge=0, le=100)


class PolicyChoice(_Shape):
    """A team's unilateral policies for the round (same fields as the scenario's Policies)."""

    border_enforcement: float = Field(ge=0, le=100)
    development_spending: float = Field(ge=0, le=1_000_000)
    integration_spending: float = Field(ge=0, le=1_000_000)
    return_operations: float = Field(ge=0, le=1_000_000)
    labour_permits: float = Field(ge=0, le=10_000_000)
    refugee_work_permits: float = Field(ge=0, le=10_000_000)


class _Action(_Shape):
    expected_version: int | None = Field(
        default=None, ge=0, description="refuse the action if the game has moved on since"
    )


# --- facilitator ------------------------------------------------------------------------


class StartGame(_Action):
    kind: Literal["start_game"] = "start_game"


class PauseGame(_Action):
    kind: Literal["pause_game"] = "pause_game"


class ResumeGame(_Action):
    kind: Literal["resume_game"] = "resume_game"


class AdvancePhase(_Action):
    """End the current phase now. Teams without decisions get the defaults of GAME.md §1."""

    kind: Literal["advance_phase"] = "advance_phase"


class InjectEvent(_Action):
    """Play an event card from the scenario's deck now (it takes effect at resolution)."""

    kind: Literal["inject_event"] = "inject_event"
    event_id: Annotated[str, Field(max_length=48)]


class RevealScores(_Action):
    kind: Literal["reveal_scores"] = "reveal_scores"
    revealed: bool = True


class RevealTruth(_Action):
    """After the end: show every screen the true compliance and the trust between all
    teams (the debrief's letter-vs-spirit moment). Once seen it cannot be unseen."""

    kind: Literal["reveal_truth"] = "reveal_truth"


class ShowSlide(_Action):
    """After the end: the debrief slide every projector shows (the facilitator steps
    through the debrief one section at a time)."""

    kind: Literal["show_slide"] = "show_slide"
    slide: int = Field(ge=0, lt=50)


class EndGame(_Action):
    kind: Literal["end_game"] = "end_game"


# --- teams ------------------------------------------------------------------------------


class Propose(_Action):
    kind: Literal["propose"] = "propose"
    parties: list[TeamId] = Field(min_length=2, max_length=8)
    terms: list[TermSpec] = Field(min_length=1, max_length=40)
    conditions: list[ConditionSpec] = Field(default=[], max_length=40)
    message: Message = ""


class Counter(_Action):
    """Answer a proposal with a new version of it; the old one is closed."""

    kind: Literal["counter"] = "counter"
    proposal_id: ObjectId
    terms: list[TermSpec] = Field(min_length=1, max_length=40)
    conditions: list[ConditionSpec] = Field(default=[], max_length=40)
    message: Message = ""


class Accept(_Action):
    kind: Literal["accept"] = "accept"
    proposal_id: ObjectId


class Reject(_Action):
    kind: Literal["reject"] = "reject"
    proposal_id: ObjectId
    message: Message = ""


class Retract(_Action):
    """The proposer takes back a proposal nobody has signed yet."""

    kind: Literal["retract"] = "retract"
    proposal_id: ObjectId


class Withdraw(_Action):
    """Leave an active agreement: the exit option. Costs trust with every other party."""

    kind: Literal["withdraw"] = "withdraw"
    agreement_id: ObjectId


class Ratify(_Action):
    """A new government confirms an agreement its predecessor signed."""

    kind: Literal["ratify"] = "ratify"
    agreement_id: ObjectId


class SetReady(_Action):
    kind: Literal["set_ready"] = "set_ready"
    ready: bool = True


class Implement(_Action):
    """The round's decisions: how far to honour each commitment, and unilateral policies."""

    kind: Literal["implement"] = "implement"
    compliance: dict[ObjectId, Annotated[float, Field(ge=0, le=100)]] = Field(
        default={}, max_length=200
    )
    policies: PolicyChoice


class Coerce(_Action):
    kind: Literal["coerce"] = "coerce"
    tool: CoerciveTool
    target: TeamId


Action = Annotated[
    StartGame
    | PauseGame
    | ResumeGame
    | AdvancePhase
    | InjectEvent
    | RevealScores
    | RevealTruth
    | ShowSlide
    | EndGame
    | Propose
    | Counter
    | Accept
    | Reject
    | Retract
    | Withdraw
    | Ratify
    | SetReady
    | Implement
    | Coerce,
    Field(discriminator="kind"),
]

ACTION_ADAPTER: TypeAdapter[Action] = TypeAdapter(Action)

FACILITATOR_ACTIONS = frozenset(
    {
        "start_game",
        "pause_game",
        "resume_game",
        "advance_phase",
        "inject_event",
        "reveal_scores",
        "reveal_truth",
        "show_slide",
        "end_game",
    }
)


def parse_action(data: object) -> Action:
    """Validate a JSON-like dict into an action (raises pydantic.ValidationError)."""
    return ACTION_ADAPTER.validate_python(data)


class Actor(_Shape):
    """Who performs an action: a team, the facilitator, or the system (timers, defaults)."""

    role: Literal["team", "facilitator", "system"]
    team: TeamId | None = None

    @staticmethod
    def of_team(team_id: str) -> Actor:
        return Actor(role="team", team=team_id)

    @staticmethod
    def facilitator() -> Actor:
        return Actor(role="facilitator")

    @staticmethod
    def system() -> Actor:
        return Actor(role="system")
