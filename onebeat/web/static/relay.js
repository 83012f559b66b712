// A duet over the internet (onebeat relay). This page joins a room on a relay by its code;
// the relay puts this page's clock on its own (it pings, the page answers at once with
// performance.now()), chooses the moment the take starts and tells it on this page's
// clock, and passes strokes on in song time. Each player hears their own copy of the song
// (matched by its audio id) and is judged by their own onebeat; the partner is this
// take's second player ("remote"): their strokes are judged here as they come, so the
// pair's statistics are those of two players side by side, on song time, whatever the
// network did. They are drawn on the partner's highway and heard: at once when the line
// between the two is short ("live"), else one bar late on purpose, on the song's next
// bar ("bar"), as NINJAM keeps a jam in time over long distances.

import { $ } from "./kit.js";
import { state, message, escapeHtml, newPlayer, lowerBound } from "./state.js";
import { playHit } from "./sounds.js";
import { flash } from "./highway.js";

export const remote = {
  ws: null,       // the socket to the relay
  room: null,     // the relay's last word on the room (code, host, players, song, mode)
  me: "",         // this page's player in the room
  mode: "measuring", latency: null,  // partners' mode and one-way latency [ms]
  song: null,     // the room's song ({song, level, title, audio})
  tried: null,    // the room's song this page last looked for in its library
  start: null,    // the take's start ({at_ms: on this page's clock, ...}) while it plays
  saved: null,    // the set-up's players, kept while a remote take plays
  // play.js: start a take, send to the local server, decode a song's audio ahead
  hooks: { start: null, send: null, prefetch: null },
};

const WORDS = {
  measuring: "measuring the line…",
  live: "live: you hear your partner as they play",
  bar: "one bar late: your partner is heard a bar after they played, in time with the song",
};

function relaySend(msg) {
  if (remote.ws && remote.ws.readyState === WebSocket.OPEN) remote.ws.send(JSON.stringify(msg));
}

export function partnerName() {
  return remote.room?.players.map((p) => p.name).find((n) => n !== remote.me) || null;
}

function render() {
  const r = remote.room;
  // the latency light, on the set-up screen and over the highway during a remote take
  for (const id of ["relaylight", "hudremote"]) {
    const light = $(id);
    light.className = `light ${remote.mode}`;
    light.textContent = r && (id === "relaylight" || remote.start)
      ? `${WORDS[remote.mode] || remote.mode}${remote.latency != null ? ` (${Math.round(remote.latency)} ms to your partner)` : ""}`
      : "";
  }
  if (!r) return;
  const who = r.players.map((p) => `${escapeHtml(p.name)}${p.name === r.host ? " (host)" : ""}` +
    `${p.synced ? "" : " · syncing"}${p.ready ? " · ready" : ""}`).join(", ");
  $("relaystatus").innerHTML = `Room <b id="relaycode">${escapeHtml(r.code)}</b>: ${who}` +
    (remote.song ? ` · song: ${escapeHtml(remote.song.title || remote.song.song)}, level ${remote.song.level}` : "");
  const host = r.host === remote.me;
  $("relaysong").hidden = !host;
  $("relaystart").hidden = !host;
  $("relaystart").disabled = !(r.players.length >= 2 && r.players.every((p) => p.synced && p.ready));
}

// Open a room (no code) or join one, as `name`, on the relay at `url`.
export function relayJoin(url, name, code = "") {
  if (remote.ws) remote.ws.close();
  remote.room = null; remote.song = null; remote.tried = null; remote.mode = "measuring"; remote.latency = null;
  localStorage.setItem("onebeat.relay", url);
  return new Promise((resolve, reject) => {
    let ws;
    // a joiner names the room in the address too: a load balancer in front of several
    // relay instances routes by the code's first letter, the instance that made it
    const where = code ? `${url}${url.includes("?") ? "&" : "?"}room=${encodeURIComponent(code.trim().toUpperCase())}` : url;
    try { ws = new WebSocket(where); } catch (e) { reject(new Error(`relay address: ${e.message}`)); return; }
    remote.ws = ws;
    ws.onopen = () => {
      remote.me = name;
      relaySend(code ? { type: "join", code: code.trim().toUpperCase(), name } : { type: "create", name });
      resolve(ws);
    };
    ws.onerror = () => reject(new Error(`cannot reach the relay at ${url}`));
    ws.onclose = () => { if (remote.ws === ws) { remote.room = null; message($("relaystatus"), "left the room (the relay closed the connection)", true); } };
    ws.onmessage = (e) => onRelay(JSON.parse(e.data));
  });
}

export function relayLeave() {
  relaySend({ type: "leave" });
  if (remote.ws) remote.ws.close();
  remote.ws = null; remote.room = null;
  message($("relaystatus"), "");
  $("relaylight").textContent = "";
}

// The host offers the chosen song and level to the room.
export function offerSong() {
  const s = state.songs.find((x) => x.id === state.song);
  if (!s) { message($("relaystatus"), "choose a song first", true); return; }
  relaySend({
    type: "song", song: s.id, level: state.level, title: (s.title || "").slice(0, 120),
    audio: s.audio_id || null,
  });
}

export function startTogether() {
  relaySend({ type: "start" });
}

