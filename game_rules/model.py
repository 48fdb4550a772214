"""One resolution of the model (GAME.md §5): the round's decisions → flows, stocks, scores.

Deterministic given the state (which holds the seed). Every constant comes from the
scenario's `model` block; the comments say which claim of the paper each step carries.
"""

from __future__ import annotations

import math
from collections import defaultdict

from game_rules import records as R
from game_rules.actions import Earmark, TermType
from game_rules.rulebook import MORE_FOR_MORE, decision_cost, effective_enforcement, term_cost
from game_rules.scenario import Corridor, Direction, Model, Objective
from game_rules.state import (
    ActiveEvent,
    AgreementStatus,
    ComplianceRecord,
    CorridorFlows,
    Decision,
    GameState,
    RoundRecord,
    add_support,
    add_trust,
    happened,
    rng,
)

# Variables an event moves while it lasts, recomputed every round, versus stocks it moves
# once when it takes effect.
LEVEL_VARIABLES = frozenset(
    {"conflict", "labour_shortage", "base_pressure", "death_rate", "trade_value", "opportunity"}
)


def hump(development: float, peak: float) -> float:
    """Emigration rises with development up to `peak`, then falls (Clemens' migration hump).

    x·e^(1−x) with x = development/peak: 1 at the peak, ~0.74 at half of it, ~0.74 at twice.
    """
    x = development / peak
    return x * math.exp(1.0 - x)


def objective_value(objective: Objective, x: float) -> float:
    """Linear utility between worst (0) and target (1), clamped (FACTS.md)."""
    if objective.direction is Direction.higher_is_better:
        v = (x - objective.worst) / (objective.target - objective.worst)
    else:
        v = (objective.worst - x) / (objective.worst - objective.target)
    return min(1.0, max(0.0, v))


def score_of(objectives: list[Objective], indicators: dict[str, float]) -> float:
    return 100.0 * sum(
        o.weight * objective_value(o, indicators.get(o.indicator, 0.0)) for o in objectives
    )


def take_effect(state: GameState, ev: ActiveEvent) -> None:
    """Stock variables move once, when an event is played."""
    for eff in ev.effects:
        if eff.variable in LEVEL_VARIABLES:
            continue
        for tid in _targets(state, eff.target):
            team = state.teams[tid]
            if eff.variable == "support":
                add_support(
                    state, tid, eff.change if eff.mode == "add" else team.support * (eff.change - 1)
                )
            elif eff.variable == "budget":
                team.treasury = max(
                    0.0,
                    team.treasury + eff.change if eff.mode == "add" else team.treasury * eff.change,
                )
            elif eff.variable == "development":
                team.development = max(
                    0.1,
                    team.development + eff.change
                    if eff.mode == "add"
                    else team.development * eff.change,
                )


def _targets(state: GameState, target: str) -> list[str]:
    if target == "all":
        return list(state.teams)
    if target in state.teams:
        return [target]
    return []  # a corridor: only level variables (pressure, death rate) apply to it


def _level(state: GameState, target: str, variable: str, base: float) -> float:
    value = base
    for ev in state.events:
        for eff in ev.effects:
            if eff.variable != variable or eff.target not in (target, "all"):
                continue
            value = value + eff.change if eff.mode == "add" else value * eff.change
    return value


def _trust_effect(state: GameState, a: str, b: str) -> float:
    """Genuine partnerships deliver more: mutual trust scales how well cooperation works."""
    floor = state.scenario.model.trust_effect_floor
    mutual = (state.trust[a][b] + state.trust[b][a]) / 200.0
    return floor + (1.0 - floor) * mutual


