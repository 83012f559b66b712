"""The relay's rooms without a network: codes, joins and their limit, the host's
powers, hits kept within their room, the latency mode and its hysteresis, and nothing
kept once a room empties. Messages are fuzzed with hypothesis."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from onebeat.errors import RoomError
from onebeat.relay.hub import Hub, RelayConfig, Room, Seat
from onebeat.relay.protocol import CODE_ALPHABET, CODE_LENGTH, MESSAGE
from onebeat.web.lobby import Link

SONG = "00112233445566aa"


class FakeSocket:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    async def send_text(self, data: str) -> None:
        self.sent.append(json.loads(data))

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.sent if m["type"] == kind]


def seat(client: str = "203.0.113.5") -> tuple[Seat, FakeSocket]:
    sock = FakeSocket()
    return Seat(link=Link(sock), client=client), sock


def synced(s: Seat, rtt_s: float, n: int = 12) -> None:
    """Give the seat's clock ``n`` pings of this round trip."""
    for k in range(n):
        s.link.clock.add(k * 0.5, 1000.0 * k * 0.5 + 7.0, k * 0.5 + rtt_s)


async def msg(hub: Hub, s: Seat, **fields: Any) -> None:
    await hub.handle(s, MESSAGE.validate_python(fields))


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_codes_name_the_instance_and_avoid_misread_letters() -> None:
    hub = Hub(RelayConfig(instance="K"))
    codes = {hub.new_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert code[0] == "K" and len(code) == CODE_LENGTH + 1
        assert set(code) <= set(CODE_ALPHABET) and not set(code) & set("01OIL")
    with pytest.raises(ValueError, match="instance"):
        RelayConfig(instance="O")


def test_a_room_from_creation_to_take_and_gone() -> None:
    async def go() -> None:
        hub = Hub(RelayConfig(lead_s=2.0, max_players=3))
        (a, sa), (b, sb) = seat(), seat("198.51.100.7")
        await msg(hub, a, type="create", name="Ana")
        code = sa.of("room")[-1]["code"]
        await msg(hub, b, type="join", code=code.lower(), name="Ben")  # any case
        assert [p["name"] for p in sb.of("room")[-1]["players"]] == ["Ana", "Ben"]
        with pytest.raises(RoomError, match="host"):
            await msg(hub, b, type="song", song=SONG, level=3)
        await msg(hub, a, type="song", song=SONG, level=3, title="Demo", audio="0a1b2c3d4e5f6a7b")
        assert sb.of("song")[-1]["title"] == "Demo"
        assert sb.of("song")[-1]["audio"] == "0a1b2c3d4e5f6a7b"  # a re-tagged copy matches it
        with pytest.raises(RoomError, match="not the room's song"):
            await msg(hub, b, type="ready", song="ffffffffffffffff")
        for s in (a, b):
            await msg(hub, s, type="ready", song=SONG)
        with pytest.raises(RoomError, match="waiting for Ana, Ben"):
            await msg(hub, a, type="start")
        synced(a, 0.016)
        synced(b, 0.024)
        with pytest.raises(RoomError, match="no take"):
            await msg(hub, a, type="hit", t=1.0, piece="snare")
        await msg(hub, a, type="start")
        start_a, start_b = sa.of("start")[-1], sb.of("start")[-1]
        assert start_a["relay_at"] == start_b["relay_at"]
        # each on their own clock: device ms = (relay s - offset) * 1000
        for s, st_ in ((a, start_a), (b, start_b)):
            assert s.link.clock.to_server(st_["at_ms"]) == pytest.approx(st_["relay_at"], abs=1e-6)
        assert start_a["mode"] == "live" and start_a["latency_ms"] == 20.0
        with pytest.raises(RoomError, match="playing a take"):
            await msg(hub, seat()[0], type="join", code=code, name="Cy")
        await msg(hub, b, type="hit", t=1.25, piece="kick", v=90)
        assert sa.of("hit") == [
            {"type": "hit", "player": "Ben", "t": 1.25, "piece": "kick", "v": 90}
        ]
        assert not sb.of("hit")  # nobody hears their own hits back
        await msg(hub, a, type="done")
        await msg(hub, b, type="done")
        assert hub.rooms[code].started_at is None  # the next take may start
        await hub.leave(a)
        assert hub.rooms[code].host == "Ben"  # the room goes on with a host
        assert sb.of("left")[-1]["player"] == "Ana"
        await hub.leave(b)
        assert hub.rooms == {}  # nothing kept once the room empties
        for s in (a, b):
            s.link.close()

    run(go())


def test_joins_are_limited_per_address() -> None:
    async def go() -> None:
        hub = Hub(RelayConfig(joins_per_min=10, join_burst=10))
        host, _ = seat("192.0.2.1")
        await msg(hub, host, type="create", name="Host")
        guesser, _ = seat("192.0.2.99")
        for _ in range(10):
            with pytest.raises(RoomError, match="no room"):
                await msg(hub, guesser, type="join", code="A222222", name="X")
        code = next(iter(hub.rooms))
        with pytest.raises(RoomError, match="too many rooms tried"):
            await msg(hub, guesser, type="join", code=code, name="X")  # even the right one
        other, _ = seat("192.0.2.100")  # another address is not held up
        await msg(hub, other, type="join", code=code, name="Y")
        host.link.close()
        other.link.close()

    run(go())


def test_rooms_and_players_are_bounded() -> None:
    async def go() -> None:
        hub = Hub(RelayConfig(max_rooms=2, max_players=2))
        seats = [seat(f"10.0.0.{k}")[0] for k in range(4)]
        await msg(hub, seats[0], type="create", name="A")
        await msg(hub, seats[1], type="create", name="B")
        with pytest.raises(RoomError, match="2 rooms"):
            await msg(hub, seats[2], type="create", name="C")
        code = seats[0].member.room.code  # type: ignore[union-attr]
        await msg(hub, seats[2], type="join", code=code, name="C")
        with pytest.raises(RoomError, match="full"):
            await msg(hub, seats[3], type="join", code=code, name="D")
        other = seats[1].member
        assert other is not None
        with pytest.raises(RoomError, match="already in room"):
            await msg(hub, seat("10.0.1.1")[0], type="join", code=other.room.code, name="B")
        for s in seats:
            s.link.close()

    run(go())


def test_the_mode_switches_at_the_threshold_with_hysteresis_never_in_a_take() -> None:
    hub = Hub(RelayConfig(live_ms=25.0, hysteresis_ms=5.0))
    room = Room(code="A234567", host="a")
    a, b = seat()[0], seat()[0]
    from onebeat.relay.hub import Member

    room.members = {"a": Member("a", a.link, room), "b": Member("b", b.link, room)}

    def path(one_way_ms: float) -> None:
        for s in (a, b):
            s.link.clock.samples.clear()
            synced(s, 2 * one_way_ms / 1000, n=16)

    path(12.0)  # 24 ms between the partners
    assert hub.update_mode(room) and room.mode == "live"
    path(13.0)  # 26 ms: over
    assert hub.update_mode(room) and room.mode == "bar"
    path(11.0)  # 22 ms: under, but within the hysteresis
    assert not hub.update_mode(room) and room.mode == "bar"
    path(9.9)  # 19.8 ms: clearly back
    assert hub.update_mode(room) and room.mode == "live"
    assert room.latency_ms == pytest.approx(19.8)
    # a take keeps the mode and latency it started with, whatever the line does meanwhile
    room.started_at = 1.0
    path(40.0)
    assert not hub.update_mode(room) and room.mode == "live"
    assert room.latency_ms == pytest.approx(19.8)
    room.started_at = None  # the take is over: the next one is chosen afresh
    assert hub.update_mode(room) and room.mode == "bar"


def test_hits_stay_in_their_room() -> None:
    async def go() -> None:
        hub = Hub(RelayConfig(lead_s=0.0))
        rooms = []
        for k in range(3):
            (h, sh), (g, sg) = seat(f"10.1.{k}.1"), seat(f"10.1.{k}.2")
            await msg(hub, h, type="create", name="Host")
            await msg(hub, g, type="join", code=sh.of("room")[-1]["code"], name="Guest")
            await msg(hub, h, type="song", song=SONG, level=1)
            for s in (h, g):
                await msg(hub, s, type="ready", song=SONG)
                synced(s, 0.01)
            await msg(hub, h, type="start")
            rooms.append(((h, sh), (g, sg)))
        for k, ((h, _), _) in enumerate(rooms):
            await msg(hub, h, type="hit", t=float(k), piece="snare")
        for k, (_, (g, sg)) in enumerate(rooms):
            assert [m["t"] for m in sg.of("hit")] == [float(k)]
            assert {m["code"] for m in sg.of("room")} == {g.member.room.code}  # type: ignore[union-attr]
        for pair in rooms:
            for s, _ in pair:
                s.link.close()

    run(go())


# every kind of message, and junk in each field
_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.lists(st.integers(), max_size=3),
)
_messages = st.fixed_dictionaries(
    {
        "type": st.sampled_from(
            ["create", "join", "pong", "song", "ready", "start", "hit", "done", "leave", "x"]
        )
    },
    optional={
        k: _values | st.sampled_from(["A222222", SONG, "Ana", "snare", 1.5, 3])
        for k in ("name", "code", "id", "c", "song", "level", "title", "t", "piece", "v")
    },
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), _messages), max_size=25))
def test_fuzzed_messages_never_crash_or_cross_rooms(
    script: list[tuple[int, dict[str, Any]]],
) -> None:
    async def go() -> None:
        hub = Hub(RelayConfig(lead_s=0.0))
        # a bystanders' room, playing, that nothing of the fuzzed seats may reach
        (h, sh), (g, sg) = seat("10.9.9.1"), seat("10.9.9.2")
        await msg(hub, h, type="create", name="H")
        code = sh.of("room")[-1]["code"]
        await msg(hub, g, type="join", code=code, name="G")
        seats = [seat(f"10.2.0.{k}") for k in range(3)]
        for who, fields in script:
            try:
                parsed = MESSAGE.validate_json(json.dumps(fields))
            except (ValidationError, ValueError):
                continue
            if getattr(parsed, "code", None) == code:
                continue  # the bystanders' code is secret from the fuzzer
            try:
                await hub.handle(seats[who][0], parsed)
            except RoomError as exc:
                assert "\n" not in str(exc) and len(str(exc)) < 200
        others = [m for _, s in ((h, sh), (g, sg)) for m in s.sent]
        assert not [m for m in others if m["type"] in ("hit", "song", "start", "left")]
        assert {tuple(p["name"] for p in m["players"]) for m in sh.of("room")} <= {
            ("H",),
            ("H", "G"),
        }
        for s, _ in seats:
            await hub.leave(s)
            s.link.close()
        assert set(hub.rooms) == {code}  # every fuzzed room closed with its players
        h.link.close()
        g.link.close()

    run(go())
