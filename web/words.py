"""What happened, in words: one sentence per record of `game_rules.records`, in the reader's
language.

The rules keep records (ids, teams, numbers); this is the one place that turns them into
sentences. Every sentence is a plain message id with named placeholders, so that the
catalogues (`web/i18n.py`) can translate it whole, word order included.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from web.i18n import _

Record = Mapping[str, Any]
"""A record as JSON (a view's `news`, an action's `notices`), or any mapping of its fields."""


def _tool(tool: str) -> str:
    return {
        "visa_sanctions": _("visa sanctions"),
        "aid_cuts": _("aid cuts"),
        "gate_opening": _("gate opening"),
        "readmission_refusal": _("readmission refusal"),
    }.get(tool, tool.replace("_", " "))


def _and(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return _("{first} and {last}", first=", ".join(names[:-1]), last=names[-1])


def _phase(r: Record, n: Callable[[str], str]) -> str:
    phase = r["phase"]
    if phase == "briefing":
        return _("Round {round} ({year}) begins", round=r["round"], year=r["year"])
    if phase == "negotiation":
        return _("Round {round}: negotiations open", round=r["round"])
    return _("Round {round}: implementation", round=r["round"])


def _legacy(r: Record, n: Callable[[str], str]) -> str:
    return str(r["text"])  # saved as English prose before records existed: shown as written


_SENTENCES: dict[str, Callable[[Record, Callable[[str], str]], str]] = {
    "proposal_made": lambda r, n: _(
        "{team} proposed {proposal}", team=n(r["by"]), proposal=r["proposal_id"]
    ),
    "proposal_countered": lambda r, n: _(
        "{team} countered {old} with {proposal}",
        team=n(r["by"]),
        old=r["countered"],
        proposal=r["proposal_id"],
    ),
    "proposal_accepted": lambda r, n: _(
        "{team} accepted {proposal}", team=n(r["by"]), proposal=r["proposal_id"]
    ),
    "proposal_rejected": lambda r, n: _(
        "{team} rejected {proposal}", team=n(r["by"]), proposal=r["proposal_id"]
    ),
    "proposal_retracted": lambda r, n: _(
        "{team} withdrew its proposal {proposal}", team=n(r["by"]), proposal=r["proposal_id"]
    ),
    "ratification_refused": lambda r, n: _(
        "{team}'s parliament refused to ratify {proposal}",
        team=n(r["by"]),
        proposal=r["proposal_id"],
    ),
    "agreement_signed": lambda r, n: _(
        "{parties} signed agreement {agreement}",
        parties=_and([n(p) for p in r["parties"]]),
        agreement=r["agreement_id"],
    ),
    "agreement_withdrawn": lambda r, n: _(
        "{team} withdrew from agreement {agreement}", team=n(r["by"]), agreement=r["agreement_id"]
    ),
    "agreement_ratified": lambda r, n: _(
        "{team} ratified agreement {agreement}", team=n(r["by"]), agreement=r["agreement_id"]
    ),
    "term_suspended": lambda r, n: _(
        "Term {term} of {agreement} is suspended: its condition was not met",
        term=r["term_id"],
        agreement=r["agreement_id"],
    ),
    "term_released": lambda r, n: _(
        "Term {term} of {agreement} is back in force: its condition is met again",
        term=r["term_id"],
        agreement=r["agreement_id"],
    ),
    "coercion_used": lambda r, n: _(
        "{team} used {tool} against {target}",
        team=n(r["by"]),
        tool=_tool(r["tool"]),
        target=n(r["target"]),
    ),
    "pressure_lifted": lambda r, n: _(
        "{team} lifted its {tool} against {target}: they signed an agreement this round",
        team=n(r["by"]),
        tool=_tool(r["tool"]),
        target=n(r["target"]),
    ),
    "government_fell": lambda r, n: _(
        "The government of {team} has fallen; its agreements await re-ratification",
        team=n(r["team"]),
    ),
    "team_ready": lambda r, n: (
        _("{team} is ready", team=n(r["team"]))
        if r["ready"]
        else _("{team} is not ready", team=n(r["team"]))
    ),
    "team_decided": lambda r, n: _("{team} has decided", team=n(r["team"])),
    "event_played": lambda r, n: _("{title}: {story}", title=r["title"], story=r["text"]),
    "phase_changed": _phase,
    "round_resolved": lambda r, n: _(
        "Round {round} ({year}–{next_year}) results are in",
        round=r["round"],
        year=r["year"],
        next_year=r["year"] + 1,
    ),
    "game_ended": lambda r, n: (
        _("The facilitator ended the game: time for the debrief")
        if r["by_facilitator"]
        else _("The last round is over: time for the debrief")
    ),
    "game_paused": lambda r, n: _("The facilitator paused the game"),
    "game_resumed": lambda r, n: _("The game resumes"),
    "scores_revealed": lambda r, n: (
        _("The facilitator revealed the scores")
        if r["revealed"]
        else _("The facilitator hid the scores")
    ),
    "truth_revealed": lambda r, n: _(
        "The facilitator revealed what every team truly delivered, and the trust between all teams"
    ),
    "slide_shown": lambda r, n: _("The debrief moved to slide {n}", n=r["slide"] + 1),
    "legacy_news": _legacy,
}


_SERVER_SENTENCES: dict[str, Callable[[Record, Callable[[str], str]], str]] = {
    # The server's own announcements (server/room.py `ChatLine.record`), not the rules'.
    "bot_handed_back": lambda r, n: _(
        "The bot playing {team} stopped after an error: {team} is in people's hands.",
        team=n(r["team"]),
    ),
}


def words(record: Record, names: Mapping[str, str]) -> str:
    """One sentence saying what `record` records, in the reader's language; `names` maps
    team ids to the names the reader knows them by."""

    def name(team_id: str) -> str:
        return names.get(team_id, team_id)

    kind = str(record.get("kind"))
    sentence = _SENTENCES.get(kind) or _SERVER_SENTENCES.get(kind)
    if sentence is None:
        return _("Something happened ({kind})", kind=record.get("kind"))
    return sentence(record, name)


KINDS = frozenset(_SENTENCES)
"""The record kinds that have a sentence (a test checks every record type is here)."""
SERVER_KINDS = frozenset(_SERVER_SENTENCES)
"""The server's announcement records that have a sentence."""
