"""The take as audio (song + panned hits) and as video, and the report/export commands."""

from __future__ import annotations

import re
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf

from onebeat.cli import main
from onebeat.engine import JudgeSettings
from onebeat.errors import SessionError
from onebeat.insight.media import heard_hits, render_take_audio, write_take_audio, write_take_video
from onebeat.kit import DrumPiece
from onebeat.session import SessionStore, SongRef
from onebeat.simulate.players import groove_chart, play_chart

SR = 44100


def song_file(path: Path, seconds: float, level: float = 0.0) -> Path:
    t = np.arange(round(seconds * SR)) / SR
    sf.write(path, level * np.sin(2 * np.pi * 110 * t), SR)
    return path


def onsets(x: np.ndarray) -> np.ndarray:
    """Sample indices where sound starts after silence (the synthesised hits start at
    their first sample)."""
    loud = np.abs(x) > 1e-4
    return (
        np.flatnonzero(
            loud[1:] & ~np.convolve(loud, np.ones(200), "full")[: len(loud) - 1].astype(bool)
        )
        + 1
    )


def test_hits_sound_where_the_judge_heard_them_panned_by_player(tmp_path: Path) -> None:
    chart = groove_chart(2, bpm=60)  # quarter notes 1 s apart, eighths 0.5 s apart
    kicks = np.array([n.piece is DrumPiece.KICK for n in chart.notes])
    ana = np.where(kicks, 30.0, np.nan)  # ana: only the kicks, 30 ms late
    ben = np.full(len(chart.notes), np.nan)
    ben[2] = -20.0  # ben: one hi-hat (the first off-beat), 20 ms early
    song = song_file(tmp_path / "silence.wav", chart.beats[-1] + 1)
    session = play_chart(chart, {"ana": ana, "ben": ben}, song=SongRef("s", str(song)))
    y = render_take_audio(session, sr=SR)
    assert y.shape == (2, round((chart.beats[-1] + 1) * SR))
    want_ana = [n.time + 0.030 for n in chart.notes if n.piece is DrumPiece.KICK]
    want_ben = chart.notes[2].time - 0.020
    got = onsets(y[0]) / SR
    assert np.allclose(got, sorted([want_ben, *want_ana]), atol=0.0005)
    # ana left: her kicks are three times louder on the left; ben's hi-hat on the right
    k = round(want_ana[0] * SR)
    h = round(want_ben * SR)
    assert np.abs(y[0, k : k + 2000]).max() > 2.5 * np.abs(y[1, k : k + 2000]).max()
    assert np.abs(y[1, h : h + 500]).max() > 2.5 * np.abs(y[0, h : h + 500]).max()


def test_a_slowed_take_plays_at_its_speed_and_taps_sound_as_their_note(tmp_path: Path) -> None:
    chart = groove_chart(2, bpm=60)
    song = song_file(tmp_path / "song.wav", chart.beats[-1] + 1, level=0.05)
    session = play_chart(
        chart,
        {"ana": np.zeros(len(chart.notes))},
        settings=JudgeSettings(speed=0.5),
        song=SongRef("s", str(song)),
    )
    y = render_take_audio(session, sr=SR)
    assert y.shape[1] == round((chart.beats[-1] + 1) * SR / 0.5)
    assert [h.piece for h in heard_hits(session)] == [n.piece for n in chart.notes]


def test_a_take_stopped_early_ends_at_its_stop(tmp_path: Path) -> None:
    """The shared audio and video of a take stopped at 3 s end a second later (they
    played on with every later note missed)."""
    chart = groove_chart(4, bpm=60)
    song = song_file(tmp_path / "song.wav", chart.beats[-1] + 1, level=0.05)
    session = play_chart(chart, {"ana": np.zeros(len(chart.notes))}, song=SongRef("s", str(song)))
    session.stopped_at = 3.0
    y = render_take_audio(session, sr=SR)
    assert y.shape[1] == round(4.0 * SR)
    assert np.abs(y[:, -10:]).max() < 1e-3  # faded out
    seconds = write_take_video(session, tmp_path / "jam.mp4", size=(320, 180), fps=10)
    assert seconds == pytest.approx(4.0, abs=0.05)


def test_files_formats_and_a_missing_song(tmp_path: Path) -> None:
    chart = groove_chart(4)
    offs = np.zeros(len(chart.notes))
    song = song_file(tmp_path / "song.wav", chart.beats[-1] + 1, level=0.05)
    session = play_chart(chart, {"ana": offs, "ben": offs + 10}, song=SongRef("s", str(song)))
    length = write_take_audio(session, tmp_path / "jam.flac")
    info = sf.info(tmp_path / "jam.flac")
    assert (info.channels, info.samplerate) == (2, SR)
    assert info.duration == pytest.approx(length, abs=0.01)
    with pytest.raises(Exception, match=r"jam\.mp3: audio export writes \.wav, \.flac, \.ogg"):
        write_take_audio(session, tmp_path / "jam.mp3")
    lost = play_chart(chart, {"ana": offs}, song=SongRef("s", str(tmp_path / "gone.ogg")))
    with pytest.raises(
        SessionError, match=r"gone\.ogg is not there; give the audio file with --song"
    ):
        render_take_audio(lost)
    assert render_take_audio(lost, song=song).shape[0] == 2  # --song finds it

    length = write_take_video(session, tmp_path / "jam.mp4", size=(320, 180), fps=15)
    with av.open(str(tmp_path / "jam.mp4")) as f:
        v, a = f.streams.video[0], f.streams.audio[0]
        assert (v.codec_context.name, v.width, v.height) == ("h264", 320, 180)
        assert a.codec_context.name == "aac" and a.channels == 2
        frames = sum(1 for _ in f.decode(video=0))
    assert frames == pytest.approx(length * 15, abs=1)


def test_report_and_export_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    chart = groove_chart(16)
    rng = np.random.default_rng(4)
    song = song_file(tmp_path / "song.wav", chart.beats[-1] + 1, level=0.05)
    db = tmp_path / "db.sqlite3"
    with SessionStore(db) as store:
        for day in range(2):
            a = rng.normal(20.0, 15.0, len(chart.notes))
            b = a + rng.normal(-10.0, 10.0, len(chart.notes))
            play_chart(
                chart,
                {"ana": a, "ben": b},
                store=store,
                song=SongRef("Groove", str(song)),
                created=f"2026-11-0{day + 1}T20:00:00.000+00:00",
            )
    out = tmp_path / "out"
    assert (
        main(
            [
                "report",
                "--latest",
                "--db",
                str(db),
                "-o",
                str(out / "r.html"),
                "--card",
                str(out / "card.png"),
                "--json",
                str(out / "r.json"),
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "together Together on" in text and "ana ahead of ben" not in text
    assert re.search(r"ben played ahead of ana by (9|10|11) ms", text)
    assert (out / "r.html").stat().st_size > 50_000 and (out / "card.png").is_file()
    assert (out / "card.png").stat().st_mode & 0o044  # shareable: readable by others
    assert main(["export", "latest", "--db", str(db), "--audio", str(out / "jam.wav")]) == 0
    assert "real time" in capsys.readouterr().out
    assert sf.info(out / "jam.wav").channels == 2
    assert main(["export", "latest", "--db", str(db), "--audio", str(out / "jam.aiff")]) == 1
    assert "audio export writes" in capsys.readouterr().err
    assert main(["report", "--db", str(tmp_path / "empty.sqlite3")]) == 1
    assert "no sessions saved yet" in capsys.readouterr().err
