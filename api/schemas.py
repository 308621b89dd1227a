"""Output schemas of the API (inputs are query parameters for now)."""

from __future__ import annotations

from pydantic import BaseModel


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
