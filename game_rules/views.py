"""What each audience may see. Secrecy lives here and nowhere else (ARCHITECTURE rule 3).

A team sees its own mandate, treasury, decisions, the proposals it is party to and the
true compliance of what it gave; of everyone else only what a public would know: signed
agreements, observed compliance, public statistics and the news. The facilitator sees
all; the projector sees the public part, with scores once the facilitator reveals them.
Observers (seats without a team) see what the projector sees, without the join code.

Besides the rules' state, the server asks here what each audience may read of the chat
(`may_read_chat`), the bots (`bots_seen`), the join code (`sees_join_code`) and, after the
end, the debrief (`debrief`).

The ended game. The debrief is the moment the game teaches, so it shows more than the
game did, but never by accident and never to one team more than to another:
- everyone: every team's score, its no-agreement score (BATNA) and the gain — the
  counterfactual is the debrief's point, and scores are public once the game has ended;
  which strategy each bot played;
- observed compliance of every signed agreement (what partners saw), as during the game;
- true compliance and the trust between all teams: the facilitator always, a team of its
  own commitments (as during the game), and everyone once the facilitator reveals the
  truth (`reveal_truth`, only after the end). The projector is read by every team in the
  room, so it can never be shown what a team may not see; the reveal is the facilitator's
  choice of when the room discusses "letter and spirit";
- left on the table (`game_rules.frontier`: the deal frontier of each set of partners
  under the teams' private mandates): the facilitator always, everyone after the reveal.
  Before it a team sees its own mandate's numbers only (its BATNA, what each agreement it
  signed and the Nash and KS deals were worth to it, its best on the frontier), never a
  partner's gains, the frontier's shape or the deals that would have suited both: each
  of those is read off the partner's private scoresheet. The reveal shows what mandates
  were worth in the deals on the table, not the mandates themselves;
- never, even after the reveal: another team's mandate, support drivers, proposals or
  chat (the debrief counts the proposals an audience could see, not their terms).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from game_rules import records as R
from game_rules.actions import PolicyChoice
from game_rules.rulebook import cost_formula, decision_cost, term_cost
from game_rules.scenario import Direction, DomesticPolitics, Mandate, Objective
from game_rules.state import Agreement, Decision, GameState, Phase, ProposalStatus

PUBLIC_INDICATORS = frozenset(
    {
        "irregular_arrivals",
        "asylum_claims",
        "effective_returns",
        "return_rate",
        "legal_migrants",
        "legal_workers",
        "deaths",
        "migrant_deaths",
        "refugees",
        "stranded",
        "development",
        "remittances",
        "support",
        "visa_level",
        "resettled",
        "agreements",
    }
)
"""Statistics a government publishes or a newspaper would report."""


class Audience(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: Literal["team", "facilitator", "projector", "observer"]
    team: str | None = None

    @staticmethod
    def of_team(team_id: str) -> Audience:
        return Audience(kind="team", team=team_id)

    @staticmethod
    def facilitator() -> Audience:
        return Audience(kind="facilitator")

    @staticmethod
    def projector() -> Audience:
        return Audience(kind="projector")

    @property
    def key(self) -> str:
        """One view is rendered per key, however many screens share it."""
        return f"team:{self.team}" if self.kind == "team" else self.kind


def view(
    state: GameState,
    audience: Audience,
    *,
    news: int = 60,
    closed_proposals: bool = True,
    history: int | None = None,
    compliance: int | None = None,
    translations: bool = True,
) -> dict[str, Any]:
    """A JSON-ready dict of what `audience` may see of `state`: the last `news` items of
    the news, and proposals already closed only if `closed_proposals` (a bot playing a
    balance run reads neither, and views are most of the cost of a bot game), the last
    `history` round records (None: all), and the compliance records of the last
    `compliance` rounds (None: all); the scenario's translations of the texts shown only
    if `translations` (a bot reads no prose, and finding them walks the whole document)."""
    if audience.kind == "team" and audience.team not in state.teams:
        raise KeyError(f"no team {audience.team!r}")
    full = audience.kind == "facilitator"
    me = audience.team if audience.kind == "team" else None
    monitor = me is not None and state.scenario.team(me).monitor
    show_scores = full or state.scores_revealed or state.phase is Phase.ended
    hide_rounds = state.scenario.hide_round_count and not full

    out: dict[str, Any] = {
        "audience": audience.key,
        "version": state.version,
        "scenario": {
            "id": state.scenario.id,
            "name": state.scenario.name,
            "description": state.scenario.description,
        },
        "round": state.round,
        "rounds": None if hide_rounds else state.scenario.rounds,
        "year": state.year,
        "phase": state.phase.value,
        "paused": state.paused,
        "scores_revealed": state.scores_revealed,
        "truth_revealed": state.truth_revealed,
        "teams": [_public_team(state, tid) for tid in state.teams],
        "corridors": [
            {
                "id": c.id,
                "name": c.name,
                "origin": c.origin,
                "transit": c.transit,
                "destination": c.destination,
            }
            for c in state.scenario.corridors
        ],
        "agreements": _agreements(state, me, full or monitor or state.truth_revealed, compliance),
        "events": [
            {"id": ev.card_id, "title": ev.title, "news": ev.news, "rounds_left": ev.rounds_left}
            for ev in state.events
        ],
        "event_deck": (
            [{"id": c.id, "title": c.title} for c in state.scenario.events.deck] if full else []
        ),
        "coercions": [_flat(c) for c in state.coercions],
        "news": [record_json(n) for n in state.news if may_read(n, audience)][-news:]
        if news
        else [],
        "history": [
            _round_record(state, rec, me, full, show_scores)
            for rec in (state.history if history is None else state.history[-history:])
        ]
        if history != 0
        else [],
    }
    if me is not None:
        out["me"] = _own_team(state, me)
        out["proposals"] = [
            p.model_dump(mode="json")
            for p in state.proposals.values()
            if me in p.parties and (closed_proposals or p.status is ProposalStatus.proposed)
        ]
        out["trust"] = {
            "in_others": dict(state.trust[me]),
            "from_others": {o: state.trust[o][me] for o in state.teams if o != me},
        }
    if full:
        out["proposals"] = [p.model_dump(mode="json") for p in state.proposals.values()]
        out["trust"] = {a: dict(row) for a, row in state.trust.items()}
        out["team_details"] = {tid: _own_team(state, tid) for tid in state.teams}
    if translations and state.scenario.translations:
        out["scenario"]["translations"] = _translations_of_what_is_seen(state, out)
    return out


def _translations_of_what_is_seen(state: GameState, doc: dict[str, Any]) -> dict[str, Any]:
    """The scenario's translations of the texts this document already shows, and of no
    other: an event card still in the deck or another team's mandate stays unread."""
    seen: set[str] = set()
    stack: list[Any] = [doc]
    while stack:
        x = stack.pop()
        if isinstance(x, str):
            seen.add(x)
        elif isinstance(x, dict):
            stack.extend(x.values())
        elif isinstance(x, list | tuple):
            stack.extend(x)
    return {
        lang: {text: tr for text, tr in table.items() if text in seen}
        for lang, table in state.scenario.translations.items()
    }


