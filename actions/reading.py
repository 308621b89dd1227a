"""What a turn's words and the records say, for the Guide: the detail a question asks beyond its
item (kept in a slot), whether two rankings agree, the names an item goes by, region splits.

    >>> from actions.reading import detail_of, parse_detail
    >>> parse_detail("?c 男朋友 21 岁")
    (Ask(form='can', turned=False), ['男朋友', '21', '岁'])
"""

from __future__ import annotations

from index import regions
from index.analysis import normalize, plain_words
from index.hours import time_words
from index.passages import cue_table, passages
from index.search import Searcher
from index.understanding import Understanding, detail_words
from index.verdicts import Ask

SPECIFIC_WORDS = 3


OFFICE_ATTRIBUTES = ("location", "office_hours", "phone")
# The record field an attribute's answer shows: a passage from that field already answered it.
ATTRIBUTE_FIELDS = {
    "conditions": "受理条件", "materials": "申请材料", "process": "办理流程", "office_hours": "办理时间",
    "location": "办理地点", "online": "在线办理地址", "fee": "收费", "legal_basis": "设定依据",
}


def rankers_agree(groups) -> bool:
    """Whether the best item is best by its words and by its meaning both (index.semantic):
    two readings of a specific question (``SPECIFIC_WORDS`` words or more) that pick the same
    item are no reason to ask which. A short one (补办身份证: 补领 or 换领?) is asked about."""
    top = groups[0]
    if top.lexical is None or top.meaning is None:
        return False
    return all(top.lexical >= g.lexical and top.meaning > g.meaning for g in groups[1:] if g.lexical is not None)


def unasked(name: str, asked: str) -> frozenset[str]:
    """The words of an item's name that the citizen's words (``asked``: the folded text with its
    synonyms and corrections) do not hold: 香港 澳门 联营 of 香港、澳门律师事务所与广东境内律师事务所
    联营设立许可, asked about as 开律师事务所，设立许可要什么条件.

    Read with jieba's general dictionary, so that a name is words, not one entry of its own."""
    return frozenset(w for w in plain_words(normalize(name)) if len(w) >= 2 and w not in asked)


def detail_of(u: Understanding) -> str | None:
    """What a question asks beyond item and attribute, kept in a slot: '?c 男朋友 21 岁' (a yes/no
    question and what it asks, :class:`index.verdicts.Ask`), or '男朋友 21 岁'."""
    words = detail_words(u.words, "")
    # 星期六, 中午 are attribute words too (office hours), taken out of u.words: the detail keeps them
    words += [w for w in time_words(u.folded) if w not in words]
    if not words:
        return None
    return " ".join(([Ask.of(u.folded).code()] if u.yes_no else []) + words)


def parse_detail(detail: str | None) -> tuple[Ask | None, list[str]]:
    if not detail:
        return None, []
    head, _, rest = detail.partition(" ")
    if not head.startswith("?"):
        return None, detail.split()
    # a slot written before the form was kept ('?男朋友 21 岁') is a 'can' question
    ask = Ask.from_code(head)
    return (ask, rest.split()) if ask else (Ask(), detail.lstrip("?").split())


def names_text(record: dict) -> str:
    parts = [record.get("事项名称", ""), *(record.get("日常用语") or [])]
    parts += [s.get("名称", "") for s in record.get("业务办理项") or [] if isinstance(s, dict)]
    parts += [r.get("名称", "") for r in record.get("办理结果") or [] if isinstance(r, dict)]
    return normalize(" ".join(p for p in parts if isinstance(p, str)))


def record_text(record: dict) -> str:
    """Everything a record says that a follow-up may ask about: its passages and its names."""
    return normalize(" ".join(p.text for p in passages(record)) + " " + names_text(record))


def divisions(region_text: str | None) -> list:
    division = regions.resolve(region_text) if region_text else None
    return [division] if division is not None else []


def hours_cue(u: Understanding) -> bool:
    """中午休息吗 / 几点开门: a word whose cues point at 办理时间."""
    cues = cue_table()
    return any("办理时间" in cues.get(w, ()) for w in u.words) or any(
        cue in u.folded and "办理时间" in words for cue, words in cues.items()
    )


def items_of(backend, codes: list[str]) -> list[tuple[str, str]]:
    """(item key, name) of the items that records belong to, first-seen order, once each."""
    out: dict[str, str] = {}
    records = backend.get_many(codes[:50])
    for code in codes[:50]:
        record = records.get(code)
        key = backend.item_key_of(code) if record else None
        if key and key not in out:
            out[key] = record["事项名称"]
    return list(out.items())


def merge_attributes(classified: str | None, detected: list[str]) -> list[str]:
    """The classified attribute first, then the other attribute words of the text (three at most)."""
    merged = [classified] if classified else []
    merged += [a for a in detected if a not in merged]
    return merged[:3]


def has_item_words(text: str, searcher: Searcher) -> bool:
    query = searcher.analyze(text)
    return not query.empty and any(len(t) >= 2 for t, _ in query.terms.get("name", []))


def split_by_region(impls: list[tuple[str, str]], region) -> tuple[list, list]:
    """Implementations serving the region (most specific first) and those inside it."""
    region_chain = regions.chain_codes(region)
    serving, within = [], []
    for code, region_text in impls:
        division = regions.resolve(region_text)
        if division is None:
            continue
        if division.code in region_chain:
            serving.append((len(regions.chain_codes(division)), code, region_text))
        elif region.code in regions.chain_codes(division):
            within.append((code, region_text))
    serving.sort(reverse=True)
    return [(code, region_text) for _, code, region_text in serving], within



def short_region(full: str) -> str:
    return full.removeprefix("广东省")
