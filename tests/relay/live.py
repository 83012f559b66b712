"""A relay served inside the caller's event loop, on a free port."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from onebeat.relay import Hub, RelayConfig, create_relay

__all__ = ["free_port", "serve_relay"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def serve_relay(config: RelayConfig | None = None) -> AsyncIterator[tuple[int, Hub]]:
    """(port, hub) of a running relay; stopped on exit."""
    hub = Hub(config)
    port = free_port()
    app = create_relay(hub=hub)
    server = await app.serve("127.0.0.1", port)
    try:
        yield port, hub
    finally:
        server.close()
        await app.close()  # (3.11's wait_closed waits for the sockets to close)
        await server.wait_closed()
