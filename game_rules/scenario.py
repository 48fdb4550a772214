"""Scenario files: the schema every constant of the game lives in, and their loading.

A scenario is data (YAML). Nothing in the model hard-codes a figure: the model reads
it from here, and each figure in a shipped file carries a `source:` note beside it.
"""

from __future__ import annotations

import itertools
import math
from enum import StrEnum
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator


class TeamType(StrEnum):
    """The kinds of actor a team can play (GAME.md §3)."""

    destination = "destination"
    """Rich state: budget, visas, labour permits, market access."""
    transit = "transit"
    """Neighbour that hosts refugees and stranded migrants; its border decides what passes."""
    origin = "origin"
    """Young, growing population and a diaspora; holds readmission cooperation."""
    organisation = "organisation"
    """International organisation: no budget of its own, monitoring reveals true compliance."""


class CoerciveTool(StrEnum):
    """Pressure a team can apply outside any agreement (GAME.md §6.3)."""

    visa_sanctions = "visa_sanctions"
    aid_cuts = "aid_cuts"
    gate_opening = "gate_opening"
    readmission_refusal = "readmission_refusal"


class TermType(StrEnum):
    """The kinds of commitment a term can carry (GAME.md §4). `amount` means, per type:"""

    readmission = "readmission"
    """cooperation level 0–100 % in readmitting own (or third-country) nationals."""
    visa_facilitation = "visa_facilitation"
    """level 0–3: none, facilitated, multiple-entry, visa-free."""
    labour_pathway = "labour_pathway"
    """work permits per round; `skills_training` funds training in the origin."""
    funding = "funding"
    """€m per round, with an `earmark`."""
    border_cooperation = "border_cooperation"
    """enforcement level 0–100 the transit state commits to."""
    resettlement = "resettlement"
    """refugees per round the giver takes from the receiver (a host)."""
    refugee_work_permits = "refugee_work_permits"
    """permits per round the giver (a host) grants to refugees."""
    trade_access = "trade_access"
    """tariff preference 0–100 % the giver opens its market by."""
    investment = "investment"
    """€m per round of private investment the giver brings into the receiver."""


class Earmark(StrEnum):
    development = "development"
    border_management = "border_management"
    refugee_hosting = "refugee_hosting"
    reintegration = "reintegration"
    training = "training"


# Who may give and receive each kind of term, by team type (GAME.md §4). The rules refuse
# other terms; the scenario check refuses deal levels declared for them.
TERM_GIVERS: dict[TermType, tuple[TeamType, ...]] = {
    TermType.readmission: (TeamType.origin, TeamType.transit),
    TermType.visa_facilitation: (TeamType.destination,),
    TermType.labour_pathway: (TeamType.destination,),
    TermType.funding: (TeamType.destination, TeamType.transit, TeamType.origin),
    TermType.border_cooperation: (TeamType.transit, TeamType.origin),
    TermType.resettlement: (TeamType.destination,),
    TermType.refugee_work_permits: (TeamType.transit,),
    TermType.trade_access: (TeamType.destination,),
    TermType.investment: (TeamType.destination,),
}

TERM_RECEIVERS: dict[TermType, tuple[TeamType, ...]] = {
    TermType.readmission: (TeamType.destination,),
    TermType.visa_facilitation: (TeamType.origin, TeamType.transit),
    TermType.labour_pathway: (TeamType.origin, TeamType.transit),
    TermType.funding: tuple(TeamType),
    TermType.border_cooperation: (TeamType.destination,),
    TermType.resettlement: (TeamType.transit,),
    TermType.refugee_work_permits: tuple(TeamType),
    TermType.trade_access: (TeamType.transit, TeamType.origin),
    TermType.investment: (TeamType.origin, TeamType.transit),
}

PERCENT_TERMS = frozenset(
    {TermType.readmission, TermType.border_cooperation, TermType.trade_access}
)
"""Terms whose amount is a percentage (0–100)."""

VISA_AMOUNTS = (1, 2, 3)
"""The visa levels a term can promise: facilitated, multiple-entry, visa-free."""


class Direction(StrEnum):
    # Member names avoid `lower`, which would shadow str.lower on every member.
    higher_is_better = "higher"
    lower_is_better = "lower"


