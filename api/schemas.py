"""Output schemas of the API (inputs are query parameters for now)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints


class SearchResultOut(BaseModel):
    code: str
    base_code: str
    name: str
    region: str
    score: float
    body: str | None = None
    region_match: str | None = None


class SearchOut(BaseModel):
    query: str
    region: str | None = None
    attributes: list[str] = []
    results: list[SearchResultOut]


class ChatIn(BaseModel):
    """A chat turn in Rasa's REST channel format."""

    model_config = ConfigDict(extra="ignore")

    sender: Annotated[str, StringConstraints(min_length=1, max_length=128, strip_whitespace=True)]
    message: Annotated[str, StringConstraints(max_length=2000)]
    # Which page the turn comes from (web, kiosk); Rasa widgets leave it out.
    channel: Literal["web", "kiosk"] = "web"


class Button(BaseModel):
    title: str
    payload: str


class ChatOut(BaseModel):
    recipient_id: str
    text: str | None = None
    buttons: list[Button] | None = None
    custom: dict[str, Any] | None = Field(default=None)


class ConversationMessageOut(BaseModel):
    id: int
    role: str
    text: str
    custom: dict[str, Any] | None = None
    created_at: float
