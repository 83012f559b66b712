"""A live onebeat server on a free port, and headless Chromium to drive its page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.web.browser import Server, have_chromium, live_server, open_chromium

__all__ = ["Server", "browser", "server"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with live_server(tmp_path_factory.mktemp("webdata")) as srv:
        yield srv


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
