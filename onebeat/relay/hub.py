"""Rooms of remote players: codes, who is in, one start time for all, hits passed on, and
whether a partner's hits can be heard live or one bar late.

A relay holds many rooms, each independent of the others (no message crosses from one to
another), and keeps nothing beyond a room's life: no audio (each player plays their own
copy of the song, matched by its audio id), no hits after they are passed on, no names
once the room closes. Every player's clock is put on the relay's (:class:`~onebeat.web.
clock.ClockSync`, the NTP-style filter the phones use, over the internet's longer round
trips), so the take starts at one relay time, told to each player on their own clock.

The mode: a partner's hit reaches you one-way latency after it was played (theirs to the
relay plus the relay's to you). Under :attr:`RelayConfig.live_ms` (about what a drummer
hears as together: remote ensembles hold up to ~20–30 ms) it is played as it comes;
above, one bar late on purpose, on the song's next bar, the way NINJAM keeps a jam in
time over long distances. The latency is the median of each player's recent round trips,
halved, summed over the pair: what a hit meets, not the best case. A room switches to
``bar`` above the threshold and back to ``live`` only under it by
:attr:`RelayConfig.hysteresis_ms`, so a jittery line does not flap.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import statistics
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from onebeat.errors import RoomError
from onebeat.relay.protocol import (
    CODE_ALPHABET,
    CODE_LENGTH,
    CreateMsg,
    DoneMsg,
    HitMsg,
    JoinMsg,
    LeaveMsg,
    PongMsg,
    ReadyMsg,
    SongMsg,
    StartMsg,
)
from onebeat.web.limits import Bucket
from onebeat.web.lobby import Link

__all__ = ["Hub", "Member", "RelayConfig", "Room", "Seat"]

#: Round trips that the latency is the median of (at two pings a second, 8 s).
LATENCY_SAMPLES = 16
#: Round trips each player's clock must have before the room's mode is first chosen
#: (a take's start chooses it with what there is).
MODE_SAMPLES = 8


@dataclass
class RelayConfig:
    """How a relay runs.

    Attributes
    ----------
    instance : str
        This relay's letter, the first of every code it makes: behind a load balancer,
        each instance has its own, and the balancer routes a room's players by it.
    max_rooms, max_players, max_sockets : int
        Rooms open at once, players in a room (two: onebeat's page plays a duet; the relay
        itself passes every player's hits to all the others), sockets open at once.
    rate_per_s, burst : float
        Messages per second per socket and the burst above it (a drummer at 20 hits a
        second and the clock's pings use a quarter of it).
    joins_per_min, join_burst : float
        Room joins and creations per minute per client address, and the burst: a code is
        not guessed by trying (31^6 codes at 10 a minute: 170 years for even odds).
    replies_per_s : float
        Error replies per second per socket.
    live_ms, hysteresis_ms : float
        The one-way latency between partners under which their hits are played live [ms],
        and how far under it the room must come back to return to live [ms].
    lead_s : float
        The take starts this long after the host asks: every page has the start time and
        its take set up by then, with a bar of count-in to spare, at any round trip.
    """

    instance: str = "A"
    max_rooms: int = 5000
    max_players: int = 2
    max_sockets: int = 10000
    rate_per_s: float = 100.0
    burst: float = 200.0
    joins_per_min: float = 10.0
    join_burst: float = 10.0
    replies_per_s: float = 5.0
    live_ms: float = 25.0
    hysteresis_ms: float = 5.0
    lead_s: float = 6.0

    def __post_init__(self) -> None:
        if len(self.instance) != 1 or self.instance not in CODE_ALPHABET:
            raise ValueError(f"instance {self.instance!r}: one letter or digit of {CODE_ALPHABET}")


@dataclass(eq=False)
class Member:
    """A player in a room."""

    name: str
    link: Link
    room: Room
    song: str | None = None
    done: bool = False
    #: The name as JSON, written once (it goes with every hit passed on)
    quoted: str = field(init=False)

    def __post_init__(self) -> None:
        self.quoted = json.dumps(self.name)

    def one_way_ms(self, least: int = 3) -> float | None:
        """Half the median of the recent round trips to this player [ms]; None before
        ``least`` are known."""
        if len(self.link.clock.samples) < max(3, least):
            return None
        samples = self.link.clock.samples
        recent = [samples[k] for k in range(max(0, len(samples) - LATENCY_SAMPLES), len(samples))]
        # statistics, not numpy: a median of 16 on every pong (numpy's costs 10x more)
        return statistics.median(s1 - s0 for s0, _, s1 in recent) * 500

    def info(self) -> dict[str, Any]:
        one_way = self.one_way_ms()
        return {
            "name": self.name,
            "synced": self.link.clock.ready,
            "one_way_ms": None if one_way is None else round(one_way, 1),
            "ready": self.song is not None and self.song == getattr(self.room.song, "song", None),
        }


@dataclass(eq=False)
class Room:
    """Players who play one take together."""

    code: str
    host: str
    members: dict[str, Member] = field(default_factory=dict)
    song: SongMsg | None = None
    mode: str = "measuring"
    latency_ms: float = 0.0
    started_at: float | None = None

    def partner_latency_ms(self, least: int = MODE_SAMPLES) -> float | None:
        """The longest one-way latency between two of the players [ms] (None until every
        player has ``least`` round trips)."""
        ways = [m.one_way_ms(least) for m in self.members.values()]
        if len(ways) < 2 or any(w is None for w in ways):
            return None
        top = sorted((w for w in ways if w is not None), reverse=True)
        return top[0] + top[1]

    def state(self, you: str) -> dict[str, Any]:
        return {
            "type": "room",
            "code": self.code,
            "host": self.host,
            "you": you,
            "players": [m.info() for m in self.members.values()],
            "song": None if self.song is None else self.song.model_dump(exclude={"type"}),
            "mode": self.mode_msg(),
        }

    def mode_msg(self) -> dict[str, Any]:
        return {"type": "mode", "mode": self.mode, "latency_ms": round(self.latency_ms, 1)}


@dataclass(eq=False)
class Seat:
    """One socket: its link, its client's address and, once joined, its player."""

    link: Link
    client: str
    member: Member | None = None


class Hub:
    """Every room of one relay process."""

    def __init__(self, config: RelayConfig | None = None) -> None:
        self.config = config or RelayConfig()
        self.rooms: dict[str, Room] = {}
        # per client address: the joins it may still try (the oldest forgotten first)
        self._attempts: OrderedDict[str, Bucket] = OrderedDict()

    # rooms --------------------------------------------------------------------------

    def new_code(self) -> str:
        for _ in range(100):
            code = self.config.instance + "".join(
                secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH)
            )
            if code not in self.rooms:
                return code
        raise RoomError("no free room code: try again")  # pragma: no cover (1e-900)

    def _attempt(self, client: str) -> None:
        bucket = self._attempts.pop(client, None) or Bucket(
            self.config.joins_per_min / 60, self.config.join_burst
        )
        self._attempts[client] = bucket
        while len(self._attempts) > 100_000:  # bounded, whatever the number of addresses
            self._attempts.popitem(last=False)
        if not bucket.take():
            raise RoomError(
                f"too many rooms tried from here: at most {self.config.joins_per_min:g} a minute"
            )

    async def _enter(self, seat: Seat, room: Room, name: str) -> None:
        member = Member(name=name, link=seat.link, room=room)
        room.members[name] = member
        seat.member = member
        seat.link.name = name
        seat.link.start_sync()
        await self.announce(room)

    async def create(self, seat: Seat, msg: CreateMsg) -> None:
        if seat.member is not None:
            raise RoomError("create: already in a room (leave it first)")
        self._attempt(seat.client)
        if len(self.rooms) >= self.config.max_rooms:
            raise RoomError(f"this relay holds {len(self.rooms)} rooms, its most: try later")
        room = Room(code=self.new_code(), host=msg.name)
        self.rooms[room.code] = room
        await self._enter(seat, room, msg.name)

    async def join(self, seat: Seat, msg: JoinMsg) -> None:
        if seat.member is not None:
            raise RoomError("join: already in a room (leave it first)")
        self._attempt(seat.client)
        room = self.rooms.get(msg.code.upper())
        if room is None:
            raise RoomError(f"join: no room {msg.code!r} here (check the code)")
        if msg.name in room.members:
            raise RoomError(f"join: {msg.name!r} is already in room {room.code}: pick another name")
        if len(room.members) >= self.config.max_players:
            raise RoomError(f"join: room {room.code} is full ({self.config.max_players} players)")
        if room.started_at is not None:
            raise RoomError(f"join: room {room.code} is playing a take: join after it")
        await self._enter(seat, room, msg.name)

    async def leave(self, seat: Seat) -> None:
        """The seat's player leaves (or its socket closed); an empty room is closed."""
        member, seat.member = seat.member, None
        if member is None:
            return
        room = member.room
        if room.members.get(member.name) is member:
            del room.members[member.name]
        if not room.members:
            self.rooms.pop(room.code, None)
            return
        if room.host == member.name:  # the room goes on: the longest there hosts it
            room.host = next(iter(room.members))
        await self.broadcast(room, {"type": "left", "player": member.name})
        await self.announce(room)

    # messages -----------------------------------------------------------------------

    async def handle(self, seat: Seat, msg: Any) -> None:
        """Act on one validated message; :class:`RoomError` says why one is refused."""
        if isinstance(msg, PongMsg):
            await self.pong(seat, msg)
        elif isinstance(msg, CreateMsg):
            await self.create(seat, msg)
        elif isinstance(msg, JoinMsg):
            await self.join(seat, msg)
        elif isinstance(msg, LeaveMsg):
            await self.leave(seat)
        else:
            member = seat.member
            if member is None:
                raise RoomError(f"{msg.type}: join a room first")
            if isinstance(msg, HitMsg):
                await self.hit(member, msg)
            elif isinstance(msg, SongMsg):
                await self.choose_song(member, msg)
            elif isinstance(msg, ReadyMsg):
                await self.ready(member, msg)
            elif isinstance(msg, StartMsg):
                await self.start(member)
            elif isinstance(msg, DoneMsg):
                await self.done(member)

    async def pong(self, seat: Seat, msg: PongMsg) -> None:
        link = seat.link
        was_ready = link.clock.ready
        link.pong(msg)
        member = seat.member
        if member is None or not link.clock.ready:
            return
        room = member.room
        changed = self.update_mode(room)
        if changed:
            await self.broadcast(room, room.mode_msg())
        if not was_ready or len(link.clock.samples) % 8 == 0:
            await self.announce(room)

    def update_mode(self, room: Room, least: int = MODE_SAMPLES) -> bool:
        """Set the room's mode from its partners' latency; whether it changed. The first
        choice is the latency against the threshold; after it, a change needs the
        hysteresis too; during a take, nothing changes."""
        if room.started_at is not None and room.mode != "measuring":
            # a take keeps the mode and latency it started with: a partner's hits do not
            # jump by a bar in the middle of the song (the next take starts afresh)
            return False
        latency = room.partner_latency_ms(least)
        if latency is None:
            return False
        room.latency_ms = latency
        live = self.config.live_ms
        if room.mode == "measuring":
            room.mode = "live" if latency <= live else "bar"
            return True
        if room.mode == "live" and latency > live:
            room.mode = "bar"
            return True
        if room.mode == "bar" and latency < live - self.config.hysteresis_ms:
            room.mode = "live"
            return True
        return False

    def hit_text(self, member: Member, msg: HitMsg) -> str:
        """A hit as its partners get it, written once for all of them (the relay's most
        frequent message: the socket passes it on at once, bench/relay_load.py)."""
        if member.room.started_at is None:
            raise RoomError("hit: no take is being played in this room")
        # written out rather than by json.dumps (a fifth of the relay's Python time per
        # hit): every field was validated, a finite float, a piece of a fixed set, an int
        return (
            f'{{"type":"hit","player":{member.quoted},"t":{msg.t!r},'
            f'"piece":"{msg.piece.value}","v":{msg.v}}}'
        )

    async def hit(self, member: Member, msg: HitMsg) -> None:
        out = self.hit_text(member, msg)
        for m in list(member.room.members.values()):
            if m is not member:
                with contextlib.suppress(Exception):
                    await m.link.send_text(out)

    async def choose_song(self, member: Member, msg: SongMsg) -> None:
        room = member.room
        if member.name != room.host:
            raise RoomError(f"song: {room.host} (the host) chooses the song")
        if room.started_at is not None:
            raise RoomError("song: a take is being played")
        room.song = msg
        await self.broadcast(room, {"type": "song", **msg.model_dump(exclude={"type"})})
        await self.announce(room)

    async def ready(self, member: Member, msg: ReadyMsg) -> None:
        room = member.room
        if room.song is None or msg.song != room.song.song:
            raise RoomError("ready: that is not the room's song")
        member.song = msg.song
        await self.announce(room)

    async def start(self, member: Member) -> None:
        room = member.room
        if member.name != room.host:
            raise RoomError(f"start: {room.host} (the host) starts the take")
        if room.started_at is not None:
            raise RoomError("start: a take is being played")
        if room.song is None:
            raise RoomError("start: choose a song first")
        waiting = [
            m.name
            for m in room.members.values()
            if not m.link.clock.ready or m.song != room.song.song
        ]
        if waiting:
            raise RoomError(f"start: waiting for {', '.join(waiting)} (song and clock)")
        changed = self.update_mode(room, least=3)  # what the take will keep
        at = time.perf_counter() + self.config.lead_s
        room.started_at = at
        for m in room.members.values():
            m.done = False
        if changed:
            await self.broadcast(room, room.mode_msg())
        for m in list(room.members.values()):
            msg = {
                "type": "start",
                "at_ms": round(m.link.clock.to_device(at), 3),
                "relay_at": at,
                "song": room.song.song,
                "level": room.song.level,
                "players": list(room.members),
                "mode": room.mode,
                "latency_ms": round(room.latency_ms, 1),
            }
            with contextlib.suppress(Exception):
                await m.link.send(msg)

    async def done(self, member: Member) -> None:
        room = member.room
        member.done = True
        await self.broadcast(room, {"type": "done", "player": member.name}, but=member)
        if all(m.done for m in room.members.values()):
            room.started_at = None  # the next take may be chosen and started

    # sending ------------------------------------------------------------------------

    async def broadcast(self, room: Room, msg: dict[str, Any], but: Member | None = None) -> None:
        """Send to every player of the room (but one); a socket that fails is left to its
        own handler to close."""
        others = [m for m in room.members.values() if m is not but]
        await asyncio.gather(*(self._send(m.link, msg) for m in others))

    @staticmethod
    async def _send(link: Link, msg: dict[str, Any]) -> None:
        with contextlib.suppress(Exception):
            await link.send(msg)

    async def announce(self, room: Room) -> None:
        """Each player gets the room's state, with themselves named."""
        await asyncio.gather(
            *(self._send(m.link, room.state(m.name)) for m in room.members.values())
        )
