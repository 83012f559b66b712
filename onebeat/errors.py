"""One root exception, :class:`OnebeatError`, and its clear subclasses.

Every error a user can cause (a missing file, a corrupt song, a malformed SongMap) is
raised as a subclass of :class:`OnebeatError` whose message is one line naming the
file or field at fault; the CLI prints that line and exits non-zero.
"""

from __future__ import annotations

__all__ = [
    "AnalysisError",
    "AudioError",
    "AudioFileNotFoundError",
    "BackendUnavailableError",
    "CalibrationError",
    "ChartError",
    "CorruptAudioError",
    "InputError",
    "NotAudioError",
    "OnebeatError",
    "RoomError",
    "SessionError",
    "SilentAudioError",
    "SongMapError",
    "TooLongError",
    "TooShortError",
    "UnsupportedFormatError",
]


class OnebeatError(Exception):
    """Root of every error onebeat raises on purpose."""


class AudioError(OnebeatError):
    """An audio file could not be used."""


class AudioFileNotFoundError(AudioError, FileNotFoundError):
    """The audio file does not exist or is not a regular file."""


class NotAudioError(AudioError):
    """The file is readable but holds no audio (text, image, ...)."""


class UnsupportedFormatError(AudioError):
    """The file is of a kind onebeat does not take as a song (MIDI, video without sound, ...)."""


class CorruptAudioError(AudioError):
    """The file claims to be audio but cannot be decoded."""


class SilentAudioError(AudioError):
    """The audio decodes but is (digitally) silent."""


class TooShortError(AudioError):
    """The audio is too short to carry a beat."""


class TooLongError(AudioError):
    """The audio is longer than onebeat analyses."""


class AnalysisError(OnebeatError):
    """Analysis ran but could not find what it needs (e.g. no steady beat)."""


class BackendUnavailableError(AnalysisError):
    """The named analysis backend is unknown or its package is not installed."""


class SongMapError(OnebeatError):
    """A SongMap file is malformed, of another version, or inconsistent."""


class ChartError(OnebeatError):
    """A chart is empty, inconsistent, or a chart file cannot be read."""


class CalibrationError(OnebeatError, ValueError):
    """Too few usable taps to calibrate an input's latency."""


class InputError(OnebeatError):
    """An input device or take file cannot be used (unplugged, unknown, malformed)."""


class SessionError(OnebeatError):
    """A saved session is missing, damaged, or of a newer format."""


class RoomError(OnebeatError):
    """A message to a take, lesson or set-up that does not fit its state (a hit before
    ``start``, a player the room does not have)."""
