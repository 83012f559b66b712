"""Bad files as the CLI meets them (issue 23, item 7): every one a one-line error naming the
file and the field, exit code 1, bounded in time and output, and nothing half-saved.
Then the readers fuzzed: mutated .chart, .mid and take CSV files raise only onebeat's
own errors."""

from __future__ import annotations

import re
import struct
import time
from collections.abc import Callable
from pathlib import Path

import mido
import numpy as np
import pytest
import soundfile as sf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onebeat.chart.clonehero import read_song_folder
from onebeat.chart.midi import read_midi
from onebeat.cli import main
from onebeat.demo import demo_song_path
from onebeat.errors import OnebeatError
from onebeat.inputs.takes import read_take
from onebeat.session import SessionStore


def _chart(
    d: Path,
    *,
    song: str = "Resolution = 192",
    sync: str = "0 = B 120000\n0 = TS 4",
    notes: str = "0 = N 0 0\n192 = N 1 0",
) -> Path:
    folder = d / "Song"
    folder.mkdir()
    (folder / "notes.chart").write_text(
        f"[Song]\n{{\n{song}\n}}\n[SyncTrack]\n{{\n{sync}\n}}\n[ExpertDrums]\n{{\n{notes}\n}}\n"
    )
    return folder


def _midi(
    d: Path, *, tempo: int = 500000, num: int = 4, delta: int = 480, division: int | None = None
) -> Path:
    path = d / "part.mid"
    mid = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack()
    mid.tracks.append(track)
    track.append(mido.MetaMessage("set_tempo", tempo=tempo))
    track.append(mido.MetaMessage("time_signature", numerator=max(num, 1), denominator=4))
    track.append(mido.Message("note_on", channel=9, note=36, velocity=100, time=0))
    track.append(mido.Message("note_on", channel=9, note=38, velocity=100, time=delta))
    mid.save(path)
    raw = bytearray(path.read_bytes())
    if division is not None:  # the header's time division (0, or SMPTE with its top bit)
        raw[12:14] = struct.pack(">H", division)
    if num == 0:
        at = raw.index(bytes([0xFF, 0x58, 0x04]))
        raw[at + 3] = 0
    path.write_bytes(bytes(raw))
    return path


def _csv(d: Path, text: str) -> Path:
    path = d / "take.csv"
    path.write_text(text)
    return path


def _wav_tag(d: Path) -> Path:
    path = d / "odd.wav"
    sr = 22050
    sf.write(path, 0.1 * np.sin(np.arange(sr * 6) * 0.05), sr, subtype="PCM_16")
    raw = bytearray(path.read_bytes())
    at = raw.index(b"fmt ") + 8
    raw[at : at + 2] = struct.pack("<H", 0x1234)  # a format tag no codec has
    path.write_bytes(bytes(raw))
    return path


CHART = ["chart", "{}", "--tab", "-"]
SCORE = ["score", str(demo_song_path()), "--level", "2", "--take", "{}"]

