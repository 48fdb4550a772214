"""Hardening that several routes share: display names, cross-site checks, headers.

Kept apart from the routes so that every door (the JSON API, the forms, the websocket)
applies the same rule.
"""

from __future__ import annotations

import hmac
import re
import secrets
import unicodedata
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.errors import ApiError

if TYPE_CHECKING:
    from server.rooms import GameRoom

NAME_MAX_CHARS = 40

RESERVED_NAMES = frozenset({"facilitator", "facilitateur", "facilitatrice", "projector", "ميسر"})
"""Names a participant may not take: the facilitator's announcements are signed so."""


def _visible(ch: str) -> bool:
    # Cc: control characters; Cf: format characters — the bidi overrides and isolates
    # (U+202A-202E, U+2066-2069), zero-width spaces and joiners, the BOM. A name holds none.
    return unicodedata.category(ch) not in ("Cc", "Cf", "Co", "Cs", "Cn")


def display_name(raw: str) -> str:
    """`raw` as a name others will see: NFC, no control or format characters, single
    spaces, 1 to 40 characters. A 422 when nothing visible is left."""
    text = unicodedata.normalize("NFC", raw)
    text = "".join(ch if _visible(ch) else (" " if ch in "\t\n\r" else "") for ch in text)
    text = " ".join(text.split())
    if not text:
        raise ApiError(422, "invalid", "the name is empty: write a name the others will see")
    if len(text) > NAME_MAX_CHARS:
        raise ApiError(422, "too_long", f"a name has at most {NAME_MAX_CHARS} characters")
    return text


def name_key(name: str) -> str:
    """What two names must not share: compatibility forms folded (fullwidth letters,
    ligatures) and case ignored."""
    return unicodedata.normalize("NFKC", name).casefold()


def check_name_free(room: GameRoom, name: str) -> None:
    key = name_key(name)
    if key in RESERVED_NAMES or key.startswith("bot:"):
        raise ApiError(422, "invalid", f"the name {name!r} is reserved: choose another")
    for seat in room.seats.values():
        if not seat.removed and name_key(seat.name) == key:
            raise ApiError(409, "name_taken", f"someone in this game is already called {name!r}")


# --- cross-site requests ------------------------------------------------------------------

COOKIE_PREFIX = "compact_"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _netloc(url: str) -> str | None:
    """`host[:port]` of an origin or URL, lower case, the scheme's default port dropped."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        return None
    default = {"http": 80, "https": 443, "ws": 80, "wss": 443}.get(parts.scheme.lower())
    return host if port is None or port == default else f"{host}:{port}"


def _host_netloc(host: str, scheme: str) -> str:
    return _netloc(f"{scheme}://{host}") or host.lower()


def same_origin(headers: Headers, scheme: str, allowed: list[str]) -> bool | None:
    """Whether the request comes from a page of this server: True or False from its
    Origin (or, without one, its Referer); None when it names neither (not a browser)."""
    source = headers.get("origin") or headers.get("referer")
    if not source:
        return None
    if source == "null":  # a sandboxed frame, a file:// page, a redirect across sites
        return False
    where = _netloc(source)
    if where is None:
        return False
    here = {_host_netloc(h, scheme) for h in (headers.get("host", ""),) if h}
    here.update(n for n in (_netloc(a) for a in allowed) if n)
    return where in here


class CrossSiteGuard:
    """Refuse a state-changing request that a browser sends with this server's cookies
    from a page of another origin (another site, or another port of this host).

    Only requests that would authenticate by cookie are checked: a bearer token is not
    sent by a browser on its own, so an API client with `Authorization` is unaffected, and
    a request with neither Origin nor Referer is no browser's (browsers send Origin with
    every POST). The forms' CSRF token (`check_form_token`) is the second lock.
    """

    def __init__(self, app: ASGIApp, allowed_origins: list[str]) -> None:
        self.app = app
        self.allowed = allowed_origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in UNSAFE_METHODS:
            headers = Headers(scope=scope)
            scheme = "https" if scope.get("scheme") == "https" else "http"
            if (
                "authorization" not in headers
                and COOKIE_PREFIX in headers.get("cookie", "")
                and same_origin(headers, scheme, self.allowed) is False
            ):
                response = JSONResponse(
                    {
                        "error": "cross_site",
                        "message": "this request comes from a page of another site: refused",
                    },
                    403,
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def websocket_origin_ok(headers: Headers, scheme: str, allowed: list[str]) -> bool:
    """A websocket from a page of another origin is refused whatever its credentials:
    the browser would send this server's cookies with it."""
    ws_scheme = "https" if scheme in ("wss", "https") else "http"
    return same_origin(headers, ws_scheme, allowed) is not False


def csrf_for(token: str) -> str:
    """The forms' CSRF token of a credential: an HMAC keyed with the credential itself, so
    only a page that could read the httpOnly cookie's holder's pages can know it, and it
    survives a restart without a server secret."""
    return hmac.new(token.encode("utf-8", "surrogatepass"), b"compact-csrf", "sha256").hexdigest()[
        :32
    ]


