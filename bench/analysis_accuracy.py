"""Beat/downbeat/tempo accuracy of every analysis backend, side by side.

Runs each backend over ../shared/eval (real recordings with human annotations: the GTZAN
excerpts, the real multitracks of ``real-drums``, a few others; and rendered songs with
exact truth) and prints one table per set: beat F, downbeat F (mir_eval, ±70 ms,
trimmed), tempo Acc1/Acc2 and CPU seconds per audio minute; then, for the real
recordings, downbeat F per genre and the clips where bar 1 was never found (F 0).

The reference row, ``madmom-joint``, is madmom's own downbeat tracker (downbeat RNN +
joint bar DBN) measured in the same run: onebeat's bar inference should beat it.

Usage: .venv/bin/python bench/analysis_accuracy.py [--eval DIR] [--backends a,b]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from onebeat.analysis import BACKENDS, analyze, evaluate  # noqa: E402
from onebeat.audio import load_audio  # noqa: E402
from onebeat.errors import OnebeatError  # noqa: E402

# (beats, downbeats, tempo_bpm) for a file
Estimate = tuple[np.ndarray, np.ndarray, float]


def madmom_joint(path: Path) -> Estimate:
    """madmom's own downbeat tracking: RNNDownBeatProcessor + DBNDownBeatTrackingProcessor."""
    from madmom.audio.signal import Signal
    from madmom.features.downbeats import DBNDownBeatTrackingProcessor, RNNDownBeatProcessor

    import onebeat.analysis._madmom  # noqa: F401 - its soxr/onnx set-up

    y = load_audio(path, sr=44100).y
    act = RNNDownBeatProcessor()(Signal(y, sample_rate=44100))
    est = DBNDownBeatTrackingProcessor(beats_per_bar=[3, 4], fps=100)(act)
    beats = est[:, 0]
    ibi = np.diff(beats)
    return beats, est[est[:, 1] == 1, 0], float(60.0 / np.median(ibi)) if len(ibi) else 0.0


def onebeat_backend(name: str) -> Callable[[Path], Estimate]:
    def run(path: Path) -> Estimate:
        sm = analyze(path, backend=name, use_cache=False)
        return sm.beats, sm.downbeats, sm.tempo_bpm

    return run


def reference_of(audio: Path) -> Path:
    """The ``.beats`` file of an audio file (``NAME.mix.flac`` → ``NAME.beats``)."""
    return (
        audio.with_name(audio.name.split(".mix.")[0]).with_suffix(".beats")
        if (".mix." in audio.name)
        else audio.with_suffix(".beats")
    )


def genre_of(audio: Path) -> str:
    """``gtzan_reggae.00001.flac`` → ``reggae``; the real multitracks are ``multitrack``."""
    if ".mix." in audio.name:
        return "multitrack"
    stem = audio.name.split(".")[0]
    return stem.split("_", 1)[1] if stem.startswith("gtzan_") else "other"


def load_reference(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    ref = np.loadtxt(path, ndmin=2)
    beats = ref[:, 0]
    return beats, (ref[ref[:, 1] == 1, 0] if ref.shape[1] > 1 else None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval", type=Path, default=ROOT.parent / "shared" / "eval")
    parser.add_argument("--backends", default=",".join([*BACKENDS, "madmom-joint"]))
    args = parser.parse_args()
    if not (args.eval / "real").is_dir():
        sys.exit(f"analysis_accuracy: no evaluation data at {args.eval}")

    runners: dict[str, Callable[[Path], Estimate]] = {}
    for name in args.backends.split(","):
        runners[name] = madmom_joint if name == "madmom-joint" else onebeat_backend(name)

    sets = {
        "real GTZAN excerpts": sorted((args.eval / "real").glob("gtzan_*.flac")),
        "real multitracks (real-drums)": sorted((args.eval / "real-drums").glob("*.mix.flac")),
        "other real recordings": sorted(
            p for p in (args.eval / "real").glob("*.flac") if not p.name.startswith("gtzan_")
        ),
        "rendered songs (synth)": sorted((args.eval / "synth").glob("*.flac")),
    }
    header = (
        f"{'backend':14s} {'beat F':>7s} {'downb F':>7s} {'Acc1':>6s} {'Acc2':>6s} "
        f"{'CPU s/min':>9s}  n"
    )
    # backend -> genre -> downbeat F of each real clip
    by_genre: dict[str, dict[str, list[tuple[str, float]]]] = {n: {} for n in runners}
    for set_name, files in sets.items():
        print(f"\n## {set_name} ({len(files)} files)\n{header}")
        for name, run in runners.items():
            rows: list[dict[str, float]] = []
            cpu = audio_s = 0.0
            skipped: list[str] = []
            for f in files:
                ref_beats, ref_down = load_reference(reference_of(f))
                t0 = time.process_time()
                try:
                    beats, downs, bpm = run(f)
                except OnebeatError as exc:
                    skipped.append(f"{f.name} ({str(exc).split(': ', 1)[-1]})")
                    continue
                cpu += time.process_time() - t0
                audio_s += load_audio(f, sr=8000).duration
                row = evaluate(
                    reference_beats=ref_beats,
                    estimated_beats=beats,
                    reference_downbeats=ref_down,
                    estimated_downbeats=downs if ref_down is not None else None,
                    estimated_tempo_bpm=bpm,
                )
                rows.append(row)
                if "downbeat_f" in row and not set_name.startswith("rendered"):
                    by_genre[name].setdefault(genre_of(f), []).append((f.name, row["downbeat_f"]))

            def mean(key: str, rows: list[dict[str, float]] = rows) -> str:
                vals = [r[key] for r in rows if key in r]
                return f"{np.mean(vals):.3f}" if vals else "–"

            per_min = 60.0 * cpu / audio_s if audio_s else float("nan")
            print(
                f"{name:14s} {mean('beat_f'):>7s} {mean('downbeat_f'):>7s} {mean('acc1'):>6s} "
                f"{mean('acc2'):>6s} {per_min:9.2f}  {len(rows)}"
            )
            for s in skipped:
                print(f"    skipped {s}")
    print_genres(by_genre)
    print(
        "\nTargets (default backend): real recordings beat F >= 0.90, downbeat F >= 0.80 "
        "(librosa >= 0.70), no genre at 0 for more than one clip in six; synth beat F >= 0.97."
    )


def print_genres(by_genre: dict[str, dict[str, list[tuple[str, float]]]]) -> None:
    """Downbeat F per genre of the real recordings, a column per backend, and the clips at 0."""
    names = list(by_genre)
    genres = sorted({g for per in by_genre.values() for g in per})
    if not genres:
        return
    print("\n## real recordings: downbeat F per genre (clips with bar 1 never found)")
    print(f"{'genre':12s} " + " ".join(f"{n:>18s}" for n in names))
    for g in genres:
        cells = []
        for n in names:
            vals = [f for _, f in by_genre[n].get(g, [])]
            zero = sum(1 for f in vals if f == 0.0)
            cells.append(f"{np.mean(vals):.3f} ({zero}/{len(vals)} at 0)" if vals else "–")
        print(f"{g:12s} " + " ".join(f"{c:>18s}" for c in cells))
    for n in names:
        zeros = [name for per in by_genre[n].values() for name, f in per if f == 0.0]
        print(f"{n}: bar 1 never found in {len(zeros)}: {', '.join(zeros) or 'none'}")


if __name__ == "__main__":
    main()
