"""Decoding the formats people have, and refusing what is not a song, clearly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from onebeat.audio import load_audio
from onebeat.errors import (
    AudioFileNotFoundError,
    CorruptAudioError,
    NotAudioError,
    TooLongError,
    UnsupportedFormatError,
)
from tests.conftest import click_track, encode

# (file name, PyAV codec, container, tolerated click-time error [s])
FORMATS = [
    ("song.wav", "pcm_s16le", None, 0.001),
    ("song.flac", "flac", None, 0.001),
    ("song.mp3", "libmp3lame", None, 0.003),
    ("song.m4a", "aac", "ipod", 0.003),
    ("song.opus", "libopus", "ogg", 0.003),
]


def _first_click(y: np.ndarray, sr: int) -> float:
    """Time where the first click's energy rises (song time of its attack) [s]."""
    env = np.abs(y)
    k = int(np.argmax(env > 0.3))
    return k / sr


@pytest.mark.parametrize(("name", "codec", "container", "tol"), FORMATS)
@pytest.mark.parametrize(("sr", "channels"), [(44100, 2), (48000, 1)])
def test_decodes_each_format_in_song_time(
    tmp_path: Path,
    name: str,
    codec: str,
    container: str | None,
    tol: float,
    sr: int,
    channels: int,
) -> None:
    y, clicks = click_track(sr=sr, duration=6.0, channels=channels)
    path = encode(tmp_path / name, y, sr, codec=codec, container=container)
    audio = load_audio(path, sr=22050)
    assert audio.sr == 22050
    assert audio.source_sr == (48000 if codec == "libopus" else sr)
    assert audio.source_channels == channels
    assert audio.y.ndim == 1
    assert audio.duration == pytest.approx(6.0, abs=0.03)
    assert _first_click(audio.y, audio.sr) == pytest.approx(clicks[0], abs=tol)


def test_ogg_vorbis_and_stereo_kept(tmp_path: Path) -> None:
    y, clicks = click_track(sr=32000, duration=5.5, channels=2)
    path = tmp_path / "song.ogg"
    sf.write(path, y.T, 32000, format="OGG", subtype="VORBIS")
    audio = load_audio(path, mono=False)
    assert audio.y.shape[0] == 2
    assert audio.sr == 32000
    assert audio.codec == "vorbis"
    assert _first_click(audio.y[0], audio.sr) == pytest.approx(clicks[0], abs=0.003)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(AudioFileNotFoundError, match=r"nope\.mp3: no such file"):
        load_audio(tmp_path / "nope.mp3")


def test_directory_is_not_a_song(tmp_path: Path) -> None:
    with pytest.raises(AudioFileNotFoundError, match="not a regular file"):
        load_audio(tmp_path)


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "empty.wav").write_bytes(b"")
    with pytest.raises(CorruptAudioError, match=r"empty\.wav: empty file"):
        load_audio(tmp_path / "empty.wav")


@pytest.mark.parametrize(
    ("name", "content", "what"),
    [
        ("notes.txt", b"these are my drum notes\n" * 20, "text"),
        ("cover.png", b"\x89PNG\r\n\x1a\n" + bytes(200), "PNG"),
        ("song.mp3", b"hello, I am not an mp3 at all\n" * 10, "text"),
    ],
)
def test_not_audio(tmp_path: Path, name: str, content: bytes, what: str) -> None:
    (tmp_path / name).write_bytes(content)
    with pytest.raises(NotAudioError, match=rf"{name}: not an audio file.*{what}"):
        load_audio(tmp_path / name)


def test_midi_is_unsupported(tmp_path: Path) -> None:
    from onebeat.demo import demo_midi_path

    target = tmp_path / "song.mid"
    target.write_bytes(demo_midi_path().read_bytes())
    with pytest.raises(UnsupportedFormatError, match=r"song\.mid: unsupported format.*MIDI"):
        load_audio(target)


def test_garbage_with_audio_name_is_corrupt(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    (tmp_path / "song.flac").write_bytes(
        b"fLaC" + rng.integers(0, 256, 5000, dtype=np.uint8).tobytes()
    )
    with pytest.raises(CorruptAudioError, match=r"song\.flac: corrupt"):
        load_audio(tmp_path / "song.flac")


def test_truncated_wav_header_is_corrupt(tmp_path: Path) -> None:
    y, _ = click_track(sr=8000, duration=6.0)
    path = encode(tmp_path / "song.wav", y, 8000, codec="pcm_s16le")
    (tmp_path / "cut.wav").write_bytes(path.read_bytes()[:30])
    with pytest.raises(CorruptAudioError, match=r"cut\.wav"):
        load_audio(tmp_path / "cut.wav")


def test_too_long(tmp_path: Path) -> None:
    y, _ = click_track(sr=8000, duration=70.0)
    path = encode(tmp_path / "long.flac", y, 8000, codec="flac")
    with pytest.raises(TooLongError, match=r"long\.flac: too long"):
        load_audio(path, max_duration=60.0)


def test_video_without_sound_is_unsupported(tmp_path: Path) -> None:
    import av

    path = tmp_path / "clip.mp4"
    with av.open(str(path), mode="w") as out:
        stream = out.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"  # type: ignore[union-attr]
        for i in range(10):
            img = np.full((48, 64, 3), i * 20, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            for packet in stream.encode(frame):  # type: ignore[union-attr]
                out.mux(packet)
        for packet in stream.encode(None):  # type: ignore[union-attr]
            out.mux(packet)
    with pytest.raises(
        UnsupportedFormatError, match=r"clip\.mp4: unsupported format: it has no audio"
    ):
        load_audio(path)


@pytest.mark.parametrize("fmt", ["WAV", "FLAC"])
def test_the_audio_hash_ignores_tags_the_file_hash_does_not(tmp_path: Path, fmt: str) -> None:
    from onebeat.audio import audio_sha256, file_sha256

    y = np.random.default_rng(0).normal(0, 0.1, 22050).astype(np.float32)
    plain, tagged, other = (tmp_path / f"{n}.{fmt.lower()}" for n in ("plain", "tagged", "other"))
    sf.write(plain, y, 22050, format=fmt)
    with sf.SoundFile(tagged, "w", 22050, 1, format=fmt) as f:
        f.title, f.artist = "Dynamite", "a fan's tags"
        f.write(y)
    sf.write(other, y[::-1].copy(), 22050, format=fmt)
    assert file_sha256(plain) != file_sha256(tagged)
    assert audio_sha256(plain) == audio_sha256(tagged)  # the same recording, tagged apart
    assert audio_sha256(other) != audio_sha256(plain)


def test_the_audio_hash_of_a_file_without_audio_says_so(tmp_path: Path) -> None:
    from onebeat.audio import audio_sha256

    junk = tmp_path / "notes.mp3"
    junk.write_bytes(b"not audio at all" * 100)
    with pytest.raises(CorruptAudioError, match=r"notes\.mp3"):
        audio_sha256(junk)