# --- what happened: who hears of which record -------------------------------------------

PARTY_RECORDS: frozenset[type[BaseModel]] = frozenset(
    {
        R.ProposalMade,
        R.ProposalCountered,
        R.ProposalAccepted,
        R.ProposalRejected,
        R.ProposalRetracted,
        R.RatificationRefused,
        R.TermSuspended,
        R.TermReleased,
    }
)
"""Records only the `parties` hear of: a team not party to a proposal learns nothing of
it, not even that it exists; a suspended term is a matter between its agreement's
parties (the public sees the compliance records, as observed)."""

OWN_RECORDS: frozenset[type[BaseModel]] = frozenset({R.TeamDecided})
"""Records only their `team` hears of (that it has decided: when is a negotiating tell)."""

PUBLIC_RECORDS: frozenset[type[BaseModel]] = frozenset(
    {
        R.AgreementSigned,
        R.AgreementWithdrawn,
        R.AgreementRatified,
        R.CoercionUsed,
        R.PressureLifted,
        R.GovernmentFell,
        R.TeamReady,
        R.EventPlayed,
        R.PhaseChanged,
        R.RoundResolved,
        R.GameEnded,
        R.GamePaused,
        R.GameResumed,
        R.ScoresRevealed,
        R.TruthRevealed,
        R.SlideShown,
    }
)
"""Records every screen may show: signed agreements, withdrawals and coercion are public
acts; events and the clock are the world's."""


