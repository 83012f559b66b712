// A lesson: the coach's passes, what it said, and the pause between passes.

import { $ } from "./kit.js";
import { PAUSE_MS, state, message, escapeHtml } from "./state.js";
import { playerSpec } from "./setup.js";
import { send, prepare, audioBuffer, onReady, finish, showScreen, preparingWords } from "./play.js";

// A lesson: the server's coach sets each pass (bars, speed, each player's part); the
// page counts in a bar, plays the bars once, and after the coach's word the next pass.
export async function startLesson(restart = false) {
  message($("playmsg"), "");
  $("learn").disabled = true;
  try {
    await prepare();
    state.learning = true;
    state.said = [];
    state.lessonLog = [];
    sendLearn(restart);
  } catch (e) {
    message($("playmsg"), e.message, true);
    $("learn").disabled = false;
  }
}

export function sendLearn(restart = false) {
  send({
    type: "learn", song: state.song, windows: state.windows, restart,
    // the song's drums as the coach decides, unless the player chose a guide or none
    drums: $("songdrums").value === "full" ? "coach" : $("songdrums").value,
    players: state.players.map(playerSpec),
  });
}

export async function onLesson(msg) {
  state.lesson = msg;
  state.wantSpeed = msg.speed;
  state.wantDrums = msg.drums;
  const parts = msg.players;
  const first = parts[state.players[0].name];
  const preparing = preparingWords(msg.speed, msg.drums);
  if (preparing) message($("coachsaid"), preparing);
  await audioBuffer(state.song, msg.speed, msg.drums);
  renderCoach();  // first: the highway is sized to fit under the coach's panel
  await onReady({
    session: first.session, chart: first.chart, loop: msg.loop, keymap: msg.keymap,
    parts: Object.fromEntries(Object.entries(parts).map(([n, p]) => [n, p.chart])),
  });
}

export function renderCoach() {
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
    `speed ${Math.round(msg.speed * 100)} % · the song's drums: ${DRUMS_SAID[msg.drums] || msg.drums}</small>`;
  $("coachsaid").innerHTML = (state.said || []).map((t) => `<span>${escapeHtml(t)}</span>`).join("");
}

// The song's drums in a pass, as the coach's line says it.
const DRUMS_SAID = { full: "all", guide: "a quiet guide", off: "out, you play them" };

export function onCoached(msg) {
  state.coached = (state.coached || []).concat([msg]);
  if (msg.stopped) { state.learning = false; showScreen("setup"); return; }
  for (const [n, p] of Object.entries(msg.players)) {  // the lesson so far, pass by pass
    const step = state.lesson?.players[n];
    state.lessonLog.push({ player: n, step: step?.title || "", speed: state.lesson?.speed || 1, accuracy: p.accuracy });
  }
  state.said = Object.entries(msg.players).map(([n, p]) =>
    `${state.players.length > 1 ? `${n}: ` : ""}${p.message} (${(100 * p.accuracy).toFixed(0)} %)`);
  if (msg.together) state.said.push(msg.together.message);
  renderCoach();
  if (msg.done) {
    state.learning = false;
    $("coachsaid").insertAdjacentHTML("beforeend",
      `<span class="done">Lesson done. Where you are is saved: the next lesson on this song starts there.</span>`);
    renderLessonSummary();
    $("lessonend").hidden = false;
    return;
  }
  state.nextPass = setTimeout(() => { if (state.learning) sendLearn(); }, PAUSE_MS);
}

// The lesson at its end: every pass, each player's step, speed and accuracy.
export function renderLessonSummary() {
  const log = state.lessonLog;
  const passes = state.players.length ? Math.ceil(log.length / state.players.length) : 0;
  const rows = log.map((r, k) => `<tr><td>${Math.floor(k / state.players.length) + 1}</td>` +
    `<td>${escapeHtml(r.player)}</td><td>${escapeHtml(r.step)}</td>` +
    `<td>${Math.round(100 * r.speed)} %</td><td>${(100 * r.accuracy).toFixed(0)} %</td></tr>`).join("");
  $("lessonsummary").innerHTML = `<caption>This lesson: ${passes} pass${passes === 1 ? "" : "es"}</caption>` +
    `<tr><th>pass</th><th>player</th><th>step</th><th>speed</th><th>accuracy</th></tr>${rows}`;
}

export function stopLesson() {
  state.learning = false;
  clearTimeout(state.nextPass);
  if (state.playing) finish(); else showScreen("setup");
}
