"""Clone Hero / YARG song folders: onebeat's charts round-trip; community .chart files read."""

from __future__ import annotations

import configparser
from pathlib import Path

import mido
import numpy as np
import pytest

from onebeat.analysis import analyze
from onebeat.audio import load_audio
from onebeat.chart import generate_chart
from onebeat.chart.clonehero import Difficulty, read_song_folder, write_song_folder
from onebeat.chart.model import Chart, Note
from onebeat.demo import demo_song_path
from onebeat.errors import ChartError, OnebeatError
from onebeat.kit import DrumPiece


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[Difficulty, Chart]]:
    sm = analyze(demo_song_path(), backend="librosa")
    charts = {
        Difficulty.EASY: generate_chart(sm, level=2),
        Difficulty.MEDIUM: generate_chart(sm, level=3),
        Difficulty.EXPERT: generate_chart(sm, level=3),
    }
    folder = tmp_path_factory.mktemp("ch") / "First Beat"
    write_song_folder(charts, demo_song_path(), folder, title="First Beat", artist="onebeat")
    return folder, charts


def test_folder_has_what_the_games_load(demo_folder: tuple[Path, dict[Difficulty, Chart]]) -> None:
    folder, _ = demo_folder
    assert sorted(p.name for p in folder.iterdir()) == ["notes.mid", "song.ini", "song.ogg"]
    ini = configparser.ConfigParser()
    ini.read(folder / "song.ini")
    assert ini["song"]["name"] == "First Beat"
    assert ini["song"]["pro_drums"] == "True"
    assert int(ini["song"]["song_length"]) == pytest.approx(82638, abs=5)
    mid = mido.MidiFile(folder / "notes.mid")
    names = [t.name for t in mid.tracks]
    assert "PART DRUMS" in names
    drums = mid.tracks[names.index("PART DRUMS")]
    notes = {m.note for m in drums if m.type == "note_on"}
    assert notes <= set(range(60, 65)) | set(range(72, 77)) | set(range(96, 101))
    assert load_audio(folder / "song.ogg").duration == pytest.approx(82.64, abs=0.01)


@pytest.mark.parametrize("difficulty", [Difficulty.EASY, Difficulty.MEDIUM, Difficulty.EXPERT])
def test_round_trip_keeps_every_note_in_time(
    demo_folder: tuple[Path, dict[Difficulty, Chart]], difficulty: Difficulty
) -> None:
    folder, charts = demo_folder
    back, audio = read_song_folder(folder, difficulty=difficulty)
    assert audio == folder / "song.ogg"
    original = charts[difficulty]
    assert len(back.notes) == len(original.notes)
    for a, b in zip(original.notes, back.notes, strict=True):
        assert b.piece is a.piece
        assert b.time == pytest.approx(a.time, abs=1e-3)
    assert back.beats_per_bar == 4


def test_missing_difficulty(demo_folder: tuple[Path, dict[Difficulty, Chart]]) -> None:
    with pytest.raises(ChartError, match=r"notes\.mid: PART DRUMS has no hard notes"):
        read_song_folder(demo_folder[0], difficulty=Difficulty.HARD)


def test_toms_and_cymbals_survive(tmp_path: Path) -> None:
    beats = 0.5 + np.arange(16) * 0.5
    pieces = [
        DrumPiece.TOM_HIGH,
        DrumPiece.HIHAT_CLOSED,
        DrumPiece.TOM_MID,
        DrumPiece.RIDE,
        DrumPiece.TOM_FLOOR,
        DrumPiece.CRASH,
        DrumPiece.KICK,
        DrumPiece.SNARE,
    ]
    notes = tuple(Note(float(beats[k]), float(k), p) for k, p in enumerate(pieces))
    chart = Chart(
        notes=notes, beats=beats, beat_positions=np.arange(16) % 4 + 1, beats_per_bar=4, level=5
    )
    src = tmp_path / "a.wav"
    import soundfile as sf

    sf.write(src, np.zeros((44100 * 9, 2), dtype=np.float32) + 0.01, 44100)
    write_song_folder({Difficulty.EXPERT: chart}, src, tmp_path / "song", title="toms")
    back, _ = read_song_folder(tmp_path / "song")
    assert [n.piece for n in back.notes] == pieces
    assert [n.time for n in back.notes] == pytest.approx(list(beats[:8]), abs=1e-3)


