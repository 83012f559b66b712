"""The relay's messages, validated before anything acts on them.

Every message is JSON text with a ``type``, at most :data:`MAX_MESSAGE_BYTES` long.
Times in a take are **song** seconds: each player hears the song on their own machine and
is judged there, so a hit's song time says where it fell, whatever the network did to it
on the way.

Player → relay:

* ``create``: open a room and join it as its host (``name``); the reply ``room`` carries
  the room's code, to give the partner.
* ``join``: join a room by its ``code`` (``name``: unique in the room).
* ``pong``: the answer to a ping (``id``; ``c``, the player's clock [ms]:
  ``performance.now()`` in a browser).
* ``song``: (host) the take's song, by the 16-hex id onebeat's library gives its file
  and ``audio``, the hash of its audio stream (the same recording with other tags has
  the same), its ``level`` and ``title``. Each player plays their own copy, matched by
  either: no audio passes through the relay.
* ``ready``: this player has the song (``song``: its id, which must be the room's).
* ``start``: (host) start the take: every player must be ready and synchronised.
* ``hit``: a stroke: its song time ``t`` [s], its ``piece`` (a :class:`~onebeat.kit.
  DrumPiece` value) and velocity ``v``; passed on to the other players.
* ``done``: this player's take is over (the song ended, or they stopped).
* ``leave``: leave the room (closing the socket does the same).

Relay → player: ``ping`` (``id``), ``room`` (code, host, you, players with their clock's
state and one-way latency, the song, the mode), ``song``, ``start`` (``at_ms``: the
moment the song starts, on *this player's* clock; ``relay_at``: the same on the relay's),
``hit`` (a partner's stroke: ``player``, ``t``, ``piece``, ``v``), ``mode`` (``live``:
partners' hits are played as they come; ``bar``: one bar late on purpose, on the
song's next bar; with the latency it was chosen on), ``done`` and ``left`` (a
partner's), ``error`` (one line; the message that caused it was dropped).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from onebeat.kit import DrumPiece

__all__ = [
    "CODE_ALPHABET",
    "CODE_LENGTH",
    "MAX_MESSAGE_BYTES",
    "MESSAGE",
    "CreateMsg",
    "DoneMsg",
    "HitMsg",
    "JoinMsg",
    "LeaveMsg",
    "PongMsg",
    "ReadyMsg",
    "SongMsg",
    "StartMsg",
]

#: Longest message taken [bytes] (a hit is ~60).
MAX_MESSAGE_BYTES = 1024
#: Room codes: no 0/O, 1/I/L to misread when said over the phone.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
#: Characters in a code after the instance's letter: 31^6 ≈ 890 million codes.
CODE_LENGTH = 6

Name = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[^\x00-\x1f<>&\"]+$")]
Code = Annotated[str, Field(min_length=CODE_LENGTH + 1, max_length=CODE_LENGTH + 1)]
SongId = Annotated[str, Field(pattern=r"^[0-9a-f]{16}$")]
SongTime = Annotated[float, Field(ge=-30.0, le=1300.0, allow_inf_nan=False)]


class _Msg(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CreateMsg(_Msg):
    type: Literal["create"]
    name: Name


class JoinMsg(_Msg):
    type: Literal["join"]
    code: Code
    name: Name


class PongMsg(_Msg):
    type: Literal["pong"]
    id: Annotated[int, Field(ge=0)]
    c: Annotated[float, Field(allow_inf_nan=False)]


class SongMsg(_Msg):
    type: Literal["song"]
    song: SongId
    level: Annotated[int, Field(ge=1, le=5)]
    title: Annotated[str, Field(max_length=120)] = ""
    #: The hash of the song's audio stream (16 hex): a partner's copy of the same
    #: recording with other tags matches it, where the file's own id would not.
    audio: SongId | None = None


class ReadyMsg(_Msg):
    type: Literal["ready"]
    song: SongId


class StartMsg(_Msg):
    type: Literal["start"]


class HitMsg(_Msg):
    type: Literal["hit"]
    t: SongTime
    piece: DrumPiece
    v: Annotated[int, Field(ge=1, le=127)] = 100


class DoneMsg(_Msg):
    type: Literal["done"]


class LeaveMsg(_Msg):
    type: Literal["leave"]


Message = Annotated[
    CreateMsg | JoinMsg | PongMsg | SongMsg | ReadyMsg | StartMsg | HitMsg | DoneMsg | LeaveMsg,
    Field(discriminator="type"),
]
#: Validates one message from a player.
MESSAGE: TypeAdapter[Message] = TypeAdapter(Message)
