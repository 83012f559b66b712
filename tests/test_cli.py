"""The ``onebeat`` command as a user runs it: output, exit codes, one-line errors."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from onebeat.cli import main
from onebeat.demo import demo_song_path
from tests.conftest import click_track, song_folder


def test_analyze_demo_writes_songmap_and_prints_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sub" / "demo.json"
    beats = tmp_path / "demo.beats"
    code = main(["analyze", str(demo_song_path()), "-o", str(out), "--beats", str(beats)])
    assert code == 0
    text = capsys.readouterr().out
    assert "4/4" in text
    assert "116" in text
    data = json.loads(out.read_text())
    assert data["format"] == "onebeat.songmap"
    assert len(data["beats"]) == 153
    lines = beats.read_text().splitlines()
    assert len(lines) == 153
    assert lines[0].split("\t")[1] == "1"


def test_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", str(demo_song_path()), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["tempo_bpm"] == pytest.approx(116, rel=0.01)


def test_demo_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    assert "vs truth beat F" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.mp3", r"missing\.mp3: no such file"),
        (lambda d: _write(d / "notes.txt", b"not audio\n" * 40), r"notes\.txt: not an audio file"),
        (
            lambda d: _write(d / "song.m4a", b"\x00\x00\x00\x18ftypM4A " + bytes(300)),
            r"song\.m4a: corrupt",
        ),
        (lambda d: _silence(d / "silent.wav"), r"silent\.wav: the audio is silent"),
        (lambda d: _short(d / "short.flac"), r"short\.flac: too short"),
    ],
)
def test_bad_input_one_line_error_and_nothing_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make: object, message: str
) -> None:
    song = make(tmp_path)  # type: ignore[operator]
    out = tmp_path / "map.json"
    assert main(["analyze", str(song), "-o", str(out), "--no-cache"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("onebeat: error: ")
    assert "\n" not in err
    assert __import__("re").search(message, err), err
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _silence(path: Path) -> Path:
    sf.write(path, np.zeros(44100 * 8, dtype=np.float32), 44100)
    return path


def _short(path: Path) -> Path:
    y, _ = click_track(sr=44100, duration=2.0)
    sf.write(path, y[0], 44100)
    return path


def test_help_names_the_model_licence() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "onebeat.cli", "analyze", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "CC BY-NC-SA" in result.stdout
    assert "non-commercial" in result.stdout


def test_backends_lists_licences(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["backends"]) == 0
    text = capsys.readouterr().out
    assert "madmom (default)" in text
    assert "librosa" in text
    assert "CC BY-NC-SA 4.0" in text


def test_unknown_backend_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as info:
        main(["analyze", "x.mp3", "--backend", "nope"])
    assert info.value.code == 2


def test_chart_command_writes_midi_and_tab(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import mido

    mid, tab = tmp_path / "part.mid", tmp_path / "part.txt"
    code = main(
        ["chart", str(demo_song_path()), "--level", "3", "--midi", str(mid), "--tab", str(tab)]
    )
    assert code == 0
    assert "level 3 (basic rock groove)" in capsys.readouterr().out
    notes = [m for m in mido.MidiFile(mid) if m.type == "note_on" and m.velocity > 0]
    assert len(notes) == 153 * 3 - 1  # kick/snare per beat + hats on every eighth
    assert tab.read_text().splitlines()[2].startswith("HH  |x-x-x-x-")


def test_chart_clonehero_folder_and_reading_it_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "First Beat"
    args = ["chart", str(demo_song_path()), "--level", "2", "--clonehero", str(folder)]
    assert main([*args, "--grid-only"]) == 0
    assert (folder / "notes.mid").exists()
    capsys.readouterr()
    assert main(["chart", str(folder), "--difficulty", "medium"]) == 0
    out = capsys.readouterr().out
    assert "medium chart from the song folder, 458 notes" in out
    assert main(["chart", str(tmp_path)]) == 1
    assert "no notes.mid or notes.chart" in capsys.readouterr().err


def test_chart_level_5_song_folder_render_and_lint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import soundfile as sf

    from onebeat.chart import lint_chart
    from onebeat.chart.clonehero import Difficulty, read_song_folder

    folder, wav = tmp_path / "First Beat", tmp_path / "check.wav"
    args = ["chart", str(demo_song_path()), "--level", "5", "--lint"]
    assert main([*args, "--render", str(wav), "--clonehero", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "level 5 (full)" in out and "tom_high" in out
    assert "lint     0 errors" in out
    assert "% of bars from the song" in out and "bars filled in:" in out
    info = sf.info(wav)
    assert info.duration == pytest.approx(82.64, abs=0.01) and info.channels == 2
    expert, _ = read_song_folder(folder, difficulty=Difficulty.EXPERT)
    n_expert = int(out.split(" notes:")[0].rsplit(" ", 1)[-1])
    assert len(expert.notes) == n_expert  # the hi-hat pedal has no lane; level 5 has none here
    # YARG / Clone Hero format rules: the PART DRUMS track, the four difficulties' lanes
    # (kick, red, yellow, blue, green) and the pro-drum tom markers, nothing else
    import mido

    mid = mido.MidiFile(folder / "notes.mid")
    names = [t.name for t in mid.tracks]
    notes = {m.note for m in mid.tracks[names.index("PART DRUMS")] if m.type == "note_on"}
    lanes = {base + lane for base in (60, 72, 84, 96) for lane in range(5)}
    assert notes <= lanes | {110, 111, 112}
    assert {60, 72, 84, 96} <= notes and notes & {110, 111, 112}
    sizes = []
    for d in Difficulty:
        chart, _ = read_song_folder(folder, difficulty=d)
        assert not [f for f in lint_chart(chart, difficulty=d.name.lower()) if f.error]
        sizes.append(len(chart.notes))
    assert sizes == sorted(sizes)  # Easy ⊂ Medium ⊂ Hard ⊂ Expert in size


def test_transcribe_writes_what_the_drums_play_on_the_grid(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import mido

    from onebeat.analysis.evaluate import drum_scores
    from tests.analysis.test_drums import demo_truth_by_class

    mid, tab = tmp_path / "heard.mid", tmp_path / "heard.txt"
    code = main(["transcribe", str(demo_song_path()), "--midi", str(mid), "--tab", str(tab)])
    assert code == 0
    out = capsys.readouterr().out
    assert "strokes heard on a 116 BPM grid (sixteenths)" in out
    assert any(line.startswith("SN  |") for line in tab.read_text().splitlines())
    t = 0.0
    kicks = []
    for m in mido.MidiFile(mid):
        t += m.time
        if m.type == "note_on" and m.velocity > 0 and m.note == 36:
            kicks.append(t)
    truth = demo_truth_by_class()
    scores = drum_scores({"kick": truth["kick"]}, {"kick": np.array(kicks)})
    # the transcription's own kick F (0.84): putting it on the grid loses nothing
    assert scores["kick_f"] >= 0.8

    bad = tmp_path / "take.wav"
    bad.write_bytes(b"RIFF not really")
    assert main(["transcribe", str(bad)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "take.wav" in err[0]


def test_chart_from_a_general_midi_file_with_its_audio(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mid, wav = tmp_path / "part.mid", tmp_path / "check.wav"
    assert main(["chart", str(demo_song_path()), "--level", "3", "--midi", str(mid)]) == 0
    capsys.readouterr()
    assert main(["chart", str(mid), "--render", str(wav), "--audio", str(demo_song_path())]) == 0
    assert "chart from the MIDI file, 458 notes" in capsys.readouterr().out
    assert wav.exists()
    assert main(["chart", str(mid), "--render", str(tmp_path / "x.wav")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no song audio to render the chart over" in err
    assert not (tmp_path / "x.wav").exists()


def test_score_a_tapped_take_then_list_export_and_replay(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from onebeat.analysis import analyze
    from onebeat.chart import generate_chart

    song = demo_song_path()
    chart = generate_chart(analyze(song), level=1)
    # a first-timer tapping every beat 20 ms late, skipping one in ten, plus stray taps
    rng = np.random.default_rng(0)
    lines = ["time"]
    for k, n in enumerate(chart.notes):
        if k % 10 != 9:
            lines.append(f"{n.time + 0.020 + rng.normal(0, 0.004):.4f}")
    lines += ["3.77", "9.41"]
    take = tmp_path / "taps.csv"
    take.write_text("\n".join(lines) + "\n")
    db = tmp_path / "s.sqlite3"
    args = ["score", str(song), "--take", str(take), "--level", "1", "--db", str(db)]
    assert main([*args, "--json", "--player", "ana"]) == 0
    out = json.loads(capsys.readouterr().out)
    s = out["players"]["ana"]
    for key in ("notes", "perfect", "great", "good", "miss", "extra", "mean_offset_ms"):
        assert key in s
    hit = len(chart.notes) - len(chart.notes) // 10
    assert s["notes"] == len(chart.notes) and s["miss"] == len(chart.notes) // 10
    assert s["perfect"] + s["great"] == hit and s["extra"] == 2
    assert s["mean_offset_ms"] == pytest.approx(20.0, abs=1.5)
    assert s["sd_offset_ms"] == pytest.approx(4.0, abs=1.5)
    assert out["chart"]["any_pad"] is True and out["session"]

    assert main(args) == 0
    text = capsys.readouterr().out
    assert "player 1: accuracy" in text and "ms (late)" in text and "saved    session" in text
    assert main(["sessions", "--db", str(db)]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == 2 and listed[1].startswith(out["session"][:8])
    assert main(["replay", out["session"][:8], "--db", str(db)]) == 0
    assert "replay   identical" in capsys.readouterr().out
    assert (
        main(
            [
                "export",
                "latest",
                "--db",
                str(db),
                "--json",
                str(tmp_path / "s.json"),
                "--midi",
                str(tmp_path / "s.mid"),
            ]
        )
        == 0
    )
    assert "one track per player" in capsys.readouterr().out
    assert json.loads((tmp_path / "s.json").read_text())["players"][0]["name"] == "player 1"
    # the exported MIDI scores again like the take
    assert (
        main(
            [
                "score",
                str(song),
                "--take",
                str(tmp_path / "s.mid"),
                "--level",
                "1",
                "--json",
                "--no-save",
            ]
        )
        == 0
    )
    again = json.loads(capsys.readouterr().out)["players"]["player 1"]
    assert again["miss"] == s["miss"] and again["extra"] == s["extra"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["score", "SONG", "--take", "missing.mid"], r"missing\.mid: no such take file"),
        (["replay", "beef"], r"session 'beef': not in"),
        (["export", "latest", "--json", "x.json"], r"no sessions saved yet"),
    ],
)
def test_score_and_session_errors_are_one_line(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [str(demo_song_path()) if a == "SONG" else a for a in argv]
    argv = [str(tmp_path / a) if a.endswith((".mid", ".json")) else a for a in argv]
    code = main([*argv, "--db", str(tmp_path / "empty.sqlite3")])
    err = capsys.readouterr().err
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert re.search(message, err)


def test_play_on_a_port_in_use_is_one_clear_line(capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["play", "--port", str(port), "--no-browser"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"onebeat: error: port {port}: cannot listen there")
    assert "--port" in err and "\n" not in err


def test_a_take_that_hit_no_note_reads_plainly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No "+nan ± nan ms", no "0.0 ms, on time" and no "-0" for a take with no note hit
    (issue 23, item 11); the report's card is drawn without a warning (warnings are errors
    here)."""
    take = tmp_path / "take.csv"
    take.write_text("0.01,snare\n0.02,kick\n")  # before the song's first note: extras
    db = ["--db", str(tmp_path / "s.sqlite3")]
    assert main(["score", str(demo_song_path()), "--level", "2", "--take", str(take), *db]) == 0
    out = capsys.readouterr().out
    assert "timing – (no notes hit)" in out and "nan" not in out
    card = tmp_path / "card.png"
    assert main(["report", "--latest", "--card", str(card), *db]) == 0
    out = capsys.readouterr().out
    assert "no notes hit" in out and "nan" not in out and card.stat().st_size > 0


