"""Charts of levels 1–3 from a beat grid, their MIDI files and tabs."""

from __future__ import annotations

from pathlib import Path

import mido
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onebeat.chart import chart_to_midi, chart_to_tab, generate_chart, write_midi
from onebeat.chart.midi import beats_before_first_downbeat, lead_in_beats, midi_tick_times
from onebeat.errors import ChartError
from onebeat.kit import GM_NOTES, DrumPiece
from tests.analysis.test_songmap import make_songmap


def _songmap(bpm: np.ndarray, meter: int = 4, phase: int = 0, first: float = 0.8) -> object:
    beats = first + np.concatenate([[0.0], np.cumsum(60.0 / bpm[:-1])])
    return make_songmap(np.round(beats, 6), meter, phase)


def test_level_1_one_any_pad_note_per_beat() -> None:
    sm = _songmap(np.full(32, 120.0))
    chart = generate_chart(sm, level=1)  # type: ignore[arg-type]
    assert chart.any_pad
    assert [n.time for n in chart.notes] == pytest.approx(list(sm.beats))  # type: ignore[attr-defined]


def test_level_2_backbeat_in_four_and_three() -> None:
    four = generate_chart(_songmap(np.full(16, 100.0)), level=2)  # type: ignore[arg-type]
    assert [n.piece for n in four.notes[:4]] == [DrumPiece.KICK, DrumPiece.SNARE] * 2
    three = generate_chart(_songmap(np.full(12, 100.0), meter=3), level=2)  # type: ignore[arg-type]
    assert [n.piece for n in three.notes[:3]] == [DrumPiece.KICK, DrumPiece.SNARE, DrumPiece.SNARE]


def test_level_3_adds_eighth_hats_that_follow_a_ramp() -> None:
    bpm = np.linspace(100, 130, 40)
    sm = _songmap(bpm)
    l2 = generate_chart(sm, level=2)  # type: ignore[arg-type]
    l3 = generate_chart(sm, level=3)  # type: ignore[arg-type]
    hats = [n for n in l3.notes if n.piece is DrumPiece.HIHAT_CLOSED]
    assert len(hats) == 2 * len(sm.beats) - 1  # type: ignore[attr-defined]
    # nested: level 2's notes are all in level 3
    assert {(n.time, n.piece) for n in l2.notes} <= {(n.time, n.piece) for n in l3.notes}
    off = [n for n in hats if n.beat % 1]
    b = sm.beats  # type: ignore[attr-defined]
    for n in off:
        k = int(n.beat)
        assert n.time == pytest.approx(0.5 * (b[k] + b[k + 1]))


def test_unknown_level() -> None:
    with pytest.raises(ChartError, match="level 7"):
        generate_chart(_songmap(np.full(16, 100.0)), level=7)  # type: ignore[arg-type]


@settings(max_examples=25, deadline=None)
@given(
    first=st.floats(0.0, 4.0),
    start_bpm=st.floats(60, 180),
    end_bpm=st.floats(60, 180),
    meter=st.sampled_from([3, 4]),
    phase=st.integers(0, 3),
)
def test_midi_time_equals_song_time(
    first: float, start_bpm: float, end_bpm: float, meter: int, phase: int
) -> None:
    sm = _songmap(np.linspace(start_bpm, end_bpm, 24), meter, phase % meter, first)
    chart = generate_chart(sm, level=3)  # type: ignore[arg-type]
    mid = chart_to_midi(chart)
    times = sorted(t for t, _, _ in midi_tick_times(mid))
    assert np.allclose(times, sorted(n.time for n in chart.notes), atol=1e-5)
    # bar lines from the time signatures: the song's first downbeat starts a MIDI bar
    first_down_tick = beats_before_first_downbeat(chart) * 480
    tick, bar_lines, num = 0, [0], meter
    sigs = {}
    for msg in mid.tracks[0]:
        tick += msg.time
        if msg.type == "time_signature":
            sigs[tick] = msg.numerator
    t, num = 0, sigs.get(0, meter)
    while t <= first_down_tick:
        num = sigs.get(t, num)
        t += num * 480
        bar_lines.append(t)
    assert first_down_tick in bar_lines
    assert lead_in_beats(chart) * 480 <= first_down_tick
    drum_notes = [m for m in mid.tracks[1] if m.type == "note_on"]
    assert {m.channel for m in drum_notes} == {9}
    assert {m.note for m in drum_notes} <= set(GM_NOTES.values())


def test_write_midi_and_tab(tmp_path: Path) -> None:
    chart = generate_chart(_songmap(np.full(17, 120.0)), level=3, title="t")  # type: ignore[arg-type]
    write_midi(chart, tmp_path / "part.mid")
    mid = mido.MidiFile(tmp_path / "part.mid")
    assert mid.ticks_per_beat == 480
    tab = chart_to_tab(chart)
    lines = tab.splitlines()
    assert lines[2] == "HH  |x-x-x-x-x-x-x-x-|x-x-x-x-x-x-x-x-|x-x-x-x-x-x-x-x-|x-x-x-x-x-x-x-x-|"
    assert lines[3] == "SN  |----x-------x---|----x-------x---|----x-------x---|----x-------x---|"
    assert lines[4] == "BD  |X-------x-------|X-------x-------|X-------x-------|X-------x-------|"


def test_general_midi_round_trip_keeps_every_note(tmp_path: Path) -> None:
    """write_midi → read_midi: the same notes at the same song times, also on a ramp
    and with a pickup, and every kit piece survives."""
    from onebeat.chart.midi import read_midi
    from onebeat.chart.model import Chart, Note

    sm = _songmap(np.linspace(96, 128, 30), phase=1)
    grid = generate_chart(sm, level=3)  # type: ignore[arg-type]
    b = sm.beats  # type: ignore[attr-defined]
    extra = [Note(float(b[k]), float(k), piece, 90) for k, piece in enumerate(DrumPiece)]
    chart = Chart(
        notes=grid.notes + tuple(extra),
        beats=grid.beats,
        beat_positions=grid.beat_positions,
        beats_per_bar=4,
        title="ramp",
    )
    path = tmp_path / "part.mid"
    write_midi(chart, path)
    back = read_midi(path)
    assert back.title == "ramp"
    assert back.beats_per_bar == 4
    assert len(back.notes) == len(chart.notes)
    got = sorted((round(n.time, 3), n.piece.value) for n in back.notes)
    want = sorted((round(n.time, 3), n.piece.value) for n in chart.notes)
    assert got == want


def test_read_midi_errors_name_the_file(tmp_path: Path) -> None:
    from onebeat.chart.midi import read_midi

    junk = tmp_path / "junk.mid"
    junk.write_bytes(b"MThd garbage")
    with pytest.raises(ChartError, match=r"junk\.mid: not a readable MIDI file"):
        read_midi(junk)
    piano = tmp_path / "piano.mid"
    mid = mido.MidiFile()
    track = mido.MidiTrack([mido.Message("note_on", channel=0, note=60, velocity=90)])
    mid.tracks.append(track)
    mid.save(piano)
    with pytest.raises(ChartError, match=r"piano\.mid: no drum-kit notes on MIDI channel 10"):
        read_midi(piano)
