"""Audio in and out: decoding any song file, resampling, mixing."""

from onebeat.audio.decode import (
    AUDIO_EXTENSIONS,
    MAX_DURATION_S,
    Audio,
    audio_sha256,
    file_sha256,
    load_audio,
    resample,
    song_title,
    to_mono,
)
from onebeat.audio.encode import write_ogg_vorbis

__all__ = [
    "AUDIO_EXTENSIONS",
    "MAX_DURATION_S",
    "Audio",
    "audio_sha256",
    "file_sha256",
    "load_audio",
    "resample",
    "song_title",
    "to_mono",
    "write_ogg_vorbis",
]
