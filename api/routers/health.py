"""Liveness and readiness, for the launcher and for whatever balances load in front of the API.

GET /healthz → 200 while the process serves (liveness: restart it if this fails)
GET /readyz  → 200 once a citizen's turn can be answered in full, else 503 with what is missing:
               the index opened with items in it, Rasa with its model loaded, and the actions
               (inside Rasa when GUIDE_ACTIONS_MODULE is set, else the action server's /health)

During a normal start Rasa takes seconds to load its model; a turn sent meanwhile gets only the
search fallback, so a balancer must not send citizens here before /readyz says ready.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import httpx
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from index.errors import BackendUnavailable

from ..deps import SearcherDep, SettingsDep
from ..rasa_workers import RasaWorkers

router = APIRouter(tags=["health"])
TIMEOUT = 2.0


def get_rasa(request: Request) -> RasaWorkers:
    return request.app.state.conversations.rasa  # where citizens' turns go, and nothing else


RasaDep = Annotated[RasaWorkers, Depends(get_rasa)]


@router.get("/healthz")
def healthz() -> dict:
    return {"status": "ok"}


async def _get(client: httpx.AsyncClient, url: str) -> httpx.Response | str:
    try:
        return await client.get(url, timeout=TIMEOUT)
    except httpx.HTTPError as exc:
        return f"{exc.__class__.__name__}: {exc}" if str(exc) else exc.__class__.__name__


async def _index_check(searcher) -> str | None:
    try:
        count = await asyncio.to_thread(searcher.backend.count)
    except BackendUnavailable as exc:
        return f"search backend unavailable: {exc}"
    return None if count else "no items are loaded (python -m index load …)"


@router.get("/readyz")
async def readyz(searcher: SearcherDep, settings: SettingsDep, rasa: RasaDep) -> JSONResponse:
    checks: dict[str, str] = {}
    problem = await _index_check(searcher)
    checks["index"] = problem or "ok"

    clients = rasa.clients  # every worker must be up
    problems = []
    for client in clients:
        status = await _get(client, "/status")
        if isinstance(status, str):
            problems.append(f"not reachable at {client.base_url}: {status}")
        elif status.status_code != 200:
            problems.append(f"model not loaded yet at {client.base_url} (HTTP {status.status_code})")
    checks["rasa"] = "; ".join(problems) or "ok"

    if settings.actions_module:
        # bot/inprocess.py runs the actions on one thread, behind their warm-up: once Rasa serves,
        # an action asked for waits at most for the rest of that warm-up
        checks["actions"] = "ok (inside Rasa)" if checks["rasa"] == "ok" else "waiting for Rasa"
    else:
        health = settings.action_endpoint_url.removesuffix("/webhook") + "/health"
        answer = await _get(clients[0], health)
        ok = not isinstance(answer, str) and answer.status_code == 200
        checks["actions"] = "ok" if ok else f"action server not answering at {health}"

    ready = all(value.startswith("ok") for value in checks.values())
    return JSONResponse({"status": "ready" if ready else "not ready", "checks": checks}, status_code=200 if ready else 503)
