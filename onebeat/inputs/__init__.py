"""Inputs: where hits come from (e-kits over MIDI, the keyboard, a microphone, recorded takes).

Every input sits behind :class:`InputSource` and is opened by name with
:func:`open_input` (see ../shared/DESIGN.md); each turns its device's events into
:class:`~onebeat.engine.Hit` objects in song time.
"""

from typing import Any

from onebeat.errors import InputError
from onebeat.inputs.base import BACKENDS, Clock, InputSource, register
from onebeat.inputs.keyboard import KEYBOARD_VELOCITY, KeyboardInput, KeyMap
from onebeat.inputs.microphone import MicrophoneInput, MicStream
from onebeat.inputs.midi import KIT_MAPS, KitMap, MidiInput, MidiMapper, list_midi_inputs
from onebeat.inputs.takes import read_take

__all__ = [
    "BACKENDS",
    "KEYBOARD_VELOCITY",
    "KIT_MAPS",
    "Clock",
    "InputSource",
    "KeyMap",
    "KeyboardInput",
    "KitMap",
    "MicStream",
    "MicrophoneInput",
    "MidiInput",
    "MidiMapper",
    "list_midi_inputs",
    "open_input",
    "read_take",
    "register",
]


def open_input(backend: str, **kwargs: Any) -> InputSource:
    """Open an input by backend name (``"midi"``, ``"keyboard"``).

    Raises
    ------
    InputError
        For an unknown backend, or one whose device cannot be opened.
    """
    # (the backends registered themselves when this package imported them above)
    cls = BACKENDS.get(backend)
    if cls is None:
        raise InputError(f"input backend {backend!r} is unknown; known: {', '.join(BACKENDS)}")
    return cls(**kwargs)
