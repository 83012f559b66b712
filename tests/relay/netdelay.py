"""A TCP proxy that delays what passes through it, each way: the internet between two
players and a relay, on loopback. Each chunk is held ``one_way_ms`` ± ``jitter_ms``
(uniform), in order (TCP never reorders: a chunk leaves no earlier than the one before).
Application-level, so it needs no privileges (``tc netem`` needs a network namespace)."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time

__all__ = ["DelayProxy"]


class DelayProxy:
    def __init__(
        self, upstream: tuple[str, int], one_way_ms: float, jitter_ms: float = 0.0, seed: int = 0
    ) -> None:
        self.upstream = upstream
        self.one_way_ms = one_way_ms
        self.jitter_ms = jitter_ms
        self.rng = random.Random(seed)
        self.server: asyncio.Server | None = None
        self.port = 0
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> DelayProxy:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
        for task in list(self._tasks):
            task.cancel()

    def _delay_s(self) -> float:
        return max(0.0, self.one_way_ms + self.rng.uniform(-self.jitter_ms, self.jitter_ms)) / 1000

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        for src, dst in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.get_running_loop().create_task(self._pump(src, dst))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pump(self, src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            while True:
                due, chunk = await queue.get()
                wait = due - time.perf_counter()
                if wait > 0:
                    await asyncio.sleep(wait)
                if not chunk:
                    dst.close()
                    return
                dst.write(chunk)
                await dst.drain()

        sender = asyncio.get_running_loop().create_task(deliver())
        last = 0.0
        try:
            while True:
                chunk = await src.read(65536)
                last = max(last, time.perf_counter() + self._delay_s())
                queue.put_nowait((last, chunk))
                if not chunk:
                    break
            await sender
        finally:
            sender.cancel()
            with contextlib.suppress(Exception):
                dst.close()
