"""From a citizen's wording to ranked items, each with the implementations that fit the region.

    >>> from index.search import Searcher
    >>> searcher = Searcher(open_backend())
    >>> result = searcher.search("南海办暂住证要带什么")
    >>> result.attributes, result.region.full_name
    (['materials'], '广东省佛山市南海区')
    >>> [(g.item_key, g.name, [h.region for h in g.hits]) for g in result.groups][:1]
    [('442106040001', '居住证申领', ['广东省佛山市南海区桂城街道', …])]

The region may come from the text (it then boosts the implementations there) or from the caller
(``region=``: it narrows to them). Implementations of one 基本编码 come back as one group, so the
dialogue can ask which region is meant when several fit.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from typing import Any

from . import regions
from .analysis import AnalyzedQuery, data_lines, normalize
from .backends.base import Backend, Group, RegionScope, SearchRequest
from .backends.embedded import LEVELS
from .errors import BackendUnavailable
from .semantic import CANDIDATES, SemanticRanker

log = logging.getLogger(__name__)


class UnknownRegion(ValueError):
    """The region given as a filter is not a division of Guangdong."""


@dataclass
class SearchResult:
    query: AnalyzedQuery
    groups: list[Group]
    region: Any | None = None  # the Division used
    region_source: str | None = None  # 'filter' or 'text'
    ambiguous_regions: list[Any] = field(default_factory=list)

    @property
    def attributes(self) -> list[str]:
        return self.query.attributes

    def as_dict(self) -> dict:
        return {
            "query": self.query.text,
            "attributes": self.attributes,
            "region": self.region.full_name if self.region else None,
            "region_source": self.region_source,
            "results": [
                {
                    "item_key": g.item_key,
                    "name": g.name,
                    "score": round(g.score, 4),
                    "implementations": [
                        {
                            "code": h.code,
                            "name": h.name,
                            "region": h.region,
                            "body": h.body,
                            "score": round(h.score, 4),
                            "region_match": h.region_match,
                        }
                        for h in g.hits
                    ],
                }
                for g in self.groups
            ],
        }


def scope_of(division) -> RegionScope:
    chain = tuple(regions.chain_codes(division))
    return RegionScope(code=division.code, level=LEVELS.get(division.level, len(chain) - 1), chain=chain)


_DEFAULT = object()


class Searcher:
    """Analysis in front of a backend; the one entry point for every caller of search.

    Candidates the words found are re-ranked by meaning (:mod:`index.semantic`) unless
    ``semantic=None`` or the settings switch it off.
    """

    def __init__(self, backend: Backend, *, semantic=_DEFAULT):
        self.backend = backend
        self.semantic = SemanticRanker.default() if semantic is _DEFAULT else semantic

    def warm(self) -> None:
        """Encode the loaded items' texts now (after a load), so no citizen waits for it."""
        if self.semantic is not None:
            self.semantic.prepare(self.backend)

    def _by_meaning(self, query: AnalyzedQuery, groups: list[Group]) -> list[Group]:
        try:
            # in Mandarin: the encoder reads 几耐 less well than 多久
            return self.semantic.rerank(self.backend, query.folded or query.normalized, groups)
        except BackendUnavailable:
            raise
        except Exception:  # the encoder or its cache failing costs the ranking, never the answer
            log.exception("re-ranking by meaning failed; ranked by words")
            return groups

    def analyze(self, text: str) -> AnalyzedQuery:
        return self.backend.analyzer.query(text)

    def understand(self, text: str, *, correction: bool = False):
        """The turn read once (:mod:`index.understanding`), with this index's dictionary."""
        from .understanding import understand

        return understand(text, self.backend.analyzer, correction=correction)

    def search(
        self, text: str | AnalyzedQuery, *, region: str | None = None, limit: int = 10, per_group: int = 20,
        meaning: bool = True,
    ) -> SearchResult:
        """Ranked items for a text, or for a query already analysed (a turn is analysed once).

        ``meaning=False``: by words alone, for checks that only ask whether a text names an item.
        """
        query = text if isinstance(text, AnalyzedQuery) else self.analyze(text)
        division, source, ambiguous = None, None, []
        if region:
            division = regions.resolve(region)
            if division is None:
                raise UnknownRegion(f"未知的行政区划：{region!r}（请写广东省内的市、区县或镇街名称）")
            source = "filter"
        elif query.regions:
            division, source = query.regions[0], "text"
            ambiguous = query.regions[1:]
        if query.empty:
            return SearchResult(query, [], division, source, ambiguous)
        request = SearchRequest(
            terms=query.terms,
            region=scope_of(division) if division is not None else None,
            region_mode="filter" if source == "filter" else "boost",
            # more than asked, so that reranking can promote one from below the cut
            limit=max(limit + RERANK_EXTRA, CANDIDATES if self.semantic and meaning else 0),
            per_group=per_group,
        )
        groups = self.backend.search(request)
        if self.semantic is not None and meaning:
            groups = self._by_meaning(query, groups)
        groups = rerank_marked_actions(groups, query)[:limit]
        return SearchResult(query, groups, division, source, ambiguous)


RERANK_EXTRA = 5
MARKED_PENALTY = 0.85


@functools.cache
def marked_actions() -> tuple[str, ...]:
    return tuple(w for line in data_lines("marked_actions.txt") for w in line.split())


def rerank_marked_actions(groups: list[Group], query: AnalyzedQuery) -> list[Group]:
    """Rank an item lower when its name carries a follow-up word the citizen did not use.

    Done here, above the backends, so that both rank alike.
    """
    asked = " ".join([query.item_text, *query.expansions, *query.corrections])
    for group in groups:
        name = normalize(group.name)
        if any(word in name and word not in asked for word in marked_actions()):
            group.score *= MARKED_PENALTY
    return sorted(groups, key=lambda g: -g.score)
