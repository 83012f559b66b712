"""The play-along web app: a FastAPI server with a static front end and one WebSocket.

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

import asyncio
import functools
import ipaddress
import json
import logging
import re
import secrets
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import numpy as np
from fastapi import FastAPI, HTTPException, Query, Request, Response, UploadFile, WebSocket
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocketDisconnect

from onebeat.engine import CalibrationError, calibrate
from onebeat.errors import OnebeatError, SessionError
from onebeat.insight.render import card_png, report_html
from onebeat.insight.report import Report, build_report
from onebeat.library import MAX_UPLOAD_BYTES, Library, LibraryError
from onebeat.play.lesson import LessonRoom
from onebeat.play.micsetup import MicSetup
from onebeat.play.protocol import (
    AUDIO_MAGIC,
    MAX_MESSAGE_BYTES,
    MESSAGE,
    PAD_MESSAGE,
    HelloMsg,
    KitMsg,
    LearnMsg,
    ListenMsg,
    MicAudio,
    PongMsg,
    StartMsg,
    SyncMsg,
    parse_audio,
)
from onebeat.play.room import PlayRoom, RoomError
from onebeat.session import SessionStore
from onebeat.web.lobby import Link, Lobby
from onebeat.web.vocab import vocabulary

__all__ = ["AppConfig", "create_app", "lan_address", "port_problem"]

log = logging.getLogger("onebeat.web")
STATIC = Path(__file__).resolve().parent / "static"
COOKIE = "onebeat_code"
LOCAL_NAMES = {"localhost", "127.0.0.1", "::1"}


@dataclass
class AppConfig:
    """How the app runs.

    Attributes
    ----------
    data_dir : Path
        The library and the session database live here.
    lan : bool
        Accept players from the local network (with the join code).
    code : str
        The join code (random per run).
    lan_host : str
        This machine's address on the local network (for the join link).
    port : int
    backend : str
        Beat tracker for new songs.
    rate_per_s, burst : float
        WebSocket messages allowed per second per connection, and the burst above it.
    audio_per_s, audio_burst : float
        Microphone samples allowed per second per connection (two microphones at 192 kHz
        in real time, with room to catch up), and the burst above it (45 s at 44.1 kHz).
    max_upload_bytes : int
        The largest song file a page may upload [bytes].
    work_per_s, work_burst : float
        Messages that start costly work (a take, a lesson, a microphone set-up: a session
        saved, a chart made, audio decoded) allowed per second per connection, and the
        burst above it: a page starts a take or two a minute.
    replies_per_s : float
        Error replies per second per connection (a flood of bad messages gets a few
        answers, not one each).
    max_sockets : int
        WebSockets open at once (pages and phones); one over is refused.
    """

    data_dir: Path
    lan: bool = False
    code: str = field(default_factory=lambda: secrets.token_urlsafe(9))
    lan_host: str = ""
    port: int = 8765
    backend: str = "madmom"
    rate_per_s: float = 400.0
    burst: float = 800.0
    audio_per_s: float = 400_000.0
    audio_burst: float = 2_000_000.0
    max_upload_bytes: int = MAX_UPLOAD_BYTES
    work_per_s: float = 1.0
    work_burst: float = 6.0
    replies_per_s: float = 10.0
    max_sockets: int = 32


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


def _host_name(header: str | None) -> str:
    """The host name of a Host header (``localhost:8765``, ``[::1]:8765``, ``[::1]``)."""
    return urlsplit(f"//{header or 'localhost'}").hostname or "localhost"


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _origin_problem(headers: Any) -> str | None:
    """None when a request may change something, else why not: a browser sends the page's
    ``Origin`` with every WebSocket handshake and every cross-site POST, and only a page
    this app served has the app's own address there (``Host``). A request without an
    ``Origin`` comes from no web page (the CLI, curl) and is judged by its Host alone."""
    origin = headers.get("origin")
    if origin is None:
        return None
    parts = urlsplit(origin)
    host = str(headers.get("host") or "").lower()
    if parts.scheme in ("http", "https") and host and parts.netloc.lower() == host:
        return None
    return f"origin {origin[:80]!r} is not this app's page"


#: What a client from the local network (a phone with the join code) may reach: the page,
#: its files, the vocabulary they speak and the pads' socket. Songs, sessions, takes and
#: calibration are the host's.
PHONE_PATHS = re.compile(r"/(static/.*|api/vocab|ws/pad)?")
#: Request bodies at most this long, except an upload's (its file and the form around it).
MAX_BODY_BYTES = 1 << 20
UPLOAD_PATH = "/api/songs/upload"
FORM_BYTES = 65536


def _size(n: int) -> str:
    return f"{n / 2**20:g} MiB" if n >= 2**20 else f"{n / 1024:g} KiB"


class _BodyLimit:
    """Refuse a request body over its limit before the app stores any of it: at once when
    its ``Content-Length`` says so, else as soon as a streamed (chunked) body goes over.

    Written as plain ASGI because the limit must hold while the body streams in, before
    FastAPI has spooled a multipart upload to disk (Starlette has no such limit)."""

    def __init__(self, app: ASGIApp, upload_bytes: int) -> None:
        self.app = app
        self.upload_bytes = upload_bytes

    @staticmethod
    async def _refuse(send: Send, status: int, why: str) -> None:
        body = json.dumps({"detail": why}).encode()
        headers = [(b"content-type", b"application/json"), (b"connection", b"close")]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        upload = scope["path"] == UPLOAD_PATH
        limit = self.upload_bytes + FORM_BYTES if upload else MAX_BODY_BYTES
        too_big = (
            f"song file larger than {_size(self.upload_bytes)}"
            if upload
            else f"request body larger than {_size(MAX_BODY_BYTES)}"
        )
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                size = -1
            if size < 0 or size > limit:
                why = too_big if size > limit else "content-length: not a number of bytes"
                log.warning("refused %s: %s", scope["path"], why)
                await self._refuse(send, 413 if size > limit else 400, why)
                return
        seen = 0
        over = False

        async def counted() -> Message:
            nonlocal seen, over
            if over:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    over = True
                    log.warning("refused %s: %s (streamed)", scope["path"], too_big)
                    await self._refuse(send, 413, too_big)
                    return {"type": "http.disconnect"}  # the app stops reading here
            return message

        async def unless_refused(message: Message) -> None:
            if not over:
                await send(message)

        try:
            await self.app(scope, counted, unless_refused)
        except ClientDisconnect:
            if not over:
                raise


class _Bucket:
    """A token bucket: ``rate`` messages (or samples) per second, ``burst`` at once."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self.tokens = burst
        self.last = time.monotonic()

    def take(self, n: float = 1.0) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens < n:
            return False
        self.tokens -= n
        return True


