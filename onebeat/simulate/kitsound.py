"""Drum kits heard through a microphone, made to measure hit detection against.

Each kit's strokes are rendered once in isolation (every piece at five velocities) with
FluidSynth from Debian's General MIDI soundfonts, and cut so that each starts at its
attack: the first sample at a tenth of its peak. A take is then those strokes added at
chosen sample positions (so its true attack times are exact), played into a simulated
room (early reflections and a reverberant tail), through a simulated microphone (its
low and high cut, its noise, clipping when hit hard), with the song coming out of a
speaker into the same room.

Kits used to tune the detector and to build the profile onebeat ships (:data:`TUNING`)
are kept apart from the kits it is measured on (:data:`HELD_OUT`). The ``synth`` kit is
onebeat's own drum synthesiser, there on every machine (tests use it where FluidSynth
is missing).

Needs Debian's ``fluidsynth`` and the soundfont packages named in the kits (see
README, "For developers"); :func:`have_kit` says whether a kit can be made here.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mido
import mir_eval
import numpy as np
import soundfile as sf
from scipy.signal import butter, fftconvolve, sosfilt

from onebeat.audio.drumsynth import drum_sound
from onebeat.kit import GM_NOTES, DrumPiece

SR = 44100
SF2 = Path("/usr/share/sounds/sf2")
VELOCITIES = (35, 55, 75, 95, 120)
#: The GM notes a kit is rendered at, one per piece: the standard ones, but the low
#: floor tom (41) for the floor tom, further from the mid tom.
NOTES = {**GM_NOTES, DrumPiece.TOM_FLOOR: 41}


@dataclass(frozen=True)
class Kit:
    name: str
    soundfont: Path | None  # None: onebeat's synthesiser
    program: int = 0
    drum_channel: bool = True  # plays on channel 10 (bank 128), else as program 0


TUNING = (
    Kit("TimGM6mb standard", SF2 / "TimGM6mb.sf2"),
    Kit("csound GM standard", SF2 / "sf_GMbank.sf2"),
    Kit("AVL Black Pearl", SF2 / "Black_Pearl_4_LV2.sf2", drum_channel=False),
    Kit("MuseScore standard", Path("/usr/share/sounds/sf3/MuseScore_General_Lite.sf3")),
)
HELD_OUT = (
    Kit("FluidR3 standard", SF2 / "FluidR3_GM.sf2", 0),
    Kit("FluidR3 room", SF2 / "FluidR3_GM.sf2", 8),
    Kit("FluidR3 power", SF2 / "FluidR3_GM.sf2", 16),
    Kit("FluidR3 jazz", SF2 / "FluidR3_GM.sf2", 32),
    Kit("AVL Red Zeppelin", SF2 / "Red_Zeppelin_4_LV2.sf2", drum_channel=False),
)
SYNTH = Kit("onebeat synth", None)


def have_kit(kit: Kit) -> bool:
    return kit.soundfont is None or (
        shutil.which("fluidsynth") is not None and kit.soundfont.exists()
    )


def _cache() -> Path:
    root = Path(os.environ.get("ONEBEAT_CACHE_DIR", Path.home() / ".cache" / "onebeat"))
    d = root / "kits"
    d.mkdir(parents=True, exist_ok=True)
    return d


def _trim(y: np.ndarray) -> np.ndarray:
    """A stroke from its attack (first sample at a tenth of its peak), 1.5 s at most."""
    y = y[: 2 * SR]
    peak = float(np.max(np.abs(y[: SR // 5]))) if len(y) else 0.0
    if peak <= 0:
        raise RuntimeError("a silent stroke")
    start = int(np.flatnonzero(np.abs(y) >= 0.1 * peak)[0])
    out = y[start : start + round(1.5 * SR)].astype(np.float32)
    fade = min(len(out), SR // 20)
    out[-fade:] *= np.linspace(1, 0, fade, dtype=np.float32)
    return out


def strokes(kit: Kit) -> dict[tuple[DrumPiece, int], np.ndarray]:
    """Every piece at every velocity of :data:`VELOCITIES`, each starting at its attack."""
    if kit.soundfont is None:
        return {
            (p, v): _trim(drum_sound(p, SR)) * np.float32(v / 127)
            for p in NOTES
            for v in VELOCITIES
        }
    key = hashlib.sha256(f"{kit}{VELOCITIES}{NOTES}v1".encode()).hexdigest()[:16]
    cached = _cache() / f"{key}.npz"
    order = [(p, v) for p in NOTES for v in VELOCITIES]
    if not cached.exists():
        gap = 2 * SR
        ch = 9 if kit.drum_channel else 0
        mid = mido.MidiFile(ticks_per_beat=480)  # 120 BPM: 960 ticks a second
        tr = mido.MidiTrack()
        mid.tracks.append(tr)
        tr.append(mido.Message("program_change", channel=ch, program=kit.program, time=0))
        for i, (p, v) in enumerate(order):
            tr.append(
                mido.Message(
                    "note_on", channel=ch, note=NOTES[p], velocity=v, time=960 if i else 480
                )
            )
            tr.append(mido.Message("note_off", channel=ch, note=NOTES[p], velocity=0, time=960))
        with tempfile.TemporaryDirectory() as tmp:
            m, w = Path(tmp) / "k.mid", Path(tmp) / "k.wav"
            mid.save(m)
            cmd = ["fluidsynth", "-ni", "-q", "-g", "0.6", "-r", str(SR), "-R", "0", "-C", "0"]
            subprocess.run(
                [*cmd, "-F", str(w), str(kit.soundfont), str(m)],
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            y, sr = sf.read(w, dtype="float32", always_2d=True)
        assert sr == SR
        mono = y.mean(axis=1)
        cut = {
            f"s{i}": _trim(
                mono[round((0.5 + i * 2) * SR) - SR // 100 : round((0.5 + i * 2) * SR) + gap]
            )
            for i in range(len(order))
        }
        np.savez_compressed(cached, **cut)  # type: ignore[arg-type]
    with np.load(cached) as z:
        return {pv: z[f"s{i}"] for i, pv in enumerate(order)}


# ---------------------------------------------------------------------- performances
Stroke = tuple[float, DrumPiece, int]  # (time [s], piece, velocity)


def groove(
    rng: np.random.Generator, *, bars: int = 8, bpm: float | None = None, start: float = 0.5
) -> list[Stroke]:
    """A drummer's groove: hi-hat or ride time, kick and snare, ghost notes, a tom fill
    every fourth bar and a crash on the next downbeat, played with a human's spread."""
    bpm = bpm or float(rng.uniform(72, 165))
    beat = 60 / bpm
    sixteenths = bpm < 110 and rng.random() < 0.5
    ride = rng.random() < 0.2
    lean = rng.normal(0, 0.004)
    out: list[Stroke] = []

    def put(pos: float, piece: DrumPiece, vel: int) -> None:
        jitter = float(rng.normal(lean, 0.007))
        out.append(
            (start + pos * beat + jitter, piece, int(np.clip(vel + rng.normal(0, 8), 20, 127)))
        )

    for bar in range(bars):
        b0 = bar * 4
        fill = bar % 4 == 3
        for step in range(16 if sixteenths else 8):
            pos = b0 + step * (0.25 if sixteenths else 0.5)
            if fill and pos >= b0 + 2:
                break
            on_beat = step % (4 if sixteenths else 2) == 0
            if bar % 4 == 0 and pos == b0 and bar:
                out.append((start + pos * beat, DrumPiece.CRASH, 115))
            else:
                top = DrumPiece.RIDE if ride else DrumPiece.HIHAT_CLOSED
                if not ride and not on_beat and rng.random() < 0.08:
                    top = DrumPiece.HIHAT_OPEN
                put(pos, top, 95 if on_beat else 70)
        for k in (0, 2):
            put(b0 + k, DrumPiece.KICK, 110)
        if rng.random() < 0.6:
            put(b0 + (2.5 if rng.random() < 0.5 else 1.5), DrumPiece.KICK, 90)
        put(b0 + 1, DrumPiece.SNARE, 115)
        if not fill:
            put(b0 + 3, DrumPiece.SNARE, 115)
            if rng.random() < 0.5:
                put(b0 + 3.75, DrumPiece.SNARE, 45)  # a ghost note
        else:
            toms = [DrumPiece.TOM_HIGH, DrumPiece.TOM_MID, DrumPiece.TOM_FLOOR]
            for j in range(8):
                put(b0 + 2 + j * 0.25, toms[min(2, j // 3)] if j < 7 else DrumPiece.SNARE, 100)
    # strokes on one beat land together; different moments stay 45 ms apart at least
    out.sort()
    kept: list[Stroke] = []
    for s in out:
        if kept and 0 < abs(s[0] - kept[-1][0]) < 0.045:
            s = (kept[-1][0], s[1], s[2])  # a near-simultaneous stroke: played together
        if not any(k[1] is s[1] and abs(k[0] - s[0]) < 0.045 for k in kept):
            kept.append(s)
    return sorted(kept)


def calibration(
    pieces: list[DrumPiece], rng: np.random.Generator, per: int = 8, start: float = 0.5
) -> list[Stroke]:
    """Each piece struck ``per`` times (0.45 s apart, cymbals 1 s: let them ring; varied
    velocity), a pause between pieces."""
    out: list[Stroke] = []
    t = start
    for p in pieces:
        for _ in range(per):
            out.append((t, p, int(rng.integers(60, 125))))
            ring = p in (DrumPiece.CRASH, DrumPiece.RIDE, DrumPiece.HIHAT_OPEN)
            t += (1.0 if ring else 0.45) + float(rng.uniform(-0.05, 0.05))
        t += 1.2
    return out


def play(
    kit_strokes: dict[tuple[DrumPiece, int], np.ndarray],
    performance: list[Stroke],
    n: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """The performance, dry: each stroke's nearest velocity, ±1.5 dB, at its exact sample."""
    y = np.zeros(n, dtype=np.float32)
    for t, piece, vel in performance:
        v = min(VELOCITIES, key=lambda x: abs(x - vel))
        s = kit_strokes[(piece, v)] * np.float32(10 ** (rng.uniform(-1.5, 1.5) / 20) * vel / v)
        i = round(t * SR)
        if 0 <= i < n:
            y[i : i + len(s)] += s[: n - i]
    return y


@dataclass(frozen=True)
class Room:
    rt60: float  # reverberation time [s]
    drr_db: float  # direct sound over reverberant sound [dB]
    low_cut: float  # the microphone's [Hz]
    high_cut: float
    noise_db: float  # the microphone's noise under the drums' RMS [dB]
    bleed_db: float  # the song's RMS against the drums' RMS [dB] (-inf: headphones)
    bleed_delay_s: float  # speaker to microphone, not known to the listener
    gain_db: float  # drums' peak before the converter [dBFS]; above 0 clips

    @classmethod
    def draw(cls, rng: np.random.Generator, *, bleed: bool = True) -> Room:
        return cls(
            rt60=float(rng.uniform(0.15, 0.8)),
            drr_db=float(rng.uniform(3, 15)),
            low_cut=float(rng.choice([30.0, 80.0, 150.0])),
            high_cut=float(rng.uniform(7000, 18000)),
            noise_db=float(rng.uniform(-55, -35)),
            bleed_db=float(rng.uniform(-22, -8)) if bleed else -np.inf,
            bleed_delay_s=float(rng.uniform(0.0, 0.012)),
            gain_db=float(rng.uniform(-12, 1)),
        )


def _ir(room: Room, rng: np.random.Generator) -> np.ndarray:
    n = round(room.rt60 * SR)
    t = np.arange(n) / SR
    tail = rng.standard_normal(n) * np.exp(-6.9 * t / room.rt60)
    tail[: round(0.003 * SR)] = 0  # the first reflection after 3 ms
    tail *= 10 ** (-room.drr_db / 20) / (np.sqrt(np.sum(tail**2)) + 1e-12)
    tail[0] += 1.0
    return tail.astype(np.float32)


def microphone(
    drums: np.ndarray, room: Room, rng: np.random.Generator, song: np.ndarray | None = None
) -> np.ndarray:
    """The drums (and the song from a speaker) as the microphone records them."""
    ir = _ir(room, rng)
    y = fftconvolve(drums, ir)[: len(drums)]
    rms = float(np.sqrt(np.mean(y**2))) + 1e-12
    if song is not None and np.isfinite(room.bleed_db):
        d = round(room.bleed_delay_s * SR)
        s = np.zeros_like(y)
        s[d:] = song[: len(y) - d]
        s = fftconvolve(s, ir)[: len(y)]
        y = y + s * (rms / (float(np.sqrt(np.mean(s**2))) + 1e-12) * 10 ** (room.bleed_db / 20))
    y = y + rng.standard_normal(len(y)) * rms * 10 ** (room.noise_db / 20)
    y = sosfilt(butter(2, room.low_cut, "high", fs=SR, output="sos"), y)
    y = sosfilt(butter(2, min(room.high_cut, 0.45 * SR), "low", fs=SR, output="sos"), y)
    y = y / (float(np.max(np.abs(y))) + 1e-12) * 10 ** (room.gain_db / 20)
    return np.asarray(np.clip(y, -1.0, 1.0), dtype=np.float32)


def piece_group(p: DrumPiece) -> str:
    """kick, snare, hihat (closed, open, pedal) or other: how classification is scored."""
    if p in (DrumPiece.HIHAT_CLOSED, DrumPiece.HIHAT_OPEN, DrumPiece.HIHAT_PEDAL):
        return "hihat"
    return str(p) if p in (DrumPiece.KICK, DrumPiece.SNARE) else "other"


def named(
    perf: list[Stroke], truth: np.ndarray, hits: list[Any], window: float = 0.02
) -> tuple[int, int, int, int]:
    """How well heard strokes (with ``sample`` and ``pieces``) were named, on the onsets
    found within ``window`` of the true ones (``truth``: the performance's onset times):
    (right, total) over true kick / snare / hi-hat strokes, each right when named; and
    (exact, onsets) over onsets of only those pieces, each exact when its pieces are
    named and no other is made up (a made-up kick under a hi-hat is a stray note for
    the player)."""
    est = np.array([h.sample / SR for h in hits])
    right = total = exact = onsets = 0
    for i, j in mir_eval.util.match_events(truth, est, window):
        heard = {piece_group(p) for p in hits[j].pieces}
        true = {piece_group(s[1]) for s in perf if s[0] == truth[i]}
        total += len(true - {"other"})
        right += len((true - {"other"}) & heard)
        if "other" not in true:
            onsets += 1
            exact += heard == true
    return right, total, exact, onsets


__all__ = [
    "HELD_OUT",
    "NOTES",
    "SR",
    "SYNTH",
    "TUNING",
    "Kit",
    "Room",
    "calibration",
    "groove",
    "have_kit",
    "microphone",
    "named",
    "piece_group",
    "play",
    "strokes",
]
