"""Electronic drum kits over MIDI: which pad each note is, and the hi-hat pedal.

E-kit modules send General MIDI drum notes with variants of their own. A
:class:`KitMap` folds a module's notes onto :class:`~onebeat.kit.DrumPiece`:

* ``gm`` — General MIDI percussion notes (kick 35/36, snare 37–40, toms, cymbals).
* ``roland`` — V-Drums (TD series): GM plus the hi-hat edge notes (22 closed, 26 open)
  and the rim of the third tom (58).
* ``yamaha`` — DTX modules: GM plus the older DTX notes (kick 33, snare 31, open rim 34,
  hi-hat foot splash 85).
* ``alesis`` — GM notes, but some modules send one hi-hat note whatever the pedal does.

The hi-hat pedal reports its position as control change 4 (0 = open … 127 = closed),
sent just before the note of a hi-hat stroke. Where the kit map says so
(``roland``/``yamaha``/``alesis``), a hi-hat stroke is closed when the pedal was last at
or past ``closed_from`` and open otherwise; before any CC4 arrives the note decides.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import ClassVar

import mido

from onebeat.engine import Hit
from onebeat.errors import InputError
from onebeat.inputs.base import Clock, InputSource, register
from onebeat.kit import DrumPiece, gm_note_to_piece

__all__ = ["KIT_MAPS", "KitMap", "MidiInput", "MidiMapper", "kit_map", "list_midi_inputs"]

#: The hi-hat pedal's position controller (MIDI "foot controller").
HIHAT_CC = 4
_HIHAT_STROKES = frozenset({DrumPiece.HIHAT_CLOSED, DrumPiece.HIHAT_OPEN})


def _gm(*extra: tuple[int, DrumPiece]) -> Mapping[int, DrumPiece]:
    notes: dict[int, DrumPiece] = {}
    for n in range(128):
        try:
            notes[n] = gm_note_to_piece(n)
        except KeyError:
            continue
    notes.update(extra)
    return MappingProxyType(notes)


@dataclass(frozen=True)
class KitMap:
    """How one kind of kit's MIDI notes map to pieces.

    Attributes
    ----------
    name : str
    notes : mapping of int to DrumPiece
        Note number → piece; other notes are no kit piece (counted as unknown).
    pedal_decides : bool
        Hi-hat strokes are open or closed by the last CC4 position, not by the note.
    closed_from : int
        CC4 value from which the hi-hat counts as closed (half-open counts as open).
    title : str
        What the player picks it by ("Roland V-Drums").
    """

    name: str
    notes: Mapping[int, DrumPiece]
    pedal_decides: bool = True
    closed_from: int = 90
    title: str = ""


KIT_MAPS: dict[str, KitMap] = {
    "gm": KitMap("gm", _gm(), pedal_decides=False, title="General MIDI"),
    "roland": KitMap(
        "roland",
        _gm(
            (22, DrumPiece.HIHAT_CLOSED),  # hi-hat edge, closed
            (26, DrumPiece.HIHAT_OPEN),  # hi-hat edge, open
            (58, DrumPiece.TOM_FLOOR),  # tom 3 rim
        ),
        title="Roland V-Drums",
    ),
    "yamaha": KitMap(
        "yamaha",
        _gm(
            (31, DrumPiece.SNARE),
            (33, DrumPiece.KICK),
            (34, DrumPiece.SNARE),  # open rim shot
            (85, DrumPiece.HIHAT_PEDAL),  # foot splash
        ),
        title="Yamaha DTX",
    ),
    "alesis": KitMap("alesis", _gm(), title="Alesis"),
}


@dataclass
class MidiMapper:
    """Turns one player's MIDI messages into hits, following the hi-hat pedal.

    Attributes
    ----------
    player : str
    kit : KitMap
    channel : int or None
        Only messages on this channel (0–15) count; None: any channel.
    """

    player: str
    kit: KitMap = field(default_factory=lambda: KIT_MAPS["gm"])
    channel: int | None = None
    pedal: dict[int, int] = field(default_factory=dict)  # channel → last CC4 value

    def feed(self, msg: mido.Message, time: float) -> Hit | None:
        """The hit a message makes at song time ``time``, or None (a pedal move, a
        note-off, another channel, clock or sysex)."""
        if self.channel is not None and getattr(msg, "channel", self.channel) != self.channel:
            return None
        if msg.type == "control_change" and msg.control == HIHAT_CC:
            self.pedal[msg.channel] = msg.value
            return None
        if msg.type != "note_on" or msg.velocity == 0:  # velocity 0 is a note-off
            return None
        piece = self.kit.notes.get(msg.note)
        if piece in _HIHAT_STROKES and self.kit.pedal_decides:
            position = self.pedal.get(msg.channel)
            if position is not None:
                closed = position >= self.kit.closed_from
                piece = DrumPiece.HIHAT_CLOSED if closed else DrumPiece.HIHAT_OPEN
        return Hit(self.player, time, piece, msg.velocity)

    def feed_bytes(self, data: Iterable[int], time: float) -> Hit | None:
        """:meth:`feed` for one raw MIDI message (from a device or a browser's Web MIDI);
        malformed bytes make no hit (a device may send anything)."""
        try:
            msg = mido.Message.from_bytes(list(data))
        except (ValueError, TypeError, IndexError):
            return None
        return self.feed(msg, time)


def kit_map(name: str) -> KitMap:
    """The kit map of that name (an :class:`InputError` lists the known ones)."""
    try:
        return KIT_MAPS[name]
    except KeyError:
        raise InputError(f"kit map {name!r} is unknown; known: {', '.join(KIT_MAPS)}") from None


def _rtmidi_in() -> object:
    """A python-rtmidi input client; an :class:`InputError` when the system has no MIDI."""
    try:
        import rtmidi
    except ImportError as exc:
        raise InputError(f"MIDI input needs python-rtmidi ({exc})") from None
    try:
        return rtmidi.MidiIn()
    except Exception as exc:  # rtmidi raises its own SystemError when ALSA/JACK are absent
        raise InputError(f"no MIDI system on this machine ({exc})") from None


def list_midi_inputs() -> list[str]:
    """Names of the MIDI inputs connected now."""
    client = _rtmidi_in()
    names: list[str] = client.get_ports()  # type: ignore[attr-defined]
    return names


@register("midi")
class MidiInput(InputSource):
    """A live MIDI input (an e-kit or pad controller) for one player.

    Each message is stamped with the song clock as it arrives (python-rtmidi's
    callback thread) and mapped by a :class:`MidiMapper`.

    Parameters
    ----------
    port : str
        The device's name, or a unique part of it (see :func:`list_midi_inputs`).
    player : str
    clock : callable returning float
        Song time now [s].
    kit : str
        A name in :data:`KIT_MAPS`.
    channel : int or None
        Only this MIDI channel (0–15).

    Raises
    ------
    InputError
        When the device is not connected (its message lists the ones that are), the name
        fits several, or the machine has no MIDI system.
    """

    kind: ClassVar[str] = "midi"

    def __init__(
        self,
        *,
        port: str,
        player: str,
        clock: Clock,
        kit: str = "gm",
        channel: int | None = None,
    ) -> None:
        super().__init__()
        self.mapper = MidiMapper(player, kit_map(kit), channel)
        self.clock = clock
        self._feed_lock = threading.Lock()
        client = _rtmidi_in()
        names: list[str] = client.get_ports()  # type: ignore[attr-defined]
        found = [i for i, n in enumerate(names) if port.lower() in n.lower()]
        if len(found) != 1:
            what = "is not connected" if not found else "fits several inputs"
            raise InputError(f"MIDI input {port!r} {what}; connected: {', '.join(names) or 'none'}")
        client.open_port(found[0])  # type: ignore[attr-defined]
        client.ignore_types(sysex=True, timing=True, active_sense=True)  # type: ignore[attr-defined]
        client.set_callback(self._on_message)  # type: ignore[attr-defined]
        self._client = client
        self.port_name = names[found[0]]

    def _on_message(self, event: tuple[list[int], float], data: object = None) -> None:
        self.feed_bytes(event[0], self.clock())

    def feed_bytes(self, data: Iterable[int], time: float) -> None:
        """Map one raw MIDI message received at song time ``time`` and queue its hit."""
        with self._feed_lock:
            hit = self.mapper.feed_bytes(data, time)
        if hit is not None:
            self.emit(hit)

    def close(self) -> None:
        if not self.closed:
            client = self._client
            client.cancel_callback()  # type: ignore[attr-defined]
            client.close_port()  # type: ignore[attr-defined]
        super().close()
