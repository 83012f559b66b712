"""E-kit MIDI: kit maps, the hi-hat pedal, recorded message streams, devices."""

from __future__ import annotations

import time

import mido
import pytest

from onebeat.engine import Hit
from onebeat.errors import InputError
from onebeat.inputs import KIT_MAPS, InputSource, MidiMapper, open_input
from onebeat.kit import DrumPiece as P


def _stream(mapper: MidiMapper, msgs: list[tuple[float, mido.Message]]) -> list[Hit]:
    out = []
    for t, m in msgs:
        hit = mapper.feed(m, t)
        if hit is not None:
            out.append(hit)
    return out


def note(n: int, v: int = 90, ch: int = 9) -> mido.Message:
    return mido.Message("note_on", note=n, velocity=v, channel=ch)


def cc4(v: int, ch: int = 9) -> mido.Message:
    return mido.Message("control_change", control=4, value=v, channel=ch)


def test_general_midi_notes_fold_onto_pieces() -> None:
    m = MidiMapper("a")
    hits = _stream(m, [(0.0, note(36)), (0.1, note(38)), (0.2, note(42)), (0.3, note(46))])
    assert [h.piece for h in hits] == [P.KICK, P.SNARE, P.HIHAT_CLOSED, P.HIHAT_OPEN]
    assert [h.time for h in hits] == [0.0, 0.1, 0.2, 0.3]
    assert hits[0] == Hit("a", 0.0, P.KICK, 90)
    # a cowbell is no kit piece: a hit with no piece (the judge counts it as unknown)
    assert _stream(m, [(1.0, note(56))])[0].piece is None


@pytest.mark.parametrize(
    ("kit", "notes", "pieces"),
    [
        (
            "roland",
            [22, 26, 58, 40, 55],
            [P.HIHAT_CLOSED, P.HIHAT_OPEN, P.TOM_FLOOR, P.SNARE, P.CRASH],
        ),
        ("yamaha", [33, 31, 34, 85], [P.KICK, P.SNARE, P.SNARE, P.HIHAT_PEDAL]),
        ("alesis", [36, 38, 48, 45, 43], [P.KICK, P.SNARE, P.TOM_HIGH, P.TOM_MID, P.TOM_FLOOR]),
    ],
)
def test_e_kit_variants(kit: str, notes: list[int], pieces: list[P]) -> None:
    m = MidiMapper("a", KIT_MAPS[kit])
    assert [h.piece for h in _stream(m, [(0.0, note(n)) for n in notes])] == pieces
    # GM's own notes (22, 26, 33 …) are no kit piece
    if kit != "alesis":
        assert _stream(MidiMapper("a"), [(0.0, note(notes[0]))])[0].piece is None


def test_hihat_pedal_position_decides_open_or_closed() -> None:
    # an Alesis module sends note 46 for every hi-hat stroke; CC4 (0 open … 127 closed)
    # comes just before it
    m = MidiMapper("a", KIT_MAPS["alesis"])
    stream = [
        (0.0, note(46)),  # no pedal seen yet: the note decides
        (0.49, cc4(127)),
        (0.5, note(46)),
        (0.99, cc4(56)),  # half open ("loose") sounds open
        (1.0, note(42)),
        (1.49, cc4(100)),
        (1.5, note(44)),  # the pedal's own "chick" stays a pedal note
        (1.6, note(46, ch=3)),  # another channel has its own pedal: none seen there
    ]
    got = [h.piece for h in _stream(m, stream)]
    assert got == [P.HIHAT_OPEN, P.HIHAT_CLOSED, P.HIHAT_OPEN, P.HIHAT_PEDAL, P.HIHAT_OPEN]
    # plain General MIDI trusts the note
    gm = MidiMapper("a")
    assert [h.piece for h in _stream(gm, [(0.0, cc4(127)), (0.1, note(46))])] == [P.HIHAT_OPEN]


def test_offs_other_channels_and_garbage_make_no_hit() -> None:
    m = MidiMapper("a", channel=9)
    assert m.feed(note(38, v=0), 0.0) is None  # velocity 0 is a note-off
    assert m.feed(mido.Message("note_off", note=38, channel=9), 0.0) is None
    assert m.feed(note(38, ch=0), 0.0) is None
    assert m.feed(mido.Message("clock"), 0.0) is None
    assert m.feed_bytes([0x99, 38], 0.0) is None  # truncated
    assert m.feed_bytes([0x99, 200, 90], 0.0) is None  # data byte out of range
    assert m.feed_bytes([], 0.0) is None
    hit = m.feed_bytes([0x99, 38, 127], 2.5)
    assert hit == Hit("a", 2.5, P.SNARE, 127)


def test_an_unplugged_device_is_a_one_line_error() -> None:
    with pytest.raises(InputError) as err:
        open_input("midi", port="TD-17 that is not plugged in", player="a", clock=lambda: 0.0)
    assert "\n" not in str(err.value)
    with pytest.raises(InputError, match="backend 'theremin' is unknown"):
        open_input("theremin")


def test_a_fake_source_behind_the_base_class() -> None:
    class Tapper(InputSource):
        kind = "touch"

        def tap(self, t: float) -> None:
            self.emit(Hit("a", t, None))

    with Tapper() as src:
        src.tap(1.0)
        src.tap(1.5)
        assert [h.time for h in src.poll()] == [1.0, 1.5]
        assert src.poll() == []
    src.tap(2.0)  # closed: ignored
    assert src.poll() == []


def test_live_virtual_port() -> None:
    """A real rtmidi round trip where the machine has a MIDI system (ALSA sequencer)."""
    rtmidi = pytest.importorskip("rtmidi")
    try:
        out = rtmidi.MidiOut()
        out.open_virtual_port("onebeat-test-kit")
    except Exception as exc:  # rtmidi raises its own SystemError
        pytest.skip(f"no MIDI system here for a virtual port ({exc})")
    clock_now = [12.0]
    src = open_input("midi", port="onebeat-test-kit", player="a", clock=lambda: clock_now[0])
    try:
        out.send_message([0xB9, 4, 127])
        out.send_message([0x99, 46, 100])
        deadline = time.monotonic() + 2.0
        hits: list[Hit] = []
        while not hits and time.monotonic() < deadline:
            hits = src.poll()
            time.sleep(0.01)
        assert hits == [Hit("a", 12.0, P.HIHAT_OPEN, 100)]  # gm: the note decides
    finally:
        src.close()
        out.close_port()