def test_an_offset_that_rounds_to_zero_has_no_sign() -> None:
    from onebeat.insight.stats import signed_ms
    from onebeat.kit import lean

    assert signed_ms(-0.3) == "0" and signed_ms(-0.04, 1) == "0.0"
    assert signed_ms(5.2) == "+5" and signed_ms(-12.4, 1) == "-12.4"
    assert signed_ms(float("nan")) == "–"
    assert [lean(x) for x in (-10, -2, 0, 2.9, 3.5)] == [
        "early",
        "on time",
        "on time",
        "on time",
        "late",
    ]


def test_analyze_bar_one_moves_the_downbeats_and_the_song_keeps_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ONEBEAT_DATA_DIR", str(tmp_path / "data"))
    song = str(demo_song_path())
    as_found = tmp_path / "found.beats"
    assert main(["analyze", song, "--beats", str(as_found)]) == 0
    found = [line.split("\t") for line in as_found.read_text().splitlines()]
    assert main(["analyze", song, "--bar-one", "1"]) == 0
    assert "bar 1 moved 1 beat(s) later by you" in capsys.readouterr().out
    # kept: the next command (any of them) finds bar 1 where the player put it
    moved = tmp_path / "moved.beats"
    assert main(["analyze", song, "--beats", str(moved)]) == 0
    lines = [line.split("\t") for line in moved.read_text().splitlines()]
    assert [t for t, _ in lines] == [t for t, _ in found]  # the beats do not move
    first_down = next(i for i, (_, p) in enumerate(found) if p == "1")
    assert lines[first_down + 1][1] == "1" and lines[first_down][1] != "1"
    capsys.readouterr()
    assert main(["analyze", song, "--bar-one", "0", "--beats", str(moved)]) == 0
    assert moved.read_text() == as_found.read_text()
    assert "moved" not in capsys.readouterr().out


