"""`compact play`: bot games from the command line, as one reproducible JSON document."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from game_rules.cli import app

COMPACT = Path(sys.executable).parent / "compact"
CMD = [str(COMPACT)] if COMPACT.exists() else [sys.executable, "-m", "server.cli"]
runner = CliRunner()


def compact(*args: str, hashseed: str = "0") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONHASHSEED": hashseed}
    return subprocess.run(
        [*CMD, *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )


PLAY = ("play", "--scenario", "mediterranean", "--seed", "7", "--bots", "all", "--json")


@pytest.fixture(scope="module")
def report_text() -> str:
    proc = compact(*PLAY, hashseed="1")
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.fixture(scope="module")
def report(report_text: str) -> dict[str, Any]:
    return json.loads(report_text)


def test_play_json_is_one_document(report_text: str) -> None:
    assert report_text.endswith("\n") and report_text.count("\n") == 1
    json.loads(report_text)


def test_play_json_holds_the_whole_game(report: dict[str, Any]) -> None:
    teams = {"union", "coastland", "sahelia"}
    assert report["scenario"] == "mediterranean" and report["seed"] == 7
    assert [r["round"] for r in report["rounds"]] == [1, 2, 3, 4, 5]
    for rnd in report["rounds"]:
        assert set(rnd["indicators"]) == teams
        assert set(rnd["scores"]) == teams
        assert set(rnd["trust"]) == teams
        assert "central" in rnd["corridors"]
        f = rnd["corridors"]["central"]
        assert f["potential"] == f["stayed"] + f["legal"] + f["blocked"] + f["died"] + f["arrived"]
    assert isinstance(report["agreements"], list)
    assert isinstance(report["compliance"], list)
    if report["agreements"]:
        assert report["compliance"], "signed agreements leave compliance records"
        rec = report["compliance"][0]
        assert {"true_compliance", "observed_compliance", "promised"} <= set(rec)
    assert set(report["teams"]) == teams
    for row in report["teams"].values():
        assert {"score", "batna", "gain"} <= set(row)
        assert row["gain"] == pytest.approx(row["score"] - row["batna"])
    assert report["strategies"] == dict.fromkeys(teams, "reciprocator")


def test_same_seed_gives_byte_identical_output(report_text: str) -> None:
    again = compact(*PLAY, hashseed="2")
    assert again.returncode == 0, again.stderr
    assert again.stdout == report_text


def test_another_seed_gives_another_game(report_text: str) -> None:
    other = compact("play", "--scenario", "mediterranean", "--seed", "8", "--bots", "all", "--json")
    assert other.returncode == 0, other.stderr
    assert other.stdout != report_text
    assert json.loads(other.stdout)["rounds"] != json.loads(report_text)["rounds"]


def test_strategies_option() -> None:
    result = runner.invoke(app, [*PLAY, "--strategies", "union=hardliner"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["strategies"] == {
        "union": "hardliner",
        "coastland": "reciprocator",
        "sahelia": "reciprocator",
    }
    result = runner.invoke(
        app,
        [
            *PLAY,
            "--strategies",
            "union=conceder, sahelia=hardliner",
            "--default-strategy",
            "conceder",
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["strategies"] == {
        "union": "conceder",
        "coastland": "conceder",
        "sahelia": "hardliner",
    }


@pytest.mark.parametrize(
    ("option", "needle"),
    [
        ("union=bully", "bully"),
        ("atlantis=conceder", "atlantis"),
        ("union", "team=strategy"),
    ],
)
def test_bad_strategies_fail_clearly(option: str, needle: str) -> None:
    proc = compact(*PLAY, "--strategies", option)
    assert proc.returncode != 0
    assert proc.stdout == ""
    assert needle in proc.stderr
    assert "Traceback" not in proc.stderr


def test_unknown_strategy_lists_the_choices() -> None:
    proc = compact(*PLAY, "--default-strategy", "bully")
    assert proc.returncode != 0
    assert "bully" in proc.stderr and "conceder" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_unknown_scenario_fails_clearly() -> None:
    result = runner.invoke(app, ["play", "--scenario", "atlantis", "--json"])
    assert result.exit_code != 0
    assert "atlantis" in result.stderr


def test_human_readable_summary() -> None:
    result = runner.invoke(app, ["play", "--seed", "7"])
    assert result.exit_code == 0, result.output
    assert "Mediterranean corridor, seed 7" in result.stdout
    for tid in ("union", "coastland", "sahelia"):
        assert tid in result.stdout
    assert "no-deal" in result.stdout


def test_scenario_file_path_works(tmp_path: Path) -> None:
    from game_rules.library import SCENARIO_DIR

    copy = tmp_path / "mine.yaml"
    copy.write_text((SCENARIO_DIR / "mediterranean.yaml").read_text(encoding="utf-8"))
    result = runner.invoke(app, ["play", "--scenario", str(copy), "--seed", "7", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["scenario"] == "mediterranean"


def test_the_compact_program_has_the_rules_and_the_server_commands() -> None:
    """One program: the rules' commands and `serve` / `db upgrade`, mounted from the
    server's side so that the rules package never imports the server."""
    top = compact("--help")
    assert top.returncode == 0, top.stderr
    for command in ("play", "balance", "scenario", "serve", "db"):
        assert command in top.stdout, command
    db = compact("db", "--help")
    assert db.returncode == 0 and "upgrade" in db.stdout
    serve = compact("serve", "--help")
    assert serve.returncode == 0 and "--port" in serve.stdout
