"""A player's side of the relay in Python (the page's is ``web/static/relay.js``): for
scripted players, the tests and ``bench/relay_load.py``. It answers the relay's pings
with its own clock at once, as the page does, and keeps what the relay said."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

__all__ = ["RelayClient", "first_message"]


async def first_message(
    messages: list[dict[str, Any]],
    changed: asyncio.Event,
    kind: str,
    test: Callable[[dict[str, Any]], bool] | None = None,
    timeout: float = 10,
) -> dict[str, Any]:
    """The first of ``messages`` (a player's, kept as they come, ``changed`` set on each)
    of this type and passing ``test``, waiting up to ``timeout`` [s] for it."""
    deadline = time.monotonic() + timeout
    seen = 0
    while True:
        for msg in messages[seen:]:
            if msg.get("type") == kind and (test is None or test(msg)):
                return msg
        seen = len(messages)
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"no {kind!r} from the relay in {timeout} s")
        changed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(changed.wait(), left)


class RelayClient:
    """One player's connection to a relay.

    Parameters
    ----------
    url : str
        The relay's socket, ``ws://host:port/ws/relay`` (``wss://`` behind TLS).
    clock_ms : callable, optional
        This player's clock [ms] (a browser's ``performance.now()``); by default
        ``time.perf_counter()`` in ms.
    """

    def __init__(self, url: str, *, clock_ms: Callable[[], float] | None = None) -> None:
        self.url = url
        self.clock_ms = clock_ms or (lambda: time.perf_counter() * 1000)
        self.ws: ClientConnection | None = None
        self.messages: list[dict[str, Any]] = []
        #: Each partner's hit as it came: the message and this clock's reading then [ms].
        self.partner_hits: list[tuple[dict[str, Any], float]] = []
        self.room: dict[str, Any] | None = None
        self.start_msg: dict[str, Any] | None = None
        self._changed = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None

    async def connect(self) -> RelayClient:
        self.ws = await connect(self.url, max_size=1 << 16, compression=None)
        self._reader = asyncio.get_running_loop().create_task(self._read())
        return self

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader

    async def __aenter__(self) -> RelayClient:
        return await self.connect()

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def _read(self) -> None:
        assert self.ws is not None
        with contextlib.suppress(Exception):
            async for raw in self.ws:
                msg = json.loads(raw)
                kind = msg.get("type")
                if kind == "ping":
                    await self.send({"type": "pong", "id": msg["id"], "c": self.clock_ms()})
                    continue
                if kind == "hit":
                    self.partner_hits.append((msg, self.clock_ms()))
                elif kind == "room":
                    self.room = msg
                elif kind == "start":
                    self.start_msg = msg
                self.messages.append(msg)
                self._changed.set()

    async def send(self, msg: dict[str, Any]) -> None:
        assert self.ws is not None, "connect first"
        await self.ws.send(json.dumps(msg))

    async def expect(
        self, kind: str, test: Callable[[dict[str, Any]], bool] | None = None, timeout: float = 10
    ) -> dict[str, Any]:
        """The first message of this type (and passing ``test``) the relay has sent."""
        return await first_message(self.messages, self._changed, kind, test, timeout)

    async def create(self, name: str) -> str:
        """Open a room as its host; its code."""
        await self.send({"type": "create", "name": name})
        return str((await self.expect("room"))["code"])

    async def join(self, code: str, name: str) -> dict[str, Any]:
        await self.send({"type": "join", "code": code, "name": name})
        return await self.expect("room", lambda m: m["code"] == code)

    async def synced(self, timeout: float = 10) -> dict[str, Any]:
        """The room once every player's clock is known to the relay."""
        return await self.expect(
            "room", lambda m: all(p["synced"] for p in m["players"]), timeout=timeout
        )

    async def hit(self, t: float, piece: str = "snare", v: int = 100) -> None:
        await self.send({"type": "hit", "t": t, "piece": piece, "v": v})

    def song_now(self) -> float:
        """Song time on this clock [s] once the take's start is known."""
        assert self.start_msg is not None, "no take has started"
        return (self.clock_ms() - float(self.start_msg["at_ms"])) / 1000
