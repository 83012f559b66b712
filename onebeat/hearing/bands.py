"""The microphone's frames: band energies on short frames (:mod:`onebeat.hearing`)."""

from __future__ import annotations

import functools
import math

import numpy as np

from onebeat.kit import DrumPiece

__all__ = ["CALIBRATION_PIECES", "CORE_PIECES", "N_BANDS"]

HOP_S = 0.00145
#: Classification window from the attack [s] (512 samples at 44.1 kHz).
FEATURE_S = 0.0116
#: The classification window starts this long before the attack [s].
PRE_S = 0.001
N_BANDS = 24
FMIN, FMAX = 30.0, 16000.0
#: Frames between the two compared by the flux, and how many more frames back the
#: earlier one's loudest is taken.
MU = 4
BACK = 6
#: Strokes closer than this are one stroke [s] (a flam's two notes are ~25–50 ms apart).
MIN_GAP_S = 0.022
#: The song's bleed is spread over ±this before it is compared with the microphone [s]:
#: while its delay is only the one given, and once it has been measured.
BLEED_SPREAD_S = 0.025
BLEED_SPREAD_MEASURED_S = 0.003
#: The predicted bleed's margin (a band must stand this far over the song's estimated
#: level to rise), and the quantile of mic/song band energy ratios taken as the bleed's
#: gain [%] (strokes only add energy: a low one is the song), while the delay is only
#: the one given and once it has been measured (a prediction on the right frames can be
#: held tighter to the microphone).
BLEED_OVER = 4.0
BLEED_QUANTILE = 20
BLEED_QUANTILE_MEASURED = 10
#: How the song's delay in the microphone is measured: over the last this many seconds,
#: again after every this many (and less often once it holds still), among delays from
#: this much under the given one to this much over it [s].
DELAY_WINDOW_S = 3.0
DELAY_EVERY_S = 0.5
DELAY_STEADY_EVERY_S = 4.0
DELAY_BELOW_S, DELAY_ABOVE_S = 0.03, 0.3
#: The measured delay is taken only when it stands out: its score over the median
#: delay's [log10 energy].
DELAY_CONTRAST = 0.3
#: The background a rise is measured from: the median band energy, raised so that noise
#: and reverberant tails flickering about it do not count: by this many times the band's
#: own flicker (the spread of a noise's log10 energy in it: wide bands, of many bins,
#: flicker less), and by no more than FLOOR_MARGIN [log10].
FLOOR_SPREADS = 1.15
FLOOR_MARGIN = 0.5
#: The background is measured again after every this many frames (11.6 ms), whatever
#: blocks the stream comes in.
FLOOR_FRAMES = 8
#: Detection threshold: mean rise over bands [log10 energy, each band's scaled by
#: ``_rise_scale``]; and its adaptive part.
THRESHOLD = 0.8
ADAPT = 1.0
#: The detection function averages the bands that rose most, this share of the weight;
#: each band's rise divided by its flicker (see ``_band_spread``) to this power. (The
#: full division, 1, finds soft hi-hats as well but misses more rides, whose rise is in
#: the middle bands; ``bench/mic_detection.py`` measures both.)
TOP = 0.25
RISE_SPREAD_POWER = 0.5
#: Where the attack is: this fraction of the way from the level before to the peak.
ATTACK_FRACTION = 0.2
#: A piece named in a pair must have risen with the stroke: the bands it owns must be
#: this much louder (log10 energy) in the stroke's window than just before it.
PAIR_RISE = 0.8
#: Bands that rose this much (log10 energy) with a stroke set how loud an example is
#: taken to be when it is compared with the stroke.
STRONG_RISE = 0.5

#: The pieces every part is heard for (see :meth:`KitProfile.for_part`).
CORE_PIECES: tuple[DrumPiece, ...] = (
    DrumPiece.KICK,
    DrumPiece.SNARE,
    DrumPiece.HIHAT_CLOSED,
    DrumPiece.HIHAT_OPEN,
    DrumPiece.HIHAT_PEDAL,
)

#: What a kit calibration asks for, in this order ("hit each drum 8 times"); a kit
#: without toms or a ride skips them.
CALIBRATION_PIECES: tuple[DrumPiece, ...] = (
    DrumPiece.KICK,
    DrumPiece.SNARE,
    DrumPiece.HIHAT_CLOSED,
    DrumPiece.HIHAT_OPEN,
    DrumPiece.TOM_HIGH,
    DrumPiece.TOM_MID,
    DrumPiece.TOM_FLOOR,
    DrumPiece.CRASH,
    DrumPiece.RIDE,
)


