// The note highway: lanes per player, notes scrolling to the hit line, judgments and
// the running score, the click scheduled ahead.

import { $, LANES, VOCAB } from "./kit.js";
import { PLAYER_CLASS, LOOKAHEAD_S, state, escapeHtml, fmtTime, lowerBound } from "./state.js";
import { songNow } from "./clock.js";
import { click } from "./play.js";

export function buildHighways() {
  const box = $("lanes");
  // the whole highway on screen, its hit line and key letters too: from where the lanes
  // start (under the heading, which wraps on a phone) to the bottom of the window
  const top = box.getBoundingClientRect().top;
  const height = Math.max(300, window.innerHeight - (top > 0 ? top + 44 : (state.views ? 290 : 170)));
  state.highways = state.players.map((p, i) => {
    const view = state.views?.[p.name] || { ...state.view, chart: state.chart };
    const chart = view.chart;
    const pieces = new Set(chart.notes.map((n) => n[2]));
    const lanes = chart.any_pad ? [["any", "any pad", LANES.find(([p]) => p === "hihat_closed")[2]]] : LANES.filter(([piece]) => pieces.has(piece));
    if (p.lefty) lanes.reverse();  // a left-handed kit: the hi-hat on the right, colours kept
    // as wide as the screen allows (a pair side by side), a lane at most 110 px
    const room = Math.min(state.players.length === 2 ? 400 : 560, (window.innerWidth - 48) / state.players.length);
    // (and no narrower than 200 px in all, or the judgment would not fit)
    const laneW = Math.max(Math.ceil(200 / lanes.length), 40, Math.min(110, Math.floor(room / lanes.length)));
    const div = document.createElement("div");
    div.className = `highway ${PLAYER_CLASS[i]}`;
    div.innerHTML = `<div class="who"><span>${escapeHtml(p.name)}${p.input === "remote" ? " <small>(remote)</small>" : ""}</span>` +
      `<span class="mult" data-x="1" title="multiplier: ×2 after 10 notes in a row, up to ×4; a miss starts it over">×1</span>` +
      `<span class="score">0</span></div>`;
    const canvas = document.createElement("canvas");
    canvas.width = lanes.length * laneW; canvas.height = height;
    const judg = document.createElement("div");
    judg.className = "judg";
    div.append(canvas, judg);
    return {
      player: p.name, div, canvas, judg, lanes, laneW, view, anyPad: chart.any_pad, flashes: new Map(), stats: null,
      keys: lanes.map(([piece]) => keysFor(p.name, piece)),
    };
  });
  box.replaceChildren(...state.highways.map((h) => h.div));
}

// The keyboard keys a player hits a lane's piece with ("" for other inputs), to print
// under the lane: from the map the server sent with the take.
export function keysFor(player, piece) {
  const keys = state.keymap?.players?.[player];
  if (!keys) return "";
  return Object.entries(keys).filter(([, p]) => p === piece || (piece === "any" && p === "snare"))
    .map(([k]) => k.toUpperCase()).join(" ");
}

// Cymbals (hi-hats, ride, crash) are drawn as cymbal gems, drums as pads, the kick as a
// bar across every lane: the shapes drum games use.
const CYMBALS = new Set(["hihat_closed", "hihat_open", "hihat_pedal", "ride", "crash"]);

export function laneOf(h, piece) {
  if (h.anyPad) return 0;
  const i = h.lanes.findIndex(([p]) => p === piece);
  if (i >= 0) return i;
  if (piece === "hihat_open" || piece === "hihat_closed") {
    return h.lanes.findIndex(([p]) => p === "hihat_closed" || p === "hihat_open");
  }
  return -1;
}

export function flash(player, piece) {
  const h = state.highways.find((x) => x.player === player);
  if (!h) return;
  const lane = piece ? laneOf(h, piece) : -1;
  h.flashes.set(lane, performance.now());
}

// The metronome: clicks on the song's own beats (accent on the downbeat), scheduled a
// little ahead on the audio clock so they land exactly whatever the frame rate.
export function scheduleClicks(now) {
  if (!state.metronome || state.paused) return;
  const { beats, pos } = state.view;
  if (state.nextClick === 0) state.nextClick = lowerBound(beats, now);
  while (state.nextClick < beats.length && beats[state.nextClick] < now + 0.3 * state.speed) {
    const t = beats[state.nextClick];
    if (t > now) { click(state.c0 + t / state.speed, pos[state.nextClick] === 1); state.clicks += 1; }
    state.nextClick += 1;
  }
}

// The screen's own delay [ms], set on the setup screen (kept in this browser).
export function screenDelayMs() {
  return Number(localStorage.getItem("onebeat.screen_ms") || 0);
}

// The strip under the lanes: each lane's name and its keys.
const LABEL_H = 38;

