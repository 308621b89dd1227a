"""Dependencies shared by the routers (swapped in tests with ``app.dependency_overrides``)."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request

from index.search import Searcher

from .conversation import Conversations
from .drafts import Drafts
from .outbox import MessageSender
from .settings import ApiSettings
from .speech import Speech
from .store import Store


def get_searcher(request: Request) -> Searcher:
    return request.app.state.searcher


def get_settings(request: Request) -> ApiSettings:
    return request.app.state.settings


def get_store(request: Request) -> Store:
    return request.app.state.store


def get_drafts(request: Request) -> Drafts:
    return request.app.state.drafts


def get_conversations(request: Request) -> Conversations:
    return request.app.state.conversations


def get_sender(request: Request) -> MessageSender:
    return request.app.state.sender


def get_speech(request: Request) -> Speech:
    return request.app.state.speech


def get_base_url(request: Request) -> str:
    """Where links sent out of the page point: the configured public URL, else this request's."""
    configured = request.app.state.settings.public_url
    return (configured or str(request.base_url)).rstrip("/")


SearcherDep = Annotated[Searcher, Depends(get_searcher)]
SettingsDep = Annotated[ApiSettings, Depends(get_settings)]
StoreDep = Annotated[Store, Depends(get_store)]
DraftsDep = Annotated[Drafts, Depends(get_drafts)]
ConversationsDep = Annotated[Conversations, Depends(get_conversations)]
SenderDep = Annotated[MessageSender, Depends(get_sender)]
SpeechDep = Annotated[Speech, Depends(get_speech)]
BaseUrlDep = Annotated[str, Depends(get_base_url)]


def _bearer(authorization: str | None) -> str:
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return ""


def _require(token_name: str):
    def check(request: Request, authorization: Annotated[str | None, Header()] = None) -> None:
        expected = request.app.state.tokens[token_name]
        given = _bearer(authorization)
        # The admin token also opens the agent console (a supervisor can see the queue).
        allowed = [expected] + ([request.app.state.tokens["admin"]] if token_name == "agent" else [])
        if not given or not any(hmac.compare_digest(given.encode(), t.encode()) for t in allowed):
            raise HTTPException(status_code=401, detail="需要有效的访问令牌（Authorization: Bearer …）", headers={"WWW-Authenticate": "Bearer"})

    return check


RequireAdmin = Depends(_require("admin"))
RequireAgent = Depends(_require("agent"))
