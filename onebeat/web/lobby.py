"""Phones and tablets as drum pads: who is joined, their clocks, and the relay of taps.

The page on the host's screen owns the song clock (its audio). A phone's tap is stamped
by the phone's own clock; the server knows each device's clock against its own
(:class:`~onebeat.web.clock.ClockSync`, from pings), so it puts the tap on the host
page's clock and relays it there. The page then treats it like its own keyboard or MIDI
events: converted to song time through the audio clock, with the player's calibration,
and sent back to be judged. The phone gets its player's judgments back.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import time
from typing import Any, Protocol

from onebeat.play.protocol import TapMsg
from onebeat.web.clock import ClockSync

__all__ = ["Link", "Lobby"]

log = logging.getLogger("onebeat.web")

#: Pings when a link starts syncing (quickly, to be ready in a second), then their pace [s].
FIRST_PINGS, FIRST_GAP_S, PING_GAP_S = 12, 0.06, 0.5


class _Socket(Protocol):
    async def send_text(self, data: str) -> None: ...


class _Pong(Protocol):
    """A ping's answer (the play socket's and the relay's): its id, the device's clock."""

    @property
    def id(self) -> int: ...

    @property
    def c(self) -> float: ...


class Link:
    """One WebSocket of the host page or a phone: serialised sends, pings, its clock."""

    def __init__(self, ws: _Socket, name: str = "") -> None:
        self.ws = ws
        self.name = name
        self.clock = ClockSync()
        self._lock = asyncio.Lock()
        self._ids = itertools.count()
        self._sent: dict[int, float] = {}
        self._pinger: asyncio.Task[None] | None = None

    async def send(self, msg: dict[str, Any]) -> None:
        await self.send_text(json.dumps(msg))

    async def send_text(self, text: str) -> None:
        """Send a message already written as JSON."""
        async with self._lock:
            await self.ws.send_text(text)

    def start_sync(self) -> None:
        """Ping this link from now on (once asked; a socket that never asks gets none)."""
        if self._pinger is None:
            self._pinger = asyncio.get_running_loop().create_task(self._ping_loop())

    async def _ping_loop(self) -> None:
        for k in itertools.count():
            i = next(self._ids)
            self._sent[i] = time.perf_counter()
            if len(self._sent) > 64:  # unanswered pings are forgotten
                del self._sent[min(self._sent)]
            try:
                await self.send({"type": "ping", "id": i})
            except Exception:  # the socket went; its handler ends the link
                return
            await asyncio.sleep(FIRST_GAP_S if k < FIRST_PINGS else PING_GAP_S)

    def pong(self, msg: _Pong) -> None:
        s1 = time.perf_counter()
        s0 = self._sent.pop(msg.id, None)
        if s0 is not None:
            self.clock.add(s0, msg.c, s1)

    def close(self) -> None:
        if self._pinger is not None:
            self._pinger.cancel()


class Lobby:
    """The host pages and the phones joined to them (one per app)."""

    def __init__(self) -> None:
        self.hosts: set[Link] = set()
        self.phones: dict[str, Link] = {}

    async def join(self, phone: Link) -> None:
        old = self.phones.get(phone.name)
        self.phones[phone.name] = phone
        if old is not None and old is not phone:  # the same player again (a reloaded page)
            old.close()
            with contextlib.suppress(Exception):
                await old.send({"type": "error", "message": "this player joined from elsewhere"})
        await self.announce()

    async def leave(self, phone: Link) -> None:
        if self.phones.get(phone.name) is phone:
            del self.phones[phone.name]
            await self.announce()
        phone.close()

    async def announce(self) -> None:
        """Tell the host pages which phones are joined, and how well their clocks are known."""
        msg = self.phones_msg()
        for h in list(self.hosts):
            with contextlib.suppress(Exception):
                await h.send(msg)

    def phones_msg(self) -> dict[str, Any]:
        return {"type": "phones", "phones": [self.phone_info(p) for p in self.phones.values()]}

    @staticmethod
    def phone_info(p: Link) -> dict[str, Any]:
        info: dict[str, Any] = {"name": p.name, "synced": p.clock.ready}
        if p.clock.ready:
            e = p.clock.estimate()
            info["error_ms"] = round(e.error_ms, 2)
            info["rtt_ms"] = round(e.best_rtt_ms, 2)
        return info

    async def tap(self, phone: Link, msg: TapMsg) -> int:
        """Relay a phone's tap to every synced host page, on that page's clock; how many
        pages got it."""
        if self.phones.get(phone.name) is not phone:
            raise ValueError(f"{phone.name!r} joined from another device; this one is off")
        if not phone.clock.ready:
            raise ValueError("the phone's clock is not synchronised yet: wait a second")
        at = phone.clock.to_server(msg.c)
        sent = 0
        for h in list(self.hosts):
            if not h.clock.ready:
                continue
            relay: dict[str, Any] = {"type": "tap", "player": phone.name, "pad": msg.pad}
            relay |= {"v": msg.v, "c": round(h.clock.to_device(at), 3)}
            with contextlib.suppress(Exception):
                await h.send(relay)
                sent += 1
        return sent

    async def forward(self, reply: dict[str, Any]) -> None:
        """Give each phone its own player's part of a reply to a host page."""
        kind = reply.get("type")
        for name, phone in list(self.phones.items()):
            out: dict[str, Any] | None = None
            if kind == "judged":
                items = [j for j in reply["items"] if j["player"] == name]
                if items:
                    out = {"type": "judged", "items": items, "stats": reply["stats"].get(name)}
            elif kind == "results" and name in reply["summary"]:
                out = {"type": "results", "summary": reply["summary"][name]}
            elif kind == "ready" and name in reply.get("players", ()):
                out = {"type": "take", "title": reply["chart"]["title"]}
            elif kind == "lesson" and name in reply["players"]:
                out = {"type": "take", "title": reply["players"][name]["title"]}
            elif kind == "coached" and name in reply["players"]:
                out = {"type": "coach", "message": reply["players"][name]["message"]}
            if out is not None:
                with contextlib.suppress(Exception):
                    await phone.send(out)