def test_hear_prints_writes_midi_and_json_of_a_kit_recording(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import mido
    from mir_eval.onset import f_measure

    from onebeat.chart.midi import midi_tick_times
    from onebeat.simulate import kitsound as ks

    rng = np.random.default_rng(3)
    room = ks.Room(0.3, 12.0, 30.0, 16000.0, -55.0, -np.inf, 0.004, -6.0)
    perf = ks.groove(rng, bars=4)
    n = round((perf[-1][0] + 1.5) * ks.SR)
    y = ks.microphone(ks.play(ks.strokes(ks.SYNTH), perf, n, rng), room, rng)
    take = tmp_path / "my take.wav"
    sf.write(take, y, ks.SR)
    out = tmp_path / "heard.mid"
    assert main(["hear", str(take), "--midi", str(out)]) == 0
    said = capsys.readouterr().out
    assert said.startswith("my take.wav: ") and "strokes heard" in said and "kick" in said
    assert main(["hear", str(take), "--json"]) == 0
    strokes = json.loads(capsys.readouterr().out)["strokes"]
    times = np.array([s["time"] for s in strokes])
    truth = np.unique([s[0] for s in perf])
    assert f_measure(truth, times, window=0.02)[0] >= 0.85
    # the MIDI file holds every piece of every stroke, where it was heard (120 BPM)
    notes = midi_tick_times(mido.MidiFile(out))
    assert len(notes) == sum(len(s["pieces"]) for s in strokes)
    np.testing.assert_allclose(sorted(t for t, _, _ in notes), sorted(
        t for s in strokes for t in [s["time"]] * len(s["pieces"])
    ), atol=0.002)  # fmt: skip
    assert main(["hear", str(take), "--pieces", "kick,cowbell"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--pieces: no piece 'cowbell'" in err[0]


def test_analyze_a_folder_on_two_processes_then_again_from_the_cache(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = song_folder(tmp_path / "music", {"a.wav": 100.0, "live/b.flac": 128.0})
    (folder / "notes.txt").write_text("not a song")  # not a song file: not looked at
    assert main(["analyze", str(folder), "--jobs", "2"]) == 1  # one could not be
    out = capsys.readouterr().out
    assert "3 songs, 2 at a time" in out
    assert "could not analyse" in out and "broken.mp3" in out  # its one line
    assert "2 analysed, 0 already analysed, 1 could not be" in out
    assert main(["analyze", str(folder), "--jobs", "1"]) == 1
    out = capsys.readouterr().out
    assert "0 analysed, 2 already analysed, 1 could not be" in out  # resumed: nothing redone


def test_library_add_fills_the_song_list_from_folders_then_lists_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ONEBEAT_DATA_DIR", str(tmp_path / "data"))
    folder = song_folder(tmp_path / "music", {"one.wav": 96.0, "two.flac": 140.0})
    assert main(["library", "add", str(folder), "--jobs", "1"]) == 1  # one could not be
    out = capsys.readouterr().out
    assert "could not analyse" in out and "broken.mp3" in out
    assert "2 added to the song list (0 already in it)" in out
    assert main(["library", "list"]) == 0
    listed = capsys.readouterr().out
    assert "one" in listed and "two" in listed and "broken" not in listed
    assert "First Beat (demo)" in listed
    # again: nothing analysed again, nothing added twice
    assert main(["library", "add", str(folder / "one.wav")]) == 0
    out = capsys.readouterr().out
    assert "0 analysed, 1 already analysed" in out and "0 added to the song list (1 already" in out
    from onebeat.library import Library

    library = Library(tmp_path / "data")
    try:
        assert {e.path.name for e in library.songs()} == {"onebeat-demo.ogg", "one.wav", "two.flac"}
    finally:
        library.close()
    assert main(["library", "add", str(tmp_path / "nowhere")]) == 1
    assert "nowhere: no such folder or file" in capsys.readouterr().out
