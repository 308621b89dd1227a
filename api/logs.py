"""Logs without personal data: ID numbers and mobiles masked, draft links cut.

    >>> install()      # on uvicorn's access and error loggers and the API's own
    "GET /api/items/search?q=身份证11010519491231002X HTTP/1.1" → "…q=身份证110105********002X…"

Access logs carry the URL, and the URL can carry what a citizen typed (a search) or a secret (a
draft's link). A filter rewrites each record's message before any handler formats it.
"""

from __future__ import annotations

import logging
import re

from index.personal import mask

_DRAFT_LINK = re.compile(r"(/apply/)[^/\s\"?]+")
LOGGERS = ("uvicorn.access", "uvicorn.error", "api", "index", "actions")


def _clean(value):
    return _DRAFT_LINK.sub(r"\1…", mask(value)) if isinstance(value, str) else value


class PersonalDataFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        # The arguments are cleaned in place, not merged into the message: uvicorn's access
        # formatter unpacks them (client, method, path, version, status).
        record.msg = _clean(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_clean(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _clean(arg) for key, arg in record.args.items()}
        return True


def install() -> None:
    """Attach the filter once to every logger that may see a citizen's words."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, PersonalDataFilter) for f in logger.filters):
            logger.addFilter(PersonalDataFilter())
