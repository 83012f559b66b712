"""The listener: strokes found in a microphone's signal as it streams."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from onebeat.errors import InputError
from onebeat.hearing.bands import (
    ADAPT,
    ATTACK_FRACTION,
    BACK,
    BLEED_OVER,
    BLEED_QUANTILE,
    BLEED_QUANTILE_MEASURED,
    CALIBRATION_PIECES,
    DELAY_ABOVE_S,
    DELAY_BELOW_S,
    DELAY_CONTRAST,
    DELAY_EVERY_S,
    DELAY_STEADY_EVERY_S,
    DELAY_WINDOW_S,
    FLOOR_FRAMES,
    MIN_GAP_S,
    MU,
    N_BANDS,
    THRESHOLD,
    _band_energy,
    _band_weights,
    _floor_margin,
    _rise_scale,
    _sizes,
    _top_mean,
)
from onebeat.hearing.profile import HeardHit, KitProfile, default_profile
from onebeat.hearing.reference import Reference
from onebeat.kit import DrumPiece

__all__ = ["HitListener", "detect_hits", "learn_kit"]


#: Samples taken at once; a longer block is fed in pieces. The backgrounds kept for the
#: strokes' features span about 1.5 s, and a block of seconds (a whole recording at once)
#: outran them: a few strokes were named otherwise than in a stream.
MAX_BLOCK = 4096


class HitListener:
    """Drum strokes in a microphone stream, decided as the samples arrive.

    Parameters
    ----------
    sr : int
        The microphone's sample rate [Hz].
    profile : KitProfile or None
        Names the pieces; None for :func:`default_profile`.
    reference : Reference or None
        The audio being played to the room, taken out of the signal.
    speed : float
        Song seconds per second of stream (the practice speed).
    threshold : float or None
        The detection threshold (mean rise over bands, each scaled by how little it
        flickers); None for THRESHOLD.
    classify : bool
        False: find strokes only (``pieces`` empty), as a kit calibration's first listen.
    """

    def __init__(
        self,
        *,
        sr: int,
        profile: KitProfile | None = None,
        reference: Reference | None = None,
        speed: float = 1.0,
        threshold: float | None = None,
        classify: bool = True,
    ) -> None:
        if reference is not None and reference.sr != sr:
            raise ValueError(f"the reference is at {reference.sr} Hz, the microphone at {sr}")
        self.sr = sr
        self.profile = profile if profile is not None or not classify else default_profile()
        self.reference = reference
        self.speed = speed
        self.threshold = THRESHOLD if threshold is None else threshold
        self.hop, self.frame, self.feat, self.pre = _sizes(sr)
        # recent samples: the first _len of _buf (appended in place: a copy of the last
        # half second per block cost more than the block's own work)
        self._buf = np.zeros(sr, dtype=np.float32)
        self._len = 0
        self._x0 = 0  # stream index of self._x[0]
        self._n = 0  # samples fed
        self._k = 0  # next frame to compute
        self._anchors: deque[tuple[int, float]] = deque([(0, 0.0)])
        self._anchor_arrays: tuple[np.ndarray, np.ndarray] | None = None  # of _anchors
        self._tail: np.ndarray | None = None  # the last MU + BACK frames' log residuals
        self._flux: list[float] = []  # flux of frames from self._flux0 on
        self._flux0 = 0
        self._group: list[np.ndarray] = []  # frames since the background was measured
        # (first frame, background) of the mic's last measured backgrounds (log10 per
        # band), the current one last; kept for strokes' features
        self._floors: deque[tuple[int, np.ndarray]] = deque(maxlen=128)
        # the song's bleed: the microphone's last frames (log10 band energies) and the
        # reference frame each was played with; the bleed's gain (log10 per band), and
        # its delay [hops] once measured (the last few measures)
        # (room for two windows: the older half is dropped when it fills)
        self._n_hist = round(DELAY_WINDOW_S * sr / self.hop)
        self._mic_buf = np.zeros((2 * self._n_hist, N_BANDS))
        self._ref_buf = np.zeros(2 * self._n_hist, dtype=int)
        self._hist_end = 0
        self._gain: np.ndarray | None = None
        self._since_gain = 0
        self._lags: deque[int] = deque(maxlen=3)
        self._lag: int | None = None
        self._since_lag = 0
        self._last = -(10**12)  # sample of the last stroke
        self._pending: list[tuple[int, float]] = []  # (frame, flux) waiting for samples
        self._loud = 1e-6  # the loudest stroke heard (peak amplitude), for velocities
        self._peak_n = round(0.004 * sr)  # a stroke's peak is looked for this far on

    @property
    def _x(self) -> np.ndarray:
        return self._buf[: self._len]

    @property
    def song_delay_s(self) -> float | None:
        """How late the microphone hears the song (the reference) [s], once measured:
        None before three measures agree, or where the song is not heard."""
        return None if self._lag is None else self._lag * self.hop / self.sr

    # ------------------------------------------------------------------ time
    def song_time(self, sample: int | np.ndarray) -> Any:
        """Song time of a stream sample [s]."""
        s = np.asarray(sample)
        if self._anchor_arrays is None:  # (a browser's stream anchors every block)
            self._anchor_arrays = (
                np.array([a[0] for a in self._anchors]),
                np.array([a[1] for a in self._anchors]),
            )
        idx, t0s = self._anchor_arrays
        j = np.minimum(np.maximum(np.searchsorted(idx, s, side="right") - 1, 0), len(idx) - 1)
        out = t0s[j] + (s - idx[j]) * self.speed / self.sr
        return float(out) if out.ndim == 0 else out

    # ------------------------------------------------------------------ feeding
    def feed(self, y: np.ndarray, t0: float | None = None) -> list[HeardHit]:
        """Take the next block of samples; the strokes decided by its end.

        Parameters
        ----------
        y : np.ndarray
            Mono samples (float, ±1 full scale).
        t0 : float or None
            Song time of the block's first sample [s]; None: right after the last block.
        """
        y = np.asarray(y, dtype=np.float32).reshape(-1)
        if len(y) > MAX_BLOCK:  # a long block a piece at a time: the same answer as short ones
            hits = self.feed(y[:MAX_BLOCK], t0)
            for i in range(MAX_BLOCK, len(y), MAX_BLOCK):
                hits += self.feed(y[i : i + MAX_BLOCK])
            return hits
        if t0 is not None and math.isfinite(t0):
            self._anchors.append((self._n, float(t0)))
            while len(self._anchors) > 1 and self._anchors[1][0] <= self._n - self.sr:
                self._anchors.popleft()
            self._anchor_arrays = None
        if self._len + len(y) > len(self._buf):
            self._buf = np.concatenate([self._x, np.zeros(max(len(y), self.sr), np.float32)])
        self._buf[self._len : self._len + len(y)] = y
        self._len += len(y)
        self._n += len(y)
        self._frames()
        hits = self._decide()
        keep = max(self.sr // 2, self.frame + self.feat)
        if self._len > 2 * keep:  # forget all but the last half second
            cut = self._len - keep
            self._buf[:keep] = self._buf[cut : self._len]
            self._len = keep
            self._x0 += cut
        return hits

    def flush(self) -> list[HeardHit]:
        """The end of the stream: decide what is pending (with silence after it)."""
        return self.feed(np.zeros(self.feat + self.frame + self.sr // 100, dtype=np.float32))

    def _frames(self) -> None:
        last = (self._n - self.frame) // self.hop  # last complete frame
        if last < self._k or last + 1 < FLOOR_FRAMES:  # the first wait for a background
            return
        ks = np.arange(self._k, last + 1)
        starts = ks * self.hop - self._x0
        frames = self._x[starts[:, None] + np.arange(self.frame)[None, :]]
        e = _band_energy(frames, self.sr)
        loge = np.log10(e + 1e-12)
        floor = self._track_floor(loge, ks)  # the background: noise and the song's bleed
        bleed = self._bleed(loge, ks * self.hop + self.frame // 2)
        logs = np.log10(e + 10.0**floor)
        # a band rises only as far as it stands over the song's predicted bleed (with no
        # prediction, over the floor: no bound, as every frame before is over it too)
        upto = np.inf if bleed is None else np.maximum(logs - np.log10(bleed + 10.0**floor), 0.0)
        # each frame against the loudest of the frames MU to MU + BACK before it: a
        # noise-like tail's frame-to-frame flicker does not count as a rise
        hist = MU + BACK  # (before the first frames: the first frame, repeated)
        tail = np.repeat(logs[:1], hist, axis=0) if self._tail is None else self._tail
        prev = np.concatenate([tail, logs])
        n = len(logs)  # frame i of logs is prev[hist + i]; its window is prev[i : i + BACK + 1]
        back = prev[:n].copy()
        for j in range(1, BACK + 1):  # (a few slices: cheaper than a windowed view's max)
            np.maximum(back, prev[j : j + n], out=back)
        rose = np.minimum(np.maximum(logs - back, 0.0), upto)
        scale, weights = _rise_scale(self.sr, self.frame), _band_weights(self.sr, self.frame)
        rise = _top_mean(rose * scale, weights)
        self._tail = prev[-hist:].copy()
        self._flux.extend(rise.tolist())
        # a candidate is a peak above the threshold; it needs 2 frames after it
        first = self._k
        self._k = last + 1
        for k in range(max(first - 2, self._flux0 + 8), last - 1):
            f = self._flux[k - self._flux0]
            if f < self.threshold:
                continue
            around = self._flux[k - 3 - self._flux0 : k + 3 - self._flux0]
            before = self._flux[k - 12 - self._flux0 : k - 3 - self._flux0]
            if f < max(around) or f <= max(self._flux[k - 3 - self._flux0 : k - self._flux0]):
                continue
            if before and f < self.threshold + ADAPT * sum(before) / len(before):
                continue
            if k * self.hop - self._last < MIN_GAP_S * self.sr:
                continue
            self._last = k * self.hop
            self._pending.append((k, f))
        if len(self._flux) > 4096:
            drop = len(self._flux) - 64
            self._flux = self._flux[drop:]
            self._flux0 += drop

    def _bleed(self, loge: np.ndarray, centres: np.ndarray) -> np.ndarray | None:
        """The song's predicted energy in the microphone's frames (None without a
        reference, or before its gain is known), its gain and delay updated from these
        frames' log10 band energies ``loge``."""
        ref = self.reference
        if ref is None:
            return None
        played = ref.index(self.song_time(centres))
        self._remember(loge, played)
        self._since_gain += len(loge)
        self._since_lag += len(loge)
        every = DELAY_STEADY_EVERY_S if self._steady() else DELAY_EVERY_S
        if self._since_lag * self.hop >= every * self.sr:
            self._measure_delay()
            self._since_lag = 0
            self._gain = None
        if self._gain is None or self._since_gain * self.hop > self.sr // 4:
            self._gain = self._bleed_gain()
            self._since_gain = 0
        if self._gain is None:
            return None
        return np.asarray(BLEED_OVER * 10.0**self._gain * self._predicted(played))

    def _remember(self, mic: np.ndarray, played: np.ndarray) -> None:
        n = len(mic)
        if self._hist_end + n > len(self._mic_buf):
            keep = max(0, self._n_hist - n)
            lo = self._hist_end - keep
            self._mic_buf[:keep] = self._mic_buf[lo : self._hist_end]
            self._ref_buf[:keep] = self._ref_buf[lo : self._hist_end]
            self._hist_end = keep
            mic, played = mic[-self._n_hist :], played[-self._n_hist :]
            n = len(mic)
        self._mic_buf[self._hist_end : self._hist_end + n] = mic
        self._ref_buf[self._hist_end : self._hist_end + n] = played
        self._hist_end += n

    @property
    def _mic_hist(self) -> np.ndarray:
        """The microphone's last frames (up to a window), log10 band energies."""
        return self._mic_buf[max(0, self._hist_end - self._n_hist) : self._hist_end]

    @property
    def _ref_hist(self) -> np.ndarray:
        """The reference frame each of them was played with."""
        return self._ref_buf[max(0, self._hist_end - self._n_hist) : self._hist_end]

    def _predicted(self, played: np.ndarray) -> np.ndarray:
        """The reference's band energies heard with frames played at these indices
        (spread as far as the delay is uncertain; 0 outside the song)."""
        ref = self.reference
        assert ref is not None
        if self._lag is None:
            table, k = ref.bands, played - round(ref.delay_s * self.sr / self.hop)
        else:
            table, k = ref.measured_bands, played - self._lag
        out = table[np.minimum(np.maximum(k, 0), max(0, len(table) - 1))]
        out[(k < 0) | (k >= len(table))] = 0.0
        return np.asarray(out)

    def _bleed_gain(self) -> np.ndarray | None:
        """How loud the song is in the microphone, per band (log10): a low quantile of
        the microphone's energy over the song's, on the frames where the song plays
        (strokes only add energy; where the song is all there is, the ratio is the gain)."""
        r = self._predicted(self._ref_hist)
        loud = r.sum(axis=1) > 1e-9
        if not loud.any():
            return None
        q = BLEED_QUANTILE if self._lag is None else BLEED_QUANTILE_MEASURED
        ratio = self._mic_hist[loud] - np.log10(r[loud] + 1e-12)
        return np.asarray(np.percentile(ratio, q, axis=0))

    def _steady(self) -> bool:
        return len(self._lags) == self._lags.maxlen and max(self._lags) - min(self._lags) <= 2

    def _measure_delay(self) -> None:
        """Measure how late the microphone hears the song (written here: no maintained
        library estimates an echo's delay against a reference that another, louder,
        correlated source (the drummer, playing along) shares the room with).

        The microphone hears the song and more, never less: at the right delay, every
        frame where the song is loud is at least that loud in the microphone (times the
        bleed's gain). At a wrong one, some of the song's loud frames fall where the
        microphone was quieter (before the song's stroke reached it), so a low quantile
        of the microphone's energy over the song's, on the song's loudest frames, is
        highest at the right delay. (Cross-correlating the two signals' onsets finds
        the drummer instead: they play on the song's beats, louder. Measured on
        simulated rooms: this is a median 0.5 ms off the speaker's delay, the
        correlation's peak 11 ms.)"""
        ref = self.reference
        assert ref is not None
        table = ref.log_energies
        mic, played = self._mic_hist[::2], self._ref_hist[::2]
        if len(mic) * 2 * self.hop < DELAY_WINDOW_S * self.sr / 2 or len(table) == 0:
            return  # half a window at least
        given = round(ref.delay_s * self.sr / self.hop)

        def score(lags: np.ndarray) -> np.ndarray:
            k = played[None, :] - lags[:, None]  # (lags, frames)
            inside = (k >= 0) & (k < len(table))
            song = np.where(inside[..., None], table[np.clip(k, 0, len(table) - 1)], -np.inf)
            m = max(4, song.shape[1] // 5)  # the song's loudest fifth, per band
            top = np.argpartition(-song, m, axis=1)[:, :m, :]
            s = np.take_along_axis(song, top, axis=1)
            over = np.take_along_axis(np.broadcast_to(mic, song.shape), top, axis=1) - s
            over = np.where(np.isfinite(s) & (s > -11.0), over, np.inf)
            low = np.partition(over, m // 20, axis=1)[:, m // 20, :]
            heard = np.isfinite(low)  # bands the song plays in
            count = heard.sum(axis=1)
            total = np.where(heard, low, 0.0).sum(axis=1)
            return np.where(count > 0, total / np.maximum(count, 1), -np.inf)

        if self._steady() and self._lag is not None:  # keeps still: look near it only
            lags = np.arange(self._lag - 4, self._lag + 5)
        else:
            lo = given - round(DELAY_BELOW_S * self.sr / self.hop)
            hi = given + round(DELAY_ABOVE_S * self.sr / self.hop)
            coarse = np.arange(lo, hi + 1, 4)
            sc = score(coarse)
            if not np.isfinite(sc).any() or sc.max() - np.median(sc) < DELAY_CONTRAST:
                return  # no delay stands out (the song too faint in the room to tell)
            best = int(coarse[int(np.argmax(sc))])
            lags = np.arange(best - 4, best + 5)
        sc = score(lags)
        if not np.isfinite(sc).any():
            return
        best = int(lags[int(np.argmax(sc))])
        if self._steady() and abs(best - (self._lag or 0)) >= 4:
            self._lags.clear()  # it moved (a new output device): search it all again
            return
        self._lags.append(best)
        if self._steady():
            self._lag = int(np.median(self._lags))  # taken once three measures agree

    def _track_floor(self, logs: np.ndarray, ks: np.ndarray) -> np.ndarray:
        """The background each of these frames (their log10 band energies) is measured
        against (log10 per band): as measured on the groups of FLOOR_FRAMES frames before
        its own (the first group: on itself), so that it does not depend on how the
        stream was cut into blocks."""
        if not self._floors:  # the first group (``_frames`` waits until it is whole)
            self._floors.append((int(ks[0]), self._measure(logs[:FLOOR_FRAMES])))
        out = np.empty_like(logs)
        i = 0
        while i < len(ks):  # a group (or what of it these frames hold) at a time
            floor = self._floors[-1][1]
            n = min(len(ks) - i, FLOOR_FRAMES - len(self._group))
            out[i : i + n] = floor
            self._group.extend(logs[i : i + n])
            i += n
            if len(self._group) == FLOOR_FRAMES:
                q = self._measure(np.stack(self._group))
                self._group = []
                a = 1 - math.exp(-FLOOR_FRAMES * self.hop / (2.0 * self.sr))  # rises over ~2 s
                # down at once (a noise that stops), up slowly (a stroke's ring is no floor)
                self._floors.append(
                    (int(ks[i - 1]) + 1, np.where(q < floor, q, floor + a * (q - floor)))
                )
        return out

    def _measure(self, logs: np.ndarray) -> np.ndarray:
        margin = _floor_margin(self.sr, self.frame)
        # the median per band, as np.percentile(logs, 50, axis=0) interpolates it
        # (written out: percentile's own overhead was a tenth of a stream's time)
        s = np.sort(logs, axis=0)
        half = (len(s) - 1) / 2
        lo, hi = math.floor(half), math.ceil(half)
        median = s[hi] - (s[hi] - s[lo]) * (1 - (half - lo)) if hi > lo else s[lo]
        return np.asarray(np.maximum(median + margin, -12.0))

    def _floor_at(self, sample: int) -> np.ndarray:
        """The background the frame at this sample was measured against."""
        k = sample // self.hop
        floor = np.full(N_BANDS, -12.0)
        for start, f in self._floors:
            if start > k:
                break
            floor = f
        return floor

    # ------------------------------------------------------------------ deciding
    def _decide(self) -> list[HeardHit]:
        out = []
        while self._pending:
            k, strength = self._pending[0]
            lo, hi = k * self.hop - self.hop, k * self.hop + self.frame
            if self._n < hi + self._peak_n:
                break
            attack, peak = self._attack(lo, hi)
            if self._n < attack - self.pre + self.feat:
                break
            self._pending.pop(0)
            features, before = self._features(attack)
            self._loud = max(self._loud * 0.999, peak)
            vel = int(np.clip(round(127 * (peak / self._loud) ** 0.5), 1, 127))
            pieces = self.profile.classify(features, before) if self.profile is not None else ()
            out.append(
                HeardHit(
                    time=float(self.song_time(attack)),
                    pieces=pieces,
                    velocity=vel,
                    strength=strength,
                    sample=attack,
                    decided=self._n,
                    features=features,
                )
            )
        return out

    def _seg(self, a: int, b: int) -> np.ndarray:
        return self._x[max(0, a - self._x0) : max(0, b - self._x0)]

    def _attack(self, lo: int, hi: int) -> tuple[int, float]:
        """The attack's sample in [lo, hi), and the stroke's peak amplitude."""
        pre = self._seg(lo - round(0.005 * self.sr), lo)
        win = np.abs(self._seg(lo, hi + self._peak_n))
        peak = float(win.max()) if len(win) else 0.0
        base = float(np.percentile(np.abs(pre), 90)) if len(pre) else 0.0
        if peak < 1.5 * base or peak <= 0:
            return hi - 2 * self.hop, peak
        thr = base + ATTACK_FRACTION * (peak - base)
        above = np.flatnonzero(win >= thr)
        return lo + int(above[0]), peak

    def _features(self, attack: int) -> tuple[np.ndarray, np.ndarray]:
        """The stroke's log10 band energies (its first ``feat`` samples), and those of
        the ``feat`` samples before it."""
        start = attack - self.pre
        segs = np.stack(
            [np.pad(s, (0, self.feat - len(s))) for s in
             (self._seg(start, start + self.feat), self._seg(start - self.feat, start))]
        )  # fmt: skip
        # the song's predicted bleed is not taken out: the prediction is a bound (spread
        # over the speaker's unknown delay, with a margin), and taking it out of strokes
        # played on the song's own beats took their hi-hats away (bench/mic_detection.py
        # measures the naming with a song playing)
        e = _band_energy(segs, self.sr)
        floor = self._floor_at(attack)
        logs = np.log10(e + 10.0 ** (floor - 1))
        return logs[0], logs[1]


def detect_hits(
    *,
    y: np.ndarray,
    sr: int,
    profile: KitProfile | None = None,
    reference: Reference | None = None,
    t0: float = 0.0,
    speed: float = 1.0,
    block: int = 1024,
    classify: bool = True,
) -> list[HeardHit]:
    """Every stroke in a recording, found exactly as a live stream would find them.

    Parameters
    ----------
    y : np.ndarray
        Mono recording.
    sr : int
    t0 : float
        Song time of its first sample [s].
    block : int
        Samples per block fed to the listener (does not change the answer).
    """
    listener = HitListener(
        sr=sr, profile=profile, reference=reference, speed=speed, classify=classify
    )
    out: list[HeardHit] = []
    for i in range(0, len(y), block):
        out += listener.feed(y[i : i + block], t0 if i == 0 else None)
    return out + listener.flush()


def learn_kit(
    hits: Iterable[tuple[DrumPiece, np.ndarray]] | None = None,
    *,
    name: str = "my kit",
    y: np.ndarray | None = None,
    sr: int | None = None,
    pieces: Sequence[DrumPiece] = CALIBRATION_PIECES[:3],
    per_piece: int = 8,
) -> KitProfile:
    """A kit's profile from its calibration strokes.

    Either ``hits``: (piece, features) pairs collected live while each piece was asked
    for; or a recording ``y`` (at ``sr``) of each piece in ``pieces`` struck
    ``per_piece`` times, in that order, with a pause between pieces.

    Raises
    ------
    InputError
        When a piece has fewer than 4 strokes, or the recording's strokes do not fall
        into one group per piece.
    """
    pairs: list[tuple[DrumPiece, np.ndarray]]
    if hits is not None:
        pairs = list(hits)
    else:
        if y is None or sr is None:
            raise ValueError("learn_kit: give hits, or a recording y with its sr")
        heard = detect_hits(y=y, sr=sr, classify=False)
        groups = _groups([h.sample / sr for h in heard], len(pieces))
        if groups is None:
            raise InputError(
                f"kit calibration: heard {len(heard)} strokes; expected {per_piece} of each of "
                f"{', '.join(pieces)} in that order, with a pause between drums"
            )
        pairs = [(pieces[g], heard[i].features) for i, g in enumerate(groups)]
    counts = {p: sum(1 for q, _ in pairs if q is p) for p in {q for q, _ in pairs}}
    few = [f"{p} ({n})" for p, n in counts.items() if n < 4]
    if few or not pairs:
        raise InputError(
            "kit calibration: too few strokes heard for " + (", ".join(few) or "any drum")
        )
    return KitProfile(name, [p for p, _ in pairs], np.stack([f for _, f in pairs]))


def _groups(times: list[float], n: int) -> list[int] | None:
    """Each time's group when the n - 1 widest gaps split them (None: that does not make
    n groups of at least 4 strokes)."""
    if len(times) < 4 * n:
        return None
    gaps = np.diff(times)
    cuts = sorted(np.argsort(gaps)[::-1][: n - 1].tolist()) if n > 1 else []
    groups, g = [], 0
    for i in range(len(times)):
        groups.append(g)
        if g < len(cuts) and i == cuts[g]:
            g += 1
    sizes = np.bincount(groups, minlength=n)
    return groups if sizes.min() >= 4 else None
