"""Test clients of the app on a library, as this machine or as a phone on the network."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from onebeat.web import AppConfig, Library, create_app

__all__ = ["LOCAL", "PHONE", "client"]

LOCAL = ("127.0.0.1", 50000)
PHONE = ("192.168.1.23", 50000)


def client(
    library: Library, *, lan: bool = False, who: tuple[str, int] = LOCAL, **kw: Any
) -> TestClient:
    config = AppConfig(data_dir=library.root, lan=lan, lan_host="192.168.1.10", code="s3cret", **kw)
    host = "192.168.1.10:8765" if lan and who == PHONE else "localhost"
    return TestClient(create_app(config, library), base_url=f"http://{host}", client=who)
