"""Test clients of the app on a library, as this machine or as a phone on the network."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from fastapi.testclient import TestClient

from onebeat.audio.drumsynth import drum_sound
from onebeat.kit import DrumPiece
from onebeat.library import Library
from onebeat.web import AppConfig, create_app

__all__ = ["LOCAL", "PHONE", "client", "faded_snare", "pair"]

LOCAL = ("127.0.0.1", 50000)
PHONE = ("192.168.1.23", 50000)


def client(
    library: Library, *, lan: bool = False, who: tuple[str, int] = LOCAL, **kw: Any
) -> TestClient:
    config = AppConfig(data_dir=library.root, lan=lan, lan_host="192.168.1.10", code="s3cret", **kw)
    host = "192.168.1.10:8765" if lan and who == PHONE else "localhost"
    return TestClient(create_app(config, library), base_url=f"http://{host}", client=who)


@contextmanager
def pair(library: Library) -> Iterator[tuple[TestClient, TestClient]]:
    """Two clients of one app started with ``--lan``: the host's screen on this machine,
    and a phone on the network, on one event loop as a server has them (each test
    client's own loop would make the host's handler send to the phone's socket across
    loops, which fails now and then)."""
    config = AppConfig(data_dir=library.root, lan=True, lan_host="192.168.1.10", code="s3cret")
    app = create_app(config, library)
    phone = TestClient(app, base_url="http://192.168.1.10:8765", client=PHONE)
    with TestClient(app, base_url="http://localhost", client=LOCAL) as host:
        phone.portal = host.portal
        try:
            yield host, phone
        finally:
            phone.portal = None


def faded_snare(sr: int) -> np.ndarray:
    """onebeat's synthesised snare, faded out to its end (its cut-off end would be heard
    as a second stroke): what the microphone tests play."""
    s = drum_sound(DrumPiece.SNARE, sr)
    return np.asarray(s * np.linspace(1, 0, len(s)), dtype=np.float32)