def may_read(record: R.Record, audience: Audience) -> bool:
    """Whether `audience` hears of `record`. The facilitator hears of everything; the
    projector and observers only of public records; a team of public ones and of those it
    is party to."""
    if audience.kind == "facilitator":
        return True
    kind = type(record)
    if kind in PUBLIC_RECORDS:
        return True
    me = audience.team if audience.kind == "team" else None
    if isinstance(record, R.LegacyNews):
        return record.teams is None or (me is not None and me in record.teams)
    if me is None:
        return False
    if kind in PARTY_RECORDS:
        return me in record.parties  # type: ignore[union-attr]
    if kind in OWN_RECORDS:
        return me == record.team  # type: ignore[union-attr]
    return False  # a record no one has classified stays with the facilitator


def record_json(record: R.Record) -> dict[str, Any]:
    """A record as JSON-ready data (as in a view's news): plain fields, tuples as lists."""
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in record.__dict__.items()}


def records_for(records: list[R.Record], audience: Audience) -> list[dict[str, Any]]:
    """The records of one action that `audience` (its caller) may read, as JSON."""
    return [record_json(r) for r in records if may_read(r, audience)]


# --- the state as a team may know it: the scoresheet's input -----------------------------

AMPLE_TREASURY = 1e12
"""A partner's treasury as a team may assume it: enough to pay for what it honours."""

_STAND_IN_GOAL = Objective(
    indicator="support", weight=1.0, direction=Direction.higher_is_better, target=100, worst=0
)
"""A partner's goal as far as a team knows it: none in particular (its scores are noise)."""


def known_state(state: GameState, team: str) -> GameState:
    """A copy of `state` holding only what `team` may know, every secret of the others
    replaced by a public or neutral stand-in: what the scoresheet values deals on.

    Kept: the world (scenario, corridors, model, published stocks), the team's own state
    whole, the public record (agreements, observed compliance, coercion, events in play,
    support and governments), the proposals the team is party to, the trust it gives and
    receives. Replaced, for every other team: its mandate and domestic politics (a
    stand-in goal; support stays where it is and the government stands), its treasury
    (ample: it can pay for what it honours), its policies (the scenario's starting ones),
    this round's decision (none yet: defaults), its past decisions, the true compliance
    of what it gave (what was observed), the scores (until revealed) and private
    indicators of its rounds, the trust between other teams (the scenario's initial
    trust), the proposals the team is not party to (and their count in the ids). The
    future is unknown to everyone: no new event is drawn. The scenario's translations
    are left out (they translate every team's texts; valuing needs none). A monitoring
    organisation keeps the true compliance it sees.

    The proof that nothing else leaks is in the tests: changing any of the replaced
    secrets of another team leaves this state unchanged.
    """
    if team not in state.teams:
        raise KeyError(f"no team {team!r}")
    s = state.model_copy(deep=True)
    sc = state.scenario
    monitor = sc.team(team).monitor
    others = [t for t in s.teams if t != team]
    neutral_goal = [_STAND_IN_GOAL]
    specs = []
    for spec in sc.teams:
        if spec.id == team:
            specs.append(spec)
            continue
        politics = DomesticPolitics(
            initial=state.teams[spec.id].support,
            threshold=0,
            responsiveness=0,
            after_fall=50,
            drivers=neutral_goal,
        )
        specs.append(
            spec.model_copy(
                update={
                    "mandate": Mandate(objectives=neutral_goal),
                    "support": politics,
                }
            )
        )
    events = sc.events.model_copy(update={"draws_per_round": 0.0, "deck": []})
    s.scenario = sc.model_copy(update={"teams": specs, "events": events, "translations": {}})
    s.pending_events = []
    observed: dict[str, float] = {}
    for kept in s.compliance:
        if kept.giver != team and not monitor:
            kept.true_compliance = kept.observed_compliance
        observed[kept.term_id] = kept.observed_compliance
    for tid in others:
        ts = s.teams[tid]
        start = PolicyChoice(**sc.team(tid).policies.model_dump())
        ts.mandate = list(neutral_goal)
        ts.treasury = AMPLE_TREASURY
        ts.policies = start
        ts.decision = None
        ts.last_compliance = {
            term: observed[term] for term in ts.last_compliance if term in observed
        }
        for decisions in s.decisions_log:
            if tid in decisions:
                decisions[tid] = Decision(compliance={}, policies=start, defaulted=True)
    initial = sc.initial_trust
    for a, row in s.trust.items():
        for b in row:
            if team not in (a, b):
                row[b] = initial
    s.proposals = {pid: p for pid, p in s.proposals.items() if team in p.parties}
    # Proposal ids count every proposal of the game; the next one is numbered from what
    # the team has seen, so others' unseen proposals leave no trace here.
    seen = [*s.proposals, *(ag.proposal_id for ag in s.agreements.values())]
    s.counters["p"] = max((int(p[1:]) for p in seen if p[1:].isdigit()), default=0)
    me = Audience.of_team(team)
    s.news = [n for n in s.news if may_read(n, me)]
    for rec in s.history:
        for tid in others:
            if not state.scores_revealed:
                rec.scores[tid] = 0.0
            rec.indicators[tid] = {
                k: v for k, v in rec.indicators[tid].items() if k in PUBLIC_INDICATORS
            }
        for a, row in rec.trust.items():
            for b in row:
                if team not in (a, b):
                    row[b] = initial
    return s


