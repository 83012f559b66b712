// A phone or tablet as touch pads for one player, joined from the QR code on the host's
// screen (the address carries the join code). Each tap is stamped by the touch event's own
// time on this device's clock; the server, which pings this page to know that clock,
// puts the tap on the host page's clock, where it is judged like any other hit.

import { $, LANES } from "./kit.js";
import { LATE_OUTPUT_S, loadHitSounds, outputLatency, playHit } from "./sounds.js";

// The pads, in rows of three as on a kit seen from the throne; the kick spans a row.
const PADS = ["hihat_closed", "crash", "ride", "snare", "tom_high", "tom_floor", "kick"];

const pads = {
  ws: null, name: "", stats: null,
  // this phone's sound: its audio context (made on Join, a user gesture), whether the
  // pads play the kit's sounds, and the hit sounds started ({piece, when})
  ctx: null, sounds: false, played: [],
  // Tests set {mean_ms}: each message waits an exponential random delay either way, as
  // Wi-Fi does, before it is read and before it is sent.
  netsim: null,
};

function delayed(fn) {
  const ns = pads.netsim;
  if (!ns) { fn(); return; }
  setTimeout(fn, -Math.log(1 - Math.random()) * ns.mean_ms);
}

function send(msg) {
  delayed(() => { if (pads.ws?.readyState === WebSocket.OPEN) pads.ws.send(JSON.stringify(msg)); });
}

function status(text, err = false) {
  $("padstatus").textContent = text;
  $("padstatus").classList.toggle("err", err);
}

function onMessage(msg) {
  if (msg.type === "ping") {
    send({ type: "pong", id: msg.id, c: performance.now() });
  } else if (msg.type === "welcome") {
    status("joined; synchronising the clock…");
  } else if (msg.type === "synced") {
    // its own line, so that it never hides what the status says (a take's result)
    $("padclock").textContent = `clock synchronised (worst case ± ${msg.error_ms.toFixed(1)} ms; best round trip ${msg.rtt_ms.toFixed(0)} ms)`;
    if ($("padstatus").textContent.startsWith("joined")) status("ready: the host starts the song");
  } else if (msg.type === "take") {
    status(`playing ${msg.title}`);
  } else if (msg.type === "judged") {
    const j = msg.items.at(-1);
    const el = $("padjudg");
    const what = j.grade || j.outcome;
    if (what) {
      el.className = `judg padjudg ${what}`;
      const off = j.offset_ms == null ? "" : `${j.offset_ms > 0 ? "+" : ""}${j.offset_ms.toFixed(0)} ms`;
      el.innerHTML = `${what.replace("_", " ").toUpperCase()}<small>${off}</small>`;
    }
    if (msg.stats) {
      $("padstats").textContent = `streak ${msg.stats.streak} · ${(100 * msg.stats.accuracy).toFixed(0)} %`;
    }
  } else if (msg.type === "results") {
    const s = msg.summary;
    status(`take over: ${(100 * s.accuracy).toFixed(1)} %, timing ${s.mean_offset_ms > 0 ? "+" : ""}${s.mean_offset_ms.toFixed(0)} ms ± ${s.sd_offset_ms.toFixed(0)} ms`);
  } else if (msg.type === "coach") {  // a lesson: the coach's word to this player
    status(msg.message);
  } else if (msg.type === "error") {
    status(msg.message, true);
  }
}

function join(name) {
  pads.name = name;
  localStorage.setItem("onebeat.padname", name);
  const proto = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${proto}://${location.host}/ws/pad`);
  pads.ws = ws;
  ws.onopen = () => send({ type: "hello", name });
  ws.onmessage = (e) => { const msg = JSON.parse(e.data); delayed(() => onMessage(msg)); };
  ws.onclose = () => status("disconnected from onebeat: reload the page to join again", true);
  $("padjoin").hidden = true;
  $("padplay").hidden = false;
  $("padwho").textContent = name;
  status("joining…");
  startSounds();
}

// The pads' sounds, on this phone: on unless its audio output is late (then said, and
// the button turns them on anyway).
async function startSounds() {
  try {
    pads.ctx = new AudioContext({ latencyHint: "interactive" });
    await pads.ctx.resume();
    await loadHitSounds(pads.ctx, PADS);
  } catch (e) {
    $("padsound").hidden = true;
    return;
  }
  const late = outputLatency(pads.ctx) > LATE_OUTPUT_S;
  pads.sounds = !late;
  const button = $("padsound");
  const show = () => { button.textContent = pads.sounds ? "🔊 sounds on" : "🔇 sounds off"; };
  button.onclick = () => { pads.sounds = !pads.sounds; show(); };
  show();
  if (late) {
    $("padclock").textContent = `sounds off: this phone's audio adds ${Math.round(1000 * outputLatency(pads.ctx))} ms`;
  }
}

function buildPads() {
  const colours = new Map(LANES.map(([piece, label, colour]) => [piece, [label, colour]]));
  $("padgrid").replaceChildren(...PADS.map((piece) => {
    const [label, colour] = colours.get(piece);
    const b = document.createElement("button");
    b.type = "button";
    b.className = piece;
    b.dataset.pad = piece;
    b.textContent = label;
    b.style.setProperty("--pad", colour);
    b.addEventListener("pointerdown", (e) => {
      e.preventDefault();
      send({ type: "tap", pad: piece, v: 100, c: e.timeStamp });
      if (pads.sounds && pads.ctx) {
        const when = playHit(pads.ctx, piece);
        if (when !== null) pads.played.push({ piece, when });
      }
      b.classList.add("hit");
      setTimeout(() => b.classList.remove("hit"), 90);
    });
    return b;
  }));
}

export function startPads() {
  for (const s of ["setup", "game", "results", "pads"]) $(s).hidden = s !== "pads";
  buildPads();
  $("padname").value = localStorage.getItem("onebeat.padname") || "";
  $("padjoin").onsubmit = (e) => { e.preventDefault(); join($("padname").value.trim()); };
  window.onebeat = { pads, join };
}