class _Strict(BaseModel):
    # NaN and ±inf pass YAML (`.nan`, `.inf`) but no figure of the game can be one: they
    # would crash a resolution, or the server later.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Objective(_Strict):
    """One weighted goal: an indicator, which way is good, the target and the worst case.

    The value of an outcome is linear between `worst` (0) and `target` (1), clamped:
    FACTS.md's linear additive utility.
    """

    indicator: str
    weight: float = Field(ge=0, le=1)
    direction: Direction
    target: float
    worst: float
    note: str = ""

    @model_validator(mode="after")
    def _target_differs_from_worst(self) -> Objective:
        if self.target == self.worst:
            raise ValueError("target and worst must differ")
        if self.direction is Direction.higher_is_better and self.target < self.worst:
            raise ValueError("for direction 'higher' the target must be above worst")
        if self.direction is Direction.lower_is_better and self.target > self.worst:
            raise ValueError("for direction 'lower' the target must be below worst")
        return self


def _weights_sum_to_one(objectives: list[Objective], what: str) -> None:
    total = sum(o.weight for o in objectives)
    if objectives and not math.isclose(total, 1.0, abs_tol=1e-6):
        # Enough digits that a sum just off 1 never reads "they sum to 1".
        raise ValueError(f"{what} weights must sum to 1 (they sum to {total:.10g})")


class Mandate(_Strict):
    """A team's private, weighted objectives; `after_fall` replaces them if its government falls."""

    objectives: list[Objective] = Field(min_length=1)
    after_fall: list[Objective] | None = None

    @model_validator(mode="after")
    def _check_weights(self) -> Mandate:
        _weights_sum_to_one(self.objectives, "mandate objective")
        if self.after_fall is not None:
            _weights_sum_to_one(self.after_fall, "after_fall objective")
        return self


class DomesticPolitics(_Strict):
    """The two-level game: what the public judges the government on, and when it falls."""

    initial: float = Field(ge=0, le=100)
    threshold: float = Field(ge=0, le=100)
    responsiveness: float = Field(
        ge=0, le=1, description="share of the gap to public satisfaction closed each round"
    )
    after_fall: float = Field(ge=0, le=100, description="support of the new government")
    fall_cost: float = Field(
        default=0.0,
        ge=0,
        le=100,
        description="points off the team's round score in the round its government falls",
    )
    drivers: list[Objective] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> DomesticPolitics:
        _weights_sum_to_one(self.drivers, "support driver")
        if self.after_fall <= self.threshold:
            raise ValueError("after_fall must be above threshold, or governments fall forever")
        return self


class Endowment(_Strict):
    """What a team starts with. Money is in millions of euros per round (two years)."""

    budget: float = Field(ge=0, description="income per round, €m")
    population: float = Field(gt=0, description="millions")
    development: float = Field(gt=0, description="GDP per head, thousand US$ PPP")
    youth_share: float = Field(ge=0, le=1, default=0.2)
    refugees: float = Field(ge=0, default=0.0, description="refugees hosted at the start")
    stranded: float = Field(ge=0, default=0.0, description="stranded migrants at the start")
    diaspora: float = Field(ge=0, default=0.0, description="nationals living abroad")
    return_backlog: float = Field(ge=0, default=0.0, description="people ordered to leave")
    labour_shortage: float = Field(ge=0, default=0.0, description="workers wanted per round")
    trade_value: float = Field(ge=0, default=0.0, description="€m a round at full trade access")
    conflict: float = Field(ge=0, le=1, default=0.0)
    outside_investment: float = Field(
        ge=0,
        default=0.0,
        description="€m a round other partners invest while the team has no destination deal",
    )
    outside_trade: float = Field(
        ge=0,
        default=0.0,
        description="€m a round of trade with other markets while the team has no such deal",
    )


class Policies(_Strict):
    """Unilateral policy settings, chosen in implementation (GAME.md §2.3)."""

    border_enforcement: float = Field(ge=0, le=100, default=20)
    development_spending: float = Field(ge=0, default=0, description="€m a round abroad")
    integration_spending: float = Field(ge=0, default=0, description="€m a round at home")
    return_operations: float = Field(ge=0, default=0, description="€m a round on returns")
    labour_permits: float = Field(ge=0, default=0, description="permits a round, unilateral")
    refugee_work_permits: float = Field(ge=0, default=0, description="permits a round")


