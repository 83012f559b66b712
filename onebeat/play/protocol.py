"""The play WebSocket's messages, validated before anything acts on them.

Every message from a browser is JSON with a ``type``; it is checked against these
models (types, ranges, lengths), and the raw text against :data:`MAX_MESSAGE_BYTES`.
Times are song seconds, already converted by the page from the event's own timestamp.

Browser → server:

* ``start``: song, level, players (name, input kind, calibration, an e-kit's taught
  pads), hit windows, speed, and optionally a loop of bars (``loop: [first, last]``):
  then the page's song time runs on across passes, and each pass is judged and saved as
  its own session.
* ``learn``: start or go on with a lesson (song, players, hit windows): the coach's next
  pass. Then ``key``/``midi``/``pad``/``tick`` as in a take, and ``finish`` after the pass.
* ``key``: a key press (``key``, ``t``); the server's key map says whose and which pad.
* ``midi``: raw Web MIDI bytes from a player's kit (``player``, ``data``, ``t``).
* ``pad``: a touch pad (``player``, ``pad``, ``v``, ``t``).
* ``tick``: the song clock (``t``), so that notes nobody played become Misses.
* ``finish``: the song ended (or the players stopped): judge the rest, save, results.
* ``listen``: set a microphone player up (``player``: their index, ``name``, ``piece``):
  their microphone's frames, stamped with the page's audio clock, are listened to
  outside any take; each stroke is sent back as ``heard``. With a ``piece``, the strokes
  are that piece's examples for a kit calibration; without one, they are the taps of a
  latency calibration.
* ``kit``: the kit calibration is over (``player``, ``name``): learn the kit from the
  strokes heard for each piece and keep it for that player.
* ``sync``: ping me, so that a phone's taps can be put on my clock.
* ``pong``: the answer to a ping (``id``; ``c``, the page's ``performance.now()`` [ms]).
* a **binary** frame: a block of a microphone player's samples (:func:`parse_audio`):
  ``b"OBA1"``, the player's index (u8), 3 bytes of padding, the song time of the first
  sample (f64 [s]), the sample rate (u32 [Hz]), then int16 samples, all little-endian.

A phone on the pad socket sends ``hello`` (its player's name), ``pong`` and ``tap``
(``pad``, ``v``, and ``c``, the touch event's own time on its clock [ms]).

Server → browser: ``ready`` (session id, chart, key map), ``judged`` (judgments and the
players' running stats), ``results`` (the summary), ``ping`` (``id``), ``phones`` (the
names of the phones joined), ``tap`` (a phone's tap, its time put on this page's clock),
``heard`` (a microphone's hit: player, time, pad), ``pass`` (a loop's pass ended:
its session and summary), ``kit`` (a kit calibration learnt and kept: the player and
the strokes learnt per piece), ``lesson`` (a lesson's next pass: its bars, speed, and each
player's step and part), ``coached`` (after a lesson's pass: what the coach decided and
says, to each player and to the pair), ``error`` (one line; the message that caused it was
dropped).
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator, model_validator

from onebeat.inputs.midi import KIT_MAPS
from onebeat.kit import DrumPiece

__all__ = [
    "AUDIO_MAGIC",
    "MAX_AUDIO_SAMPLES",
    "MAX_FRAME_BYTES",
    "MAX_MESSAGE_BYTES",
    "MESSAGE",
    "PAD_MESSAGE",
    "FinishMsg",
    "HelloMsg",
    "KeyMsg",
    "KitMsg",
    "LearnMsg",
    "ListenMsg",
    "MicAudio",
    "MidiMsg",
    "PadMsg",
    "PlayerSpec",
    "PongMsg",
    "RemoteSpec",
    "StartMsg",
    "SyncMsg",
    "TapMsg",
    "TickMsg",
    "audio_frame",
    "parse_audio",
]

#: Longest message taken [bytes]; a start message with two players is ~300.
MAX_MESSAGE_BYTES = 4096
#: Song times outside this range [s] are no song's (20 minutes at most, a count-in before).
SongTime = Annotated[float, Field(ge=-30.0, le=1300.0, allow_inf_nan=False)]
Bar = Annotated[int, Field(ge=1, le=2000)]
Name = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[^\x00-\x1f<>&\"]+$")]


class _Msg(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PlayerSpec(_Msg):
    name: Name
    #: "remote": the partner of a remote duet (``onebeat relay``), whose hits this page
    #: passes on as ``pad`` messages, in their own song time, already calibrated.
    input: Literal["keyboard", "midi", "touch", "microphone", "remote"] = "keyboard"
    offset_ms: Annotated[float, Field(ge=-500.0, le=500.0, allow_inf_nan=False)] = 0.0
    kit: Annotated[str, Field(max_length=32)] = "gm"
    #: Has played drums before: a lesson starts with a placement pass on the groove.
    experienced: bool = False
    #: A microphone player hears the song in headphones: the microphone hears the kit
    #: alone, so nothing of the song is looked for in it or taken out of it.
    headphones: bool = False
    #: An e-kit's pads as the player taught them ("hit the pad for the snare"): MIDI note
    #: → piece, over the kit map's (two notes for the kick: a double pedal).
    pads: Annotated[
        dict[Annotated[int, Field(ge=0, le=127)], DrumPiece], Field(max_length=128)
    ] = {}

    @field_validator("kit")
    @classmethod
    def _known_kit(cls, kit: str) -> str:
        if kit not in KIT_MAPS:
            raise ValueError(f"no kit map {kit[:32]!r}; known: {', '.join(KIT_MAPS)}")
        return kit


#: The song's own drums in a take (:data:`onebeat.analysis.drumless.DRUM_LEVELS`).
SongDrums = Literal["full", "guide", "off"]


class RemoteSpec(_Msg):
    """A remote duet's take: the one-way latency between the partners [ms] and the mode
    the relay chose on it (``live``: the partner heard as their hits come; ``bar``: one
    bar late on purpose), kept with the session."""

    latency_ms: Annotated[float, Field(ge=0.0, le=10_000.0, allow_inf_nan=False)]
    mode: Literal["live", "bar"]


class StartMsg(_Msg):
    type: Literal["start"]
    song: Annotated[str, Field(pattern=r"^[0-9a-f]{16}$")]
    level: Annotated[int, Field(ge=1, le=5)]
    players: Annotated[list[PlayerSpec], Field(min_length=1, max_length=2)]
    windows: Literal["strict", "default", "beginner"] = "default"
    speed: Annotated[float, Field(ge=0.5, le=1.0, allow_inf_nan=False)] = 1.0
    #: Loop bars [first, last] (1-based, inclusive), one session per pass.
    loop: tuple[Bar, Bar] | None = None
    #: The song's own drums: all of them, a quiet guide, or none ("drums down").
    drums: SongDrums = "full"
    #: A remote duet: the room then sends back each of this page's players' strokes
    #: (``played``), for the page to pass on to the relay.
    remote: RemoteSpec | None = None

    @model_validator(mode="after")
    def _remote_players(self) -> StartMsg:
        remote = [p.name for p in self.players if p.input == "remote"]
        if self.remote is None and remote:
            raise ValueError(f"players: {remote[0]} plays remotely, but this is no remote take")
        if self.remote is not None and (not remote or len(remote) == len(self.players)):
            raise ValueError("remote: a remote take has a player here and one remote")
        return self


class LearnMsg(_Msg):
    """Start or go on with a lesson: the next pass, at the step and speed the coach set
    (``restart``: from the first step, forgetting where the players were)."""

    type: Literal["learn"]
    song: Annotated[str, Field(pattern=r"^[0-9a-f]{16}$")]
    players: Annotated[list[PlayerSpec], Field(min_length=1, max_length=2)]
    windows: Literal["strict", "default", "beginner"] = "default"
    restart: bool = False
    #: The song's own drums: as the coach decides (a guide on a new layer, then none),
    #: or always full, a guide, or none.
    drums: Literal["coach"] | SongDrums = "coach"

    @model_validator(mode="after")
    def _no_remote(self) -> LearnMsg:
        if any(p.input == "remote" for p in self.players):
            raise ValueError("players: a lesson is taken side by side, not remotely")
        return self


class KeyMsg(_Msg):
    type: Literal["key"]
    key: Annotated[str, Field(min_length=1, max_length=20)]
    t: SongTime


class MidiMsg(_Msg):
    type: Literal["midi"]
    player: Name
    data: Annotated[list[Annotated[int, Field(ge=0, le=255)]], Field(min_length=1, max_length=3)]
    t: SongTime


class PadMsg(_Msg):
    type: Literal["pad"]
    player: Name
    pad: DrumPiece | None = None
    v: Annotated[int, Field(ge=1, le=127)] = 100
    t: SongTime


class TickMsg(_Msg):
    type: Literal["tick"]
    t: SongTime


class FinishMsg(_Msg):
    type: Literal["finish"]


class ListenMsg(_Msg):
    type: Literal["listen"]
    player: Annotated[int, Field(ge=0, le=1)]
    name: Name
    piece: DrumPiece | None = None


class KitMsg(_Msg):
    type: Literal["kit"]
    player: Annotated[int, Field(ge=0, le=1)]
    name: Name


class SyncMsg(_Msg):
    type: Literal["sync"]


#: A browser clock reading: performance.now() [ms], up to a month after the page opened.
ClockMs = Annotated[float, Field(ge=0.0, le=2.6e9, allow_inf_nan=False)]


class PongMsg(_Msg):
    type: Literal["pong"]
    id: Annotated[int, Field(ge=0, le=2**31)]
    c: ClockMs


class HelloMsg(_Msg):
    type: Literal["hello"]
    name: Name


class TapMsg(_Msg):
    type: Literal["tap"]
    pad: DrumPiece | None = None
    v: Annotated[int, Field(ge=1, le=127)] = 100
    c: ClockMs


PlayMessage = (
    StartMsg
    | LearnMsg
    | KeyMsg
    | MidiMsg
    | PadMsg
    | TickMsg
    | FinishMsg
    | SyncMsg
    | PongMsg
    | ListenMsg
    | KitMsg
)
#: Validates one message of the play socket from its JSON text.
MESSAGE: TypeAdapter[PlayMessage] = TypeAdapter(Annotated[PlayMessage, Field(discriminator="type")])
#: Validates one message of a phone's pad socket.
PAD_MESSAGE: TypeAdapter[HelloMsg | PongMsg | TapMsg] = TypeAdapter(
    Annotated[HelloMsg | PongMsg | TapMsg, Field(discriminator="type")]
)


#: A microphone block's first bytes, its header's layout, and its most samples
#: (0.37 s at 44.1 kHz; the page sends 1024).
AUDIO_MAGIC = b"OBA1"
_AUDIO_HEADER = struct.Struct("<4sB3xdI")
MAX_AUDIO_SAMPLES = 16384
#: The largest WebSocket frame the server reads at all (a microphone's largest block and
#: its header, with room): the protocol layer closes a socket that sends a larger one
#: before the frame is taken in, so an over-size flood costs nothing to refuse [bytes].
MAX_FRAME_BYTES = 2 * MAX_AUDIO_SAMPLES + 4096


@dataclass(frozen=True)
class MicAudio:
    """A block of a microphone player's samples (a binary frame)."""

    player: int  # index into the players of the take or lesson
    t: float  # song time of the first sample [s]
    sr: int
    samples: np.ndarray  # float32, ±1
    type: str = "audio"


