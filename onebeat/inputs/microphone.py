"""An acoustic kit through a microphone: a local audio device, or one streamed from a
browser, turned into hits by :class:`~onebeat.hearing.HitListener`.

:class:`MicStream` is the part both share: blocks of samples in, each with the song
time of its first sample, hits out (one per piece struck: a kick and hi-hat together
are two hits at one time). The browser's AudioWorklet chunks reach it through the web
app; :class:`MicrophoneInput` (backend ``"microphone"``) feeds it from PortAudio
(python-sounddevice), putting each block in song time from the player's clock and the
block's capture time.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import ModuleType
from typing import Any, ClassVar

import numpy as np

from onebeat.engine import Hit
from onebeat.errors import InputError
from onebeat.hearing import (
    HeardHit,
    HitListener,
    KitProfile,
    Reference,
    default_profile,
    detect_hits,
)
from onebeat.inputs.base import Clock, InputSource, register
from onebeat.kit import DrumPiece

__all__ = ["MicStream", "MicrophoneInput", "for_part", "hits_of"]


def for_part(profile: KitProfile | None, part: Iterable[DrumPiece] | None) -> KitProfile | None:
    """The kit (None: the one onebeat ships) as it is heard for a part (the pieces the
    chart plays; None: every piece): see :meth:`KitProfile.for_part`."""
    if part is None:
        return profile
    return (profile if profile is not None else default_profile()).for_part(part)


def hits_of(player: str, heard: HeardHit) -> list[Hit]:
    """The judge's hits for one heard stroke: one per piece."""
    return [Hit(player, heard.time, piece, heard.velocity) for piece in heard.pieces]


class MicStream:
    """One player's microphone as hits.

    Parameters
    ----------
    player : str
    sr : int
        The microphone's sample rate [Hz].
    profile : KitProfile or None
        The player's kit (None: the profile onebeat ships).
    reference : Reference or None
        The song as it is played to the room, taken out of the signal.
    speed : float
        The practice speed (song seconds per second).
    part : iterable of DrumPiece or None
        The pieces the player's chart plays: strokes are named among them and the kick,
        snare and hi-hats (None: among every piece of the kit).
    """

    def __init__(
        self,
        player: str,
        *,
        sr: int,
        profile: KitProfile | None = None,
        reference: Reference | None = None,
        speed: float = 1.0,
        part: Iterable[DrumPiece] | None = None,
    ) -> None:
        if not 8000 <= sr <= 192000:
            raise InputError(f"microphone: a sample rate of {sr} Hz is not a microphone's")
        self.player = player
        self.listener = HitListener(
            sr=sr, profile=for_part(profile, part), reference=reference, speed=speed
        )

    @property
    def sr(self) -> int:
        return self.listener.sr

    def feed(self, y: np.ndarray, t0: float | None = None) -> list[Hit]:
        """The hits decided once this block is in (``t0``: its first sample's song time)."""
        return [h for s in self.listener.feed(y, t0) for h in hits_of(self.player, s)]


