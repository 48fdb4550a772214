"""Security headers on every answer, and templates with no inline script for the CSP to
have to allow."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from tests.server.players import Browser, seat_table

TEMPLATES = Path(__file__).resolve().parents[2] / "web" / "templates"


async def test_every_answer_has_the_security_headers(browsers: Callable[[], Browser]) -> None:
    table = await seat_table(browsers)
    fac, union = table.facilitator, table.teams["union"]
    g = table.game_id
    answers = [
        await fac.http.get(f"/games/{g}/console"),
        await union.http.get(f"/games/{g}/play"),
        await union.http.get("/"),
        await union.http.get("/join"),
        await union.http.get(f"/games/{g}/nowhere"),
        await union.get("/api/games/{g}/view"),
        await fac.http.get("/static/compact.js"),
    ]
    for r in answers:
        h = r.headers
        assert "frame-ancestors 'none'" in h["content-security-policy"], r.url
        assert "script-src 'self'" in h["content-security-policy"]
        assert (
            "unsafe-inline" not in h["content-security-policy"].split("script-src")[1].split(";")[0]
        )
        assert h["x-content-type-options"] == "nosniff"
        assert h["x-frame-options"] == "DENY"
        assert h["referrer-policy"] == "same-origin"
    for r in answers[:-1]:  # pages and API answers carry tokens, codes, secrets
        assert r.headers["cache-control"] == "no-store", r.url
    assert answers[-1].headers.get("cache-control") != "no-store"


def test_no_template_has_an_inline_script_or_handler() -> None:
    inline_script = re.compile(r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>", re.I)
    handler = re.compile(r"\s(on[a-z]+|hx-on[:\w-]*)\s*=", re.I)
    found = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        found += [f"{path.name}: {m.group(0)}" for m in inline_script.finditer(text)]
        found += [f"{path.name}: {m.group(0)}" for m in handler.finditer(text)]
        found += [f"{path.name}: javascript:" for _ in re.finditer("javascript:", text, re.I)]
    assert not found, found
