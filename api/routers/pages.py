"""The four browser pages: web chat (/), hall kiosk (/kiosk), hotline agent console (/agent) and
oversight (/admin).

The pages are static shells: everything they show comes from the JSON API and is put in the page
by the scripts under /static with textContent, never as HTML. Configuration reaches the scripts as
data- attributes, so the pages carry no inline script and a strict Content-Security-Policy holds.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

router = APIRouter(tags=["pages"], include_in_schema=False)

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "pages"

# Scripts, styles, images, frames and fetches from this origin only; nothing inline. The QR codes
# are same-origin SVGs; the guide and manual open in a same-origin iframe on the agent console.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'"
)
# The staff pages must not be framed by anyone (clickjacking on a page that holds a token).
STAFF_CSP = CSP + "; frame-ancestors 'none'"
CITIZEN_CSP = CSP + "; frame-ancestors 'self'"

IDLE_MIN, IDLE_MAX = 5, 600


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined)


def _page(name: str, csp: str, **context) -> HTMLResponse:
    html = _environment().get_template(name).render(**context)
    headers = {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        # A ?sender= in the address must not leak to the sites the chat links to.
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-cache",
    }
    return HTMLResponse(html, headers=headers)


def idle_seconds(request: Request) -> int:
    """The kiosk's idle timeout: the setting, or ?idle=N (5–600) for a demo or a test; anything
    else in ?idle is ignored rather than refused, so a stray parameter never breaks the kiosk."""
    default = int(getattr(request.app.state.settings, "kiosk_idle_seconds", 90) or 90)
    raw = request.query_params.get("idle", "")
    if raw.isascii() and raw.isdigit() and len(raw) <= 4 and IDLE_MIN <= int(raw) <= IDLE_MAX:
        return int(raw)
    return default


def _public_url(request: Request) -> str:
    return (getattr(request.app.state.settings, "public_url", "") or "").rstrip("/")


@router.get("/", response_class=HTMLResponse)
def chat_page() -> HTMLResponse:
    return _page("chat.html", CITIZEN_CSP)


@router.get("/kiosk", response_class=HTMLResponse)
def kiosk_page(request: Request) -> HTMLResponse:
    return _page("kiosk.html", CITIZEN_CSP, idle_seconds=idle_seconds(request), public_url=_public_url(request))


@router.get("/agent", response_class=HTMLResponse)
def agent_page() -> HTMLResponse:
    return _page("agent.html", STAFF_CSP)


@router.get("/admin", response_class=HTMLResponse)
def admin_page() -> HTMLResponse:
    return _page("admin.html", STAFF_CSP)