class _Round:
    """Working values of one resolution."""

    def __init__(self, state: GameState) -> None:
        self.state = state
        self.m = state.scenario.model
        self.decisions: dict[str, Decision] = {}
        for tid, team in state.teams.items():
            assert team.decision is not None, "defaults are filled before resolution"
            self.decisions[tid] = team.decision
        self.delivered: dict[str, float] = {}  # term id → share delivered (0..1), 0 if suspended
        self.suspended: set[str] = set()
        self.released: dict[str, float] = {}  # benefit term id → share released (0..1)
        self.honoured: dict[str, float] = {}  # term id → share its giver delivered (0..1)
        self.flows: dict[str, CorridorFlows] = {}
        self.received: dict[tuple[str, TermType, str | None], float] = defaultdict(float)
        self.indicators: dict[str, dict[str, float]] = {t: defaultdict(float) for t in state.teams}
        self.scores: dict[str, float] = {}
        self.fallen: list[str] = []
        # Pressure lifted by a deal signed after it in the same round has no effect now.
        self.coerced: dict[tuple[str, str, str], bool] = {
            (c.tool, c.by, c.target): True
            for c in state.coercions
            if c.round == state.round and not c.lifted
        }

        # Coercion of the last `coercion_memory` rounds (not this one): its target resents
        # the coercer, and the coercer's public starts counting what the pressure cost.
        memory = self.m.coercion_memory
        self.remembered = [c for c in state.coercions if 1 <= state.round - c.round <= memory]
        self.resents = {(c.target, c.by) for c in self.remembered}
        # Pressure is public (a refusal of returns, a sanction, opened gates are news): the
        # target's peers, the teams of its type the same tool could hit next, read it as
        # how the coercer treats partners like them, and cooperate less with it too. With
        # several destinations an origin that presses one of them, usually one it has no
        # deal with, loses nothing with its target; the lasting cost falls on the deals it
        # keeps with the others.
        types = {tid: state.scenario.team(tid).type for tid in state.teams}
        self.wary = {
            (peer, c.by)
            for c in self.remembered
            for peer in state.teams
            if peer not in (c.by, c.target) and types[peer] == types[c.target]
        }
        # Pressure repeated on the same target works less each time: the target learns to
        # resist it (a destination refused returns finds other ways to identify and return
        # people; an origin under sanctions stops giving in), while its bill keeps coming.
        self.force: dict[tuple[str, str, str], float] = {
            key: (1.0 - self.m.coercion_adaptation)
            ** sum(1 for c in self.remembered if (c.tool, c.by, c.target) == key)
            for key in self.coerced
        }

    def coercion(self, tool: str, by: str, target: str) -> bool:
        return (tool, by, target) in self.coerced

    def force_of(self, tool: str, by: str, target: str) -> float:
        """How much of its force a coercion used this round still has (0 if not used)."""
        return self.force.get((tool, by, target), 0.0)

    def goodwill(self, giver: str, receiver: str) -> float:
        """How well `giver` cooperates with `receiver`: less if the receiver coerced it,
        or coerced one of the giver's peers (`wary`).

        "A mere policy of putting pressure on countries of origin was not sustainable":
        pressure may work in the round it is used; afterwards its target cooperates less.
        """
        if (giver, receiver) in self.resents:
            return 1.0 - self.m.coercion_backlash
        if (giver, receiver) in self.wary:
            return 1.0 - self.m.coercion_peer_backlash
        return 1.0


def resolve_round(state: GameState) -> list[R.Record]:
    """Compute the round. Called by the rules when implementation ends."""
    r = _Round(state)
    records = _settle_commitments(r)
    _tranches(r)
    _pay(r)
    for corridor in state.scenario.corridors:
        _corridor(r, corridor)
    _refugees(r)
    _economies(r)
    _indicators(r)
    records += _politics_and_trust(r)
    records += _close_round(r)
    return records


def _settle_commitments(r: _Round) -> list[R.Record]:
    """True compliance per live term; conditions suspend terms whose requirement failed.

    Conditions are evaluated to a fixed point: a suspended term counts as 0 % honoured, so
    chains and cycles of conditions settle (suspension only ever spreads, so it ends).
    """
    state = r.state
    live = state.live_terms()
    for _ag, term in live:
        d = r.decisions[term.giver]
        share = d.compliance.get(term.id, 100.0) / 100.0
        if term.type in (TermType.funding, TermType.investment) and r.coercion(
            "aid_cuts", term.giver, term.receiver
        ):
            share = 0.0
        if term.type is TermType.visa_facilitation and r.coercion(
            "visa_sanctions", term.giver, term.receiver
        ):
            share = 0.0
        # Coercion that breaks a signed term is a breach the partner sees, whatever the
        # coercer decided to "honour" on paper.
        if term.type is TermType.readmission and r.coercion(
            "readmission_refusal", term.giver, term.receiver
        ):
            share = 0.0
        if term.type is TermType.border_cooperation and r.coercion(
            "gate_opening", term.giver, term.receiver
        ):
            share = 0.0
        r.delivered[term.id] = share
    conditions = [(c, ag) for ag, _t in live for c in ag.conditions]
    changed = True
    while changed:
        changed = False
        for cond, _ag in conditions:
            if cond.term in r.suspended:
                continue
            required = 0.0 if cond.requires in r.suspended else r.delivered.get(cond.requires, 0)
            if required * 100.0 < cond.threshold:
                r.suspended.add(cond.term)
                changed = True
    records: list[R.Record] = []
    for ag, term in live:
        was = term.suspended
        term.suspended = term.id in r.suspended
        term.suspended_reason = "its condition was not met" if term.suspended else ""
        if term.suspended != was:
            change = R.TermSuspended if term.suspended else R.TermReleased
            records += happened(
                state,
                change(
                    round=state.round,
                    agreement_id=ag.id,
                    term_id=term.id,
                    parties=tuple(ag.parties),
                ),
            )
        if term.suspended:
            r.delivered[term.id] = 0.0
    return records


