"""Forms: what a page's form sends, read into the data of an action.

Plain functions of the submitted fields (any mapping with `get` and `getlist`, like
Starlette's `FormData`): the page routes call them, then the server's commands. A value
that does not parse is passed on as typed, for the action's validation to name it.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from game_rules.actions import VISA_LEVELS, Earmark, TermType
from web.format import AMOUNT_HINTS
from web.i18n import N_, _, localised

PHASES_WITH_TIMERS = ("briefing", "negotiation", "implementation", "resolution")

# --- the proposal builder ---------------------------------------------------------------


def blank_term(me_id: str | None, other: str | None) -> dict[str, Any]:
    return {
        "type": "readmission",
        "giver": me_id or "",
        "receiver": other or "",
        "amount": "",
        "duration": 2,
        "earmark": "",
        "skills_training": False,
        "third_country": False,
    }


def builder_context(
    doc: dict[str, Any],
    form: dict[str, Any] | None,
    *,
    counter: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    notice: str = "",
    shown_counter: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """What the builder shows: a fresh proposal, the proposal being countered
    (`counter`), or the form as it was sent back (`form`, still countering
    `shown_counter` if it was)."""
    v = localised(doc["view"])
    me_id = v.get("me", {}).get("id") if v.get("me") else None
    others = [t for t in v["teams"] if t["id"] != me_id]
    if counter is not None:
        terms = [dict(t) for t in counter["terms"]]
        conditions = [dict(c) for c in counter["conditions"]]
        parties = list(counter["parties"])
        message_text = ""
    elif form is not None:
        terms, conditions = form["terms"], form["conditions"]
        parties, message_text = form["parties"], form["message"]
    else:
        terms = [blank_term(me_id, others[0]["id"] if others else None)]
        conditions, parties, message_text = [], [], ""
    return {
        "me_id": me_id,
        "teams": v["teams"],
        "others": others,
        "terms": terms,
        "conditions": conditions,
        "parties": parties,
        "message": message_text,
        "counter": counter if counter is not None else shown_counter,
        "errors": errors or {},
        "notice": notice,
        "term_types": [t.value for t in TermType],
        "earmarks": [e.value for e in Earmark],
        "hints": AMOUNT_HINTS,
        "visa_levels": VISA_LEVELS,
        "bots": doc.get("bots") or {},
    }


def _count(raw: Any, most: int = 40) -> int:
    """A row count sent back by the builder form: 0 to `most`; anything else ("NaN") 0."""
    text = str(raw or "").strip()
    return min(int(text), most) if text.isascii() and text.isdigit() else 0


def read_builder(form: Any) -> dict[str, Any]:
    def num(raw: Any) -> Any:
        raw = str(raw or "").strip()
        try:
            return float(raw) if raw else raw
        except ValueError:
            return raw

    terms = []
    for i in range(_count(form.get("nterms"))):
        if form.get(f"t{i}_removed"):
            continue
        terms.append(
            {
                "type": str(form.get(f"t{i}_type", "")),
                "giver": str(form.get(f"t{i}_giver", "")),
                "receiver": str(form.get(f"t{i}_receiver", "")),
                "amount": num(form.get(f"t{i}_amount")),
                "duration": num(form.get(f"t{i}_duration")) or 2,
                "earmark": str(form.get(f"t{i}_earmark", "")),
                "skills_training": bool(form.get(f"t{i}_skills")),
                "third_country": bool(form.get(f"t{i}_third")),
            }
        )
    conditions = []
    for i in range(_count(form.get("nconds"))):
        if form.get(f"c{i}_removed"):
            continue
        conditions.append(
            {
                "term": num(form.get(f"c{i}_term")),
                "requires": num(form.get(f"c{i}_requires")),
                "threshold": num(form.get(f"c{i}_threshold")),
            }
        )
    return {
        "terms": terms,
        "conditions": conditions,
        "parties": [str(p) for p in form.getlist("parties")],
        "message": str(form.get("message", ""))[:1000],
        "proposal_id": str(form.get("proposal_id", "")),
    }


def action_terms(built: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for t in built["terms"]:
        term = {k: v for k, v in t.items() if k != "earmark"}
        if t["type"] == "funding" and t["earmark"]:
            term["earmark"] = t["earmark"]
        if t["type"] != "labour_pathway":
            term.pop("skills_training")
        if t["type"] != "readmission":
            term.pop("third_country")
        if isinstance(term["duration"], float) and term["duration"].is_integer():
            term["duration"] = int(term["duration"])
        out.append(term)
    conds = []
    for c in built["conditions"]:
        c = dict(c)
        for k in ("term", "requires"):
            if isinstance(c[k], float):
                c[k] = int(c[k]) - 1 if c[k].is_integer() else c[k]  # counted from 1
        conds.append(c)
    return [{"terms": out, "conditions": conds}]


def builder_errors(exc: Exception) -> dict[str, str]:
    """A refusal as messages next to the builder's fields (a rule's or the server's
    refusal: next to the whole form)."""
    if not isinstance(exc, ValidationError):
        return {"form": str(getattr(exc, "message", exc))}
    errors: dict[str, str] = {}
    for e in exc.errors():
        loc = [p for p in e["loc"] if p not in ("propose", "counter")]
        if len(loc) >= 2 and loc[0] in ("terms", "conditions") and isinstance(loc[1], int):
            where = ("t" if loc[0] == "terms" else "c") + str(loc[1])
            field = ".".join(str(p) for p in loc[2:])
            errors[where] = (errors.get(where, "") + f" {field}: {e['msg']}.").strip()
        else:
            field = ".".join(str(p) for p in loc) or "form"
            errors["form"] = (errors.get("form", "") + f" {field}: {e['msg']}.").strip()
    return errors


def counter_of(proposal: dict[str, Any]) -> dict[str, Any]:
    """A proposal from the view as the builder shows it to counter: its conditions name
    terms from 1, as people count."""
    conditions = [
        {**c, "term": c["term"] + 1, "requires": c["requires"] + 1} for c in proposal["conditions"]
    ]
    return {**proposal, "conditions": conditions}


def counter_in(built: dict[str, Any]) -> dict[str, Any] | None:
    """The proposal being countered in a sent builder form (None: a new proposal)."""
    if not built["proposal_id"]:
        return None
    return {
        "id": built["proposal_id"],
        "terms": built["terms"],
        "conditions": built["conditions"],
        "parties": built["parties"],
    }


def add_row(built: dict[str, Any], op: str, me_id: str | None) -> None:
    """A term or a condition more, the rest of the form as it was typed."""
    if op == "add_term":
        built["terms"].append(blank_term(me_id, None))
    else:
        built["conditions"].append({"term": "", "requires": "", "threshold": 80})


def proposal_action(built: dict[str, Any], me_id: str | None) -> dict[str, Any]:
    """The `propose` (or `counter`) action a sent builder form asks for."""
    shaped = action_terms(built)[0]
    if built["proposal_id"]:
        return {
            "kind": "counter",
            "proposal_id": built["proposal_id"],
            **shaped,
            "message": built["message"],
        }
    parties = list(dict.fromkeys([me_id, *built["parties"]]))
    return {"kind": "propose", "parties": parties, **shaped, "message": built["message"]}


# --- the facilitator's console ------------------------------------------------------------

FACILITATOR_OPS = {
    "start": ({"kind": "start_game"}, N_("The game has started.")),
    "pause": ({"kind": "pause_game"}, N_("Paused.")),
    "resume": ({"kind": "resume_game"}, N_("Resumed.")),
    "advance": ({"kind": "advance_phase"}, N_("Next phase.")),
    "reveal": ({"kind": "reveal_scores", "revealed": True}, N_("Scores revealed.")),
    "hide": ({"kind": "reveal_scores", "revealed": False}, N_("Scores hidden.")),
    "end": ({"kind": "end_game"}, N_("The game has ended.")),
    "truth": ({"kind": "reveal_truth"}, N_("The truth is shown on every screen.")),
}


"""The console's buttons: the facilitator's action each sends, and what it says."""

BOT_DONE = {
    "seat": N_("{team} is now played by a bot ({strategy})."),
    "unseat": N_("{team} is back in people's hands."),
    "pace": N_("Bots now wait at least {seconds} s between two moves."),
}


def problems(exc: ValidationError) -> str:
    """A refused form's problems in one line, field by field."""
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'form'}: {e['msg']}" for e in exc.errors()
    )


