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


class ChecklistEntry(BaseModel):
    name: str
    copies: str
    necessity: str
    situation: str
    form: str
    # personal checklist only: the condition it depends on, and 是 (applies) or 视情况 (not answered)
    condition: str = ""
    applies: str = ""


class QuestionOut(BaseModel):
    id: str
    text: str
    options: list[str]
    condition: str
    answer: str | None = None  # the answer given, when it was


class ChecklistOut(BaseModel):
    code: str
    name: str
    region: str
    situation: str | None = None
    items: list[ChecklistEntry]
    text: str
    answers: dict[str, str] = {}
    questions: list[QuestionOut] = []  # the personal checklist's questions as they stand after the answers


class ComparisonRowOut(BaseModel):
    label: str
    values: list[str]
    same: bool


class ComparisonOut(BaseModel):
    name: str
    places: list[str]
    codes: list[str]
    rows: list[ComparisonRowOut]
    only: list[list[str]]  # per place: the materials only it asks for
    materials_same: bool


class ThemeItem(BaseModel):
    base_code: str
    name: str
    code: str
    regions: int


class Theme(BaseModel):
    theme: str
    items: list[ThemeItem]


class ThemesOut(BaseModel):
    themes: list[Theme]


class FeedbackIn(BaseModel):
    # strict: "helpful": "yes" or 0 and "rating": true or 4.0 are refused, not coerced into a vote.
    model_config = ConfigDict(extra="forbid", strict=True)

    sender: Annotated[str, StringConstraints(min_length=1, max_length=128)] | None = None
    item_code: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    helpful: bool | None = None
    rating: Annotated[int, Field(ge=1, le=5)] | None = None
    comment: Annotated[str, StringConstraints(max_length=500)] | None = None


class CreatedOut(BaseModel):
    id: int


class AgentReplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, StringConstraints(min_length=1, max_length=2000, strip_whitespace=True)]


class SendChecklistIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: Literal["sms", "wechat"]
    recipient: Annotated[str, StringConstraints(min_length=1, max_length=128, strip_whitespace=True)]
    item_code: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    situation: Annotated[str, StringConstraints(max_length=50)] | None = None
    # the personal checklist's answers (question id → answer, as GET /api/items/{code}/checklist
    # lists them): only the materials that apply are sent
    answers: Annotated[dict[str, Annotated[str, StringConstraints(max_length=100)]], Field(max_length=30)] = {}


class SentOut(BaseModel):
    channel: str
    recipient: str
    id: int
    text: str
    status: str = "recorded"  # sent (the gateway took it) or recorded (no gateway configured)


class QueueEntryOut(BaseModel):
    sender: str
    channel: str
    status: str
    queued_at: float | None
    position: int | None
    last_message: str | None


# The API refuses to read aloud more than this: far more than any answer, far less than a book.
SPEECH_MAX_CHARS = 4000


class SpeechIn(BaseModel):
    """An answer to read aloud: the text the assistant gave ``sender`` (checked against its
    transcript, so the route is no free text-to-speech service), in Mandarin or Cantonese."""

    model_config = ConfigDict(extra="forbid")

    sender: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    text: Annotated[str, StringConstraints(min_length=1, max_length=SPEECH_MAX_CHARS)]
    lang: Literal["cmn", "yue"] = "cmn"


class SpeechVoiceOut(BaseModel):
    lang: str
    label: str


class SpeechStatusOut(BaseModel):
    available: bool  # espeak-ng is installed: the pages show their speaker buttons
    voices: list[SpeechVoiceOut]
    max_chars: int
    recognition: bool  # speech input (api/speech/recognition.py): unavailable for now
