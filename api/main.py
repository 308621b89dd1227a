"""The FastAPI application, built by a factory.

    uvicorn api.main:create_app --factory --port 8000
"""

from __future__ import annotations

from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from index.backends import open_backend
from index.search import Searcher
from index.settings import IndexSettings

from .routers import chat, items
from .settings import ApiSettings


def create_app(index_settings: IndexSettings | None = None, api_settings: ApiSettings | None = None) -> FastAPI:
    api_settings = api_settings or ApiSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        backend = open_backend(index_settings)
        app.state.searcher = Searcher(backend)
        app.state.rasa = httpx.AsyncClient(base_url=api_settings.rasa_url, timeout=api_settings.rasa_timeout)
        # Build or load the search index before the first request, not during it.
        backend.analyzer
        try:
            yield
        finally:
            await app.state.rasa.aclose()
            backend.close()

    app = FastAPI(title="广东政务服务办事指南助手", version="0.1.0", lifespan=lifespan)
    app.include_router(items.router)
    app.include_router(chat.router)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict:
        return {"status": "ok"}

    return app
