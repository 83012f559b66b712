"""Training songs for onebeat's drum transcription: real drummers' parts, sampled kits,
accompaniment and production like a record's.

What a song is made of, and why (the model must hear *records*, not renders):

- **The drum part** is a window of a human performance from the Groove MIDI Dataset
  (``../shared/grooves``: 10 drummers on a Roland TD-11, CC BY 4.0; Gillick et al. 2019):
  real micro-timing, dynamics, ghost notes, fills, pedal hi-hat. Its ``train`` split
  makes the training songs and its ``validation`` split the held-out ones. In recipe 2
  (:data:`RECIPES`) a quarter of the parts are played without their hi-hat and ride, a
  few without kick or snare (:func:`thin_part`), so that the network hears each piece
  rather than expecting it.
- **The kit** is one of the multi-velocity sampled kits of Debian's ``hydrogen-drumkits``
  (acoustic and electronic; velocity layers picked as Hydrogen does), each piece retuned,
  re-levelled and re-equalised at random, open hi-hats choked by the next closed one;
  or one of four soundfont kits rendered by FluidSynth. Sometimes a second kit's kick and
  snare are layered on (modern pop and K-pop production).
- **The band** is bass, chords (clean, or through an amp's distortion), a lead (a
  General MIDI instrument or a sung-like vowel voice) and, sometimes, hand percussion
  that is not a kit piece (shakers, tambourine, claves: the model must leave it alone),
  on the drum part's tempo and meter, from two General MIDI banks.
- **Production** (Spotify's ``pedalboard``): EQ, compression and saturation on the drum
  bus, room or hall reverb, the drums from buried (-24 dB; -14 dB in recipe 1) to loud
  (+6 dB) against the band, a bus compressor and limiter, a dark or band-limited master, noise.

Labels follow the sound: a note the kit has no sample for is played (and labelled) as the
nearest piece it has, or left out. FluidR3_GM is never used, so ``../shared/eval/synth``
and the demo song stay unheard; ``../shared/eval`` is never read.

This module is imported by ``scripts/train_drum_model.py``; it needs the ``train`` extra
(``pip install -e '.[train]'``: torch, pedalboard) and Debian's ``fluidsynth``,
``hydrogen-drumkits``, ``timgm6mb-soundfont``, ``avldrums.lv2-soundfont`` and ``csound-soundfont``
(recipe 4 and the drum separation: ``musescore-general-soundfont-lossless``).
"""

from __future__ import annotations

import csv
import functools
import re
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import librosa
import mido
import numpy as np
import pedalboard as pb
import soundfile as sf
import soxr

from onebeat.analysis.drums import HOP, N_FFT, _mel_basis

SR = 44100
HYDROGEN = Path("/usr/share/hydrogen/data/drumkits")
SF2 = Path("/usr/share/sounds/sf2")
SOUNDFONT_KITS = [
    (SF2 / "TimGM6mb.sf2", True),
    (SF2 / "sf_GMbank.sf2", True),
    (SF2 / "Black_Pearl_4_LV2.sf2", False),
    (SF2 / "Red_Zeppelin_4_LV2.sf2", False),
]
BANDS = (SF2 / "TimGM6mb.sf2", SF2 / "sf_GMbank.sf2")
#: MuseScore's General soundfont, uncompressed (Debian's ``musescore-general-soundfont-lossless``;
#: its .sf3 takes 8 s a song to decompress): sampled basses, guitars, keys and strings, far
#: closer to a record's band than the two small General MIDI banks. Used for the band only
#: (recipe 4), never for drums: its kits share samples with FluidR3, which renders the demo
#: song and ``../shared/eval/synth``.
MUSESCORE = SF2 / "MuseScore_General_Full.sf2"
#: Hydrogen kits with a drum kit's pieces (the others are hand percussion only).
KITS = [
    "Audiophob",
    "BJA_Pacific",
    "ColomboAcousticDrumkit",
    "ElectricEmpireKit",
    "ForzeeStereo",
    "HardElectro1",
    "Millo-Drums_v.1",
    "Millo_MultiLayered2",
    "Millo_MultiLayered3",
    "The Black Pearl 1.0",
    "VariBreaks",
    "rumpf_kit_z01_h2",
]
PERCUSSION_KITS = ["Gimme A Hand 1.0", "circAfrique v4"]

