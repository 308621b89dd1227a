"""The kiosk's home screen: themes (事项主题分类) and their most widely implemented items.

    >>> themes(app.state, backend, per_theme=8).themes[0].theme
    '户籍办理'

Built by reading every record once, then kept until the number of records changes or ten
minutes pass (a reload through /admin or the command line shows up by then).
"""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict

from .schemas import Theme, ThemeItem, ThemesOut

REFRESH_SECONDS = 600
MAX_THEMES = 12
_lock = threading.Lock()


def build(records, per_theme: int) -> ThemesOut:
    implementations: Counter[str] = Counter()
    names: dict[str, tuple[str, str]] = {}
    by_theme: dict[str, set[str]] = defaultdict(set)
    for record in records:
        base = record.get("基本编码")
        if not base:
            continue
        implementations[base] += 1
        names.setdefault(base, (record.get("事项名称", ""), record.get("实施编码", "")))
        for theme in record.get("事项主题分类") or ["其他"]:
            by_theme[theme].add(base)
    ranked = sorted(by_theme.items(), key=lambda pair: (-sum(implementations[b] for b in pair[1]), pair[0]))
    themes = []
    for theme, bases in ranked[:MAX_THEMES]:
        top = sorted(bases, key=lambda b: (-implementations[b], names[b][0]))[:per_theme]
        themes.append(
            Theme(theme=theme, items=[ThemeItem(base_code=b, name=names[b][0], code=names[b][1], regions=implementations[b]) for b in top])
        )
    return ThemesOut(themes=themes)


def themes(state, backend, per_theme: int) -> ThemesOut:
    count = backend.count()
    with _lock:
        cached = getattr(state, "themes_cache", None)
        key = (count, per_theme)
        if cached and cached[0] == key and time.monotonic() - cached[1] < REFRESH_SECONDS:
            return cached[2]
        result = build(backend.iter_records(), per_theme)
        state.themes_cache = (key, time.monotonic(), result)
        return result