// This page has the room's song (the same file: its audio id), or says which it needs.
export function readyForSong() {
  const want = remote.song;
  if (!want) return false;
  remote.tried = want.song;
  const say = $("relaysongmsg");
  // the same file, or the same recording with other tags (its audio stream's hash)
  const have = state.songs.find((s) => s.id === want.song) ||
    (want.audio && state.songs.find((s) => s.audio_id === want.audio));
  if (!have) {
    message(say, `the room plays "${want.title || want.song}": add the same song file here first (onebeat matches it by its audio), then press Ready`, true);
    $("relayready").hidden = false;
    return false;
  }
  if (have.status !== "ready") {
    message(say, `your copy of "${have.title}" is still being analysed: press Ready when it is done`, true);
    $("relayready").hidden = false;
    return false;
  }
  state.song = have.id;  // this page's own copy
  state.level = want.level;
  message(say, `ready: your copy of "${have.title}", level ${want.level}`);
  $("relayready").hidden = true;
  relaySend({ type: "ready", song: want.song });
  if (remote.hooks.prefetch) remote.hooks.prefetch(have.id);  // decoded before the start
  return true;
}

function onRelay(msg) {
  if (msg.type === "ping") {  // at once: the round trip times this page's clock
    relaySend({ type: "pong", id: msg.id, c: performance.now() });
  } else if (msg.type === "room") {
    remote.room = msg;
    remote.me = msg.you;
    if (msg.song) remote.song = msg.song;
    // joined after the host chose the song: look for it once, as on a "song" message
    if (remote.song && remote.tried !== remote.song.song) readyForSong();
    if (msg.mode?.mode) { remote.mode = msg.mode.mode; remote.latency = msg.mode.latency_ms; }
    render();
  } else if (msg.type === "mode") {
    remote.mode = msg.mode; remote.latency = msg.latency_ms;
    render();
  } else if (msg.type === "song") {
    remote.song = { song: msg.song, level: msg.level, title: msg.title, audio: msg.audio };
    readyForSong();
    render();
  } else if (msg.type === "start") {
    remote.start = msg;
    remote.mode = msg.mode; remote.latency = msg.latency_ms;
    render();
    const partner = partnerName();
    remote.saved = state.players;
    state.players = [state.players[0], { ...newPlayer(partner || "partner"), input: "remote" }];
    state.players[0] = { ...state.players[0], name: remote.me };
    if (remote.hooks.start) remote.hooks.start();
  } else if (msg.type === "hit") {
    onPartnerHit(msg);
  } else if (msg.type === "left" || msg.type === "done") {
    message($("relaystatus"), `${msg.player} ${msg.type === "left" ? "left the room" : "finished the take"}`);
  } else if (msg.type === "error") {
    message($("relaystatus"), msg.message, true);
  }
}

// A stroke of this page's player, named and calibrated by the local server: to the relay.
export function onPlayed(msg) {
  if (remote.start && msg.player === remote.me) relaySend({ type: "hit", t: msg.t, piece: msg.piece || "snare", v: msg.v });
}

// The song time one bar after t (the bar's length where t is).
export function barAfter(t) {
  const beats = state.chart?.beats || [];
  if (beats.length < 2) return t + 2;
  const i = Math.max(0, Math.min(beats.length - 2, lowerBound(beats, t) - 1));
  return t + state.chart.beats_per_bar * (beats[i + 1] - beats[i]);
}

function onPartnerHit(msg) {
  if (!remote.start || !state.playing || msg.player !== partnerName()) return;
  if (remote.hooks.send) remote.hooks.send({ type: "pad", player: msg.player, pad: msg.piece, v: msg.v, t: msg.t });
  flash(msg.player, msg.piece);
  if (!state.ctx || state.paused) return;
  // live: now (the line is short); bar: in time with the song's next bar
  const at = remote.mode === "bar" ? state.c0 + barAfter(msg.t) / state.speed : 0;
  playHit(state.ctx, msg.piece, msg.v, at);
  state.partnerHeard.push({ t: msg.t, at, mode: remote.mode });
  if (state.partnerHeard.length > 2000) state.partnerHeard.shift();
}

// The take is over: the set-up's players back, the relay told.
export function remoteTakeOver() {
  if (!remote.start) return;
  relaySend({ type: "done" });
  remote.start = null;
  $("hudremote").textContent = "";
  if (remote.saved) { state.players = remote.saved; remote.saved = null; }
}

export function wireRelay() {
  $("relayurl").value = localStorage.getItem("onebeat.relay") || "";
  const go = (code) => {
    const url = $("relayurl").value.trim();
    const name = ($("relayname").value.trim() || state.players[0].name).slice(0, 32);
    if (!/^wss?:\/\//.test(url)) { message($("relaystatus"), "the relay's address starts ws:// or wss://", true); return; }
    relayJoin(url, name, code).catch((e) => message($("relaystatus"), e.message, true));
  };
  $("relaycreate").onclick = () => go("");
  $("relayjoin").onclick = () => go($("relaycodein").value);
  $("relayleave").onclick = relayLeave;
  $("relaysong").onclick = offerSong;
  $("relaystart").onclick = startTogether;
  $("relayready").onclick = readyForSong;
}
