"""A page on another origin (here: another port of the same host, so SameSite does not
help) can neither act nor read through a participant's or the facilitator's cookies: not
with fetch, not with a form posted into a hidden frame, not with a websocket."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.browser

EVIL_PAGE = """<!doctype html><html><body>
<iframe name="sink" id="sink"></iframe>
<form id="forged" method="post" target="sink" action="{target}/games/{game}/{form_path}">
{fields}</form>
<script>
const T = {target_js}, G = {game_js};
window.report = {{ws: [], statuses: []}};
async function attack() {{
  const opts = (body, type) => ({{method: "POST", mode: "no-cors", credentials: "include",
    headers: {{"content-type": type}}, body}});
  const form = new URLSearchParams({form_js});
  await fetch(T + "/games/" + G + "/{form_path}", opts(form, "application/x-www-form-urlencoded"));
  await fetch(T + "/api/games/" + G + "/chat",
    opts(JSON.stringify({{channel: "plenary", text: "forged by fetch"}}), "text/plain"));
  await fetch(T + "/api/games/" + G + "/actions",
    opts(JSON.stringify({{kind: "pause_game"}}), "text/plain"));
  try {{
    const r = await fetch(T + "/api/games/" + G + "/view", {{credentials: "include"}});
    window.report.read = await r.text();
  }} catch (e) {{ window.report.read_error = String(e); }}
  document.getElementById("forged").submit();
  await new Promise((done) => {{
    const ws = new WebSocket(T.replace("http", "ws") + "/ws/games/" + G);
    ws.onmessage = (m) => {{
      window.report.ws.push(m.data);
      if (window.report.ws.length >= 2) ws.close();  // the welcome and a view: read
    }};
    ws.onclose = () => done();
    ws.onerror = () => done();
  }});
  window.report.done = true;
}}
attack();
</script></body></html>"""


@pytest.fixture
def evil_site() -> Iterator[dict[str, Any]]:
    """A web server on another port that serves whatever page the test sets."""
    content: dict[str, Any] = {"page": ""}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = content["page"].encode()
            self.send_response(200)
            self.send_header("content-type", "text/html; charset=utf-8")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    content["url"] = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield content
    httpd.shutdown()
    httpd.server_close()


def _evil(target: str, game: str, form_path: str, form: dict[str, str]) -> str:
    fields = "".join(f'<input name="{k}" value="{v}">' for k, v in form.items())
    return EVIL_PAGE.format(
        target=target,
        game=game,
        form_path=form_path,
        fields=fields,
        target_js=json.dumps(target),
        game_js=json.dumps(game),
        form_js=json.dumps(form),
    )


@pytest.mark.parametrize("victim", ["participant", "facilitator"])
def test_another_origin_can_neither_act_nor_read_through_the_cookies(
    new_context: Any, base_url: str, evil_site: dict[str, Any], victim: str
) -> None:
    r = httpx.post(f"{base_url}/api/games", json={"scenario": "mediterranean"})
    game = r.json()
    g, fac = game["game_id"], {"Authorization": f"Bearer {game['facilitator_token']}"}
    seat = httpx.post(
        f"{base_url}/api/join", json={"code": game["join_code"], "name": "Ana", "team": "union"}
    ).json()
    for kind in ("start_game", "advance_phase"):
        r = httpx.post(f"{base_url}/api/games/{g}/actions", json={"kind": kind}, headers=fac)
        assert r.status_code == 200, r.text
    before = httpx.get(f"{base_url}/api/games/{g}/export", headers=fac).json()

    ctx = new_context()
    if victim == "participant":
        cookie, token = f"compact_seat_{g}", seat["token"]
        path, form = "play/chat", {"to": "plenary", "text": "forged by a form"}
    else:
        cookie, token = f"compact_facilitator_{g}", game["facilitator_token"]
        path, form = "console/do", {"op": "pause"}
    ctx.add_cookies([{"name": cookie, "value": token, "url": base_url, "httpOnly": True}])
    # The victim's own page works with that cookie (the test is not vacuous).
    mine = ctx.new_page()
    r = mine.goto(f"{base_url}/games/{g}/" + ("play" if victim == "participant" else "console"))
    assert r is not None and r.status == 200

    evil_site["page"] = _evil(base_url, g, path, form)
    page = ctx.new_page()
    page.goto(evil_site["url"])
    page.wait_for_function("() => window.report && window.report.done", timeout=15_000)
    report = page.evaluate("() => window.report")

    after = httpx.get(f"{base_url}/api/games/{g}/export", headers=fac).json()
    assert len(after["log"]) == len(before["log"]), after["log"][len(before["log"]) :]
    assert after["state"]["paused"] is False
    assert "read" not in report and "read_error" in report, report
    assert not any('"type": "view"' in m or '"view"' in m for m in report["ws"]), report["ws"]
