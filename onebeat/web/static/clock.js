// Song time and the page's clocks. The song plays through Web Audio: song time s plays at
// audio-context time c0 + s / speed. Every hit is placed by its own event timestamp
// (performance.now() clock), converted through AudioContext.getOutputTimestamp(), which
// pairs the context time being heard now with a performance.now() time.

import { state } from "./state.js";

// getOutputTimestamp() pairs a context time with the performance.now() time it is heard,
// and the pair jitters: a new context's first readings are 10-20 ms off, and on a busy
// machine a single reading now and then is 4-10 ms off (measured in Chromium; a hit
// converted through it is misjudged by as much). The two clocks' difference only drifts
// (the audio device's crystal against the system's: tens of ppm), so it is taken as the
// median of the readings of the last second. A step beyond JUMP_MS (the context resumed
// after a pause, another output device) is a new clock: the readings start afresh.
const WINDOW_MS = 1000, JUMP_MS = 50;
const readings = { ctx: null, perf: [], diff: [], median: 0 };

// Context time [ms] minus performance.now() time [ms] of the same instant, smoothed.
// Before the context reports any output timestamp: from its current time and latency.
function outputOffset(ctx) {
  const ts = ctx.getOutputTimestamp();
  if (!ts.performanceTime) {
    const latency = ctx.outputLatency || ctx.baseLatency || 0;
    return (ctx.currentTime - latency) * 1000 - performance.now();
  }
  const r = readings;
  const diff = ts.contextTime * 1000 - ts.performanceTime;
  if (r.ctx !== ctx || Math.abs(diff - r.median) > JUMP_MS) {
    Object.assign(r, { ctx, perf: [], diff: [], median: diff });
  }
  if (ts.performanceTime !== r.perf.at(-1)) {  // a new reading (not the same one read again)
    r.perf.push(ts.performanceTime);
    r.diff.push(diff);
    while (r.perf[0] < ts.performanceTime - WINDOW_MS) { r.perf.shift(); r.diff.shift(); }
    const sorted = r.diff.slice().sort((a, b) => a - b);
    const m = sorted.length >> 1;
    r.median = sorted.length % 2 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
  }
  return r.median;
}

// The audio-context time being heard at a performance.now() time.
export const heardAt = (perfMs) => (perfMs + outputOffset(state.ctx)) / 1000;

// Paused, song time stands still: a suspended context's output timestamp goes stale, and
// read through it the clock would run on and jump back on resume. It stays frozen until
// the audio clock reports again after the resume.
export function songAtPerf(perfMs) {
  if (state.frozen !== null) {
    const ts = state.ctx.getOutputTimestamp();
    if (state.paused || !(ts.performanceTime > state.resumedAt)) return state.frozen;
    state.frozen = null;
  }
  return (heardAt(perfMs) - state.c0) * state.speed;
}

export const songNow = () => songAtPerf(performance.now());

// The performance.now() time at which audio-context time c is heard (the inverse of
// heardAt), and at which song time t is (the inverse of songAtPerf).
export const perfAtHeard = (c) => c * 1000 - outputOffset(state.ctx);

export const perfAtSong = (t) => perfAtHeard(state.c0 + t / state.speed);
