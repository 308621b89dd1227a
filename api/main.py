"""The FastAPI application, built by a factory.

    uvicorn api.main:create_app --factory --port 8000
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from index.backends import open_backend
from index.errors import BackendUnavailable
from index.search import Searcher
from index.settings import IndexSettings

from . import logs
from .conversation import Conversations
from .drafts import Drafts
from .outbox import load_sender
from .rasa_workers import RasaWorkers
from .ratelimit import SharedRateLimiter
from .shared_state import SharedState
from .speech import Speech
from .routers import admin, agent, apply, chat, feedback, health, items, pages, speech, wechat
from .settings import ApiSettings
from .store import Store
from .wechat_api import WeChatApi
from .wechat_sender import with_wechat

STATIC_DIR = Path(__file__).parent / "static"
logger = logging.getLogger(__name__)


def create_app(index_settings: IndexSettings | None = None, api_settings: ApiSettings | None = None) -> FastAPI:
    if api_settings is None:
        # Tests and deployers that point the index elsewhere keep the channels' data beside it.
        api_settings = ApiSettings(**({"GUIDE_DATA_DIR": index_settings.data_dir} if index_settings else {}))

    logs.install()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        backend = open_backend(index_settings)
        app.state.settings = api_settings
        app.state.searcher = Searcher(backend)
        app.state.store = store = Store(api_settings.resolved_database_url())
        app.state.tokens = {"admin": api_settings.secret("admin_token"), "agent": api_settings.secret("agent_token")}
        app.state.drafts = Drafts(store, api_settings.secret("secret_key"), api_settings.draft_ttl_hours)
        app.state.drafts.purge()
        app.state.rasa = RasaWorkers.from_urls(api_settings.resolved_rasa_url(), timeout=api_settings.rasa_timeout)
        # shared by every API worker: a sender is limited once, whichever process takes its turn;
        # WeChat's access token is fetched once for all
        app.state.shared = SharedState(api_settings.data_dir / "shared.sqlite")
        app.state.wechat_api = WeChatApi.from_settings(api_settings, app.state.shared)  # None without AppID and secret
        app.state.sender = with_wechat(load_sender(api_settings.sender, store), app.state.wechat_api, store)
        limiter = SharedRateLimiter(app.state.shared, api_settings.rate_limit_per_minute, api_settings.rate_limit_burst)
        app.state.conversations = Conversations(store, app.state.searcher, app.state.rasa, app.state.drafts, limiter)
        # read-aloud: buckets of its own in the same shared state, so listening never costs a turn
        app.state.speech = Speech.from_settings(api_settings)
        app.state.speech_limiters = speech.limiters(app.state.shared, api_settings)
        # Build or load the search index before the first request, not during it. A search
        # service that is down now must not stop the API: chat answers politely until it is back.
        try:
            backend.analyzer
            # vectors of records loaded without `python -m index load` are encoded now, not
            # while a citizen waits (a no-op when the load did it)
            await asyncio.to_thread(app.state.searcher.warm)
        except BackendUnavailable as exc:
            logger.warning("search backend unavailable at start, will retry on use: %s", exc)
        try:
            yield
        finally:
            await app.state.rasa.aclose()
            if app.state.wechat_api is not None:
                app.state.wechat_api.close()
            store.close()
            backend.close()

    app = FastAPI(title="广东政务服务办事指南助手", version="0.1.0", lifespan=lifespan)
    for module in (health, items, chat, wechat, apply, feedback, agent, admin, speech, pages):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.exception_handler(RequestValidationError)
    async def refuse_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI echoes the input back; JSON cannot carry NaN, Infinity or a lone surrogate, and a
        # 3 MB message need not come back: the errors say where and what, without the input.
        errors = [
            {k: ({name: str(value) for name, value in v.items()} if k == "ctx" else v) for k, v in e.items() if k != "input"}
            for e in exc.errors()
        ]
        try:
            return JSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)
        except ValueError:  # includes UnicodeEncodeError
            return JSONResponse({"detail": [{k: v for k, v in e.items() if k != "ctx"} for e in errors]}, status_code=422)

    @app.exception_handler(BackendUnavailable)
    async def search_unavailable(request: Request, exc: BackendUnavailable) -> JSONResponse:
        # Any route that reads the index while it is down: a clear 503, never a 500.
        logger.warning("search backend unavailable: %s", exc)
        return JSONResponse({"detail": "检索服务暂时不可用，请稍后再试"}, status_code=503, headers={"Retry-After": "5"})

    return app
