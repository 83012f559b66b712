"""How well level-4/5 charts and the drum transcription match the song's real drums.

Over the rendered songs of ../shared/eval/synth (their ``.drums.tsv`` is the drum part
that was rendered) and the bundled demo song (its truth file), prints per song and as a
mean the F-measure (±50 ms, mir_eval) per piece of:

- ``onsets``: the transcribed drum onsets (onebeat's model);
- ``band``: the training-free reference measured in the same run: onset detection in
  three frequency bands (kick < 150 Hz, snare 150 Hz – 5 kHz, hi-hat > 7 kHz, librosa's
  onset detector on each), the textbook first try at drum transcription;
- ``L4`` and ``L5``: the notes of the level-4 and level-5 charts (on the beat grid that
  ``onebeat analyze`` finds, so beat-tracking errors count too).

Pieces: kick, snare (incl. side stick), hi-hat (closed, pedal, open); ride and toms are
listed for level 5 where the song has them. Targets (issue 3): kick and snare F ≥ 0.85,
hi-hat F ≥ 0.75.

With ``--real``, also prints for a few ../shared/eval/real clips (no drum truth) the
share of level-4 chart notes that fall within 50 ms of an audible onset, and writes
``<clip>.chart.wav`` renders to listen to (``--listen DIR``).

Usage: .venv/bin/python bench/chart_quality.py [--eval DIR] [--real] [--listen DIR]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import librosa
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from onebeat.analysis import analyze, analyze_drums  # noqa: E402
from onebeat.analysis.drums import class_of_gm_note  # noqa: E402
from onebeat.analysis.evaluate import drum_scores  # noqa: E402
from onebeat.audio import load_audio  # noqa: E402
from onebeat.chart import Chart, generate_chart  # noqa: E402
from onebeat.demo import demo_song_path, demo_truth  # noqa: E402
from onebeat.kit import DrumPiece  # noqa: E402

PIECES = ("kick", "snare", "hihat")
EXTRA = ("ride", "tom")
CHART_CLASS = {
    DrumPiece.KICK: "kick",
    DrumPiece.SNARE: "snare",
    DrumPiece.HIHAT_CLOSED: "hihat",
    DrumPiece.HIHAT_OPEN: "hihat",
    DrumPiece.HIHAT_PEDAL: "hihat",
    DrumPiece.RIDE: "ride",
    DrumPiece.TOM_HIGH: "tom",
    DrumPiece.TOM_MID: "tom",
    DrumPiece.TOM_FLOOR: "tom",
    DrumPiece.CRASH: "crash",
}


def truth_from_pairs(pairs: list[tuple[float, int]]) -> dict[str, np.ndarray]:
    out: dict[str, list[float]] = {}
    for t, note in pairs:
        cls = class_of_gm_note(int(note))
        if cls is None:
            continue
        cls = "hihat" if cls == "hihat_open" else cls
        out.setdefault(cls, []).append(float(t))
    return {k: np.array(sorted(v)) for k, v in out.items()}


def chart_times(chart: Chart) -> dict[str, np.ndarray]:
    out: dict[str, list[float]] = {}
    for n in chart.notes:
        out.setdefault(CHART_CLASS[n.piece], []).append(n.time)
    return {k: np.array(sorted(v)) for k, v in out.items()}


def band_onsets(path: Path) -> dict[str, np.ndarray]:
    """The training-free reference: onsets per frequency band."""
    y, sr = load_audio(path, sr=44100).y, 44100
    spec = np.abs(librosa.stft(y, n_fft=2048, hop_length=441))
    freqs = librosa.fft_frequencies(sr=sr, n_fft=2048)
    bands = {"kick": (20, 150), "snare": (150, 5000), "hihat": (7000, 20000)}
    out = {}
    for name, (lo, hi) in bands.items():
        band = librosa.amplitude_to_db(spec[(freqs >= lo) & (freqs < hi)])
        env = librosa.onset.onset_strength(S=band, sr=sr, hop_length=441)
        frames = librosa.onset.onset_detect(onset_envelope=env, sr=sr, hop_length=441)
        out[name] = librosa.frames_to_time(frames, sr=sr, hop_length=441)
    return out


def songs(eval_dir: Path) -> list[tuple[str, Path, dict[str, np.ndarray]]]:
    out = []
    for flac in sorted((eval_dir / "synth").glob("*.flac")):
        tsv = flac.with_suffix(".drums.tsv")
        rows = np.loadtxt(tsv, ndmin=2)
        out.append((flac.stem, flac, truth_from_pairs([(r[0], int(r[1])) for r in rows])))
    truth = demo_truth()
    pairs = [(h["time"], h["note"]) for h in truth["drum_hits"]]
    out.append(("demo", demo_song_path(), truth_from_pairs(pairs)))
    return out


def fmt(scores: dict[str, float], pieces: tuple[str, ...]) -> str:
    return " ".join(f"{scores[p + '_f']:5.2f}" if p + "_f" in scores else "    -" for p in pieces)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--eval", type=Path, default=ROOT.parent / "shared" / "eval")
    ap.add_argument("--real", action="store_true", help="also the real-recording check")
    ap.add_argument("--listen", type=Path, help="write chart renders of the real clips here")
    args = ap.parse_args()
    if not (args.eval / "synth").is_dir():
        sys.exit(f"chart_quality: no evaluation set at {args.eval} (see ../shared/eval)")

    rows: dict[str, list[dict[str, float]]] = {"band": [], "onsets": [], "L4": [], "L5": []}
    head = "kick snare hihat"
    print(f"{'song':22s} | band: {head} | onsets: {head} | L4: {head} | L5: {head} ride  tom")
    for name, path, truth in songs(args.eval):
        sm = analyze(path)
        drums = analyze_drums(path)
        onsets = dict(drums.onsets.times)
        onsets["hihat"] = np.sort(np.concatenate([onsets["hihat"], onsets.pop("hihat_open")]))
        res = {
            "band": drum_scores({p: truth[p] for p in PIECES if p in truth}, band_onsets(path)),
            "onsets": drum_scores({p: truth[p] for p in PIECES if p in truth}, onsets),
        }
        for level in (4, 5):
            chart = generate_chart(sm, level=level, drums=drums)
            ref = {p: truth[p] for p in PIECES + (EXTRA if level == 5 else ()) if p in truth}
            res[f"L{level}"] = drum_scores(ref, chart_times(chart))
        for k, v in res.items():
            rows[k].append(v)
        print(
            f"{name:22s} | {fmt(res['band'], PIECES)} | {fmt(res['onsets'], PIECES)} | "
            f"{fmt(res['L4'], PIECES)} | {fmt(res['L5'], PIECES + EXTRA)}"
        )

    def mean(kind: str, piece: str) -> float:
        vals = [r[piece + "_f"] for r in rows[kind] if piece + "_f" in r]
        return float(np.mean(vals)) if vals else float("nan")

    print()
    print(f"{'mean F':12s} {'kick':>6s} {'snare':>6s} {'hihat':>6s}")
    for kind in rows:
        print(f"{kind:12s} " + " ".join(f"{mean(kind, p):6.3f}" for p in PIECES))
    ratio = [mean("onsets", p) / mean("band", p) for p in PIECES]
    print("onsets/band  " + " ".join(f"{r:6.2f}" for r in ratio) + "   (ratio to the reference)")
    print("targets      " + " ".join(f"{t:6.2f}" for t in (0.85, 0.85, 0.75)))

    sections_check()
    if args.real:
        real_check(args.eval / "real", args.listen)


def sections_check() -> None:
    """Section starts found in the demo song against its truth (within half a beat)."""
    truth = [s["start"] for s in demo_truth()["sections"]]
    sm = analyze(demo_song_path())
    chart = generate_chart(sm, level=4, drums=analyze_drums(demo_song_path()))
    found = [float(sm.beats[int(b)]) for b in chart.sections]
    half_beat = 0.5 * 60.0 / sm.tempo_bpm
    hits = sum(1 for t in truth if any(abs(t - f) <= half_beat for f in found))
    print()
    print(
        f"demo sections: {hits} of {len(truth)} starts found, "
        f"{len(found) - hits} found where the truth has none"
    )


def real_check(real: Path, listen: Path | None) -> None:
    """No drum truth for real clips: how many chart notes land on an audible onset."""
    from onebeat.audio.drumsynth import mix_hits

    clips = sorted(real.glob("gtzan_*.00000.flac"))
    print()
    print("real clips (no drum truth): share of L4 notes within 50 ms of an onset in the audio")
    for clip in clips:
        sm = analyze(clip)
        drums = analyze_drums(clip)
        chart = generate_chart(sm, level=4, drums=drums)
        audio = load_audio(clip, sr=44100)
        env = librosa.onset.onset_strength(y=audio.y, sr=audio.sr, hop_length=441)
        on = librosa.frames_to_time(
            librosa.onset.onset_detect(onset_envelope=env, sr=audio.sr, hop_length=441),
            sr=audio.sr,
            hop_length=441,
        )
        times = np.array([n.time for n in chart.notes])
        near = np.min(np.abs(times[:, None] - on[None, :]), axis=1) <= 0.05 if len(on) else []
        share = float(np.mean(near)) if len(times) else float("nan")
        print(f"  {clip.stem:22s} {len(chart.notes):4d} notes, {share:5.2f} on an onset")
        if listen is not None:
            import soundfile as sf

            listen.mkdir(parents=True, exist_ok=True)
            hits = [(n.time, n.piece, n.velocity) for n in chart.notes]
            sf.write(listen / f"{clip.stem}.chart.wav", mix_hits(audio.y, audio.sr, hits), audio.sr)


if __name__ == "__main__":
    main()