def _tranches(r: _Round) -> None:
    """More-for-more: "benefits against the prior fulfilment of a list of conditions".

    A benefit's variable tranche (`variable_tranche` of the money, market access or
    mobility a term gives) is released only if its receiver was seen delivering at least
    `tranche_bar` to the giver in the same agreement last round (the mean of its terms'
    observed compliance; a term suspended by its condition is not its receiver's breach),
    as budget support pays a variable tranche per indicator met. In a term's first round
    nothing has been seen yet, so all of it is given. Without this, a receiver who honoured
    only the letter kept every benefit from a giver who never answered with a condition of
    its own: shirking was free. Seen delivery decides, not the truth the giver cannot know;
    a bar at or under 100 minus the monitoring noise never withholds from a receiver who
    delivers in full.
    """
    r.honoured = dict(r.delivered)
    v = r.m.variable_tranche
    if v <= 0:
        return
    state = r.state
    seen: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for rec in state.compliance:
        if rec.round == state.round - 1 and not rec.suspended:
            seen[(rec.agreement_id, rec.giver, rec.receiver)].append(rec.observed_compliance)
    for ag, term in state.live_terms():
        if term.type not in MORE_FOR_MORE:
            continue
        observed = seen.get((ag.id, term.receiver, term.giver))
        if observed and sum(observed) / len(observed) < r.m.tranche_bar:
            r.released[term.id] = 1.0 - v
            # Withheld, not broken: the payer's record shows what it chose to honour.
            r.delivered[term.id] *= 1.0 - v


def _pay(r: _Round) -> None:
    """Each team pays its decisions; money terms reach their receivers."""
    state = r.state
    for tid, team in state.teams.items():
        d = r.decisions[tid]
        # Suspended terms are not paid for: recompute the cost with what is delivered.
        effective = Decision(
            compliance={k: r.delivered.get(k, 0.0) * 100.0 for k in d.compliance},
            policies=d.policies,
        )
        cost = min(decision_cost(state, tid, effective), team.treasury)
        team.treasury -= cost
        r.indicators[tid]["spending"] = cost
    for _ag, term in state.live_terms():
        share = r.delivered[term.id]
        amount = term.amount * share
        r.received[(term.receiver, term.type, term.earmark.value if term.earmark else None)] += (
            amount
        )
        if term.type is TermType.funding:
            state.teams[term.receiver].treasury += amount
        r.received[(term.giver, term.type, "given")] += amount


def _received(r: _Round, team: str, ttype: TermType, earmark: Earmark | None = None) -> float:
    return r.received.get((team, ttype, earmark.value if earmark else None), 0.0)


def _term_level(r: _Round, ttype: TermType, giver: str, receiver: str) -> float:
    """Delivered amount of the live term(s) of one type from giver to receiver."""
    total = 0.0
    for _ag, term in r.state.live_terms():
        if term.type is ttype and term.giver == giver and term.receiver == receiver:
            total += term.amount * r.delivered[term.id]
    return total


def _visa_mobility(r: _Round, level: float) -> float:
    table = r.m.visa_mobility
    lo = min(int(level), 3)
    hi = min(lo + 1, 3)
    return table[lo] + (table[hi] - table[lo]) * (level - lo)


