"""One rulebook (game_rules/rulebook.py): costs, coercion targets and policy fields are
defined once; the rules charge, the bots estimate and the page's script computes (from the
view document) the same cost."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from game_rules import actions as A
from game_rules import rulebook
from game_rules.actions import PolicyChoice
from game_rules.bots import _cost
from game_rules.rules import perform, verify
from game_rules.scenario import CoerciveTool
from game_rules.state import Decision, Phase
from game_rules.views import Audience, view
from tests.rules.helpers import advance_to, policies_of, sign, start, team, term

PACKAGE = Path(rulebook.__file__).parent


def _game():
    st = start()
    sign(
        st,
        [
            term("funding", "union", "coastland", 120, earmark="refugee_hosting"),
            term("border_cooperation", "coastland", "union", 80),
            term("resettlement", "union", "coastland", 4000),
        ],
    )
    advance_to(st, Phase.implementation)
    return st


@pytest.mark.parametrize("share", [0.0, 37.5, 100.0])
@pytest.mark.parametrize("enforcement", [0.0, 55.0, 100.0])
def test_the_bots_and_the_rules_compute_the_same_cost(share: float, enforcement: float) -> None:
    st = _game()
    for tid in ("union", "coastland"):
        me = view(st, Audience.of_team(tid))["me"]
        compliance = {c["term_id"]: share for c in me["commitments"]}
        policies = policies_of(st, tid, border_enforcement=enforcement)
        charged = rulebook.decision_cost(
            st, tid, Decision(compliance=compliance, policies=policies)
        )
        assert _cost(me, compliance, policies) == charged, tid


def test_a_commitment_to_more_enforcement_is_paid_as_enforcement() -> None:
    st = _game()
    policies = policies_of(st, "coastland", border_enforcement=10.0)
    d = Decision(compliance={}, policies=policies)
    assert rulebook.effective_enforcement(st, st.teams["coastland"], d) == 80.0
    per_point = st.scenario.model.enforcement_cost
    spent = policies.development_spending + policies.integration_spending
    spent += policies.return_operations
    assert rulebook.decision_cost(st, "coastland", d) == pytest.approx(80 * per_point + spent)


def test_the_view_document_carries_the_formula_the_page_script_reads() -> None:
    st = _game()
    costs = view(st, Audience.of_team("union"))["me"]["costs"]
    assert costs == rulebook.cost_formula(st.scenario.model)
    fields = set(PolicyChoice.model_fields)
    assert {costs["enforcement_policy"], *costs["spending_policies"]} | set(
        rulebook.UNSCALED_POLICIES
    ) == fields, "every policy is classified once"
    script = (PACKAGE.parent / "web/static/compact.js").read_text(encoding="utf-8")
    for copy in ("development_spending", "border_enforcement", "border_cooperation"):
        assert copy not in script, f"the page's script keeps its own copy of {copy}"


def test_scaling_keeps_the_permits_and_scales_what_costs_money() -> None:
    p = PolicyChoice(
        border_enforcement=50,
        development_spending=100,
        integration_spending=40,
        return_operations=20,
        labour_permits=3000,
        refugee_work_permits=500,
    )
    half = rulebook.scaled_policies(p, 0.5)
    for f in (rulebook.ENFORCEMENT_POLICY, *rulebook.SPENDING_POLICIES):
        assert getattr(half, f) == getattr(p, f) / 2
    for f in rulebook.UNSCALED_POLICIES:
        assert getattr(half, f) == getattr(p, f)


def test_every_coercive_tool_has_its_targets_and_the_rules_enforce_them() -> None:
    assert set(rulebook.COERCION_TARGETS) == set(CoerciveTool)
    st = start()
    advance_to(st, Phase.negotiation)
    # the union (a destination) may cut aid to sahelia (an origin)
    verify(st, team("union"), A.Coerce(tool="aid_cuts", target="sahelia"))
    perform(st, team("union"), A.Coerce(tool="aid_cuts", target="sahelia"))


def test_the_model_and_the_rules_import_no_circle() -> None:
    """rules → model → rulebook/state, never back: the model no longer imports the rules."""
    for name in ("model.py", "rulebook.py", "state.py", "records.py"):
        tree = ast.parse((PACKAGE / name).read_text(encoding="utf-8"))
        imported = {
            node.module
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module
        }
        assert "game_rules.rules" not in imported, name