def _error_line(errors: list[Any], default: str) -> str:
    """A validation error as one line: where (the field's path), then what."""
    err = errors[0] if errors else {"loc": (), "msg": "invalid"}
    where = ".".join(str(x) for x in err["loc"] if x != "body")[:120] or default
    return f"{where}: {str(err['msg'])[:200]}"


class _Drops:
    """Messages dropped from one connection: the first logged with its reason, the rest
    counted and logged as one line a second at most (a flood must not become a flood of
    log lines)."""

    def __init__(self, client: str | None) -> None:
        self.client = client
        self.counts: dict[str, int] = {}
        self.since = time.monotonic()
        self.first = True

    def add(self, why: str, detail: str = "") -> None:
        if self.first:
            self.first = False
            log.warning("dropped a message from %s: %s", self.client, detail or why)
            self.since = time.monotonic()
            return
        self.counts[why] = self.counts.get(why, 0) + 1
        now = time.monotonic()
        if now - self.since >= 1.0:
            self.flush(now)

    def flush(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        if self.counts:
            said = ", ".join(f"{n} {why}" for why, n in self.counts.items())
            log.warning("%s: dropped in the last %.0f s: %s", self.client, now - self.since, said)
        self.counts, self.since = {}, now


@dataclass
class _Limits:
    """One connection's drops (logged) and its allowance of error replies."""

    drops: _Drops
    replies: _Bucket


#: Messages that start costly work: billed to the connection's work allowance.
COSTLY = (StartMsg, LearnMsg, ListenMsg, KitMsg)
#: The least an audio frame costs, in samples (a 1-sample frame is still a frame).
MIN_FRAME_SAMPLES = 256
#: A connection that has had this many bursts' worth of messages dropped for its rate
#: (less what its rate gives back) is closed.
CLOSE_AFTER_BURSTS = 4


class PathIn(BaseModel):
    path: str = Field(min_length=1, max_length=4096)


Seconds = Annotated[float, Field(allow_inf_nan=False, ge=-1e6, le=1e6)]


class CalibrationIn(BaseModel):
    """Taps and clicks on one clock [s] (the page's audio clock)."""

    taps: Annotated[list[Seconds], Field(max_length=256)]
    clicks: Annotated[list[Seconds], Field(min_length=2, max_length=256)]


def create_app(config: AppConfig, library: Library | None = None) -> FastAPI:
    """The app; ``library`` may be given (tests share one across apps)."""
    lib = library or Library(config.data_dir, backend=config.backend)
    db_path = config.data_dir / "sessions.sqlite3"

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        if library is None:  # the app made its library: it stops its analyses
            lib.close()

    app = FastAPI(
        title="onebeat", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan
    )
    app.add_middleware(_BodyLimit, upload_bytes=config.max_upload_bytes)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        """A bad body or query: one line naming the field (not the input, which may be
        huge or not even JSON-writable, such as NaN)."""
        return JSONResponse({"detail": _error_line(list(exc.errors()), "body")}, status_code=422)

    lobby = Lobby()
    allowed_hosts = set(LOCAL_NAMES)
    if config.lan and config.lan_host:
        allowed_hosts.add(config.lan_host)
    join_url = f"http://{config.lan_host}:{config.port}/?code={config.code}#join"

    def client_ok(host: str | None, headers: Any, cookies: Any, query: Any) -> str | None:
        """None when the client may come in, else why not."""
        name = _host_name(headers.get("host"))
        if name not in allowed_hosts:
            return f"host {name!r} is not this app"
        if _is_loopback(host):
            return None
        if not config.lan:
            return "this app takes players from this machine only (start it with --lan)"
        code = query.get("code") or cookies.get(COOKIE)
        if not code or not secrets.compare_digest(str(code), config.code):
            return "join code missing or wrong: scan the QR code on the host's screen"
        return None

    @app.middleware("http")
    async def guard(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        client = request.client.host if request.client else None
        why = client_ok(client, request.headers, request.cookies, request.query_params)
        if why is None and request.method not in ("GET", "HEAD", "OPTIONS"):
            why = _origin_problem(request.headers)
        if why is None and not _is_loopback(client) and not PHONE_PATHS.fullmatch(request.url.path):
            why = "a phone plays its pads; the rest is for the host's screen"
        if why is not None:
            log.warning("refused %s %s: %s", client, request.url.path, why)
            return JSONResponse({"error": why}, status_code=403)
        response = await call_next(request)
        if request.query_params.get("code") == config.code:
            response.set_cookie(COOKIE, config.code, httponly=True, samesite="strict")
        return response

    def is_local(request: Request) -> bool:
        return _is_loopback(request.client.host if request.client else None)

    def local_only(request: Request) -> None:
        if not is_local(request):
            raise HTTPException(403, "only the host machine may do this")

    @app.get("/")
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/api/info")
    def info(request: Request) -> dict[str, Any]:
        local = is_local(request)
        return {
            "lan": config.lan,
            "join": join_url if config.lan and local else None,
            "local": local,
        }

    @app.get("/api/join.svg")
    def join_qr(request: Request) -> Response:
        local_only(request)
        if not config.lan:
            raise HTTPException(404, "start onebeat play with --lan to let a phone join")
        import segno

        svg = segno.make(join_url, error="m").svg_inline(scale=6, border=2)
        return Response(svg, media_type="image/svg+xml")

    @app.get("/api/vocab")
    def vocab() -> dict[str, Any]:
        return vocabulary()

    @app.get("/api/songs")
    def songs() -> list[dict[str, Any]]:
        return [e.to_json() for e in lib.songs()]

    @app.get("/api/songs/{song_id}")
    def song(song_id: str) -> dict[str, Any]:
        try:
            return lib.get(song_id).to_json()
        except LibraryError as exc:
            raise HTTPException(404, str(exc)) from None

    @app.post("/api/songs/path")
    def add_path(body: PathIn, request: Request) -> dict[str, Any]:
        local_only(request)
        try:
            return lib.add_path(Path(body.path)).to_json()
        except LibraryError as exc:
            raise HTTPException(400, str(exc)) from None

    @app.post("/api/songs/upload")
    def upload(file: UploadFile) -> dict[str, Any]:
        # (a body over the limit was refused by _BodyLimit before any of it was stored)
        try:
            return lib.add_upload(file.filename or "song", file.file).to_json()
        except LibraryError as exc:
            raise HTTPException(400, str(exc)) from None

    @app.get("/api/songs/{song_id}/bars")
    def bars(song_id: str) -> dict[str, Any]:
        """Bars and sections, for choosing a loop."""
        try:
            return lib.bars(song_id)
        except LibraryError as exc:
            raise HTTPException(404, str(exc)) from None

    @app.get("/api/songs/{song_id}/audio")
    def audio(song_id: str, speed: Annotated[float, Query(ge=0.5, le=1.0)] = 1.0) -> FileResponse:
        """The song's audio; at a practice speed below 1, time-stretched (made on the
        first request, in a worker thread, then cached)."""
        try:
            return FileResponse(lib.audio(song_id, round(speed, 2)))
        except LibraryError as exc:
            raise HTTPException(404, str(exc)) from None

    @app.post("/api/calibrate")
    def calibration(body: CalibrationIn) -> dict[str, Any]:
        try:
            c = calibrate(taps=np.asarray(body.taps), clicks=np.asarray(body.clicks))
        except CalibrationError as exc:
            raise HTTPException(400, str(exc)) from None
        return {
            "offset_ms": round(c.offset_ms, 2),
            "spread_ms": round(c.spread_ms, 2),
            "used": c.used,
            "dropped": c.dropped,
        }

    @functools.lru_cache(maxsize=16)
    def report_of(ref: str) -> Report:
        """A finished session's report (made once: the bootstrap takes a moment)."""
        with SessionStore(db_path) as store:
            session = store.load(ref)
            if not session.finished:
                raise SessionError(f"session {session.id[:8]} is still being played")
            return build_report(session, store=store)

    def report_or_404(session_id: str) -> Report:
        if not re.fullmatch(r"[0-9a-f]{32}", session_id):
            raise HTTPException(404, f"session {session_id[:40]!r}: not a session id")
        try:
            return report_of(session_id)
        except SessionError as exc:
            raise HTTPException(404, str(exc)) from None

    @app.get("/api/sessions/{session_id}/report")
    def session_report(session_id: str) -> dict[str, Any]:
        """What insight says about a take (the results screen shows it)."""
        return report_or_404(session_id).to_dict()

    @app.get("/api/sessions/{session_id}/card.png")
    def session_card(session_id: str) -> Response:
        png = card_png(report_or_404(session_id))
        return Response(png, media_type="image/png")

    @app.get("/api/sessions/{session_id}/report.html")
    def session_report_html(session_id: str) -> Response:
        page = report_html(report_or_404(session_id))
        return Response(page, media_type="text/html; charset=utf-8")

    @app.get("/api/sessions")
    def sessions() -> list[dict[str, Any]]:
        with SessionStore(db_path) as store:
            return [
                {
                    "id": i.id,
                    "created": i.created,
                    "title": i.title,
                    "players": i.players,
                    "finished": i.finished,
                    "summary": i.summary,
                }
                for i in store.list(20)
            ]

    async def messages(
        ws: WebSocket, link: Link, adapter: TypeAdapter[Any], limits: _Limits
    ) -> AsyncIterator[Any]:
        """The socket's messages, each checked for size, rate, cost and schema. Every frame
        pays for itself before anything is done with it (text, audio or other bytes);
        audio pays per sample too, and a message that starts costly work (a take, a
        lesson, a microphone set-up) from a small allowance of its own. A bad message is
        dropped with a one-line error back (at most :attr:`AppConfig.replies_per_s` a
        second); drops are logged once a second; a connection that keeps sending over its
        rate is closed."""
        bucket = _Bucket(config.rate_per_s, config.burst)
        audio = _Bucket(config.audio_per_s, config.audio_burst)
        work = _Bucket(config.work_per_s, config.work_burst)
        drops, client = limits.drops, limits.drops.client
        dropped_audio = 0
        # patience: each message dropped for the rate takes one; it comes back at the
        # message rate, so only a client sending at over twice its rate runs out
        patience = _Bucket(config.rate_per_s, max(CLOSE_AFTER_BURSTS * config.burst, 1000))
        try:
            while True:
                event = await ws.receive()
                if event["type"] == "websocket.disconnect":
                    return
                if not bucket.take():
                    drops.add("over the message rate")
                    if not patience.take():
                        log.warning("%s: closed: it kept sending over its rate", client)
                        await ws.close(code=1008)
                        return
                    continue
                raw = event.get("text")
                why = None
                data = event.get("bytes")
                if (
                    raw is None
                    and data is not None
                    and data[:4] == AUDIO_MAGIC
                    and (adapter is MESSAGE)
                ):
                    try:
                        frame = parse_audio(data)
                    except ValueError as exc:
                        why = str(exc)
                    else:
                        if audio.take(max(len(frame.samples), MIN_FRAME_SAMPLES)):
                            yield frame
                            continue
                        dropped_audio += 1
                        if dropped_audio != 1 and dropped_audio % 100:
                            drops.add("audio frames over the sample rate")
                            continue
                        why = (  # said (and counted) by refuse, on the first and each 100th
                            f"audio frame: over {config.audio_per_s:.0f} samples a second; "
                            f"{dropped_audio} frames dropped"
                        )
                elif raw is None:
                    why = "messages are JSON text (or a microphone's b'OBA1' audio frames)"
                elif len(raw) > MAX_MESSAGE_BYTES:
                    why = f"message of {len(raw)} bytes (at most {MAX_MESSAGE_BYTES})"
                else:
                    try:
                        msg = adapter.validate_json(raw)
                    except ValidationError as exc:
                        why = _error_line(exc.errors(), "message")
                    else:
                        if not isinstance(msg, COSTLY) or work.take():
                            yield msg
                            continue
                        why = (
                            f"{msg.type}: at most {config.work_burst:.0f} at once, then "
                            f"{config.work_per_s:g} a second"
                        )
                await refuse(link, limits, why)
        finally:
            drops.flush()

    def limits_for(client: str) -> _Limits:
        return _Limits(_Drops(client), _Bucket(config.replies_per_s, 2 * config.replies_per_s))

    async def refuse(link: Link, limits: _Limits, why: str) -> None:
        """Drop a message with a one-line error back (a few a second at most)."""
        limits.drops.add("refused", why)
        if limits.replies.take():
            await link.send({"type": "error", "message": why})

    sockets = 0

    async def admitted(ws: WebSocket) -> str | None:
        """Accept the socket if its client may come in, and count it as open (the socket's
        end calls :func:`released`); None (closed) if not."""
        nonlocal sockets
        client = ws.client.host if ws.client else "?"
        why = client_ok(client, ws.headers, ws.cookies, ws.query_params)
        if why is None and sockets >= config.max_sockets:
            why = f"{sockets} connections are open, the most this app takes"
        if why is None:
            why = _origin_problem(ws.headers)
        if why is None and not _is_loopback(client) and not PHONE_PATHS.fullmatch(ws.url.path):
            why = "a phone plays its pads; the rest is for the host's screen"
        if why is not None:
            log.warning("refused WebSocket from %s: %s", client, why)
            await ws.close(code=1008)
            return None
        await ws.accept()
        sockets += 1
        return client

    def released() -> None:
        nonlocal sockets
        sockets -= 1

    @app.websocket("/ws/play")
    async def play(ws: WebSocket) -> None:
        client = await admitted(ws)
        if client is None:
            return
        link = Link(ws)
        limits = limits_for(client)
        lobby.hosts.add(link)
        store = SessionStore(db_path)
        play_room, lesson_room = PlayRoom(lib, store), LessonRoom(lib, store)
        setup = MicSetup(lib)
        # a take, until the page asks for a lesson or sets a microphone up
        room: PlayRoom | LessonRoom | MicSetup = play_room
        try:
            async for msg in messages(ws, link, MESSAGE, limits):
                if isinstance(msg, SyncMsg):
                    link.start_sync()
                    await link.send(lobby.phones_msg())
                    continue
                if isinstance(msg, PongMsg):
                    link.pong(msg)
                    continue
                if isinstance(msg, StartMsg | LearnMsg):
                    room = lesson_room if isinstance(msg, LearnMsg) else play_room
                elif isinstance(msg, ListenMsg | KitMsg):
                    room = setup
                elif (
                    isinstance(msg, MicAudio)
                    and isinstance(room, PlayRoom | LessonRoom)
                    and room.inputs is not None
                    and room.inputs.needs_prepare(msg)
                ):
                    # a take's first frame from a microphone needs the song as played,
                    # decoded at the microphone's rate: off the event loop, which the
                    # other players' hits and the phones' clocks go through (the other
                    # frames, tens a second, need no thread)
                    await asyncio.to_thread(room.inputs.prepare, msg)
                try:
                    replies = room.handle(msg)
                except (RoomError, OnebeatError) as exc:
                    await refuse(link, limits, str(exc))
                    continue
                for r in replies:
                    await link.send(r)
                    await lobby.forward(r)
        except WebSocketDisconnect:
            pass
        finally:
            released()
            lobby.hosts.discard(link)
            link.close()
            play_room.close()
            lesson_room.close()
            setup.close()
            store.close()

    @app.websocket("/ws/pad")
    async def pad(ws: WebSocket) -> None:
        """A phone or tablet playing touch pads for one player."""
        client = await admitted(ws)
        if client is None:
            return
        link = Link(ws)
        limits = limits_for(client)
        joined = False
        try:
            async for msg in messages(ws, link, PAD_MESSAGE, limits):
                if isinstance(msg, HelloMsg):
                    if joined:
                        await refuse(link, limits, "hello: already joined")
                        continue
                    link.name, joined = msg.name, True
                    await lobby.join(link)
                    link.start_sync()
                    await link.send({"type": "welcome", "name": msg.name})
                elif not joined:
                    await refuse(link, limits, "say hello (your name) first")
                elif isinstance(msg, PongMsg):
                    was_ready = link.clock.ready
                    link.pong(msg)
                    if link.clock.ready and (not was_ready or len(link.clock.samples) % 8 == 0):
                        await link.send({"type": "synced", **lobby.phone_info(link)})
                        if not was_ready:
                            await lobby.announce()
                else:
                    try:
                        if await lobby.tap(link, msg) == 0:
                            await refuse(link, limits, "no onebeat screen is open to play on")
                    except ValueError as exc:
                        await refuse(link, limits, str(exc))
        except WebSocketDisconnect:
            pass
        finally:
            released()
            if joined:
                await lobby.leave(link)
            link.close()

    return app
