// onebeat's play-along page. Plain ES modules, no build step, nothing from a CDN; this
// one wires the page's controls to the modules (state.js declares the page's state).
//
// The server applies each player's calibration and judges; the page shows what comes back.

import { $, VOCAB } from "./kit.js";
import { state, message, newPlayer } from "./state.js";
import { api, postJSON } from "./api.js";
import { heardAt, songAtPerf, songNow, perfAtHeard, perfAtSong } from "./clock.js";
import { refreshSongs, renderLevels, renderPlayers, calibrate } from "./setup.js";
import { ensureConnected, start, audioBuffer, finish, togglePause, showScreen } from "./play.js";
import { hitKit } from "./sounds.js";
import { startLesson, stopLesson, renderLessonSummary } from "./lesson.js";
import { onKey, midiMessage, wireMidi } from "./inputs.js";
import { remote, wireRelay } from "./relay.js";
import { send } from "./play.js";

async function init() {
  renderLevels();
  renderPlayers();
  // the kit a player's hits sound as, kept in the browser
  $("hitkit").replaceChildren(...Object.entries(VOCAB.hit_kits).map(([k, words]) => new Option(words, k)));
  $("hitkit").value = hitKit();
  $("hitkit").onchange = () => localStorage.setItem("onebeat.hitkit", $("hitkit").value);
  $("addplayer").onclick = () => {
    if (state.players.length === 1) state.players.push(newPlayer("player 2"));
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
  $("screendelay").value = localStorage.getItem("onebeat.screen_ms") || "0";
  $("screendelay").onchange = () => {
    const ms = Math.max(0, Math.min(300, Number($("screendelay").value) || 0));
    $("screendelay").value = String(ms);
    localStorage.setItem("onebeat.screen_ms", String(ms));
  };
  // start preparing a slower or drumless song while the player gets ready
  $("speed").onchange = $("songdrums").onchange = () => {
    const speed = Number($("speed").value), drums = $("songdrums").value;
    if ((speed < 1 || drums !== "full") && state.song) {
      state.ctx = state.ctx || new AudioContext({ latencyHint: "interactive" });
      audioBuffer(state.song, speed, drums).catch((e) => message($("playmsg"), e.message, true));
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
      const s = await postJSON("/api/songs/path", { path: $("path").value.trim() });
      state.song = s.id;
      $("path").value = "";
      message($("libmsg"), `${s.title}: analysing…`);
    } catch (err) { message($("libmsg"), err.message, true); }
    refreshSongs();
  };
  // a remote duet: the relay starts the take; the partner's strokes go to the local server
  remote.hooks.start = () => { wireMidi(); start(); };
  remote.hooks.send = send;
  remote.hooks.prefetch = (song) => {
    state.ctx = state.ctx || new AudioContext({ latencyHint: "interactive" });
    audioBuffer(song, 1, $("songdrums").value).catch((e) => message($("relaystatus"), e.message, true));
  };
  wireRelay();
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
  state, remote, songNow, songAtPerf, perfAtSong, perfAtHeard, heardAt, midiMessage, start, calibrate, startLesson,
  renderLessonSummary,
};
init();