#: Articulations a Groove MIDI Dataset note (Roland TD-11 map) asks for.
GMD_ARTIC = {
    36: "kick",
    38: "snare",
    40: "rimshot",
    37: "stick",
    42: "hh_closed",
    22: "hh_closed",
    44: "hh_pedal",
    46: "hh_open",
    26: "hh_open",
    48: "tom_high",
    50: "tom_high",
    45: "tom_mid",
    47: "tom_mid",
    43: "tom_low",
    58: "tom_low",
    49: "crash",
    55: "crash",
    57: "crash2",
    52: "crash2",
    51: "ride",
    59: "ride",
    53: "ride_bell",
}
#: The transcription class each articulation is labelled with.
CLASS_OF_ARTIC = {
    "kick": "kick",
    "snare": "snare",
    "rimshot": "snare",
    "stick": "snare",
    "clap": "snare",
    "hh_closed": "hihat",
    "hh_pedal": "hihat",
    "hh_open": "hihat_open",
    "tom_high": "tom",
    "tom_mid": "tom",
    "tom_low": "tom",
    "crash": "crash",
    "crash2": "crash",
    "ride": "ride",
    "ride_bell": "ride",
}
#: Where an articulation has no sample in a kit, what is played instead (in order).
FALLBACK = {
    "rimshot": ["snare"],
    "stick": ["snare"],
    "hh_pedal": ["hh_closed"],
    "hh_open": ["hh_closed"],
    "tom_high": ["tom_mid", "tom_low"],
    "tom_mid": ["tom_high", "tom_low"],
    "tom_low": ["tom_mid", "tom_high"],
    "crash2": ["crash"],
    "crash": ["crash2"],
    "ride_bell": ["ride"],
    "ride": ["hh_closed"],
}
#: General MIDI notes a soundfont kit plays each articulation with.
GM_NOTE = {
    "kick": 36,
    "snare": 38,
    "rimshot": 40,
    "stick": 37,
    "hh_closed": 42,
    "hh_pedal": 44,
    "hh_open": 46,
    "tom_high": 50,
    "tom_mid": 47,
    "tom_low": 43,
    "crash": 49,
    "crash2": 57,
    "ride": 51,
    "ride_bell": 53,
}


def articulation_of_name(name: str) -> str | None:
    """A Hydrogen instrument's articulation, from its name (None: not a kit piece)."""
    n = name.lower()
    if re.search(r"kick|bass ?drum|^bd|bassdrum", n):
        return "kick"
    if "clap" in n:
        return "clap"
    if re.search(r"\bstick\b|rim ?click", n):
        return "stick"
    if "snare" in n and "roll" not in n:
        return "rimshot" if "rim" in n else "snare"
    if re.search(r"h(i-?)?h(at)?\b|hat\b|hi-hat|\bhh", n):
        if "pedal" in n or re.search(r"\bpd\b", n):
            return "hh_pedal"
        if re.search(r"open|\bop\b|semi|swish|ring|free", n):
            return "hh_open"
        return "hh_closed"
    if re.search(r"\btom|floor", n):
        if re.search(r"low|floor|\blo\b", n):
            return "tom_low"
        if re.search(r"high|\bhi\b|hi\d|tomhi|tom ?1\b", n):
            return "tom_high"
        return "tom_mid"
    if n.startswith("ride") or ("ride" in n and "crash" not in n):
        return "ride_bell" if "bell" in n or "cup" in n else "ride"
    if re.search(r"crash|splash|china|cymbal", n):
        return "crash"
    return None


@dataclass
class Instrument:
    name: str
    #: velocity layers: (lowest velocity 0-1, highest, gain, audio)
    layers: list[tuple[float, float, float, np.ndarray]]
    volume: float

    def sample(self, velocity: float, rng: np.random.Generator) -> np.ndarray:
        """The layer for a velocity (0–1), scaled as Hydrogen plays it."""
        hit = [la for la in self.layers if la[0] <= velocity <= la[1]] or self.layers
        _lo, _hi, gain, audio = hit[int(rng.integers(len(hit)))]
        # Hydrogen scales each layer by the velocity too; a single layer spans the range
        scale = gain * self.volume * (0.15 + 0.85 * velocity**1.3)
        return np.asarray(audio * scale, dtype=np.float32)


def _load(path: Path) -> np.ndarray | None:
    try:
        y, sr = sf.read(path, dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError):
        return None
    y = y.mean(axis=1)
    if sr != SR:
        y = np.asarray(soxr.resample(y, sr, SR), dtype=np.float32)
    peak = float(np.max(np.abs(y))) if len(y) else 0.0
    return y if peak > 1e-4 else None


@functools.cache
def hydrogen_kit(name: str) -> dict[str, list[Instrument]]:
    """A Hydrogen drumkit's instruments by articulation (``other``: hand percussion)."""
    folder = HYDROGEN / name
    root = ET.parse(folder / "drumkit.xml").getroot()
    ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    kit: dict[str, list[Instrument]] = {}
    for ins in root.iter(ns + "instrument"):
        iname = (ins.findtext(ns + "name") or "").strip()
        volume = float(ins.findtext(ns + "volume") or 1.0)
        layers = []
        for la in ins.iter(ns + "layer"):
            fn = la.findtext(ns + "filename")
            audio = _load(folder / fn) if fn else None
            if audio is not None:
                layers.append(
                    (
                        float(la.findtext(ns + "min") or 0.0),
                        float(la.findtext(ns + "max") or 1.0),
                        float(la.findtext(ns + "gain") or 1.0),
                        audio,
                    )
                )
        fn = ins.findtext(ns + "filename")
        if not layers and fn:
            audio = _load(folder / fn)
            if audio is not None:
                layers.append((0.0, 1.0, 1.0, audio))
        if not layers or not iname:
            continue
        artic = articulation_of_name(iname) or "other"
        kit.setdefault(artic, []).append(Instrument(iname, layers, volume))
    return kit


