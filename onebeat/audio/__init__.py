"""Audio in and out: decoding any song file, resampling, mixing."""

from onebeat.audio.decode import (
    AUDIO_EXTENSIONS,
    MAX_DURATION_S,
    Audio,
    file_sha256,
    load_audio,
    resample,
    to_mono,
)

__all__ = [
    "AUDIO_EXTENSIONS",
    "MAX_DURATION_S",
    "Audio",
    "file_sha256",
    "load_audio",
    "resample",
    "to_mono",
]
