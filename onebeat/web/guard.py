"""Who may reach the app, and with how much: the local host names, the join code for
phones (which may only play), the page's own ``Origin`` for anything that changes
something, request bodies bounded as they stream in, and a cap on open sockets."""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import ClientDisconnect, HTTPConnection, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket

from onebeat.web.config import AppConfig

__all__ = [
    "COOKIE",
    "PHONE_PATHS",
    "BodyLimit",
    "Gate",
    "host_name",
    "is_loopback",
    "origin_problem",
]

log = logging.getLogger("onebeat.web")
COOKIE = "onebeat_code"
LOCAL_NAMES = {"localhost", "127.0.0.1", "::1"}
PHONE_ONLY = "a phone plays its pads; the rest is for the host's screen"


def host_name(header: str | None) -> str:
    """The host name of a Host header (``localhost:8765``, ``[::1]:8765``, ``[::1]``)."""
    return urlsplit(f"//{header or 'localhost'}").hostname or "localhost"


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def origin_problem(headers: Any) -> str | None:
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
PHONE_PATHS = re.compile(r"/(static/.*|api/vocab|api/hit-sounds/[a-z_]+\.wav|ws/pad)?")
#: Request bodies at most this long, except an upload's (its file and the form around it).
MAX_BODY_BYTES = 1 << 20
UPLOAD_PATH = "/api/songs/upload"
FORM_BYTES = 65536


def _size(n: int) -> str:
    return f"{n / 2**20:g} MiB" if n >= 2**20 else f"{n / 1024:g} KiB"


class BodyLimit:
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


@dataclass
class Gate:
    """The door every request and socket comes through (:attr:`AppConfig.lan`, its join
    code and host, :attr:`AppConfig.max_sockets`)."""

    config: AppConfig
    sockets: int = 0
    allowed_hosts: set[str] = field(default_factory=lambda: set(LOCAL_NAMES))

    def __post_init__(self) -> None:
        if self.config.lan and self.config.lan_host:
            self.allowed_hosts.add(self.config.lan_host)

    def client_problem(
        self, host: str | None, headers: Any, cookies: Any, query: Any
    ) -> str | None:
        """None when the client may come in, else why not."""
        name = host_name(headers.get("host"))
        if name not in self.allowed_hosts:
            return f"host {name!r} is not this app"
        if is_loopback(host):
            return None
        if not self.config.lan:
            return "this app takes players from this machine only (start it with --lan)"
        code = query.get("code") or cookies.get(COOKIE)
        if not code or not secrets.compare_digest(str(code), self.config.code):
            return "join code missing or wrong: scan the QR code on the host's screen"
        return None

    def _problem(self, conn: HTTPConnection, *, origin: bool, full: bool = False) -> str | None:
        """None when a request or socket may come in, else why not: its client, then (a
        socket) the cap on open sockets, then (a change) its ``Origin``, then a phone's
        reach."""
        client = conn.client.host if conn.client else None
        why = self.client_problem(client, conn.headers, conn.cookies, conn.query_params)
        if why is None and full:
            why = f"{self.sockets} connections are open, the most this app takes"
        if why is None and origin:
            why = origin_problem(conn.headers)
        if why is None and not is_loopback(client) and not PHONE_PATHS.fullmatch(conn.url.path):
            why = PHONE_ONLY
        return why

    def request_problem(self, request: Request) -> str | None:
        """None when an HTTP request may go on, else why not."""
        return self._problem(request, origin=request.method not in ("GET", "HEAD", "OPTIONS"))

    async def admit(self, ws: WebSocket) -> str | None:
        """Accept the socket if its client may come in, and count it as open (the socket's
        end calls :meth:`release`); None (closed) if not."""
        why = self._problem(ws, origin=True, full=self.sockets >= self.config.max_sockets)
        client = ws.client.host if ws.client else "?"
        if why is not None:
            log.warning("refused WebSocket from %s: %s", client, why)
            await ws.close(code=1008)
            return None
        await ws.accept()
        self.sockets += 1
        return client

    def release(self) -> None:
        """A socket :meth:`admit` let in has closed."""
        self.sockets -= 1
