"""The FastAPI application: `create_app(settings)`; uvicorn can use `app_from_env` as a factory."""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as SATimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import Response
from starlette.types import Scope

from game_rules.errors import RuleError, StaleVersion
from server import api, api_tables, bots, pages, sse, ws
from server.db import check_migrated, is_database_fault, make_engine
from server.errors import ApiError, DatabaseUnavailable
from server.limits import GuessLimiter, JoinLimiter, RequestSizeLimit
from server.live import Hub, register_renderer
from server.rooms import GameHall
from server.security import BrowserIds, CrossSiteGuard, SecurityHeaders
from server.settings import Settings
from web import render
from web.i18n import LanguageMiddleware


def trusted_origins(settings: Settings) -> list[str]:
    return [*settings.allowed_origins, *([settings.public_url] if settings.public_url else [])]


def _error(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    headers = {}
    if status in (429, 503) and "retry_after" in extra:
        headers["Retry-After"] = str(int(extra.pop("retry_after")) + 1)
    return JSONResponse({"error": code, "message": message, **extra}, status, headers=headers)


def _readable(exc: RequestValidationError) -> tuple[int, str, list[str]]:
    problems = []
    status = 422
    for err in exc.errors():
        if err.get("type") == "json_invalid":
            status = 400
            problems.append(f"the body is not valid JSON ({err.get('ctx', {}).get('error', '')})")
            continue
        loc = ".".join(str(p) for p in err.get("loc", ()))
        problems.append(f"{loc}: {err.get('msg', 'invalid')}")
    return status, "; ".join(problems) or "invalid request", problems


_TOKEN_IN_URL = re.compile(r"(\btoken=)[^&\s\"]+")


class RedactTokens(logging.Filter):
    """Access logs print URLs, and a websocket URL may carry `?token=…`: never log it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _TOKEN_IN_URL.sub(r"\1[redacted]", a) if isinstance(a, str) else a
                for a in record.args
            )
        if isinstance(record.msg, str) and "token=" in record.msg:
            record.msg = _TOKEN_IN_URL.sub(r"\1[redacted]", record.msg)
        return True


def _redact_server_logs() -> None:
    for name in ("uvicorn.access", "uvicorn.error"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())


def _show_own_logs() -> None:
    """`compact.*` (bots, rooms, db) print under uvicorn, which configures only its own
    loggers: without a handler a bot's error vanished, or showed without time or name."""
    own = logging.getLogger("compact")
    if own.handlers or logging.getLogger().handlers:
        return  # the host (or pytest) set logging up: propagate to it
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    own.addHandler(handler)
    own.setLevel(logging.INFO)


class VersionedStatic(StaticFiles):
    """/static: a file asked for with its current digest (`?v=`, as the pages link it,
    web.render.static_url) is cached for a year and never re-checked; without it, or with
    an old digest, the browser re-checks every time (ETag)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        version = dict(
            pair.partition("=")[::2] for pair in scope.get("query_string", b"").decode().split("&")
        ).get("v")
        current = False
        if version and response.status_code in (200, 304):
            with contextlib.suppress(OSError, ValueError):
                current = version == render.static_digest(path)
        response.headers["cache-control"] = (
            "public, max-age=31536000, immutable" if current else "no-cache"
        )
        return response


def create_app(settings: Settings | None = None) -> FastAPI:
    """The server, on the database of `settings`; refuses an un-migrated database."""
    settings = settings or Settings()
    _redact_server_logs()
    _show_own_logs()
    engine = make_engine(settings.database_url)
    try:
        check_migrated(engine)
    except Exception as exc:
        if not is_database_fault(exc):
            engine.dispose()
            raise
        # A database that cannot be read now (a read-only data directory): start anyway,
        # answer 503 database_unavailable, and recover when it can be used again.
        logging.getLogger("compact.db").error(
            "the database cannot be used at start-up (%s): serving 503 until it can",
            str(exc).splitlines()[0][:300],
        )
    hub = Hub()
    hall = GameHall(engine, settings, hub)
    table = bots.BotTable(hall)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await hall.start()
        try:
            await hall.resume_timers()
        except ApiError as exc:  # the database is down: games load on demand later
            logging.getLogger("compact.rooms").error("timers not resumed: %s", exc.message)
        try:
            yield
        finally:
            await hall.close()
            await table.close()
            for conn in list(hub.connections_all()):
                with contextlib.suppress(Exception):
                    await conn.socket.close(1012, "server restarting")
                await conn.stop()
            engine.dispose()

    app = FastAPI(
        title="Compact",
        version="0.1.0",
        description="A multiplayer negotiation game on migration partnerships. "
        "See docs/api.md and docs/websocket.md.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.hub = hub
    app.state.hall = hall
    app.state.engine = engine
    app.state.trusted_origins = trusted_origins(settings)
    app.state.join_limiter = JoinLimiter(
        settings.join_failures_per_minute, settings.join_failures_per_address_per_minute
    )
    app.state.create_limiter = GuessLimiter(settings.games_per_hour, window=3600.0)
    app.add_middleware(RequestSizeLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(CrossSiteGuard, allowed_origins=trusted_origins(settings))
    app.add_middleware(BrowserIds, secure=settings.cookie_secure)
    app.add_middleware(SecurityHeaders)
    # Phones on conference wifi: pages and htmx go compressed (websockets are not touched).
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    # The reader's language for every page, fragment and socket (Accept-Language, ?lang=).
    app.add_middleware(LanguageMiddleware)

    @app.exception_handler(RuleError)
    async def rule_error(request: Request, exc: RuleError) -> JSONResponse:
        # A stale version is a race lost: reloading and deciding again is the way out.
        extra = {"retryable": True} if isinstance(exc, StaleVersion) else {}
        return _error(exc.status, exc.code, exc.message, **extra)

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        # Only a lost race is worth retrying; a full game or an ended one stays so.
        retryable = exc.code in ("conflict", "database_unavailable")
        extra: dict[str, Any] = {"retryable": True} if retryable else {}
        if exc.status == 503 and exc.retry_after is not None:
            extra["retry_after"] = exc.retry_after
        if exc.status == 429:
            extra["retry_after"] = exc.retry_after if exc.retry_after is not None else 60
        if exc.problems:
            extra["problems"] = exc.problems
        return _error(exc.status, exc.code, exc.message, **extra)

    @app.exception_handler(DBAPIError)
    @app.exception_handler(SATimeoutError)
    async def database_error(request: Request, exc: Exception) -> JSONResponse:
        # A backstop: the hall turns database faults into DatabaseUnavailable itself.
        if not is_database_fault(exc):
            raise exc
        logging.getLogger("compact.db").warning("the database failed: %s", exc)
        return await api_error(request, DatabaseUnavailable())

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        status, message, problems = _readable(exc)
        return _error(
            status, "invalid" if status == 422 else "malformed", message, problems=problems
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return _error(exc.status_code, code, str(exc.detail))

    @app.get("/healthz", tags=["operations"])
    async def health() -> dict[str, Any]:
        return {
            "ok": True,
            "games_loaded": len(hall.rooms),
            "games_driven": sum(hall.drives(g) for g in hall.rooms),
            "games_unloaded": hall.unloaded,
            "connections": hub.count(),
        }

    app.include_router(api.router)
    app.include_router(bots.router)
    app.include_router(api_tables.router)
    app.include_router(ws.router)
    app.include_router(sse.router)
    app.include_router(pages.router)
    app.mount("/static", VersionedStatic(directory=render.STATIC_DIR), name="static")
    for name, renderer in render.RENDERERS.items():
        register_renderer(name, renderer)  # the websocket's html formats
    return app


def app_from_env() -> FastAPI:
    """For `uvicorn --factory server.app:app_from_env`: settings from the environment."""
    return create_app(Settings())


__all__ = ["app_from_env", "create_app"]
