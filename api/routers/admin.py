"""Oversight: what the assistant could not answer, what is asked most, how answers are rated,
and loading item standards. Every route needs ``Authorization: Bearer <admin token>``.

GET  /api/admin/overview   unanswered questions, top items, ratings, drafts, queue length
POST /api/admin/items      multipart ``file`` (JSON array, JSON Lines or one object) [+ ``partial``]

An upload is checked exactly as ``python -m index load`` checks a file: a batch with any problem
changes nothing (422, with file / record / 实施编码 / field for each problem) unless ``partial`` is
true, which loads the good records and reports the rest.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, UploadFile

from index.errors import Problem
from index.loader import decode_utf8, iter_accepted, read_text

from ..deps import RequireAdmin, SearcherDep, StoreDep

router = APIRouter(prefix="/api/admin", tags=["admin"], dependencies=[RequireAdmin])
MAX_UPLOAD_BYTES = 512 * 1024 * 1024


@router.get("/overview")
def overview(store: StoreDep, searcher: SearcherDep) -> dict:
    top = store.top_items()
    names = searcher.backend.get_many([row["item_code"] for row in top]) if top else {}
    return {
        "unanswered": store.unanswered_questions(),
        "top_items": [{**row, "name": (names.get(row["item_code"]) or {}).get("事项名称", "")} for row in top],
        "ratings": store.ratings(),
        "drafts": store.count_drafts(),
        "queue": len(store.queue()),
        "items": searcher.backend.count(),
    }


def _refuse(message: str, problems: list[Problem]) -> HTTPException:
    return HTTPException(status_code=422, detail={"message": message, "problems": [p.as_dict() for p in problems]})


@router.post("/items")
async def load_items(
    searcher: SearcherDep,
    file: Annotated[UploadFile, File(description="事项标准文件：JSON 数组、JSON Lines 或单个 JSON 对象，UTF-8")],
    partial: Annotated[bool, Form(description="true：只载入合格记录，报告其余")] = False,
) -> dict:
    raw = await file.read(MAX_UPLOAD_BYTES + 1)
    if len(raw) > MAX_UPLOAD_BYTES:
        raise HTTPException(status_code=413, detail=f"文件超过 {MAX_UPLOAD_BYTES // 1024 // 1024} MB，请用命令行载入")
    name = file.filename or "upload.json"
    text = decode_utf8(raw, name)
    if isinstance(text, Problem):
        raise _refuse("文件未载入", [text])
    if not text.strip():
        raise _refuse("文件未载入", [Problem(name, "文件", "", "文件为空")])
    batch = await asyncio.to_thread(read_text, text, name)
    if batch.problems and not partial:
        raise _refuse(f"发现 {len(batch.problems)} 个问题，整批未载入（可勾选“只载入合格记录”）", batch.problems)
    if not batch.records:
        raise _refuse("没有合格的记录可载入", batch.problems)
    report = await asyncio.to_thread(searcher.backend.apply, iter_accepted(batch))
    await asyncio.to_thread(searcher.warm)
    return {
        "loaded": True,
        "accepted": len(batch.records),
        "rejected": len(batch.problems),
        **report.as_dict(),
        "problems": [p.as_dict() for p in batch.problems],
    }
