"""``onebeat relay``'s server: one WebSocket, ``/ws/relay``, and a health check.

It is made to face the internet, unlike the local app: it reads and writes no file, keeps
nothing beyond a room's life, and every socket's messages are size-limited, rate-limited
and validated (:class:`~onebeat.web.limits.Bucket`, as the local app's); a bad message is
dropped with a one-line error back and never ends the room; a socket that keeps sending
over its rate is closed. Room joins are rate-limited per client address. Any page may
connect (the players' pages come from their own onebeat, on their own machines): a room
is reached by its code only. TLS: run it behind a reverse proxy (README), or give
uvicorn a certificate (``onebeat relay --ssl-certfile --ssl-keyfile``).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, WebSocket
from pydantic import ValidationError
from starlette.websockets import WebSocketDisconnect

from onebeat.errors import RoomError
from onebeat.relay.hub import Hub, RelayConfig, Seat
from onebeat.relay.protocol import MAX_MESSAGE_BYTES, MESSAGE
from onebeat.web.limits import Bucket, Drops, error_line
from onebeat.web.lobby import Link

__all__ = ["create_relay"]

log = logging.getLogger("onebeat.relay")

#: A socket that has had this many bursts' worth of messages dropped for its rate (less
#: what its rate gives back) is closed.
CLOSE_AFTER_BURSTS = 4


def create_relay(config: RelayConfig | None = None, hub: Hub | None = None) -> FastAPI:
    """The relay's app (``hub`` may be given, for tests that look inside it)."""
    hub = hub or Hub(config)
    cfg = hub.config
    app = FastAPI(title="onebeat relay", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.hub = hub
    sockets = {"open": 0}

    @app.get("/health")
    async def health() -> dict[str, Any]:
        """Up, and how full (for a load balancer's check)."""
        return {"ok": True, "instance": cfg.instance, "rooms": len(hub.rooms)}

    @app.websocket("/ws/relay")
    async def relay(ws: WebSocket) -> None:
        client = ws.client.host if ws.client else "?"
        if sockets["open"] >= cfg.max_sockets:
            log.warning("refused a socket from %s: %d open", client, sockets["open"])
            await ws.close(code=1013)  # try again later
            return
        await ws.accept()
        sockets["open"] += 1
        seat = Seat(link=Link(ws), client=client)
        drops = Drops(client)
        rate = Bucket(cfg.rate_per_s, cfg.burst)
        patience = Bucket(cfg.rate_per_s, CLOSE_AFTER_BURSTS * cfg.burst)
        replies = Bucket(cfg.replies_per_s, 2 * cfg.replies_per_s)

        async def refuse(why: str) -> None:
            drops.add("refused", why)
            if replies.take():
                await seat.link.send({"type": "error", "message": why})

        try:
            while True:
                event = await ws.receive()
                if event["type"] == "websocket.disconnect":
                    break
                if not rate.take():
                    drops.add("over the message rate")
                    if not patience.take():
                        log.warning("%s: closed: it kept sending over its rate", client)
                        await ws.close(code=1008)
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
        except WebSocketDisconnect:
            pass
        finally:
            sockets["open"] -= 1
            drops.flush()
            seat.link.close()
            await hub.leave(seat)

    return app