def _corridor(r: _Round, c: Corridor) -> None:
    state, m = r.state, r.m
    origin = state.teams[c.origin]
    dest = state.teams[c.destination]
    transit = state.teams[c.transit] if c.transit else None
    dest_routes = [x for x in state.scenario.corridors if x.destination == c.destination]

    # Pressure: development drives migration before it reduces it (the hump); the young
    # and the lack of perspectives at home push; conflict forces.
    conflict = min(1.0, max(0.0, _level(state, c.origin, "conflict", origin.conflict)))
    opportunity = min(0.9, max(0.0, _level(state, c.origin, "opportunity", origin.opportunity)))
    base = _level(state, c.id, "base_pressure", c.base_pressure)
    pressure = base * hump(origin.development, m.hump.peak) * (
        origin.youth_share / m.youth_reference
    ) * (1.0 + conflict) * (1.0 - opportunity) + state.remigrants.get(c.id, 0.0)
    pot_origin = max(0, round(pressure))

    # Secondary movement: refugees without livelihoods and stranded migrants move on.
    onward = 0
    if transit is not None:
        through = [x for x in state.scenario.corridors if x.transit == transit.id]
        permits = r.indicators[transit.id].get("_refugee_permits_total", None)
        if permits is None:
            permits = _refugee_permits(r, transit.id)
            r.indicators[transit.id]["_refugee_permits_total"] = permits
        livelihood = _livelihood(m, permits, transit.refugees)
        from_refugees = transit.refugees * (1 - livelihood) * m.onward_rate / len(through)
        from_stranded = transit.stranded * m.onward_rate / len(through)
        if r.coercion("gate_opening", transit.id, c.destination):
            release = m.onward_rate + (m.gate_opening_release - m.onward_rate) * r.force_of(
                "gate_opening", transit.id, c.destination
            )
            from_stranded = transit.stranded * release / len(through)
        onward_refugees = min(round(from_refugees), int(transit.refugees))
        onward_stranded = min(round(from_stranded), int(transit.stranded))
        transit.refugees -= onward_refugees
        transit.stranded -= onward_stranded
        onward = onward_refugees + onward_stranded

    # Legal outflow: permits times the skills match (training raises it), plus visa mobility.
    permits_agreed = 0.0
    trained = 0.0
    for _ag, term in state.live_terms():
        if (
            term.type is TermType.labour_pathway
            and term.giver == c.destination
            and term.receiver == c.origin
        ):
            delivered = term.amount * r.delivered[term.id]
            permits_agreed += delivered
            if term.skills_training:
                trained += delivered
    training_funds = _term_level_earmark(r, c.destination, c.origin, Earmark.training)
    trained = min(
        permits_agreed, trained + training_funds / max(m.training_cost_per_permit, 1e-9) * 1000.0
    )
    unilateral = r.decisions[c.destination].policies.labour_permits / len(dest_routes)
    matched = (
        permits_agreed - trained + unilateral
    ) * m.base_match_rate + trained * m.trained_match_rate
    visa_level = _term_level(r, TermType.visa_facilitation, c.destination, c.origin)
    if r.coercion("visa_sanctions", c.destination, c.origin):
        visa_level = 0.0
    visa = _visa_mobility(r, min(visa_level, 3.0)) * pot_origin
    goodwill = r.goodwill(c.destination, c.origin)  # consulates and employers slow down
    legal = min(
        pot_origin,
        round((matched * _trust_effect(state, c.origin, c.destination) + visa) * goodwill),
    )

    # Irregular attempts: legal channels substitute only weakly (no evidence they
    # automatically cut irregular migration).
    remaining = pot_origin - legal
    legal_share = legal / pot_origin if pot_origin else 0.0
    propensity = m.irregular_propensity * (1.0 - m.legal_substitution * legal_share)
    attempts_origin = round(remaining * propensity)
    stayed = remaining - attempts_origin
    # An origin's own exit controls (its policy, or border cooperation it committed to)
    # hold back some of its nationals at its own border; they stay home, at a cost.
    e_origin = effective_enforcement(state, origin, r.decisions[origin.id]) / 100.0
    held = min(
        attempts_origin,
        round(attempts_origin * m.origin_block_share * m.block_efficiency * e_origin),
    )
    attempts = attempts_origin - held + onward

    # Transit gatekeeping: enforcement blocks; without safe alternatives people take
    # riskier routes and more die.
    e_transit = 0.0
    if transit is not None:
        own = min(r.decisions[transit.id].policies.border_enforcement, 100.0)
        committed = effective_enforcement(state, transit, r.decisions[transit.id])
        # Joint operations beyond what the transit does on its own work as well as the
        # partnership does: trust scales the committed part, as it does every cooperation.
        e_transit = (
            own + (committed - own) * _trust_effect(state, transit.id, c.destination)
        ) / 100.0
        e_transit *= 1.0 - r.force_of("gate_opening", transit.id, c.destination)
        e_transit *= r.goodwill(transit.id, c.destination)  # border guards look away
    e_dest = effective_enforcement(state, dest, r.decisions[dest.id]) / 100.0
    blocking = 1.0 - (1.0 - m.block_efficiency * e_transit) * (
        1.0 - m.destination_block_share * m.block_efficiency * e_dest
    )
    blocked = min(attempts, round(attempts * blocking))
    safe = min(1.0, legal_share * m.safe_alternative_scale)
    death_rate = _level(state, c.id, "death_rate", c.base_death_rate) * (
        1.0 + m.displacement * blocking * (1.0 - safe)
    )
    died = min(attempts - blocked, round((attempts - blocked) * min(death_rate, 0.5)))
    arrived = attempts - blocked - died
    if transit is not None:
        transit.stranded += blocked  # without a transit state, the blocked are turned back home
    blocked_at_origin = held

    # Destination: claims, recognition (higher in war), the return caseload.
    claims = round(arrived * m.claim_rate)
    recognition = c.recognition_rate + (1.0 - c.recognition_rate) * conflict
    recognised = min(claims, round(claims * recognition))
    rejected = arrived - recognised
    state.backlog[c.id] = state.backlog.get(c.id, 0.0) + rejected

    # Effective returns = caseload × readmission × capacity × trust: returns depend on the
    # origin's cooperation, and that on reintegration and a relationship worth keeping.
    readmission = max(
        m.base_readmission,
        _term_level(r, TermType.readmission, c.origin, c.destination) / 100.0,
    )
    if transit is not None:
        third = _term_level(r, TermType.readmission, transit.id, c.destination) / 100.0
        third *= r.goodwill(transit.id, c.destination)
        readmission = 1.0 - (1.0 - readmission) * (1.0 - m.third_country_share * third)
    reintegration_funds = _term_level_earmark(r, c.destination, c.origin, Earmark.reintegration)
    backlog = state.backlog[c.id]
    coverage = min(
        1.0,
        reintegration_funds
        * 1000.0
        / (m.reintegration_cost * max(backlog, 1.0) * m.reintegration_need_share),
    )
    readmission = min(1.0, readmission + m.reintegration_boost * coverage)
    for tool in ("visa_sanctions", "aid_cuts"):
        # Pressure works, in the short run.
        force = r.force_of(tool, c.destination, c.origin)
        readmission += m.coercion_effect * force * (1.0 - readmission)
    readmission *= r.goodwill(c.origin, c.destination)
    readmission *= 1.0 - r.force_of("readmission_refusal", c.origin, c.destination)
    capacity = r.decisions[dest.id].policies.return_operations / m.return_cost * 1000.0
    share_of_capacity = backlog / max(1.0, sum(state.backlog.get(x.id, 0.0) for x in dest_routes))
    returns = round(
        min(
            backlog * readmission * _trust_effect(state, c.origin, c.destination),
            capacity * share_of_capacity,
        )
    )
    returns = max(0, min(returns, int(backlog)))
    # Many of those ordered to leave leave the caseload without a forced return (they
    # depart on their own, are regularised or move on): the caseload does not pile up.
    # Those whose return the origin refuses stay in the caseload, waiting for papers (a
    # destination may hold them while the origin does not cooperate): refusal postpones
    # returns more than it cancels them.
    refused = r.force_of("readmission_refusal", c.origin, c.destination)
    state.backlog[c.id] = (backlog - returns) * (1.0 - m.return_caseload_decay * (1.0 - refused))
    reintegrated = min(returns, round(coverage * returns))
    state.remigrants[c.id] = (returns - reintegrated) * m.remigration_share

    # Stocks: who is now where.
    origin.diaspora_legal += legal + recognised
    origin.diaspora_irregular = max(0.0, origin.diaspora_irregular + arrived - recognised - returns)
    # The blocked are stranded in the transit state (they left the origin); without a
    # transit state they were turned back at the border and are home again.
    turned_back = held + (0 if transit is not None else blocked)
    origin.population = max(
        0.1, origin.population - (legal + attempts_origin - turned_back - returns) / 1e6
    )

    flows = CorridorFlows(
        potential=pot_origin + onward,
        stayed=stayed,
        legal=legal,
        blocked=blocked + blocked_at_origin,
        died=died,
        arrived=arrived,
        asylum_claims=claims,
        recognised=recognised,
        returns=returns,
    )
    r.flows[c.id] = flows
    ind_o, ind_d = r.indicators[c.origin], r.indicators[c.destination]
    ind_d["irregular_arrivals"] += arrived
    ind_d["asylum_claims"] += claims
    ind_d["effective_returns"] += returns
    ind_d["_ordered_to_leave"] += backlog
    ind_d["legal_workers"] += legal
    ind_d["deaths"] += died
    ind_o["legal_migrants"] += legal
    ind_o["forced_returns"] += returns - reintegrated
    ind_o["reintegrated"] += reintegrated
    ind_o["deaths"] += died
    ind_o["visa_level"] = max(ind_o["visa_level"], visa_level)
    ind_o["readmission_level"] = max(ind_o["readmission_level"], readmission * 100.0)
    if transit is not None:
        ind_t = r.indicators[transit.id]
        ind_t["transit_deaths"] += died
        ind_t["visa_level"] = max(
            ind_t["visa_level"],
            _term_level(r, TermType.visa_facilitation, c.destination, transit.id),
        )


