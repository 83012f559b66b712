// Song time and the page's clocks. The song plays through Web Audio: song time s plays at
// audio-context time c0 + s / speed. Every hit is placed by its own event timestamp
// (performance.now() clock), converted through AudioContext.getOutputTimestamp(), which
// pairs the context time being heard now with a performance.now() time.

import { state } from "./state.js";

// The audio-context time being heard at a performance.now() time.
export function heardAt(perfMs) {
  const ctx = state.ctx;
  const ts = ctx.getOutputTimestamp();
  return ts.performanceTime
    ? ts.contextTime + (perfMs - ts.performanceTime) / 1000
    : ctx.currentTime - (ctx.outputLatency || ctx.baseLatency || 0) + (perfMs - performance.now()) / 1000;
}

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
export function perfAtHeard(c) {
  const ts = state.ctx.getOutputTimestamp();
  return ts.performanceTime + (c - ts.contextTime) * 1000;
}

export const perfAtSong = (t) => perfAtHeard(state.c0 + t / state.speed);