CHART_TEXT = """[Song]
{
  Name = "Community Song"
  Resolution = 192
  Offset = 0
}
[SyncTrack]
{
  0 = TS 4
  0 = B 120000
  768 = B 60000
}
[Events]
{
  0 = E "section Intro"
}
[ExpertDrums]
{
  0 = N 0 0
  0 = N 4 0
  0 = N 68 0
  192 = N 2 0
  192 = N 66 0
  384 = N 1 0
  576 = N 2 0
  768 = N 32 0
  960 = N 3 0
}
"""


def test_reads_a_community_chart_file(tmp_path: Path) -> None:
    folder = tmp_path / "community"
    folder.mkdir()
    (folder / "notes.chart").write_text(CHART_TEXT)
    chart, audio = read_song_folder(folder)
    assert audio is None
    assert chart.title == "Community Song"
    got = [(round(n.time, 4), n.piece) for n in chart.notes]
    assert got == [
        (0.0, DrumPiece.CRASH),
        (0.0, DrumPiece.KICK),  # green + cymbal marker, kick
        (0.5, DrumPiece.HIHAT_CLOSED),  # yellow cymbal
        (1.0, DrumPiece.SNARE),
        (1.5, DrumPiece.TOM_HIGH),  # yellow without marker: a tom in .chart
        (2.0, DrumPiece.KICK),  # Expert+ double kick; tempo halves here
        (3.0, DrumPiece.TOM_MID),
    ]


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({}, r"no notes\.mid or notes\.chart"),
        ({"notes.chart": "[Song]\n{\n}\n"}, r"no \[ExpertDrums\] section"),
        ({"notes.chart": "[ExpertDrums]\n{\n}\n"}, r"\[ExpertDrums\] has no notes"),
        ({"notes.mid": "not midi"}, r"notes\.mid: not a readable MIDI file"),
    ],
)
def test_bad_folders(tmp_path: Path, files: dict[str, str], message: str) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    with pytest.raises(ChartError, match=message):
        read_song_folder(tmp_path)


def test_the_folder_follows_the_community_formats(tmp_path: Path) -> None:
    """Ghost and accent notes carry the text event the games need to read them; a file
    without it reads them as plain notes; sections and a BEAT track are written; and
    ``diff_drums`` is a 0–6 rating, not onebeat's level (issue 23, item 13)."""
    from onebeat.chart.clonehero import DYNAMICS_EVENT, drum_tier
    from onebeat.chart.model import Dynamic

    beats = 0.5 + np.arange(16) * 0.5
    dyns = [Dynamic.GHOST, Dynamic.NORMAL, Dynamic.ACCENT, Dynamic.NORMAL] * 2
    notes = tuple(
        Note(float(beats[k]), float(k), DrumPiece.SNARE, 100, d) for k, d in enumerate(dyns)
    )
    chart = Chart(
        notes=notes,
        beats=beats,
        beat_positions=np.arange(16) % 4 + 1,
        beats_per_bar=4,
        level=5,
        sections=(0.0, 8.0),
    )
    src = tmp_path / "a.wav"
    import soundfile as sf

    sf.write(src, np.zeros((44100 * 9, 2), dtype=np.float32) + 0.01, 44100)
    folder = write_song_folder({Difficulty.EXPERT: chart}, src, tmp_path / "song", title="d")
    mid = mido.MidiFile(folder / "notes.mid")
    tracks = {t.name: t for t in mid.tracks}
    assert {"PART DRUMS", "EVENTS", "BEAT"} <= set(tracks)
    assert any(m.type == "text" and m.text == DYNAMICS_EVENT for m in tracks["PART DRUMS"])
    sections = [m.text for m in tracks["EVENTS"] if m.type == "text"]
    assert sections == ["[section Section 1]", "[section Section 2]"]
    beat_notes = [m.note for m in tracks["BEAT"] if m.type == "note_on" and m.velocity]
    assert len(beat_notes) == len(beats) and beat_notes[:4] == [12, 13, 13, 13]
    back, _ = read_song_folder(folder)
    assert [n.dynamic for n in back.notes] == dyns
    ini = configparser.ConfigParser()
    ini.read(folder / "song.ini")
    assert ini["song"]["diff_drums"] == str(drum_tier(chart)) == "2"  # 8 notes in 3.5 s
    # without the text event, velocities 1 and 127 are plain notes
    for t in mid.tracks:
        t[:] = [m for m in t if not (m.type == "text" and m.text == DYNAMICS_EVENT)]
    mid.save(folder / "notes.mid")
    back, _ = read_song_folder(folder)
    assert {n.dynamic for n in back.notes} == {Dynamic.NORMAL}


