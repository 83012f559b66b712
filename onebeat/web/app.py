"""The play-along web app: a FastAPI server with a static front end (:mod:`~onebeat.web.routes`)
and two WebSockets (:mod:`~onebeat.web.sockets`); :func:`create_app` puts them together.

Security: the server listens on localhost unless ``--lan`` asks for the local network.
Requests are accepted only for the local host names (a page of some other site cannot
reach the app through DNS rebinding); with ``--lan`` a client from another machine must
carry the session's random join code (in the QR code's address, then a cookie), and may
only play: it reaches the page, its files and the pads' socket, nothing else. A request
that changes something, and every WebSocket, must come from this app's own page when it
comes from a browser (its ``Origin``), so no other web site can drive the app. Every
WebSocket message is size-limited, rate-limited and validated; a bad one is dropped and
logged, with a one-line error back, and never ends the session. Request bodies are
size-limited as they stream in (an upload over the limit is refused before it is
stored); uploads are stored under the data folder only.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from onebeat.library import Library, LibraryError, SongNotFoundError
from onebeat.web import sockets
from onebeat.web.config import AppConfig
from onebeat.web.context import WebContext
from onebeat.web.guard import COOKIE, BodyLimit
from onebeat.web.limits import error_line
from onebeat.web.routes import pages, sessions, songs
from onebeat.web.routes.pages import STATIC

__all__ = ["AppConfig", "create_app", "lan_address", "port_problem"]

log = logging.getLogger("onebeat.web")


def lan_address() -> str:
    """This machine's address on the local network (the one a route out would use)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))  # no packet is sent for a UDP connect
            return str(s.getsockname()[0])
        except OSError:
            return "127.0.0.1"


def port_problem(host: str, port: int) -> str | None:
    """None when the app can listen on ``host:port``, else why not (a clear line before
    uvicorn's traceback). Like uvicorn's own socket, the probe reuses an address that only
    a closed connection still holds (TIME-WAIT, for a minute after a crash or Ctrl+C with a
    page open), so a restart works at once; a running server still holds the port."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            return (
                f"port {port}: cannot listen there ({exc.strerror}); is onebeat already "
                "running? Choose another with --port"
            )
    return None


def create_app(config: AppConfig, library: Library | None = None) -> FastAPI:
    """The app; ``library`` may be given (tests share one across apps)."""
    ctx = WebContext(config, library or Library(config.data_dir, backend=config.backend))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        if library is None:  # the app made its library: it stops its analyses
            ctx.library.close()

    app = FastAPI(
        title="onebeat", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan
    )
    app.state.onebeat = ctx
    app.add_middleware(BodyLimit, upload_bytes=config.max_upload_bytes)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        """A bad body or query: one line naming the field (not the input, which may be
        huge or not even JSON-writable, such as NaN)."""
        return JSONResponse({"detail": error_line(list(exc.errors()), "body")}, status_code=422)

    @app.exception_handler(LibraryError)
    async def library_error(request: Request, exc: LibraryError) -> JSONResponse:
        """A song that cannot be added is a bad request; one that is not there, not found."""
        missing = isinstance(exc, SongNotFoundError) or request.method in ("GET", "HEAD")
        status = 404 if missing else 400
        return JSONResponse({"detail": str(exc)}, status_code=status)

    @app.middleware("http")
    async def guard(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        why = ctx.gate.request_problem(request)
        if why is not None:
            client = request.client.host if request.client else None
            log.warning("refused %s %s: %s", client, request.url.path, why)
            return JSONResponse({"error": why}, status_code=403)
        response = await call_next(request)
        if request.query_params.get("code") == config.code:
            response.set_cookie(COOKIE, config.code, httponly=True, samesite="strict")
        return response

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in (pages.router, songs.router, sessions.router, sockets.router):
        app.include_router(router)
    return app
