"""Search backends: embedded (default) and Elasticsearch (when ELASTICSEARCH_URL is set).

    >>> from index.backends import open_backend
    >>> backend = open_backend()
"""

from __future__ import annotations

from ..settings import IndexSettings
from .base import Backend, Group, Hit, LoadReport, RegionScope, SearchRequest


def open_backend(settings: IndexSettings | None = None) -> Backend:
    settings = settings or IndexSettings()
    if settings.elasticsearch_url:
        from .elastic import ElasticBackend

        return ElasticBackend(
            settings.elasticsearch_url,
            alias=settings.elasticsearch_alias,
            timeout=settings.elasticsearch_timeout,
            search_timeout=settings.elasticsearch_search_timeout,
            retry_after=settings.elasticsearch_retry_after,
        )
    from .embedded import EmbeddedBackend

    return EmbeddedBackend(settings.data_dir)


__all__ = ["Backend", "Group", "Hit", "LoadReport", "RegionScope", "SearchRequest", "open_backend"]
