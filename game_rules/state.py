"""The game's state: plain, mutable pydantic models that serialise to JSON for snapshots.

The rules mutate a state only after an action has been fully verified, so an illegal
action leaves it untouched; `apply` in `game_rules.rules` offers the copying form.
"""

from __future__ import annotations

import random
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field, model_validator

from game_rules.actions import ConditionSpec, Earmark, PolicyChoice, TermSpec, TermType
from game_rules.records import Record, legacy_news
from game_rules.scenario import EventEffect, Objective, Scenario


class Phase(StrEnum):
    """The phases of a game; a round runs briefing → negotiation → implementation → resolution."""

    lobby = "lobby"
    """Created, waiting for players; the facilitator starts the game."""
    briefing = "briefing"
    negotiation = "negotiation"
    implementation = "implementation"
    resolution = "resolution"
    """The round has been computed; results are on every screen."""
    ended = "ended"
    """After the last round, or ended early: the debrief."""


ROUND_PHASES = (Phase.briefing, Phase.negotiation, Phase.implementation, Phase.resolution)


class ProposalStatus(StrEnum):
    proposed = "proposed"
    countered = "countered"
    signed = "signed"
    rejected = "rejected"
    retracted = "retracted"
    expired = "expired"


class AgreementStatus(StrEnum):
    active = "active"
    awaiting_ratification = "awaiting_ratification"
    completed = "completed"
    withdrawn = "withdrawn"
    lapsed = "lapsed"


class _State(BaseModel):
    # Mutable on purpose: the rules change state in place after verifying an action.
    model_config = {"validate_assignment": False}


class Proposal(_State):
    id: str
    round: int
    parties: list[str]
    proposer: str
    terms: list[TermSpec]
    conditions: list[ConditionSpec] = []
    message: str = ""
    status: ProposalStatus = ProposalStatus.proposed
    accepted_by: list[str] = []
    supersedes: str | None = None
    superseded_by: str | None = None
    agreement_id: str | None = None
    closed_by: str | None = None


class Term(_State):
    """A signed term. Its amount is the promise; compliance records what was delivered."""

    id: str
    type: TermType
    giver: str
    receiver: str
    amount: float
    duration: int
    rounds_left: int
    earmark: Earmark | None = None
    skills_training: bool = False
    third_country: bool = False
    suspended: bool = False
    suspended_reason: str = ""


class Condition(_State):
    term: str
    requires: str
    threshold: float


class Agreement(_State):
    id: str
    proposal_id: str
    parties: list[str]
    terms: list[Term]
    conditions: list[Condition] = []
    message: str = ""
    status: AgreementStatus = AgreementStatus.active
    signed_round: int
    ended_round: int | None = None
    awaiting: list[str] = Field(default=[], description="teams that must re-ratify")


class ComplianceRecord(_State):
    """Letter vs spirit: what a term promised and what was delivered in one round."""

    round: int
    agreement_id: str
    term_id: str
    giver: str
    receiver: str
    promised: float
    true_compliance: float
    observed_compliance: float
    suspended: bool = False
    released: float = 100.0
    """For a payment: the share (%) of what its giver delivered that reached the receiver,
    after the variable tranche was judged on the receiver's own delivery."""


class Decision(_State):
    compliance: dict[str, float] = {}
    policies: PolicyChoice
    defaulted: bool = False


class TeamState(_State):
    id: str
    type: str
    treasury: float
    income: float
    population: float
    development: float
    youth_share: float
    refugees: float
    stranded: float
    diaspora_legal: float
    diaspora_irregular: float
    return_backlog: float
    labour_shortage: float
    trade_value: float
    conflict: float
    opportunity: float = 0.0
    support: float
    mandate: list[Objective]
    government: int = 1
    policies: PolicyChoice
    ready: bool = False
    decision: Decision | None = None
    last_compliance: dict[str, float] = {}
    coercion_used: int = 0


class Coercion(_State):
    round: int
    tool: str
    by: str
    target: str
    lifted: bool = Field(
        default=False,
        description="the coercer signed an agreement with its target later in the same round: "
        "the pressure has no effect that round (its trust cost and its bill stay)",
    )


class ActiveEvent(_State):
    card_id: str
    title: str
    news: str
    effects: list[EventEffect]
    rounds_left: int
    round_drawn: int
    injected: bool = False
    early: bool = Field(default=False, description="injected during the previous resolution")


class CorridorFlows(_State):
    """Where every potential migrant of the round went: the five outcomes sum to `potential`."""

    potential: int = 0
    stayed: int = 0
    legal: int = 0
    blocked: int = 0
    died: int = 0
    arrived: int = 0
    asylum_claims: int = 0
    recognised: int = 0
    returns: int = 0
    refugees_displaced: int = 0


