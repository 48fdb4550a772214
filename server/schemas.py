"""The HTTP API's request and answer models (validation at the edge: pydantic)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from game_rules.actions import TeamId
from game_rules.bots import STRATEGIES

Name = Annotated[str, Field(min_length=1, max_length=40)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PhaseTimers(_In):
    """Seconds per phase; 0 or absent: no timer (the facilitator advances)."""

    briefing: float = Field(default=0, ge=0, le=24 * 3600)
    negotiation: float = Field(default=0, ge=0, le=24 * 3600)
    implementation: float = Field(default=0, ge=0, le=24 * 3600)
    resolution: float = Field(default=0, ge=0, le=24 * 3600)


MAX_SCENARIO_CHARS = 60_000


class GameCreate(_In):
    scenario: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,47}$")] = "mediterranean"
    scenario_file: str | None = Field(
        default=None,
        max_length=MAX_SCENARIO_CHARS,
        description="the text of an uploaded scenario file (YAML); when given, `scenario` "
        "is ignored. Checked like `compact scenario check`.",
    )
    title: Annotated[str, Field(max_length=120)] = ""
    teams: list[TeamId] | None = Field(
        default=None, min_length=2, max_length=8, description="teams in play; default: all"
    )
    rounds: int | None = Field(default=None, ge=1, le=20)
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1)
    timers: PhaseTimers = PhaseTimers()

    def arguments(self) -> dict[str, Any]:
        """The keyword arguments of `commands.create_game` this request asks for (the API
        and the start page create games alike)."""
        return {
            "scenario": self.scenario,
            "scenario_file": self.scenario_file,
            "teams": self.teams,
            "rounds": self.rounds,
            "seed": self.seed,
            "title": self.title,
            "timers": self.timers.model_dump(),
        }


class GameCreated(BaseModel):
    game_id: str
    join_code: str
    facilitator_token: str
    projector_token: str
    join_path: str


class TeamInfo(BaseModel):
    id: str
    name: str
    type: str
    colour: str | None = None


class GameInfo(BaseModel):
    """What a join link may show before anyone takes a seat."""

    game_id: str
    title: str
    scenario: str
    phase: str
    teams: list[TeamInfo]


class JoinRequest(_In):
    code: Annotated[str, Field(min_length=1, max_length=16)]
    name: Name
    team: TeamId | None = None


class SeatOut(BaseModel):
    game_id: str
    player_id: str
    name: str
    team: str | None
    token: str | None = Field(default=None, description="only when joining")
    rejoined: bool = False
    waiting: bool = Field(
        default=False, description="joined after the start: the facilitator places the seat"
    )


class Placed(BaseModel):
    placed: list[dict[str, str]] = Field(description="each waiting seat and the team it got")


class TeamChoice(_In):
    team: TeamId | None


class AdmissionIn(_In):
    mode: Literal["open", "approval"] = Field(
        description="open: newcomers choose a team in the lobby; approval: every new seat "
        "waits for the facilitator to place it (a removal sets it)"
    )


class ChatIn(_In):
    channel: Literal["plenary", "team", "bilateral"]
    text: Annotated[str, Field(min_length=1, max_length=4000)]
    to_team: TeamId | None = Field(default=None, description="bilateral: the other team")


class AnnouncementIn(_In):
    text: Annotated[str, Field(min_length=1, max_length=4000)]


class TimerChange(_In):
    add_seconds: int = Field(
        ge=-24 * 3600, le=24 * 3600, description="negative shortens; 0 or less can end it now"
    )


class Accepted(BaseModel):
    seq: int
    version: int
    phase: str
    round: int
    notices: list[dict[str, Any]] = Field(
        default=[],
        description="the records of what the action did that the caller may read, each with "
        "its `kind`, its fields and a sentence `text`",
    )
    result: dict[str, Any] = {}


class ScenarioInfo(BaseModel):
    id: str
    name: str
    rounds: int
    teams: list[TeamInfo]


class BotChoice(BaseModel):
    model_config = ConfigDict(extra="forbid")
    strategy: Annotated[str, Field(max_length=32)] = Field(
        default="reciprocator", description=f"one of: {', '.join(sorted(STRATEGIES))}"
    )


class BotPace(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seconds: float = Field(ge=0, le=600, description="least time between two moves of a bot")
