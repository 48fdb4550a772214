"""A facilitator's own scenario file: played when valid, refused with the CLI's words."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.testing import CliRunner

from game_rules.cli import app as cli
from game_rules.library import SCENARIO_DIR
from tests.server.players import Browser

MED = (SCENARIO_DIR / "mediterranean.yaml").read_text(encoding="utf-8")


def _own_version() -> str:
    data = yaml.safe_load(MED)
    data["id"] = "our_course"
    data["name"] = "Our course's Mediterranean"
    data["rounds"] = 3
    return yaml.safe_dump(data, sort_keys=False)


async def test_an_uploaded_scenario_is_played(browsers) -> None:
    fac: Browser = browsers()
    await fac.create_game(scenario_file=_own_version())
    doc = (await fac.get("/api/games/{g}/view")).json()
    assert doc["title"] == "Our course's Mediterranean"
    assert doc["view"]["rounds"] == 3
    await fac.act({"kind": "start_game"})


async def test_an_invalid_upload_gets_the_same_errors_as_the_cli(browsers, tmp_path: Path) -> None:
    data = yaml.safe_load(MED)
    del data["teams"][0]["mandate"]
    data["rounds"] = "five"
    text = yaml.safe_dump(data, sort_keys=False)
    fac: Browser = browsers()
    r = await fac.http.post("/api/games", json={"scenario_file": text})
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["error"] == "invalid_scenario"
    file = tmp_path / "uploaded scenario"
    file.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["scenario", "check", str(file)])
    assert result.exit_code == 1
    cli_problems = result.stderr.strip().splitlines()[:-1]

    def unsourced(problems: list[str]) -> list[str]:  # the CLI names the file by its path
        return [p.split(": ", 1)[1] for p in problems]

    assert unsourced(body["problems"]) == unsourced(cli_problems)
    assert any("rounds" in p for p in body["problems"])
    assert any("mandate" in p and "missing" in p for p in body["problems"])


async def test_broken_yaml_aliases_and_huge_files_are_refused(browsers) -> None:
    fac: Browser = browsers()
    r = await fac.http.post("/api/games", json={"scenario_file": "id: [unclosed"})
    assert r.status_code == 422 and "not valid YAML" in r.json()["message"]
    bomb = "a: &a [x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b]\n"
    r = await fac.http.post("/api/games", json={"scenario_file": bomb})
    assert r.status_code == 422 and "aliases" in r.json()["message"]
    r = await fac.http.post("/api/games", json={"scenario_file": "#" * 70_000})
    assert r.status_code in (413, 422)