# --- one-button actions and the implementation form ----------------------------------------

SIMPLE = {
    "accept": ("proposal_id",),
    "reject": ("proposal_id", "message"),
    "retract": ("proposal_id",),
    "withdraw": ("agreement_id",),
    "ratify": ("agreement_id",),
    "set_ready": ("ready",),
    "coerce": ("tool", "target"),
}
"""The actions a small form sends, with the fields each reads."""

DONE = {
    "accept": N_("Accepted."),
    "reject": N_("Rejected."),
    "retract": N_("Withdrawn."),
    "withdraw": N_("You left the agreement."),
    "ratify": N_("Ratified."),
    "set_ready": N_("Saved."),
    "coerce": N_("Done."),
}


def simple_action(form: Any) -> dict[str, Any] | None:
    """The action of a one-button form (None: not one of `SIMPLE`)."""
    kind = str(form.get("kind", ""))
    if kind not in SIMPLE:
        return None
    data: dict[str, Any] = {"kind": kind}
    for field in SIMPLE[kind]:
        if field in form:
            data[field] = str(form[field]) if field != "ready" else form[field] == "1"
    return data


POLICY_FIELDS = (
    "border_enforcement",
    "development_spending",
    "integration_spending",
    "return_operations",
    "labour_permits",
    "refugee_work_permits",
)