class Team(_Strict):
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
    name: str
    type: TeamType
    description: str = ""
    colour: str = "#555555"
    endowment: Endowment
    policies: Policies = Policies()
    mandate: Mandate
    support: DomesticPolitics
    coercive_tools: list[CoerciveTool] = []
    monitor: bool = Field(
        default=False, description="sees true compliance of everyone (an organisation)"
    )


class Corridor(_Strict):
    """A route people take: origin → (transit) → destination."""

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
    name: str
    origin: str
    transit: str | None = None
    destination: str
    base_pressure: float = Field(
        ge=0, description="potential migrants a round at the top of the hump, no conflict"
    )
    base_death_rate: float = Field(ge=0, le=0.2, description="share of crossers dying")
    recognition_rate: float = Field(ge=0, le=1, description="asylum claims recognised")
    refugee_share: float = Field(
        ge=0, le=1, default=1.0, description="share of the origin's displaced fleeing into transit"
    )


class Hump(_Strict):
    peak: float = Field(gt=0, description="GDP per head (k$ PPP) where emigration peaks")


class Model(_Strict):
    """Every constant of the resolution (GAME.md §5). See FACTS.md for the figures."""

    hump: Hump
    youth_reference: float = Field(gt=0, le=1)
    irregular_propensity: float = Field(ge=0, le=1)
    legal_substitution: float = Field(ge=0, le=1)
    base_match_rate: float = Field(ge=0, le=1)
    trained_match_rate: float = Field(ge=0, le=1)
    training_cost_per_permit: float = Field(ge=0)
    visa_mobility: list[float] = Field(min_length=4, max_length=4)
    block_efficiency: float = Field(ge=0, le=1)
    enforcement_cost: float = Field(ge=0, description="€m a round per point of enforcement")
    displacement: float = Field(ge=0, description="rise in death rate at full enforcement")
    safe_alternative_scale: float = Field(
        ge=0, description="how fast legal channels make the route safer (legal share × this)"
    )
    claim_rate: float = Field(ge=0, le=1)
    base_readmission: float = Field(ge=0, le=1)
    return_cost: float = Field(gt=0, description="€m per thousand returns")
    reintegration_boost: float = Field(ge=0, le=1)
    reintegration_cost: float = Field(gt=0, description="€m per thousand reintegrated")
    remigration_share: float = Field(ge=0, le=1)
    displacement_rate: float = Field(ge=0, le=1, description="share of population per conflict")
    onward_rate: float = Field(ge=0, le=1)
    resettlement_cost: float = Field(ge=0, description="€m per thousand resettled")
    refugee_return_rate: float = Field(ge=0, le=1)
    hosting_cost: float = Field(ge=0, description="€m per thousand hosted a round")
    work_permit_relief: float = Field(ge=0, le=1)
    remittance_legal: float = Field(ge=0, description="€m a round per thousand legal migrants")
    remittance_irregular: float = Field(ge=0)
    growth_base: float
    growth_per_remittance: float = Field(ge=0)
    growth_per_investment: float = Field(ge=0)
    absorptive_capacity: float = Field(gt=0, description="€m a round before returns diminish")
    opportunity_per_investment: float = Field(ge=0)
    opportunity_decay: float = Field(ge=0, le=1)
    investment_budget_share: float = Field(ge=0, le=1)
    trust_effect_floor: float = Field(ge=0, le=1)
    trust_honour_threshold: float = Field(ge=0, le=100)
    trust_honour_gain: float = Field(ge=0)
    trust_withdrawal_cost: float = Field(ge=0)
    trust_coercion_target_cost: float = Field(ge=0)
    trust_coercion_observer_cost: float = Field(ge=0)
    monitoring_noise: float = Field(ge=0, le=50, description="± points on observed compliance")
    coercion_effect: float = Field(ge=0, le=1, description="short-run force of coercion")
    coercion_support_gain: float = Field(ge=0, description="support the coercer wins at home")
    coercion_support_loss: float = Field(ge=0, description="support the target loses")
    ratification_cost: float = Field(ge=0, description="support points a signature costs")
    coercion_memory: int = Field(
        ge=0,
        le=10,
        default=0,
        description="rounds after a coercion in which its target and the coercer's public remember",
    )
    coercion_backlash: float = Field(
        ge=0,
        le=1,
        default=0.0,
        description="share by which a coerced team's cooperation with its coercer falls later",
    )
    coercion_peer_backlash: float = Field(
        ge=0,
        le=1,
        default=0.0,
        description="share by which the target's peers (the other teams of its type, which "
        "the same tool could hit next) cooperate less with the coercer later: the public "
        "record of pressure",
    )
    coercion_adaptation: float = Field(
        ge=0,
        le=1,
        default=0.0,
        description="share of its force a coercion loses for each remembered use of the same "
        "tool by the same coercer on the same target",
    )
    coercion_support_fade: float = Field(
        ge=0,
        default=0.0,
        description="support a coercer loses each later remembered round, per coercion",
    )
    variable_tranche: float = Field(
        ge=0,
        le=1,
        default=0.0,
        description="share of each payment (funding, investment) withheld while its receiver "
        "was seen delivering less than tranche_bar to the payer in the same agreement last round",
    )
    tranche_bar: float = Field(
        ge=0,
        le=100,
        default=80.0,
        description="observed delivery (%) a receiver must reach for a payment's variable tranche",
    )
    destination_block_share: float = Field(
        ge=0,
        le=1,
        default=0.5,
        description="how much of its block efficiency a destination's own border reaches",
    )
    return_caseload_decay: float = Field(
        ge=0,
        le=1,
        default=0.0,
        description="share of the ordered-to-leave who leave the return caseload a round "
        "without a forced return (departure on their own, regularisation, moving on)",
    )
    origin_block_share: float = Field(
        ge=0,
        le=1,
        default=0.0,
        description="how much of its block efficiency an origin's own exit controls reach",
    )
    third_country_share: float = Field(
        ge=0,
        le=1,
        default=0.5,
        description="share of a transit's third-country readmission that applies to a corridor",
    )
    gate_opening_release: float = Field(
        ge=0, le=1, default=0.5, description="share of stranded migrants gate-opening sends on"
    )
    reintegration_need_share: float = Field(
        gt=0,
        le=1,
        default=0.5,
        description="share of the return caseload reintegration funds must cover for full effect",
    )
    trust_breach_multiplier: float = Field(
        ge=1, default=2.0, description="a broken promise costs this many times an honoured one"
    )
    legal_diaspora_share: float = Field(
        ge=0, le=1, default=0.7, description="share of the starting diaspora with legal status"
    )
    visa_support_cost: float = Field(
        ge=0, default=0.0, description="support a giver loses a round per visa level delivered"
    )
    trade_support_cost: float = Field(
        ge=0, default=0.0, description="support a giver loses a round at full trade access"
    )
    readmission_support_cost: float = Field(
        ge=0,
        default=0.0,
        description="support an origin or transit loses a round at 100 % readmission delivered",
    )
    labour_permit_support_cost: float = Field(
        ge=0,
        default=0.0,
        description="support a destination loses a round per 100,000 work permits it grants",
    )
    resettlement_max_share: float = Field(
        ge=0,
        le=1,
        default=1.0,
        description="most of a host's refugees resettled in one round, all terms together",
    )
    refugee_permit_takeup: float = Field(
        ge=0,
        le=1,
        default=1.0,
        description="share of refugee work permits that become a livelihood (the Jordan Compact)",
    )
    refugee_permit_support_cost: float = Field(
        ge=0,
        default=0.0,
        description="support a host loses a round per 100,000 refugee work permits it grants",
    )
    refugee_remittance: float = Field(
        ge=0,
        default=0.0,
        description=(
            "€m a round per thousand refugees in work that they send to their country of "
            "origin (0: refugees' work is worth nothing at home)"
        ),
    )


