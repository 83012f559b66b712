"""Decode the audio files people actually have into float arrays.

PyAV is used because its wheels carry FFmpeg's own decoders, so WAV, FLAC, Ogg
(Vorbis/Opus), MP3 and M4A/AAC all decode on a fresh machine with nothing from the
system; soundfile's libsndfile has no AAC. Resampling is done by soxr (high quality).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import soxr

from onebeat.errors import (
    AudioFileNotFoundError,
    CorruptAudioError,
    NotAudioError,
    TooLongError,
    UnsupportedFormatError,
)

__all__ = [
    "AUDIO_EXTENSIONS",
    "MAX_DURATION_S",
    "Audio",
    "audio_sha256",
    "file_sha256",
    "load_audio",
    "resample",
    "to_mono",
]

#: File name endings that onebeat treats as songs.
AUDIO_EXTENSIONS = frozenset(
    {
        ".wav",
        ".wave",
        ".flac",
        ".ogg",
        ".oga",
        ".opus",
        ".mp3",
        ".m4a",
        ".aac",
        ".mp4",
        ".aif",
        ".aiff",
        ".webm",
        ".mka",
        ".wma",
    }
)
#: Longest audio onebeat decodes [s]; songs are minutes, not hours.
MAX_DURATION_S = 20 * 60.0

# Leading bytes of files people mistake for songs, with the name we give them.
_NON_AUDIO_MAGIC = (
    (b"MThd", "a MIDI file"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"PK\x03\x04", "a ZIP archive"),
)


@dataclass(frozen=True)
class Audio:
    """Decoded audio.

    Attributes
    ----------
    y : np.ndarray
        Samples, float32 in [-1, 1]; shape ``(n,)`` if mono, else ``(channels, n)``.
    sr : int
        Sample rate [Hz].
    path : Path
        The file it came from.
    source_sr : int
        Sample rate of the file itself [Hz].
    source_channels : int
        Channel count of the file itself.
    codec : str
        FFmpeg's name of the codec (``"mp3"``, ``"aac"``, ``"flac"``, ...).
    """

    y: np.ndarray
    sr: int
    path: Path
    source_sr: int
    source_channels: int
    codec: str

    @property
    def duration(self) -> float:
        """Length [s]."""
        return float(self.y.shape[-1]) / self.sr


def file_sha256(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a file's bytes (the cache key of everything derived from it)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def audio_sha256(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a file's first audio stream as stored (its packets, not decoded),
    not of the file: the same recording with other tags, cover art or container metadata
    hashes alike (two players' copies of one purchase, tagged differently, are matched by
    it). Raises :class:`CorruptAudioError` for a file with no audio stream to read."""
    h = hashlib.sha256()
    try:
        with av.open(str(path)) as container:
            stream = next((s for s in container.streams if s.type == "audio"), None)
            if stream is None:
                raise CorruptAudioError(f"{path}: no audio stream in the file")
            for packet in container.demux(stream):
                if packet.size:
                    h.update(bytes(packet))
    except (av.error.FFmpegError, OSError) as exc:
        raise CorruptAudioError(f"{path}: cannot read its audio ({exc})") from None
    return h.hexdigest()


def to_mono(y: np.ndarray) -> np.ndarray:
    """Average channels: ``(channels, n)`` → ``(n,)``; mono input is returned as is."""
    return y if y.ndim == 1 else np.asarray(np.mean(y, axis=0, dtype=np.float32))


def resample(y: np.ndarray, *, orig_sr: int, target_sr: int) -> np.ndarray:
    """Resample along the last axis with soxr (VHQ); no-op when the rates agree."""
    if orig_sr == target_sr:
        return y
    if y.ndim == 1:
        return np.asarray(soxr.resample(y, orig_sr, target_sr, quality="VHQ"), dtype=np.float32)
    out = soxr.resample(y.T, orig_sr, target_sr, quality="VHQ")
    return np.ascontiguousarray(np.asarray(out, dtype=np.float32).T)


def _sniff_non_audio(path: Path) -> str | None:
    with open(path, "rb") as f:
        head = f.read(16)
    for magic, what in _NON_AUDIO_MAGIC:
        if head.startswith(magic):
            return what
    if head and all(b in b"\t\n\r" or 32 <= b < 127 for b in head):
        return "a text file"
    return None


def _open_error(path: Path, exc: Exception) -> Exception:
    what = _sniff_non_audio(path)
    if what == "a MIDI file":
        return UnsupportedFormatError(
            f"{path}: unsupported format: it is a MIDI file, not audio "
            "(give a recording: wav, flac, ogg, mp3 or m4a)"
        )
    if what is not None:
        return NotAudioError(f"{path}: not an audio file (it looks like {what})")
    if path.suffix.lower() in AUDIO_EXTENSIONS:
        return CorruptAudioError(f"{path}: corrupt or truncated audio file ({_ffmpeg_reason(exc)})")
    return NotAudioError(f"{path}: not an audio file ({_ffmpeg_reason(exc)})")


