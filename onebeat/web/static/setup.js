// The setup screen: the song library, the level, the players and their inputs, latency
// calibration and "learn my kit".

import { $, LANES, VOCAB } from "./kit.js";
import { LEVELS, PLAYER_CLASS, state, message, escapeHtml, fmtTime } from "./state.js";
import { api, postJSON } from "./api.js";
import { send, ensureConnected, click } from "./play.js";
import { openMics } from "./inputs.js";
import { heardAt } from "./clock.js";
import { LATE_OUTPUT_S, outputLatency, soundsDefault } from "./sounds.js";

export async function refreshSongs() {
  try {
    state.songs = await api("/api/songs");
  } catch (e) {
    message($("libmsg"), `library: ${e.message}`, true);
    return;
  }
  if (!state.song && state.songs.length) state.song = state.songs[0].id;
  const analysing = state.songs.some((s) => s.status === "queued" || s.status === "analysing");
  // "…: analysing…" goes once the song is ready
  if (!analysing && $("libmsg").textContent.endsWith(": analysing…")) message($("libmsg"), "");
  renderSongs();
  // and the list follows a song's drums being taken out in the background
  if (analysing || state.songs.some((s) => s.drumless === "preparing")) setTimeout(refreshSongs, 700);
}

export function renderSongs() {
  const ul = $("songs");
  ul.replaceChildren(...state.songs.map((s) => {
    const li = document.createElement("li");
    li.dataset.id = s.id;
    li.classList.toggle("sel", s.id === state.song);
    const name = document.createElement("span");
    name.textContent = s.title;
    const info = document.createElement("small");
    if (s.status === "ready") {
      info.textContent = `${s.tempo_bpm} BPM · ${s.meter} · ${fmtTime(s.duration)}` +
        (s.drumless === "preparing" ? " · taking its drums out…" : "");
    }
    else if (s.status === "failed") { info.textContent = s.error; info.style.color = "var(--miss)"; }
    else {
      const bar = document.createElement("progress");
      bar.max = 1; bar.value = s.progress; bar.title = s.step || "waiting";
      info.append(bar, ` ${s.step || "queued"}`);
    }
    const edit = document.createElement("button");
    edit.type = "button"; edit.className = "rename"; edit.textContent = "✎";
    edit.title = "rename this song"; edit.setAttribute("aria-label", `rename ${s.title}`);
    edit.onclick = (e) => { e.stopPropagation(); renameSong(li, s); };
    li.append(name, edit, info);
    li.onclick = () => { state.song = s.id; renderSongs(); };
    return li;
  }));
  const sel = state.songs.find((s) => s.id === state.song);
  $("play").disabled = !sel || sel.status !== "ready";
  $("learn").disabled = !sel || sel.status !== "ready";
  renderBarOne(sel);
  renderLoop();
}

// A song as the server now has it (moved bar 1, renamed), in the list.
function keepSong(entry) {
  state.songs = state.songs.map((s) => (s.id === entry.id ? entry : s));
}

// "Bar 1 is here": where the song's first bar starts, moved a beat at a time. The
// library keeps the move with the song; its charts and bars follow.
function renderBarOne(sel) {
  const ready = sel && sel.status === "ready" && sel.first_downbeat !== null;
  $("barone").hidden = !ready;
  if (!ready) return;
  const moved = sel.bar_shift ? ` (moved ${sel.bar_shift} beat${sel.bar_shift > 1 ? "s" : ""} from the analysis)` : "";
  $("baronetime").textContent = `${sel.first_downbeat.toFixed(2)} s${moved}`;
  // the analysis' own doubt (its bar grid barely ahead of another), until the player moves it
  $("baroneunsure").hidden = !(sel.bar_one_sure !== null && sel.bar_one_sure < VOCAB.bar_one_unsure_below);
  const move = async (beats) => {
    try {
      keepSong(await postJSON(`/api/songs/${sel.id}/bar-one`, { beats }));
      state.barsFor = null;
      renderSongs();
    } catch (e) { message($("libmsg"), e.message, true); }
  };
  $("baroneearlier").onclick = () => move(-1);
  $("baronelater").onclick = () => move(1);
}