# --- what the server keeps beside the state: chat, bots, the join code -------------------


def may_read_chat(audience: Audience, channel: str, team: str | None, to_team: str | None) -> bool:
    """Whether `audience` reads a chat line: the plenary and the facilitator's announcements
    are for every screen; a team channel for that team; a bilateral for its two teams. The
    facilitator reads everything (it moderates); the projector and observers only what is
    public — also after the end: a debrief discusses what was said in the open."""
    if audience.kind == "facilitator" or channel in ("plenary", "announcement"):
        return True
    if audience.kind != "team":
        return False
    if channel == "team":
        return team == audience.team
    if channel == "bilateral":
        return audience.team in (team, to_team)
    return False  # a channel nobody has classified stays with the facilitator


def bots_seen(
    state: GameState, audience: Audience, strategies: dict[str, str]
) -> dict[str, str | None]:
    """Which teams bots play (everyone: a player deserves to know whom it negotiates with)
    and their strategies: only the facilitator, and everyone once the game has ended (a
    strategy known in play is a mandate read: "the hardliner never concedes")."""
    if audience.kind == "facilitator" or state.phase is Phase.ended:
        return dict(strategies)
    return dict.fromkeys(strategies)


def sees_join_code(audience: Audience) -> bool:
    """The facilitator hands the join code out and the projector shows it to the room;
    a seated player or observer has no use for it (and a leaked screen would let anyone in)."""
    return audience.kind in ("facilitator", "projector")


def sees_truth(state: GameState, audience: Audience) -> bool:
    """True compliance and the trust between all teams: the facilitator, and everyone once
    the facilitator has revealed them after the end."""
    return audience.kind == "facilitator" or (state.phase is Phase.ended and state.truth_revealed)


# --- the debrief (GAME.md §7), after the end ------------------------------------------


def debrief(
    state: GameState,
    audience: Audience,
    outcomes: dict[str, dict[str, float]],
    left: dict[str, Any] | None = None,
) -> dict[str, Any] | None:
    """What `audience` may see of the debrief (the policy is in this module's docstring);
    None before the end. `outcomes`: per team its score, no-agreement score (batna) and
    gain, from `analytics.batna_report` (a replay of the game: the caller caches it);
    `left`: `frontier.report` of the game, None while it is being computed."""
    if state.phase is not Phase.ended:
        return None
    me = audience.team if audience.kind == "team" else None
    truth = sees_truth(state, audience)
    kept: dict[str, dict[str, list[tuple[float, float]]]] = {}
    for rec in state.compliance:
        kept.setdefault(rec.agreement_id, {}).setdefault(rec.giver, []).append(
            (rec.true_compliance, rec.observed_compliance)
        )
    agreements = []
    for ag in state.agreements.values():
        givers = []
        for giver, values in kept.get(ag.id, {}).items():
            seen = sum(o for _t, o in values) / len(values)
            true = sum(t for t, _o in values) / len(values)
            givers.append(
                {
                    "giver": giver,
                    "seen": round(seen, 1),
                    "true": round(true, 1) if truth or giver == me else None,
                }
            )
        agreements.append(
            {
                "id": ag.id,
                "parties": list(ag.parties),
                "status": ag.status.value,
                "signed_round": ag.signed_round,
                "terms": [t.model_dump(mode="json") for t in ag.terms],
                "kept": givers,
            }
        )
    visible = [
        p
        for p in state.proposals.values()
        if audience.kind == "facilitator" or (me is not None and me in p.parties)
    ]
    unsigned = {
        status: sum(1 for p in visible if p.status.value == status)
        for status in ("rejected", "expired", "retracted")
    }
    if truth:
        trust = {a: dict(row) for a, row in state.trust.items()}
        received = {
            b: [_mean([rec.trust[a][b] for a in rec.trust if a != b]) for rec in state.history]
            for b in state.teams
        }
    else:
        trust = {}
        received = (
            {me: [_mean([rec.trust[a][me] for a in rec.trust if a != me]) for rec in state.history]}
            if me is not None
            else {}
        )
    return {
        "truth_revealed": state.truth_revealed,
        "sees_truth": truth,
        "outcomes": {
            tid: {k: round(v, 1) for k, v in outcomes[tid].items()} for tid in state.teams
        },
        "agreements": agreements,
        "unsigned": unsigned,
        "trust": trust,
        "trust_received": received,
        "rounds": len(state.history),
        "slide": state.debrief_slide,
        "thresholds": {
            tid: state.scenario.team(tid).support.threshold
            for tid in state.teams
            if truth or tid == me
        },
        "trust_rounds": [rec.trust for rec in state.history] if truth else [],
        "collective": [_collective(rec) for rec in state.history],
        "left_pending": left is None,
        "left_on_table": _left_on_table(left, truth, me),
    }


