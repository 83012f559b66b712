"""The page, its files' vocabulary, what the page needs to know of the app, the join QR
code, the latency calibration and the kit's hit sounds."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from onebeat.engine import CalibrationError, calibrate
from onebeat.kit import DrumPiece, HitKit
from onebeat.web.context import Ctx, is_local, local_only
from onebeat.web.vocab import vocabulary

__all__ = ["STATIC", "router"]

STATIC = Path(__file__).resolve().parents[1] / "static"

router = APIRouter()

Seconds = Annotated[float, Field(allow_inf_nan=False, ge=-1e6, le=1e6)]


class CalibrationIn(BaseModel):
    """Taps and clicks on one clock [s] (the page's audio clock)."""

    taps: Annotated[list[Seconds], Field(max_length=256)]
    clicks: Annotated[list[Seconds], Field(min_length=2, max_length=256)]


@router.get("/")
def index() -> FileResponse:
    return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})


@router.get("/api/info")
def info(request: Request, ctx: Ctx) -> dict[str, Any]:
    local = is_local(request)
    return {
        "lan": ctx.config.lan,
        "join": ctx.join_url if ctx.config.lan and local else None,
        "local": local,
    }


@router.get("/api/join.svg", dependencies=[Depends(local_only)])
def join_qr(ctx: Ctx) -> Response:
    if not ctx.config.lan:
        raise HTTPException(404, "start onebeat play with --lan to let a phone join")
    import segno

    svg = segno.make(ctx.join_url, error="m").svg_inline(scale=6, border=2)
    return Response(svg, media_type="image/svg+xml")


#: The rate hit sounds are sent at (the page resamples them to its own).
HIT_SOUND_SR = 44100


@functools.cache
def _hit_sound_wav(piece: DrumPiece, kit: HitKit = HitKit.ACOUSTIC) -> bytes:
    import io
    from importlib import resources

    import soundfile as sf

    from onebeat.audio.drumsynth import drum_sound

    if kit is HitKit.ACOUSTIC:
        sample = resources.files("onebeat") / "data" / "hitkit" / f"{piece.value}.ogg"
        y, sr = sf.read(io.BytesIO(sample.read_bytes()), dtype="float32")
    else:
        y, sr = drum_sound(piece, HIT_SOUND_SR), HIT_SOUND_SR
    buf = io.BytesIO()
    sf.write(buf, y, sr, format="WAV", subtype="PCM_16")
    return buf.getvalue()


@router.get("/api/hit-sounds/{piece}.wav")
def hit_sound(piece: DrumPiece, kit: HitKit = HitKit.ACOUSTIC) -> Response:
    """A piece of the kit a player's hits sound as (a sampled acoustic kit, or onebeat's
    synthesised one), for the page and the phone pads to play as a player hits it."""
    return Response(
        _hit_sound_wav(piece, kit),
        media_type="audio/wav",
        headers={"Cache-Control": "public, max-age=86400"},
    )


@router.get("/api/vocab")
def vocab() -> dict[str, Any]:
    return vocabulary()


@router.post("/api/calibrate")
def calibration(body: CalibrationIn) -> dict[str, Any]:
    try:
        c = calibrate(taps=np.asarray(body.taps), clicks=np.asarray(body.clicks))
    except CalibrationError as exc:
        raise HTTPException(400, str(exc)) from None
    return {
        "offset_ms": round(c.offset_ms, 2),
        "spread_ms": round(c.spread_ms, 2),
        "used": c.used,
        "dropped": c.dropped,
    }