// A song's title (from its tags, else its file name), edited in place: Enter keeps it,
// Escape leaves it as it was.
function renameSong(li, s) {
  const box = document.createElement("input");
  box.type = "text"; box.maxLength = 80; box.value = s.title; box.className = "retitle";
  box.setAttribute("aria-label", "song title");
  li.querySelector("span").replaceWith(box);
  box.focus(); box.select();
  box.onclick = (e) => e.stopPropagation();
  box.onkeydown = async (e) => {
    e.stopPropagation();
    if (e.key === "Escape") { renderSongs(); return; }
    if (e.key !== "Enter") return;
    try {
      keepSong(await postJSON(`/api/songs/${s.id}/title`, { title: box.value }));
    } catch (err) { message($("libmsg"), err.message, true); }
    renderSongs();
  };
}

// The loop's bar range, and the song's sections to pick one from.
export async function renderLoop() {
  const sel = state.songs.find((s) => s.id === state.song);
  if (!sel || sel.status !== "ready" || state.barsFor === sel.id) return;
  state.barsFor = sel.id;
  let info = { bars: 1, sections: [] };
  try { info = await api(`/api/songs/${sel.id}/bars`); } catch (e) { message($("libmsg"), e.message, true); }
  for (const id of ["loopfrom", "loopto"]) $(id).max = String(info.bars);
  $("loopsection").replaceChildren(new Option("or a section of the song…", ""),
    ...info.sections.map(([a, b], i) => new Option(`${info.names?.[i] || `section ${i + 1}`}: bars ${a}–${b}`, `${a}-${b}`)));
}

export function renderLevels() {
  $("levels").replaceChildren(...Object.entries(LEVELS).map(([n, [name, what]]) => {
    const label = document.createElement("label");
    const input = document.createElement("input");
    input.type = "radio"; input.name = "level"; input.value = n;
    input.checked = Number(n) === state.level;
    input.onchange = () => { state.level = Number(n); };
    const text = document.createElement("span");
    text.innerHTML = `<b>${n}</b> ${name} <small>${what}</small>`;
    label.append(input, text);
    return label;
  }));
}

