"""A live onebeat server on a free port, and headless Chromium to drive its page."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import uvicorn

from onebeat.web import AppConfig, Library, create_app
from tests.web.browser import have_chromium, open_chromium


@dataclass
class Server:
    url: str
    config: AppConfig
    library: Library
    demo_id: str


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("webdata")
    port = _free_port()
    config = AppConfig(data_dir=data, port=port)
    library = Library(data)
    demo = library.songs()[0]
    library.wait(demo.id, timeout=600)
    app = create_app(config, library)
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started, "the server did not start"
    yield Server(f"http://127.0.0.1:{port}", config, library, demo.id)
    srv.should_exit = True
    thread.join(timeout=10)
    library.close()


@pytest.fixture
def browser() -> Iterator[Any]:
    if not have_chromium():
        pytest.skip(
            "needs Debian's chromium and chromium-driver (apt-get install chromium "
            "chromium-driver; scripts/check.sh installs them when run as root)"
        )
    driver = open_chromium()
    try:
        yield driver
    finally:
        driver.quit()