export function draw() {
  if (!state.playing) return;
  const heard = songNow();
  scheduleClicks(heard);
  // a screen that shows frames late (a TV, a projector): the notes drawn that much ahead,
  // so that they reach the line as they are heard; sound and judging are not moved
  const now = heard + (screenDelayMs() / 1000) * state.speed;
  state.drawn = now;
  const L = state.loop ? state.loop.end - state.loop.start : 0;
  $("clock").textContent = fmtTime(state.loop && now > state.loop.start ? state.loop.start + ((now - state.loop.start) % L) : now);
  $("songprog").value = state.loop ? ((now - state.loop.start) % L) / L || 0 : Math.max(0, Math.min(1, now / state.end));
  const step = state.countTimes[1] - state.countTimes[0] || 0.5;
  const inCount = state.countTimes.findIndex((t) => now >= t && now < t + step);
  if (!state.resuming) $("countin").textContent = inCount >= 0 ? String(inCount + 1) : "";
  state.highways.forEach((h, pi) => {
    const { beats, pos, notes } = h.view;
    const firstBeat = lowerBound(beats, now - 1.0);
    const firstNote = lowerBound(notes, now - 0.4, (n) => n[0]);
    const g = h.canvas.getContext("2d");
    const W = h.canvas.width, H = h.canvas.height, hitY = H - LABEL_H - 56;  // room under it for the judgment
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
    // two passes: the kicks' bars first, under the hands' notes
    const upTo = lowerBound(notes, now + LOOKAHEAD_S * state.speed + 0.1, (n) => n[0]);
    const order = [];
    for (let i = firstNote; i < upTo; i++) if (notes[i][2] === "kick") order.push(i);
    for (let i = firstNote; i < upTo; i++) if (notes[i][2] !== "kick") order.push(i);
    for (const i of order) {
      const [t, , piece, , dyn] = notes[i];
      if (hidden.has(i)) continue;
      const lane = laneOf(h, piece);
      if (lane < 0) continue;
      const colour = h.anyPad ? LANES[1][2] : h.lanes[lane][2];
      const ny = y(t);
      g.fillStyle = colour;
      g.globalAlpha = dyn === "ghost" ? 0.5 : 1;
      if (piece === "kick" && !h.anyPad) {  // across the kit, under the hands' notes
        g.fillRect(2, ny - 3, W - 4, 6);
      } else if (CYMBALS.has(piece) && !h.anyPad) {
        const cx = (lane + 0.5) * h.laneW, rx = h.laneW / 2 - 6;
        g.beginPath();
        g.moveTo(cx - rx, ny); g.lineTo(cx, ny - 8); g.lineTo(cx + rx, ny); g.lineTo(cx, ny + 8);
        g.closePath(); g.fill();
        if (piece === "hihat_open") {  // open: a ring in the middle
          g.strokeStyle = "#0d0f14"; g.lineWidth = 2;
          g.beginPath(); g.arc(cx, ny, 4, 0, 2 * Math.PI); g.stroke();
        }
      } else {
        g.fillRect(lane * h.laneW + 5, ny - 7, h.laneW - 10, 14);
      }
      g.globalAlpha = 1;
    }
    g.fillStyle = "#0d0f14";
    g.fillRect(0, H - LABEL_H, W, LABEL_H);
    g.textAlign = "center";
    h.lanes.forEach(([, label, colour], i) => {
      g.font = "12px system-ui";
      g.fillStyle = "#8a93a6";
      g.fillText(label, (i + 0.5) * h.laneW, H - LABEL_H + 14);
      if (h.keys[i]) {  // the keys that play it
        g.font = "bold 13px system-ui";
        g.fillStyle = colour;
        g.fillText(h.keys[i], (i + 0.5) * h.laneW, H - 6);
      }
    });
  });
  requestAnimationFrame(draw);
}

export function showJudgment(j) {
  state.judgments.push(j);
  const pi = state.players.findIndex((p) => p.name === j.player);
  const h = state.highways[pi];
  if (!h) return;
  if (j.grade && j.grade !== "miss" && j.note != null) state.hidden[pi].add((j.pass || 0) * h.view.n + j.note);
  let cls, text, sub = "";
  if (j.grade) {
    cls = j.grade; text = j.grade.toUpperCase();
    const ms = j.offset_ms == null ? null : Math.round(j.offset_ms);
    // "late" or "early" only where it is worth a word: not on a perfect, not within the
    // range a drummer calls on time
    const off = ms != null && j.grade !== "perfect" && Math.abs(ms) > VOCAB.on_time_ms;
    if (ms != null) sub = `${ms > 0 ? "+" : ""}${ms} ms${off ? (ms > 0 ? " late" : " early") : ""}`;
  } else if (j.outcome === "wrong_pad" || j.outcome === "extra") {
    cls = j.outcome; text = j.outcome === "extra" ? "EXTRA" : "WRONG PAD";
  } else {
    return;  // flams, double triggers and the like are not worth a flash
  }
  h.judg.className = `judg ${cls}`;
  h.judg.innerHTML = `${text} <small>${sub}</small>`;
  h.judg.dataset.t = String(performance.now());
  void h.judg.offsetWidth;  // restart the fade for this judgment
  h.judg.classList.add("fade");
}

export function showStats(name, s) {
  const h = state.highways.find((x) => x.player === name);
  if (!h) return;
  h.stats = s;
  h.div.querySelector(".score").textContent =
    `${(s.points ?? s.score).toLocaleString()} · streak ${s.streak} · ${(100 * s.accuracy).toFixed(0)} %`;
  // the multiplier: its badge pulses when it rises, greys out when a miss resets it
  const x = s.multiplier || 1, badge = h.div.querySelector(".mult");
  if (String(x) !== badge.dataset.x) {
    const rose = x > Number(badge.dataset.x);
    badge.dataset.x = String(x);
    badge.textContent = `×${x}`;
    badge.classList.remove("up");
    if (rose) { void badge.offsetWidth; badge.classList.add("up"); }
  }
}
