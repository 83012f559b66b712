"""``onebeat relay``'s server: one WebSocket, ``/ws/relay``, and ``GET /health``.

It is made to face the internet, unlike the local app: it reads and writes no file, keeps
nothing beyond a room's life, and every socket's messages are size-limited, rate-limited
and validated (:class:`~onebeat.web.limits.Bucket`, as the local app's); a bad message is
dropped with a one-line error back and never ends the room; a socket that keeps sending
over its rate is closed. Room joins are rate-limited per client address (behind a
reverse proxy, the one it forwards: uvicorn reads ``X-Forwarded-For`` from a proxy on
this machine). Any page may connect (the players' pages come from their own onebeat, on
their own machines): a room is reached by its code only. TLS: run it behind a reverse
proxy (README), or give uvicorn a certificate (``onebeat relay --ssl-certfile
--ssl-keyfile``).

A plain ASGI app rather than FastAPI's: a relay's work is passing small messages on,
tens of thousands a second, and each layer of middleware around ``send`` costs on every
one of them (measured by ``bench/relay_load.py``); there is nothing else to route.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from pydantic import ValidationError

from onebeat.errors import RoomError
from onebeat.relay.hub import Hub, RelayConfig, Seat
from onebeat.relay.protocol import MAX_MESSAGE_BYTES, MESSAGE
from onebeat.web.limits import Bucket, Drops, Limits, Pacer, error_line
from onebeat.web.lobby import Link

__all__ = ["RelayApp", "create_relay"]

log = logging.getLogger("onebeat.relay")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

#: A socket that has had this many bursts' worth of messages dropped for its rate (less
#: what its rate gives back) is closed.
CLOSE_AFTER_BURSTS = 4


class _Socket:
    """What :class:`~onebeat.web.lobby.Link` sends through: the ASGI ``send``."""

    def __init__(self, send: Send) -> None:
        self._send = send

    async def send_text(self, data: str) -> None:
        await self._send({"type": "websocket.send", "text": data})


class RelayApp:
    """The relay as an ASGI application."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.open = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
        elif kind == "websocket" and scope["path"] == "/ws/relay":
            await self.socket(scope, receive, send)
        elif kind == "websocket":
            await send({"type": "websocket.close", "code": 1008})
        elif scope["path"] == "/health" and scope["method"] in ("GET", "HEAD"):
            cfg = self.hub.config
            body = {"ok": True, "instance": cfg.instance, "rooms": len(self.hub.rooms)}
            await self._reply(send, 200, body)
        else:
            await self._reply(send, 404, {"detail": "the relay has /ws/relay and /health"})

    @staticmethod
    async def _reply(send: Send, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(data))]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": data})

    async def socket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """One player's socket, from its handshake to its close."""
        cfg, hub = self.hub.config, self.hub
        client = str((scope.get("client") or ("?",))[0])
        if (await receive())["type"] != "websocket.connect":
            return
        if self.open >= cfg.max_sockets:
            log.warning("refused a socket from %s: %d open", client, self.open)
            await send({"type": "websocket.close", "code": 1013})  # try again later
            return
        await send({"type": "websocket.accept"})
        self.open += 1
        seat = Seat(link=Link(_Socket(send)), client=client)
        limits = Limits(Drops(client), Bucket(cfg.replies_per_s, 2 * cfg.replies_per_s))
        drops = limits.drops
        rate = Bucket(cfg.rate_per_s, cfg.burst)
        patience = Bucket(cfg.rate_per_s, CLOSE_AFTER_BURSTS * cfg.burst)

        async def refuse(why: str) -> None:
            await Pacer.refuse(seat.link, limits, why)

        try:
            while True:
                event = await receive()
                if event["type"] != "websocket.receive":
                    break
                if not rate.take():
                    drops.add("over the message rate")
                    if not patience.take():
                        log.warning("%s: closed: it kept sending over its rate", client)
                        await send({"type": "websocket.close", "code": 1008})
                        break
                    continue
                raw = event.get("text")
                if raw is None:
                    await refuse("messages are JSON text")
                    continue
                if len(raw) > MAX_MESSAGE_BYTES:
                    await refuse(f"message of {len(raw)} bytes (at most {MAX_MESSAGE_BYTES})")
                    continue
                try:
                    msg = MESSAGE.validate_json(raw)
                except ValidationError as exc:
                    await refuse(error_line(exc.errors(), "message"))
                    continue
                try:
                    await hub.handle(seat, msg)
                except RoomError as exc:
                    await refuse(str(exc))
        except OSError:  # the client went while a reply was being sent
            pass
        finally:
            self.open -= 1
            drops.flush()
            seat.link.close()
            await hub.leave(seat)


def create_relay(config: RelayConfig | None = None, hub: Hub | None = None) -> RelayApp:
    """The relay's app (``hub`` may be given, for tests that look inside it)."""
    return RelayApp(hub or Hub(config))
