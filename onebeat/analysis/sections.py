"""Where the song's sections start (intro → verse → chorus …), as bar indices.

A section starts where the sound changes after staying alike for a while: the
Foote-style novelty between the bars before and after each bar line (medians over four
bars, so that one odd bar is no section), computed on per-bar
timbre (MFCC), harmony (chroma) and how busy each drum is. A crash on the downbeat and
drums coming in after a rest are cues a drummer hears too, and sections in pop music
start on phrase lines (every 4 bars), so those add to a bar's score.
"""

from __future__ import annotations

import librosa
import numpy as np

from onebeat.audio.frames import BLOCK_FRAMES, centred_frames

__all__ = ["TEXTURE_FPS", "section_names", "section_starts", "texture_features"]

#: Frames per second of the texture features.
TEXTURE_FPS = 10.0
#: The texture's FFT size.
TEXTURE_FFT = 4096
#: How early a note may come and still belong to the bar it starts [s].
EARLY_S = 0.06
#: Shortest section [bars].
MIN_SECTION_BARS = 4


def texture_features(*, y: np.ndarray, sr: int, block: int = BLOCK_FRAMES) -> np.ndarray:
    """Timbre and harmony per frame: 13 MFCCs and 12 chroma bins at :data:`TEXTURE_FPS`,
    the mel bands and chroma made ``block`` frames at a time.

    Returns
    -------
    np.ndarray, shape (n_frames, 25)
    """
    hop = round(sr / TEXTURE_FPS)
    # What librosa.feature.mfcc(y=...) and chroma_stft(y=...) make of the power spectrum,
    # made a block of frames at a time, never the whole song's spectrum at once (98 MiB
    # for 20 minutes): the chroma's tuning needs every frame first, so the spectrum is
    # made twice, once for the tuning and once for the mel bands and chroma, which are
    # frame by frame. The same numbers up to float32 rounding, as librosa's of the whole
    # (tests/audio/test_frames.py).
    tuning = _tuning(y, sr=sr, hop=hop, n_fft=TEXTURE_FFT)

    def mel_and_chroma(magnitude: np.ndarray) -> np.ndarray:
        power = np.square(magnitude)
        mel = librosa.feature.melspectrogram(S=power, sr=sr, n_fft=TEXTURE_FFT, hop_length=hop)
        chroma = librosa.feature.chroma_stft(
            S=power, sr=sr, hop_length=hop, n_fft=TEXTURE_FFT, tuning=tuning
        )
        return np.vstack([mel, chroma])

    both = centred_frames(y, n_fft=TEXTURE_FFT, hop=hop, reduce=mel_and_chroma, block=block)
    mel, chroma = both[:-12], both[-12:]
    mfcc = librosa.feature.mfcc(S=librosa.power_to_db(mel), n_mfcc=13)
    n = min(mfcc.shape[1], chroma.shape[1])
    return np.vstack([mfcc[:, :n], chroma[:, :n]]).T.astype(np.float32)


def _tuning(y: np.ndarray, *, sr: int, hop: int, n_fft: int) -> float:
    """What ``librosa.estimate_tuning(S=power)`` finds (as chroma_stft asks it) of the
    song's power spectrum, its peaks picked on each block of frames as the spectrum is
    made: on the whole of a long song it holds five arrays the size of the spectrum.
    Written out here for that alone; the peaks are frame-local, so the tuning is the same."""
    pitches: list[np.ndarray] = []
    mags: list[np.ndarray] = []

    def peaks(magnitude: np.ndarray) -> np.ndarray:
        pitch, mag = librosa.piptrack(S=np.square(magnitude), sr=sr, n_fft=n_fft)
        found = pitch > 0
        pitches.append(pitch[found])
        mags.append(mag[found])
        return np.zeros((0, magnitude.shape[1]), np.float32)

    centred_frames(y, n_fft=n_fft, hop=hop, reduce=peaks, block=BLOCK_FRAMES)
    pitch, mag = np.concatenate(pitches), np.concatenate(mags)
    threshold = np.median(mag) if len(mag) else 0.0
    return float(librosa.pitch_tuning(pitch[mag >= threshold], bins_per_octave=12))


def _bar_means(frames: np.ndarray, fps: float, edges: np.ndarray) -> np.ndarray:
    idx = np.clip(np.round(edges * fps).astype(int), 0, len(frames))
    out = np.zeros((len(edges) - 1, frames.shape[1]))
    for b in range(len(edges) - 1):
        lo, hi = idx[b], max(idx[b + 1], idx[b] + 1)
        seg = frames[lo:hi]
        if len(seg):
            out[b] = seg.mean(axis=0)
    return out


def _bar_features(
    bar_times: np.ndarray, texture: np.ndarray, drum_activations: np.ndarray, drum_fps: float
) -> np.ndarray:
    """Per bar: timbre, harmony and how busy each drum is, each standardised over the
    song (floored: a feature that barely moves must not turn noise into differences)."""
    early = np.asarray(bar_times, dtype=float) - EARLY_S
    feats = np.hstack(
        [
            _bar_means(texture, TEXTURE_FPS, early),
            _bar_means(drum_activations, drum_fps, early) * 4.0,
        ]
    )
    return np.asarray((feats - feats.mean(axis=0)) / np.maximum(feats.std(axis=0), 0.05))


