"""What the routes and sockets share (one per app, on ``app.state.onebeat``), and the
dependencies that hand it to them."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from starlette.requests import HTTPConnection

from onebeat.errors import SessionError
from onebeat.insight.report import Report, build_report
from onebeat.library import Library
from onebeat.session import SessionStore
from onebeat.web.config import AppConfig
from onebeat.web.guard import Gate, is_loopback
from onebeat.web.limits import Pacer
from onebeat.web.lobby import Lobby

__all__ = ["Ctx", "WebContext", "context", "is_local", "local_only"]


@dataclass
class WebContext:
    """One app's library, session database, phones' lobby, door and allowances."""

    config: AppConfig
    library: Library
    lobby: Lobby = field(default_factory=Lobby)
    gate: Gate = field(init=False)
    pacer: Pacer = field(init=False)

    def __post_init__(self) -> None:
        self.gate = Gate(self.config)
        self.pacer = Pacer(self.config)
        # a finished session's report is made once (the bootstrap takes a moment)
        self._reports = functools.lru_cache(maxsize=16)(self._build_report)

    @property
    def db_path(self) -> Path:
        return self.config.data_dir / "sessions.sqlite3"

    @property
    def join_url(self) -> str:
        """The address a phone joins by (the QR code's)."""
        return self.config.join_url

    def _build_report(self, ref: str) -> Report:
        with SessionStore(self.db_path) as store:
            session = store.load(ref)
            if not session.finished:
                raise SessionError(f"session {session.id[:8]} is still being played")
            return build_report(session, store=store)

    def report(self, session_id: str) -> Report:
        """A finished session's report; HTTP 404 for anything else."""
        if not re.fullmatch(r"[0-9a-f]{32}", session_id):
            raise HTTPException(404, f"session {session_id[:40]!r}: not a session id")
        try:
            return self._reports(session_id)
        except SessionError as exc:
            raise HTTPException(404, str(exc)) from None


def context(conn: HTTPConnection) -> WebContext:
    """The app's :class:`WebContext` (a dependency, for requests and sockets alike)."""
    ctx: WebContext = conn.app.state.onebeat
    return ctx


Ctx = Annotated[WebContext, Depends(context)]


def is_local(request: Request) -> bool:
    """The request comes from this machine (the host's screen)."""
    return is_loopback(request.client.host if request.client else None)


def local_only(request: Request) -> None:
    """A dependency: only the host machine may do this."""
    if not is_local(request):
        raise HTTPException(403, "only the host machine may do this")
