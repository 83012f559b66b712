// Where hits come from: the keyboard, Web MIDI kits, microphones (their samples streamed),
// and phones' taps relayed by the server.

import { $ } from "./kit.js";
import { state } from "./state.js";
import { heardAt, songAtPerf } from "./clock.js";
import { renderPlayers } from "./setup.js";
import { send, togglePause, hitSound } from "./play.js";
import { flash } from "./highway.js";

// A microphone: its samples go to the server in blocks (onebeat.web.protocol's binary
// frame), each placed in song time by the audio-context frame of its first sample; the
// server hears the strokes and judges them. The browser's own echo cancellation, noise
// suppression and gain control are off: they smear a drum's attack.
export async function openMics() {
  const mics = state.players.filter((p) => p.input === "microphone");
  if (!mics.length || state.mic) return;
  const ctx = state.ctx;
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false },
  });
  await ctx.audioWorklet.addModule("/static/mic-worklet.js");
  const source = ctx.createMediaStreamSource(stream);
  const node = new AudioWorkletNode(ctx, "onebeat-mic");
  source.connect(node);
  node.port.onmessage = (e) => {
    // how far the audio rendered runs ahead of the audio heard, smoothed: read block by
    // block it jitters by a few ms, and each block's strokes would jitter with it
    const lag = ctx.currentTime - heardAt(performance.now());
    state.micLag = state.micLag == null || Math.abs(lag - state.micLag) > 0.05
      ? lag : state.micLag + 0.05 * (lag - state.micLag);
    const heard = e.data.frame / ctx.sampleRate - state.micLag;
    if (state.listening !== null && !state.playing) {  // a set-up: the audio clock
      sendAudio(state.listening, heard - state.listenBase, ctx.sampleRate, e.data.samples);
      return;
    }
    if (!state.playing || state.paused) return;
    const t = (heard - state.c0) * state.speed;
    state.players.forEach((p, i) => {
      if (p.input === "microphone") sendAudio(i, t, ctx.sampleRate, e.data.samples);
    });
  };
  state.mic = { stream, source, node };
}

export function sendAudio(player, t, sr, samples) {
  if (!state.ws || state.ws.readyState !== WebSocket.OPEN || t < -30) return;
  const buf = new ArrayBuffer(20 + 2 * samples.length);
  const head = new DataView(buf);
  [..."OBA1"].forEach((c, k) => head.setUint8(k, c.charCodeAt(0)));
  head.setUint8(4, player);
  head.setFloat64(8, t, true);
  head.setUint32(16, sr, true);
  const pcm = new Int16Array(buf, 20);
  for (let k = 0; k < samples.length; k++) pcm[k] = Math.max(-32768, Math.min(32767, Math.round(samples[k] * 32767)));
  state.ws.send(buf);
}

export function onKey(e) {
  if (e.repeat || e.ctrlKey || e.metaKey || e.altKey) return;
  if (state.calib && state.calib.input === "keyboard" && e.key !== "Tab") {
    e.preventDefault();
    state.calib.taps.push(heardAt(e.timeStamp));
    return;
  }
  if (!state.playing) return;
  if (e.key === "Escape") { togglePause(); return; }
  const key = e.key.toLowerCase();
  const owner = keyOwner(key);
  if (!owner) return;
  e.preventDefault();
  if (state.paused) return;
  send({ type: "key", key, t: songAtPerf(e.timeStamp) });
  flash(owner[0], owner[1]);
  hitSound(owner[0], owner[1]);
}

// A phone's tap, its time already put on this page's clock by the server.
export function onTap(msg) {
  const p = state.players.find((x) => x.name === msg.player && x.input === "touch");
  if (!p) return;
  if (state.calib && state.calib.player === p.name) {
    state.calib.taps.push(heardAt(msg.c));
    return;
  }
  if (!state.playing || state.paused) return;
  send({ type: "pad", player: p.name, pad: msg.pad, v: msg.v, t: songAtPerf(msg.c) });
  flash(p.name, msg.pad);
}

// Phones joined: a phone whose name no player has takes the second place (or a free
// touch player's), so that scanning the QR code is all a second player needs to do.
export function onPhones(phones) {
  const known = new Set(state.phones.map((x) => x.name));
  state.phones = phones;
  $("phonelist").textContent = phones.length
    ? "Joined: " + phones.map((x) => `${x.name}${x.synced ? ` (± ${x.error_ms.toFixed(1)} ms)` : " (syncing…)"}`).join(", ")
    : "";
  const onSetup = !$("setup").hidden;
  for (const ph of phones) {
    if (known.has(ph.name) || !onSetup || state.players.some((p) => p.name === ph.name)) continue;
    const free = state.players.find((p, i) => p.input === "touch" && p.name === `player ${i + 1}`);
    if (free) free.name = ph.name;
    else if (state.players.length === 1) state.players.push({ name: ph.name, input: "touch", midi: "", kit: "gm" });
  }
  renderPlayers();
}

export function keyOwner(key) {
  if (!state.keymap) return null;
  for (const [player, keys] of Object.entries(state.keymap.players)) {
    if (key in keys) return [player, keys[key]];
  }
  return null;
}

// Web MIDI: the same function takes a device's messages and a test's scripted ones.
export function midiMessage(player, data, timeStamp) {
  const bytes = Array.from(data).slice(0, 3);
  const noteOn = (bytes[0] & 0xf0) === 0x90 && bytes[2] > 0;
  if (state.calib && state.calib.player === player) {
    if (noteOn) state.calib.taps.push(heardAt(timeStamp));
    return;
  }
  const L = state.padlearn;  // teaching the pads: which notes this piece is played with
  if (L && L.player === player) {
    if (noteOn && !L.taught.has(bytes[1])) {
      L.notes.add(bytes[1]);
      L.first ??= performance.now();
      L.last = performance.now();
    }
    return;
  }
  if (!state.playing || state.paused) return;
  send({ type: "midi", player, data: bytes, t: songAtPerf(timeStamp) });
  if (noteOn) flash(player, null);
}

export function wireMidi() {
  if (!state.midiAccess) return;
  for (const input of state.midiAccess.inputs.values()) input.onmidimessage = null;
  for (const p of state.players) {
    if (p.input !== "midi" || !p.midi) continue;
    const input = state.midiAccess.inputs.get(p.midi);
    if (input) input.onmidimessage = (e) => midiMessage(p.name, e.data, e.timeStamp);
  }
}
