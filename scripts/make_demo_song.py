"""Compose, render and encode onebeat's bundled demo song, with its exact ground truth.

The song ("First Beat", 116 BPM, 4/4, A minor / C major) is written here note by
note: intro (keys, then drums come in), verse, chorus, verse, chorus, outro, with a
drum kit, finger bass, electric piano, strings and a synth lead. It is rendered by
FluidSynth with the FluidR3 General MIDI soundfont (Debian: ``fluidsynth``,
``fluid-soundfont-gm``) and encoded to Ogg Vorbis.

Ground truth comes from the MIDI ticks themselves (after humanisation), so it is exact
for what was rendered: every beat, downbeat, section and drum hit.

Usage::

    python scripts/make_demo_song.py [OUTDIR]    # default: onebeat/data/demo

Only needed to change the song; the rendered files are committed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import mido
import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from onebeat.audio.encode import write_ogg_vorbis  # noqa: E402
from onebeat.kit import gm_note_to_piece  # noqa: E402

SF2 = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
SR = 44100
PPQ = 960
BPM = 116
TEMPO_US = round(60_000_000 / BPM)  # MIDI tempo [µs per quarter note]
SEC_PER_TICK = TEMPO_US / 1e6 / PPQ
LEAD_IN_BEATS = 1  # one silent beat before the first bar
NAME = "onebeat-demo"

# General MIDI drum notes
KICK, SNARE, SIDESTICK, CHH, PHH, OHH = 36, 38, 37, 42, 44, 46
CRASH, RIDE, TOM_HI, TOM_MID, TOM_FLOOR = 49, 51, 50, 47, 43

# Am F C G, as (root MIDI note in octave 3, quality)
PROGRESSION = [(57, "min"), (53, "maj"), (48, "maj"), (55, "maj")]
TRIAD = {"maj": (0, 4, 7), "min": (0, 3, 7)}

# (name, bars)
SECTIONS = [("intro", 4), ("verse", 8), ("chorus", 8), ("verse", 8), ("chorus", 8), ("outro", 2)]

# Chorus melody, 4 bars, as (bar, beat, length in beats, MIDI pitch); played twice, the
# second time with its own last two bars.
HOOK_A = [
    (0, 0.0, 1.0, 76),
    (0, 1.0, 0.5, 76),
    (0, 1.5, 0.5, 74),
    (0, 2.0, 1.0, 72),
    (0, 3.0, 1.0, 69),
    (1, 0.0, 1.5, 72),
    (1, 1.5, 0.5, 74),
    (1, 2.0, 1.0, 76),
    (1, 3.0, 1.0, 72),
    (2, 0.0, 1.0, 79),
    (2, 1.0, 1.0, 76),
    (2, 2.0, 0.5, 74),
    (2, 2.5, 0.5, 72),
    (2, 3.0, 1.0, 74),
    (3, 0.0, 2.0, 74),
    (3, 2.0, 1.5, 71),
]
HOOK_B_END = [
    (2, 0.0, 0.5, 79),
    (2, 0.5, 0.5, 81),
    (2, 1.0, 1.0, 79),
    (2, 2.0, 1.0, 76),
    (2, 3.0, 1.0, 74),
    (3, 0.0, 1.0, 74),
    (3, 1.0, 1.0, 76),
    (3, 2.0, 2.0, 74),
]

rng = np.random.default_rng(116)


@dataclass
class Track:
    name: str
    channel: int
    program: int
    notes: list[tuple[int, int, int, int]] = field(default_factory=list)  # tick, len, pitch, vel

    def add(self, tick: int, length: int, pitch: int, vel: int) -> None:
        self.notes.append((max(0, tick), max(1, length), pitch, int(np.clip(vel, 1, 127))))

    def to_midi(self) -> mido.MidiTrack:
        events: list[tuple[int, int, mido.Message]] = []
        for tick, length, pitch, vel in self.notes:
            events.append(
                (tick, 1, mido.Message("note_on", channel=self.channel, note=pitch, velocity=vel))
            )
            events.append(
                (
                    tick + length,
                    0,
                    mido.Message("note_off", channel=self.channel, note=pitch, velocity=0),
                )
            )
        events.sort(key=lambda e: (e[0], e[1]))
        track = mido.MidiTrack()
        track.append(mido.MetaMessage("track_name", name=self.name, time=0))
        if self.channel != 9:
            track.append(
                mido.Message("program_change", channel=self.channel, program=self.program, time=0)
            )
        now = 0
        for tick, _, msg in events:
            track.append(msg.copy(time=tick - now))
            now = tick
        return track


def beat_tick(bar: int, beat: float) -> int:
    """Tick of a position: bar (0-based, from the first bar) and beat (0-based, fractional)."""
    return round((LEAD_IN_BEATS + bar * 4 + beat) * PPQ)


def human(tick: int, sd_ms: float = 3.0) -> int:
    """Humanise a tick by Gaussian timing noise [ms SD]."""
    return tick + round(rng.normal(0.0, sd_ms) / 1000.0 / SEC_PER_TICK)


class Song:
    def __init__(self) -> None:
        self.drums = Track("drums", 9, 0)
        self.bass = Track("bass", 0, 33)  # electric bass (finger)
        self.keys = Track("keys", 1, 4)  # electric piano 1
        self.pad = Track("strings", 2, 49)  # string ensemble 2
        self.lead = Track("lead", 3, 80)  # lead 1 (square)

    def hit(self, bar: int, beat: float, note: int, vel: int) -> None:
        self.drums.add(human(beat_tick(bar, beat)), PPQ // 8, note, vel + int(rng.normal(0, 5)))

    def chord(
        self,
        track: Track,
        bar: int,
        beat: float,
        beats: float,
        root: int,
        quality: str,
        vel: int,
        octave: int = 12,
    ) -> None:
        for iv in TRIAD[quality]:
            track.add(
                human(beat_tick(bar, beat), 6),
                round(beats * PPQ * 0.95),
                root + octave + iv,
                vel + int(rng.normal(0, 4)),
            )

    # --- drum patterns -------------------------------------------------------------
    def groove_verse(self, bar: int) -> None:
        for e in range(8):
            self.hit(bar, e / 2, CHH, 88 if e % 2 == 0 else 62)
        self.hit(bar, 0, KICK, 104)
        self.hit(bar, 2, KICK, 98)
        if bar % 2 == 1:
            self.hit(bar, 2.5, KICK, 84)
        self.hit(bar, 1, SNARE, 100)
        self.hit(bar, 3, SNARE, 104)

    def groove_chorus(self, bar: int, crash: bool) -> None:
        for e in range(8):
            if e == 7:
                self.hit(bar, 3.5, OHH, 86)
            elif not (crash and e == 0):
                self.hit(bar, e / 2, CHH, 96 if e % 2 == 0 else 70)
        if crash:
            self.hit(bar, 0, CRASH, 112)
        for beat, vel in ((0, 110), (1.5, 92), (2, 104), (2.5, 80)):
            self.hit(bar, beat, KICK, vel)
        self.hit(bar, 1, SNARE, 108)
        self.hit(bar, 3, SNARE, 112)

    def fill(self, bar: int) -> None:
        """Groove for beats 1–2, then a sixteenth-note fill down the toms on 3–4."""
        for e in range(4):
            self.hit(bar, e / 2, CHH, 84 if e % 2 == 0 else 60)
        self.hit(bar, 0, KICK, 104)
        self.hit(bar, 1, SNARE, 100)
        for k, note in enumerate(
            (SNARE, SNARE, TOM_HI, TOM_HI, TOM_MID, TOM_MID, TOM_FLOOR, TOM_FLOOR)
        ):
            self.hit(bar, 2 + k / 4, note, 86 + 3 * k)
        self.hit(bar, 3.5, KICK, 96)

    # --- the arrangement -----------------------------------------------------------
    def compose(self) -> list[tuple[str, int, int]]:
        """Write every part; return the sections as (name, first bar, bars)."""
        sections: list[tuple[str, int, int]] = []
        bar0 = 0
        for s_idx, (name, n_bars) in enumerate(SECTIONS):
            sections.append((name, bar0, n_bars))
            for i in range(n_bars):
                bar = bar0 + i
                root, quality = PROGRESSION[bar % 4]
                last = i == n_bars - 1
                self.harmony(name, bar, i, root, quality)
                self.bassline(name, bar, i, root)
                self.drum_bar(name, bar, i, last, s_idx)
                if name == "chorus":
                    self.melody(bar, i)
            bar0 += n_bars
        # the final chord rings: crash + kick on the bar after the outro
        end_root, end_q = PROGRESSION[0]
        self.hit(bar0, 0, CRASH, 118)
        self.hit(bar0, 0, KICK, 110)
        self.chord(self.keys, bar0, 0, 4, end_root, end_q, 70)
        self.chord(self.pad, bar0, 0, 4, end_root, end_q, 60)
        self.bass.add(beat_tick(bar0, 0), 3 * PPQ, end_root - 12, 96)
        return sections

    def harmony(self, name: str, bar: int, i: int, root: int, quality: str) -> None:
        if name == "intro" or name == "outro":
            self.chord(self.keys, bar, 0, 4, root, quality, 66)
            self.chord(self.pad, bar, 0, 4, root, quality, 50)
        elif name == "verse":
            # syncopated pop stabs on 1, the and of 2, and 4; broken-chord eighths every
            # other bar
            for beat, length, vel in ((0, 1.2, 68), (1.5, 1.0, 60), (3, 0.8, 62)):
                self.chord(self.keys, bar, beat, length, root, quality, vel)
            if i % 2 == 1:
                tones = [root + 24 + iv for iv in TRIAD[quality]]
                for e, pitch in enumerate(tones + tones[::-1] + tones[:2]):
                    self.keys.add(human(beat_tick(bar, e / 2), 4), PPQ // 3, pitch, 46)
        else:  # chorus: sustained strings and driving eighth-note keys
            self.chord(self.pad, bar, 0, 4, root, quality, 58)
            for e in range(8):
                self.chord(self.keys, bar, e / 2, 0.4, root, quality, 64 if e % 2 == 0 else 52)

    def bassline(self, name: str, bar: int, i: int, root: int) -> None:
        low = root - 24 if root >= 55 else root - 12
        if name == "intro":
            if i >= 2:
                self.bass.add(beat_tick(bar, 0), 2 * PPQ, low, 92)
                self.bass.add(beat_tick(bar, 2), 2 * PPQ, low, 84)
        elif name == "verse":
            for e in range(8):
                self.bass.add(
                    human(beat_tick(bar, e / 2), 4), PPQ // 2 - 40, low, 98 if e % 2 == 0 else 80
                )
        elif name == "chorus":
            for e, iv in enumerate((0, 0, 12, 0, 7, 0, 12, 10 if i % 2 else 7)):
                self.bass.add(
                    human(beat_tick(bar, e / 2), 4),
                    PPQ // 2 - 40,
                    low + iv,
                    104 if e % 2 == 0 else 86,
                )
        else:  # outro
            self.bass.add(beat_tick(bar, 0), 4 * PPQ - 60, low, 92)

    def drum_bar(self, name: str, bar: int, i: int, last: bool, s_idx: int) -> None:
        if name == "intro":
            if i == 2:
                for e in range(8):
                    self.hit(bar, e / 2, CHH, 76 if e % 2 == 0 else 54)
                self.hit(bar, 0, KICK, 96)
                self.hit(bar, 2, KICK, 90)
            elif i == 3:
                self.fill(bar)
        elif name == "outro":
            if i == 0:
                self.groove_verse(bar)
            else:
                self.fill(bar)
        elif last:
            self.fill(bar)
        elif name == "verse":
            self.groove_verse(bar)
            if i == 0:
                self.hit(bar, 0, CRASH, 100)
        else:
            self.groove_chorus(bar, crash=(i % 4 == 0))

    def melody(self, bar: int, i: int) -> None:
        phrase_start = bar - (i % 4)
        notes = HOOK_A if i < 4 else [n for n in HOOK_A if n[0] < 2] + HOOK_B_END
        for n_bar, beat, length, pitch in notes:
            if phrase_start + n_bar == bar:
                self.lead.add(human(beat_tick(bar, beat), 5), round(length * PPQ * 0.9), pitch, 78)

    def midi(self) -> mido.MidiFile:
        mid = mido.MidiFile(ticks_per_beat=PPQ, type=1)
        meta = mido.MidiTrack()
        meta.append(mido.MetaMessage("track_name", name="First Beat", time=0))
        meta.append(mido.MetaMessage("set_tempo", tempo=TEMPO_US, time=0))
        meta.append(mido.MetaMessage("time_signature", numerator=4, denominator=4, time=0))
        mid.tracks.append(meta)
        for track in (self.drums, self.bass, self.keys, self.pad, self.lead):
            mid.tracks.append(track.to_midi())
        return mid


def render(mid_path: Path, wav_path: Path) -> None:
    if shutil.which("fluidsynth") is None or not SF2.exists():
        sys.exit(
            "make_demo_song: needs Debian's fluidsynth and fluid-soundfont-gm "
            "(apt-get install fluidsynth fluid-soundfont-gm)"
        )
    subprocess.run(
        [
            "fluidsynth",
            "-ni",
            "-q",
            "-g",
            "0.45",
            "-r",
            str(SR),
            "-F",
            str(wav_path),
            str(SF2),
            str(mid_path),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def main(outdir: Path) -> None:
    song = Song()
    sections = song.compose()
    mid = song.midi()
    n_bars = sum(b for _, b in SECTIONS)
    beats = [(LEAD_IN_BEATS + k) * PPQ * SEC_PER_TICK for k in range(n_bars * 4 + 1)]
    positions = [k % 4 + 1 for k in range(n_bars * 4 + 1)]  # + the final downbeat
    end_s = beats[-1] + 3.5

    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        mid_path = Path(tmp) / f"{NAME}.mid"
        wav_path = Path(tmp) / f"{NAME}.wav"
        mid.save(mid_path)
        render(mid_path, wav_path)
        y, sr = sf.read(wav_path, dtype="float32", always_2d=True)
        y = y[: round(end_s * sr)]
        fade = round(1.5 * sr)
        y[-fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)[:, None]
        y *= 0.89 / float(np.max(np.abs(y)))  # peak at -1 dBFS
        write_ogg_vorbis(outdir / f"{NAME}.ogg", y.T, sr, quality=0.45)
        shutil.copy(mid_path, outdir / f"{NAME}.mid")

    hits = sorted(song.drums.notes)
    bar_s = 4 * PPQ * SEC_PER_TICK
    truth = {
        "title": "First Beat",
        "description": "onebeat's demo song, composed and rendered by scripts/make_demo_song.py "
        "(FluidSynth + FluidR3_GM); ground truth from the MIDI ticks.",
        "licence": "CC0: made by the onebeat project",
        "tempo_bpm": 60.0 / (PPQ * SEC_PER_TICK),
        "time_signature": "4/4",
        "beats_per_bar": 4,
        "duration_s": round(len(y) / sr, 4),
        "beats": [round(t, 6) for t in beats],
        "beat_positions": positions,
        "downbeats": [round(t, 6) for t, p in zip(beats, positions, strict=True) if p == 1],
        "sections": [
            {
                "name": name,
                "start": round(beats[0] + start * bar_s, 6),
                "end": round(beats[0] + (start + bars) * bar_s, 6),
                "bars": bars,
            }
            for name, start, bars in sections
        ],
        "drum_hits": [
            {
                "time": round(tick * SEC_PER_TICK, 6),
                "note": pitch,
                "piece": gm_note_to_piece(pitch).value,
                "velocity": vel,
            }
            for tick, _, pitch, vel in hits
        ],
    }
    (outdir / f"{NAME}.truth.json").write_text(json.dumps(truth, indent=1) + "\n")
    print(
        f"{outdir / NAME}.ogg: {len(y) / sr:.1f} s, {n_bars} bars at {truth['tempo_bpm']:.3f} "
        f"BPM, {len(hits)} drum hits"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "onebeat" / "data" / "demo")
