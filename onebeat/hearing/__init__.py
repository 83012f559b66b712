"""Hearing an acoustic kit (the microphone's own package, apart from song analysis): drum
hits found in a microphone's signal as it streams.

:class:`HitListener` takes the microphone's samples block by block (a browser's
AudioWorklet chunks, a PortAudio callback, or a recording read in blocks: the same code
and the same answers) and hands back :class:`HeardHit` objects: the attack's time in song
time, which pieces were struck, and how hard.

How it hears (written here because no maintained library detects onsets against a known
reference signal, nor classifies against a kit learned from eight hits):

1. **Short frames.** Band energies on 256-sample frames every 64 samples (1.45 ms at
   44.1 kHz), on 24 log-spaced bands from 30 Hz to 16 kHz.
2. **The song gated out.** When the played audio is given (:class:`Reference`), its own
   band energies, spread over ±25 ms to forgive a misjudged delay and scaled by a
   per-band bleed gain that the listener keeps estimating (a low quantile of mic/song
   energy ratios), predict how loud the song is in the microphone. A band's rise counts
   only as far as the microphone stands over that prediction: the song's own drums make
   no rise of their own; a player's stroke on top of them does. (Subtracting the
   prediction instead leaves holes where the spread reference outlasts the song's sound,
   and the microphone climbing back out of them reads as rises: many false strokes from
   the song alone, where gating makes almost none; ``bench/mic_detection.py`` counts them.)
   How late the song reaches the microphone is measured as it plays (a speaker's own
   latency, a Bluetooth one's 150 ms): once three measures agree, the reference is
   spread over only ±3 ms around it, and the gain held tighter.
3. **Spectral flux, level-free.** The log band energies (over the mic's own background
   level, a little over its median) are compared with the loudest of the frames four to
   ten before. Each band's rise counts for more where a noise flickers less (a band of
   many bins: a soft hi-hat's small rise in the top bands is surer than the same rise
   in a single low bin); the mean rise of the bands that rose most is the detection
   function. A peak above an adaptive threshold is a stroke.
4. **The physical attack.** The stroke's time is then found in the samples themselves:
   the first sample that rises a fifth of the way from the level before the stroke to
   its peak. The frame only says roughly where to look.
5. **Which drum.** The first 11.6 ms from the attack (512 samples at 44.1 kHz) give the
   stroke's band spectrum, and the 11.6 ms before it what was already sounding. A
   :class:`KitProfile`, learnt from "hit each drum 8 times" (or the profile shipped
   with onebeat), names the pieces by nearest neighbours, among its examples and
   made-up pairs of them (kick and hi-hat struck together), each heard over what was
   already sounding (a hi-hat struck while the kick still rings is a hi-hat, not a
   ride). A pair is then checked: a piece stays in it only if its own bands rose with
   the stroke (a hi-hat over a ringing kick is a hi-hat alone).

A stroke is decided about 11 ms after its attack (the classification window); its time
is the attack's, so a judge placing it in song time is not affected by the wait.
"""

from __future__ import annotations

from onebeat.hearing.bands import CALIBRATION_PIECES
from onebeat.hearing.listener import HitListener, detect_hits, learn_kit
from onebeat.hearing.profile import HeardHit, KitProfile, default_profile
from onebeat.hearing.reference import Reference

__all__ = [
    "CALIBRATION_PIECES",
    "HeardHit",
    "HitListener",
    "KitProfile",
    "Reference",
    "default_profile",
    "detect_hits",
    "learn_kit",
]