# ---------------------------------------------------------------- the drum part


@dataclass(frozen=True)
class Performance:
    path: Path
    bpm: float
    beats_per_bar: int
    duration_s: float


def performances(grooves: Path, split: str) -> list[Performance]:
    """The Groove MIDI Dataset's performances of one split (``train``, ``validation``)."""
    out = []
    with open(grooves / "info.csv", newline="") as f:
        for row in csv.DictReader(f):
            if row["split"] != split:
                continue
            num = int(row["time_signature"].split("-")[0])
            m = num // 3 if num in (6, 9, 12) else num
            out.append(
                Performance(
                    grooves / row["midi_filename"], float(row["bpm"]), m, float(row["duration"])
                )
            )
    return out


def gmd_notes(path: Path) -> list[tuple[float, str, float]]:
    """(time [s], articulation, velocity 0–1) of a performance's strokes."""
    t = 0.0
    out = []
    for msg in mido.MidiFile(path):
        t += msg.time
        if msg.type == "note_on" and msg.velocity > 0 and msg.note in GMD_ARTIC:
            out.append((t, GMD_ARTIC[msg.note], msg.velocity / 127.0))
    return out


def choose_window(
    rng: np.random.Generator, perfs: list[Performance], seconds: float
) -> tuple[Performance, list[tuple[float, str, float]]]:
    """A performance (weighted by length) and up to ``seconds`` of it, from 0 s."""
    w = np.array([p.duration_s for p in perfs])
    while True:
        perf = perfs[int(rng.choice(len(perfs), p=w / w.sum()))]
        notes = gmd_notes(perf.path)
        if len(notes) < 8:
            continue
        end = notes[-1][0]
        start = float(rng.uniform(0, max(0.0, end - seconds))) if end > seconds else 0.0
        # start on a beat of the click the drummer played to, less a little lead-in
        beat = 60.0 / perf.bpm
        start = max(0.0, np.floor(start / beat) * beat - float(rng.uniform(0, 0.5)))
        win = [(t - start, a, v) for t, a, v in notes if start <= t < start + seconds]
        if len(win) >= 8:
            return perf, win


@dataclass(frozen=True)
class Recipe:
    """What differs between the recipes of the networks onebeat averages.

    Attributes
    ----------
    thin : bool
        Sometimes leave whole pieces out of a part (:func:`thin_part`).
    drums_db : tuple of float
        The range of the drums' level against the band [dB].
    percussion : float
        The chance that a band plays hand percussion.
    cross_stick : float
        The chance that a part's snare is played as a side stick throughout (a country
        or ballad verse; the Groove MIDI Dataset's drummers seldom play one).
    heard : bool
        Strokes that the mix hides are not taught as strokes (:func:`heard_strokes`).
    mic_eq : bool
        Each piece gets its own equaliser, as each microphone of a real kit does; the
        kick and toms often a bright top (:func:`mic_eq`).
    bands : tuple of Path
        The soundfonts the band is played from, one drawn per song.
    """

    thin: bool
    drums_db: tuple[float, float]
    percussion: float
    cross_stick: float = 0.0
    heard: bool = False
    mic_eq: bool = False
    bands: tuple[Path, ...] = BANDS


#: Recipe 1 made onebeat's first network (``drums_cnn_r1.onnx``); recipe 2 its second
#: (``drums_cnn.onnx``): parts thinned, drums down to -24 dB, more hand percussion.
#: Recipe 4 is recipe 2 with half of its bands from MuseScore's sampled instruments; its
#: network was no better on the real multitracks either (drums_cnn.md); the drum
#: separation's songs use it (``scripts/train_separator.py``).
#: Recipe 3 adds cross-stick parts, an equaliser per piece and labels that follow the
#: sound (:func:`heard_strokes`); its network was not better on the real multitracks and
#: is not shipped (``onebeat/data/drums_cnn.md``).
RECIPES = {
    1: Recipe(thin=False, drums_db=(-14.0, 6.0), percussion=0.3),
    2: Recipe(thin=True, drums_db=(-24.0, 6.0), percussion=0.4),
    3: Recipe(
        thin=True,
        drums_db=(-24.0, 6.0),
        percussion=0.4,
        cross_stick=0.12,
        heard=True,
        mic_eq=True,
    ),
    4: Recipe(
        thin=True, drums_db=(-24.0, 6.0), percussion=0.4, bands=(*BANDS, MUSESCORE, MUSESCORE)
    ),
}


#: Pieces that keep time, and the chance that a song's part is played without them.
TIME_KEEPERS = frozenset({"hh_closed", "hh_pedal", "hh_open", "ride", "ride_bell"})
THIN = {"time_keepers": 0.25, "kick": 0.08, "snare": 0.08}


