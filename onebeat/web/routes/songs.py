"""The song library: list, add (a path on this machine, or an upload), bars and sections,
where bar 1 is (a player's fix, kept with the song), and the audio at a practice speed.
A :class:`~onebeat.library.LibraryError` becomes a one-line HTTP error in one place
(``create_app``'s handler)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from onebeat.play.protocol import SongDrums
from onebeat.web.context import Ctx, local_only

__all__ = ["router"]

router = APIRouter(prefix="/api/songs")


class PathIn(BaseModel):
    path: str = Field(min_length=1, max_length=4096)


class TitleIn(BaseModel):
    title: str = Field(min_length=1, max_length=200)


class BarShiftIn(BaseModel):
    #: beats to move bar 1 by: later when positive, earlier when negative
    beats: int = Field(ge=-11, le=11)


@router.get("")
def songs(ctx: Ctx) -> list[dict[str, Any]]:
    return [e.to_json() for e in ctx.library.songs()]


@router.get("/{song_id}")
def song(song_id: str, ctx: Ctx) -> dict[str, Any]:
    return ctx.library.get(song_id).to_json()


@router.post("/path", dependencies=[Depends(local_only)])
def add_path(body: PathIn, ctx: Ctx) -> dict[str, Any]:
    return ctx.library.add_path(Path(body.path)).to_json()


@router.post("/upload")
def upload(file: UploadFile, ctx: Ctx) -> dict[str, Any]:
    # (a body over the limit was refused by BodyLimit before any of it was stored)
    return ctx.library.add_upload(file.filename or "song", file.file).to_json()


@router.get("/{song_id}/bars")
def bars(song_id: str, ctx: Ctx) -> dict[str, Any]:
    """Bars and sections, for choosing a loop."""
    return ctx.library.bars(song_id)


@router.post("/{song_id}/title")
def title(song_id: str, body: TitleIn, ctx: Ctx) -> dict[str, Any]:
    """Rename a song (its title came from its tags, else its file name)."""
    return ctx.library.rename(song_id, body.title).to_json()


@router.post("/{song_id}/bar-one")
def bar_one(song_id: str, body: BarShiftIn, ctx: Ctx) -> dict[str, Any]:
    """ "Bar 1 is here": move the song's downbeats by whole beats; its charts follow."""
    return ctx.library.shift_bars(song_id, body.beats).to_json()


@router.get("/{song_id}/audio")
def audio(
    song_id: str,
    ctx: Ctx,
    speed: Annotated[float, Query(ge=0.5, le=1.0)] = 1.0,
    drums: SongDrums = "full",
) -> FileResponse:
    """The song's audio; at a practice speed below 1, time-stretched; with its drums
    turned down ("guide") or taken out ("off"). Made on the first request, in a worker
    thread, then cached."""
    return FileResponse(ctx.library.audio(song_id, round(speed, 2), drums))
