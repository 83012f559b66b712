"""How many remote duets one relay process holds (issue 29).

Starts ``onebeat relay`` on a free port (its own process), then steps up the number of
rooms: each room has two players (lean WebSocket clients, picows, spread over
``--client-procs`` processes of their own) who each send 20 hits a second, evenly spaced
with random phase, for ``--seconds`` seconds. Every hit carries its send time; the
partner's client notes when it arrived, on the same machine's clock. Prints per step:
the hits' latency from one player through the relay to the other, p50 / p95 / max [ms],
hits lost, the relay's CPU share and memory, its CPU time per hit passed on [µs], and the
players' processes' CPU share (while the players play: the rooms' clocks keep syncing
then, as in a take; the load must not be what limits the relay). On
loopback, that latency is the relay's added latency plus the clients' own event loops
(an upper bound on the relay's).

Target: at least 500 rooms with p95 ≤ 5 ms on a 2-core machine.

Usage: .venv/bin/python bench/relay_load.py [--rooms 100,300,500,600,800] [--seconds 5]
    [--client-procs 1]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib.util
import itertools
import json
import multiprocessing as mp
import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from server_load import free_port, rss_mb  # noqa: E402

from onebeat.relay.client import first_message  # noqa: E402

HIT_RATE = 20.0
SONG = "0123456789abcdef"


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class _Player(WSListener):
    """A scripted player as lean as can be (the load must not be the bottleneck on a
    2-core machine): picows frames, pings answered at once, partners' hits timed on
    arrival, every other message kept."""

    def __init__(self, origin: list[float], late: list[float]) -> None:
        self.origin, self.late = origin, late
        self.messages: list[dict[str, Any]] = []
        self.changed = asyncio.Event()

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.transport = transport

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type is not WSMsgType.TEXT:
            return
        now = time.perf_counter()
        msg = json.loads(frame.get_payload_as_bytes())
        kind = msg.get("type")
        if kind == "ping":
            pong = b'{"type":"pong","id":%d,"c":%.3f}' % (msg["id"], now * 1000)
            transport.send(WSMsgType.TEXT, pong)
        elif kind == "hit":
            self.late.append((now - self.origin[0] - msg["t"]) * 1000)
        else:
            self.messages.append(msg)
            self.changed.set()

    def send(self, msg: dict[str, Any]) -> None:
        self.transport.send(WSMsgType.TEXT, json.dumps(msg).encode())

    async def expect(
        self, kind: str, test: Callable[[dict[str, Any]], bool] | None = None, timeout: float = 60
    ) -> dict[str, Any]:
        return await first_message(self.messages, self.changed, kind, test, timeout)


async def _connect(url: str, origin: list[float], late: list[float]) -> _Player:
    _, player = await ws_connect(lambda: _Player(origin, late), url)
    assert isinstance(player, _Player)
    return player


async def _players(
    url: str, rooms: int, seconds: float, seed: int, relay_pid: int
) -> dict[str, list[float]]:
    origin = [0.0]
    late: list[float] = []
    players: list[_Player] = []
    for _ in range(rooms):
        host, guest = [await _connect(url, origin, late) for _ in range(2)]
        host.send({"type": "create", "name": "host"})
        code = (await host.expect("room"))["code"]
        guest.send({"type": "join", "code": code, "name": "guest"})
        await guest.expect("room")
        host.send({"type": "song", "song": SONG, "level": 1})
        for c in (host, guest):
            await c.expect("song")
            c.send({"type": "ready", "song": SONG})
        players += [host, guest]
    for host in players[::2]:
        await host.expect("room", lambda m: all(p["synced"] for p in m["players"]))
        host.send({"type": "start"})
    for c in players:
        await c.expect("start")
    # the players' own collector kept quiet while they play: its pauses are not the relay's
    gc.collect()
    gc.freeze()
    gc.disable()
    origin[0] = time.perf_counter()
    cpu0 = cpu_s(relay_pid)  # the relay's CPU over the playing alone
    own0 = time.process_time()  # and this process's: the load must not be the limit
    # every player's hits at 20 a second from a random phase, sent by one loop (one task
    # per player costs the load process more than the relay)
    rng = random.Random(seed)
    due = sorted((rng.uniform(0, 1 / HIT_RATE), k) for k in range(len(players)))
    sent = 0
    for rnd in itertools.count():
        base = rnd / HIT_RATE
        if base >= seconds:
            break
        for phase, k in due:
            wait = origin[0] + base + phase - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
            t = time.perf_counter() - origin[0]
            players[k].transport.send(
                WSMsgType.TEXT, b'{"type":"hit","t":%.6f,"piece":"snare","v":100}' % t
            )
            sent += 1
    playing = [
        cpu_s(relay_pid) - cpu0,
        time.perf_counter() - origin[0],
        time.process_time() - own0,
    ]
    await asyncio.sleep(0.5)
    gc.enable()
    for c in players:
        c.transport.disconnect()
    return {"late": late, "sent": [float(sent)], "playing": playing}


def has_uvloop() -> bool:
    return importlib.util.find_spec("uvloop") is not None


def _worker(args: tuple[str, int, float, int, int]) -> dict[str, list[float]]:
    factory: Callable[[], asyncio.AbstractEventLoop] = asyncio.new_event_loop
    if has_uvloop():  # the clients' loop as lean as the relay's (uvicorn takes uvloop)
        import uvloop

        factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(_players(*args))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rooms", default="100,300,500,600,800")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--client-procs", type=int, default=1)
    args = parser.parse_args()
    port = free_port()
    relay = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "onebeat.cli",
            "relay",
            "--port",
            str(port),
            "--max-rooms",
            "100000",
            "--joins-per-min",
            "1e9",
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        url = f"ws://127.0.0.1:{port}/ws/relay"
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("the relay did not start") from None
                time.sleep(0.1)
        print(
            f"relay: one process; rooms of 2 players at {HIT_RATE:g} hits/s each, "
            f"{args.seconds:g} s a step, clients in {args.client_procs} process(es)"
        )
        print(
            f"{'rooms':>6s} {'hits/s':>8s} {'p50 ms':>7s} {'p95 ms':>7s} {'max ms':>7s} "
            f"{'lost':>6s} {'relay CPU':>9s} {'µs/hit':>7s} {'RSS MB':>7s} {'players CPU':>8s}"
        )
        best = 0
        ctx = mp.get_context("spawn")
        for rooms in (int(x) for x in args.rooms.split(",")):
            share = [
                rooms // args.client_procs + (k < rooms % args.client_procs)
                for k in range(args.client_procs)
            ]
            with ctx.Pool(args.client_procs) as pool:
                parts = pool.map(
                    _worker,
                    [(url, n, args.seconds, k, relay.pid) for k, n in enumerate(share) if n],
                )
            # the workers play at the same time: the longest window is the playing's
            cpu_play, play_s, _ = max((p["playing"] for p in parts), key=lambda x: x[1])
            cpu = cpu_play / play_s
            load = sum(p["playing"][2] for p in parts) / play_s
            late = np.concatenate([p["late"] for p in parts])
            sent = sum(p["sent"][0] for p in parts)
            p50, p95, top = np.percentile(late, [50, 95, 100])
            lost = int(sent - len(late))
            per_hit = cpu_play / max(len(late), 1) * 1e6
            print(
                f"{rooms:6d} {sent / args.seconds:8.0f} {p50:7.2f} {p95:7.2f} {top:7.1f} "
                f"{lost:6d} {100 * cpu:8.0f}% {per_hit:7.0f} {rss_mb(relay.pid):7.0f} "
                f"{100 * load:7.0f}%"
            )
            if p95 <= 5.0 and lost == 0:
                best = rooms
        print(json.dumps({"most_rooms_p95_le_5ms": best, "target": 500}))
    finally:
        relay.terminate()
        relay.wait(10)


if __name__ == "__main__":
    main()