def thin_part(
    notes: list[tuple[float, str, float]], rng: np.random.Generator
) -> list[tuple[float, str, float]]:
    """Sometimes leave a whole piece out of a part: the hi-hat and ride (a kick and snare
    beat alone, as in many real songs' verses), the kick, or the snare.

    In the Groove MIDI Dataset a hi-hat or ride plays on nearly every kick and snare, so a
    network trained on the parts as played learns to expect one there and hears a hi-hat
    in a real kit's kick and snare (measured on real drums-only recordings: most of its
    false hi-hats were on kicks and snares). Parts without the time-keeper break that prior.
    """
    out = notes
    if rng.random() < THIN["time_keepers"]:
        out = [n for n in out if n[1] not in TIME_KEEPERS]
    if rng.random() < THIN["kick"]:
        out = [n for n in out if n[1] != "kick"]
    if rng.random() < THIN["snare"]:
        out = [n for n in out if n[1] not in ("snare", "rimshot")]
    return out if len(out) >= 8 else notes


def _kit_map(kit: dict[str, list[Instrument]], rng: np.random.Generator) -> dict[str, Instrument]:
    """One instrument per articulation for this song (tom articulations spread over the
    kit's toms by name, else at random)."""
    chosen: dict[str, Instrument] = {}
    for artic, instruments in kit.items():
        chosen[artic] = instruments[int(rng.integers(len(instruments)))]
    return chosen


def _resolve(artic: str, chosen: dict[str, Instrument]) -> str | None:
    if artic in chosen:
        return artic
    for alt in FALLBACK.get(artic, []):
        if alt in chosen:
            return alt
    return None


def _tone(y: np.ndarray, rng: np.random.Generator, pitch: float) -> np.ndarray:
    """Retune a sample by resampling (±pitch semitones, at random)."""
    if pitch <= 0:
        return y
    factor = 2 ** (float(rng.uniform(-pitch, pitch)) / 12)
    n = max(8, round(len(y) / factor))
    return np.asarray(np.interp(np.linspace(0, len(y) - 1, n), np.arange(len(y)), y), np.float32)


#: High-shelf gain ranges [dB] per class for :func:`mic_eq` (the top of a piece's sound).
MIC_TOP_DB = {"kick": (0.0, 20.0), "tom": (0.0, 15.0), "snare": (-4.0, 8.0)}


