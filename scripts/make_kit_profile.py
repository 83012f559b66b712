"""Make the kit profile onebeat ships: onebeat/data/kit_profile.json.

The profile names a microphone's strokes before a player has calibrated their own kit.
It is learnt from the *tuning* kits of ``tests/inputs/kitsound.py`` (four General MIDI
soundfont kits), each piece struck six times at varied velocities in three simulated
rooms, heard by :class:`onebeat.hearing.HitListener` exactly as a live stroke is.
The held-out kits that ``bench/mic_detection.py`` measures on are never used here.

Needs Debian's ``fluidsynth`` and soundfonts (README, "For developers").
Usage: .venv/bin/python scripts/make_kit_profile.py [--out onebeat/data/kit_profile.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from onebeat.hearing import CALIBRATION_PIECES, KitProfile, detect_hits  # noqa: E402
from onebeat.kit import DrumPiece  # noqa: E402
from onebeat.simulate import kitsound as ks  # noqa: E402

PER_PIECE = 6
ROOMS = 3


def labelled(kit: ks.Kit, rng: np.random.Generator) -> list[tuple[DrumPiece, np.ndarray]]:
    """Each calibration stroke heard in a room, with the piece that was struck."""
    pieces = list(CALIBRATION_PIECES)
    perf = ks.calibration(pieces, rng, per=PER_PIECE)
    n = round((perf[-1][0] + 2) * ks.SR)
    y = ks.microphone(ks.play(ks.strokes(kit), perf, n, rng), ks.Room.draw(rng, bleed=False), rng)
    out = []
    for h in detect_hits(y=y, sr=ks.SR, classify=False):
        t = h.sample / ks.SR
        near = min(perf, key=lambda s: abs(s[0] - t))
        if abs(near[0] - t) <= 0.02:
            out.append((near[1], h.features))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "onebeat" / "data" / "kit_profile.json")
    args = ap.parse_args()
    kits = [k for k in ks.TUNING if ks.have_kit(k)]
    if len(kits) < len(ks.TUNING):
        print("make_kit_profile: needs fluidsynth and the tuning soundfonts", file=sys.stderr)
        return 1
    rng = np.random.default_rng(2026)
    pairs: list[tuple[DrumPiece, np.ndarray]] = []
    for kit in kits:
        for _ in range(ROOMS):
            got = labelled(kit, rng)
            print(f"{kit.name}: {len(got)} strokes heard of {PER_PIECE * len(CALIBRATION_PIECES)}")
            pairs += got
    profile = KitProfile(
        "onebeat default (4 soundfont kits)", [p for p, _ in pairs], np.stack([f for _, f in pairs])
    )
    args.out.write_text(json.dumps(profile.to_json(), separators=(",", ":")) + "\n")
    print(f"wrote {args.out} ({len(pairs)} strokes, {args.out.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