def test_song_ini_delay_starts_the_chart_later(
    demo_folder: tuple[Path, dict[Difficulty, Chart]], tmp_path: Path
) -> None:
    """``delay`` (ms): "a higher value makes the chart start later" than the audio."""
    import shutil

    folder, _ = demo_folder
    plain, _ = read_song_folder(folder)
    moved = tmp_path / "moved"
    shutil.copytree(folder, moved)
    ini = (moved / "song.ini").read_text().replace("delay = 0", "delay = 500")
    (moved / "song.ini").write_text(ini)
    later, _ = read_song_folder(moved)
    assert [n.time for n in later.notes] == pytest.approx([n.time + 0.5 for n in plain.notes])
    assert later.beats == pytest.approx(np.asarray(plain.beats) + 0.5)
    (moved / "song.ini").write_text(ini.replace("delay = 500", "delay = soon"))
    with pytest.raises(ChartError, match=r"song\.ini: delay 'soon' is not a number"):
        read_song_folder(moved)


def test_a_folder_of_stems_is_read_as_their_mix(tmp_path: Path) -> None:
    """A song folder split into stems (drums_1..2, bass, vocals, song) plays them together,
    as Clone Hero and YARG do; crowd noise and the preview are not the song."""
    import soundfile as sf

    folder = tmp_path / "stems"
    folder.mkdir()
    (folder / "notes.chart").write_text(CHART_TEXT)
    sr = 44100
    t = np.arange(sr) / sr
    tones = {"drums_1": 110.0, "drums_2": 220.0, "bass": 55.0, "vocals": 440.0, "song": 880.0}
    for name, f0 in tones.items():
        sf.write(folder / f"{name}.ogg", 0.1 * np.sin(2 * np.pi * f0 * t), sr)
    sf.write(folder / "crowd.ogg", 0.1 * np.sin(2 * np.pi * 1760.0 * t), sr)
    _chart, audio = read_song_folder(folder)
    assert audio is not None and audio.suffix == ".ogg" and audio.parent != folder
    y = load_audio(audio).y
    spec = np.abs(np.fft.rfft(y))
    freqs = np.fft.rfftfreq(len(y), 1 / sr)

    def level(f0: float) -> float:
        return float(spec[np.abs(freqs - f0) < 3].max())

    for f0 in tones.values():
        assert level(f0) > 0.5 * level(440.0)  # every stem is in the mix
    assert level(1760.0) < 0.01 * level(440.0)  # the crowd is not
    stamp = audio.stat().st_mtime_ns
    assert read_song_folder(folder)[1] == audio  # mixed once, then reused
    assert audio.stat().st_mtime_ns == stamp


def test_a_folder_with_a_broken_stem_names_it(tmp_path: Path) -> None:
    import soundfile as sf

    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "notes.chart").write_text(CHART_TEXT)
    (folder / "drums.ogg").write_bytes(b"OggS" + b"\0" * 200)
    sf.write(folder / "song.ogg", np.zeros(4410), 44100)
    with pytest.raises(OnebeatError, match=r"drums\.ogg") as info:
        read_song_folder(folder)
    assert "\n" not in str(info.value)
