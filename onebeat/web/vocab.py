"""The vocabulary the page speaks, gathered from where each word is defined (the kit's
lanes and names, the levels, the e-kits, the keyboard's default map, the words for early
and late) and served as ``GET /api/vocab``: the page and the phone pads copy none."""

from __future__ import annotations

import functools
from typing import Any

from onebeat.analysis.meter import BAR_ONE_UNSURE
from onebeat.chart import LEVEL_HINTS, LEVEL_NAMES
from onebeat.inputs import KIT_MAPS
from onebeat.inputs.keyboard import DEFAULT_HALVES
from onebeat.kit import HIT_KIT_WORDS, LANES, ON_TIME_MS, DrumPiece, lean, lean_word, piece_name

__all__ = ["vocabulary"]


@functools.cache
def vocabulary() -> dict[str, Any]:
    """Everything the page names, as JSON-ready data.

    Returns
    -------
    dict
        ``lanes`` ([piece, label, colour] left to right), ``pieces`` (piece → a
        drummer's name), ``levels`` (level → [name, what it asks]), ``kits`` ([name,
        title] of each e-kit's map), ``keys`` (the default keyboard map's halves: key →
        piece), ``on_time_ms`` (a mean offset within this reads "on time"), ``lean``
        (the words for a mean offset below and above it), ``bar_one_unsure_below`` (a
        song's meter confidence under which the page says it is not sure of bar 1),
        ``hit_kits`` (each kit a player's hits can sound as → its words, the default
        first).
    """
    return {
        "lanes": [[lane.piece.value, lane.label, lane.colour] for lane in LANES],
        "pieces": {p.value: piece_name(p) for p in DrumPiece},
        "levels": {str(n): [LEVEL_NAMES[n], LEVEL_HINTS[n]] for n in sorted(LEVEL_NAMES)},
        "kits": [[k.name, k.title] for k in KIT_MAPS.values()],
        "keys": {
            half: {k: p.value for k, p in keys.items()} for half, keys in DEFAULT_HALVES.items()
        },
        "on_time_ms": ON_TIME_MS,
        "lean": {
            "early": f"{lean(-2 * ON_TIME_MS)} ({lean_word(-1.0)})",
            "late": f"{lean(2 * ON_TIME_MS)} ({lean_word(1.0)})",
            "on_time": lean(0.0),
        },
        "bar_one_unsure_below": BAR_ONE_UNSURE,
        "hit_kits": {k.value: words for k, words in HIT_KIT_WORDS.items()},
    }
