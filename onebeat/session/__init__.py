"""Sessions: record a take as it is played, save it (SQLite), export it, replay it.

A session is its chart, the judge's settings, its players and every raw hit; replaying
it gives back its judgments and stats exactly (see ../shared/DESIGN.md).
"""

from onebeat.session.export import (
    read_session_json,
    session_to_midi,
    write_session_json,
    write_session_midi,
)
from onebeat.session.model import (
    INPUT_KINDS,
    LessonRef,
    PlayerInfo,
    RecordedHit,
    Session,
    SongRef,
)
from onebeat.session.record import Recorder, Replay, replay, same_judgments
from onebeat.session.store import MIGRATIONS, SessionInfo, SessionStore, TakeInfo, data_dir

__all__ = [
    "INPUT_KINDS",
    "MIGRATIONS",
    "LessonRef",
    "PlayerInfo",
    "RecordedHit",
    "Recorder",
    "Replay",
    "Session",
    "SessionInfo",
    "SessionStore",
    "SongRef",
    "TakeInfo",
    "data_dir",
    "read_session_json",
    "replay",
    "same_judgments",
    "session_to_midi",
    "write_session_json",
    "write_session_midi",
]