def _term_level_earmark(r: _Round, giver: str, receiver: str, earmark: Earmark) -> float:
    total = 0.0
    for _ag, term in r.state.live_terms():
        if (
            term.type is TermType.funding
            and term.earmark is earmark
            and term.giver == giver
            and term.receiver == receiver
        ):
            total += term.amount * r.delivered[term.id]
    return total


def _refugee_permits(r: _Round, host: str) -> float:
    permits = r.decisions[host].policies.refugee_work_permits
    for _ag, term in r.state.live_terms():
        if term.type is TermType.refugee_work_permits and term.giver == host:
            permits += term.amount * r.delivered[term.id]
    return permits


def _livelihood(m: Model, permits: float, refugees: float) -> float:
    """Share of refugees with work: only a share of permits become jobs (Jordan issued
    about 35,000 of 200,000 promised: fees, sectors closed to them, distant zones)."""
    if refugees <= 0:
        return 1.0
    return min(1.0, permits * m.refugee_permit_takeup / refugees)


def _refugees(r: _Round) -> None:
    """War displaces people into neighbours; work permits, resettlement and return relieve."""
    state, m = r.state, r.m
    for c in state.scenario.corridors:
        if c.transit is None:
            continue
        origin = state.teams[c.origin]
        conflict = min(1.0, max(0.0, _level(state, c.origin, "conflict", origin.conflict)))
        shares = sum(
            x.refugee_share for x in state.scenario.corridors if x.origin == c.origin and x.transit
        )
        displaced = round(
            origin.population
            * 1e6
            * conflict
            * m.displacement_rate
            * (c.refugee_share / shares if shares else 0.0)
        )
        state.teams[c.transit].refugees += displaced
        origin.population = max(0.1, origin.population - displaced / 1e6)
        r.flows[c.id].refugees_displaced = displaced
    for tid, host in state.teams.items():
        if host.refugees <= 0 and host.stranded <= 0:
            continue
        resettled = 0.0
        # Under 1 % of refugees are resettled: places, selection missions and the
        # receiving states' quotas limit what any promise delivers in a round.
        places = host.refugees * m.resettlement_max_share
        for _ag, term in state.live_terms():
            if term.type is TermType.resettlement and term.receiver == tid:
                take = min(host.refugees, places - resettled, term.amount * r.delivered[term.id])
                take = max(0.0, take)
                host.refugees -= take
                resettled += take
                r.indicators[term.giver]["resettled"] += take
        returned = host.refugees * m.refugee_return_rate
        host.refugees -= returned
        permits = _refugee_permits(r, tid)
        livelihood = _livelihood(m, permits, host.refugees)
        cost = (
            (host.refugees + host.stranded)
            / 1000.0
            * m.hosting_cost
            * (1.0 - m.work_permit_relief * livelihood)
        )
        paid = min(cost, host.treasury)
        host.treasury -= paid
        ind = r.indicators[tid]
        ind["resettled_from"] = resettled
        ind["hosting_cost"] = cost
        # The burden is what hosting costs the host's society (people, services, jobs),
        # whoever pays the bill: money for hosting is counted once, in funding_received.
        ind["hosting_burden"] = cost
        ind["unmet_needs"] = cost - paid
        ind["refugee_livelihood"] = livelihood * 100.0