CASES: list[tuple[str, Callable[[Path], Path], list[str], str]] = [
    ("B not a number", lambda d: _chart(d, sync="0 = B abc"), CHART, r"0 = B: 'abc'"),
    ("TS not a number", lambda d: _chart(d, sync="0 = TS x"), CHART, r"0 = TS: 'x'"),
    ("N not a number", lambda d: _chart(d, notes="0 = N x 0"), CHART, r"0 = N: 'x'"),
    ("N -1", lambda d: _chart(d, notes="0 = N -1 0"), CHART, r"0 = N: '-1'"),
    ("Resolution 0", lambda d: _chart(d, song="Resolution = 0"), CHART, r"resolution of 0"),
    ("Resolution text", lambda d: _chart(d, song="Resolution = x"), CHART, r"Resolution: 'x'"),
    ("B 0", lambda d: _chart(d, sync="0 = B 0"), CHART, r"tempo 0 BPM at tick 0"),
    ("TS 0", lambda d: _chart(d, sync="0 = TS 0"), CHART, r"time signature of 0 beats"),
    ("huge tick", lambda d: _chart(d, notes="0 = N 0 0\n9" + "9" * 14 + " = N 1 0"), CHART, "tick"),
    (
        "a week of notes",
        lambda d: _chart(d, notes="0 = N 0 0\n999999999 = N 1 0"),
        CHART,
        r"its notes run \d+ minutes, more than the 20",
    ),
    ("slow tempo", lambda d: _chart(d, sync="0 = B 1"), CHART, r"tempo 0\.001 BPM"),
    ("MIDI division 0", lambda d: _midi(d, division=0), CHART, r"resolution of 0 ticks"),
    ("MIDI SMPTE", lambda d: _midi(d, division=0xE728), CHART, r"SMPTE time is not read"),
    ("MIDI tempo 0", lambda d: _midi(d, tempo=0), CHART, r"tempo of 0 µs a beat"),
    ("MIDI 0 numerator", lambda d: _midi(d, num=0), CHART, r"time signature of 0 beats"),
    ("MIDI huge delta", lambda d: _midi(d, delta=0x0FFFFFFF), CHART, r"its notes run \d+ minutes"),
    ("take velocity 1e20", lambda d: _csv(d, "1.0,snare,1e20\n"), SCORE, r"velocity '1e20'"),
    ("take velocity 10^20", lambda d: _csv(d, "1.0,snare,1" + "0" * 20), SCORE, "velocity '1000"),
    ("take velocity 128", lambda d: _csv(d, "1.0,snare,128\n"), SCORE, r"from 0 to 127"),
    ("take huge field", lambda d: _csv(d, "1.0," + "s" * 200_000), SCORE, r"take\.csv:1"),
    ("take 5000-digit pad", lambda d: _csv(d, "1.0," + "9" * 5000), SCORE, r"MIDI note 99999999…"),
    ("take long player", lambda d: _csv(d, "1.0,snare,90," + "p" * 500), SCORE, "player name"),
    ("WAV format tag", _wav_tag, ["analyze", "{}"], r"odd\.wav: unsupported audio codec"),
    (
        "drumless of a bad file",
        _wav_tag,
        ["drumless", "{}", "-o", "{}.out.wav"],
        r"odd\.wav: unsupported audio codec",
    ),
]


@pytest.mark.parametrize(
    ("make", "argv", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_a_bad_file_is_one_line_naming_it(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    make: Callable[[Path], Path],
    argv: list[str],
    message: str,
) -> None:
    path = make(tmp_path)
    with SessionStore() as store:
        before = len(store.list(1000))
    t0 = time.perf_counter()
    code = main([a.format(path) for a in argv])
    took = time.perf_counter() - t0
    err = capsys.readouterr().err
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and len(err) < 300, err[:400]
    assert path.name in err
    assert re.search(message, err), err
    # bounded (a 70-byte chart once took 50 s; a bad take is read before the song is
    # analysed): generous for a loaded machine
    assert took < 30
    with SessionStore() as store:
        assert len(store.list(1000)) == before  # nothing half-saved


def test_a_song_ini_error_is_one_line(tmp_path: Path) -> None:
    folder = _chart(tmp_path)
    (folder / "song.ini").write_text("[song\nname = x\n")
    with pytest.raises(OnebeatError) as info:
        read_song_folder(folder)
    assert "\n" not in str(info.value) and "song.ini" in str(info.value)


FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

_LINES = st.sampled_from(
    [
        "0 = B 120000",
        "0 = TS 4",
        "0 = TS 0",
        "0 = B 0",
        "192 = N 0 0",
        "384 = N 1 0",
        "384 = N 66 0",
        "99999999999 = N 2 0",
        "0 = N -3 0",
        "1 = N",
        "Resolution = 192",
        "Resolution = 0",
        "Resolution = -4",
        "[Song]",
        "[SyncTrack]",
        "[ExpertDrums]",
        "{",
        "}",
        "0 = E section",
        "=",
        "",
    ]
) | st.text(max_size=40)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(lines=st.lists(_LINES, max_size=30))
def test_any_notes_chart_reads_or_raises_a_one_line_chart_error(
    tmp_path: Path, lines: list[str]
) -> None:
    folder = tmp_path / "fuzz"
    folder.mkdir(exist_ok=True)
    (folder / "notes.chart").write_text("\n".join(lines), encoding="utf-8")
    t0 = time.perf_counter()
    try:
        chart, _ = read_song_folder(folder)
    except OnebeatError as exc:
        assert "\n" not in str(exc) and len(str(exc)) < 400
    else:
        assert chart.notes
    assert time.perf_counter() - t0 < 5


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_mutated_midi_file_reads_as_chart_and_take_or_raises_onebeats_error(
    tmp_path: Path, data: st.DataObject
) -> None:
    good = bytearray(_midi(tmp_path).read_bytes())
    for _ in range(data.draw(st.integers(1, 6))):
        at = data.draw(st.integers(0, len(good) - 1))
        good[at] = data.draw(st.integers(0, 255))
    path = tmp_path / "mutated.mid"
    path.write_bytes(bytes(good))
    t0 = time.perf_counter()
    try:
        read_midi(path)
    except OnebeatError as exc:
        assert "\n" not in str(exc)
    assert time.perf_counter() - t0 < 5
    t0 = time.perf_counter()  # the same file as a recorded take (an e-kit's MIDI)
    try:
        hits = read_take(path)
    except OnebeatError as exc:
        assert "\n" not in str(exc)
    else:
        assert all(np.isfinite(h.time) and 0 <= h.velocity <= 127 for h in hits)
    assert time.perf_counter() - t0 < 5


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.lists(
            st.one_of(
                st.text(max_size=12),
                st.sampled_from(["1.5", "nan", "-inf", "1e400", "snare", "38", "200", "x" * 300]),
            ),
            max_size=5,
        ),
        max_size=12,
    )
)
def test_any_take_csv_reads_or_raises_onebeats_error(tmp_path: Path, rows: list[list[str]]) -> None:
    path = tmp_path / "take.csv"
    path.write_text("\n".join(",".join(r) for r in rows), encoding="utf-8")
    try:
        hits = read_take(path)
    except OnebeatError as exc:
        assert "\n" not in str(exc) and len(str(exc)) < 400
    else:
        assert all(0 <= h.velocity <= 127 for h in hits)