def mic_eq(stems: dict[str, np.ndarray], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """An equaliser per piece, as a real kit's microphones and their mix give.

    The sampled kits' kicks are close-miked and dark: above 6 kHz their first 50 ms hold
    40–60 dB less than the whole, where a kick on a record, heard through the overheads
    (beater, shell, the cymbals' sympathetic wash), often holds 20–35 dB less. A network
    that never met a bright kick takes its top for a hi-hat. So the kick, the toms and the
    snare get a random high shelf (:data:`MIC_TOP_DB`) and every piece a random body.
    """
    out = {}
    for cls, x in stems.items():
        lo, hi = MIC_TOP_DB.get(cls, (-3.0, 3.0))
        top = float(rng.uniform(lo, hi)) if rng.random() < 0.7 else 0.0
        chain = pb.Pedalboard(
            [
                pb.HighShelfFilter(float(rng.uniform(3000, 8000)), top),
                pb.PeakFilter(float(rng.uniform(150, 1500)), float(rng.uniform(-4, 4)), 1.0),
            ]
        )
        out[cls] = chain(np.asarray(x, np.float32), SR)
    return out


def render_sampled(
    notes: list[tuple[float, str, float]],
    length: int,
    kit_names: list[str],
    rng: np.random.Generator,
    *,
    equalise: bool = False,
) -> tuple[np.ndarray, list[tuple[float, str, float]], dict[str, np.ndarray]]:
    """Play a part on sampled kits (the first kit, a second one's kick and snare layered
    on), each piece through its own equaliser when ``equalise`` (:func:`mic_eq`).
    Returns the audio, what was played: (time, class, velocity), and the audio of each
    class alone (they add up to the audio)."""
    chosen = _kit_map(hydrogen_kit(kit_names[0]), rng)
    layered = _kit_map(hydrogen_kit(kit_names[1]), rng) if len(kit_names) > 1 else {}
    # per articulation: level, tuning and a little of the velocity's curve
    level = {a: 10 ** (float(rng.uniform(-6, 4)) / 20) for a in GM_NOTE}
    pitch = {a: float(rng.choice([0.0, 0.0, 1.0, 2.5])) for a in GM_NOTE}
    human = float(rng.uniform(0.0, 0.004))  # extra timing scatter [s]
    out = np.zeros(length + SR * 4, np.float32)
    stems: dict[str, np.ndarray] = {}
    played: list[tuple[float, str, float]] = []
    last_open: tuple[int, int] | None = None  # (start, end) of a ringing open hi-hat
    for t, artic, vel in notes:
        a = _resolve(artic, chosen)
        if a is None:
            continue
        t = max(0.0, t + float(rng.normal(0, human)))
        start = round(t * SR)
        v = float(np.clip(vel * rng.uniform(0.9, 1.1), 0.02, 1.0))
        y = _tone(chosen[a].sample(v, rng), rng, pitch[a]) * level[a]
        if a in ("kick", "snare") and a in layered and rng.random() < 0.9:
            y2 = layered[a].sample(v, rng) * float(rng.uniform(0.3, 0.9))
            n = max(len(y), len(y2))
            y = np.pad(y, (0, n - len(y))) + np.pad(y2, (0, n - len(y2)))
        if a.startswith("hh") and last_open is not None and start < last_open[1]:
            # the pedal closes a ringing open hi-hat: cut it with a 15 ms fade
            fade = min(last_open[1] - start, round(0.015 * SR))
            for x in (out, *stems.values()):
                x[start : start + fade] *= np.linspace(1, 0, fade, dtype=np.float32)
                x[start + fade : last_open[1]] = 0.0
            last_open = None
        end = min(len(out), start + len(y))
        if a == "hh_open":
            # what is under a ringing open hat gets cut with it, so keep it apart
            ring = np.zeros_like(out)
            ring[start:end] = y[: end - start]
            out += ring
            last_open = (start, end)
        else:
            out[start:end] += y[: end - start]
        cls = CLASS_OF_ARTIC[a]
        stem = stems.setdefault(cls, np.zeros_like(out))
        stem[start:end] += y[: end - start]
        played.append((t, cls, v))
    parts = {c: x[:length] for c, x in stems.items()}
    if equalise:
        parts = mic_eq(parts, rng)
        return np.asarray(sum(parts.values()), np.float32), played, parts
    return out[:length], played, parts


def render_soundfont(
    notes: list[tuple[float, str, float]], length: int, rng: np.random.Generator, tmp: Path
) -> tuple[np.ndarray, list[tuple[float, str, float]]]:
    """Play a part on one of the soundfont kits with FluidSynth."""
    kit, on_ch10 = SOUNDFONT_KITS[int(rng.integers(len(SOUNDFONT_KITS)))]
    events = [(t, GM_NOTE[a], v) for t, a, v in notes]
    y = fluidsynth(events, kit, 9 if on_ch10 else 0, tmp, rng, {}, length)
    return y, [(t, CLASS_OF_ARTIC[a], v) for t, a, v in notes]


def fluidsynth(
    events: list[tuple[float, int, float]],
    soundfont: Path,
    channel: int,
    tmp: Path,
    rng: np.random.Generator,
    programs: dict[int, int],
    length: int,
    durations: list[float] | None = None,
    channels: list[int] | None = None,
) -> np.ndarray:
    """Render (time [s], note, velocity 0–1) events with FluidSynth (dry: reverb is
    added later, with the rest of the production)."""
    tpb = 480
    mid = mido.MidiFile(ticks_per_beat=tpb, type=0)
    track = mido.MidiTrack()
    mid.tracks.append(track)
    track.append(mido.MetaMessage("set_tempo", tempo=500000, time=0))  # 1 beat = 0.5 s
    msgs: list[tuple[int, int, mido.Message]] = []
    for ch, prog in programs.items():
        msgs.append((0, -1, mido.Message("program_change", channel=ch, program=prog)))
    for i, (t, note, vel) in enumerate(events):
        ch = channels[i] if channels else channel
        dur = durations[i] if durations else 0.12
        t0, t1 = round(t * 2 * tpb), round((t + dur) * 2 * tpb)
        v = int(np.clip(round(vel * 127), 1, 127))
        msgs.append((t0, 1, mido.Message("note_on", channel=ch, note=note, velocity=v)))
        msgs.append((max(t1, t0 + 1), 0, mido.Message("note_off", channel=ch, note=note)))
    msgs.sort(key=lambda e: (e[0], e[1]))
    last = 0
    for tick, _, msg in msgs:
        track.append(msg.copy(time=tick - last))
        last = tick
    mid_path, wav_path = tmp / "x.mid", tmp / "x.wav"
    mid.save(mid_path)
    cmd = ["fluidsynth", "-ni", "-q", "-g", "0.5", "-r", str(SR), "-F", str(wav_path)]
    cmd += ["-o", "synth.dynamic-sample-loading=1"]  # only the samples played are read
    cmd += ["-R", "0", "-C", "0", str(soundfont), str(mid_path)]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    y, _sr = sf.read(wav_path, dtype="float32", always_2d=True)
    y = y.mean(axis=1)
    return np.pad(y, (0, max(0, length - len(y))))[:length]


# ---------------------------------------------------------------- the band

BASS_PROGRAMS = [32, 33, 34, 35, 36, 37, 38, 39]
CHORD_PROGRAMS = [0, 1, 2, 4, 5, 16, 17, 19, 24, 25, 26, 27, 29, 30, 48, 49, 50, 61, 88, 89]
LEAD_PROGRAMS = [11, 13, 56, 57, 64, 65, 66, 71, 73, 80, 81, 52, 53, 54]
GUITARS = [25, 26, 27, 29, 30]


def _voice(
    notes: list[tuple[float, float, int, float]], length: int, rng: np.random.Generator
) -> np.ndarray:
    """A sung-like line: a glottal-pulse-rich tone with vibrato through vowel formants,
    legato with a little portamento (what masks a hi-hat in a real mix is often a voice)."""
    out = np.zeros(length, np.float32)
    formants = [
        [(730, 90), (1090, 110), (2440, 170)],  # a
        [(270, 60), (2290, 100), (3010, 150)],  # i
        [(300, 60), (870, 90), (2240, 150)],  # u
        [(530, 80), (1840, 110), (2480, 160)],  # e
        [(570, 80), (840, 100), (2410, 160)],  # o
    ]
    breath = float(rng.uniform(0.0, 0.25))
    for t, dur, pitch, vel in notes:
        n = round(dur * SR)
        s = round(t * SR)
        if n < 64 or s >= length:
            continue
        tt = np.arange(n) / SR
        f0 = 440.0 * 2 ** ((pitch - 69) / 12)
        vib = 1 + 0.012 * np.sin(2 * np.pi * rng.uniform(4.5, 6.5) * tt) * np.minimum(1, tt / 0.3)
        phase = 2 * np.pi * np.cumsum(f0 * vib) / SR
        src = np.zeros(n)
        for h in range(1, 30):
            if f0 * h > 8000:
                break
            src += np.sin(h * phase) / h**1.2
        src += breath * rng.normal(0, 0.3, n)
        spec = np.fft.rfft(src)
        freqs = np.fft.rfftfreq(n, 1 / SR)
        env = np.zeros_like(freqs)
        for fc, bw in formants[int(rng.integers(len(formants)))]:
            env += 1.0 / (1.0 + ((freqs - fc) / bw) ** 2)
        y = np.fft.irfft(spec * env, n)
        att, rel = min(n // 4, round(0.04 * SR)), min(n // 4, round(0.08 * SR))
        y[:att] *= np.linspace(0, 1, att)
        y[n - rel :] *= np.linspace(1, 0, rel)
        e = min(length, s + n)
        out[s:e] += (y[: e - s] * vel).astype(np.float32)
    return out


def render_band(
    bpm: float,
    m: int,
    length: int,
    rng: np.random.Generator,
    tmp: Path,
    percussion: float = RECIPES[2].percussion,
    bands: tuple[Path, ...] = BANDS,
) -> np.ndarray:
    """Bass, chords, a lead (instrument or voice) and maybe hand percussion, in time with
    the drum part (the drummer played to a click at ``bpm``)."""
    beat = 60.0 / bpm
    n_bars = int(length / SR / (beat * m)) + 2
    sub = 4
    steps = m * sub
    roots = [int(r) for r in rng.choice([36, 38, 40, 41, 43, 45, 47], size=4)]
    sf2 = bands[int(rng.integers(len(bands)))]
    bass_prog = int(rng.choice(BASS_PROGRAMS))
    chord_prog = int(rng.choice(CHORD_PROGRAMS + GUITARS * 2))
    lead_prog = int(rng.choice(LEAD_PROGRAMS))
    bass_steps = sorted({0} | {s for s in range(steps) if rng.random() < 0.3})
    chord_rate = int(rng.choice([1, 2, sub, sub, steps, 2 * sub]))
    bass, chords, lead = [], [], []
    for b in range(n_bars):
        root = roots[(b // 2) % 4]
        for s in bass_steps:
            bass.append(((b * m + s / sub) * beat, 0.9 * beat / sub * 2, root - 12, 0.7))
        third = 3 if rng.random() < 0.4 else 4
        for s in range(0, steps, chord_rate):
            for iv in (0, third, 7, 12):
                t = (b * m + s / sub) * beat + float(rng.uniform(0, 0.01))
                chords.append((t, chord_rate / sub * beat * 0.95, root + 12 + iv, 0.6))
        s = 0
        while s < steps:
            d = int(rng.choice([1, 2, 2, 4, 4, 8]))
            if rng.random() < 0.65:
                pitch = root + 24 + int(rng.choice([0, 2, 4, 5, 7, 9, 11, 12]))
                lead.append(((b * m + s / sub) * beat, d / sub * beat, pitch, 0.75))
            s += d

    def fs(notes: list[tuple[float, float, int, float]], prog: int) -> np.ndarray:
        ev = [(t, p, v * float(rng.uniform(0.8, 1.1))) for t, _, p, v in notes]
        return fluidsynth(
            ev, sf2, 0, tmp, rng, {0: prog}, length, durations=[d for _, d, _, _ in notes]
        )

    parts = [fs(bass, bass_prog)]
    ch = fs(chords, chord_prog)
    if chord_prog in GUITARS or rng.random() < 0.3:
        ch = pb.Pedalboard(
            [pb.Distortion(drive_db=float(rng.uniform(12, 35))), pb.LowpassFilter(5500.0)]
        )(ch, SR)
    if rng.random() < 0.4:
        ch = pb.Chorus()(ch, SR)
    parts.append(ch)
    if rng.random() < 0.5:
        parts.append(_voice(lead, length, rng))
    elif rng.random() < 0.8:
        parts.append(fs(lead, lead_prog))
    out = np.zeros(length, np.float32)
    for p in parts:
        r = float(np.sqrt(np.mean(p**2))) + 1e-9
        out += p[:length] / r * 10 ** (float(rng.uniform(-8, 0)) / 20)
    if rng.random() < percussion:
        out += hand_percussion(bpm, length, rng) * (float(np.sqrt(np.mean(out**2))) + 1e-9)
    return out


def hand_percussion(bpm: float, length: int, rng: np.random.Generator) -> np.ndarray:
    """A shaker, tambourine or clave line: not a kit piece, so not labelled."""
    kit = hydrogen_kit(PERCUSSION_KITS[int(rng.integers(len(PERCUSSION_KITS)))])
    ins = [i for lst in kit.values() for i in lst]
    one = ins[int(rng.integers(len(ins)))]
    step = 60.0 / bpm / float(rng.choice([1, 2, 4]))
    out = np.zeros(length + SR * 2, np.float32)
    t = float(rng.uniform(0, step))
    while t * SR < length:
        y = one.sample(float(rng.uniform(0.4, 1.0)), rng)
        s = round(t * SR)
        out[s : s + len(y)] += y[: len(out) - s]
        t += step
    out = out[:length]
    return out / (float(np.sqrt(np.mean(out**2))) + 1e-9) * float(rng.uniform(0.1, 0.5))


# ---------------------------------------------------------------- production


def _eq(rng: np.random.Generator) -> list[pb.Plugin]:
    return [
        pb.LowShelfFilter(float(rng.uniform(60, 200)), float(rng.uniform(-6, 6))),
        pb.PeakFilter(float(rng.uniform(300, 4000)), float(rng.uniform(-6, 6)), 1.0),
        pb.HighShelfFilter(float(rng.uniform(3000, 10000)), float(rng.uniform(-8, 6))),
    ]


def produce(
    drums: np.ndarray,
    band: np.ndarray | None,
    rng: np.random.Generator,
    drums_db: tuple[float, float] = RECIPES[2].drums_db,
    trace: dict[str, object] | None = None,
) -> np.ndarray:
    """Mix and master drums and band as a record might be (the drums alone when ``band``
    is None, as a drummer's own take). ``trace`` is given the linear part of what was
    done (equalisers, levels, master filters) for :func:`heard_strokes`."""
    chain: list[pb.Plugin] = _eq(rng)
    if rng.random() < 0.6:
        chain.append(
            pb.Compressor(
                threshold_db=float(rng.uniform(-30, -10)),
                ratio=float(rng.uniform(2, 8)),
                attack_ms=float(rng.uniform(1, 30)),
                release_ms=float(rng.uniform(50, 300)),
            )
        )
    if rng.random() < 0.2:
        chain.append(pb.Distortion(drive_db=float(rng.uniform(3, 15))))
    if rng.random() < 0.7:
        chain.append(
            pb.Reverb(
                room_size=float(rng.uniform(0.1, 0.9)),
                wet_level=float(rng.uniform(0.05, 0.35)),
                dry_level=1.0,
                damping=float(rng.uniform(0.2, 0.8)),
            )
        )
    d = pb.Pedalboard(chain)(drums.astype(np.float32), SR)
    d_rms = float(np.sqrt(np.mean(d**2))) + 1e-9
    d = d / d_rms
    d_scale = 1.0 / d_rms
    if band is None:
        y = d
    else:
        bchain: list[pb.Plugin] = _eq(rng)
        if rng.random() < 0.6:
            bchain.append(pb.Reverb(room_size=float(rng.uniform(0.2, 0.9)), wet_level=0.2))
        b = pb.Pedalboard(bchain)(band.astype(np.float32), SR)
        b_rms = float(np.sqrt(np.mean(b**2))) + 1e-9
        b = b / b_rms
        # real mixes put the drums anywhere from loud to buried (unmastered multitracks
        # go down to about -20 dB, drums' RMS against the rest's)
        gain = 10 ** (float(rng.uniform(*drums_db)) / 20)
        y = d * gain + b
        d_scale *= gain
        if trace is not None:
            trace.update(band_eq=bchain[:3], band_scale=1.0 / b_rms)
    master: list[pb.Plugin] = []
    if rng.random() < 0.6:
        master.append(
            pb.Compressor(threshold_db=float(rng.uniform(-24, -8)), ratio=float(rng.uniform(2, 5)))
        )
    if rng.random() < 0.35:
        master.append(pb.LowpassFilter(float(rng.uniform(5000, 16000))))
    if rng.random() < 0.2:
        master.append(pb.HighpassFilter(float(rng.uniform(40, 150))))
    if trace is not None:
        trace.update(
            drum_eq=chain[:3],
            drum_scale=d_scale,
            master=[p for p in master if isinstance(p, (pb.LowpassFilter, pb.HighpassFilter))],
        )
    y = y / (float(np.max(np.abs(y))) + 1e-9) * 0.5
    if master:
        y = pb.Pedalboard(master)(y.astype(np.float32), SR)
    if rng.random() < 0.5:
        y = pb.Pedalboard([pb.Gain(float(rng.uniform(0, 12))), pb.Limiter(-1.0)])(
            y.astype(np.float32), SR
        )
    noise = rng.normal(0, 10 ** (float(rng.uniform(-75, -45)) / 20) * np.std(y), len(y))
    y = np.asarray(y + noise, dtype=np.float32)
    return np.asarray(y / (float(np.max(np.abs(y))) + 1e-9) * 0.9, dtype=np.float32)


#: A stroke is heard when, in some band of the mix, it raises the level by at least this
#: share of what the rest of the mix has there (-10 dB: a rise under 0.4 dB in every band
#: is no onset a listener or a network can hear). Chosen from that reasoning, not tuned.
HEARD_RATIO = 0.1


def _mel_power(x: np.ndarray) -> np.ndarray:
    """Mel power frames on the drum front end's bands and hop."""
    spec = np.abs(librosa.stft(np.asarray(x, np.float32), n_fft=N_FFT, hop_length=HOP)) ** 2
    power: np.ndarray = np.asarray(_mel_basis() @ spec, dtype=np.float64)
    return power


def heard_strokes(
    played: list[tuple[float, str, float]],
    stems: dict[str, np.ndarray],
    band: np.ndarray | None,
    trace: dict[str, object],
) -> list[bool]:
    """Whether each stroke can be heard in the produced song.

    The parts render every note the drummer played, but a record hides some: a pedal
    hi-hat under a chord, a ghost note under the bass, a hi-hat behind a dark master.
    Taught as strokes, those teach a network to expect a hi-hat wherever a kick is (it then
    hears one on every kick of a real record). Each class's audio alone and the rest of
    the mix are passed through the linear part of the production (equalisers, levels,
    master filters; the compressors and reverbs are left out) and compared, at the
    stroke's first frames, per mel band: the stroke is heard if the rise it makes is at
    least :data:`HEARD_RATIO` of what the rest has in some band.
    """
    import scipy.ndimage

    def shape(x: np.ndarray, eq: object, scale: float) -> np.ndarray:
        assert isinstance(eq, list)
        y = np.asarray(pb.Pedalboard(eq)(np.asarray(x * scale, np.float32), SR), np.float32)
        master = trace["master"]
        assert isinstance(master, list)
        return np.asarray(pb.Pedalboard(master)(y, SR), np.float32) if master else y

    dscale = trace["drum_scale"]
    assert isinstance(dscale, float)
    shaped = {c: shape(x, trace["drum_eq"], dscale) for c, x in stems.items()}
    total = sum(shaped.values())
    if band is not None:
        bscale = trace["band_scale"]
        assert isinstance(bscale, float)
        total = total + shape(band, trace["band_eq"], bscale)
    assert isinstance(total, np.ndarray)
    floor = 1e-5 * float(np.mean(_mel_power(total)))
    out = []
    power: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for t, cls, _v in played:
        if cls not in power:
            power[cls] = (_mel_power(shaped[cls]), _mel_power(total - shaped[cls]))
        own, rest = power[cls]
        f = round(t * SR / HOP)
        if f >= own.shape[1]:
            out.append(False)
            continue
        rise = np.maximum(0.0, own[:, f : f + 3].max(axis=1) - own[:, max(0, f - 2)])
        ratio = rise / (rest[:, f : f + 3].max(axis=1) + floor)
        out.append(float(scipy.ndimage.uniform_filter1d(ratio, 3).max()) >= HEARD_RATIO)
    return out


def make_song(
    rng: np.random.Generator,
    perfs: list[Performance],
    tmp: Path,
    *,
    seconds: float = 16.0,
    drums_only: float = 0.1,
    recipe: Recipe = RECIPES[2],
) -> tuple[np.ndarray, list[tuple[float, str, float]], list[bool]]:
    """One training song: its audio at :data:`SR`, its strokes (time, class, velocity),
    and whether each is heard (all are, unless ``recipe.heard``: :func:`heard_strokes`)."""
    perf, notes = choose_window(rng, perfs, seconds)
    if recipe.thin:
        notes = thin_part(notes, rng)
    if recipe.cross_stick and rng.random() < recipe.cross_stick:
        notes = [(t, "stick" if a == "snare" else a, v) for t, a, v in notes]
    length = round((notes[-1][0] + 1.0) * SR)
    stems: dict[str, np.ndarray] | None = None
    if rng.random() < 0.2:
        drums, played = render_soundfont(notes, length, rng, tmp)
    else:
        kits = [KITS[int(rng.integers(len(KITS)))]]
        if rng.random() < 0.2:
            kits.append(KITS[int(rng.integers(len(KITS)))])
        drums, played, stems = render_sampled(notes, length, kits, rng, equalise=recipe.mic_eq)
    band = (
        None
        if rng.random() < drums_only
        else render_band(
            perf.bpm, perf.beats_per_bar, length, rng, tmp, recipe.percussion, recipe.bands
        )
    )
    trace: dict[str, object] = {}
    y = produce(drums, band, rng, recipe.drums_db, trace)
    if recipe.heard and stems is not None:
        # (a soundfont kit renders in one piece: its strokes are all taken as heard)
        return y, played, heard_strokes(played, stems, band, trace)
    return y, played, [True] * len(played)
