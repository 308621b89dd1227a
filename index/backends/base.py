"""What every search backend offers, and the pieces they share.

    >>> from index.backends import open_backend
    >>> backend = open_backend()                # embedded, or Elasticsearch if ELASTICSEARCH_URL
    >>> report = backend.apply(records)         # version rules, all or nothing
    >>> groups = backend.search(request)        # BM25 over the analyzed fields, grouped by 基本编码

A backend stores the records, indexes the token lists that :mod:`index.analysis` makes and
scores a :class:`SearchRequest` with Lucene's BM25 (see :mod:`index.bm25`), multiplies by the
region factor, and groups the implementations of one 基本编码. The Searcher above it does the
analysis; a backend never sees the citizen's text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Literal, Protocol

from .. import regions

# Field weights: the item's own name and the names citizens use count most; the bigram and pinyin
# fields only have to rescue typos and homophones, not to outvote real words.
FIELD_BOOSTS: dict[str, float] = {
    "name": 3.0,
    "alias": 2.5,
    "situation": 1.2,
    "result": 1.2,
    "theme": 0.3,
    "body": 0.2,
    "gram": 0.6,
    "py": 0.4,
    "char": 6.0,
}
# Small on purpose: it orders the implementations of an item and breaks near-ties between items,
# but a region must not turn 驾驶证补领 into 换证 because only the latter is handled there.
REGION_BOOST = 1.1


@dataclass(frozen=True)
class RegionScope:
    """A region to narrow or boost by: the division's code and the codes of its ancestors."""

    code: str
    level: int  # 0 省, 1 市, 2 区/县, 3 镇街
    chain: tuple[str, ...]  # province … the division itself


@dataclass
class SearchRequest:
    terms: dict[str, list[tuple[str, float]]]
    boosts: dict[str, float] = field(default_factory=lambda: dict(FIELD_BOOSTS))
    region: RegionScope | None = None
    region_mode: Literal["filter", "boost"] = "boost"
    region_boost: float = REGION_BOOST
    limit: int = 10
    per_group: int = 20


@dataclass
class Hit:
    """One implementation (实施编码) that matched."""

    code: str
    base_code: str
    name: str
    region: str
    body: str
    score: float
    # 'serves': the implementation's region is the asked region or contains it;
    # 'within': it lies inside the asked region (the dialogue must ask which); None: no region asked
    # or it does not match.
    region_match: Literal["serves", "within"] | None = None


@dataclass
class Group:
    """One item (see :mod:`index.identity`) with its matching implementations, best first."""

    item_key: str
    score: float
    hits: list[Hit]
    # Set by the re-ranking by meaning (index.semantic): the words' score and the similarity.
    lexical: float | None = None
    meaning: float | None = None

    @property
    def name(self) -> str:
        return self.hits[0].name


@dataclass
class LoadReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    older: list[str] = field(default_factory=list)
    total: int = 0

    def merge(self, other: "LoadReport") -> None:
        self.added += other.added
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.older += other.older

    def summary(self) -> str:
        return (
            f"新增 {len(self.added)} 条，更新 {len(self.updated)} 条，版本相同未变 {len(self.unchanged)} 条，"
            f"低于现有版本未载入 {len(self.older)} 条；索引共 {self.total} 条"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "added": len(self.added),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "older": len(self.older),
            "total": self.total,
        }


def plan_changes(existing: dict[str, int | None], records: Iterable[dict]) -> tuple[list[dict], LoadReport]:
    """Apply the version rule: a higher 事项版本 replaces a lower one; the same or a lower changes nothing.

    ``existing`` maps the 实施编码 already loaded to their 事项版本 (None counts as 0).
    """
    report = LoadReport()
    writes: list[dict] = []
    for record in records:
        code = record["实施编码"]
        new = record.get("事项版本") or 0
        if code not in existing:
            report.added.append(code)
            writes.append(record)
            continue
        old = existing[code] or 0
        if new > old:
            report.updated.append(code)
            writes.append(record)
        elif new == old:
            report.unchanged.append(code)
        else:
            report.older.append(code)
    return writes, report


def search_fields(record: dict) -> dict:
    """The part of a record that the analysis reads (see Analyzer.document_fields)."""
    return {
        "事项名称": record.get("事项名称", ""),
        "日常用语": record.get("日常用语") or [],
        "业务办理项": [{"名称": s.get("名称", "")} for s in record.get("业务办理项") or [] if isinstance(s, dict)],
        "办理结果": [{"名称": r.get("名称", "")} for r in record.get("办理结果") or [] if isinstance(r, dict)],
        "事项主题分类": record.get("事项主题分类") or [],
        "实施主体": record.get("实施主体", ""),
        "事项类型": record.get("事项类型", ""),
    }


def region_chain(region_text: str) -> tuple[list[int], int]:
    """Division codes (as ints, -1 when absent) at the four levels, and the record's own level."""
    division = regions.resolve(region_text)
    chain = [-1, -1, -1, -1]
    if division is None:
        return chain, -1
    codes = regions.chain_codes(division)
    for level, code in enumerate(codes[:4]):
        chain[level] = int(code)
    return chain, min(len(codes), 4) - 1


class Backend(Protocol):
    name: str

    def apply(self, records: Iterable[dict], *, replace: bool = False, progress=None) -> LoadReport: ...

    def get(self, code: str) -> dict | None: ...

    def get_many(self, codes: list[str]) -> dict[str, dict]: ...

    def count(self) -> int: ...

    def implementations(self, item_key: str) -> list[tuple[str, str]]: ...

    def item_key_of(self, code: str) -> str | None: ...

    def iter_records(self) -> Iterator[dict]: ...

    def search(self, request: SearchRequest) -> list[Group]: ...

    @property
    def analyzer(self): ...

    def close(self) -> None: ...
