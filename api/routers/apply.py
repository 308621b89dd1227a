"""The pre-filled application a conversation hands off to, and QR codes.

GET /apply/{token}          the draft: applicant fields, material checklist, link to the portal
GET /apply/{token}/qr.svg   a QR code of that link (to continue on a phone)
GET /api/qr?text=…          a QR code of any short text (the kiosk's "continue on your phone")

A forged or garbled token gets 404 and an expired one 410, each as a page that says what happened
and what to do: never a stack trace.
"""

from __future__ import annotations

import io
import time
from datetime import datetime, timezone, timedelta
from typing import Annotated

import segno
from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, Response

from index.render import _safe_url

from ..deps import BaseUrlDep, DraftsDep
from ..drafts import DraftExpired, DraftNotFound
from ..pages import PRIVATE_HEADERS, render_page

router = APIRouter(tags=["apply"])
CHINA = timezone(timedelta(hours=8))
# No max_length here: a garbled link too long to be ours gets the 404 page below, not FastAPI's JSON 422.
TokenPath = Annotated[str, Path(min_length=1)]
MAX_TOKEN_CHARS = 512


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, CHINA).strftime("%Y-%m-%d %H:%M")


def _problem(status: int, title: str, message: str) -> HTMLResponse:
    return HTMLResponse(render_page("problem.html", title=title, message=message), status_code=status, headers=PRIVATE_HEADERS)


def svg_qr(text: str) -> Response:
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="svg", scale=6, border=2, title="二维码")
    return Response(buffer.getvalue(), media_type="image/svg+xml", headers={"Cache-Control": "no-store"})


@router.get("/apply/{token}", response_class=HTMLResponse)
def apply_page(token: TokenPath, drafts: DraftsDep) -> HTMLResponse:
    """The application form, pre-filled with what the conversation established."""
    try:
        if len(token) > MAX_TOKEN_CHARS:
            raise DraftNotFound("申请草稿链接无效")
        draft = drafts.open(token)
    except DraftExpired:
        return _problem(410, "申请表链接已过期", "为保护您的个人信息，预填的申请表只保留有限时间，过期后已删除。")
    except DraftNotFound:
        return _problem(404, "申请表链接无效", "这个链接不完整或已失效，请检查是否完整复制了链接。")
    html = render_page(
        "apply.html",
        draft=draft,
        # A field the conversation did not collect is an empty input, not an error.
        applicant={key: str(draft["applicant"].get(key) or "") for key in ("name", "mobile", "id_number")},
        checklist=draft["checklist"],
        region=(draft["region"] or "").removeprefix("广东省"),
        online_href=_safe_url(draft["online_url"]),
        expires=_when(draft["expires_at"]),
        created=_when(draft["created_at"]),
    )
    return HTMLResponse(html, headers=PRIVATE_HEADERS)


@router.get("/apply/{token}/qr.svg", response_class=Response)
def apply_qr(token: TokenPath, drafts: DraftsDep, base_url: BaseUrlDep) -> Response:
    try:
        if len(token) > MAX_TOKEN_CHARS:
            raise DraftNotFound("申请草稿链接无效")
        drafts.open(token)
    except (DraftExpired, DraftNotFound):
        return Response(status_code=404)
    return svg_qr(f"{base_url}/apply/{token}")


@router.get("/api/qr", response_class=Response)
def qr(text: Annotated[str, Query(min_length=1, max_length=500)]) -> Response:
    """An SVG QR code of ``text`` (a link, usually)."""
    return svg_qr(text)