CORRIDOR_VARIABLES = frozenset({"base_pressure", "death_rate"})
"""Event variables of a corridor; every other one belongs to a team."""


class EventEffect(_Strict):
    """One change an event makes. `target` is a team id, a corridor id, or `all`."""

    target: str
    variable: Literal[
        "conflict",
        "development",
        "support",
        "labour_shortage",
        "budget",
        "base_pressure",
        "death_rate",
        "trade_value",
        "opportunity",
    ]
    change: float
    mode: Literal["add", "multiply"] = "add"


class EventCard(_Strict):
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,47}$")]
    title: str
    news: str
    effects: list[EventEffect] = Field(min_length=1)
    duration: int = Field(ge=1, le=10, default=1, description="rounds it lasts")
    weight: float = Field(ge=0, default=1.0, description="chance of being drawn, relative")
    scheduled_round: int | None = Field(default=None, ge=1)


class Events(_Strict):
    draws_per_round: float = Field(ge=0, le=3, default=1.0)
    deck: list[EventCard] = []


class TermLevels(_Strict):
    """The offers on the table for one kind of term: the deal language of a scenario.

    The deal-space analysis and the bots both read these levels, so a debrief's frontier
    and a bot's offers are made of the same deals. `giver` and `receiver` name a team or a
    team type (`origin`); for a pair of teams, an entry naming a team beats one naming its
    type. `levels` are the amounts a facilitator would call sensible offers, ascending and
    above zero; leaving the term out of a deal is always possible as well.
    """

    type: TermType
    giver: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
    receiver: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
    levels: list[Annotated[float, Field(gt=0)]] = Field(min_length=1, max_length=8)
    earmark: Earmark | None = None
    skills_training: bool = False
    third_country: bool = False
    note: str = ""

    @model_validator(mode="after")
    def _check(self) -> TermLevels:
        if any(b <= a for a, b in itertools.pairwise(self.levels)):
            raise ValueError(f"levels must be ascending and distinct, got {self.levels}")
        if self.type in PERCENT_TERMS and self.levels[-1] > 100:
            raise ValueError(f"{self.type.value} levels are percentages, 0 to 100")
        if self.type is TermType.visa_facilitation and any(
            lvl not in VISA_AMOUNTS for lvl in self.levels
        ):
            raise ValueError("visa levels are 1 (facilitated), 2 (multiple-entry), 3 (visa-free)")
        if self.type is TermType.funding and self.earmark is None:
            raise ValueError("funding needs an earmark (what the money is for)")
        if self.type is not TermType.funding and self.earmark is not None:
            raise ValueError("only funding carries an earmark")
        if self.skills_training and self.type is not TermType.labour_pathway:
            raise ValueError("skills training belongs to a labour pathway")
        if self.third_country and self.type is not TermType.readmission:
            raise ValueError("third_country belongs to readmission")
        return self

    def specificity(self) -> int:
        """How closely the entry names a pair: 2 by two team ids, 0 by two team types."""
        types = {t.value for t in TeamType}
        return (self.giver not in types) + (self.receiver not in types)


