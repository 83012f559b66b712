"""How the web app runs: its address, its join code and each connection's allowances."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

from onebeat.library import MAX_UPLOAD_BYTES

__all__ = ["AppConfig"]


@dataclass
class AppConfig:
    """How the app runs.

    Attributes
    ----------
    data_dir : Path
        The library and the session database live here.
    lan : bool
        Accept players from the local network (with the join code).
    code : str
        The join code (random per run).
    lan_host : str
        This machine's address on the local network (for the join link).
    port : int
    backend : str
        Beat tracker for new songs.
    rate_per_s, burst : float
        WebSocket messages allowed per second per connection, and the burst above it.
    audio_per_s, audio_burst : float
        Microphone samples allowed per second per connection (two microphones at 192 kHz
        in real time, with room to catch up), and the burst above it (45 s at 44.1 kHz).
    max_upload_bytes : int
        The largest song file a page may upload [bytes].
    work_per_s, work_burst : float
        Messages that start costly work (a take, a lesson, a microphone set-up: a session
        saved, a chart made, audio decoded) allowed per second per connection, and the
        burst above it: a page starts a take or two a minute.
    replies_per_s : float
        Error replies per second per connection (a flood of bad messages gets a few
        answers, not one each).
    max_sockets : int
        WebSockets open at once (pages and phones); one over is refused.
    """

    data_dir: Path
    lan: bool = False
    code: str = field(default_factory=lambda: secrets.token_urlsafe(9))
    lan_host: str = ""
    port: int = 8765
    backend: str = "madmom"
    rate_per_s: float = 400.0
    burst: float = 800.0
    audio_per_s: float = 400_000.0
    audio_burst: float = 2_000_000.0
    max_upload_bytes: int = MAX_UPLOAD_BYTES
    work_per_s: float = 1.0
    work_burst: float = 6.0
    replies_per_s: float = 10.0
    max_sockets: int = 32

    @property
    def join_url(self) -> str:
        """The address a phone joins by (printed, and the page's QR code): with ``#join``,
        so that it opens the phone's pads, not the desktop page."""
        return f"http://{self.lan_host}:{self.port}/?code={self.code}#join"
