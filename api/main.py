"""The FastAPI application, built by a factory.

    uvicorn api.main:create_app --factory --port 8000
"""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI

from index.backends import open_backend
from index.search import Searcher
from index.settings import IndexSettings

from .routers import items


def create_app(index_settings: IndexSettings | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        backend = open_backend(index_settings)
        app.state.searcher = Searcher(backend)
        # Build or load the search index before the first request, not during it.
        backend.analyzer
        try:
            yield
        finally:
            backend.close()

    app = FastAPI(title="广东政务服务办事指南助手", version="0.1.0", lifespan=lifespan)
    app.include_router(items.router)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict:
        return {"status": "ok"}

    return app
