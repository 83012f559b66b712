"""The play-along web app: ``onebeat play`` (see :mod:`onebeat.web.app`)."""

from onebeat.web.app import AppConfig, create_app, lan_address
from onebeat.web.library import Library, LibraryError, SongEntry
from onebeat.web.room import PlayRoom, RoomError

__all__ = [
    "AppConfig",
    "Library",
    "LibraryError",
    "PlayRoom",
    "RoomError",
    "SongEntry",
    "create_app",
    "lan_address",
]
