"""A terminal for tests and captures: what is written goes through pyte, a VT100
emulator, and the screen is read back as a user would see it."""

from __future__ import annotations

import io

import pyte

__all__ = ["Screen"]


class Screen(io.StringIO):
    def __init__(self, columns: int = 110, lines: int = 40) -> None:
        super().__init__()
        self.screen = pyte.Screen(columns, lines)
        self.stream = pyte.Stream(self.screen)

    def isatty(self) -> bool:
        return True

    def write(self, s: str) -> int:
        self.stream.feed(s)
        return len(s)

    @property
    def text(self) -> list[str]:
        """The screen's lines, without their trailing blanks."""
        return [line.rstrip() for line in self.screen.display]
