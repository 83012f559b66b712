"""The relay's socket as the internet reaches it: junk gets one line back and the room
goes on; a flood is closed; the health check says how full it is; nothing else is served;
a client that stops reading is closed; TLS."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import ssl
import subprocess
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from onebeat.relay import RelayConfig, create_relay
from onebeat.relay.client import RelayClient
from tests.relay.live import free_port, serve_relay


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


async def _doors() -> tuple[int, str, bool]:
    async with serve_relay(RelayConfig(max_sockets=1)) as (port, _hub):
        try:
            await asyncio.to_thread(urllib.request.urlopen, f"http://127.0.0.1:{port}/etc/passwd")
            status, detail = 200, ""
        except urllib.error.HTTPError as exc:
            status, detail = exc.code, json.loads(exc.read())["detail"]
        url = f"ws://127.0.0.1:{port}/ws/relay"
        async with RelayClient(url) as a:
            await a.create("Ana")
            try:
                async with connect(url):
                    refused = False
            except InvalidStatus as exc:
                refused = exc.response.status_code == 503
        return status, detail, refused


def test_only_the_socket_and_the_health_check_are_served_and_a_full_relay_says_so() -> None:
    status, detail, refused = asyncio.run(_doors())
    assert status == 404 and "/ws/relay" in detail
    assert refused


class _Underlying:
    def __init__(self, peer: tuple[str, int], unread: int = 0) -> None:
        self.peer, self.unread = peer, unread

    def get_extra_info(self, name: str) -> Any:
        return self.peer if name == "peername" else None

    def get_write_buffer_size(self) -> int:
        return self.unread


class _Transport:
    """What the relay asks of a picows transport."""

    def __init__(self, peer: str, forwarded: str | None = None, unread: int = 0) -> None:
        self.underlying_transport = _Underlying((peer, 50000), unread)
        headers = {} if forwarded is None else {"X-Forwarded-For": forwarded}
        self.request = SimpleNamespace(headers=headers)
        self.is_disconnected = self.is_close_frame_sent = False
        self.sent: list[bytes] = []

    def send(self, _kind: Any, data: bytes) -> None:
        self.sent.append(data)

    def disconnect(self, graceful: bool = True) -> None:
        self.is_disconnected = True


def test_the_players_address_is_the_proxys_word_only_from_this_machine() -> None:
    from onebeat.relay.app import client_address

    def seen(*how: Any) -> str:
        transport: Any = _Transport(*how)
        return client_address(transport)

    # the one the proxy itself appended
    assert seen("127.0.0.1", "203.0.113.9, 198.51.100.7") == "198.51.100.7"
    assert seen("::1", "198.51.100.7") == "198.51.100.7"
    assert seen("192.0.2.4", "198.51.100.7") == "192.0.2.4"  # anyone else's word is not taken
    assert seen("127.0.0.1") == "127.0.0.1"


def test_a_client_that_stops_reading_is_closed_not_buffered_for() -> None:
    from onebeat.relay.app import MAX_UNREAD_BYTES, _Socket

    reading: Any = _Transport("192.0.2.4")
    _Socket(reading).send_now(b"{}")
    assert reading.sent == [b"{}"] and not reading.is_disconnected
    stuck: Any = _Transport("192.0.2.4", unread=MAX_UNREAD_BYTES + 1)
    with pytest.raises(ConnectionError):
        _Socket(stuck).send_now(b"{}")
    assert stuck.sent == [] and stuck.is_disconnected
    with pytest.raises(ConnectionError):  # and nothing more is written to it
        _Socket(stuck).send_now(b"{}")


@pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl to make a certificate")
def test_a_relay_with_a_certificate_serves_wss(tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    make = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1"
    subprocess.run(
        [*make.split(), "-keyout", key, "-out", cert, "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True,
        capture_output=True,
    )
    server_side = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_side.load_cert_chain(cert, key)

    async def go() -> dict[str, Any]:
        port = free_port()
        server = await create_relay().serve("127.0.0.1", port, ssl_context=server_side)
        try:
            trust = ssl.create_default_context(cafile=str(cert))
            async with connect(f"wss://127.0.0.1:{port}/ws/relay", ssl=trust) as ws:
                await ws.send(json.dumps({"type": "create", "name": "Ana"}))
                while True:
                    msg: dict[str, Any] = json.loads(await ws.recv())
                    if msg["type"] == "room":
                        return msg
        finally:
            server.close()
            await server.wait_closed()

    assert asyncio.run(go())["code"].startswith("A")


async def _going_away() -> tuple[int | None, int]:
    async with serve_relay() as (port, hub):
        ws = await connect(f"ws://127.0.0.1:{port}/ws/relay")
        await ws.send(json.dumps({"type": "create", "name": "Ana"}))
        while json.loads(await ws.recv())["type"] != "room":
            pass
    with contextlib.suppress(Exception):  # the relay has gone: what did the page hear?
        await asyncio.wait_for(ws.wait_closed(), 5)
    return ws.close_code, len(hub.rooms)


def test_a_stopping_relay_says_it_goes_and_closes_its_rooms() -> None:
    assert asyncio.run(_going_away()) == (1001, 0)


async def _fault() -> tuple[int | None, dict[str, Any]]:
    async with serve_relay() as (port, hub):

        async def broken(*_: Any) -> None:
            raise RuntimeError("a bug")

        hub.handle = broken  # type: ignore[method-assign]
        ws = await connect(f"ws://127.0.0.1:{port}/ws/relay")
        await ws.send(json.dumps({"type": "create", "name": "Ana"}))
        with contextlib.suppress(Exception):
            await asyncio.wait_for(ws.wait_closed(), 5)
        with await asyncio.to_thread(
            urllib.request.urlopen, f"http://127.0.0.1:{port}/health"
        ) as reply:
            return ws.close_code, json.loads(reply.read())


def test_a_fault_in_the_relay_ends_that_socket_not_the_relay() -> None:
    code, health = asyncio.run(_fault())
    assert code is not None and health["ok"]