def _collective(rec: Any) -> dict[str, float]:
    """One round's outcomes for everyone at once (the same for every team's indicators):
    public after the end, as an agency's yearly report would be. A mean over the hosts
    tells nothing of one team that its own published statistics do not."""
    ind: dict[str, float] = next(iter(rec.indicators.values()), {})
    return {
        "deaths": round(ind.get("migrant_deaths", 0.0), 1),
        "stranded": round(ind.get("stranded_total", 0.0), 1),
        "refugees": round(ind.get("refugees_total", 0.0), 1),
        "livelihood": round(ind.get("refugee_livelihood_mean", 0.0), 1),
        "legal": float(sum(f.legal for f in rec.corridors.values())),
        "arrived": float(sum(f.arrived for f in rec.corridors.values())),
    }


def _left_on_table(
    left: dict[str, Any] | None, truth: bool, me: str | None
) -> dict[str, Any] | None:
    """All of `frontier.report` to who sees the truth; a team its own numbers of the sets
    it is party to; of the other sets, as to anyone else, only who they are and which
    agreements they signed (public): every screen has the same sets, so the debrief's
    slides are the same on every screen (see the module's docstring)."""
    if left is None or truth:
        return left

    def own(point: dict[str, Any] | None, k: int) -> dict[str, Any] | None:
        if point is None:
            return None
        return {"gains": [g if i == k else None for i, g in enumerate(point["gains"])]}

    sets: list[dict[str, Any]] = []
    for s in left["sets"]:
        if me is None or me not in s["parties"]:
            sets.append({"parties": s["parties"], "agreements": s["agreements"], "hidden": True})
            continue
        k = s["parties"].index(me)
        best = max((p["gains"][k] for p in s["frontier"]), default=None)
        sets.append(
            {
                "parties": s["parties"],
                "agreements": s["agreements"],
                "size": s["size"],
                "restricted": s["restricted"],
                "too_large": s["too_large"],
                "batna": {me: s["batna"][me]},
                "mine": k,
                "best_own": best,
                "nash": own(s["nash"], k),
                "ks": own(s["ks"], k),
                "deals": [
                    {"agreement": d["agreement"], "valued": d["valued"]}
                    | ({"gains": own(d, k)["gains"]} if d["valued"] else {})  # type: ignore[index]
                    for d in s["deals"]
                ],
            }
        )
    return {**left, "sets": sets, "hidden": True}


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def _flat(model: BaseModel) -> dict[str, Any]:
    """`model_dump()` of a model whose fields are plain values (or lists of them), at a
    fraction of the cost: views are built for every bot move of a balance run."""
    return {k: (list(v) if isinstance(v, list) else v) for k, v in model.__dict__.items()}


def _public_team(state: GameState, tid: str) -> dict[str, Any]:
    spec = state.scenario.team(tid)
    team = state.teams[tid]
    return {
        "id": tid,
        "name": spec.name,
        "type": spec.type.value,
        "colour": spec.colour,
        "description": spec.description,
        "support": round(team.support, 1),
        "government": team.government,
        "ready": team.ready,
        "decided": team.decision is not None,
    }


