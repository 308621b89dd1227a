"""Server-rendered pages of the API (the apply page, error pages), sharing the guide's frame.

    >>> render_page("problem.html", title="链接已过期", message="…")
    '<!DOCTYPE html>…'
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined

from index.render import TEMPLATE_DIR as INDEX_TEMPLATES

TEMPLATES = Path(__file__).parent / "templates"
# The link to a draft is a secret: it must not leave in a Referer, be cached or indexed.
PRIVATE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
}


@lru_cache(maxsize=1)
def environment() -> Environment:
    return Environment(
        loader=ChoiceLoader([FileSystemLoader(str(TEMPLATES)), FileSystemLoader(str(INDEX_TEMPLATES))]),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_page(name: str, **context) -> str:
    return environment().get_template(name).render(**context)
