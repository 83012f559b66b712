// onebeat's play-along page. Plain ES module, no build step, nothing from a CDN.
//
// Time: the song plays through Web Audio. Song time s plays at audio-context time
// c0 + s / speed. Every hit is placed by its own event timestamp (KeyboardEvent and
// MIDIMessageEvent timeStamp, in the performance.now() clock), converted to song time
// through AudioContext.getOutputTimestamp(), which pairs the context time being heard
// now with a performance.now() time. The server applies each player's calibration and
// judges; the page shows what comes back.

import { $, LANES, VOCAB, leanText } from "./kit.js";

// level -> [name, what it asks], from the server (onebeat.chart.LEVEL_NAMES, LEVEL_HINTS)
const LEVELS = VOCAB.levels;
const PLAYER_CLASS = ["p1", "p2"];
const LOOKAHEAD_S = 2.2;
// Between a lesson's passes: time to read the coach's sentence [ms].
const PAUSE_MS = 2500;

const state = {
  songs: [], song: null, level: 2, windows: "default",
  players: [{ name: "player 1", input: "keyboard", midi: "", kit: "gm", experienced: false }],
  midiAccess: null, ws: null, session: null, chart: null, keymap: null,
  ctx: null, buffers: new Map(), source: null, c0: 0, speed: 1, playing: false, paused: false,
  hidden: [], highways: [], tick: null, end: 0, judgments: [], results: null, errors: [],
  lan: false, phones: [],
  // a microphone player's set-up: whose microphone is heard outside a take (its frames
  // stamped with the audio clock from listenBase), and a kit calibration under way
  listening: null, listenBase: 0, kitcal: null, micLag: null,
};

// ---------------------------------------------------------------- library and setup
async function api(path, options) {
  const r = await fetch(path, options);
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(body.detail || body.error || `${r.status} ${r.statusText}`);
  return body;
}

function message(el, text, err = false) {
  el.textContent = text;
  el.classList.toggle("err", err);
}

async function refreshSongs() {
  try {
    state.songs = await api("/api/songs");
  } catch (e) {
    message($("libmsg"), `library: ${e.message}`, true);
    return;
  }
  if (!state.song && state.songs.length) state.song = state.songs[0].id;
  renderSongs();
  if (state.songs.some((s) => s.status === "queued" || s.status === "analysing")) {
    setTimeout(refreshSongs, 700);
  }
}

function renderSongs() {
  const ul = $("songs");
  ul.replaceChildren(...state.songs.map((s) => {
    const li = document.createElement("li");
    li.dataset.id = s.id;
    li.classList.toggle("sel", s.id === state.song);
    const name = document.createElement("span");
    name.textContent = s.title;
    const info = document.createElement("small");
    if (s.status === "ready") info.textContent = `${s.tempo_bpm} BPM · ${s.meter} · ${fmtTime(s.duration)}`;
    else if (s.status === "failed") { info.textContent = s.error; info.style.color = "var(--miss)"; }
    else {
      const bar = document.createElement("progress");
      bar.max = 1; bar.value = s.progress; bar.title = s.step || "waiting";
      info.append(bar, ` ${s.step || "queued"}`);
    }
    li.append(name, info);
    li.onclick = () => { state.song = s.id; renderSongs(); };
    return li;
  }));
  const sel = state.songs.find((s) => s.id === state.song);
  $("play").disabled = !sel || sel.status !== "ready";
  $("learn").disabled = !sel || sel.status !== "ready";
  renderLoop();
}

// The loop's bar range, and the song's sections to pick one from.
async function renderLoop() {
  const sel = state.songs.find((s) => s.id === state.song);
  if (!sel || sel.status !== "ready" || state.barsFor === sel.id) return;
  state.barsFor = sel.id;
  let info = { bars: 1, sections: [] };
  try { info = await api(`/api/songs/${sel.id}/bars`); } catch (e) { message($("libmsg"), e.message, true); }
  for (const id of ["loopfrom", "loopto"]) $(id).max = String(info.bars);
  $("loopsection").replaceChildren(new Option("or a section of the song…", ""),
    ...info.sections.map(([a, b], i) => new Option(`section ${i + 1}: bars ${a}–${b}`, `${a}-${b}`)));
}