def _own_team(state: GameState, tid: str) -> dict[str, Any]:
    spec = state.scenario.team(tid)
    team = state.teams[tid]
    m = state.scenario.model
    commitments = [
        {
            "term_id": term.id,
            "agreement_id": ag.id,
            "type": term.type.value,
            "receiver": term.receiver,
            "amount": term.amount,
            "rounds_left": term.rounds_left,
            "full_cost": term_cost(state, term),
            "last_compliance": team.last_compliance.get(term.id),
        }
        for ag, term in state.live_terms()
        if term.giver == tid
    ]
    decision = team.decision
    return {
        "id": tid,
        "mandate": [_flat(o) for o in team.mandate],
        "support_drivers": [_flat(o) for o in spec.support.drivers],
        "support_threshold": spec.support.threshold,
        "support_fall_cost": spec.support.fall_cost,
        "support_responsiveness": spec.support.responsiveness,
        # The team's own exit option: what other partners invest and buy while it has no
        # agreement with a destination (the model's outside_investment, outside_trade).
        "outside_investment": spec.endowment.outside_investment,
        "outside_trade": spec.endowment.outside_trade,
        "treasury": round(team.treasury, 1),
        "income": round(team.income, 1),
        "policies": _flat(team.policies),
        "decision": decision.model_dump() if decision else None,
        "decision_cost": decision_cost(state, tid, decision) if decision else None,
        "current_policies_cost": decision_cost(
            state,
            tid,
            Decision.model_construct(compliance={}, policies=team.policies, defaulted=False),
        ),
        "costs": cost_formula(m),
        "commitments": commitments,
        "coercive_tools": [t.value for t in spec.coercive_tools],
        "coercion_cost": {
            "rounds": m.coercion_memory,
            "backlash": m.coercion_backlash,
            "support_fade": m.coercion_support_fade,
        },
        "monitor": spec.monitor,
        "stocks": {
            "population": team.population,
            "development": team.development,
            "refugees": team.refugees,
            "stranded": team.stranded,
            "diaspora": team.diaspora_legal + team.diaspora_irregular,
        },
    }


def _agreements(
    state: GameState, me: str | None, see_all: bool, rounds: int | None
) -> list[dict[str, Any]]:
    records: dict[str, list[dict[str, Any]]] = {ag_id: [] for ag_id in state.agreements}
    since = -1 if rounds is None else state.round - rounds
    for rec in state.compliance:
        if rec.round <= since:
            continue
        item = {
            "round": rec.round,
            "term_id": rec.term_id,
            "giver": rec.giver,
            "observed": round(rec.observed_compliance, 1),
            "suspended": rec.suspended,
        }
        if see_all or rec.giver == me:
            item["true"] = round(rec.true_compliance, 1)
        if rec.released < 100.0:
            # Judged on the receiver's seen delivery, which every party sees: public.
            item["withheld"] = round(100.0 - rec.released, 1)
        records.setdefault(rec.agreement_id, []).append(item)
    out = []
    for ag in state.agreements.values():
        data = _agreement_json(ag)
        data["compliance"] = records[ag.id]
        out.append(data)
    return out


def _agreement_json(ag: Agreement) -> dict[str, Any]:
    """`ag.model_dump(mode="json")`, built by hand: a view holds every agreement of the
    game and is built for every bot move (a test checks the two are equal)."""
    data = dict(ag.__dict__)
    data["status"] = ag.status.value
    data["parties"] = list(ag.parties)
    data["awaiting"] = list(ag.awaiting)
    data["conditions"] = [dict(c.__dict__) for c in ag.conditions]
    terms = []
    for t in ag.terms:
        term = dict(t.__dict__)
        term["type"] = t.type.value
        term["earmark"] = t.earmark.value if t.earmark is not None else None
        terms.append(term)
    data["terms"] = terms
    return data


def _round_record(
    state: GameState, rec: Any, me: str | None, full: bool, show_scores: bool
) -> dict[str, Any]:
    indicators = {
        tid: (
            dict(values)
            if full or tid == me
            else {k: v for k, v in values.items() if k in PUBLIC_INDICATORS}
        )
        for tid, values in rec.indicators.items()
    }
    out: dict[str, Any] = {
        "round": rec.round,
        "year": rec.year,
        "corridors": {cid: _flat(f) for cid, f in rec.corridors.items()},
        "indicators": indicators,
        "support": rec.support,
        "events": rec.events,
        "fallen": rec.fallen,
    }
    if show_scores:
        out["scores"] = rec.scores
    elif me is not None:
        out["scores"] = {me: rec.scores[me]}
    if full:
        out["trust"] = rec.trust
    return out