#: Two sections are one part of the song (a verse and the next verse) when their median
#: bars are closer than this share of the mean distance between the song's sections.
SAME_PART = 0.6


def section_names(
    *,
    bar_times: np.ndarray,
    starts: list[int],
    texture: np.ndarray,
    drum_activations: np.ndarray,
    drum_fps: float,
) -> list[str]:
    """A name per section of :func:`section_starts`: the song's parts by repetition (A, B,
    C…, a part that comes back gets its letter again), and "intro" / "outro" for a first
    or last section that is like no other.

    A section is its median bar (timbre, harmony, drums); two sections are one part when
    they are closer than :data:`SAME_PART` of the mean distance between sections, so the
    names follow what in this song repeats, not a fixed scale.
    """
    n_bars = len(bar_times) - 1
    if not starts:
        return []
    feats = _bar_features(bar_times, texture, drum_activations, drum_fps)
    spans = list(zip(starts, [*starts[1:], n_bars], strict=True))
    meds = np.array([np.median(feats[a:b], axis=0) for a, b in spans])
    k = len(spans)
    if k == 1:
        return ["A"]
    dist = np.linalg.norm(meds[:, None, :] - meds[None, :, :], axis=2)
    scale = float(dist[np.triu_indices(k, 1)].mean())
    same = dist < SAME_PART * max(scale, 1e-9)
    part = [-1] * k
    n_parts = 0
    for i in range(k):
        # the nearest earlier section that is the same part, else a new part
        earlier = [j for j in range(i) if same[i, j]]
        if earlier:
            part[i] = part[min(earlier, key=lambda j: dist[i, j])]
        else:
            part[i] = n_parts
            n_parts += 1
    counts = np.bincount(part)
    names = [chr(ord("A") + p) if p < 26 else f"part {p + 1}" for p in part]
    if k >= 3 and counts[part[0]] == 1:
        names[0] = "intro"
    if k >= 3 and counts[part[-1]] == 1:
        names[-1] = "outro"
    # letters in order of first use, after an intro took its place
    order: dict[str, str] = {}
    for i, name in enumerate(names):
        if len(name) == 1:
            names[i] = order.setdefault(name, chr(ord("A") + len(order)))
    return names


def section_starts(
    *,
    bar_times: np.ndarray,
    texture: np.ndarray,
    drum_activations: np.ndarray,
    drum_fps: float,
    crash_times: np.ndarray,
    drums_playing: np.ndarray,
    threshold: float = 1.6,
) -> list[int]:
    """Indices of the bars that start a section (always including bar 0).

    Parameters
    ----------
    bar_times : np.ndarray
        Start of each bar and the end of the last one [s] (n_bars + 1 values).
    texture : np.ndarray
        :func:`texture_features` of the song.
    drum_activations : np.ndarray
        Frame-wise drum activations (frames × classes) at ``drum_fps``.
    drum_fps : float
        Their frame rate [Hz].
    crash_times : np.ndarray
        Crash onsets [s].
    drums_playing : np.ndarray of bool
        Per bar, whether the drums play in it.
    threshold : float
        Lowest score that makes a section start.
    """
    edges = np.asarray(bar_times, dtype=float)
    n_bars = len(edges) - 1
    if n_bars < 2 * MIN_SECTION_BARS:
        return [0]
    # bars taken from a little before each bar line (a downbeat played early is its
    # bar's), on floored scales (a song whose bars all sound alike makes no sections)
    feats = _bar_features(edges, texture, drum_activations, drum_fps)
    w = MIN_SECTION_BARS
    lengths = np.diff(edges)
    full = lengths >= 0.75 * np.median(lengths)  # a short last bar (a final hit) is no bar
    novelty = np.zeros(n_bars)
    for b in range(1, n_bars):
        lo, hi = max(0, b - w), min(n_bars, b + w)
        before = feats[lo:b][full[lo:b]]
        after = feats[b:hi][full[b:hi]]
        if len(before) < 2 or len(after) < 2:
            continue
        # medians: one odd bar (a fill, a break) does not make a section
        novelty[b] = float(np.linalg.norm(np.median(after, axis=0) - np.median(before, axis=0)))
    inner = novelty[1:]
    spread = float(np.median(np.abs(inner - np.median(inner)))) * 1.4826
    z = (novelty - np.median(inner)) / max(spread, 0.5)

    score = np.clip(z, -2.0, 4.0)
    for b in range(1, n_bars):
        # a crash within an eighth of a bar of the bar line marks it
        if np.any(np.abs(crash_times - edges[b]) < lengths[b] / 8.0):
            score[b] += 1.5
        if drums_playing[b] and not drums_playing[b - 1]:
            score[b] += 2.0
        if b % 4 == 0:
            score[b] += 0.5
    # strongest first, sections at least MIN_SECTION_BARS long; the song's opening bars
    # (an intro of a bar or two, a pickup) may be shorter
    starts: list[int] = []
    for b in np.argsort(-score):
        if score[b] < threshold or b == 0 or not full[b]:
            continue
        if all(abs(int(b) - s) >= MIN_SECTION_BARS for s in starts):
            starts.append(int(b))
    return sorted([0, *starts])
