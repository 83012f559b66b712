"""Two players in two cities, on loopback: each one's connection to the relay delayed
10, 40, 80 and 150 ms one way with ±10 ms of jitter (:mod:`tests.relay.netdelay`), their
clocks with their own origins and drift. What onebeat controls is checked: the take
starts at one moment for both, every hit reaches the partner with its own song time (so
the pair's asynchrony is the truth whatever the delay), the partner's hits come about
one network path late, and the room is live under 25 ms one way between the partners
and one bar late above."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import numpy as np
import pytest

from onebeat.relay import RelayConfig
from onebeat.relay.client import RelayClient
from tests.relay.live import serve_relay
from tests.relay.netdelay import DelayProxy

SONG = "0123456789abcdef"


def _clock(offset_ms: float, ppm: float):  # type: ignore[no-untyped-def]
    """A device clock with its own origin, running ``ppm`` fast."""
    return lambda: time.perf_counter() * 1000 * (1 + ppm * 1e-6) + offset_ms


def _true_s(offset_ms: float, ppm: float, device_ms: float) -> float:
    """perf_counter time [s] at which that clock reads ``device_ms``."""
    return (device_ms - offset_ms) / (1 + ppm * 1e-6) / 1000


async def _play(client: RelayClient, times: np.ndarray, piece: str) -> None:
    """Send each hit when the player's own song clock reaches it."""
    for t in times:
        wait = t - client.song_now()
        if wait > 0:
            await asyncio.sleep(wait)
        await client.hit(float(t), piece)


async def _duet(one_way_ms: float) -> dict[str, Any]:
    config = RelayConfig(lead_s=1.5)
    clocks = {"Ana": (1.2e6, 40.0), "Ben": (-3.4e5, -30.0)}
    async with serve_relay(config) as (port, hub):
        proxies = [
            await DelayProxy(("127.0.0.1", port), one_way_ms, 10.0, seed=k).start()
            for k in range(2)
        ]
        a = RelayClient(
            f"ws://127.0.0.1:{proxies[0].port}/ws/relay", clock_ms=_clock(*clocks["Ana"])
        )
        b = RelayClient(
            f"ws://127.0.0.1:{proxies[1].port}/ws/relay", clock_ms=_clock(*clocks["Ben"])
        )
        await a.connect()
        await b.connect()
        try:
            code = await a.create("Ana")
            await b.join(code, "Ben")
            await a.send({"type": "song", "song": SONG, "level": 2, "title": "t"})
            await b.expect("song")
            for c in (a, b):
                await c.send({"type": "ready", "song": SONG})
            # a second of pings (the page waits for its clock the same way)
            await asyncio.sleep(1.2)
            await a.synced()
            await a.send({"type": "start"})
            sa, sb = await a.expect("start"), await b.expect("start")
            start_a = _true_s(*clocks["Ana"], sa["at_ms"])
            start_b = _true_s(*clocks["Ben"], sb["at_ms"])
            # eighth notes at 120 BPM from 0.25 s; Ana 6 ms behind on average
            notes = 0.25 + 0.25 * np.arange(12)
            rng = np.random.default_rng(int(one_way_ms))
            ta = notes + 0.006 + rng.normal(0, 0.008, len(notes))
            tb = notes + rng.normal(0, 0.008, len(notes))
            await asyncio.gather(_play(a, ta, "snare"), _play(b, tb, "kick"))
            await asyncio.sleep(2 * one_way_ms / 1000 + 0.1)
            for c in (a, b):
                await c.send({"type": "done"})
            got_by_a = np.array([m["t"] for m, _ in a.partner_hits])
            got_by_b = np.array([m["t"] for m, _ in b.partner_hits])
            late_ms = [
                (arrived - b.start_msg["at_ms"]) - 1000 * m["t"]  # type: ignore[index]
                for m, arrived in b.partner_hits
            ]
            # the pair's asynchrony, as each side measures it: own hits against the
            # partner's as they came, per note
            async_a = (ta - got_by_a) * 1000
            async_b = (got_by_b - tb) * 1000
            truth = (ta - tb) * 1000
            return {
                "start_diff_ms": abs(start_a - start_b) * 1000,
                "start_vs_relay_ms": abs(start_a - sa["relay_at"]) * 1000,
                "hits_a": len(got_by_a),
                "hits_b": len(got_by_b),
                "async_err_ms": float(
                    np.percentile(
                        np.abs(np.concatenate([async_a, async_b]) - np.tile(truth, 2)), 95
                    )
                ),
                "late_ms": float(np.median(late_ms)),
                "mode": sa["mode"],
                "latency_ms": sa["latency_ms"],
                "rooms_after": float(len(hub.rooms)),
                "b_piece": b.partner_hits[0][0]["piece"],
                "a_player": a.partner_hits[0][0]["player"],
            }
        finally:
            await a.close()
            await b.close()
            for p in proxies:
                await p.stop()


@pytest.mark.parametrize("one_way_ms", [10, 40, 80, 150])
def test_remote_duet_over_delayed_links(one_way_ms: float) -> None:
    r = asyncio.run(_duet(one_way_ms))
    assert r["hits_a"] == r["hits_b"] == 12  # every hit reached the partner
    assert r["a_player"] == "Ben" and r["b_piece"] == "snare"
    assert r["async_err_ms"] <= 2.0  # the pair's asynchrony is the truth
    # one start for both (the clock filter trusts the shortest round trips)
    assert r["start_diff_ms"] <= 10.0, r
    assert r["start_vs_relay_ms"] <= 10.0, r
    # the partner's hits come about one path late: theirs to the relay, the relay's to me
    path = 2 * one_way_ms
    assert path - 15 <= r["late_ms"] <= path + 25, r
    # the latency the mode was chosen on, and the mode (at 10 ms one way the pair is
    # 20 ms apart, near the threshold: on a busy machine the relay may measure more and
    # rightly choose "bar"; tests/relay/test_hub.py checks the switch exactly)
    assert abs(r["latency_ms"] - path) <= 12, r
    if not 20 <= r["latency_ms"] <= 25:  # (between, the hysteresis keeps either)
        assert r["mode"] == ("live" if r["latency_ms"] < 20 else "bar")
    if path > 40:
        assert r["mode"] == "bar"
