// What the page and the phone pads share: the server's vocabulary (GET /api/vocab: the
// kit's lanes, a drummer's names for the pieces, the levels, the e-kits, the keyboard's
// default map, the words for early and late; each defined once, in Python) and a DOM
// shortcut. Nothing here is a copy: a test fails if one appears.

export const $ = (id) => document.getElementById(id);

export const VOCAB = await fetch("/api/vocab").then((r) => {
  if (!r.ok) throw new Error(`/api/vocab: ${r.status} ${r.statusText}`);
  return r.json();
});

// Lanes left to right as a drummer sees the kit: [piece, label, colour].
export const LANES = VOCAB.lanes;

// "late (dragging)", "early (rushing)" or "on time" for a mean offset [ms].
export function leanText(meanMs) {
  const w = VOCAB.lean;
  return meanMs > VOCAB.on_time_ms ? w.late : meanMs < -VOCAB.on_time_ms ? w.early : w.on_time;
}