def _economies(r: _Round) -> None:
    """Remittances, investment and funding grow economies (with absorptive capacity);
    trade access raises income; investment and jobs give the young perspectives at home."""
    state, m = r.state, r.m
    cap = m.absorptive_capacity
    for tid, team in state.teams.items():
        ind = r.indicators[tid]
        remittances = (
            team.diaspora_legal / 1000.0 * m.remittance_legal
            + team.diaspora_irregular / 1000.0 * m.remittance_irregular
            + _refugee_remittances(r, tid)
        )
        # The weaker partner's exit option: other partners (regional, other powers, the
        # diaspora) invest and buy while it is not tied to a destination ("subdue or leave").
        endowment_spec = state.scenario.team(tid).endowment
        free = not _tied_to_a_destination(state, tid)
        outside_investment = endowment_spec.outside_investment if free else 0.0
        outside_trade = endowment_spec.outside_trade if free else 0.0
        inflow = (
            _received(r, tid, TermType.investment)
            + _received(r, tid, TermType.funding, Earmark.development)
            + _received(r, tid, TermType.funding, Earmark.training)
            + outside_investment
        )
        for other, d in r.decisions.items():
            if other != tid:
                routes = [c for c in state.scenario.corridors if c.destination == other]
                origins = {c.origin for c in routes}
                if tid in origins:
                    inflow += d.policies.development_spending / len(origins)
        absorbed = cap * (1.0 - math.exp(-inflow / cap))
        gdp = team.population * team.development * 2000.0  # €m per two-year round, roughly
        growth = (
            m.growth_base
            + m.growth_per_remittance * remittances / gdp
            + m.growth_per_investment * absorbed / gdp
        )
        team.development *= 1.0 + growth
        level_opportunity = team.opportunity * (1.0 - m.opportunity_decay)
        team.opportunity = min(
            0.9, level_opportunity + m.opportunity_per_investment * absorbed / 1000.0
        )
        trade_level = 0.0
        for _ag, term in state.live_terms():
            if term.type is TermType.trade_access and term.receiver == tid:
                # A destination that was coerced checks the coercer's goods harder.
                level = term.amount * r.delivered[term.id] / 100.0
                trade_level = max(trade_level, level * r.goodwill(term.giver, tid))
        trade_value = _level(state, tid, "trade_value", team.trade_value)
        trade_income = trade_level * trade_value + outside_trade
        endowment = endowment_spec.budget
        team.income = endowment + trade_income
        ind["remittances"] = remittances
        ind["development"] = team.development
        ind["investment_received"] = inflow
        ind["trade_income"] = trade_income
        ind["youth_opportunity"] = team.opportunity * 100.0
        ind["funding_received"] = sum(
            v
            for (who, t, e), v in r.received.items()
            if who == tid and t is TermType.funding and e != "given"
        )


def _refugee_remittances(r: _Round, origin: str) -> float:
    """What an origin's refugees with work in their hosts send home.

    Refugees allowed to work support families at home ("economic autonomy" and
    "self-sustaining economic participation", the paper §8): a host's work permits are
    worth something to the origin whose people it hosts, so host and origin have a deal to
    make. A host's refugees are shared among the origins that displace people into it, by
    the corridors' refugee shares.
    """
    m = r.m
    if m.refugee_remittance <= 0:
        return 0.0
    state = r.state
    total = 0.0
    for host_id, host in state.teams.items():
        routes = [c for c in state.scenario.corridors if c.transit == host_id]
        shares = sum(c.refugee_share for c in routes)
        mine = sum(c.refugee_share for c in routes if c.origin == origin)
        if host.refugees <= 0 or not shares or not mine:
            continue
        workers = host.refugees * _livelihood(m, _refugee_permits(r, host_id), host.refugees)
        total += workers / 1000.0 * m.refugee_remittance * mine / shares
    return total