export function renderPlayers() {
  const box = $("players");
  box.replaceChildren(...state.players.map((p, i) => {
    const div = document.createElement("div");
    div.className = `player ${PLAYER_CLASS[i]}`;
    div.innerHTML = `
      <label for="pname${i}">Name</label><input id="pname${i}" type="text" maxlength="32">
      <label for="pinput${i}">Plays on</label>
      <select id="pinput${i}"><option value="keyboard">the computer keyboard</option>
        <option value="midi">an e-kit / pads (MIDI)</option>
        <option value="touch">a phone or tablet (touch pads)</option>
        <option value="microphone">an acoustic kit (microphone)</option></select>
      <label for="pmidi${i}" class="midi">Device</label><select id="pmidi${i}" class="midi"></select>
      <label for="pkit${i}" class="midi">Kit</label>
      <select id="pkit${i}" class="midi">${VOCAB.kits.map(([name, title]) =>
        `<option value="${name}">${escapeHtml(title)}</option>`).join("")}</select>
      <label class="span2"><input id="pexp${i}" type="checkbox"> has played drums before (a lesson starts with the whole groove)</label>
      <label class="span2 mic"><input id="phead${i}" type="checkbox"> hears the song in headphones (the microphone hears only the kit)</label>
      <label class="span2 keys"><input id="psnd${i}" type="checkbox"> hear my hits (as you press the keys)</label>
      <label class="span2"><input id="plefty${i}" type="checkbox"> left-handed kit (lanes mirrored)</label>
      <button id="pcalbtn${i}" type="button">Calibrate</button>
      <button id="pkitbtn${i}" type="button" class="mic">Learn my kit</button>
      <button id="ppadsbtn${i}" type="button" class="midi">Learn my pads</button>
      <button id="pdone${i}" type="button" hidden>Done</button>
      <span id="pcal${i}" class="msg"></span>`;
    const name = div.querySelector(`#pname${i}`);
    name.value = p.name;
    name.oninput = () => { p.name = name.value.trim() || `player ${i + 1}`; renderKeyHint(); };
    const input = div.querySelector(`#pinput${i}`);
    input.value = p.input;
    input.onchange = () => { p.input = input.value; renderPlayers(); };
    const midi = div.querySelector(`#pmidi${i}`);
    const devices = state.midiAccess ? [...state.midiAccess.inputs.values()] : [];
    midi.replaceChildren(...(devices.length ? devices : [{ id: "", name: "no MIDI device found" }]).map((d) => {
      const o = document.createElement("option"); o.value = d.id; o.textContent = d.name; return o;
    }));
    if (p.midi) midi.value = p.midi; else p.midi = midi.value;
    midi.onchange = () => { p.midi = midi.value; p.pads = savedPads(p); };
    const kit = div.querySelector(`#pkit${i}`);
    kit.value = p.kit;
    kit.onchange = () => { p.kit = kit.value; };
    div.querySelectorAll(".midi").forEach((el) => { el.hidden = p.input !== "midi"; });
    div.querySelectorAll(".mic").forEach((el) => { el.hidden = p.input !== "microphone"; });
    div.querySelector(`#pkitbtn${i}`).onclick = () => learnKit(i);
    div.querySelector(`#ppadsbtn${i}`).onclick = () => learnPads(i);
    if (p.input === "midi" && !p.pads) p.pads = savedPads(p);
    if (p.input === "touch") {
      const phone = state.phones.find((x) => x.name === p.name);
      const note = document.createElement("p");
      note.className = "hint span2";
      note.textContent = phone
        ? `${p.name}'s phone is joined${phone.synced ? `, clock synchronised (worst case ± ${phone.error_ms.toFixed(1)} ms)` : ", synchronising its clock…"}`
        : state.lan
          ? `waiting for a phone to join as “${p.name}” (scan the QR code)`
          : "phones join when onebeat play runs with --lan";
      div.querySelector(`#pcalbtn${i}`).before(note);
    }
    const exp = div.querySelector(`#pexp${i}`);
    exp.checked = p.experienced;
    exp.onchange = () => { p.experienced = exp.checked; };
    const lefty = div.querySelector(`#plefty${i}`);
    lefty.checked = Boolean(p.lefty);
    lefty.onchange = () => { p.lefty = lefty.checked; };
    const snd = div.querySelector(`#psnd${i}`);
    // (the default, until the player chooses: off where the audio output is late)
    snd.checked = p.sounds ?? (soundsDefault(p.input) && !(state.ctx && outputLatency(state.ctx) > LATE_OUTPUT_S));
    snd.onchange = () => { p.sounds = snd.checked; };
    div.querySelectorAll(".keys").forEach((el) => { el.hidden = p.input !== "keyboard"; });
    const head = div.querySelector(`#phead${i}`);
    head.checked = Boolean(p.headphones);
    head.onchange = () => { p.headphones = head.checked; };
    div.querySelector(`#pcalbtn${i}`).onclick = () => calibrate(i);
    const off = localStorage.getItem(`onebeat.offset.${p.input}`);
    div.querySelector(`#pcal${i}`).textContent = off === null
      ? (p.input === "microphone" ? "not calibrated: hit the snare with the clicks once" : "not calibrated: tap along to clicks once")
      : `${p.input} latency ${Number(off) > 0 ? "+" : ""}${Number(off).toFixed(1)} ms`;
    return div;
  }));
  $("addplayer").textContent = state.players.length === 1 ? "+ second player" : "− one player";
  renderKeyHint();
}

export function renderKeyHint() {
  // from the keyboard's default map (VOCAB.keys: its left and right halves), in lane order
  const kb = state.players.filter((p) => p.input === "keyboard");
  const keysOf = (half, piece) => Object.entries(VOCAB.keys[half])
    .filter(([, p]) => p === piece).map(([k]) => k.toUpperCase());
  const line = (halves) => LANES
    .map(([piece, label]) => [label, halves.flatMap((h) => keysOf(h, piece))])
    .filter(([, keys]) => keys.length)
    .map(([label, keys]) => `${label} ${keys.join(" or ")}`).join(" · ");
  $("keyhint").textContent = kb.length === 2
    ? `${kb[0].name}: ${line(["left"])}\n${kb[1].name}: ${line(["right"])}`
    : kb.length === 1 ? `${kb[0].name}: ${line(["left", "right"])}` : "";
}