def _a(noun: str) -> str:
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"


class TeachingGoal(_Strict):
    """A claim of the paper the balance tool checks this scenario makes felt."""

    id: str
    claim: str


class Scenario(_Strict):
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,47}$")]
    name: str
    description: str
    start_year: int = 2018
    years_per_round: int = Field(ge=1, le=10, default=2)
    rounds: int = Field(ge=1, le=20, default=5)
    hide_round_count: bool = False
    initial_trust: float = Field(ge=0, le=100, default=50)
    teams: list[Team] = Field(min_length=2, max_length=8)
    corridors: list[Corridor] = Field(min_length=1)
    model: Model
    events: Events = Events()
    deal_levels: list[TermLevels] | None = Field(
        default=None,
        description="the offers on the table; left out, levels are derived from endowments",
    )
    teaching_goals: list[TeachingGoal] = []
    sources: dict[str, str] = {}
    translations: dict[Annotated[str, Field(pattern=r"^[a-z]{2}$")], dict[str, str]] = Field(
        default={},
        description="language → the scenario's own text (a name, a description, an event's "
        "title or news, an objective's note) → that text in the language; screens in another "
        "language fall back to the scenario's own text",
    )

    def translation_problems(self, source: str) -> list[str]:
        """Translations of texts the scenario does not have (a typo, or a text changed
        since): they never show. `compact scenario check` lists them; a game still runs,
        so a facilitator who renames a team in a copied file is not refused."""
        own = set(self.texts())
        problems = []
        for lang, table in self.translations.items():
            for text, translation in table.items():
                if text not in own:
                    problems.append(
                        f"{source}: translations.{lang}: {text[:60]!r} is not a text of "
                        "this scenario (a name, a description, an event's title or news)"
                    )
                elif not translation.strip():
                    problems.append(f"{source}: translations.{lang}: {text[:60]!r} is empty")
        return problems

    def texts(self) -> list[str]:
        """Every text of the scenario a person reads: what `translations` may translate."""
        out = [self.name, self.description]
        for t in self.teams:
            out += [t.name, t.description, *(o.note for o in t.mandate.objectives)]
        out += [c.name for c in self.corridors]
        out += [x for card in self.events.deck for x in (card.title, card.news)]
        return [x for x in out if x]

    @model_validator(mode="after")
    def _check_references(self) -> Scenario:
        ids = [t.id for t in self.teams]
        if len(set(ids)) != len(ids):
            raise ValueError(f"team ids must be unique: {ids}")
        by_id = {t.id: t for t in self.teams}
        corridor_ids = [c.id for c in self.corridors]
        if len(set(corridor_ids)) != len(corridor_ids):
            raise ValueError(f"corridor ids must be unique: {corridor_ids}")
        for c in self.corridors:
            for role, tid, want in (
                ("origin", c.origin, TeamType.origin),
                ("transit", c.transit, TeamType.transit),
                ("destination", c.destination, TeamType.destination),
            ):
                if tid is None:
                    continue
                if tid not in by_id:
                    raise ValueError(
                        f"corridor {c.id!r}: {role} {tid!r} is not a team (teams: {ids})"
                    )
                if by_id[tid].type is not want:
                    raise ValueError(
                        f"corridor {c.id!r}: {role} {tid!r} is a {by_id[tid].type}, "
                        f"expected a {want}"
                    )
        targets = set(ids) | set(corridor_ids) | {"all"}
        for card in self.events.deck:
            for eff in card.effects:
                if eff.target not in targets:
                    raise ValueError(
                        f"event {card.id!r}: target {eff.target!r} is neither a team, "
                        f"a corridor nor 'all'"
                    )
                # An effect on a variable its target does not have would do nothing in play.
                if eff.target in by_id and eff.variable in CORRIDOR_VARIABLES:
                    raise ValueError(
                        f"event {card.id!r}: {eff.variable} belongs to a corridor, but "
                        f"{eff.target!r} is a team (corridors: {corridor_ids})"
                    )
                if eff.target in corridor_ids and eff.variable not in CORRIDOR_VARIABLES:
                    raise ValueError(
                        f"event {card.id!r}: {eff.variable} belongs to a team, but "
                        f"{eff.target!r} is a corridor (teams: {ids})"
                    )
        self._check_deal_levels(by_id)
        return self

    def _check_deal_levels(self, by_id: dict[str, Team]) -> None:
        types = {t.value: t for t in TeamType}

        def side_types(entry: int, role: str, name: str) -> set[TeamType]:
            if name in by_id:
                return {by_id[name].type}
            if name in types:
                return {types[name]}
            raise ValueError(
                f"deal_levels {entry}: {role} {name!r} is neither a team nor a team type "
                f"(teams: {list(by_id)}; types: {list(types)})"
            )

        owner: dict[tuple[TermType, str, str], tuple[int, int]] = {}
        for i, lv in enumerate(self.deal_levels or [], start=1):
            what = lv.type.value.replace("_", " ")
            for role, verb, name, allowed in (
                ("giver", "give", lv.giver, TERM_GIVERS[lv.type]),
                ("receiver", "receive", lv.receiver, TERM_RECEIVERS[lv.type]),
            ):
                wrong = side_types(i, role, name) - set(allowed)
                if wrong:
                    raise ValueError(
                        f"deal_levels {i}: {_a(wrong.pop().value)} cannot {verb} {what} "
                        f"(only {' or '.join(_a(t.value) for t in allowed)})"
                    )
            if lv.giver == lv.receiver and lv.giver in by_id:
                raise ValueError(f"deal_levels {i}: giver and receiver are the same team")
            if lv.type is TermType.readmission:
                transit_giver = TeamType.transit in side_types(i, "giver", lv.giver)
                if transit_giver != lv.third_country:
                    raise ValueError(
                        f"deal_levels {i}: a transit state readmits third-country nationals "
                        f"(third_country: true) and an origin its own (third_country: false)"
                    )
            for g in self.teams:
                for r in self.teams:
                    if g.id == r.id or not (
                        lv.giver in (g.id, g.type.value) and lv.receiver in (r.id, r.type.value)
                    ):
                        continue
                    key = (lv.type, g.id, r.id)
                    rank = lv.specificity()
                    if key in owner and owner[key][1] == rank:
                        raise ValueError(
                            f"deal_levels {owner[key][0]} and {i} both set the levels of "
                            f"{what} from {g.id} to {r.id}; name the teams in one of them"
                        )
                    if key not in owner or owner[key][1] < rank:
                        owner[key] = (i, rank)

    def team(self, team_id: str) -> Team:
        for t in self.teams:
            if t.id == team_id:
                return t
        raise KeyError(team_id)

    def restricted_to(self, team_ids: list[str]) -> Scenario:
        """The same scenario with only some teams in play, and the corridors among them."""
        keep = set(team_ids)
        unknown = keep - {t.id for t in self.teams}
        if unknown:
            raise ValueError(f"unknown teams: {sorted(unknown)}")
        corridors = [
            c
            for c in self.corridors
            if c.origin in keep and c.destination in keep and (c.transit in keep or not c.transit)
        ]
        teams = [t for t in self.teams if t.id in keep]
        gone = {t.id for t in self.teams} - keep
        # An event's effects on teams and corridors no longer in play have nothing to act
        # on (a drought on a route that is not played); an event left with no effect is
        # not drawn at all, rather than drawn as news that changes nothing.
        present = keep | {c.id for c in corridors} | {"all"}
        deck = []
        for card in self.events.deck:
            effects = [e.model_dump() for e in card.effects if e.target in present]
            if effects:
                deck.append({**card.model_dump(), "effects": effects})
        data = {
            **self.model_dump(),
            "teams": [t.model_dump() for t in teams],
            "corridors": [c.model_dump() for c in corridors],
            "events": {**self.events.model_dump(), "deck": deck},
        }
        if self.deal_levels is not None:
            data["deal_levels"] = [
                lv.model_dump()
                for lv in self.deal_levels
                if lv.giver not in gone and lv.receiver not in gone
            ]
        return Scenario.model_validate(data)


