"""Drums down: how well onebeat takes a real song's drums out.

Over the real studio multitracks of ../shared/eval/real-drums (each song's ``.mix.flac`` is
exactly ``.drums.flac`` + ``.rest.flac``), onebeat's drumless song (``onebeat drumless``:
:func:`onebeat.analysis.drumless.separate`, from the mix alone, its drums transcribed
cold) is scored with scale-invariant SDR (Le Roux et al. 2019):

* **drums**: the mix minus the drumless song, against the true drum stem;
* **drumless**: the drumless song against the true rest of the band.

Beside it, in the same run, librosa's harmonic/percussive split (its percussive part as
the drums; margins 1 and 2), the mix itself as the drumless song (what a player hears
with no separation at all), and the oracle ratio mask (the true stems' magnitudes:
the most any time-frequency mask can reach). Wall time per second of audio, cold
(decode, transcription and separation), on this machine.

Targets (issue 27): drums SI-SDR ≥ 8 dB and ≥ 3 dB better than HPSS on every song;
the drumless song closer to the true rest than the mix; ≤ 0.5 s per second of audio.

``--listen DIR`` writes each song's drumless and drums-only renders there, to hear.

Usage: .venv/bin/python bench/separation.py [--eval DIR] [--listen DIR]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

N_FFT, HOP = 2048, 512


def si_sdr(estimate: np.ndarray, reference: np.ndarray) -> float:
    """Scale-invariant signal-to-distortion ratio [dB] (mono signals)."""
    ref = reference - reference.mean()
    est = estimate - estimate.mean()
    scale = float(np.dot(est, ref) / (np.dot(ref, ref) + 1e-12))
    target = scale * ref
    noise = est - target
    return float(10 * np.log10((np.sum(target**2) + 1e-12) / (np.sum(noise**2) + 1e-12)))


def _mono(path: Path) -> tuple[np.ndarray, int]:
    from onebeat.audio.decode import load_audio

    a = load_audio(path, mono=True)
    return np.asarray(a.y, dtype=np.float64), a.sr


def hpss_drums(mix: np.ndarray, margin: float) -> np.ndarray:
    import librosa

    spec = librosa.stft(mix.astype(np.float32), n_fft=N_FFT, hop_length=HOP)
    _, perc = librosa.decompose.hpss(np.abs(spec), margin=margin, mask=True)
    return np.asarray(librosa.istft(spec * perc, hop_length=HOP, length=len(mix)), np.float64)


def oracle_drums(mix: np.ndarray, drums: np.ndarray, rest: np.ndarray) -> np.ndarray:
    import librosa

    def stft(x: np.ndarray) -> np.ndarray:
        return np.asarray(librosa.stft(x.astype(np.float32), n_fft=N_FFT, hop_length=HOP))

    d, r = np.abs(stft(drums)), np.abs(stft(rest))
    mask = d**2 / (d**2 + r**2 + 1e-12)  # the Wiener mask of the true stems
    out = librosa.istft(stft(mix) * mask, hop_length=HOP, length=len(mix))
    return np.asarray(out, np.float64)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--eval", type=Path, default=ROOT.parent / "shared" / "eval")
    ap.add_argument("--listen", type=Path, help="write the drumless and drums renders here")
    args = ap.parse_args()
    folder = args.eval / "real-drums"
    mixes = sorted(folder.glob("*.mix.flac")) if folder.is_dir() else []
    if not mixes:
        print(f"separation: no real multitracks at {folder} (see ../shared/eval); skipped")
        return 0
    from onebeat.analysis.drumless import separate

    rows: dict[str, dict[str, float]] = {}
    seconds = took = 0.0
    for mix_path in mixes:
        name = mix_path.name.removesuffix(".mix.flac")
        mix, sr = _mono(mix_path)
        drums, _ = _mono(folder / f"{name}.drums.flac")
        rest, _ = _mono(folder / f"{name}.rest.flac")
        t0 = time.perf_counter()
        ours_rest, ours_drums, _ = separate(mix_path, use_cache=False)  # cold
        took += time.perf_counter() - t0
        seconds += len(mix) / sr
        ours_rest, ours_drums = ours_rest.mean(axis=0), ours_drums.mean(axis=0)
        row = {
            "onebeat drums": si_sdr(ours_drums, drums),
            "onebeat drumless": si_sdr(ours_rest, rest),
        }
        for margin in (1.0, 2.0):
            hp = hpss_drums(mix, margin)
            row[f"HPSS m{margin:.0f} drums"] = si_sdr(hp, drums)
            row[f"HPSS m{margin:.0f} drumless"] = si_sdr(mix - hp, rest)
        row["mix as drumless"] = si_sdr(mix, rest)
        row["oracle mask drums"] = si_sdr(oracle_drums(mix, drums, rest), drums)
        rows[name] = row
        if args.listen:
            import soundfile as sf

            args.listen.mkdir(parents=True, exist_ok=True)
            sf.write(args.listen / f"{name}.drumless.flac", np.clip(ours_rest, -1, 1), sr)
            sf.write(args.listen / f"{name}.drums.flac", np.clip(ours_drums, -1, 1), sr)
    songs = list(rows)
    print("real multitracks (../shared/eval/real-drums), SI-SDR [dB]")
    print(f"{'':22s}" + "".join(f"{s[:9]:>10s}" for s in songs) + f"{'mean':>10s}")
    for key in rows[songs[0]]:
        vals = [rows[s][key] for s in songs]
        print(f"{key:22s}" + "".join(f"{v:10.1f}" for v in vals) + f"{np.mean(vals):10.1f}")
    better = [rows[s]["onebeat drums"] - rows[s]["HPSS m1 drums"] for s in songs]
    closer = sum(rows[s]["onebeat drumless"] > rows[s]["mix as drumless"] for s in songs)
    print(
        f"onebeat drums over HPSS (m1): {min(better):+.1f} dB at worst, "
        f"{np.mean(better):+.1f} dB on average; drumless closer to the rest than the mix "
        f"on {closer} of {len(songs)} songs"
    )
    print(f"wall time: {took / seconds:.2f} s per second of audio (cold: decode, drums, mask)")
    if args.listen:
        print(f"renders to hear: {args.listen}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
