"""The one small base class every input sits behind, and opening inputs by name.

Modelled on mido's ports: an input is opened by backend name, hands out what arrived
since it was last asked (:meth:`InputSource.poll`), and is closed (also as a context
manager). Each input turns its own events (MIDI messages, key presses, touches, drum
sounds) into :class:`~onebeat.engine.Hit` objects in song time, using a clock given to
it by whoever plays the song, so the judge never reads a clock itself.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from types import TracebackType
from typing import ClassVar, Self

from onebeat.engine import Hit

__all__ = ["BACKENDS", "Clock", "InputSource", "register"]

#: Song time now [s]; given by the player of the song (the audio clock).
Clock = Callable[[], float]

#: Input backends by name: ``open_input("midi", ...)``.
BACKENDS: dict[str, type[InputSource]] = {}


def register(name: str) -> Callable[[type[InputSource]], type[InputSource]]:
    """Class decorator: make an input backend available to :func:`open_input`."""

    def deco(cls: type[InputSource]) -> type[InputSource]:
        BACKENDS[name] = cls
        return cls

    return deco


class InputSource:
    """A source of hits.

    Subclasses turn their device's events into hits and call :meth:`emit`; the
    consumer calls :meth:`poll` from its own loop. ``emit`` may be called from a device
    thread (python-rtmidi's callback): the queue is locked.

    Attributes
    ----------
    kind : str
        The input kind whose latency a calibration measures ("midi", "keyboard",
        "touch", "microphone", "file"): each kind keeps its own offset.
    """

    kind: ClassVar[str] = "file"

    def __init__(self) -> None:
        self._queue: deque[Hit] = deque()
        self._lock = threading.Lock()
        self.closed = False

    def emit(self, hit: Hit) -> None:
        """Queue a hit for the next :meth:`poll` (ignored once closed)."""
        if self.closed:
            return
        with self._lock:
            self._queue.append(hit)

    def poll(self) -> list[Hit]:
        """The hits that arrived since the last poll, in arrival order."""
        with self._lock:
            out = list(self._queue)
            self._queue.clear()
        return out

    def close(self) -> None:
        """Stop receiving; hits not yet polled stay available to one last poll."""
        self.closed = True

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