def _tied_to_a_destination(state: GameState, tid: str) -> bool:
    for ag in state.agreements.values():
        if (
            ag.status is AgreementStatus.active
            and tid in ag.parties
            and any(state.teams[p].type == "destination" for p in ag.parties if p != tid)
        ):
            return True
    return False


def _indicators(r: _Round) -> None:
    state = r.state
    total_deaths = sum(f.died for f in r.flows.values())
    total_stranded = sum(t.stranded for t in state.teams.values())
    total_refugees = sum(t.refugees for t in state.teams.values())
    livelihoods = [
        r.indicators[t]["refugee_livelihood"]
        for t, team in state.teams.items()
        if team.refugees > 0
    ]
    for tid, team in state.teams.items():
        ind = r.indicators[tid]
        ordered = ind.pop("_ordered_to_leave", 0.0)
        ind.pop("_refugee_permits_total", None)
        ind["return_rate"] = 100.0 * ind["effective_returns"] / ordered if ordered else 0.0
        shortage = _level(state, tid, "labour_shortage", team.labour_shortage)
        ind["labour_filled"] = (
            100.0 * min(1.0, ind["legal_workers"] / shortage) if shortage > 0 else 100.0
        )
        ind["stranded"] = team.stranded
        ind["refugees"] = team.refugees
        ind["treasury"] = team.treasury
        ind["support"] = team.support
        committed = 0.0
        for _ag, term in state.live_terms():
            if term.type is TermType.border_cooperation and term.giver == tid:
                committed = max(committed, term.amount * r.delivered[term.id])
        ind["border_guard"] = committed
        others = [o for o in state.teams if o != tid]
        ind["trust_received"] = sum(state.trust[o][tid] for o in others) / len(others)
        ind["migrant_deaths"] = total_deaths
        ind["stranded_total"] = total_stranded
        ind["refugees_total"] = total_refugees
        ind["refugee_livelihood_mean"] = (
            sum(livelihoods) / len(livelihoods) if livelihoods else 100.0
        )
        ind["coercion_suffered"] = sum(1 for k in r.coerced if k[2] == tid)
        ind["agreements"] = sum(
            1
            for ag in state.agreements.values()
            if ag.status is AgreementStatus.active and tid in ag.parties
        )


def _politics_and_trust(r: _Round) -> list[R.Record]:
    state, m = r.state, r.m
    notices: list[R.Record] = []
    # Letter vs spirit: partners see compliance only now, and only approximately.
    monitored = any(t.monitor for t in state.scenario.teams)
    for ag, term in state.live_terms():
        true = r.honoured[term.id] * 100.0
        if term.suspended:
            observed = 0.0
        elif monitored:
            observed = true
        else:
            noise = rng(state, "monitoring", state.round, term.id).uniform(-1.0, 1.0)
            observed = min(100.0, max(0.0, true + noise * m.monitoring_noise))
        state.compliance.append(
            ComplianceRecord(
                round=state.round,
                agreement_id=ag.id,
                term_id=term.id,
                giver=term.giver,
                receiver=term.receiver,
                promised=term.amount,
                true_compliance=true if not term.suspended else 0.0,
                observed_compliance=observed,
                suspended=term.suspended,
                released=r.released.get(term.id, 1.0) * 100.0,
            )
        )
        if not term.suspended:
            threshold = m.trust_honour_threshold
            if observed >= threshold:
                delta = m.trust_honour_gain * (observed - threshold) / max(100.0 - threshold, 1)
            else:
                delta = (
                    -m.trust_honour_gain
                    * m.trust_breach_multiplier
                    * (threshold - observed)
                    / max(threshold, 1)
                )
            add_trust(state, term.receiver, term.giver, delta)
        state.teams[term.giver].last_compliance[term.id] = r.decisions[term.giver].compliance.get(
            term.id, 100.0
        )

    # The applause for pressure fades into its bill (lost exports, tourists, students,
    # a partner's goodwill): each remembered coercion costs its user support a round.
    for c in r.remembered:
        add_support(state, c.by, -m.coercion_support_fade)
    if state.round >= state.scenario.rounds:
        # The last round leaves no later round for the bill to arrive in, so pressure in
        # the closing rounds was free: the public's reckoning of what is still owed comes
        # now, all of it (the rounds a coercion would still be remembered after the end).
        for c in state.coercions:
            owed = c.round + m.coercion_memory - state.round
            if owed > 0:
                add_support(state, c.by, -m.coercion_support_fade * owed)

    # Refugees allowed to work compete, in the public's eyes, with the host's own young for
    # jobs: "no government can afford to create the impression that it trades off the
    # domestic population's interests against foreign payment" (the paper, §8).
    for tid, team in state.teams.items():
        if team.refugees > 0 or team.stranded > 0:
            permits = _refugee_permits(r, tid)
            add_support(state, tid, -m.refugee_permit_support_cost * permits / 100000.0)

    # Concessions have a domestic price while they are delivered: visas and market access
    # are unpopular with a sceptical public and with producers at home.
    # Mobility costs the destination at home (a sceptical public keeps labour schemes off
    # the table); readmission costs the origin at home (returns are deeply unpopular).
    for _ag, term in state.live_terms():
        share = r.delivered[term.id]
        if term.type is TermType.visa_facilitation:
            add_support(state, term.giver, -m.visa_support_cost * term.amount * share)
        elif term.type is TermType.trade_access:
            add_support(state, term.giver, -m.trade_support_cost * term.amount / 100 * share)
        elif term.type is TermType.labour_pathway:
            add_support(
                state, term.giver, -m.labour_permit_support_cost * term.amount / 100000 * share
            )
        elif term.type is TermType.readmission:
            add_support(state, term.giver, -m.readmission_support_cost * term.amount / 100 * share)
    for tid in state.teams:
        unilateral = r.decisions[tid].policies.labour_permits
        add_support(state, tid, -m.labour_permit_support_cost * unilateral / 100000)

    scores: dict[str, float] = {}
    fallen: list[str] = []
    for tid, team in state.teams.items():
        ind = r.indicators[tid]
        spec = state.scenario.team(tid)
        satisfaction = score_of(list(spec.support.drivers), ind)
        team.support = min(
            100.0,
            max(0.0, team.support + spec.support.responsiveness * (satisfaction - team.support)),
        )
        ind["support"] = team.support
        ind["public_satisfaction"] = satisfaction
        scores[tid] = score_of(team.mandate, ind)
        if team.support < spec.support.threshold:
            fallen.append(tid)
    for tid in fallen:
        # Losing office is the one outcome no mandate survives: without a cost, a
        # successor's fresh support and easier mandate made a fall pay.
        cost = state.scenario.team(tid).support.fall_cost
        scores[tid] = max(0.0, scores[tid] - cost)
        notices += _government_falls(state, tid)
    r.scores, r.fallen = scores, fallen
    return notices


