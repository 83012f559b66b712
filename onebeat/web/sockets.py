"""The two sockets: ``/ws/play`` for the host's page (takes, lessons, the microphone's
set-up: the rooms of :mod:`onebeat.play`, which know nothing of sockets) and ``/ws/pad``
for a phone's touch pads. Every message comes through :meth:`Pacer.messages`."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect

from onebeat.errors import OnebeatError
from onebeat.play.lesson import LessonRoom
from onebeat.play.micsetup import MicSetup
from onebeat.play.protocol import (
    MESSAGE,
    PAD_MESSAGE,
    HelloMsg,
    KitMsg,
    LearnMsg,
    ListenMsg,
    MicAudio,
    PongMsg,
    StartMsg,
    SyncMsg,
)
from onebeat.play.room import PlayRoom
from onebeat.session import SessionStore
from onebeat.web.context import context
from onebeat.web.lobby import Link

__all__ = ["router"]

router = APIRouter()


@router.websocket("/ws/play")
async def play(ws: WebSocket) -> None:
    """The host's page: takes, lessons and the microphone's set-up."""
    ctx = context(ws)
    client = await ctx.gate.admit(ws)
    if client is None:
        return
    lib, lobby, pacer = ctx.library, ctx.lobby, ctx.pacer
    link = Link(ws)
    limits = pacer.limits_for(client)
    lobby.hosts.add(link)
    store = SessionStore(ctx.db_path)
    play_room, lesson_room = PlayRoom(lib, store), LessonRoom(lib, store)
    setup = MicSetup(lib)
    # a take, until the page asks for a lesson or sets a microphone up
    room: PlayRoom | LessonRoom | MicSetup = play_room
    try:
        async for msg in pacer.messages(ws, link, MESSAGE, limits):
            if isinstance(msg, SyncMsg):
                link.start_sync()
                await link.send(lobby.phones_msg())
                continue
            if isinstance(msg, PongMsg):
                link.pong(msg)
                continue
            if isinstance(msg, StartMsg | LearnMsg):
                room = lesson_room if isinstance(msg, LearnMsg) else play_room
            elif isinstance(msg, ListenMsg | KitMsg):
                room = setup
            elif (
                isinstance(msg, MicAudio)
                and isinstance(room, PlayRoom | LessonRoom)
                and room.inputs is not None
                and room.inputs.needs_prepare(msg)
            ):
                # a take's first frame from a microphone needs the song as played,
                # decoded at the microphone's rate: off the event loop, which the
                # other players' hits and the phones' clocks go through (the other
                # frames, tens a second, need no thread)
                await asyncio.to_thread(room.inputs.prepare, msg)
            try:
                replies = room.handle(msg)
            except OnebeatError as exc:  # (RoomError among them)
                await pacer.refuse(link, limits, str(exc))
                continue
            for r in replies:
                out = r.to_json()
                await link.send(out)
                await lobby.forward(out)
    except WebSocketDisconnect:
        pass
    finally:
        ctx.gate.release()
        lobby.hosts.discard(link)
        link.close()
        play_room.close()
        lesson_room.close()
        setup.close()
        store.close()


@router.websocket("/ws/pad")
async def pad(ws: WebSocket) -> None:
    """A phone or tablet playing touch pads for one player."""
    ctx = context(ws)
    client = await ctx.gate.admit(ws)
    if client is None:
        return
    lobby, pacer = ctx.lobby, ctx.pacer
    link = Link(ws)
    limits = pacer.limits_for(client)
    joined = False
    try:
        async for msg in pacer.messages(ws, link, PAD_MESSAGE, limits):
            if isinstance(msg, HelloMsg):
                if joined:
                    await pacer.refuse(link, limits, "hello: already joined")
                    continue
                link.name, joined = msg.name, True
                await lobby.join(link)
                link.start_sync()
                await link.send({"type": "welcome", "name": msg.name})
            elif not joined:
                await pacer.refuse(link, limits, "say hello (your name) first")
            elif isinstance(msg, PongMsg):
                was_ready = link.clock.ready
                link.pong(msg)
                if link.clock.ready and (not was_ready or len(link.clock.samples) % 8 == 0):
                    await link.send({"type": "synced", **lobby.phone_info(link)})
                    if not was_ready:
                        await lobby.announce()
            else:
                try:
                    if await lobby.tap(link, msg) == 0:
                        await pacer.refuse(link, limits, "no onebeat screen is open to play on")
                except ValueError as exc:
                    await pacer.refuse(link, limits, str(exc))
    except WebSocketDisconnect:
        pass
    finally:
        ctx.gate.release()
        if joined:
            await lobby.leave(link)
        link.close()
