"""``onebeat relay``'s server: one WebSocket, ``/ws/relay``, and ``GET /health``.

It is made to face the internet, unlike the local app: it reads and writes no file, keeps
nothing beyond a room's life, and every socket's messages are size-limited, rate-limited
and validated (:class:`~onebeat.web.limits.Bucket`, as the local app's); a bad message is
dropped with a one-line error back and never ends the room; a socket that keeps sending
over its rate is closed, and so is one that stops reading what it is sent. Room joins are
rate-limited per client address (behind a reverse proxy on this machine, the address it
forwards in ``X-Forwarded-For``). Any page may connect (the players' pages come from
their own onebeat, on their own machines): a room is reached by its code only. TLS: run
it behind a reverse proxy (README), or give it a certificate (``onebeat relay
--ssl-certfile --ssl-keyfile``).

Served by picows, a WebSocket server for asyncio whose frames are parsed and written in
compiled code, rather than by an ASGI server (uvicorn, as the local app): a relay's work
is passing small messages on, tens of thousands a second. Through uvicorn's ASGI
WebSocket each hit passed on cost the relay 70–93 µs of CPU (its frames parsed in
Python, each message a dict through a queue and several awaits) and one process held 100
rooms within 5 ms; here a hit is validated and written to the partner in the frame's
own callback, 28–38 µs, and one process holds 500 within 5 ms in about half the runs
(``bench/relay_load.py``).
Every other message is handled in order by the socket's own task.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
from typing import Any

from picows import (
    WSCloseCode,
    WSFrame,
    WSListener,
    WSMsgType,
    WSTransport,
    WSUpgradeRequest,
    WSUpgradeResponse,
    WSUpgradeResponseWithListener,
    ws_create_server,
)
from pydantic import ValidationError

from onebeat.errors import RoomError
from onebeat.relay.hub import Hub, RelayConfig, Seat
from onebeat.relay.protocol import MAX_MESSAGE_BYTES, MESSAGE, HitMsg
from onebeat.web.limits import Bucket, Drops, Limits, Pacer, error_line
from onebeat.web.lobby import Link

__all__ = ["RelayApp", "create_relay"]

log = logging.getLogger("onebeat.relay")

#: A socket that has had this many bursts' worth of messages dropped for its rate (less
#: what its rate gives back) is closed.
CLOSE_AFTER_BURSTS = 4
#: A frame larger than this closes its socket (1009); one over :data:`MAX_MESSAGE_BYTES`
#: but under it is refused with a line back.
MAX_FRAME_BYTES = 16 * MAX_MESSAGE_BYTES
#: A socket whose client has left this much unread is closed (a page that stopped
#: reading would otherwise grow the relay's memory with every hit sent to it).
MAX_UNREAD_BYTES = 1 << 20
#: Peers whose ``X-Forwarded-For`` is believed: a reverse proxy on this machine.
TRUSTED_PROXIES = frozenset({"127.0.0.1", "::1"})


class _Socket:
    """What a :class:`~onebeat.web.lobby.Link` sends through: a message is written to the
    socket at once (picows frames it without awaiting anything)."""

    __slots__ = ("transport",)

    def __init__(self, transport: WSTransport) -> None:
        self.transport = transport

    def send_now(self, data: bytes) -> None:
        t = self.transport
        if t.is_disconnected or t.is_close_frame_sent:
            raise ConnectionError("the socket is closed")
        unread = t.underlying_transport.get_write_buffer_size()
        if unread > MAX_UNREAD_BYTES:
            log.warning("closed a socket that left %d bytes unread", unread)
            t.disconnect(graceful=False)
            raise ConnectionError("the socket's client stopped reading")
        t.send(WSMsgType.TEXT, data)

    async def send_text(self, data: str) -> None:
        self.send_now(data.encode())


def client_address(transport: WSTransport) -> str:
    """The player's address: the peer's, or what a proxy on this machine forwards."""
    peer = transport.underlying_transport.get_extra_info("peername")
    host = str(peer[0]) if peer else "?"
    if host in TRUSTED_PROXIES:
        forwarded = transport.request.headers.get("X-Forwarded-For", "")
        # the proxy appends the address it saw: the last one is the one it vouches for
        host = forwarded.rsplit(",", 1)[-1].strip() or host
    return host


class _Player(WSListener):
    """One player's socket, from its handshake to its close."""

    def __init__(self, app: RelayApp) -> None:
        self.app = app

    def on_ws_connected(self, transport: WSTransport) -> None:
        app = self.app
        cfg = app.hub.config
        self.transport = transport
        client = client_address(transport)
        self.seat = Seat(link=Link(_Socket(transport)), client=client)
        self.limits = Limits(Drops(client), Bucket(cfg.replies_per_s, 2 * cfg.replies_per_s))
        self.rate = Bucket(cfg.rate_per_s, cfg.burst)
        self.patience = Bucket(cfg.rate_per_s, CLOSE_AFTER_BURSTS * cfg.burst)
        # what the socket's task handles in order: messages, and refusals (a line)
        self.inbox: asyncio.Queue[Any] = asyncio.Queue()
        self.worker = app.spawn(self._work())
        app.players.add(self)

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        kind = frame.msg_type
        if kind is WSMsgType.CLOSE:
            transport.send_close(frame.get_close_code())
            transport.disconnect()
            return
        if kind is WSMsgType.PING or kind is WSMsgType.PONG:
            return  # picows answers pings; the relay asks for no pongs
        if not self.rate.take():
            self.limits.drops.add("over the message rate")
            if not self.patience.take():
                log.warning("%s: closed: it kept sending over its rate", self.seat.client)
                transport.send_close(WSCloseCode.POLICY_VIOLATION)
                transport.disconnect()
            return
        if kind is not WSMsgType.TEXT or not frame.fin:
            self.inbox.put_nowait("messages are JSON text, each in one frame")
            return
        raw = frame.get_payload_as_bytes()
        if len(raw) > MAX_MESSAGE_BYTES:
            self.inbox.put_nowait(f"message of {len(raw)} bytes (at most {MAX_MESSAGE_BYTES})")
            return
        try:
            msg = MESSAGE.validate_json(raw)
        except ValidationError as exc:
            self.inbox.put_nowait(error_line(exc.errors(), "message"))
            return
        member = self.seat.member
        if type(msg) is HitMsg and member is not None and self.inbox.empty():
            # the most frequent message, passed on here and now
            try:
                out = self.app.hub.hit_text(member, msg).encode()
            except RoomError as exc:
                self.inbox.put_nowait(str(exc))
                return
            for m in member.room.members.values():
                ws = m.link.ws
                if m is not member and isinstance(ws, _Socket):
                    try:  # noqa: SIM105 (contextlib.suppress costs 2 µs a hit)
                        ws.send_now(out)
                    except ConnectionError:  # that socket's own close ends its player
                        pass
            return
        self.inbox.put_nowait(msg)

    async def _work(self) -> None:
        hub, link, limits = self.app.hub, self.seat.link, self.limits
        while True:
            item = await self.inbox.get()
            try:
                if isinstance(item, str):
                    await Pacer.refuse(link, limits, item)
                    continue
                try:
                    await hub.handle(self.seat, item)
                except RoomError as exc:
                    await Pacer.refuse(link, limits, str(exc))
            except OSError:  # the client went while a reply was being sent
                pass
            except Exception:  # a fault of the relay's own: this socket ends, the rest go on
                log.exception("%s: closed after an error in the relay", self.seat.client)
                self.transport.disconnect()
                return

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self.app.players.discard(self)
        self.worker.cancel()
        self.limits.drops.flush()
        self.seat.link.close()
        self.app.spawn(self.app.hub.leave(self.seat))