// A player as a take or a lesson sends them (onebeat.play.protocol.PlayerSpec).
export function playerSpec(p) {
  return {
    name: p.name, input: p.input, kit: p.kit, offset_ms: calibration(p.input), experienced: p.experienced,
    headphones: p.headphones, pads: p.input === "midi" ? p.pads || {} : {},
  };
}

export function calibration(input) {
  return Number(localStorage.getItem(`onebeat.offset.${input}`) || 0);
}

// Calibration: 16 clicks at 80 BPM; the player taps along on their own input; the server
// drops outliers and takes the median (onebeat.engine.calibrate). Kept per input kind.
export const CALIBRATION_CLICKS = 16;

export const CALIBRATION_IBI = 0.75;

export async function calibrate(i) {
  const p = state.players[i];
  const out = $(`pcal${i}`);
  if (p.input === "touch") await ensureConnected().catch((e) => message(out, e.message, true));
  state.ctx = state.ctx || new AudioContext({ latencyHint: "interactive" });
  await state.ctx.resume();
  if (p.input === "microphone") {
    try { await listenTo(i, null); } catch (e) { message(out, `microphone: ${e.message}`, true); return; }
  }
  const t0 = state.ctx.currentTime + 0.8;
  const clicks = Array.from({ length: CALIBRATION_CLICKS }, (_, k) => t0 + k * CALIBRATION_IBI);
  clicks.forEach((c, k) => click(c, k % 4 === 0));
  state.calib = { player: p.name, input: p.input, taps: [], clicks };
  // what the player sees while calibrating: when the clicks start, a beat that lights
  // with each click as it is heard, the click and tap counts
  const show = setInterval(() => {
    const now = heardAt(performance.now());
    const k = clicks.findLastIndex((c) => c <= now);
    const taps = state.calib ? state.calib.taps.length : 0;
    const line = $(`pcal${i}`);  // (the player boxes are redrawn when a phone reports)
    if (k < 0) {
      message(line, `${p.name}: get ready, the clicks start in ${(clicks[0] - now).toFixed(1)} s…`);
      return;
    }
    const lit = now - clicks[k] < 0.15 ? "●" : "○";
    message(line, `${lit} ${p.name}: tap along — click ${k + 1} of ${CALIBRATION_CLICKS}, ${taps} tap${taps === 1 ? "" : "s"}`);
  }, 30);
  await new Promise((r) => setTimeout(r, (clicks.at(-1) - state.ctx.currentTime + 0.6) * 1000));
  clearInterval(show);
  const taps = state.calib.taps;
  state.calib = null;
  state.listening = null;
  try {
    const r = await postJSON("/api/calibrate", { taps, clicks });
    localStorage.setItem(`onebeat.offset.${p.input}`, String(r.offset_ms));
    renderPlayers();
    message($(`pcal${i}`), `${p.input} latency ${r.offset_ms > 0 ? "+" : ""}` +
      `${r.offset_ms.toFixed(1)} ms (spread ± ${r.spread_ms.toFixed(1)} ms, ${r.used} taps used)`);
  } catch (e) {
    message(out, e.message, true);
  }
}

// A microphone player's set-up (onebeat.web.micsetup): their microphone is heard outside
// a take, each stroke coming back as "heard" with its time on the audio clock.
export async function listenTo(i, piece) {
  state.ctx = state.ctx || new AudioContext({ latencyHint: "interactive" });
  await state.ctx.resume();
  await ensureConnected();
  await openMics();
  if (state.listening !== i) state.listenBase = state.ctx.currentTime;
  state.listening = i;
  send({ type: "listen", player: i, name: state.players[i].name, piece });
}

