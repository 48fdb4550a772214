"""What each screen shows: one typed structure per audience, built from its view document.

A view document (`GameRoom.document`) is what the server sends an audience; secrecy has
already been decided in `game_rules.views`. Here it becomes what a template needs, with
nothing left to work out in Jinja: the participant's screen (`ParticipantScreen`), the
facilitator's console (`ConsoleScreen`), the projector (`ProjectorScreen`), the
facilitator's read-only look at a team (`LookScreen`) and the screen of a participant who
has not chosen a team yet (`LobbyScreen`).

Each screen names its sections once (`Layout`): the full page lays them out, and the live
update after every action sends the same list again as out-of-band fragments. A section
that must not be swapped (a form being filled in) renders nothing in a live update.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, ClassVar

from markupsafe import Markup

from game_rules import load_scenario, shipped_scenarios
from game_rules.bots import STRATEGIES
from web.charts import corridor_map, line_chart
from web.format import term_text
from web.i18n import N_, _, localised, n_, translated
from web.words import words

Doc = dict[str, Any]

NEWS_SHOWN = 15
CHAT_SHOWN = 80
CLOSED_PROPOSALS_SHOWN = 8
NO_COLOUR = "#555"


@dataclass(frozen=True)
class Layout:
    """The sections of a screen, in page order, by their macro names (`sections/*.html`).

    `bar` goes in the page's header, `top` above the columns, `columns` side by side on a
    wide screen (one column: its sections are the grid's items), `bottom` below them.
    """

    bar: tuple[str, ...]
    top: tuple[str, ...]
    columns: tuple[tuple[str, ...], ...]
    bottom: tuple[str, ...] = ()
    grid: str = "layout"

    @property
    def sections(self) -> tuple[str, ...]:
        """Every section once: what a live update sends again."""
        return (*self.bar, *self.top, *(s for c in self.columns for s in c), *self.bottom)


@dataclass(frozen=True)
class Results:
    """The results section: the last round, the scores once they are shown, the charts."""

    last: dict[str, Any] | None
    scores_table: list[tuple[str, float]]
    charts: list[Markup]
    my_indicators: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Commitment:
    """One term the team gives, as the implementation form shows it."""

    term_id: str
    text: str
    type: str
    amount: float
    full_cost: float | None
    last_compliance: float | None
    value: float


@dataclass(frozen=True)
class Implementation:
    """The implementation form: this round's policies and how far to honour each term."""

    policies: dict[str, float]
    commitments: list[Commitment]
    decided: bool
    sig: str


@dataclass(frozen=True)
class Guidance:
    """What the team should do now, in one line, and the phase's main control under it.

    `control`: "ready" (mark the team ready), "unready" (take it back), "decide" (open the
    decision form), "answer" (open the proposals), "ratify" (open the agreement that waits
    for the team), "debrief", "help" or "" (nothing to press: wait).
    """

    text: str
    control: str = ""
    target: str = ""
    """the id of the section or card the control opens"""
    waiting_for: tuple[str, ...] = ()
    """the teams (names) the team waits for once it is ready"""


@dataclass(frozen=True)
class Announcement:
    """The newest announcement of the facilitator, shown as a banner until dismissed."""

    seq: int
    text: str


@dataclass(frozen=True)
class Waiting:
    """The console's "still waiting for" panel: who holds the phase up, at a glance."""

    teams: tuple[str, ...]
    """teams not ready (in implementation: not decided)"""
    unplayed: tuple[str, ...]
    """teams with neither a player nor a bot"""
    control: str
    """the facilitator's main control now: "start", "advance" or "" """


@dataclass(frozen=True, kw_only=True)
class Screen:
    """What every screen has: the status bar, the news and the chat it may read."""

    layout: ClassVar[Layout]
    template: ClassVar[str] = "sections/participant.html"
    """The template file whose `section` names the layout's macros."""
    game_id: str
    key: str
    doc: Doc
    v: dict[str, Any]
    phase: str
    timer: dict[str, Any]
    teams: dict[str, dict[str, Any]]
    names: dict[str, str]
    bots: dict[str, str]
    last: dict[str, Any] | None
    news: list[dict[str, Any]]
    chat: list[dict[str, Any]]
    players: list[dict[str, Any]]
    announcement: Announcement | None = None
    readonly: bool = False


@dataclass(frozen=True, kw_only=True)
class ParticipantScreen(Screen):
    """A team member's screen: the team, its deals, its decisions, its results."""

    layout: ClassVar[Layout] = Layout(
        bar=("status", "audience_mark"),
        top=("announce", "guide", "debrief"),
        columns=(
            ("overview", "proposals", "builder", "agreements", "implementation", "pressure"),
            ("team_chat", "results", "news"),
        ),
    )
    me: dict[str, Any]
    me_id: str
    my_team: dict[str, Any]
    score: float | None
    my_indicators: dict[str, float]
    inbox: list[dict[str, Any]]
    outbox: list[dict[str, Any]]
    closed_proposals: list[dict[str, Any]]
    agreements: list[dict[str, Any]]
    my_agreements: list[dict[str, Any]]
    results: Results
    impl: Implementation
    guide: Guidance


@dataclass(frozen=True, kw_only=True)
class LookScreen(ParticipantScreen):
    """The facilitator's read-only look at a team's screen: the same, without buttons."""

    layout: ClassVar[Layout] = Layout(
        bar=("status", "audience_mark"),
        top=("announce", "guide", "debrief"),
        columns=(
            ("overview", "proposals", "agreements", "implementation"),
            ("team_chat", "results", "news"),
        ),
    )
    readonly: bool = True


@dataclass(frozen=True, kw_only=True)
class LobbyScreen(Screen):
    """A participant without a team: the teams to choose from, the news, the plenary."""

    layout: ClassVar[Layout] = Layout(
        bar=("status", "audience_mark"),
        top=("announce",),
        columns=(("team_pick", "news", "plenary_chat"),),
        grid="",
    )


@dataclass(frozen=True, kw_only=True)
class ConsoleScreen(Screen):
    """The facilitator's console: players, teams, bots, every negotiation, all chat."""

    template: ClassVar[str] = "sections/console.html"

    layout: ClassVar[Layout] = Layout(
        bar=("status", "audience_mark", "fac_phase"),
        top=("announce", "waiting", "debrief"),
        columns=(
            (
                "join_box",
                "controls",
                "timer_box",
                "players",
                "teams_table",
                "bots_panel",
                "bot_pace",
            ),
            ("fac_deals", "all_chat", "results", "news"),
        ),
    )
    players_by_team: list[tuple[str | None, str, list[dict[str, Any]]]]
    open_proposals: list[dict[str, Any]]
    agreements: list[dict[str, Any]]
    results: Results
    bots_sig: str
    strategies: list[str]
    event_deck: list[dict[str, Any]]
    waiting: Waiting
    timer_sig: str


@dataclass(frozen=True, kw_only=True)
class ProjectorScreen(Screen):
    """The room's shared screen: the map, the headlines, scores once revealed."""

    template: ClassVar[str] = "sections/projector.html"

    layout: ClassVar[Layout] = Layout(
        bar=("big_status", "audience_mark"),
        top=("announce", "proj_guide", "proj_replay", "proj_join", "debrief"),
        columns=(("proj_map", "proj_headlines", "proj_scores", "proj_agreements"),),
        bottom=("proj_ticker",),
        grid="proj-grid",
    )
    map: Markup
    scores_table: list[tuple[str, float]]
    agreements: list[dict[str, Any]]


# --- building them ------------------------------------------------------------------------


def build(doc: Doc, *, readonly: bool = False) -> Screen:
    """The screen of the document's audience (`readonly`: a team's, as a look)."""
    # The scenario's names, descriptions and events in the reader's language.
    doc = {**doc, "view": localised(doc["view"])}
    key = doc["audience"]
    if key == "facilitator":
        return console(doc)
    if key == "projector":
        return projector(doc)
    if key.startswith("team:"):
        return look(doc) if readonly else participant(doc)
    return lobby(doc)


def participant(doc: Doc) -> ParticipantScreen:
    return ParticipantScreen(**_participant_fields(doc))


def look(doc: Doc) -> LookScreen:
    return LookScreen(**_participant_fields(doc))


def lobby(doc: Doc) -> LobbyScreen:
    return LobbyScreen(**_common(doc))


def console(doc: Doc) -> ConsoleScreen:
    v = doc["view"]
    common = _common(doc)
    proposals = v.get("proposals", [])
    return ConsoleScreen(
        **common,
        players_by_team=players_by_team(doc.get("players", []), v["teams"]),
        open_proposals=[p for p in proposals if p["status"] == "proposed"],
        agreements=v["agreements"],
        results=results(v, None),
        bots_sig=_sig(
            common["bots"],
            v["phase"] == "ended",
            [t["id"] for t in v["teams"]],
            sorted(str(p.get("team")) for p in doc.get("players", [])),  # who plays which
        ),
        strategies=sorted(STRATEGIES),
        event_deck=v.get("event_deck", []),
        waiting=waiting(v, doc.get("players", []), common["bots"]),
        timer_sig=_sig(v["phase"], doc["timer"].get("remaining") is not None),
    )


def projector(doc: Doc) -> ProjectorScreen:
    v = doc["view"]
    return ProjectorScreen(
        **_common(doc),
        map=corridor_map(v),
        scores_table=scores_table(v),
        agreements=v["agreements"],
    )


def _common(doc: Doc) -> dict[str, Any]:
    v = doc["view"]
    teams = {t["id"]: t for t in v["teams"]}
    names = {tid: t["name"] for tid, t in teams.items()}
    history = v["history"]
    return {
        "game_id": doc["game_id"],
        "key": doc["audience"],
        "doc": doc,
        "v": v,
        "phase": v["phase"],
        "timer": doc["timer"],
        "teams": teams,
        "names": names,
        "bots": doc.get("bots") or {},
        "last": history[-1] if history else None,
        "news": [
            {"round": n["round"], "text": words(n, names)}
            for n in reversed(v["news"][-NEWS_SHOWN:])
        ],
        "chat": chat_lines(doc["chat"], names),
        "players": doc.get("players", []),
        "announcement": announcement(doc["chat"]),
    }


def _participant_fields(doc: Doc) -> dict[str, Any]:
    common = _common(doc)
    v = common["v"]
    me = v["me"]
    me_id = me["id"]
    last = common["last"]
    proposals = v.get("proposals", [])
    open_ = [p for p in proposals if p["status"] == "proposed"]
    inbox = [p for p in open_ if p["proposer"] != me_id]
    impl = implementation(v, me, common["names"])
    return {
        **common,
        "me": me,
        "me_id": me_id,
        "my_team": common["teams"][me_id],
        "score": (last.get("scores") or {}).get(me_id) if last else None,
        "my_indicators": last["indicators"].get(me_id, {}) if last else {},
        "inbox": inbox,
        "outbox": [p for p in open_ if p["proposer"] == me_id],
        "closed_proposals": closed_proposals(proposals),
        "agreements": v["agreements"],
        "my_agreements": [a for a in v["agreements"] if me_id in a["parties"]],
        "results": results(v, me_id),
        "impl": impl,
        "guide": guidance(v, me_id, inbox, impl.decided),
    }


# --- the parts ------------------------------------------------------------------------------


def announcement(lines: list[dict[str, Any]]) -> Announcement | None:
    """The newest announcement the screen may read (the chat keeps it with its seq)."""
    for line in reversed(lines):
        if line["channel"] == "announcement":
            return Announcement(int(line["seq"]), str(line["text"]))
    return None


def guidance(v: dict[str, Any], me_id: str, inbox: list[Any], decided: bool) -> Guidance:
    """The one line on top of a team's screen: what to do now, and its main control.

    Read off the team's view only: the phase, its own ready and decision, the proposals
    waiting for it and the agreements waiting for its ratification."""
    phase = v["phase"]
    teams = v["teams"]
    me = next(t for t in teams if t["id"] == me_id)
    others = tuple(t["name"] for t in teams if t["id"] != me_id and not t["ready"])
    if phase == "ended":
        return Guidance(
            _("The game has ended: the debrief shows what the partnerships achieved."),
            "debrief",
            "debrief",
        )
    if v.get("paused"):
        return Guidance(_("The game is paused: wait for the facilitator."))
    if phase == "lobby":
        return Guidance(
            _("You are in. The facilitator starts the game soon: read how to play meanwhile."),
            "help",
        )
    if me["ready"]:
        if others:
            text = _("Your team is ready. Waiting for: {teams}.", teams=", ".join(others))
        else:
            text = _("Every team is ready: the next phase begins.")
        return Guidance(text, "unready", waiting_for=others)
    waiting_ratification = [
        a for a in v["agreements"] if me_id in a.get("awaiting", []) and a["status"] != "withdrawn"
    ]
    if waiting_ratification and phase in ("briefing", "negotiation", "implementation"):
        a = waiting_ratification[0]
        return Guidance(
            _(
                "Agreement {id} waits for your team's ratification: ratify it or leave it.",
                id=a["id"],
            ),
            "ratify",
            f"ag-{a['id']}",
        )
    if phase == "briefing":
        return Guidance(
            _(
                "Round {r} begins: read the news and your mandate, then mark your team ready.",
                r=v["round"],
            ),
            "ready",
        )
    if phase == "negotiation":
        if inbox:
            return Guidance(
                n_(
                    "{n} proposal waits for your answer: accept, counter or reject it.",
                    "{n} proposals wait for your answer: accept, counter or reject them.",
                    len(inbox),
                ),
                "answer",
                "proposals",
            )
        return Guidance(
            _(
                "Negotiate: propose a deal to another team or answer theirs; "
                "mark your team ready when it has finished."
            ),
            "ready",
        )
    if phase == "implementation":
        if not decided:
            return Guidance(
                _(
                    "Decide how far to honour each commitment and set your policies, "
                    "then submit your decisions."
                ),
                "decide",
                "implementation",
            )
        return Guidance(
            _("Your decisions are in. Mark your team ready when it has finished."), "ready"
        )
    if phase == "resolution":
        last = v["rounds"] is not None and v["round"] >= v["rounds"]
        if last:
            text = _(
                "Round {r} is resolved: look at your results; the game ends next.", r=v["round"]
            )
        else:
            text = _(
                "Round {r} is resolved: look at your results, then mark your team ready "
                "for the next round.",
                r=v["round"],
            )
        return Guidance(text, "ready")
    return Guidance("")


def waiting(v: dict[str, Any], players: list[dict[str, Any]], bots: dict[str, Any]) -> Waiting:
    """Who the phase still waits for: teams not ready (not decided, in implementation)
    and teams nobody plays (the players offline come with the presence, in the template)."""
    phase = v["phase"]
    names = {t["id"]: t["name"] for t in v["teams"]}
    seated = {p.get("team") for p in players}
    unplayed = tuple(names[t] for t in names if t not in seated and t not in bots)
    if phase == "implementation":
        late = tuple(t["name"] for t in v["teams"] if not t["decided"])
    elif phase in ("briefing", "negotiation", "resolution"):
        late = tuple(t["name"] for t in v["teams"] if not t["ready"])
    else:
        late = ()
    control = {"lobby": "start", "ended": ""}.get(phase, "advance")
    return Waiting(late, unplayed, control)


CHANNEL_NAMES = {"plenary": N_("Plenary"), "team": N_("Team"), "announcement": N_("Announcement")}


def chat_lines(lines: list[dict[str, Any]], names: dict[str, str]) -> list[dict[str, Any]]:
    """The newest chat first, each with where it was said in words; the server's own
    announcements (a `record`) said in the reader's language."""
    return [
        {
            **line,
            "where": _where(line, names),
            **({"text": words(line["record"], names)} if line.get("record") else {}),
        }
        for line in reversed(lines[-CHAT_SHOWN:])
    ]


def _where(line: dict[str, Any], names: dict[str, str]) -> str:
    if line["channel"] == "bilateral":
        return f"{names.get(line['team'], '?')} ↔ {names.get(line['to_team'], '?')}"
    if line["channel"] == "team":
        return _("Team") + f" {names.get(line['team'], '')}"
    return _(CHANNEL_NAMES.get(line["channel"], line["channel"]))


def closed_proposals(proposals: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The latest proposals no longer open, newest first."""
    closed = [p for p in reversed(proposals) if p["status"] != "proposed"]
    return closed[:CLOSED_PROPOSALS_SHOWN]


def scores_table(v: dict[str, Any]) -> list[tuple[str, float]]:
    """Every team's score of the last round, best first; empty until all are shown."""
    last = v["history"][-1] if v["history"] else None
    scores = (last or {}).get("scores") or {}
    if len(scores) != len(v["teams"]):
        return []
    return sorted(scores.items(), key=lambda kv: -kv[1])


def results(v: dict[str, Any], me_id: str | None) -> Results:
    last = v["history"][-1] if v["history"] else None
    mine = last["indicators"].get(me_id, {}) if last and me_id else {}
    return Results(last, scores_table(v), charts(v, me_id), mine)


def charts(v: dict[str, Any], me_id: str | None) -> list[Markup]:
    """Support and migration by round for everyone; a team's own score line too."""
    history = v["history"]
    if not history:
        return []
    out = [support_chart(v), migration_chart(v)]
    if me_id and all(me_id in (r.get("scores") or {}) for r in history):
        out.append(score_chart(v, me_id))
    return out


def support_chart(v: dict[str, Any]) -> Markup:
    series = [
        (t["name"], t["colour"] or NO_COLOUR, [r["support"].get(t["id"], 0) for r in v["history"]])
        for t in v["teams"]
    ]
    return line_chart(_("Domestic support (%)"), series)


def migration_chart(v: dict[str, Any]) -> Markup:
    corridors = [c["id"] for c in v["corridors"]]

    def total(flow: str) -> list[float]:
        return [
            sum(r["corridors"].get(c, {}).get(flow, 0) for c in corridors) for r in v["history"]
        ]

    series = [
        (_("irregular arrivals"), "#b3261e", total("arrived")),
        (_("returns"), "#6a3d9a", total("returns")),
        (_("legal migrants"), "#1b7a3a", total("legal")),
    ]
    return line_chart(_("Migration per round"), series)


def score_chart(v: dict[str, Any], me_id: str) -> Markup:
    team = next(t for t in v["teams"] if t["id"] == me_id)
    scores = [r["scores"][me_id] for r in v["history"]]
    return line_chart(_("Your score"), [(team["name"], team["colour"] or NO_COLOUR, scores)])


def implementation(v: dict[str, Any], me: dict[str, Any], names: dict[str, str]) -> Implementation:
    """This round's decisions as the form shows them: the team's saved decision if any,
    else its current policies and last round's compliance (100 % for a new term)."""
    decision = me.get("decision")
    compliance = (decision or {}).get("compliance") or {}
    commitments = [_commitment(c, me["id"], names, compliance) for c in me["commitments"]]
    return Implementation(
        policies=(decision or {}).get("policies") or me["policies"],
        commitments=commitments,
        decided=decision is not None,
        sig=_sig(v["round"], v["phase"], decision, [c.term_id for c in commitments]),
    )


def _commitment(
    c: dict[str, Any], me_id: str, names: dict[str, str], compliance: dict[str, float]
) -> Commitment:
    last = c["last_compliance"]
    return Commitment(
        term_id=c["term_id"],
        text=term_text({**c, "giver": me_id}, names),
        type=c["type"],
        amount=c["amount"],
        full_cost=c.get("full_cost"),
        last_compliance=last,
        value=compliance.get(c["term_id"], last if last is not None else 100),
    )


def players_by_team(
    players: list[dict[str, Any]], teams: list[dict[str, Any]]
) -> list[tuple[str | None, str, list[dict[str, Any]]]]:
    """Players grouped by team, in the scenario's order, and those without a team last."""
    groups: list[tuple[str | None, str, list[dict[str, Any]]]] = [
        (t["id"], t["name"], []) for t in teams
    ]
    groups.append((None, _("No team yet"), []))
    index = {tid: members for tid, _n, members in groups}
    for p in players:
        index.get(p.get("team"), index[None]).append(p)
    return groups


def scenario_choices() -> list[dict[str, Any]]:
    """The shipped scenarios as the start page offers them, in the reader's language."""
    out = []
    for sid in shipped_scenarios():
        sc = load_scenario(sid)
        out.append(
            {
                "id": sc.id,
                "name": translated(sc.translations, sc.name),
                "description": translated(sc.translations, sc.description),
                "rounds": sc.rounds,
                "teams": [
                    {"id": t.id, "name": translated(sc.translations, t.name), "type": t.type.value}
                    for t in sc.teams
                ],
            }
        )
    return out


def presence_players(doc: Doc) -> list[dict[str, Any]]:
    """A presence document's players, each with its team (None: none yet)."""
    return [
        {**p, "team": team or None}
        for team, members in doc.get("teams", {}).items()
        for p in members
    ]


def _sig(*parts: Any) -> str:
    """A short signature of what a form shows: a live update that would render the same
    form is skipped in the browser, so what a person is typing survives."""
    return hashlib.sha1(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:12]