class RelayApp:
    """The relay: its rooms (:class:`Hub`) and the server that reaches them."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.players: set[_Player] = set()  # the sockets open
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, work: Any) -> asyncio.Task[None]:
        """A task kept until it ends (the event loop holds tasks weakly)."""
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def close(self, timeout: float = 2.0) -> None:
        """Close every socket ("going away") and let its player leave their room (after
        the server stopped listening)."""
        for player in list(self.players):
            player.transport.send_close(WSCloseCode.GOING_AWAY)
            player.transport.disconnect()
        while self.players and timeout > 0:  # picows reports each socket closed
            await asyncio.sleep(0.01)
            timeout -= 0.01
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=max(timeout, 0.1))

    def route(self, request: WSUpgradeRequest) -> _Player | WSUpgradeResponseWithListener:
        """What a request gets: the socket, the health check, or a refusal."""
        path = request.path.split(b"?", 1)[0]
        if path == b"/ws/relay":
            if len(self.players) >= self.hub.config.max_sockets:
                log.warning("refused a socket: %d open", len(self.players))
                return _reply(503, {"detail": "the relay is full: try again later"})
            return _Player(self)
        if path == b"/health" and request.method in (b"GET", b"HEAD"):
            cfg = self.hub.config
            return _reply(200, {"ok": True, "instance": cfg.instance, "rooms": len(self.hub.rooms)})
        return _reply(404, {"detail": "the relay has /ws/relay and /health"})

    async def serve(
        self, host: str, port: int, *, ssl_context: ssl.SSLContext | None = None
    ) -> asyncio.Server:
        """Listen on ``host:port`` (with TLS where a context is given)."""
        return await ws_create_server(
            self.route,
            host,
            port,
            ssl=ssl_context,
            max_frame_size=MAX_FRAME_BYTES,
            websocket_handshake_timeout=5,
            logger_name="onebeat.relay.ws",
        )


def _reply(status: int, body: dict[str, Any]) -> WSUpgradeResponseWithListener:
    data = json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if status == 200:
        response = WSUpgradeResponse.create_ok_response(data, headers)
    else:
        response = WSUpgradeResponse.create_error_response(status, data, headers)
    return WSUpgradeResponseWithListener(response, None)


def create_relay(config: RelayConfig | None = None, hub: Hub | None = None) -> RelayApp:
    """The relay's app (``hub`` may be given, for tests that look inside it)."""
    return RelayApp(hub or Hub(config))
