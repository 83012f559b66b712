"""Make the sampled kit the play page plays a player's hits with (``onebeat/data/hitkit``).

One stroke of each piece from Emanuel Rumpf's ``rumpf_kit_z01`` (real acoustic drums
recorded at 48 kHz; CC BY 3.0, https://sf.net/projects/rumpf-kit/; Debian's
``hydrogen-drumkits`` package carries it), chosen by its General MIDI slot in the kit's
``drumkit.xml``, made mono at 44.1 kHz, its lead-in cut so that the stroke starts at its
first sample (a hit is heard when it is played), cut short with a fade where a cymbal
rings on, peak-normalised, and written as Ogg Vorbis with the credit beside it.

    python scripts/make_hit_kit.py [--kit /usr/share/hydrogen/data/drumkits/rumpf_kit_z01_h2]
"""

from __future__ import annotations

import argparse
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from onebeat.audio.decode import load_audio  # noqa: E402
from onebeat.audio.encode import write_ogg_vorbis  # noqa: E402

KIT = Path("/usr/share/hydrogen/data/drumkits/rumpf_kit_z01_h2")
OUT = ROOT / "onebeat" / "data" / "hitkit"
SR = 44100
#: Piece → (the kit's instrument name, starting with its General MIDI slot; seconds kept).
PIECES = {
    "kick": ("c3 ", 0.6),
    "snare": ("d3 ", 0.6),
    "hihat_closed": ("f#3", 0.35),
    "hihat_pedal": ("g#3", 0.3),
    "hihat_open": ("a#3", 1.0),
    "tom_high": ("d4 ", 0.9),
    "tom_mid": ("c4 ", 0.9),
    "tom_floor": ("b3 ", 1.0),
    "crash": ("c#4", 2.0),
    "ride": ("d#4", 1.5),
}
CREDIT = """# onebeat's hit sounds

The drum sounds the play page plays as a player hits a key or a pad (`*.ogg`, one stroke
per piece) are cut from **rumpf_kit_z01** by Emanuel Rumpf (2012), real acoustic drums
recorded at 48 kHz, licensed under Creative Commons Attribution 3.0
(https://creativecommons.org/licenses/by/3.0/; https://sf.net/projects/rumpf-kit/), as
carried by Debian's `hydrogen-drumkits` package. Changes: one stroke each, made mono at
44.1 kHz, the lead-in cut, long rings shortened with a fade, peak-normalised, encoded as
Ogg Vorbis. Made by `scripts/make_hit_kit.py`.
"""


def samples(kit: Path) -> dict[str, Path]:
    """The sample file of each piece, by the kit's instrument names."""
    root = ET.parse(kit / "drumkit.xml").getroot()
    found: dict[str, Path] = {}
    for ins in root.iter():
        if not ins.tag.endswith("instrument"):
            continue
        name = next((c.text or "" for c in ins if c.tag.endswith("name")), "")
        files = [e.text for e in ins.iter() if e.tag.endswith("filename") and e.text]
        for piece, (slot, _) in PIECES.items():
            if name.startswith(slot) and files and piece not in found:
                found[piece] = kit / files[0]
    missing = set(PIECES) - set(found)
    if missing:
        raise SystemExit(f"{kit}: no sample for {', '.join(sorted(missing))}")
    return found


def stroke(path: Path, keep_s: float) -> np.ndarray:
    y = np.asarray(load_audio(path, sr=SR, mono=True).y, dtype=np.float64)
    peak = float(np.max(np.abs(y)))
    start = max(0, int(np.flatnonzero(np.abs(y) >= 0.05 * peak)[0]) - round(0.0005 * SR))
    y = y[start : start + round(keep_s * SR)]
    fade = round(0.3 * len(y))
    y[-fade:] *= np.linspace(1.0, 0.0, fade) ** 2
    return np.asarray(0.9 * y / peak, dtype=np.float32)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kit", type=Path, default=KIT)
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    for piece, path in samples(args.kit).items():
        write_ogg_vorbis(OUT / f"{piece}.ogg", stroke(path, PIECES[piece][1]), SR)
        print(f"{piece:13s} {path.name}")
    (OUT / "CREDITS.md").write_text(CREDIT)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