// "Hit each drum 8 times": the server learns this kit in this room from the strokes heard
// while each piece is asked for, and keeps it for this player's takes and lessons. A
// piece the kit lacks is skipped by not playing it for a few seconds.
export const KIT_PIECES = [
  ["kick", "kick"], ["snare", "snare"], ["hihat_closed", "closed hi-hat"],
  ["hihat_open", "open hi-hat"], ["tom_high", "high tom"], ["tom_mid", "mid tom"],
  ["tom_floor", "floor tom"], ["crash", "crash"], ["ride", "ride"],
];

export const KIT_STROKES = 8;

export const KIT_SKIP_MS = 6000;

export async function learnKit(i) {
  const p = state.players[i];
  const out = $(`pcal${i}`);
  try { await listenTo(i, null); } catch (e) { message(out, `microphone: ${e.message}`, true); return; }
  for (const [piece, label] of KIT_PIECES) {
    state.kitcal = { player: p.name, index: i, count: 0, at: performance.now() };
    send({ type: "listen", player: i, name: p.name, piece });
    message(out, `${p.name}: hit the ${label} ${KIT_STROKES} times, a little apart (none for ${KIT_SKIP_MS / 1000} s: skipped)`);
    await new Promise((resolve) => {
      const timer = setInterval(() => {
        const k = state.kitcal;
        if (k.count >= KIT_STROKES || performance.now() - k.at > KIT_SKIP_MS) { clearInterval(timer); resolve(); }
      }, 100);
    });
    await new Promise((r) => setTimeout(r, 700));  // the last stroke rings out
  }
  state.listening = null;
  state.kitcal = { player: p.name, index: i, count: 0, at: 0, waiting: true };
  message(out, `${p.name}: learning the kit…`);
  send({ type: "kit", player: i, name: p.name });
}

// "Hit the pad for the snare": an e-kit's pads taught one piece at a time. Every pad hit
// while a piece is asked for plays it (a double pedal's two notes are both the kick); a
// note taught once keeps its piece. Kept per device in this browser, sent with each take
// over the kit map's own notes. Done keeps what is taught so far.
export const PAD_SKIP_MS = 6000;
export const PAD_SETTLE_MS = 1500;

export function padsKey(p) {
  const device = state.midiAccess?.inputs.get(p.midi)?.name || p.midi || "midi";
  return `onebeat.pads.${device}`;
}

// The pads this browser was taught for a player's device ({} when none).
function savedPads(p) {
  return JSON.parse(localStorage.getItem(padsKey(p)) || "{}");
}

export async function learnPads(i) {
  const p = state.players[i];
  const out = $(`pcal${i}`);
  const pads = {};
  const L = { player: p.name, notes: new Set(), taught: new Set(), at: 0, first: null, last: 0, done: false };
  state.padlearn = L;
  $(`pdone${i}`).hidden = false;
  $(`pdone${i}`).onclick = () => { L.done = true; };
  for (const [piece, label] of KIT_PIECES) {
    if (L.done) break;
    Object.assign(L, { notes: new Set(), at: performance.now(), first: null });
    message(out, `${p.name}: hit the pad for the ${label} (each pad you play it on; none for ${PAD_SKIP_MS / 1000} s: skipped)`);
    await new Promise((resolve) => {
      const timer = setInterval(() => {
        const now = performance.now();
        const over = L.first === null ? now - L.at > PAD_SKIP_MS : now - L.last > PAD_SETTLE_MS;
        if (L.done || over) { clearInterval(timer); resolve(); }
      }, 50);
    });
    for (const n of L.notes) { pads[n] = piece; L.taught.add(n); }
  }
  state.padlearn = null;
  $(`pdone${i}`).hidden = true;
  p.pads = pads;
  localStorage.setItem(padsKey(p), JSON.stringify(pads));
  const said = Object.entries(pads).map(([n, piece]) => `${piece.replace("_", " ")} ${n}`).join(", ");
  message(out, `${p.name}'s pads: ${said || "none taught"}; used from the next take`);
}

export function onKit(msg) {
  const k = state.kitcal;
  state.kitcal = null;
  if (!k) return;
  const got = Object.entries(msg.pieces).map(([piece, n]) => `${piece.replace("_", " ")} ${n}`);
  message($(`pcal${k.index}`), `${msg.player}'s kit learnt (${got.join(", ")}); used from the next take`);
}
