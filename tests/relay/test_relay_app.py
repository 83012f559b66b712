"""The relay's socket as the internet reaches it: junk gets one line back and the room
goes on; a flood is closed; the health check says how full it is."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from collections.abc import Callable
from typing import Any

from websockets.asyncio.client import connect

from onebeat.relay import RelayConfig
from onebeat.relay.client import RelayClient
from tests.relay.live import serve_relay


def _after(client: RelayClient, n: int) -> Callable[[dict[str, Any]], bool]:
    """Messages from the n-th on."""
    return lambda m: any(m is x for x in client.messages[n:])


async def _junk() -> None:
    async with serve_relay(RelayConfig(replies_per_s=100.0)) as (port, _hub):
        url = f"ws://127.0.0.1:{port}/ws/relay"
        async with RelayClient(url) as a, RelayClient(url) as b:
            code = await a.create("Ana")
            await b.join(code, "Ben")
            ws = b.ws
            assert ws is not None
            for junk, says in (
                (b"\x00\x01", "JSON text"),
                ("{not json", "message"),
                ("x" * 5000, "at most 1024"),
                (json.dumps({"type": "hit", "t": "soon", "piece": "snare"}), "t:"),
                (json.dumps({"type": "hit", "t": 1.0, "piece": "cowbell"}), "piece"),
                (json.dumps({"type": "start"}), "the host"),
                (json.dumps({"type": "song", "song": "../../etc/passwd", "level": 1}), "song"),
            ):
                before = len(b.messages)
                await ws.send(junk)
                err = await b.expect("error", _after(b, before))
                assert says in err["message"] and "\n" not in err["message"], err
            # the room goes on: a song chosen by the host still reaches the guest
            await a.send({"type": "song", "song": "0123456789abcdef", "level": 1})
            assert (await b.expect("song"))["song"] == "0123456789abcdef"
            with await asyncio.to_thread(
                urllib.request.urlopen, f"http://127.0.0.1:{port}/health"
            ) as reply:
                health = json.loads(reply.read())
            assert health == {"ok": True, "instance": "A", "rooms": 1}


def test_junk_is_answered_and_the_room_goes_on() -> None:
    asyncio.run(_junk())


async def _flood() -> bool:
    async with (
        serve_relay(RelayConfig(rate_per_s=50.0, burst=50.0)) as (port, _hub),
        connect(f"ws://127.0.0.1:{port}/ws/relay") as ws,
    ):
        try:
            for _ in range(5000):
                await ws.send('{"type":"leave"}')
            await asyncio.wait_for(ws.wait_closed(), 10)
        except Exception:
            pass
        return ws.close_code == 1008


def test_a_flood_is_closed() -> None:
    assert asyncio.run(_flood())


def test_the_command_says_what_is_wrong_in_one_line(capsys) -> None:  # type: ignore[no-untyped-def]
    from onebeat.cli import main

    for argv, says in (
        (["relay", "--instance", "O"], "--instance: instance 'O'"),
        (["relay", "--ssl-certfile", "cert.pem"], "go together"),
        (
            ["relay", "--ssl-certfile", "/nope.pem", "--ssl-keyfile", "/nope.key"],
            "/nope.pem: no such file",
        ),
    ):
        assert main(argv) == 1
        err = capsys.readouterr().err.strip()
        assert err.startswith("onebeat: error: ") and says in err and "\n" not in err, err