def _government_falls(state: GameState, tid: str) -> list[R.Record]:
    """Two-level game: below its threshold a government falls; its successor has other
    priorities and must re-ratify what it inherited."""
    spec = state.scenario.team(tid)
    team = state.teams[tid]
    team.government += 1
    team.support = spec.support.after_fall
    if spec.mandate.after_fall:
        team.mandate = list(spec.mandate.after_fall)
    for ag in state.agreements.values():
        live = (AgreementStatus.active, AgreementStatus.awaiting_ratification)
        if tid in ag.parties and ag.status in live:
            # Several governments can fall in one round: each successor must ratify.
            ag.status = AgreementStatus.awaiting_ratification
            if tid not in ag.awaiting:
                ag.awaiting.append(tid)
    return happened(state, R.GovernmentFell(round=state.round, team=tid))


def _close_round(r: _Round) -> list[R.Record]:
    state = r.state
    scores, fallen = r.scores, r.fallen
    for ag in state.agreements.values():
        # A successor had a whole round to re-ratify; what it left unratified lapses.
        if (
            ag.status is AgreementStatus.awaiting_ratification
            and ag.awaiting
            and any(t not in fallen for t in ag.awaiting)
        ):
            ag.status = AgreementStatus.lapsed
            ag.ended_round = state.round
    for _ag, term in state.live_terms():
        term.rounds_left -= 1
    for ag in state.agreements.values():
        if ag.status is AgreementStatus.active and all(t.rounds_left <= 0 for t in ag.terms):
            ag.status = AgreementStatus.completed
            ag.ended_round = state.round
    for ev in state.events:
        ev.rounds_left -= 1
    drawn = [ev for ev in state.events if ev.round_drawn == state.round]
    state.events = [ev for ev in state.events if ev.rounds_left > 0]
    state.history.append(
        RoundRecord(
            round=state.round,
            year=state.year,
            corridors=r.flows,
            indicators={t: dict(v) for t, v in r.indicators.items()},
            scores=scores,
            # The support the round closed on, as its indicators and scores saw it: for a
            # fallen government the one that toppled it, not its successor's fresh start
            # (a debrief's support line must cross the threshold where a government fell).
            support={t: r.indicators[t]["support"] for t in state.teams},
            trust={a: dict(row) for a, row in state.trust.items()},
            events=[ev.card_id for ev in drawn],
            injected=[ev.card_id for ev in drawn if ev.injected],
            injected_early=[ev.card_id for ev in drawn if ev.early],
            coercions=[c for c in state.coercions if c.round == state.round],
            fallen=fallen,
        )
    )
    state.decisions_log.append(dict(r.decisions))
    for team in state.teams.values():
        if team.decision is not None:
            team.policies = team.decision.policies
        team.decision = None
        team.ready = False
    return happened(state, R.RoundResolved(round=state.round, year=state.year))


__all__ = ["hump", "objective_value", "resolve_round", "score_of", "take_effect", "term_cost"]