class RoundRecord(_State):
    round: int
    year: int
    corridors: dict[str, CorridorFlows]
    indicators: dict[str, dict[str, float]]
    scores: dict[str, float]
    support: dict[str, float]
    trust: dict[str, dict[str, float]]
    events: list[str]
    injected: list[str] = []
    injected_early: list[str] = Field(
        default=[], description="of `injected`: those injected during the previous resolution"
    )
    coercions: list[Coercion] = []
    fallen: list[str] = []


_OLD_TOPICS = frozenset(
    {"event", "agreement", "coercion", "politics", "results", "facilitator", "phase"}
)
"""the `kind`s of the prose news items of old snapshots (no record kind is one of these)."""


class GameState(_State):
    scenario: Scenario
    seed: int
    counterfactual: bool = Field(default=False, description="a no-agreement run for BATNAs")
    version: int = 0
    round: int = 0
    phase: Phase = Phase.lobby
    paused: bool = False
    scores_revealed: bool = False
    truth_revealed: bool = Field(
        default=False, description="after the end: the facilitator showed everyone the truth"
    )
    debrief_slide: int = Field(default=0, description="after the end: the slide projectors show")
    teams: dict[str, TeamState]
    trust: dict[str, dict[str, float]]
    proposals: dict[str, Proposal] = {}
    agreements: dict[str, Agreement] = {}
    compliance: list[ComplianceRecord] = []
    coercions: list[Coercion] = []
    events: list[ActiveEvent] = []
    pending_events: list[ActiveEvent] = []
    news: list[Record] = Field(
        default=[], description="what happened that the public or the parties would hear of"
    )
    history: list[RoundRecord] = []
    decisions_log: list[dict[str, Decision]] = Field(
        default=[], description="every round's decisions, replayed for the no-agreement run"
    )
    counters: dict[str, int] = {}
    backlog: dict[str, float] = Field(
        default={}, description="people ordered to leave, by corridor"
    )
    remigrants: dict[str, float] = Field(
        default={}, description="returnees who will try again next round, by corridor"
    )

    @model_validator(mode="before")
    @classmethod
    def _records_from_old_news(cls, data: Any) -> Any:
        """Snapshots saved before records held English sentences as news (with a topic as
        `kind` and no ids to recover): they load as LegacyNews records, shown as written."""
        if isinstance(data, dict) and data.get("news"):
            news = data["news"]
            if any(
                isinstance(n, dict) and "text" in n and "kind" in n and n["kind"] in _OLD_TOPICS
                for n in news
            ):
                data = {
                    **data,
                    "news": [
                        legacy_news(n)
                        if isinstance(n, dict) and n.get("kind") in _OLD_TOPICS
                        else n
                        for n in news
                    ],
                }
        return data

    @property
    def rounds(self) -> int:
        return self.scenario.rounds

    @property
    def year(self) -> int:
        return self.scenario.start_year + max(self.round - 1, 0) * self.scenario.years_per_round

    def next_id(self, prefix: str) -> str:
        n = self.counters.get(prefix, 0) + 1
        self.counters[prefix] = n
        return f"{prefix}{n}"

    def term(self, term_id: str) -> tuple[Agreement, Term]:
        for ag in self.agreements.values():
            for t in ag.terms:
                if t.id == term_id:
                    return ag, t
        raise KeyError(term_id)

    def live_terms(self) -> list[tuple[Agreement, Term]]:
        """Terms in force this round (the agreement active, the term not run out)."""
        return [
            (ag, t)
            for ag in self.agreements.values()
            if ag.status is AgreementStatus.active
            for t in ag.terms
            if t.rounds_left > 0
        ]

    def snapshot(self) -> str:
        return self.model_dump_json()

    @staticmethod
    def from_snapshot(text: str | bytes) -> GameState:
        return GameState.model_validate_json(text)

    def fingerprint(self) -> Any:
        """A comparable dump of everything (for tests: did an action change anything?)."""
        return self.model_dump(mode="json")


# --- small changes every part of the rules makes -------------------------------------------


def rng(state: GameState, *purpose: object) -> random.Random:
    """The game's randomness for one purpose: a pure function of the seed and the purpose.

    String seeds are hashed with SHA-512 by `random`, so this is stable across runs and
    machines, unlike `hash()`.
    """
    return random.Random(":".join(str(p) for p in (state.seed, *purpose)))


def add_trust(state: GameState, truster: str, trustee: str, delta: float) -> None:
    row = state.trust[truster]
    row[trustee] = min(100.0, max(0.0, row[trustee] + delta))


def add_support(state: GameState, team_id: str, delta: float) -> None:
    team = state.teams[team_id]
    team.support = min(100.0, max(0.0, team.support + delta))


def happened(state: GameState, *records: Record) -> list[Record]:
    """The records of what an action did; those that are news are kept in the state."""
    state.news.extend(r for r in records if r.news)
    return list(records)
