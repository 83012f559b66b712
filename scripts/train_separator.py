"""Train a drum separation network for ``onebeat drumless``: a small U-Net that, frame by
frame, says which share of each mel band of a mixed song is its drums.

**Tried and not shipped** (issue 27): trained as below (900 songs, 35 minutes, 4,037 steps;
held-out mask error 0.037 on the renders), on the five real multitracks of
``../shared/eval/real-drums`` it separated worse than the transcription-gated percussive
mask onebeat ships (drums SI-SDR -8.6 dB against -5.9; the drumless song against the true
band 13.3 dB against 14.2; the network's mask gated by the same transcription envelope,
its best). Like the drum transcription's, what it learnt of the renders does not carry
over to records. The script stays to be trained on better material.

    python scripts/train_separator.py render WORKDIR [--songs 900] [--jobs 2]
    python scripts/train_separator.py train WORKDIR [--minutes 35]
        [--out drumsep.onnx]

About 50 minutes on a 2-core CPU (render ≈ 12, train 35, export ≈ 1); ``--minutes`` is a
wall-clock budget.

**Data recipe** (``scripts/drumdata.py``, as the drum transcription's, but kept as two
stems): a window of a real drummer's part from the Groove MIDI Dataset's ``train`` split
(``validation`` for the held-out songs), played on one of Debian's ``hydrogen-drumkits``
sampled kits or a soundfont kit, through a drum bus (EQ, compression, saturation,
reverb: ``drumdata.produce``); a band from three General MIDI banks (MuseScore's sampled
one among them) through its own EQ and reverb; the drums from -24 dB to +6 dB against
the band. The mix is exactly drums + band, so the network learns the drums' share of
each bin (the ratio of their mel magnitudes). ``render`` writes per song the mel
magnitudes of the mix and of the drums (``train/songNNNN.npz``, ``val/``).

``train`` fits the network with PyTorch (``pip install -e '.[train]'``) on 3-second
segments (loss: the mask's squared error, weighted by the mix's loudness in each bin) and
writes an ONNX model (input: log mel magnitudes, ``log1p(1000 · mel)``, (batch, 128, even
frames); output: the drums' share of each band). Nothing in ``../shared/eval`` is read.

Credit: the drum parts are the Groove MIDI Dataset's (Gillick et al., ICML 2019;
CC BY 4.0); the kits are Debian's ``hydrogen-drumkits`` (GPL/CC, see its copyright file)
and soundfonts; the band MuseScore's General soundfont (MIT), TimGM6mb (GPL-2) and
sf_GMbank. Weights: MIT, as onebeat's code.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
import tempfile
import time
from multiprocessing import Pool
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from onebeat.analysis.drumless import HOP as SEP_HOP
from onebeat.analysis.drumless import N_FFT as SEP_N_FFT

if TYPE_CHECKING:
    from drumdata import Performance

ROOT = Path(__file__).resolve().parents[1]
GROOVES = ROOT.parent / "shared" / "grooves"
SR = 44100
SEP_MELS = 128
SEG = 256  # frames of a training segment (3 s; even: the network halves the frames)


@functools.cache
def sep_mel_basis(sr: int = SR) -> np.ndarray:
    """The mel filters (:data:`SEP_MELS` × STFT bins) the network hears through, up to the
    Nyquist frequency so that every bin belongs to some band."""
    import librosa

    basis = librosa.filters.mel(sr=sr, n_fft=SEP_N_FFT, n_mels=SEP_MELS, fmin=30.0, fmax=sr / 2)
    return np.asarray(basis, dtype=np.float32)


def _mel_mag(y: np.ndarray) -> np.ndarray:
    import librosa

    spec = np.abs(librosa.stft(np.asarray(y, np.float32), n_fft=SEP_N_FFT, hop_length=SEP_HOP))
    return np.asarray(sep_mel_basis(SR) @ spec, dtype=np.float32)  # (mels, frames)


def make_pair(
    rng: np.random.Generator, perfs: list[Performance], tmp: Path
) -> tuple[np.ndarray, np.ndarray]:
    """One training song as (mix, drums), mix = drums + band."""
    import drumdata
    import pedalboard as pb

    recipe = drumdata.RECIPES[4]
    perf, notes = drumdata.choose_window(rng, perfs, 12.0)
    notes = drumdata.thin_part(notes, rng)
    length = round((notes[-1][0] + 1.0) * SR)
    if rng.random() < 0.2:
        drums, _ = drumdata.render_soundfont(notes, length, rng, tmp)
    else:
        kits = [drumdata.KITS[int(rng.integers(len(drumdata.KITS)))]]
        drums, _, _ = drumdata.render_sampled(notes, length, kits, rng)
    band = drumdata.render_band(
        perf.bpm, perf.beats_per_bar, length, rng, tmp, recipe.percussion, recipe.bands
    )
    d = drumdata.produce(drums, None, rng)  # the drum bus, on the drums alone
    chain = drumdata._eq(rng)
    if rng.random() < 0.6:
        chain.append(pb.Reverb(room_size=float(rng.uniform(0.2, 0.9)), wet_level=0.2))
    b = pb.Pedalboard(chain)(band.astype(np.float32), SR)
    d = d / (float(np.sqrt(np.mean(d**2))) + 1e-9)
    b = b / (float(np.sqrt(np.mean(b**2))) + 1e-9)
    d = d * 10 ** (float(rng.uniform(*recipe.drums_db)) / 20)
    peak = float(np.max(np.abs(d + b))) + 1e-9
    scale = float(rng.uniform(0.3, 0.95)) / peak
    return (d + b) * scale, d * scale


def _render_one(job: tuple[str, int, int, str]) -> str:
    import drumdata

    folder, i, seed, split = job
    out = Path(folder) / f"song{i:04d}.npz"
    if out.exists():
        return out.name
    rng = np.random.default_rng([seed, i, 0 if split == "train" else 1, 27])
    perfs = drumdata.performances(GROOVES, split)
    with tempfile.TemporaryDirectory() as tmp:
        mix, drums = make_pair(rng, perfs, Path(tmp))
    np.savez_compressed(
        out, mix=_mel_mag(mix).astype(np.float16), drums=_mel_mag(drums).astype(np.float16)
    )
    return out.name


def cmd_render(workdir: Path, n_songs: int, jobs: int, seed: int) -> None:
    n_val = max(8, n_songs // 12)
    tasks = []
    for split, folder, n in (("validation", "val", n_val), ("train", "train", n_songs)):
        (workdir / folder).mkdir(parents=True, exist_ok=True)
        tasks += [(str(workdir / folder), i, seed, split) for i in range(n)]
    t0 = time.time()
    with Pool(jobs) as pool:
        for k, _ in enumerate(pool.imap_unordered(_render_one, tasks), 1):
            if k % 25 == 0 or k == len(tasks):
                print(f"rendered {k}/{len(tasks)} ({time.time() - t0:.0f} s)", flush=True)


def build_net() -> object:
    """A small U-Net over (mel bands × frames): the frames halved once below the top (the
    top keeps each frame's own mask), the bands halved at each level; dilated convolutions
    at the bottom see about half a second around."""
    import torch
    from torch import nn

    def block(cin: int, cout: int, dil: int = 1) -> nn.Module:
        return nn.Sequential(
            nn.Conv2d(cin, cout, 3, padding=(1, dil), dilation=(1, dil)),
            nn.BatchNorm2d(cout),
            nn.ReLU(),
            nn.Conv2d(cout, cout, 3, padding=1),
            nn.BatchNorm2d(cout),
            nn.ReLU(),
        )

    class UNet(nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.e1, self.e2, self.e3 = block(1, 8), block(8, 16), block(16, 32)
            self.mid = nn.Sequential(block(32, 32, 2), block(32, 32, 4))
            self.d3, self.d2, self.d1 = block(64, 16), block(32, 16), block(24, 8)
            self.out = nn.Conv2d(8, 1, 1)
            self.pool2, self.pool = nn.MaxPool2d(2), nn.MaxPool2d((2, 1))
            self.up2 = nn.Upsample(scale_factor=2, mode="nearest")
            self.up = nn.Upsample(scale_factor=(2, 1), mode="nearest")

        def forward(self, x: torch.Tensor) -> torch.Tensor:  # (batch, mels, even frames)
            x = x[:, None]
            a = self.e1(x)
            b = self.e2(self.pool2(a))  # half the frames from here: 23 ms steps
            c = self.e3(self.pool(b))
            m = self.mid(self.pool(c))
            c2 = self.d3(torch.cat([self.up(m), c], 1))
            b2 = self.d2(torch.cat([self.up(c2), b], 1))
            a2 = self.d1(torch.cat([self.up2(b2), a], 1))
            return torch.sigmoid(self.out(a2))[:, 0]

    return UNet()


def _features(mix: np.ndarray) -> np.ndarray:
    """The network's input: log-compressed mel magnitudes (level-independent after the
    per-segment normalisation in the exported graph)."""
    return np.log1p(1000.0 * mix).astype(np.float32)


def _load(folder: Path) -> tuple[list[np.ndarray], list[np.ndarray]]:
    mixes, drums = [], []
    for p in sorted(folder.glob("song*.npz")):
        with np.load(p) as z:
            mixes.append(z["mix"].astype(np.float32))
            drums.append(z["drums"].astype(np.float32))
    return mixes, drums


def _target(mix: np.ndarray, drums: np.ndarray) -> np.ndarray:
    band = np.abs(mix - drums)  # mel magnitudes add nearly as the signals do
    return np.asarray(np.clip(drums / (drums + band + 1e-6), 0.0, 1.0), dtype=np.float32)


def cmd_train(workdir: Path, out: Path, minutes: float, seed: int) -> None:
    import torch

    torch.manual_seed(seed)
    torch.set_num_threads(os.cpu_count() or 2)
    rng = np.random.default_rng(seed)
    mixes, drums = _load(workdir / "train")
    vm, vd = _load(workdir / "val")
    print(f"{len(mixes)} training songs, {len(vm)} held out")
    net = build_net()
    assert isinstance(net, torch.nn.Module)
    opt = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=1e-4)
    batch = 12
    budget = minutes * 60.0
    t0 = time.time()
    step = 0
    while time.time() - t0 < budget:
        frac = (time.time() - t0) / budget
        for g in opt.param_groups:
            g["lr"] = 2e-3 * 0.5 * (1 + np.cos(np.pi * min(frac, 1.0)))
        bx = np.zeros((batch, SEP_MELS, SEG), np.float32)
        bt = np.zeros_like(bx)
        bw = np.zeros_like(bx)
        for j, i in enumerate(rng.integers(0, len(mixes), size=batch)):
            m, d = mixes[i], drums[i]
            s = int(rng.integers(0, max(1, m.shape[1] - SEG)))
            m, d = m[:, s : s + SEG], d[:, s : s + SEG]
            gain = float(10 ** rng.uniform(-1.0, 0.5))  # quieter and louder masters
            bx[j, :, : m.shape[1]] = _features(m * gain)
            bt[j, :, : m.shape[1]] = _target(m, d)
            bw[j, :, : m.shape[1]] = np.sqrt(m / (m.mean() + 1e-9))
        net.train()
        opt.zero_grad()
        pred = net(torch.from_numpy(bx))
        w = torch.from_numpy(bw)
        loss = (w * (pred - torch.from_numpy(bt)) ** 2).sum() / (w.sum() + 1e-6)
        loss.backward()
        opt.step()
        step += 1
        if step % 100 == 0:
            print(f"step {step} ({time.time() - t0:.0f} s): loss {loss.item():.4f}", flush=True)
    net.eval()
    errs = []
    with torch.no_grad():
        for m, d in zip(vm, vd, strict=True):
            x = np.pad(_features(m), ((0, 0), (0, m.shape[1] % 2)))  # frames made even
            p = net(torch.from_numpy(x[None])).numpy()[0, :, : m.shape[1]]
            w = np.sqrt(m / (m.mean() + 1e-9))
            errs.append(float((w * (p - _target(m, d)) ** 2).sum() / w.sum()))
    print(f"held-out weighted mask error {np.mean(errs):.4f}")
    torch.onnx.export(
        net,
        (torch.zeros(1, SEP_MELS, SEG),),
        str(out),
        dynamo=False,
        input_names=["logmel"],
        output_names=["mask"],
        dynamic_axes={"logmel": {0: "batch", 2: "frames"}, "mask": {0: "batch", 2: "frames"}},
    )
    import onnx

    model = onnx.load(str(out))
    entry = model.metadata_props.add()
    entry.key = "trained"
    entry.value = json.dumps(
        {
            "songs": len(mixes),
            "steps": step,
            "minutes": minutes,
            "seed": seed,
            "held_out_error": round(float(np.mean(errs)), 5),
        }
    )
    onnx.save(model, str(out))
    print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB) after {step} steps")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("render", help="render the training songs as mix and drum stems")
    r.add_argument("workdir", type=Path)
    r.add_argument("--songs", type=int, default=900)
    r.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    r.add_argument("--seed", type=int, default=27)
    t = sub.add_parser("train", help="train the network and write it as ONNX")
    t.add_argument("workdir", type=Path)
    t.add_argument("--out", type=Path, default=Path("drumsep.onnx"))
    t.add_argument("--minutes", type=float, default=35.0)
    t.add_argument("--seed", type=int, default=27)
    args = ap.parse_args()
    if args.cmd == "render":
        cmd_render(args.workdir, args.songs, args.jobs, args.seed)
    else:
        cmd_train(args.workdir, args.out, args.minutes, args.seed)


if __name__ == "__main__":
    main()