function renderLevels() {
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

function renderPlayers() {
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
      <button id="pcalbtn${i}" type="button">Calibrate</button>
      <button id="pkitbtn${i}" type="button" class="mic">Learn my kit</button>
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
    midi.onchange = () => { p.midi = midi.value; };
    const kit = div.querySelector(`#pkit${i}`);
    kit.value = p.kit;
    kit.onchange = () => { p.kit = kit.value; };
    div.querySelectorAll(".midi").forEach((el) => { el.hidden = p.input !== "midi"; });
    div.querySelectorAll(".mic").forEach((el) => { el.hidden = p.input !== "microphone"; });
    div.querySelector(`#pkitbtn${i}`).onclick = () => learnKit(i);
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

function renderKeyHint() {
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

// ---------------------------------------------------------------- clock
// The audio-context time being heard at a performance.now() time.
function heardAt(perfMs) {
  const ctx = state.ctx;
  const ts = ctx.getOutputTimestamp();
  return ts.performanceTime
    ? ts.contextTime + (perfMs - ts.performanceTime) / 1000
    : ctx.currentTime - (ctx.outputLatency || ctx.baseLatency || 0) + (perfMs - performance.now()) / 1000;
}
const songAtPerf = (perfMs) => (heardAt(perfMs) - state.c0) * state.speed;
const songNow = () => songAtPerf(performance.now());
// The performance.now() time at which audio-context time c is heard (the inverse of
// heardAt), and at which song time t is (the inverse of songAtPerf).
function perfAtHeard(c) {
  const ts = state.ctx.getOutputTimestamp();
  return ts.performanceTime + (c - ts.contextTime) * 1000;
}
const perfAtSong = (t) => perfAtHeard(state.c0 + t / state.speed);

function fmtTime(s) {
  if (s == null || !isFinite(s)) return "–";
  const t = Math.max(0, s);
  return `${Math.floor(t / 60)}:${String(Math.floor(t % 60)).padStart(2, "0")}`;
}

// ---------------------------------------------------------------- play
function send(msg) {
  if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify(msg));
}

function connect() {
  return new Promise((resolve, reject) => {
    const proto = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${proto}://${location.host}/ws/play`);
    ws.onopen = () => {
      // With --lan, phones may join: the server pings this page to know its clock.
      if (state.lan) ws.send(JSON.stringify({ type: "sync" }));
      resolve(ws);
    };
    ws.onerror = () => reject(new Error("cannot reach the onebeat server"));
    ws.onmessage = (e) => onMessage(JSON.parse(e.data));
    ws.onclose = () => { if (state.playing) stopPlaying("the connection to the server closed"); };
  });
}

function calibration(input) {
  return Number(localStorage.getItem(`onebeat.offset.${input}`) || 0);
}

// Calibration: 16 clicks at 80 BPM; the player taps along on their own input; the server
// drops outliers and takes the median (onebeat.engine.calibrate). Kept per input kind.
const CALIBRATION_CLICKS = 16;
const CALIBRATION_IBI = 0.75;

async function ensureConnected() {
  if (!state.ws || state.ws.readyState !== WebSocket.OPEN) state.ws = await connect();
}

async function calibrate(i) {
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
  message(out, `${p.name}: tap along with the ${CALIBRATION_CLICKS} clicks…`);
  await new Promise((r) => setTimeout(r, (clicks.at(-1) - state.ctx.currentTime + 0.6) * 1000));
  const taps = state.calib.taps;
  state.calib = null;
  state.listening = null;
  try {
    const r = await api("/api/calibrate", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ taps, clicks }),
    });
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
async function listenTo(i, piece) {
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
const KIT_PIECES = [
  ["kick", "kick"], ["snare", "snare"], ["hihat_closed", "closed hi-hat"],
  ["hihat_open", "open hi-hat"], ["tom_high", "high tom"], ["tom_mid", "mid tom"],
  ["tom_floor", "floor tom"], ["crash", "crash"], ["ride", "ride"],
];
const KIT_STROKES = 8;
const KIT_SKIP_MS = 6000;

async function learnKit(i) {
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

function onKit(msg) {
  const k = state.kitcal;
  state.kitcal = null;
  if (!k) return;
  const got = Object.entries(msg.pieces).map(([piece, n]) => `${piece.replace("_", " ")} ${n}`);
  message($(`pcal${k.index}`), `${msg.player}'s kit learnt (${got.join(", ")}); used from the next take`);
}

// Before a take or a lesson: the audio running, the server reached, microphones open.
async function prepare() {
  state.ctx = state.ctx || new AudioContext({ latencyHint: "interactive" });
  await state.ctx.resume();
  await ensureConnected();
  await openMics();
  state.windows = $("windows").value;
}

async function start() {
  message($("playmsg"), "");
  $("play").disabled = true;
  try {
    await prepare();
    state.wantSpeed = Number($("speed").value);
    if (state.wantSpeed < 1) message($("playmsg"), `preparing the song at ${Math.round(state.wantSpeed * 100)} %…`);
    await audioBuffer(state.song, state.wantSpeed);
    message($("playmsg"), "");
    const loop = $("loopon").checked ? [Number($("loopfrom").value), Number($("loopto").value)] : null;
    send({
      type: "start", song: state.song, level: state.level, windows: state.windows, speed: state.wantSpeed, loop,
      players: state.players.map((p) => ({
        name: p.name, input: p.input, kit: p.kit, offset_ms: calibration(p.input),
      })),
    });
  } catch (e) {
    message($("playmsg"), e.message, true);
    $("play").disabled = false;
  }
}

// A lesson: the server's coach sets each pass (bars, speed, each player's part); the
// page counts in a bar, plays the bars once, and after the coach's word the next pass.
async function startLesson(restart = false) {
  message($("playmsg"), "");
  $("learn").disabled = true;
  try {
    await prepare();
    state.learning = true;
    state.said = [];
    sendLearn(restart);
  } catch (e) {
    message($("playmsg"), e.message, true);
    $("learn").disabled = false;
  }
}

function sendLearn(restart = false) {
  send({
    type: "learn", song: state.song, windows: state.windows, restart,
    players: state.players.map((p) => ({
      name: p.name, input: p.input, kit: p.kit, offset_ms: calibration(p.input), experienced: p.experienced,
    })),
  });
}

async function onLesson(msg) {
  state.lesson = msg;
  state.wantSpeed = msg.speed;
  const parts = msg.players;
  const first = parts[state.players[0].name];
  if (msg.speed < 1) message($("coachsaid"), `preparing the song at ${Math.round(msg.speed * 100)} %…`);
  await audioBuffer(state.song, msg.speed);
  await onReady({
    session: first.session, chart: first.chart, loop: msg.loop, keymap: msg.keymap,
    parts: Object.fromEntries(Object.entries(parts).map(([n, p]) => [n, p.chart])),
  });
  renderCoach();
}

function renderCoach() {
  const msg = state.lesson;
  if (!msg) return;
  const steps = msg.steps.map((s, k) => {
    const who = state.players.filter((p) => msg.players[p.name]?.step === k).map((p) => escapeHtml(p.name));
    const cls = k === msg.goal ? "goal" : "";
    return `<li class="${who.length ? "now" : ""} ${cls}" title="${escapeHtml(s.title)}">${escapeHtml(s.key)}` +
      `${who.length && state.players.length > 1 ? ` <small>${who.join(", ")}</small>` : ""}</li>`;
  }).join("");
  const parts = state.players.map((p) => {
    const x = msg.players[p.name];
    return `<b>${escapeHtml(p.name)}</b>: ${escapeHtml(x.title)} <small>(pass ${x.pass})</small>`;
  }).join("<br>");
  $("coach").hidden = false;
  $("coachsteps").innerHTML = steps;
  $("coachnow").innerHTML = `${parts}<br><small>bars ${msg.loop.first}–${msg.loop.last} · ` +
    `speed ${Math.round(msg.speed * 100)} %</small>`;
  $("coachsaid").innerHTML = (state.said || []).map((t) => `<span>${escapeHtml(t)}</span>`).join("");
}

function onCoached(msg) {
  state.coached = (state.coached || []).concat([msg]);
  if (msg.stopped) { state.learning = false; showScreen("setup"); return; }
  state.said = Object.entries(msg.players).map(([n, p]) =>
    `${state.players.length > 1 ? `${n}: ` : ""}${p.message} (${(100 * p.accuracy).toFixed(0)} %)`);
  if (msg.together) state.said.push(msg.together.message);
  renderCoach();
  if (msg.done) {
    state.learning = false;
    $("coachsaid").insertAdjacentHTML("beforeend",
      `<span class="done">Lesson done. Where you are is saved: the next lesson on this song starts there.</span>`);
    $("lessonend").hidden = false;
    return;
  }
  state.nextPass = setTimeout(() => { if (state.learning) sendLearn(); }, PAUSE_MS);
}

function stopLesson() {
  state.learning = false;
  clearTimeout(state.nextPass);
  if (state.playing) finish(); else showScreen("setup");
}

// The song's audio at a practice speed (time-stretched by the server, same pitch).
async function audioBuffer(songId, speed) {
  const key = `${songId}@${speed}`;
  if (!state.buffers.has(key)) {
    const r = await fetch(`/api/songs/${songId}/audio?speed=${speed}`);
    if (!r.ok) throw new Error(`the song's audio: ${r.status}`);
    state.buffers.set(key, await state.ctx.decodeAudioData(await r.arrayBuffer()));
  }
  return state.buffers.get(key);
}

function click(at, accent) {
  const ctx = state.ctx;
  const osc = ctx.createOscillator();
  const gain = ctx.createGain();
  osc.frequency.value = accent ? 1500 : 1000;
  gain.gain.setValueAtTime(0.5, at);
  gain.gain.exponentialRampToValueAtTime(0.001, at + 0.06);
  osc.connect(gain).connect(ctx.destination);
  osc.start(at); osc.stop(at + 0.07);
}

// What scrolls past: the chart's notes and beats on the page's song clock. In a loop
// that clock runs on across passes, so the loop's bars are laid end to end (pass p's
// note i is index p·n + i), after the bar before the loop, which plays as a count-in.
const MAX_LOOP_S = 1800;

function buildView(chart, loop) {
  const beats = chart.beats, pos = chart.beat_positions;
  if (!loop) return { notes: chart.notes, beats, pos, n: chart.notes.length };
  const L = loop.end - loop.start;
  const passes = Math.max(1, Math.min(500, Math.ceil(MAX_LOOP_S / L)));
  const view = { notes: [], beats: [], pos: [], n: chart.notes.length };
  beats.forEach((b, k) => {
    if (b >= loop.start - 2 * L && b < loop.start - 1e-6) { view.beats.push(b); view.pos.push(pos[k]); }
  });
  const inLoop = beats.map((b, k) => [b, pos[k]]).filter(([b]) => b >= loop.start - 1e-6 && b < loop.end - 1e-6);
  for (let p = 0; p < passes; p++) {
    for (const n of chart.notes) view.notes.push([n[0] + p * L, ...n.slice(1)]);
    for (const [b, q] of inLoop) { view.beats.push(b + p * L); view.pos.push(q); }
  }
  return view;
}

// First index of a sorted array (of numbers, or of rows by their first value) ≥ x.
function lowerBound(a, x, key = (v) => v) {
  let lo = 0, hi = a.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (key(a[mid]) < x) lo = mid + 1; else hi = mid; }
  return lo;
}

async function onReady(msg) {
  state.session = msg.session;
  state.chart = msg.chart;
  state.loop = msg.loop || null;
  const once = Boolean(msg.parts);  // a lesson's pass: the bars once, each player their part
  state.view = buildView(msg.chart, once ? null : state.loop);
  state.views = once
    ? Object.fromEntries(Object.entries(msg.parts).map(([n, c]) => [n, { ...buildView(c, null), chart: c }]))
    : null;
  state.passes = [];
  state.keymap = msg.keymap;
  state.judgments = [];
  state.results = null;
  state.hidden = state.players.map(() => new Set());
  state.speed = state.wantSpeed;
  const buffer = await audioBuffer(state.song, state.speed);
  const ctx = state.ctx;
  const beats = state.chart.beats;
  const ibi = beats[1] - beats[0];
  const perBar = state.chart.beats_per_bar;
  // Count-in: one bar of clicks leading to the first note's downbeat.
  const firstNote = state.loop ? state.loop.start : state.chart.notes[0][0];
  let k0 = beats.findIndex((b, i) => state.chart.beat_positions[i] === 1 && b >= firstNote - 1e-3);
  if (k0 < 0) k0 = 0;
  const countTimes = Array.from({ length: perBar }, (_, j) => beats[k0] - (perBar - j) * ibi);
  // A take starts from the top of the song; a loop from the bar before it.
  const songStart = (state.loop ? countTimes[0] : Math.min(0, countTimes[0])) - 0.3;
  state.c0 = ctx.currentTime + 0.15 - songStart / state.speed;
  const src = ctx.createBufferSource();
  src.buffer = buffer;
  state.songGain = ctx.createGain();
  state.songGain.gain.value = Number($("volume").value);
  src.connect(state.songGain).connect(ctx.destination);
  state.metronome = $("metronome").checked;
  state.nextClick = 0;
  state.clicks = 0;
  if (state.loop && !once) {  // Web Audio loops the buffer seamlessly, sample-accurate
    src.loop = true;
    src.loopStart = state.loop.start / state.speed;
    src.loopEnd = state.loop.end / state.speed;
  }
  const from = Math.max(0, songStart);
  src.start(state.c0 + from / state.speed, from / state.speed);  // song time `from`
  state.source = src;
  countTimes.forEach((t, j) => click(state.c0 + t / state.speed, j === 0));
  state.countTimes = countTimes;
  state.end = once ? state.loop.end + 0.2
    : state.loop ? Infinity : Math.max(buffer.duration * state.speed, state.chart.notes.at(-1)[0] + 1.0);
  src.onended = () => { if (state.playing) finish(); };
  buildHighways();
  showScreen("game");
  $("songtitle").textContent = state.songs.find((s) => s.id === state.song)?.title || "";
  $("chartheard").textContent = state.chart.heard || "";  // the server's words
  $("loopinfo").textContent = once ? "lesson" : state.loop ? `looping bars ${state.loop.first}–${state.loop.last}` : "";
  $("coach").hidden = !once;
  $("lessonend").hidden = true;
  state.playing = true;
  state.paused = false;
  state.tick = setInterval(() => {
    if (!state.paused) send({ type: "tick", t: songNow() });
    if (songNow() > state.end + 0.5) finish();
  }, 50);
  requestAnimationFrame(draw);
}

function onMessage(msg) {
  if (msg.type === "ping") {  // answered at once: the round trip times this page's clock
    send({ type: "pong", id: msg.id, c: performance.now() });
  } else if (msg.type === "tap") {
    onTap(msg);
  } else if (msg.type === "heard") {
    if (state.calib && state.calib.player === msg.player && state.listening !== null) {
      state.calib.taps.push(msg.t + state.listenBase);
    } else if (state.kitcal && state.kitcal.player === msg.player) {
      state.kitcal.count += 1;
      state.kitcal.at = performance.now();
      message($(`pcal${state.kitcal.index}`), `${msg.player}: heard ${state.kitcal.count} of ${KIT_STROKES}`);
    } else if (msg.pad) {
      flash(msg.player, msg.pad);
    }
  } else if (msg.type === "kit") {
    onKit(msg);
  } else if (msg.type === "phones") {
    onPhones(msg.phones);
  } else if (msg.type === "ready") {
    onReady(msg).catch((e) => { message($("playmsg"), e.message, true); $("play").disabled = false; });
  } else if (msg.type === "judged") {
    const rx = performance.now();
    for (const j of msg.items) { j.rx = rx; showJudgment(j); }
    for (const [name, s] of Object.entries(msg.stats)) showStats(name, s);
  } else if (msg.type === "lesson") {
    onLesson(msg).catch((e) => { message($("playmsg"), e.message, true); $("learn").disabled = false; });
  } else if (msg.type === "coached") {
    onCoached(msg);
  } else if (msg.type === "pass") {
    state.passes.push(msg);
    const acc = Object.entries(msg.summary).map(([name, s]) => `${name} ${(100 * s.accuracy).toFixed(0)} %`);
    $("loopinfo").textContent = `looping bars ${state.loop.first}–${state.loop.last} · pass ${msg.pass + 1}: ${acc.join(" · ")}`;
  } else if (msg.type === "results") {
    state.results = msg;
    showResults(msg);
  } else if (msg.type === "error") {
    state.errors.push(msg.message);
    if (state.kitcal && state.kitcal.waiting) {  // the kit was not learnt: say why there
      message($(`pcal${state.kitcal.index}`), msg.message, true);
      state.kitcal = null;
      return;
    }
    console.warn("onebeat:", msg.message);
    if (!state.playing) {
      message($("playmsg"), msg.message, true);
      $("play").disabled = false; $("learn").disabled = false;
      if (state.learning) { state.learning = false; showScreen("setup"); }
    }
  }
}

function finish() {
  if (!state.playing) return;
  stopPlaying();
  send({ type: "finish" });
}

function stopPlaying(why) {
  state.playing = false;
  clearInterval(state.tick);
  try { state.source?.stop(); } catch (e) { /* already stopped */ }
  if (why) message($("playmsg"), why, true);
}

// ---------------------------------------------------------------- inputs
// A microphone: its samples go to the server in blocks (onebeat.web.protocol's binary
// frame), each placed in song time by the audio-context frame of its first sample; the
// server hears the strokes and judges them. The browser's own echo cancellation, noise
// suppression and gain control are off: they smear a drum's attack.
async function openMics() {
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

function sendAudio(player, t, sr, samples) {
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

function onKey(e) {
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
}

// A phone's tap, its time already put on this page's clock by the server.
function onTap(msg) {
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
function onPhones(phones) {
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

function keyOwner(key) {
  if (!state.keymap) return null;
  for (const [player, keys] of Object.entries(state.keymap.players)) {
    if (key in keys) return [player, keys[key]];
  }
  return null;
}

// Web MIDI: the same function takes a device's messages and a test's scripted ones.
function midiMessage(player, data, timeStamp) {
  const bytes = Array.from(data).slice(0, 3);
  const noteOn = (bytes[0] & 0xf0) === 0x90 && bytes[2] > 0;
  if (state.calib && state.calib.player === player) {
    if (noteOn) state.calib.taps.push(heardAt(timeStamp));
    return;
  }
  if (!state.playing || state.paused) return;
  send({ type: "midi", player, data: bytes, t: songAtPerf(timeStamp) });
  if (noteOn) flash(player, null);
}

function wireMidi() {
  if (!state.midiAccess) return;
  for (const input of state.midiAccess.inputs.values()) input.onmidimessage = null;
  for (const p of state.players) {
    if (p.input !== "midi" || !p.midi) continue;
    const input = state.midiAccess.inputs.get(p.midi);
    if (input) input.onmidimessage = (e) => midiMessage(p.name, e.data, e.timeStamp);
  }
}

function togglePause() {
  if (!state.playing) return;
  state.paused = !state.paused;
  if (state.paused) state.ctx.suspend(); else state.ctx.resume();
  $("pause").textContent = state.paused ? "Resume" : "Pause";
}

// ---------------------------------------------------------------- the highway
function buildHighways() {
  const box = $("lanes");
  const height = Math.max(360, window.innerHeight - (state.views ? 290 : 170));
  state.highways = state.players.map((p, i) => {
    const view = state.views?.[p.name] || { ...state.view, chart: state.chart };
    const chart = view.chart;
    const pieces = new Set(chart.notes.map((n) => n[2]));
    const lanes = chart.any_pad ? [["any", "any pad", LANES.find(([p]) => p === "hihat_closed")[2]]] : LANES.filter(([piece]) => pieces.has(piece));
    const laneW = Math.max(state.players.length === 2 ? 58 : 72, Math.ceil(240 / lanes.length));
    const div = document.createElement("div");
    div.className = `highway ${PLAYER_CLASS[i]}`;
    div.innerHTML = `<div class="who"><span>${escapeHtml(p.name)}</span><span class="score">0</span></div>`;
    const canvas = document.createElement("canvas");
    canvas.width = lanes.length * laneW; canvas.height = height;
    const judg = document.createElement("div");
    judg.className = "judg";
    div.append(canvas, judg);
    return { player: p.name, div, canvas, judg, lanes, laneW, view, anyPad: chart.any_pad, flashes: new Map(), stats: null };
  });
  box.replaceChildren(...state.highways.map((h) => h.div));
}

function escapeHtml(s) {
  return s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
}

function laneOf(h, piece) {
  if (h.anyPad) return 0;
  const i = h.lanes.findIndex(([p]) => p === piece);
  if (i >= 0) return i;
  if (piece === "hihat_open" || piece === "hihat_closed") {
    return h.lanes.findIndex(([p]) => p === "hihat_closed" || p === "hihat_open");
  }
  return -1;
}

function flash(player, piece) {
  const h = state.highways.find((x) => x.player === player);
  if (!h) return;
  const lane = piece ? laneOf(h, piece) : -1;
  h.flashes.set(lane, performance.now());
}

// The metronome: clicks on the song's own beats (accent on the downbeat), scheduled a
// little ahead on the audio clock so they land exactly whatever the frame rate.
function scheduleClicks(now) {
  if (!state.metronome || state.paused) return;
  const { beats, pos } = state.view;
  if (state.nextClick === 0) state.nextClick = lowerBound(beats, now);
  while (state.nextClick < beats.length && beats[state.nextClick] < now + 0.3 * state.speed) {
    const t = beats[state.nextClick];
    if (t > now) { click(state.c0 + t / state.speed, pos[state.nextClick] === 1); state.clicks += 1; }
    state.nextClick += 1;
  }
}

function draw() {
  if (!state.playing) return;
  const now = songNow();
  scheduleClicks(now);
  const L = state.loop ? state.loop.end - state.loop.start : 0;
  $("clock").textContent = fmtTime(state.loop && now > state.loop.start ? state.loop.start + ((now - state.loop.start) % L) : now);
  const step = state.countTimes[1] - state.countTimes[0] || 0.5;
  const inCount = state.countTimes.findIndex((t) => now >= t && now < t + step);
  $("countin").textContent = inCount >= 0 ? String(inCount + 1) : "";
  state.highways.forEach((h, pi) => {
    const { beats, pos, notes } = h.view;
    const firstBeat = lowerBound(beats, now - 1.0);
    const firstNote = lowerBound(notes, now - 0.4, (n) => n[0]);
    const g = h.canvas.getContext("2d");
    const W = h.canvas.width, H = h.canvas.height, hitY = H * 0.85;
    const pxPerS = hitY / (LOOKAHEAD_S * state.speed);  // the same scroll in real time
    const y = (t) => hitY - (t - now) * pxPerS;
    g.clearRect(0, 0, W, H);
    h.lanes.forEach(([, label, colour], i) => {
      g.fillStyle = i % 2 ? "#12151c" : "#0f1218";
      g.fillRect(i * h.laneW, 0, h.laneW, H);
      const f = h.flashes.get(i) ?? h.flashes.get(-1);
      if (f && performance.now() - f < 120) {
        g.fillStyle = colour + "55";
        g.fillRect(i * h.laneW, hitY - 14, h.laneW, 28);
      }
    });
    for (let k = firstBeat; k < beats.length; k++) {
      const by = y(beats[k]);
      if (by < -5) break;
      if (by > H) continue;
      g.fillStyle = pos[k] === 1 ? "#556" : "#2a2f3b";
      g.fillRect(0, by, W, pos[k] === 1 ? 2 : 1);
    }
    g.fillStyle = "#dde";
    g.fillRect(0, hitY - 1, W, 3);
    const hidden = state.hidden[pi];
    for (let i = firstNote; i < notes.length; i++) {
      const [t, , piece, , dyn] = notes[i];
      if (t > now + LOOKAHEAD_S * state.speed + 0.1) break;
      if (hidden.has(i)) continue;
      const lane = laneOf(h, piece);
      if (lane < 0) continue;
      const colour = h.anyPad ? LANES[1][2] : h.lanes[lane][2];
      const ny = y(t);
      g.fillStyle = colour;
      const isKick = piece === "kick" && !h.anyPad;
      const w = h.laneW - 10;
      g.globalAlpha = dyn === "ghost" ? 0.5 : 1;
      g.fillRect(lane * h.laneW + 5, ny - (isKick ? 4 : 7), w, isKick ? 8 : 14);
      g.globalAlpha = 1;
    }
    g.fillStyle = "#0d0f14";
    g.fillRect(0, H - 24, W, 24);
    g.font = "12px system-ui";
    g.textAlign = "center";
    h.lanes.forEach(([, label], i) => {
      g.fillStyle = "#8a93a6";
      g.fillText(label, (i + 0.5) * h.laneW, H - 8);
    });
  });
  requestAnimationFrame(draw);
}

function showJudgment(j) {
  state.judgments.push(j);
  const pi = state.players.findIndex((p) => p.name === j.player);
  const h = state.highways[pi];
  if (!h) return;
  if (j.grade && j.grade !== "miss" && j.note != null) state.hidden[pi].add((j.pass || 0) * h.view.n + j.note);
  let cls, text, sub = "";
  if (j.grade) {
    cls = j.grade; text = j.grade.toUpperCase();
    const ms = j.offset_ms == null ? null : Math.round(j.offset_ms);
    if (ms != null) sub = `${ms > 0 ? "+" : ""}${ms} ms ${ms > 0 ? "late" : ms < 0 ? "early" : ""}`;
  } else if (j.outcome === "wrong_pad" || j.outcome === "extra") {
    cls = j.outcome; text = j.outcome === "extra" ? "EXTRA" : "WRONG PAD";
  } else {
    return;  // flams, double triggers and the like are not worth a flash
  }
  h.judg.className = `judg ${cls}`;
  h.judg.innerHTML = `${text}<small>${sub}</small>`;
  h.judg.dataset.t = String(performance.now());
}

function showStats(name, s) {
  const h = state.highways.find((x) => x.player === name);
  if (!h) return;
  h.stats = s;
  h.div.querySelector(".score").textContent =
    `${s.score.toLocaleString()} · streak ${s.streak} · ${(100 * s.accuracy).toFixed(0)} %`;
}

function showResults(msg) {
  const cards = Object.entries(msg.summary).map(([name, s], i) => {
    const div = document.createElement("div");
    div.className = `card ${PLAYER_CLASS[i] || ""}`;
    const lean = leanText(s.mean_offset_ms);
    const hit = s.perfect + s.great + s.good;
    const ms = (x) => (Math.abs(x) < 0.05 ? "0.0" : `${x > 0 ? "+" : ""}${x.toFixed(1)}`);  // never "-0.0"
    div.innerHTML = `<h3>${escapeHtml(name)}</h3><div class="acc">${(100 * s.accuracy).toFixed(1)} %</div>
      <table>
      <tr><td>Perfect</td><td>${s.perfect}</td></tr><tr><td>Great</td><td>${s.great}</td></tr>
      <tr><td>Good</td><td>${s.good}</td></tr><tr><td>Miss</td><td>${s.miss}</td></tr>
      <tr><td>Extra / wrong pad</td><td>${s.extra} / ${s.wrong_pad}</td></tr>
      <tr><td>Timing</td><td>${hit ? `${ms(s.mean_offset_ms)} ms, ${lean}` : "– (no notes hit)"}</td></tr>
      <tr><td>Spread</td><td>${hit > 1 ? `± ${s.sd_offset_ms.toFixed(1)} ms` : "–"}</td></tr>
      <tr><td>Best streak</td><td>${s.best_streak}</td></tr>
      <tr><td>Score</td><td>${s.score.toLocaleString()}</td></tr></table>`;
    return div;
  });
  $("summary").replaceChildren(...cards);
  const passes = msg.passes || [];
  $("passes").hidden = !state.loop;
  if (state.loop) {
    const names = state.players.map((p) => p.name);
    $("passes").innerHTML = `<caption>Bars ${state.loop.first}–${state.loop.last}, ` +
      `${passes.length} pass${passes.length === 1 ? "" : "es"} played through` +
      `${passes.length ? "; the cards show the last" : ""}</caption>` +
      `<tr><th>pass</th>${names.map((n) => `<th>${escapeHtml(n)}</th>`).join("")}</tr>` +
      passes.map((ps) => `<tr><td>${ps.pass + 1}</td>${names.map((n) => {
        const x = ps.summary[n];
        return `<td>${(100 * x.accuracy).toFixed(1)} % · ${x.mean_offset_ms > 0 ? "+" : ""}${x.mean_offset_ms.toFixed(0)} ± ${x.sd_offset_ms.toFixed(0)} ms</td>`;
      }).join("")}</tr>`).join("");
  }
  $("savedmsg").textContent = msg.session
    ? `Saved as session ${msg.session.slice(0, 8)} (onebeat export ${msg.session.slice(0, 8)} --audio jam.ogg --video jam.mp4).`
    : "No pass was played to its end; what was played is saved as interrupted.";
  $("insight").replaceChildren();
  showScreen("results");
  if (msg.session) showInsight(msg.session);
}

// What the take says, from the server's insight report: each player's tips, timing by
// drum and the bars to work on; for a pair, how together they were and who followed
// whom; the summary card to share, and the full report.
async function showInsight(session) {
  const box = $("insight");
  box.innerHTML = `<p class="hint">Looking at the take…</p>`;
  let r;
  try {
    const res = await fetch(`/api/sessions/${session}/report`);
    if (!res.ok) throw new Error((await res.json()).detail || res.statusText);
    r = await res.json();
  } catch (err) {
    box.innerHTML = `<p class="msg err">No report for this take: ${escapeHtml(String(err.message || err))}</p>`;
    return;
  }
  state.report = r;
  const ms = (x) => (x === null ? "–" : `${x > 0 ? "+" : ""}${x.toFixed(0)}`);
  const parts = [];
  if (r.pair) {
    const p = r.pair;
    const tone = p.together >= 0.7 ? "good" : p.together >= 0.4 ? "fair" : "poor";
    parts.push(`<div class="ins pair"><h3>Together <b class="${tone}">${(100 * p.together).toFixed(0)} %</b></h3>
      <ul>${p.sentences.map((t) => `<li>${escapeHtml(t)}</li>`).join("")}</ul></div>`);
  }
  r.takes.forEach((t, i) => {
    const bests = r.new_bests[t.player] || [];
    const pieces = t.pieces.map((x) => `<tr><td>${escapeHtml(x.piece.replace("_", " "))}</td>
      <td>${(100 * x.hit_rate).toFixed(0)} %</td><td>${ms(x.offsets.mean_ms)} ms</td>
      <td>± ${x.offsets.sd_ms === null ? "–" : x.offsets.sd_ms.toFixed(0)} ms</td></tr>`).join("");
    parts.push(`<div class="ins ${PLAYER_CLASS[i] || ""}"><h3>${escapeHtml(t.player)}</h3>
      ${bests.length ? `<p class="best">New personal best: ${escapeHtml(bests.join(", "))}!</p>` : ""}
      <ul class="tips">${t.tips.map((x) => `<li>${escapeHtml(x)}</li>`).join("")}</ul>
      <table><tr><th>drum</th><th>hit</th><th>timing</th><th>spread</th></tr>${pieces}</table></div>`);
  });
  box.innerHTML = `<div class="insights">${parts.join("")}</div>
    <img id="card" class="sharecard" alt="summary card" src="/api/sessions/${session}/card.png">
    <p><a href="/api/sessions/${session}/card.png" download="onebeat-${session.slice(0, 8)}.png">Download the card</a>
    · <a href="/api/sessions/${session}/report.html" target="_blank">Full report</a></p>`;
}

function showScreen(name) {
  for (const s of ["setup", "game", "results", "pads"]) $(s).hidden = s !== name;
  $("play").disabled = false;
  $("learn").disabled = !state.song;
}

// ---------------------------------------------------------------- wiring
async function init() {
  renderLevels();
  renderPlayers();
  $("addplayer").onclick = () => {
    if (state.players.length === 1) state.players.push({ name: "player 2", input: "keyboard", midi: "", kit: "gm", experienced: false });
    else state.players.pop();
    renderPlayers();
  };
  $("play").onclick = () => { wireMidi(); start(); };
  $("learn").onclick = () => { wireMidi(); startLesson(false); };
  $("learnagain").onclick = () => { wireMidi(); startLesson(false); };
  $("learnback").onclick = () => { state.learning = false; showScreen("setup"); };
  $("again").onclick = () => { wireMidi(); start(); };
  $("back").onclick = () => showScreen("setup");
  $("pause").onclick = togglePause;
  $("volume").oninput = () => { if (state.songGain) state.songGain.gain.value = Number($("volume").value); };
  $("speed").onchange = () => {  // start preparing the slower song while the player gets ready
    const speed = Number($("speed").value);
    if (speed < 1 && state.song) {
      state.ctx = state.ctx || new AudioContext({ latencyHint: "interactive" });
      audioBuffer(state.song, speed).catch((e) => message($("playmsg"), e.message, true));
    }
  };
  $("stop").onclick = () => (state.learning ? stopLesson() : finish());
  $("loopsection").onchange = () => {
    const v = $("loopsection").value;
    if (!v) return;
    const [a, b] = v.split("-");
    $("loopfrom").value = a; $("loopto").value = b; $("loopon").checked = true;
  };
  $("upload").onchange = async (e) => {
    const file = e.target.files[0];
    if (!file) return;
    const form = new FormData();
    form.append("file", file);
    message($("libmsg"), `uploading ${file.name}…`);
    try {
      const s = await api("/api/songs/upload", { method: "POST", body: form });
      state.song = s.id;
      message($("libmsg"), `${s.title}: analysing…`);
    } catch (err) { message($("libmsg"), err.message, true); }
    refreshSongs();
  };
  $("addpath").onsubmit = async (e) => {
    e.preventDefault();
    try {
      const s = await api("/api/songs/path", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ path: $("path").value }),
      });
      state.song = s.id;
      message($("libmsg"), `${s.title}: analysing…`);
    } catch (err) { message($("libmsg"), err.message, true); }
    refreshSongs();
  };
  window.addEventListener("keydown", onKey);
  if (navigator.requestMIDIAccess) {
    navigator.requestMIDIAccess().then((access) => {
      state.midiAccess = access;
      access.onstatechange = () => renderPlayers();
      renderPlayers();
    }, () => { /* no Web MIDI permission: keyboard only */ });
  }
  if (location.hash === "#join") {  // a phone or tablet, joined from the QR code
    const { startPads } = await import("./pads.js");
    startPads();
    return;
  }
  const info = await api("/api/info").catch(() => ({ local: true }));
  state.lan = Boolean(info.lan);
  document.querySelectorAll(".local-only").forEach((el) => { el.hidden = !info.local; });
  if (info.join) {
    $("join").hidden = false;
    $("qr").innerHTML = await (await fetch("/api/join.svg")).text();
    $("joinurl").textContent = info.join;
  }
  if (state.lan) ensureConnected().catch((e) => message($("playmsg"), e.message, true));
  const hash = new URLSearchParams(location.hash.slice(1));
  const wanted = hash.get("song") || hash.get("learn");
  if (wanted) state.song = wanted;
  if (hash.get("learn")) {  // onebeat learn SONG: the lesson is one press away (audio needs a gesture)
    $("learn").classList.add("big");
    message($("playmsg"), "Press Learn to start the lesson on this song.");
  }
  await refreshSongs();
}

// For tests and the curious: the page's state and its input entry points.
window.onebeat = {
  state, songNow, songAtPerf, perfAtSong, perfAtHeard, heardAt, midiMessage, start, calibrate, startLesson,
};
init();
