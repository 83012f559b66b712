"""Each connection's allowances: messages, audio samples and costly work per second,
error replies a few a second, drops logged once a second, and a connection that keeps
going over its rate closed."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from fastapi import WebSocket
from pydantic import TypeAdapter, ValidationError

from onebeat.play.protocol import (
    AUDIO_MAGIC,
    MAX_MESSAGE_BYTES,
    MESSAGE,
    KitMsg,
    LearnMsg,
    ListenMsg,
    StartMsg,
    parse_audio,
)
from onebeat.web.config import AppConfig
from onebeat.web.lobby import Link

__all__ = ["Bucket", "Drops", "Limits", "Pacer", "error_line"]

log = logging.getLogger("onebeat.web")


class Bucket:
    """A token bucket: ``rate`` messages (or samples) per second, ``burst`` at once."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self.tokens = burst
        self.last = time.monotonic()

    def take(self, n: float = 1.0) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens < n:
            return False
        self.tokens -= n
        return True


def error_line(errors: list[Any], default: str) -> str:
    """A validation error as one line: where (the field's path), then what."""
    err = errors[0] if errors else {"loc": (), "msg": "invalid"}
    where = ".".join(str(x) for x in err["loc"] if x != "body")[:120] or default
    return f"{where}: {str(err['msg'])[:200]}"


class Drops:
    """Messages dropped from one connection: the first logged with its reason, the rest
    counted and logged as one line a second at most (a flood must not become a flood of
    log lines)."""

    def __init__(self, client: str | None) -> None:
        self.client = client
        self.counts: dict[str, int] = {}
        self.since = time.monotonic()
        self.first = True

    def add(self, why: str, detail: str = "") -> None:
        if self.first:
            self.first = False
            log.warning("dropped a message from %s: %s", self.client, detail or why)
            self.since = time.monotonic()
            return
        self.counts[why] = self.counts.get(why, 0) + 1
        now = time.monotonic()
        if now - self.since >= 1.0:
            self.flush(now)

    def flush(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        if self.counts:
            said = ", ".join(f"{n} {why}" for why, n in self.counts.items())
            log.warning("%s: dropped in the last %.0f s: %s", self.client, now - self.since, said)
        self.counts, self.since = {}, now


@dataclass
class Limits:
    """One connection's drops (logged) and its allowance of error replies."""

    drops: Drops
    replies: Bucket


#: Messages that start costly work: billed to the connection's work allowance.
COSTLY = (StartMsg, LearnMsg, ListenMsg, KitMsg)
#: The least an audio frame costs, in samples (a 1-sample frame is still a frame).
MIN_FRAME_SAMPLES = 256
#: A connection that has had this many bursts' worth of messages dropped for its rate
#: (less what its rate gives back) is closed.
CLOSE_AFTER_BURSTS = 4


@dataclass
class Pacer:
    """The allowances of :class:`AppConfig`, applied to each socket's messages."""

    config: AppConfig

    async def messages(
        self, ws: WebSocket, link: Link, adapter: TypeAdapter[Any], limits: Limits
    ) -> AsyncIterator[Any]:
        """The socket's messages, each checked for size, rate, cost and schema. Every frame
        pays for itself before anything is done with it (text, audio or other bytes);
        audio pays per sample too, and a message that starts costly work (a take, a
        lesson, a microphone set-up) from a small allowance of its own. A bad message is
        dropped with a one-line error back (at most :attr:`AppConfig.replies_per_s` a
        second); drops are logged once a second; a connection that keeps sending over its
        rate is closed."""
        bucket = Bucket(self.config.rate_per_s, self.config.burst)
        audio = Bucket(self.config.audio_per_s, self.config.audio_burst)
        work = Bucket(self.config.work_per_s, self.config.work_burst)
        drops, client = limits.drops, limits.drops.client
        dropped_audio = 0
        # patience: each message dropped for the rate takes one; it comes back at the
        # message rate, so only a client sending at over twice its rate runs out
        patience = Bucket(self.config.rate_per_s, max(CLOSE_AFTER_BURSTS * self.config.burst, 1000))
        try:
            while True:
                event = await ws.receive()
                if event["type"] == "websocket.disconnect":
                    return
                if not bucket.take():
                    drops.add("over the message rate")
                    if not patience.take():
                        log.warning("%s: closed: it kept sending over its rate", client)
                        await ws.close(code=1008)
                        return
                    continue
                raw = event.get("text")
                why = None
                data = event.get("bytes")
                if (
                    raw is None
                    and data is not None
                    and data[:4] == AUDIO_MAGIC
                    and (adapter is MESSAGE)
                ):
                    try:
                        frame = parse_audio(data)
                    except ValueError as exc:
                        why = str(exc)
                    else:
                        if audio.take(max(len(frame.samples), MIN_FRAME_SAMPLES)):
                            yield frame
                            continue
                        dropped_audio += 1
                        if dropped_audio != 1 and dropped_audio % 100:
                            drops.add("audio frames over the sample rate")
                            continue
                        why = (  # said (and counted) by refuse, on the first and each 100th
                            f"audio frame: over {self.config.audio_per_s:.0f} samples a second; "
                            f"{dropped_audio} frames dropped"
                        )
                elif raw is None:
                    why = "messages are JSON text (or a microphone's b'OBA1' audio frames)"
                elif len(raw) > MAX_MESSAGE_BYTES:
                    why = f"message of {len(raw)} bytes (at most {MAX_MESSAGE_BYTES})"
                else:
                    try:
                        msg = adapter.validate_json(raw)
                    except ValidationError as exc:
                        why = error_line(exc.errors(), "message")
                    else:
                        if not isinstance(msg, COSTLY) or work.take():
                            yield msg
                            continue
                        why = (
                            f"{msg.type}: at most {self.config.work_burst:.0f} at once, then "
                            f"{self.config.work_per_s:g} a second"
                        )
                await self.refuse(link, limits, why)
        finally:
            drops.flush()

    def limits_for(self, client: str) -> Limits:
        return Limits(
            Drops(client), Bucket(self.config.replies_per_s, 2 * self.config.replies_per_s)
        )

    @staticmethod
    async def refuse(link: Link, limits: Limits, why: str) -> None:
        """Drop a message with a one-line error back (a few a second at most); the
        relay's sockets refuse through it too."""
        limits.drops.add("refused", why)
        if limits.replies.take():
            await link.send({"type": "error", "message": why})