def _sizes(sr: int) -> tuple[int, int, int, int]:
    """(hop, frame, feature window, pre-attack) in samples at ``sr``."""
    hop = max(16, round(sr * HOP_S))
    feat = 1 << max(6, math.ceil(math.log2(sr * FEATURE_S - 1)))
    return hop, 4 * hop, feat, round(sr * PRE_S)


@functools.cache
def _band_matrix(sr: int, n_fft: int) -> np.ndarray:
    """(N_BANDS, n_fft // 2 + 1): which FFT bins make each band; a band narrower than a
    bin takes its nearest bin, so every band is defined at every frame size."""
    edges = np.geomspace(FMIN, min(FMAX, 0.45 * sr), N_BANDS + 1)
    freqs = np.fft.rfftfreq(n_fft, 1 / sr)
    m = np.zeros((N_BANDS, len(freqs)))
    for b in range(N_BANDS):
        inside = (freqs >= edges[b]) & (freqs < edges[b + 1])
        if inside.any():
            m[b, inside] = 1.0
        else:
            m[b, int(np.argmin(np.abs(freqs - math.sqrt(edges[b] * edges[b + 1]))))] = 1.0
    return m


@functools.cache
def _band_weights(sr: int, n_fft: int) -> np.ndarray:
    """Each band's weight in the detection function: bands that fall on the same bins of
    a short frame (the low ones) share one weight between them."""
    m = _band_matrix(sr, n_fft)
    same = (m[:, None, :] == m[None, :, :]).all(axis=2).sum(axis=1)
    w = 1.0 / same
    return np.asarray(w / w.sum())


@functools.cache
def _band_spread(sr: int, n_fft: int) -> np.ndarray:
    """How much a noise's log10 energy flickers from frame to frame in each band (its
    standard deviation, to first order): a band of many bins averages its flicker out.
    Worked out from the window and the band's bins: the band's energy is a sum of
    squared Gaussians weighted by the eigenvalues of its quadratic form Q, of mean
    tr(Q) and variance 2 tr(Q²), so its log10 spreads log10(e) · sqrt(2 tr(Q²)) / tr(Q)
    (a single bin: 0.43 (the DC bin, real: 0.61); the top band of a 256-sample frame at
    44.1 kHz, 21 bins: 0.13)."""
    w, _ = _window(n_fft)
    t = np.arange(n_fft)
    out = np.empty(N_BANDS)
    for b, row in enumerate(_band_matrix(sr, n_fft)):
        k = np.flatnonzero(row)
        ph = 2 * np.pi * np.outer(k, t) / n_fft
        a = np.vstack([np.cos(ph), np.sin(ph)]) * w  # Q = aᵀa
        g = a @ a.T  # the same nonzero eigenvalues as Q
        out[b] = math.log10(math.e) * math.sqrt(2 * np.sum(g**2)) / np.trace(g)
    return out


@functools.cache
def _floor_margin(sr: int, n_fft: int) -> np.ndarray:
    """How far over its median each band's background is set (log10, per band)."""
    return np.asarray(np.minimum(FLOOR_SPREADS * _band_spread(sr, n_fft), FLOOR_MARGIN))


@functools.cache
def _rise_scale(sr: int, n_fft: int) -> np.ndarray:
    """What a band's rise is multiplied by in the detection function: the flickeriest
    band's flicker over its own, to the power RISE_SPREAD_POWER (the widest band of a
    256-sample frame at 44.1 kHz: ×2.2; a single bin: ×1.2; the DC bin: ×1)."""
    s = _band_spread(sr, n_fft)
    return np.asarray((s.max() / s) ** RISE_SPREAD_POWER)


def _top_mean(rise: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Per frame, the weighted mean of the bands that rose most, up to TOP of the weight:
    a hi-hat rises only at the top of the spectrum, a kick mostly at the bottom."""
    order = np.argsort(-rise, axis=1)
    r = np.take_along_axis(rise, order, axis=1)
    w = weights[order]
    take = (np.cumsum(w, axis=1) - w) < TOP
    return np.asarray((r * w * take).sum(axis=1) / (w * take).sum(axis=1))


@functools.cache
def _window(n: int) -> tuple[np.ndarray, float]:
    w = np.hanning(n + 2)[1:-1]
    return w, float(np.sum(w**2))


def _band_energy(frames: np.ndarray, sr: int) -> np.ndarray:
    """Band energies of frames (n, size), as power per sample (comparable across sizes)."""
    w, norm = _window(frames.shape[-1])
    spec = np.abs(np.fft.rfft(frames * w, axis=-1)) ** 2 / norm
    return np.asarray(spec @ _band_matrix(sr, frames.shape[-1]).T)