class ScenarioError(ValueError):
    """A scenario file that cannot be used, with every problem found in it."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


def _format_errors(source: str, exc: ValidationError) -> list[str]:
    problems = []
    for err in exc.errors():
        path = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            msg = "required field is missing"
        elif err["type"] == "extra_forbidden":
            msg = "unknown field"
        problems.append(f"{source}: {path}: {msg}")
    return problems


def parse_scenario(data: Any, source: str = "<scenario>") -> Scenario:
    """Validate already-parsed data; raise ScenarioError naming source, field path and problem."""
    if not isinstance(data, dict):
        raise ScenarioError(source, [f"{source}: (top level): expected a mapping of fields"])
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(source, _format_errors(source, exc)) from None
    return scenario


def parse_scenario_bytes(data: bytes, source: str = "<scenario>") -> Scenario:
    """A scenario file's raw bytes: UTF-8 text (a byte-order mark is allowed), then YAML."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ScenarioError(
            source,
            [
                f"{source}: line {line}: not UTF-8 text (byte 0x{data[exc.start]:02x} at "
                f"offset {exc.start}); save the file as UTF-8"
            ],
        ) from None
    return parse_scenario_text(text, source)


# libyaml reads a scenario ~100× faster than the pure-Python parser and stops `[[[[…` at a
# nesting depth of 1,000 in milliseconds; the pure-Python parser needs seconds of CPU to reach
# a RecursionError on the same text, which made every upload a cheap denial of service.
YAML_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_scenario_text(text: str, source: str = "<scenario>") -> Scenario:
    try:
        data = yaml.load(text, Loader=YAML_LOADER)
    except RecursionError:
        raise ScenarioError(source, [f"{source}: the YAML is nested too deeply to read"]) from None
    except yaml.YAMLError as exc:
        if "maximum nesting depth" in str(exc):
            raise ScenarioError(
                source, [f"{source}: the YAML is nested too deeply to read"]
            ) from None
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise ScenarioError(source, [f"{source}: {where}not valid YAML ({exc})"]) from None
    return parse_scenario(data, source)
