"""Compact's rules engine: pure, deterministic, no I/O.

    from game_rules import load_scenario, new_game, perform, view, Actor, Audience, actions
    state = new_game(load_scenario("mediterranean"), seed=7)
    perform(state, Actor.facilitator(), actions.StartGame())
    view(state, Audience.of_team("union"))

`perform` changes the state in place after verifying the action (raising a RuleError
and changing nothing if it is illegal) and returns the frozen records of what happened
(`game_rules.records`); `apply` returns a new state instead.
"""

from game_rules import actions, records
from game_rules.actions import Action, Actor, parse_action
from game_rules.errors import RuleError
from game_rules.library import load_scenario, shipped_scenarios
from game_rules.records import Record
from game_rules.rules import apply, can, new_game, perform, verify
from game_rules.scenario import Scenario, ScenarioError, parse_scenario, parse_scenario_text
from game_rules.state import GameState, Phase
from game_rules.views import Audience, view

__all__ = [
    "Action",
    "Actor",
    "Audience",
    "GameState",
    "Phase",
    "Record",
    "RuleError",
    "Scenario",
    "ScenarioError",
    "actions",
    "apply",
    "can",
    "load_scenario",
    "new_game",
    "parse_action",
    "parse_scenario",
    "parse_scenario_text",
    "perform",
    "records",
    "shipped_scenarios",
    "verify",
    "view",
]
