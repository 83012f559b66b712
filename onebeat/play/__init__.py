"""Playing: a take (:mod:`onebeat.play.room`), a lesson (:mod:`onebeat.play.lesson`), the
microphone's set-up (:mod:`onebeat.play.micsetup`) and the messages they read and write
(:mod:`onebeat.play.protocol`). They know nothing of sockets: the web app and the terminal
lesson are their front ends."""

from onebeat.play.lesson import LessonRoom
from onebeat.play.micsetup import MicSetup
from onebeat.play.room import PlayRoom, RoomError

__all__ = ["LessonRoom", "MicSetup", "PlayRoom", "RoomError"]