def _number(raw: Any) -> Any:
    try:
        return float(str(raw))
    except ValueError:
        return raw


def implement_action(form: Any) -> dict[str, Any]:
    """The implementation form: compliance per term (`c_<term id>`) and the policies."""
    return {
        "kind": "implement",
        "compliance": {k[2:]: _number(v) for k, v in form.items() if k.startswith("c_")},
        "policies": {f: _number(form.get(f, 0)) for f in POLICY_FIELDS},
    }


# --- the start page ----------------------------------------------------------------------


def game_spec(form: Any, scenario_text: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The game a start form asks for, and the fields that could not be read. An
    uploaded scenario (`scenario_text`) plays all its own teams."""
    scenario = str(form.get("scenario", "mediterranean"))
    spec: dict[str, Any] = {"scenario": scenario, "title": str(form.get("title", ""))}
    if scenario_text:
        spec["scenario_file"] = scenario_text
    else:
        teams = [str(t) for t in form.getlist(f"teams_{scenario}")]
        if teams:
            spec["teams"] = teams
    if form.get("rounds"):
        spec["rounds"] = form.get("rounds")
    spec["timers"], errors = _timers(form)
    return spec, errors


def _timers(form: Any) -> tuple[dict[str, float], dict[str, str]]:
    timers, errors = {}, {}
    for phase in PHASES_WITH_TIMERS:
        raw = str(form.get(f"timer_{phase}", "") or "").strip()
        if raw:
            try:
                timers[phase] = float(raw) * 60
            except ValueError:
                errors[f"timer_{phase}"] = _("minutes, as a number")
    return timers, errors


def spec_errors(exc: ValidationError) -> dict[str, str]:
    """A refused game spec as messages next to the start form's fields."""
    errors = {}
    for e in exc.errors():
        field = str(e["loc"][0]) if e["loc"] else "form"
        if field == "timers" and len(e["loc"]) > 1:
            field = f"timer_{e['loc'][1]}"
        errors[field] = e["msg"]
    return errors
