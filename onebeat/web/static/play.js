// A take: the socket to the server, the song and its click, the take's messages, pause,
// and the results and insight screens after it.

import { $, leanText } from "./kit.js";
import { PLAYER_CLASS, state, message, escapeHtml } from "./state.js";
import { api } from "./api.js";
import { heardAt, songNow } from "./clock.js";
import { calibration, KIT_STROKES, onKit, playerSpec } from "./setup.js";
import { onLesson, onCoached } from "./lesson.js";
import { openMics, onTap, onPhones } from "./inputs.js";
import { buildHighways, flash, draw, showJudgment, showStats } from "./highway.js";
import { LATE_OUTPUT_S, loadHitSounds, outputLatency, playHit, soundsDefault } from "./sounds.js";
import { remote, onPlayed, remoteTakeOver } from "./relay.js";

export function send(msg) {
  if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify(msg));
}

export function connect() {
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

export async function ensureConnected() {
  if (!state.ws || state.ws.readyState !== WebSocket.OPEN) state.ws = await connect();
}

// Before a take or a lesson: the audio running, the server reached, microphones open.
export async function prepare() {
  state.ctx = state.ctx || new AudioContext({ latencyHint: "interactive" });
  await state.ctx.resume();
  await ensureConnected();
  await openMics();
  state.windows = $("windows").value;
}

export async function start() {
  message($("playmsg"), "");
  $("play").disabled = true;
  try {
    await prepare();
    const together = remote.start;  // a remote duet: the song as it is, from the top
    state.wantSpeed = together ? 1 : Number($("speed").value);
    state.wantDrums = $("songdrums").value;
    const preparing = preparingWords(state.wantSpeed, state.wantDrums);
    if (preparing) message($("playmsg"), preparing);
    await audioBuffer(state.song, state.wantSpeed, state.wantDrums);
    message($("playmsg"), "");
    const loop = !together && $("loopon").checked ? [Number($("loopfrom").value), Number($("loopto").value)] : null;
    send({
      type: "start", song: state.song, level: state.level, windows: state.windows, speed: state.wantSpeed, loop,
      drums: state.wantDrums,
      players: state.players.map(playerSpec),
      remote: together ? { latency_ms: Math.max(0, together.latency_ms || 0), mode: together.mode === "live" ? "live" : "bar" } : null,
    });
  } catch (e) {
    message($("playmsg"), e.message, true);
    $("play").disabled = false;
  }
}

// How the song's drums are played, in the "preparing the song …" line.
const DRUMS_WORDS = { full: "", guide: "with its drums as a quiet guide", off: "without its drums" };

// "preparing the song at 80 %, without its drums…" while a practice copy is made; "" for
// the song as it is.
export function preparingWords(speed, drums) {
  const how = [speed < 1 ? `at ${Math.round(speed * 100)} %` : "", DRUMS_WORDS[drums]].filter(Boolean);
  return how.length ? `preparing the song ${how.join(", ")}…` : "";
}

// The song's audio at a practice speed (time-stretched by the server, same pitch) and
// with its drums at a level: "full", "guide" or "off" (taken out by the server).
export async function audioBuffer(songId, speed, drums = "full") {
  const key = `${songId}@${speed}@${drums}`;
  if (!state.buffers.has(key)) {
    const r = await fetch(`/api/songs/${songId}/audio?speed=${speed}&drums=${drums}`);
    if (!r.ok) throw new Error(`the song's audio: ${r.status}`);
    state.buffers.set(key, await state.ctx.decodeAudioData(await r.arrayBuffer()));
  }
  return state.buffers.get(key);
}

export function click(at, accent) {
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
export const MAX_LOOP_S = 1800;

export function buildView(chart, loop) {
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

export async function onReady(msg) {
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
  state.drums = state.wantDrums || "full";
  const buffer = await audioBuffer(state.song, state.speed, state.drums);
  const ctx = state.ctx;
  await prepareHitSounds(ctx);
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
  let from = Math.max(0, songStart);
  if (remote.start && !once) {
    // a remote duet: song time 0 is heard at the relay's moment, on this page's clock; a
    // page that got ready late joins the song where it is by now
    state.c0 = heardAt(remote.start.at_ms);
    from = Math.max(from, (ctx.currentTime + 0.05 - state.c0) * state.speed);
  }
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
  src.start(state.c0 + from / state.speed, from / state.speed);  // song time `from`
  state.source = src;
  countTimes.forEach((t, j) => click(state.c0 + t / state.speed, j === 0));
  state.countTimes = countTimes;
  state.end = once ? state.loop.end + 0.2
    : state.loop ? Infinity : Math.max(buffer.duration * state.speed, state.chart.notes.at(-1)[0] + 1.0);
  src.onended = () => { if (state.playing) finish(); };
  showScreen("game");
  window.scrollTo(0, 0);  // the game from its top (the set-up may have been scrolled)
  $("songtitle").textContent = state.songs.find((s) => s.id === state.song)?.title || "";
  $("chartheard").textContent = state.chart.heard || "";  // the server's words
  $("loopinfo").textContent = once ? "lesson" : state.loop ? `looping bars ${state.loop.first}–${state.loop.last}` : "";
  $("coach").hidden = !once;
  $("lessonend").hidden = true;
  buildHighways();  // once the heading above is laid out: the highway fits under it
  state.playing = true;
  state.paused = false;
  $("pause").disabled = Boolean(remote.start);  // the partner plays on: no pause together
  $("pause").textContent = "Pause";
  state.frozen = null;
  state.resuming = false;
  $("paused").hidden = true;
  state.tick = setInterval(() => {
    if (!state.paused) send({ type: "tick", t: songNow() });
    // (a remote partner's last strokes are still on their way: the judge waits for them)
    if (songNow() > state.end + (remote.start ? 2.0 : 0.5)) finish();
  }, 50);
  requestAnimationFrame(draw);
}

// Who hears their hits in this take, and the kit's sounds for the pieces they play. A
// late audio output turns the default off (a hit would sound after it was played), and
// the page says so; a player who ticked the box hears them anyway.
async function prepareHitSounds(ctx) {
  const late = outputLatency(ctx) > LATE_OUTPUT_S;
  state.hitSounds = new Set(state.players  // (a phone plays its own pads' sounds)
    .filter((p) => p.input === "keyboard" && (p.sounds ?? (soundsDefault(p.input) && !late)))
    .map((p) => p.name));
  state.played = [];
  state.partnerHeard = [];
  const partner = state.players.some((p) => p.input === "remote");  // a remote partner is always heard
  const charts = state.views ? Object.values(state.views).map((v) => v.chart) : [state.chart];
  const pieces = charts.flatMap((c) => c.notes.map((n) => n[2]));  // (loaded once each)
  try {
    if (state.hitSounds.size || partner) await loadHitSounds(ctx, [...pieces, "snare"]);
  } catch (e) {
    state.hitSounds.clear();
    console.warn("onebeat: no hit sounds:", e.message);
  }
  const quiet = state.players.filter((p) => p.sounds == null && soundsDefault(p.input) && late);
  $("hudnote").textContent = quiet.length
    ? `hit sounds off: this audio output adds ${Math.round(1000 * outputLatency(ctx))} ms (tick "hear my hits" to have them anyway)`
    : "";
}

// A player's stroke, heard: the kit's sound for the piece, now.
export function hitSound(player, piece, velocity = 100) {
  if (!state.hitSounds.has(player) || !state.playing || state.paused) return;
  const when = playHit(state.ctx, piece || "snare", velocity);
  if (when !== null) {
    state.played.push({ player, piece, when, at: performance.now() });
    if (state.played.length > 500) state.played.shift();
  }
}

export function onMessage(msg) {
  if (msg.type === "ping") {  // answered at once: the round trip times this page's clock
    send({ type: "pong", id: msg.id, c: performance.now() });
  } else if (msg.type === "tap") {
    onTap(msg);
  } else if (msg.type === "played") {
    onPlayed(msg);
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
    remoteTakeOver();
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
      remoteTakeOver();  // a remote take that could not start here: the set-up back, the relay told
      message($("playmsg"), msg.message, true);
      $("play").disabled = false; $("learn").disabled = false;
      if (state.learning) { state.learning = false; showScreen("setup"); }
    }
  }
}

export function finish() {
  if (!state.playing) return;
  stopPlaying();
  send({ type: "finish" });
}

export function stopPlaying(why) {
  state.playing = false;
  $("pause").disabled = true;  // nothing to pause over a stopped highway
  clearInterval(state.tick);
  try { state.source?.stop(); } catch (e) { /* already stopped */ }
  if (why) message($("playmsg"), why, true);
}

// Pause freezes the song, the highway and the clock, and says so; Resume counts 3-2-1
// over the frozen highway (the player finds the beat again), then the song goes on from
// where it stopped.
export const RESUME_STEP_S = 0.6;

export function togglePause() {
  if (!state.playing || state.resuming) return;
  if (!state.paused) {
    state.frozen = songNow();
    state.paused = true;
    state.ctx.suspend();
    $("pause").textContent = "Resume";
    $("paused").hidden = false;
    return;
  }
  state.resuming = true;
  $("paused").hidden = true;
  let n = 3;
  const step = () => {
    if (!state.playing) { state.resuming = false; $("countin").textContent = ""; return; }
    if (n > 0) {
      $("countin").textContent = String(n);
      n -= 1;
      setTimeout(step, RESUME_STEP_S * 1000);
      return;
    }
    $("countin").textContent = "";
    state.resumedAt = performance.now();
    state.ctx.resume().then(() => {
      state.paused = false;
      state.resuming = false;
      $("pause").textContent = "Pause";
    });
  };
  step();
}

// The fewest notes hit for a take's timing to stand as a calibration (16 clicks for one).
export const FROM_TAKE_MIN_HITS = 16;

export function showResults(msg) {
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
      <tr><td>Score</td><td>${(s.points ?? s.score).toLocaleString()}</td></tr></table>`;
    const p = state.players.find((x) => x.name === name);
    if (p && hit >= FROM_TAKE_MIN_HITS && Math.abs(s.mean_offset_ms) >= 1) {
      // "calibrate from this take": the take already measured the lag of this player's
      // input, as a calibration would (a drummer who rushes calibrates their rushing away:
      // said on the button)
      const b = document.createElement("button");
      b.type = "button"; b.className = "fromtake";
      b.textContent = `Calibrate ${p.input} from this take (${ms(s.mean_offset_ms)} ms)`;
      b.title = "if you played as well as you could, the take's timing is your set-up's latency";
      b.onclick = () => {
        const now = calibration(p.input) + s.mean_offset_ms;
        localStorage.setItem(`onebeat.offset.${p.input}`, String(now));
        b.disabled = true;
        b.textContent = `${p.input} latency now ${now > 0 ? "+" : ""}${now.toFixed(1)} ms`;
      };
      div.append(b);
    }
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
export async function showInsight(session) {
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

export function showScreen(name) {
  for (const s of ["setup", "game", "results", "pads"]) $(s).hidden = s !== name;
  $("play").disabled = false;
  $("learn").disabled = !state.song;
}
