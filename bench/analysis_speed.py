"""Speed and memory of analysing a 3-minute song with the default backend.

The song is the demo song looped to 3:00 and written as Ogg Vorbis. Each backend runs
in a fresh process (so that model loading counts, as it does for a user) and reports
wall time, CPU time, real-time factor and peak memory. References, in the same run:
decoding the same file alone, and madmom's own beat and downbeat pipeline on it.

Targets: <= 20 s for 3 minutes (>= 9x real time), <= 2 GiB peak memory, and (issue 30)
<= 1.2x the time of madmom's own pipeline.

Usage: .venv/bin/python bench/analysis_speed.py [--backends madmom,librosa]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from onebeat.audio import load_audio  # noqa: E402
from onebeat.audio.encode import write_ogg_vorbis  # noqa: E402
from onebeat.demo import demo_song_path  # noqa: E402

CHILD = """
import json, resource, sys, time
t0, c0 = time.perf_counter(), time.process_time()
what, path = sys.argv[1], sys.argv[2]
if what == "decode":
    from onebeat.audio import load_audio
    load_audio(path, sr=44100)
elif what == "madmom-alone":
    # the reference: madmom's own beat and downbeat pipeline on the same file (its beat
    # RNN + DBN, its downbeat RNN + joint DBN), decoded the same way, models loaded alike
    import numpy as np
    import madmom.audio.stft
    import onebeat.analysis._madmom as om  # madmom's resampler without ffmpeg
    madmom.audio.stft.stft = om._MADMOM_STFT  # madmom's own frame-by-frame transform
    from madmom.audio.signal import Signal
    from madmom.features.beats import DBNBeatTrackingProcessor, RNNBeatProcessor
    from madmom.features.downbeats import DBNDownBeatTrackingProcessor, RNNDownBeatProcessor
    from onebeat.audio import load_audio
    y = load_audio(path, sr=44100).y
    sig = Signal(np.asarray(y, dtype=np.float32), sample_rate=44100)
    DBNBeatTrackingProcessor(fps=100)(RNNBeatProcessor()(sig))
    DBNDownBeatTrackingProcessor(beats_per_bar=[3, 4], fps=100)(RNNDownBeatProcessor()(sig))
else:
    from onebeat.analysis import analyze
    analyze(path, backend=what, use_cache=False)
print(json.dumps({"wall": time.perf_counter() - t0, "cpu": time.process_time() - c0,
                  "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="madmom,librosa")
    parser.add_argument("--seconds", type=float, default=180.0)
    args = parser.parse_args()

    demo = load_audio(demo_song_path(), mono=False)
    reps = int(np.ceil(args.seconds / demo.duration))
    y = np.tile(demo.y, (1, reps))[:, : int(args.seconds * demo.sr)]
    with tempfile.TemporaryDirectory() as tmp:
        song = Path(tmp) / "three_minutes.ogg"
        write_ogg_vorbis(song, y, demo.sr)
        print(f"{args.seconds:.0f} s song ({song.stat().st_size / 1e6:.1f} MB ogg)")
        print(f"{'step':12s} {'wall s':>7s} {'CPU s':>7s} {'x real time':>11s} {'peak MiB':>9s}")
        walls = {}
        for what in ["decode", "madmom-alone", *args.backends.split(",")]:
            out = subprocess.run(
                [sys.executable, "-c", CHILD, what, str(song)],
                check=True,
                capture_output=True,
                text=True,
                cwd=ROOT,
            )
            r = json.loads(out.stdout.strip().splitlines()[-1])
            walls[what] = r["wall"]
            print(
                f"{what:12s} {r['wall']:7.1f} {r['cpu']:7.1f} {args.seconds / r['wall']:11.1f} "
                f"{r['rss_mib']:9.0f}"
            )
        if "madmom" in walls:
            print(
                f"onebeat (madmom) / madmom's own pipeline: "
                f"{walls['madmom'] / walls['madmom-alone']:.2f}x (target <= 1.2x)"
            )


if __name__ == "__main__":
    main()
