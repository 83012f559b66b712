"""Train onebeat's drum-transcription model on songs the project renders itself.

    python scripts/train_drum_model.py render WORKDIR [--songs 400]
    python scripts/train_drum_model.py train WORKDIR [--out onebeat/data/drums_mlp.npz]

``render`` composes random songs (a groove with fills, crashes, open hats, drum-less
stretches, and bass, chords and a lead over it), renders the drums and the band
separately with FluidSynth, and mixes them at random levels with random reverb. The
drums come from five kits in Debian's soundfonts, the band from three General MIDI
banks. FluidR3_GM, which renders the demo song and ../shared/eval/synth, is left out on
purpose, so that those songs measure the model on a kit and band it never heard.

``train`` fits the frame-wise network of :mod:`onebeat.analysis.drums` with PyTorch
(a dev-only dependency: ``pip install torch==2.13.0``), picks each class's threshold on
held-out songs, and writes weights NumPy can run.

Needs Debian's ``fluidsynth``, ``timgm6mb-soundfont``, ``musescore-general-soundfont-small``,
``avldrums.lv2-soundfont`` and ``csound-soundfont``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import mido
import numpy as np
import soundfile as sf
from scipy.signal import butter, sosfilt

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import itertools

from onebeat.analysis.drums import (
    DRUM_CLASSES,
    FPS,
    SR,
    class_of_gm_note,
    context_windows,
    frame_features,
    pick_onsets,
)

PPQ = 480
SF2 = Path("/usr/share/sounds/sf2")
# (soundfont, plays drums on MIDI channel 10 (bank 128) rather than as program 0)
DRUM_KITS = [
    (SF2 / "TimGM6mb.sf2", True),
    (Path("/usr/share/sounds/sf3/MuseScore_General_Lite.sf3"), True),
    (SF2 / "sf_GMbank.sf2", True),
    (SF2 / "Black_Pearl_4_LV2.sf2", False),
    (SF2 / "Red_Zeppelin_4_LV2.sf2", False),
]
BANDS = [
    SF2 / "TimGM6mb.sf2",
    Path("/usr/share/sounds/sf3/MuseScore_General_Lite.sf3"),
    SF2 / "sf_GMbank.sf2",
]
KICK, SNARE, STICK, CHH, PHH, OHH, CRASH, CRASH2, RIDE = 36, 38, 37, 42, 44, 46, 49, 57, 51
TOMS = [50, 48, 47, 45, 43, 41]
BASS_PROGRAMS = [32, 33, 34, 35, 36, 37, 38, 39]
CHORD_PROGRAMS = [0, 1, 2, 4, 5, 16, 17, 19, 24, 25, 26, 27, 29, 30, 48, 49, 50, 61, 88, 89]
LEAD_PROGRAMS = [11, 13, 56, 57, 64, 65, 66, 71, 73, 80, 81]


@dataclass
class Song:
    bpm: float
    beats_per_bar: int
    sub: int  # grid steps per beat: 4 (sixteenths) or 3 (triplets / shuffle)
    bars: int
    drums: list[tuple[float, int, int]] = field(default_factory=list)  # (beat, note, vel)
    band: dict[int, list[tuple[float, float, int, int]]] = field(default_factory=dict)
    programs: dict[int, int] = field(default_factory=dict)


def compose(rng: np.random.Generator) -> Song:
    m = int(rng.choice([4, 4, 4, 4, 3, 2]))
    sub = 3 if rng.random() < 0.2 else 4
    bpm = float(rng.uniform(65, 185))
    song = Song(bpm=bpm, beats_per_bar=m, sub=sub, bars=int(np.ceil(18 * bpm / 60 / m)))
    steps = m * sub

    def groove() -> dict[str, object]:
        keeper = rng.choice(["hat", "hat", "hat", "ride", "ride", "open", "pedal"])
        rate = int(rng.choice([1, 2, 2, 2, 4] if sub == 4 else [1, 3, 3]))
        kicks = {0} | {s for s in range(steps) if rng.random() < rng.uniform(0.08, 0.3)}
        back = {1, 3} if m == 4 else ({1, 2} if m == 3 else {1})
        snares = {b * sub for b in back}
        ghosts = {s for s in range(steps) if s not in snares and rng.random() < 0.08}
        opens = {s for s in range(steps) if s % sub and rng.random() < 0.06}
        return {
            "keeper": keeper,
            "rate": rate,
            "kicks": kicks,
            "snares": snares,
            "ghosts": ghosts,
            "opens": opens,
            "stick": rng.random() < 0.12,
            "silent": rng.random() < 0.08,
        }

    if sub == 3 and rng.random() < 0.5:
        _jazz(song, rng)
        bar = song.bars
    else:
        bar = 0
    while bar < song.bars:
        length = int(rng.choice([2, 4, 4, 8]))
        g = groove()
        for i in range(length):
            if bar >= song.bars:
                break
            if not g["silent"]:
                fill = i == length - 1 and rng.random() < 0.45
                _drum_bar(song, rng, g, bar, crash=i == 0 and rng.random() < 0.6, fill=fill)
            bar += 1

    # the band: bass on the roots, chords, sometimes a lead
    roots = [int(r) for r in rng.choice([36, 38, 40, 41, 43, 45, 47], size=4)]
    for ch, prog in ((0, BASS_PROGRAMS), (1, CHORD_PROGRAMS), (2, LEAD_PROGRAMS)):
        song.programs[ch] = int(rng.choice(prog))
        song.band[ch] = []
    bass_steps = sorted({0} | {s for s in range(steps) if rng.random() < 0.3})
    chord_rate = int(rng.choice([sub, steps, 2 * sub]))
    has_lead = rng.random() < 0.6
    for b in range(song.bars):
        root = roots[(b // 2) % 4]
        for s in bass_steps:
            song.band[0].append((b * m + s / sub, 0.9 / sub, root - 12, int(rng.integers(70, 115))))
        third = 3 if rng.random() < 0.4 else 4
        for s in range(0, steps, chord_rate):
            for iv in (0, third, 7, 12):
                vel = int(rng.integers(45, 95))
                song.band[1].append((b * m + s / sub, chord_rate / sub * 0.95, root + 12 + iv, vel))
        if has_lead:
            for s in range(steps):
                if rng.random() < 0.3:
                    pitch = root + 24 + int(rng.choice([0, 2, 4, 5, 7, 9, 11, 12]))
                    song.band[2].append(
                        (b * m + s / sub, 1.0 / sub, pitch, int(rng.integers(60, 110)))
                    )
    return song


def _jazz(song: Song, rng: np.random.Generator) -> None:
    """Swing time: ride "spang-a-lang", hi-hat pedal on 2 and 4, a feathered kick on
    every beat, and snare comping on the triplets."""
    m = song.beats_per_bar
    for bar in range(song.bars):
        for beat in range(m):
            b = bar * m + beat
            song.drums.append((b, RIDE, int(rng.integers(70, 110))))
            if beat % 2 == 1 and rng.random() < 0.9:
                song.drums.append((b + 2 / 3, RIDE, int(rng.integers(50, 90))))
            if beat % 2 == 1 or m == 3:
                song.drums.append((b, PHH, int(rng.integers(50, 100))))
            if rng.random() < 0.85:
                song.drums.append((b, KICK, int(rng.integers(30, 65))))
            for frac in (0, 2 / 3):
                if rng.random() < 0.15:
                    song.drums.append((b + frac, SNARE, int(rng.integers(30, 100))))


def _drum_bar(
    song: Song, rng: np.random.Generator, g: dict[str, object], bar: int, crash: bool, fill: bool
) -> None:
    m, sub = song.beats_per_bar, song.sub
    steps = m * sub
    fill_from = steps - int(rng.choice([1, 2]) * sub) if fill else steps
    keeper = str(g["keeper"])
    rate = int(str(g["rate"]))
    for s in range(steps):
        beat = bar * m + s / sub
        if s >= fill_from:
            if rng.random() < 0.75:
                note = int(rng.choice([*TOMS, SNARE, SNARE]))
                song.drums.append((beat, note, int(rng.integers(80, 125))))
            if s == fill_from and rng.random() < 0.5:
                song.drums.append((beat, KICK, 100))
            continue
        if s == 0 and crash:
            song.drums.append((beat, int(rng.choice([CRASH, CRASH, CRASH2])), 115))
        elif _on_rate(s, sub, rate):
            vel = 100 if s % sub == 0 else 72
            note = {"hat": CHH, "ride": RIDE, "open": OHH, "pedal": PHH}[keeper]
            if s in g["opens"]:  # type: ignore[operator]
                note = OHH
            song.drums.append((beat, note, int(np.clip(vel + rng.normal(0, 10), 30, 127))))
        if s in g["kicks"] or (rng.random() < 0.04):  # type: ignore[operator]
            song.drums.append((beat, KICK, int(rng.integers(45, 127))))
        if s in g["snares"]:  # type: ignore[operator]
            song.drums.append((beat, STICK if g["stick"] else SNARE, int(rng.integers(90, 127))))
        elif s in g["ghosts"]:  # type: ignore[operator]
            song.drums.append((beat, SNARE, int(rng.integers(25, 50))))


def _on_rate(step: int, sub: int, rate: int) -> bool:
    """Is this grid step played by a time-keeper at `rate` notes per beat?"""
    if rate == 1:
        return step % sub == 0
    if rate == sub:
        return True
    return (step * rate) % sub == 0  # 2 per beat on a 4-grid: steps 0 and 2


def _midi(song: Song, drums_channel: int | None) -> mido.MidiFile:
    tempo = mido.bpm2tempo(song.bpm)
    mid = mido.MidiFile(ticks_per_beat=PPQ, type=0)
    track = mido.MidiTrack()
    mid.tracks.append(track)
    track.append(mido.MetaMessage("set_tempo", tempo=tempo, time=0))
    events: list[tuple[int, int, mido.Message]] = []
    if drums_channel is not None:
        for beat, note, vel in song.drums:
            tick = round(beat * PPQ)
            ch = drums_channel
            events.append((tick, 1, mido.Message("note_on", channel=ch, note=note, velocity=vel)))
            events.append((tick + PPQ // 8, 0, mido.Message("note_off", channel=ch, note=note)))
    else:
        for ch, prog in song.programs.items():
            events.append((0, -1, mido.Message("program_change", channel=ch, program=prog)))
        for ch, notes in song.band.items():
            for beat, dur, pitch, vel in notes:
                t0, t1 = round(beat * PPQ), round((beat + dur) * PPQ)
                events.append(
                    (t0, 1, mido.Message("note_on", channel=ch, note=pitch, velocity=vel))
                )
                events.append((t1, 0, mido.Message("note_off", channel=ch, note=pitch)))
    events.sort(key=lambda e: (e[0], e[1]))
    last = 0
    for tick, _, msg in events:
        track.append(msg.copy(time=tick - last))
        last = tick
    return mid


def _render(mid: mido.MidiFile, soundfont: Path, tmp: Path, rng: np.random.Generator) -> np.ndarray:
    mid_path, wav_path = tmp / "x.mid", tmp / "x.wav"
    mid.save(mid_path)
    reverb = rng.random() < 0.6
    cmd = ["fluidsynth", "-ni", "-q", "-g", "0.5", "-r", str(SR), "-F", str(wav_path)]
    cmd += ["-R", "1" if reverb else "0", "-C", "0"]
    if reverb:
        cmd += ["-o", f"synth.reverb.room-size={rng.uniform(0.2, 0.9):.2f}"]
        cmd += ["-o", f"synth.reverb.level={rng.uniform(0.2, 0.9):.2f}"]
    subprocess.run([*cmd, str(soundfont), str(mid_path)], check=True, stdout=subprocess.DEVNULL)
    y, sr = sf.read(wav_path, dtype="float32", always_2d=True)
    assert sr == SR
    return np.asarray(y.mean(axis=1))


def render_song(song: Song, rng: np.random.Generator, tmp: Path) -> tuple[np.ndarray, np.ndarray]:
    """Mix of the song and its per-frame targets (n_frames, n_classes)."""
    kit, on_ch10 = DRUM_KITS[int(rng.integers(len(DRUM_KITS)))]
    drums = _render(_midi(song, 9 if on_ch10 else 0), kit, tmp, rng)
    band = _render(_midi(song, None), BANDS[int(rng.integers(len(BANDS)))], tmp, rng)
    n = max(len(drums), len(band))
    drums, band = np.pad(drums, (0, n - len(drums))), np.pad(band, (0, n - len(band)))
    rd = float(np.sqrt(np.mean(drums**2)) + 1e-9)
    rb = float(np.sqrt(np.mean(band**2)) + 1e-9)
    ratio_db = rng.uniform(-9, 6)  # drums against the band
    y = drums / rd * 10 ** (ratio_db / 20) + band / rb
    if rng.random() < 0.5:  # band-limited: a 22 kHz or low-bitrate source, a dark master
        cut = rng.uniform(5000, 16000)
        y = sosfilt(butter(4, cut, "low", fs=SR, output="sos"), y)
    y = y + rng.normal(0, 10 ** (rng.uniform(-70, -45) / 20) * np.std(y), len(y))
    y = (y / (np.max(np.abs(y)) + 1e-9) * 0.9).astype(np.float32)

    n_frames = 1 + len(y) // 441
    target = np.zeros((n_frames, len(DRUM_CLASSES)), np.float32)
    sec_per_beat = 60.0 / song.bpm
    for beat, note, _ in song.drums:
        cls = class_of_gm_note(note)
        if cls is None:
            continue
        t = round(beat * PPQ) / PPQ * sec_per_beat
        f = round(t * FPS)
        if f < n_frames:
            target[f, DRUM_CLASSES.index(cls)] = 1.0
    return y, target


def cmd_render(workdir: Path, n_songs: int, seed: int) -> None:
    if shutil.which("fluidsynth") is None:
        sys.exit("train_drum_model: needs Debian's fluidsynth")
    workdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(n_songs):
            out = workdir / f"song{i:04d}.npz"
            if out.exists():
                continue
            rng = np.random.default_rng([seed, i])
            y, target = render_song(compose(rng), rng, Path(tmp))
            feats = frame_features(y=y, sr=SR)
            k = min(len(feats), len(target))
            np.savez_compressed(out, x=feats[:k].astype(np.float16), y=target[:k])
            print(f"{i + 1}/{n_songs}", flush=True)


def cmd_train(workdir: Path, out: Path, epochs: int, seed: int) -> None:
    import mir_eval
    import torch

    torch.manual_seed(seed)
    files = sorted(workdir.glob("song*.npz"))
    n_val = max(4, len(files) // 10)
    train_files, val_files = files[n_val:], files[:n_val]

    def load(fs: list[Path]) -> tuple[list[np.ndarray], list[np.ndarray]]:
        xs, ys = [], []
        for f in fs:
            with np.load(f) as z:
                xs.append(context_windows(z["x"].astype(np.float32)))
                ys.append(z["y"])
        return xs, ys

    xs, ys = load(train_files)
    x = np.vstack(xs)
    y = np.vstack(ys)
    # a hit's energy spans its onset frame and the next: both are targets
    y_soft = y.copy()
    offsets = np.concatenate([[0], np.cumsum([len(a) for a in ys])])
    for a, b in itertools.pairwise(offsets):
        y_soft[a + 1 : b] = np.maximum(y_soft[a + 1 : b], y[a : b - 1])
    mean = x.mean(axis=0)
    std = x.std(axis=0) + 1e-3
    xt = torch.from_numpy((x - mean) / std)
    yt = torch.from_numpy(y_soft)
    pos = yt.mean(dim=0).clamp(min=1e-4)
    net = torch.nn.Sequential(
        torch.nn.Dropout(0.1),
        torch.nn.Linear(xt.shape[1], 256),
        torch.nn.ReLU(),
        torch.nn.Dropout(0.3),
        torch.nn.Linear(256, 128),
        torch.nn.ReLU(),
        torch.nn.Dropout(0.3),
        torch.nn.Linear(128, len(DRUM_CLASSES)),
    )
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=((1 - pos) / pos).sqrt())
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    for epoch in range(epochs):
        net.train()
        perm = torch.randperm(len(xt))
        total = 0.0
        for start in range(0, len(perm), 1024):
            idx = perm[start : start + 1024]
            opt.zero_grad()
            loss = loss_fn(net(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
        sched.step()
        print(f"epoch {epoch + 1}/{epochs}: loss {total / len(xt):.4f}", flush=True)

    linears = [mod for mod in net if isinstance(mod, torch.nn.Linear)]
    layers = [
        (lin.weight.detach().numpy().T.copy(), lin.bias.detach().numpy().copy()) for lin in linears
    ]

    # thresholds: the best F (±50 ms) per class on the held-out songs
    net.eval()
    vx, vy = load(val_files)
    with torch.no_grad():
        probs = [torch.sigmoid(net(torch.from_numpy((a - mean) / std))).numpy() for a in vx]
    thresholds = []
    for k, name in enumerate(DRUM_CLASSES):
        best = (0.0, 0.5)
        for thr in np.arange(0.1, 0.95, 0.05):
            fs = []
            for p, t in zip(probs, vy, strict=True):
                ref = np.flatnonzero(t[:, k]) / FPS
                est, _ = pick_onsets(p[:, k], threshold=float(thr))
                if len(ref):
                    fs.append(mir_eval.onset.f_measure(ref, est, window=0.05)[0])
            f = float(np.mean(fs)) if fs else 0.0
            if f > best[0]:
                best = (f, float(thr))
        thresholds.append(best[1])
        print(f"{name:11s} held-out F {best[0]:.3f} at threshold {best[1]:.2f}")

    arrays: dict[str, np.ndarray] = {
        "mean": mean.astype(np.float16),
        "std": std.astype(np.float16),
        "thresholds": np.asarray(thresholds),
        "classes": np.asarray(DRUM_CLASSES),
        "n_layers": np.asarray(len(layers)),
    }
    for i, (w, b) in enumerate(layers):
        arrays[f"w{i}"] = w.astype(np.float16)
        arrays[f"b{i}"] = b.astype(np.float32)
    np.savez_compressed(out, allow_pickle=False, **arrays)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB) from {len(train_files)} songs")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("render")
    r.add_argument("workdir", type=Path)
    r.add_argument("--songs", type=int, default=300)
    r.add_argument("--seed", type=int, default=7)
    t = sub.add_parser("train")
    t.add_argument("workdir", type=Path)
    t.add_argument("--out", type=Path, default=Path("onebeat/data/drums_mlp.npz"))
    t.add_argument("--epochs", type=int, default=12)
    t.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    if args.cmd == "render":
        cmd_render(args.workdir, args.songs, args.seed)
    else:
        cmd_train(args.workdir, args.out, args.epochs, args.seed)


if __name__ == "__main__":
    main()