@register("microphone")
class MicrophoneInput(InputSource):
    """A microphone on this machine (PortAudio), as one player's hits.

    Parameters
    ----------
    clock : Clock
        Song time being heard now [s].
    player : str
    device : int or str or None
        PortAudio's input device (None: the default one).
    sr : int or None
        Sample rate (None: the device's own).
    profile, reference, speed
        As :class:`MicStream`.
    blocksize : int
        Samples per callback (256: 5.8 ms at 44.1 kHz).
    backend : module or None
        The sounddevice module (tests give a stand-in).

    Raises
    ------
    InputError
        When PortAudio is missing or the device cannot be opened.
    """

    kind: ClassVar[str] = "microphone"

    def __init__(
        self,
        *,
        clock: Clock,
        player: str = "player 1",
        device: int | str | None = None,
        sr: int | None = None,
        profile: KitProfile | None = None,
        reference: Reference | None = None,
        speed: float = 1.0,
        blocksize: int = 256,
        backend: ModuleType | None = None,
    ) -> None:
        super().__init__()
        sd = backend if backend is not None else _sounddevice()
        self.clock = clock
        self.speed = speed
        try:
            rate = int(sr or sd.query_devices(device, "input")["default_samplerate"])
            self.mic = MicStream(player, sr=rate, profile=profile, reference=reference, speed=speed)
            self._stream = sd.InputStream(
                samplerate=rate,
                channels=1,
                dtype="float32",
                blocksize=blocksize,
                device=device,
                latency="low",
                callback=self._callback,
            )
            self._stream.start()
        except InputError:
            raise
        except Exception as exc:  # PortAudioError, ValueError: no such device
            raise InputError(f"microphone {device or '(default)'}: {exc}") from None

    def _callback(self, indata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        # the block's first sample was captured (now - ADC time) ago; the clock says what
        # song time is being heard now
        ago = max(0.0, float(time_info.currentTime - time_info.inputBufferAdcTime))
        t0 = self.clock() - ago * self.speed
        for hit in self.mic.feed(np.asarray(indata[:, 0]), t0):
            self.emit(hit)

    def close(self) -> None:
        if not self.closed:
            self._stream.stop()
            self._stream.close()
        super().close()


def _sounddevice() -> ModuleType:
    try:
        import sounddevice
    except OSError as exc:  # the module imports, PortAudio's library does not load
        raise InputError(
            f"microphone: PortAudio is not installed ({exc}); on Debian: apt-get install "
            "libportaudio2"
        ) from None
    return sounddevice  # type: ignore[no-any-return]


# ---------------------------------------------------------------------- recordings
#: A recording's song is taken as heard when its alignment stands this many standard
#: deviations over the cross-correlation's spread.
HEARD_Z = 4.0


def align_song(*, y: np.ndarray, song: np.ndarray, sr: int) -> tuple[float, float]:
    """Where a recording is in the song: (song time of its first sample [s], confidence).

    The onset envelopes are cross-correlated (11.6 ms steps), then the waveforms around
    the best lag (±12 ms, one-sample steps). The confidence is how many standard
    deviations the envelope correlation's peak stands over the rest (under
    :data:`HEARD_Z`: the song was not heard in the recording).
    """
    import librosa
    from scipy.signal import butter, correlate, sosfilt

    hop = 256
    a = librosa.onset.onset_strength(y=np.asarray(y, dtype=np.float32), sr=sr, hop_length=hop)
    b = librosa.onset.onset_strength(y=np.asarray(song, dtype=np.float32), sr=sr, hop_length=hop)
    a, b = a - a.mean(), b - b.mean()
    c = correlate(a, b, mode="full", method="fft")  # lag k: a[n] ~ b[n - k]
    best = int(np.argmax(c))
    z = float((c[best] - np.median(c)) / (np.std(c) + 1e-12))
    lag = (best - (len(b) - 1)) * hop  # the song's start is at this recording sample
    # refine on the waveforms (mid frequencies: the song, more than the kit's low end)
    sos = butter(4, [300, 4000], "band", fs=sr, output="sos")
    width = round(0.012 * sr)
    lo = max(0, lag) + width
    n = min(len(y) - lo, len(song) - (lo - lag) - width, 30 * sr)
    if n > sr:
        seg = sosfilt(sos, y[lo - width : lo + n + width])
        ref = sosfilt(sos, song[lo - lag : lo - lag + n])
        fine = correlate(seg, ref, mode="valid", method="fft")
        lag += int(np.argmax(fine)) - width
    return -lag / sr, z


def hear_recording(
    *,
    y: np.ndarray,
    sr: int,
    player: str,
    song: np.ndarray | None = None,
    start_s: float | None = None,
    profile: KitProfile | None = None,
    part: Iterable[DrumPiece] | None = None,
) -> tuple[list[Hit], float, bool]:
    """The hits in a recording of someone playing along to a song, in song time.

    Parameters
    ----------
    y : np.ndarray
        The recording, mono.
    song : np.ndarray or None
        The song at ``sr``, mono: found in the recording (its start) and taken out.
    start_s : float or None
        Song time of the recording's first sample [s], when known (then no alignment).
    part : iterable of DrumPiece or None
        The pieces the chart plays (see :class:`MicStream`).

    Returns
    -------
    (hits, start_s, song_heard)
    """
    heard = False
    if start_s is None:
        start_s = 0.0
        if song is not None:
            at, z = align_song(y=y, song=song, sr=sr)
            if z >= HEARD_Z:
                start_s, heard = at, True
    elif song is not None:
        heard = True
    ref = Reference(song, sr) if heard and song is not None else None
    heard_hits = detect_hits(y=y, sr=sr, profile=for_part(profile, part), reference=ref, t0=start_s)
    return [h for s in heard_hits for h in hits_of(player, s)], start_s, heard
