"""Saved sessions: the list, and a finished take's report (figures, card, HTML page)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from onebeat.insight.render import card_png, report_html
from onebeat.session import SessionStore
from onebeat.web.context import Ctx

__all__ = ["router"]

router = APIRouter(prefix="/api/sessions")


@router.get("")
def sessions(ctx: Ctx) -> list[dict[str, Any]]:
    with SessionStore(ctx.db_path) as store:
        return [
            {
                "id": i.id,
                "created": i.created,
                "title": i.title,
                "players": i.players,
                "finished": i.finished,
                "summary": i.summary,
            }
            for i in store.list(20)
        ]


@router.get("/{session_id}/report")
def session_report(session_id: str, ctx: Ctx) -> dict[str, Any]:
    """What insight says about a take (the results screen shows it)."""
    return ctx.report(session_id).to_dict()


@router.get("/{session_id}/card.png")
def session_card(session_id: str, ctx: Ctx) -> Response:
    return Response(card_png(ctx.report(session_id)), media_type="image/png")


@router.get("/{session_id}/report.html")
def session_report_html(session_id: str, ctx: Ctx) -> Response:
    page = report_html(ctx.report(session_id))
    return Response(page, media_type="text/html; charset=utf-8")
