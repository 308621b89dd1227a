"""Feedback on an answer: 有帮助 / 没帮助 and an optional 1–5 rating.

POST /api/feedback  {"sender", "item_code", "helpful", "rating", "comment"} → 201 {"id"}
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from ..deps import StoreDep
from ..schemas import CreatedOut, FeedbackIn

router = APIRouter(prefix="/api/feedback", tags=["feedback"])


@router.post("", status_code=201, response_model=CreatedOut)
def give_feedback(feedback: FeedbackIn, store: StoreDep) -> CreatedOut:
    if feedback.helpful is None and feedback.rating is None and not feedback.comment:
        raise HTTPException(status_code=422, detail="请至少给出 helpful、rating 或 comment 之一")
    return CreatedOut(id=store.add_feedback(feedback.sender, feedback.item_code, feedback.helpful, feedback.rating, feedback.comment))
