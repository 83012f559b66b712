// The page's state, declared in one place (every field the modules read or write), and the
// small helpers they share.

import { $, VOCAB } from "./kit.js";

// level -> [name, what it asks], from the server (onebeat.chart.LEVEL_NAMES, LEVEL_HINTS)
export const LEVELS = VOCAB.levels;

export const PLAYER_CLASS = ["p1", "p2"];

export const LOOKAHEAD_S = 2.2;

// Between a lesson's passes: time to read the coach's sentence [ms].
export const PAUSE_MS = 2500;

// A player as the setup screen starts them (sounds: whether they hear their hits, null
// for their input's default; lefty: a left-handed kit, the lanes mirrored; pads: an
// e-kit's taught pads, loaded per device).
export function newPlayer(name) {
  return { name, input: "keyboard", midi: "", kit: "gm", experienced: false, headphones: false, sounds: null, lefty: false };
}

// Every field any module reads or writes is declared here, with what it holds.
export const state = {
  // the setup screen: the library, the chosen song, level, hit windows and players
  songs: [], song: null, level: 2, windows: "default",
  players: [newPlayer("player 1")],
  barsFor: null,      // the song whose bars and sections fill the loop picker
  wantSpeed: 1,       // the practice speed asked for (the song is stretched to it first)
  wantDrums: "full",  // the song's drums asked for: "full", "guide" or "off" (taken out first)
  lan: false, phones: [],
  // the connection and the take the server started
  midiAccess: null, ws: null, session: null, chart: null, keymap: null,
  loop: null,         // the bars looped ({start, end, ...}), or null for the whole song
  view: null,         // what scrolls past: notes and beats on the page's song clock
  views: null,        // a lesson's pass: each player's own part, by name
  // the song as it plays: Web Audio context, decoded buffers, the playing source, its gain;
  // song time s plays at context time c0 + s / speed
  ctx: null, buffers: new Map(), source: null, songGain: null, c0: 0, speed: 1, drums: "full",
  playing: false, paused: false, end: 0, tick: null,
  frozen: null,       // song time held while paused (and until the audio clock runs again)
  resumedAt: 0,       // performance.now() when the song resumed after a pause
  resuming: false,    // the 3-2-1 before a paused song goes on
  metronome: false,   // a click on every beat, not only the count-in
  nextClick: 0,       // the next beat to schedule a click for
  clicks: 0,          // clicks scheduled so far
  countTimes: [],     // song times of the count-in's beats
  drawn: 0,           // the song time the highway was last drawn at (a screen delay ahead)
  hitSounds: new Set(), // the players who hear their hits in this take
  played: [],         // the hit sounds started: {player, piece, when (context time), at (ms)}
  partnerHeard: [],   // a remote duet: the partner's strokes as heard {t, at (context time, 0: now), mode}
  // what the server said: judgments, a loop's passes, results, the insight report, errors
  hidden: [], highways: [], judgments: [], passes: [], results: null, report: null, errors: [],
  // a lesson: the coach's pass, what it said, the timer to the next pass
  learning: false, lesson: null, coached: null, said: null, nextPass: null,
  lessonLog: [],      // the lesson's passes so far: {player, step, speed, accuracy}
  // latency calibration under way ({player, input, taps, clicks}), and the microphones open
  calib: null, mic: null,
  padlearn: null,     // an e-kit's pads being taught ({player, notes, taught, ...})
  // a microphone player's set-up: whose microphone is heard outside a take (its frames
  // stamped with the audio clock from listenBase), and a kit calibration under way
  listening: null, listenBase: 0, kitcal: null, micLag: null,
};

export function message(el, text, err = false) {
  el.textContent = text;
  el.classList.toggle("err", err);
}

export function escapeHtml(s) {
  return s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
}

export function fmtTime(s) {
  if (s == null || !isFinite(s)) return "–";
  const t = Math.max(0, s);
  return `${Math.floor(t / 60)}:${String(Math.floor(t % 60)).padStart(2, "0")}`;
}

// First index of a sorted array (of numbers, or of rows by their first value) ≥ x.
export function lowerBound(a, x, key = (v) => v) {
  let lo = 0, hi = a.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (key(a[mid]) < x) lo = mid + 1; else hi = mid; }
  return lo;
}
