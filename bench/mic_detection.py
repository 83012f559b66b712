"""How well onebeat hears an acoustic kit through a microphone.

On kits held out from tuning (FluidR3's standard, room, power and jazz kits and AVL's
Red Zeppelin: ``tests/inputs/kitsound.py``), grooves at 72–165 BPM (hi-hat or ride,
kick, snare, ghost notes, tom fills, crashes; velocities 20–127, a human's ±7 ms) are
played in simulated rooms through simulated microphones, in two conditions:

* **near**: an interface's microphone near the kit (direct sound 8–18 dB over the
  room, noise 50–65 dB under the drums), and
* **far**: a laptop's across a room (direct 3–10 dB over a 0.3–0.8 s reverberation,
  noise 35–50 dB under, a 150 Hz low cut),

each without the song (headphones) and playing along to the demo song coming out of a
speaker at 8–22 dB under the drums: the groove at the song's tempo, on its beats, from
one of its downbeats (the listener is given the song, not its delay or level). The demo
song's own drums are FluidR3's standard kit, one of the held-out kits.

Printed, per condition: onset F-measure at ±20 ms; mean and 95th percentile of
|detected − true| attack time; classification accuracy for kick / snare / hi-hat with
the kit's own 8-hit calibration (the strokes heard while each piece is asked for), with
that calibration heard for the part (``KitProfile.for_part``: kick, snare, hi-hats and
the other pieces the groove plays, as a play-along hears them for its chart), and with
onebeat's shipped profile (and it, heard for the part), as the share of found onsets
of those pieces named exactly (none missing, none made up: a made-up kick is a stray
note for the player), and as the share of their strokes named; the decision latency
(from the true attack to the decision, fed 64 samples at a time); and the real-time
factor on one core. The reference, measured in the same run: librosa's offline onset
detector on the same recordings (it sees the whole file, and no song is taken out).

Targets: F ≥ 0.95, p95 timing error ≤ 5 ms, classification ≥ 90 %, latency ≤ 15 ms,
real-time factor ≥ 20×.

Needs Debian's ``fluidsynth`` and ``fluid-soundfont-gm``, ``avldrums.lv2-soundfont``.

``--real``: real acoustic kits instead, the drums-only stems of ``../shared/eval/real-drums``
(five real drummers' studio kits, every stroke annotated), heard as ``onebeat hear`` hears
a recording (48 kHz, 128-sample blocks); alone (headphones) and with the song's other
stems (``.rest.flac``) mixed in 10 dB under the drums as the song's bleed, the listener
given that song. Onset F (±50 ms), timing error, and the annotated strokes named per piece
(kick, snare incl. side stick, hi-hat, toms, cymbals) with the shipped profile, heard for
the song's part and not, and with the kit learnt from the recording's own annotated
single strokes (the most a calibration could give); beside librosa's onset detector. A
stroke heard where the annotation has a tambourine (in the Beatles stem; no kit piece) is
counted neither right nor wrong, for both.

Usage: .venv/bin/python bench/mic_detection.py [--takes 3] [--real [--eval DIR]]
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import librosa
import mir_eval
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from onebeat.audio.decode import load_audio, resample, to_mono  # noqa: E402
from onebeat.hearing import (  # noqa: E402
    CALIBRATION_PIECES,
    HeardHit,
    HitListener,
    KitProfile,
    Reference,
    default_profile,
    detect_hits,
    learn_kit,
)
from onebeat.kit import DrumPiece  # noqa: E402
from onebeat.simulate import kitsound as ks  # noqa: E402

WINDOW = 0.02
DEMO = ROOT / "onebeat" / "data" / "demo"
CONDITIONS = ("near", "far")
LABELS = {
    "own": "the kit's own 8-hit calibration",
    "part": "the kit's own calibration, heard for the part",
    "shipped": "the shipped profile",
    "shipped_part": "the shipped profile, heard for the part",
}


def room(rng: np.random.Generator, condition: str, bleed: bool) -> ks.Room:
    r = ks.Room.draw(rng, bleed=bleed)
    if condition == "near":
        return replace(
            r,
            rt60=float(rng.uniform(0.15, 0.5)),
            drr_db=float(rng.uniform(8, 18)),
            low_cut=30.0,
            noise_db=float(rng.uniform(-65, -50)),
        )
    return replace(
        r,
        rt60=float(rng.uniform(0.3, 0.8)),
        drr_db=float(rng.uniform(3, 10)),
        low_cut=150.0,
        high_cut=float(rng.uniform(7000, 12000)),
        noise_db=float(rng.uniform(-50, -35)),
    )


def listen(y: np.ndarray, block: int, **kw: object) -> tuple[list[HeardHit], float]:
    listener = HitListener(sr=ks.SR, **kw)  # type: ignore[arg-type]
    t = time.perf_counter()
    out: list[HeardHit] = []
    for i in range(0, len(y), block):
        out += listener.feed(y[i : i + block])
    out += listener.flush()
    return out, time.perf_counter() - t


def prompted_kit(y: np.ndarray, cal: list[ks.Stroke], name: str) -> KitProfile:
    """The kit as a live calibration learns it: every stroke heard while a piece is asked
    for (from just before its first stroke to just after its last) is that piece's.
    (Grouping a whole recording by its pauses, ``learn_kit(y=...)``, is misled by one
    missed cymbal stroke, whose gap is as long as a pause.)"""
    heard = detect_hits(y=y, sr=ks.SR, classify=False)
    pairs = []
    for piece in dict.fromkeys(s[1] for s in cal):
        times = [s[0] for s in cal if s[1] is piece]
        lo, hi = times[0] - 0.3, times[-1] + 0.6
        pairs += [(piece, h.features) for h in heard if lo <= h.sample / ks.SR < hi]
    return learn_kit(pairs, name=name)


#: Real-kit classes (MDB Drums' annotations) and the pieces a listener names for each.
REAL_GROUPS = {
    "kick": {DrumPiece.KICK},
    "snare": {DrumPiece.SNARE},
    "hihat": {DrumPiece.HIHAT_CLOSED, DrumPiece.HIHAT_OPEN, DrumPiece.HIHAT_PEDAL},
    "tom": {DrumPiece.TOM_HIGH, DrumPiece.TOM_MID, DrumPiece.TOM_FLOOR},
    "cymbal": {DrumPiece.CRASH, DrumPiece.RIDE},
}
#: A real stroke of each class, as the piece a kit profile learns it as.
REAL_PIECE = {
    "kick": DrumPiece.KICK,
    "snare": DrumPiece.SNARE,
    "hihat": DrumPiece.HIHAT_CLOSED,
    "tom": DrumPiece.TOM_MID,
    "cymbal": DrumPiece.CRASH,
}
REAL_WINDOW = 0.05
HEAR_SR, HEAR_BLOCK = 48000, 128  # as `onebeat hear` and a browser's microphone
BLEED_DB = -10.0  # the song's other stems against the drums, when the song is in the room


def _group(piece: DrumPiece) -> str:
    return next(g for g, ps in REAL_GROUPS.items() if piece in ps)


def real_moments(tsv: Path) -> list[tuple[float, set[str]]]:
    """The annotated strokes as moments (strokes within 30 ms are one moment played by
    two limbs): (time of the first, the classes struck)."""
    sys.path.insert(0, str(ROOT / "bench"))
    from chart_quality import mdb_truth

    strokes = sorted((t, c) for c, ts in mdb_truth(tsv).items() for t in ts)
    moments: list[tuple[float, set[str]]] = []
    for t, c in strokes:
        if moments and t - moments[-1][0] <= 0.03:
            moments[-1][1].add(c)
        else:
            moments.append((t, {c}))
    return moments


#: Annotated strokes of instruments that are no kit piece (the tambourine a drummer
#: shakes or strikes in the drums' stem): a stroke heard there is neither right nor wrong.
NOT_KIT = ("TMB",)


def real_unscored(tsv: Path) -> np.ndarray:
    """The times of the annotated strokes of :data:`NOT_KIT` instruments [s]."""
    sub = tsv.with_name(tsv.name.replace(".hits.tsv", ".subclass.tsv"))
    if not sub.is_file():
        return np.zeros(0)
    rows = [line.split() for line in sub.read_text().splitlines()]
    return np.array(sorted(float(r[0]) for r in rows if len(r) >= 2 and r[1] in NOT_KIT))


def _scored(
    hits: list[HeardHit], unscored: np.ndarray, truth: np.ndarray, sr: int
) -> list[HeardHit]:
    """The hits less those that are a :data:`NOT_KIT` instrument's annotated stroke (a hit
    that no kit stroke accounts for, where such a stroke is)."""
    if not len(unscored):
        return hits
    est = np.array([h.sample / sr for h in hits])
    kit = {j for _, j in mir_eval.util.match_events(truth, est, REAL_WINDOW)}
    spare = [j for j in range(len(hits)) if j not in kit]
    near = {
        spare[j]
        for _, j in mir_eval.util.match_events(unscored, est[spare], REAL_WINDOW)
    }  # fmt: skip
    return [h for j, h in enumerate(hits) if j not in near]


def real_named(
    moments: list[tuple[float, set[str]]], hits: list[HeardHit], sr: int
) -> dict[str, list[int]]:
    """Per class: [named right, strokes found] over the annotated strokes whose moment was
    found, and [made up] (a class named where the moment has none)."""
    out = {g: [0, 0, 0] for g in REAL_GROUPS}
    truth = np.array([t for t, _ in moments])
    est = np.array([h.sample / sr for h in hits])
    for i, j in mir_eval.util.match_events(truth, est, REAL_WINDOW):
        heard = {_group(p) for p in hits[j].pieces}
        for g in moments[i][1]:
            out[g][1] += 1
            out[g][0] += g in heard
        for g in heard - moments[i][1]:
            out[g][2] += 1
    return out


def real_kits(folder: Path) -> int:
    """The listener on real kits: the drums-only stems of the real multitracks."""
    stems = sorted(folder.glob("*.drums.flac"))
    if not stems:
        print(f"mic_detection --real: no drums-only stems in {folder}; skipped")
        return 0
    shipped = default_profile()
    print(f"real kits: {len(stems)} drums-only studio stems of {folder}\n")
    for bleed in (False, True):
        f, ref_f, err, ref_err = [], [], [], []
        named: dict[str, dict[str, list[int]]] = {}
        seconds = cpu = 0.0
        for stem in stems:
            name = stem.name.removesuffix(".drums.flac")
            moments = real_moments(folder / f"{name}.hits.tsv")
            unscored = real_unscored(folder / f"{name}.hits.tsv")
            truth = np.array([t for t, _ in moments])
            y = load_audio(stem, sr=HEAR_SR).y
            ref = None
            if bleed:
                rest = load_audio(folder / f"{name}.rest.flac", sr=HEAR_SR).y[: len(y)]
                gain = 10 ** (BLEED_DB / 20) * np.std(y) / (np.std(rest) + 1e-12)
                y = (y + gain * rest).astype(np.float32)
                ref = Reference(rest.astype(np.float32), HEAR_SR)
            played = {p for _, cs in moments for c in cs for p in REAL_GROUPS[c]}
            singles = [(t, next(iter(cs))) for t, cs in moments if len(cs) == 1]
            plain = detect_hits(y=y, sr=HEAR_SR, classify=False, reference=ref)
            est = np.array([h.sample / HEAR_SR for h in plain])
            pairs = [
                (REAL_PIECE[singles[i][1]], plain[j].features)
                for i, j in mir_eval.util.match_events(
                    np.array([t for t, _ in singles]), est, REAL_WINDOW
                )
            ]
            # as the page does, a piece struck fewer than 4 times is left out of the kit
            enough = {q for q, _ in pairs if sum(1 for r, _ in pairs if r is q) >= 4}
            own = learn_kit([pr for pr in pairs if pr[0] in enough], name=f"{name}'s kit")
            for label, prof in (
                ("shipped", shipped),
                ("shipped, the part", shipped.for_part(played)),
                ("learnt from the recording", own),
            ):
                t0 = time.perf_counter()
                hits = detect_hits(y=y, sr=HEAR_SR, profile=prof, reference=ref, block=HEAR_BLOCK)
                hits = _scored(hits, unscored, truth, HEAR_SR)
                if label == "shipped":
                    cpu += time.perf_counter() - t0
                    seconds += len(y) / HEAR_SR
                    got = np.array([h.sample / HEAR_SR for h in hits])
                    f.append(mir_eval.onset.f_measure(truth, got, window=REAL_WINDOW)[0])
                    err += [
                        abs(got[j] - truth[i]) * 1000
                        for i, j in mir_eval.util.match_events(truth, got, REAL_WINDOW)
                    ]
                per = named.setdefault(label, {g: [0, 0, 0] for g in REAL_GROUPS})
                for g, v in real_named(moments, hits, HEAR_SR).items():
                    per[g] = [a + b for a, b in zip(per[g], v, strict=True)]
            on = librosa.onset.onset_detect(y=y, sr=HEAR_SR, hop_length=256, units="time")
            if len(unscored):  # the same strokes left out of the reference's count
                kit = {j for _, j in mir_eval.util.match_events(truth, on, REAL_WINDOW)}
                spare = np.array([j for j in range(len(on)) if j not in kit], dtype=int)
                drop = {
                    int(spare[j])
                    for _, j in mir_eval.util.match_events(unscored, on[spare], REAL_WINDOW)
                }
                on = np.array([t for j, t in enumerate(on) if j not in drop])
            ref_f.append(mir_eval.onset.f_measure(truth, on, window=REAL_WINDOW)[0])
            ref_err += [
                abs(on[j] - truth[i]) * 1000
                for i, j in mir_eval.util.match_events(truth, on, REAL_WINDOW)
            ]
        e, re_ = np.asarray(err), np.asarray(ref_err)
        what = f"the song's other stems {-BLEED_DB:.0f} dB under" if bleed else "no song"
        print(f"== real kits, {what} ({seconds:.0f} s of playing)")
        print(
            f"  onset F (±50 ms)      {np.mean(f):.3f}   (target ≥ 0.97); librosa "
            f"{np.mean(ref_f):.3f}, ratio {np.mean(f) / np.mean(ref_f):.3f}"
        )
        print(
            f"  |timing error|        median {np.median(e):.1f} ms, p95 "
            f"{np.percentile(e, 95):.1f} ms (target ≤ 5); librosa {np.median(re_):.1f} / "
            f"{np.percentile(re_, 95):.1f} ms"
        )
        print(f"  real-time factor      {seconds / cpu:.0f}× ({HEAR_BLOCK}-sample blocks)")
        print(
            "  strokes named (right / found; made up)  "
            + "  ".join(f"{g:>10s}" for g in REAL_GROUPS)
            + "       all"
        )
        for label, per in named.items():
            right = sum(v[0] for v in per.values())
            total = sum(v[1] for v in per.values())
            cells = "  ".join(
                f"{100 * v[0] / v[1]:5.0f} %{v[2]:4d}" if v[1] else f"{'–':>6s}{v[2]:4d}"
                for v in per.values()
            )
            print(f"  {label:38s} {cells}  {100 * right / max(1, total):6.1f} %")
        print()
    print(
        "Targets (real kits): strokes named ≥ 90 % with the shipped profile, ≥ 95 % after a "
        "calibration, no piece under 85 %."
    )
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--takes", type=int, default=3, help="takes per kit, condition and bleed")
    ap.add_argument("--tuning", action="store_true", help="measure on the tuning kits instead")
    ap.add_argument("--real", action="store_true", help="measure on real kits (real-drums)")
    ap.add_argument("--eval", type=Path, default=ROOT.parent / "shared" / "eval")
    args = ap.parse_args()
    if args.real:
        return real_kits(args.eval / "real-drums")
    kits = [k for k in (ks.TUNING if args.tuning else ks.HELD_OUT) if ks.have_kit(k)]
    if not kits:
        print("mic_detection: needs fluidsynth and the General MIDI soundfonts; skipped")
        return 0
    a = load_audio(DEMO / "onebeat-demo.ogg")
    song = resample(to_mono(a.y), orig_sr=a.sr, target_sr=ks.SR).astype(np.float32)
    truth_song = json.loads((DEMO / "onebeat-demo.truth.json").read_text())
    rng = np.random.default_rng(8)
    shipped = default_profile()
    print(f"kits: {', '.join(k.name for k in kits)} ({'tuning' if args.tuning else 'held out'})")
    print(f"{args.takes} takes per kit × condition × (no song, playing along to the song)\n")
    for condition in CONDITIONS:
        rows: dict[str, list[float]] = {k: [] for k in ("f", "err", "ref_f", "ref_err", "lat")}
        cls = {name: [0, 0, 0, 0] for name in LABELS}
        seconds = cpu = 0.0
        for kit in kits:
            strokes = ks.strokes(kit)
            # the kit's calibration, in this room, without the song
            cal_room = room(rng, condition, bleed=False)
            pieces = [p for p in CALIBRATION_PIECES if (p, 75) in strokes]
            cal = ks.calibration(pieces, rng)
            n = round((cal[-1][0] + 2) * ks.SR)
            y_cal = ks.microphone(ks.play(strokes, cal, n, rng), cal_room, rng)
            own = prompted_kit(y_cal, cal, kit.name)
            for take in range(2 * args.takes):
                bleed = take % 2 == 1
                if bleed:  # playing along: the groove on the song's own beats
                    perf = ks.groove(rng, bpm=float(truth_song["tempo_bpm"]), start=0.5)
                    n = round((perf[-1][0] + 2) * ks.SR)
                    bars = [d for d in truth_song["downbeats"] if d + n / ks.SR < len(song) / ks.SR]
                    start = round((float(rng.choice(bars)) - 0.5) * ks.SR)
                else:
                    perf = ks.groove(rng)
                    n = round((perf[-1][0] + 2) * ks.SR)
                    start = 0
                seg = song[start : start + n]
                # the same microphone in the same room as the calibration: its reverberation
                # and its response (low and high cut) are the calibration's
                r = replace(
                    room(rng, condition, bleed),
                    rt60=cal_room.rt60,
                    low_cut=cal_room.low_cut,
                    high_cut=cal_room.high_cut,
                )
                y = ks.microphone(ks.play(strokes, perf, n, rng), r, rng, seg)
                ref = Reference(seg, ks.SR) if bleed else None
                truth = np.unique([s[0] for s in perf])
                hits, dt = listen(y, 512, profile=own, reference=ref)
                seconds += n / ks.SR
                cpu += dt
                est = np.array([h.sample / ks.SR for h in hits])
                rows["f"].append(mir_eval.onset.f_measure(truth, est, window=WINDOW)[0])
                rows["err"] += [
                    abs(est[j] - truth[i]) * 1000
                    for i, j in mir_eval.util.match_events(truth, est, WINDOW)
                ]
                played = {s[1] for s in perf}
                for name, prof in (
                    ("own", own),
                    ("part", own.for_part(played)),
                    ("shipped", shipped),
                    ("shipped_part", shipped.for_part(played)),
                ):
                    got = hits if prof is own else listen(y, 512, profile=prof, reference=ref)[0]
                    for k, v in enumerate(ks.named(perf, truth, got, WINDOW)):
                        cls[name][k] += v
                if take == 0:  # the decision latency, fed a hop at a time
                    fine, _ = listen(y, 64, profile=own)
                    rows["lat"] += [(h.decided - h.sample) / ks.SR * 1000 for h in fine]
                on = librosa.onset.onset_detect(y=y, sr=ks.SR, hop_length=256, units="time")
                rows["ref_f"].append(mir_eval.onset.f_measure(truth, on, window=WINDOW)[0])
                rows["ref_err"] += [
                    abs(on[j] - truth[i]) * 1000
                    for i, j in mir_eval.util.match_events(truth, on, WINDOW)
                ]
        err, ref_err, lat = (np.asarray(rows[k]) for k in ("err", "ref_err", "lat"))
        f, ref_f = float(np.mean(rows["f"])), float(np.mean(rows["ref_f"]))
        p95, ref_p95 = float(np.percentile(err, 95)), float(np.percentile(ref_err, 95))
        out = [
            f"== {condition} microphone ({len(rows['f'])} takes, {seconds:.0f} s of playing)",
            f"  onset F (±20 ms)      {f:.3f}   (target ≥ 0.95; worst take "
            f"{np.min(rows['f']):.3f})",
            f"  |timing error|        mean {err.mean():.2f} ms, p95 {p95:.2f} ms   "
            "(target p95 ≤ 5 ms)",
        ]
        for name, (right, total, exact, onsets) in cls.items():
            label = LABELS[name]
            out.append(
                f"  kick/snare/hi-hat     {100 * exact / max(1, onsets):.1f} % of onsets named "
                f"exactly, {100 * right / max(1, total):.1f} % of strokes named, with {label} "
                f"({onsets} onsets, {total} strokes)"
            )
        out += [
            f"  decision latency      mean {lat.mean():.1f} ms, max {lat.max():.1f} ms   "
            "(target ≤ 15 ms)",
            f"  real-time factor      {seconds / cpu:.0f}× on one core, 512-sample blocks   "
            "(target ≥ 20×)",
            f"  reference: librosa    F {ref_f:.3f}, |timing error| mean {ref_err.mean():.2f} "
            f"ms, p95 {ref_p95:.2f} ms (offline, whole file)",
            f"  ratio F onebeat/librosa {f / ref_f:.3f}, p95 error librosa/onebeat "
            f"{ref_p95 / p95:.1f}×\n",
        ]
        print("\n".join(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