def parse_audio(data: bytes) -> MicAudio:
    """A binary frame as a microphone block.

    Raises
    ------
    ValueError
        One line saying what is wrong with the frame.
    """
    n = len(data) - _AUDIO_HEADER.size
    if n < 0 or data[:4] != AUDIO_MAGIC:
        raise ValueError("audio frame: does not start with the b'OBA1' header")
    _, player, t, sr = _AUDIO_HEADER.unpack_from(data)
    if n % 2 or not 0 < n // 2 <= MAX_AUDIO_SAMPLES:
        raise ValueError(f"audio frame: {n} bytes of samples (1 to {MAX_AUDIO_SAMPLES} int16)")
    if not math.isfinite(t) or not -30.0 <= t <= 1300.0:
        raise ValueError(f"audio frame: t {t} is no song time")
    if not 8000 <= sr <= 192000:
        raise ValueError(f"audio frame: sr {sr} Hz is not a microphone's")
    pcm = np.frombuffer(data, dtype="<i2", offset=_AUDIO_HEADER.size)
    return MicAudio(player, t, sr, pcm.astype(np.float32) / 32768.0)


def audio_frame(player: int, t: float, sr: int, samples: np.ndarray) -> bytes:
    """The binary frame for a block of samples (what the page sends; tests use it)."""
    pcm = np.clip(np.round(np.asarray(samples) * 32767.0), -32768, 32767).astype("<i2")
    return _AUDIO_HEADER.pack(AUDIO_MAGIC, player, t, sr) + pcm.tobytes()
