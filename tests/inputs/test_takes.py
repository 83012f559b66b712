"""Recorded takes: MIDI from an e-kit (tempo maps, tracks as players) and tapped CSVs."""

from __future__ import annotations

from pathlib import Path

import mido
import pytest

from onebeat.errors import InputError
from onebeat.inputs import read_take
from onebeat.kit import DrumPiece as P


def _midi(path: Path, tracks: list[tuple[str, list[mido.Message]]], bpm: float = 120.0) -> Path:
    mid = mido.MidiFile(type=1, ticks_per_beat=480)
    meta = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm), time=0)])
    # the tempo halves at beat 4 (tick 1920)
    meta.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm / 2), time=1920))
    mid.tracks.append(meta)
    for name, msgs in tracks:
        tr = mido.MidiTrack([mido.MetaMessage("track_name", name=name, time=0)])
        tr.extend(msgs)
        mid.tracks.append(tr)
    mid.save(path)
    return path


def on(n: int, dt: int, v: int = 100) -> mido.Message:
    return mido.Message("note_on", channel=9, note=n, velocity=v, time=dt)


def test_midi_take_tracks_are_players_through_the_tempo_map(tmp_path: Path) -> None:
    path = _midi(
        tmp_path / "take.mid",
        [
            # tick 0, 480 (0.5 s), 1920 (2.0 s), 2400 (2.0 + 0.5 beat at 60 BPM = 3.0 s)
            ("ana", [on(36, 0), on(38, 480), on(42, 1440), on(46, 480)]),
            (
                "ben",
                [
                    mido.Message("control_change", channel=9, control=4, value=127, time=0),
                    on(46, 960, 60),
                ],
            ),
            ("chart", [on(49, 0)]),  # onebeat's export: the chart's own track is skipped
        ],
    )
    hits = read_take(path)
    got = [(h.player, round(h.time, 6), h.piece, h.velocity) for h in hits]
    assert got == [
        ("ana", 0.0, P.KICK, 100),
        ("ana", 0.5, P.SNARE, 100),
        ("ben", 1.0, P.HIHAT_OPEN, 60),  # gm: the note decides
        ("ana", 2.0, P.HIHAT_CLOSED, 100),
        ("ana", 3.0, P.HIHAT_OPEN, 100),
    ]
    roland = read_take(path, kit="roland", players=["x", "y"])
    assert [(h.player, h.piece) for h in roland if h.player == "y"] == [("y", P.HIHAT_CLOSED)]
    assert {h.player for h in read_take(path, players=["solo"])} == {"solo"}
    with pytest.raises(InputError, match="3 players named but the take has 2 tracks"):
        read_take(path, players=["a", "b", "c"])


def test_csv_take_pads_velocities_and_players(tmp_path: Path) -> None:
    path = tmp_path / "taps.csv"
    path.write_text(
        "time,pad,velocity,player\n"
        "# warm-up done\n"
        "1.0\n"
        "1.5,snare,80\n"
        "2.0,36,,ben\n"
        "\n"
        "2.5, hihat_open ,127,ana\n"
    )
    hits = read_take(path, players=["ana"])
    assert [(h.player, h.time, h.piece, h.velocity) for h in hits] == [
        ("ana", 1.0, None, 100),
        ("ana", 1.5, P.SNARE, 80),
        ("ben", 2.0, P.KICK, 100),
        ("ana", 2.5, P.HIHAT_OPEN, 127),
    ]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("a.csv", "1.0\nsoon\n", r"a\.csv:2: time 'soon' is not a number"),
        ("b.csv", "1.0,cowbell\n", r"b\.csv:1: pad 'cowbell' is not a piece"),
        ("c.csv", "1.0,56\n", r"c\.csv:1: MIDI note 56 is not a drum-kit piece"),
        ("d.csv", "1.0,snare,loud\n", r"d\.csv:1: velocity 'loud' is not a whole number"),
        ("e.csv", "nan\n", r"e\.csv:1: time 'nan' is not a finite number"),
        ("f.csv", "# nothing\n", r"f\.csv: the take has no hits"),
        ("g.mid", "not midi", r"g\.mid: not a readable MIDI file"),
        ("h.wav", "RIFF", r"h\.wav: a take is a MIDI file"),
    ],
)
def test_bad_takes_name_the_file_and_line(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        read_take(path)


def test_missing_take_and_a_midi_take_without_notes(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nope\.mid: no such take file"):
        read_take(tmp_path / "nope.mid")
    empty = _midi(tmp_path / "empty.mid", [("ana", [])])
    with pytest.raises(InputError, match="the take has no notes"):
        read_take(empty)