def _game_tokens(cookies: dict[str, str], game_id: str) -> list[str]:
    names = (
        f"compact_seat_{game_id}",
        f"compact_facilitator_{game_id}",
        f"compact_projector_{game_id}",
    )
    return [cookies[n] for n in names if cookies.get(n)]


def form_token(cookies: dict[str, str], game_id: str | None) -> str:
    """What a page of game `game_id` puts in its forms (and htmx's header)."""
    tokens = _game_tokens(cookies, game_id) if game_id else []
    return csrf_for(tokens[0]) if tokens else ""


async def check_form_token(request: Request) -> None:
    """A form post of a game's page authenticated by cookie carries the CSRF token of one
    of the cookies it is sent with, in `X-CSRF-Token` (htmx) or the `csrf_token` field."""
    if request.method not in UNSAFE_METHODS or "authorization" in request.headers:
        return
    game_id = request.path_params.get("game_id")
    tokens = _game_tokens(dict(request.cookies), str(game_id)) if game_id else []
    if not tokens:
        return  # nothing to ride on: the route refuses the unauthenticated caller itself
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        field = form.get(CSRF_FIELD)
        sent = field if isinstance(field, str) else None
    if sent and any(hmac.compare_digest(sent, csrf_for(t)) for t in tokens):
        return
    raise ApiError(
        403, "csrf", "this form is out of date or comes from another site: reload the page"
    )


# --- headers on every answer ---------------------------------------------------------------

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",  # no inline script or handler anywhere: compact.js does it
        # Team colours and htmx's indicator rule are inline styles; colours are checked
        # to be hex at the door, so no style can fetch from outside.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]


class SecurityHeaders:
    """CSP, no framing, nosniff and Referrer-Policy on every answer; `no-store` on pages
    and API answers (they carry tokens, join codes and a team's secrets), not on /static."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cacheable = str(scope.get("path", "")).startswith("/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() not in {h for h, _ in SECURITY_HEADERS}
                ]
                headers += SECURITY_HEADERS
                if not cacheable:
                    headers = [(k, v) for k, v in headers if k.lower() != b"cache-control"]
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


# --- who is asking: the client's address ---------------------------------------------------


def client_address(request: Request, trusted_proxies: list[str]) -> str:
    """The address limits count against. Behind a reverse proxy every request comes from
    the proxy: `X-Forwarded-For` is believed only from the proxies in `trusted_proxies`,
    and the address taken is the last one a trusted proxy did not add (a client can write
    anything at the start of the header)."""
    peer = request.client.host if request.client else "unknown"
    if peer not in trusted_proxies:
        return peer
    forwarded = [a.strip() for a in request.headers.get("x-forwarded-for", "").split(",")]
    for address in reversed([a for a in forwarded if a]):
        if address not in trusted_proxies:
            return address
    return peer


BROWSER_COOKIE = "compact-browser"
"""An anonymous random id per browser, for the join-code limit only. It proves nothing and
opens nothing (so the cross-site guard, which looks for `compact_` credentials, ignores
it); a browser that drops it is a new browser, which the per-address tier catches."""
_BROWSER_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")


JOIN_PATHS = ("/join", "/api/join")


class BrowserIds:
    """Give every request to the join doors this browser's id (`browser_id`), and a new
    browser its cookie with the answer, whatever route or error answers."""

    def __init__(self, app: ASGIApp, secure: bool) -> None:
        self.app = app
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or not path.startswith(JOIN_PATHS):
            await self.app(scope, receive, send)
            return
        sent = Request(scope).cookies.get(BROWSER_COOKIE, "")
        new = not _BROWSER_ID.fullmatch(sent)
        browser = secrets.token_urlsafe(16) if new else sent
        scope.setdefault("state", {})["browser_id"] = browser
        cookie = Response()
        cookie.set_cookie(
            BROWSER_COOKIE,
            browser,
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="lax",
            secure=self.secure,
        )
        set_cookie = [(k, v) for k, v in cookie.raw_headers if k == b"set-cookie"]

        async def with_cookie(message: Message) -> None:
            if new and message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *set_cookie]}
            await send(message)

        await self.app(scope, receive, with_cookie)


def browser_id(request: Request) -> str:
    """This browser's id for the join-code limit (set by `BrowserIds`)."""
    return str(getattr(request.state, "browser_id", "") or "no-cookie")


def limit_game_creation(request: Request) -> None:
    """At most `games_per_hour` new games per client address: games cost memory and
    anyone may create one without a credential."""
    settings = request.app.state.settings
    limiter = request.app.state.create_limiter
    client = client_address(request, settings.trusted_proxies)
    wait = limiter.retry_after(client)
    if wait:
        exc = ApiError(
            429, "too_many_games", f"too many new games from this address: wait {wait:.0f} s"
        )
        exc.retry_after = wait
        raise exc
    limiter.miss(client)