@pytest.fixture(scope="module")
def encoded_tones(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """Half a second of a tone in each container a user brings (wav, flac, ogg, mp3)."""
    d = tmp_path_factory.mktemp("tones")
    y = 0.3 * np.sin(2 * np.pi * 440 * np.arange(22050) / 44100)
    out = {}
    for ext, fmt, sub in (
        ("wav", "WAV", "PCM_16"),
        ("flac", "FLAC", "PCM_16"),
        ("ogg", "OGG", "VORBIS"),
        ("mp3", "MP3", "MPEG_LAYER_III"),
    ):
        sf.write(d / f"tone.{ext}", y, 44100, format=fmt, subtype=sub)
        out[ext] = (d / f"tone.{ext}").read_bytes()
    return out


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_mutated_audio_header_decodes_or_raises_onebeats_error(
    tmp_path: Path, encoded_tones: dict[str, bytes], data: st.DataObject
) -> None:
    """Audio headers fuzzed (issue 23's fuzz suite): bytes of the first 512 changed, or
    the file cut short. Each file decodes to finite samples or is one line naming it, in
    bounded time."""
    from onebeat.audio import load_audio

    ext = data.draw(st.sampled_from(sorted(encoded_tones)))
    raw = bytearray(encoded_tones[ext])
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, min(511, len(raw) - 1)))
        raw[at] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        raw = raw[: data.draw(st.integers(0, len(raw)))]
    path = tmp_path / f"song.{ext}"
    path.write_bytes(bytes(raw))
    t0 = time.perf_counter()
    try:
        audio = load_audio(path)
    except OnebeatError as exc:
        assert "\n" not in str(exc) and len(str(exc)) < 400
        assert path.name in str(exc)
    else:
        assert np.isfinite(audio.y).all() and audio.sr > 0
    assert time.perf_counter() - t0 < 2


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    lines=st.lists(
        st.one_of(
            st.text(max_size=40),
            st.sampled_from(
                ["[song]", "[Song]", "delay = 250", "delay = x", "delay = 1e309", "pro_drums = "]
            ),
            st.builds(
                "{} = {}".format,
                st.sampled_from(["delay", "pro_drums", "name", "diff_drums", "five_lane_drums"]),
                st.text(max_size=20),
            ),
        ),
        max_size=12,
    )
)
def test_any_song_ini_reads_or_raises_a_one_line_error(tmp_path: Path, lines: list[str]) -> None:
    folder = tmp_path / "Song"
    if not folder.exists():
        _chart(tmp_path)
    (folder / "song.ini").write_text("\n".join(lines), encoding="utf-8", errors="surrogatepass")
    try:
        chart, _ = read_song_folder(folder)
    except OnebeatError as exc:
        assert "\n" not in str(exc) and len(str(exc)) < 400
    else:
        assert chart.notes
