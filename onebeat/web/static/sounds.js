// Hit sounds: the drum a player hits, heard as they hit it ("the more I tapped, the more
// the sound came together"). The kit is a real acoustic kit, sampled (onebeat/data/hitkit,
// CC BY 3.0: its CREDITS.md), or onebeat's own synthesised one (onebeat.audio.drumsynth,
// the one its exported jams and the terminal lesson play), fetched once per piece. Each player
// chooses: on by default for the keyboard, off for an e-kit or an acoustic kit (they
// make their own sound); a phone plays its own pads' sounds (pads.js). Off by default
// where the audio output is so late that a hit would sound after it was played (the
// page says so).

import { VOCAB } from "./kit.js";

// An audio output later than this makes a hit sound late (a flam against the stroke;
// a Bluetooth speaker's 150 ms and more): off unless the player asks. A desktop's
// 20–45 ms is heard as the stroke's own sound.
export const LATE_OUTPUT_S = 0.06;
// How loud a hit is against the song, at full velocity.
const HIT_GAIN = 0.8;

const buffers = new Map();   // piece -> AudioBuffer, per audio context and kit
let bufferCtx = null, bufferKit = null;

// The kit hits sound as (VOCAB.hit_kits: a sampled acoustic kit, the default, or the
// synthesised one), as chosen on the set-up screen and kept in the browser.
export function hitKit() {
  const k = localStorage.getItem("onebeat.hitkit");
  return k in VOCAB.hit_kits ? k : Object.keys(VOCAB.hit_kits)[0];
}

export async function loadHitSounds(ctx, pieces) {
  const kit = hitKit();
  if (bufferCtx !== ctx || bufferKit !== kit) { buffers.clear(); bufferCtx = ctx; bufferKit = kit; }
  await Promise.all([...new Set(pieces)].filter((p) => !buffers.has(p)).map(async (piece) => {
    const r = await fetch(`/api/hit-sounds/${piece}.wav?kit=${kit}`);
    if (!r.ok) throw new Error(`hit sound ${piece}: ${r.status} ${r.statusText}`);
    buffers.set(piece, await ctx.decodeAudioData(await r.arrayBuffer()));
  }));
}

// How late the audio output is [s]: what a hit sound adds to the player's own stroke.
export function outputLatency(ctx) {
  return (ctx.outputLatency || 0) + (ctx.baseLatency || 0);
}

// Whether the host page plays a player's hits by default: the keyboard's. A phone plays
// its own pads' (the network would make them late here); e-kits and acoustic kits sound.
export function soundsDefault(input) {
  return input === "keyboard";
}

// Play a piece now (the stroke is now: no later than the output makes it), or at a later
// context time `at`, at a velocity's loudness. Returns the context time it starts at, or null.
export function playHit(ctx, piece, velocity = 100, at = 0) {
  const buf = buffers.get(piece) || (piece === "hihat_open" && buffers.get("hihat_closed"));
  if (!buf || bufferCtx !== ctx) return null;
  const src = ctx.createBufferSource();
  src.buffer = buf;
  const gain = ctx.createGain();
  gain.gain.value = HIT_GAIN * Math.pow(Math.max(1, Math.min(127, velocity)) / 127, 1.5);
  src.connect(gain).connect(ctx.destination);
  const when = Math.max(ctx.currentTime, at);
  src.start(when);
  return when;
}