def _ffmpeg_reason(exc: Exception) -> str:
    msg = getattr(exc, "strerror", None) or str(exc)
    return str(msg).split(":")[0].strip().rstrip(".").lower() or type(exc).__name__


def song_title(path: str | os.PathLike[str]) -> str | None:
    """The title a song file's tags give it ("Artist – Title", or the title alone), read
    by FFmpeg through PyAV from the container's or the audio stream's tags (ID3, Vorbis
    comments, MP4 atoms...); None when it has none or does not open."""
    try:
        with av.open(str(path), mode="r", metadata_errors="ignore") as container:
            tags = {k.lower(): str(v).strip() for k, v in container.metadata.items()}
            if container.streams.audio:
                stream_tags = container.streams.audio[0].metadata.items()
                for k, v in stream_tags:
                    tags.setdefault(k.lower(), str(v).strip())
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError, OSError):
        return None
    title, artist = tags.get("title", ""), tags.get("artist", "")
    if not title:
        return None
    name = f"{artist} – {title}" if artist else title
    return " ".join(name.split())[:80]


def load_audio(
    path: str | os.PathLike[str],
    *,
    sr: int | None = None,
    mono: bool = True,
    max_duration: float = MAX_DURATION_S,
) -> Audio:
    """Decode an audio file.

    Parameters
    ----------
    path : str or PathLike
        The file: anything FFmpeg decodes (wav, flac, ogg, opus, mp3, m4a/aac, ...).
    sr : int, optional
        Target sample rate [Hz]; ``None`` keeps the file's own.
    mono : bool
        Average the channels into one.
    max_duration : float
        Refuse files longer than this [s].

    Returns
    -------
    Audio

    Raises
    ------
    AudioFileNotFoundError, NotAudioError, UnsupportedFormatError, CorruptAudioError,
    TooLongError
        Each with a one-line message naming the file.
    """
    p = Path(path)
    if not p.exists():
        raise AudioFileNotFoundError(f"{p}: no such file")
    if not p.is_file():
        raise AudioFileNotFoundError(f"{p}: not a regular file")
    if p.stat().st_size == 0:
        raise CorruptAudioError(f"{p}: empty file (0 bytes)")

    try:
        container = av.open(str(p), mode="r", metadata_errors="ignore")
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise _open_error(p, exc) from None

    chunks: list[np.ndarray] = []
    with container:
        if not container.streams.audio:
            # FFmpeg opens images and even text (its "tty" demuxer) as video: name them.
            if container.streams.video and _sniff_non_audio(p) is None:
                raise UnsupportedFormatError(f"{p}: unsupported format: it has no audio track")
            raise _open_error(p, ValueError("no audio stream"))
        stream = container.streams.audio[0]
        if stream.codec_context is None:  # a codec FFmpeg does not know (a WAV format tag)
            raise UnsupportedFormatError(f"{p}: unsupported audio codec in the file")
        codec = stream.codec_context.name
        source_sr = int(stream.codec_context.sample_rate or stream.rate or 0)
        channels = int(stream.codec_context.channels or 0)
        if source_sr <= 0 or channels <= 0:
            raise CorruptAudioError(f"{p}: corrupt audio header (no sample rate or channels)")
        # Convert whatever sample format the codec gives to float planar, same rate/layout.
        resampler = av.AudioResampler(format="fltp", layout=stream.layout, rate=source_sr)
        max_samples = int(max_duration * source_sr) + source_sr
        n = 0

        def keep(arr: np.ndarray) -> None:
            # each decoded block checked, clipped and mixed down as it comes: a long
            # song never lies in memory as its channels and again as their mix
            arr = arr.astype(np.float32, copy=False)
            if not np.all(np.isfinite(arr)):
                raise CorruptAudioError(f"{p}: audio decodes to invalid (non-finite) samples")
            np.clip(arr, -1.0, 1.0, out=arr)
            chunks.append(to_mono(arr) if mono else arr)

        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    arr = out.to_ndarray()
                    keep(arr)
                    n += arr.shape[1]
                if n > max_samples:
                    raise TooLongError(
                        f"{p}: too long (over {max_duration / 60:.0f} minutes); "
                        "cut the song to the part you want to play"
                    )
            for out in resampler.resample(None):
                keep(out.to_ndarray())
        except av.error.FFmpegError as exc:
            raise CorruptAudioError(f"{p}: corrupt audio data ({_ffmpeg_reason(exc)})") from None

    if not chunks or sum(c.shape[-1] for c in chunks) == 0:
        raise CorruptAudioError(f"{p}: no audio could be decoded")
    y = np.concatenate(chunks, axis=-1)
    chunks.clear()
    target_sr = source_sr if sr is None else int(sr)
    y = resample(y, orig_sr=source_sr, target_sr=target_sr)
    return Audio(
        y=y, sr=target_sr, path=p, source_sr=source_sr, source_channels=channels, codec=codec
    )
