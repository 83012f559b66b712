// What the page and the phone pads share: the drum pieces as lanes, and a DOM shortcut.

export const $ = (id) => document.getElementById(id);

// Lanes left to right as a drummer sees the kit: [piece, label, colour].
export const LANES = [
  ["hihat_pedal", "HH foot", "#8c7a5b"], ["hihat_closed", "hi-hat", "#f2d14b"],
  ["hihat_open", "open HH", "#f5a623"], ["snare", "snare", "#ff5a5a"],
  ["kick", "kick", "#ff9b3d"], ["tom_high", "tom 1", "#3fc1ff"], ["tom_mid", "tom 2", "#3f8cff"],
  ["tom_floor", "floor", "#7a5bff"], ["ride", "ride", "#5be3c9"], ["crash", "crash", "#e3e35b"],
];
