"""A record split into passages, and the passages that answer a specific question.

    >>> from index.passages import passages, best_passages
    >>> [p.label for p in passages(record)][:3]
    ['受理条件第1条', '受理条件第2条', '申请材料：居民身份证']
    >>> best_passages(record, ["21岁", "男朋友"], analyzer)[0].text
    '男方年满22周岁，女方年满20周岁'

A question such as 男朋友21岁能领结婚证吗 names the item (结婚登记) and asks about one detail
(21岁); the conditions field as a whole does not answer it, its age clause does. Every clause of
受理条件 and 申请内容, every material with its 适用情形, every step and 环节 of 办理流程, the
delivery, booking and platform fields, 常见问题, 特别说明 and the text of keys this project does
not know become passages; a question's detail words (what is left once the item, the place and
the attribute words are taken out) are scored against them with the index's own analysis plus
two expansions: cue words (``data/passage_cues.tsv``: 寄 → 快递 物流 送达; 岁 → 周岁 年满) and the
词林's synonyms (:mod:`index.thesaurus`). Passages are quoted verbatim; nothing is composed.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass

from . import thesaurus
from .analysis import data_lines, normalize
from .hours import OpeningHours, asked_time

# Keys read into passages by their own rules; any other key with text is a passage as it stands.
_CLAUSE_KEYS = ("受理条件", "申请内容", "必须现场办理原因", "特别说明", "办理须知", "温馨提示", "备注")
_FIELD_KEYS = ("办理形式", "办理时间", "办理窗口", "办理地点", "网办深度", "办理平台", "在线办理地址", "在线预约地址")
_SKIP = {
    "事项名称", "日常用语", "基本编码", "实施编码", "事项版本", "事项类型", "行使层级", "行政区划", "服务对象",
    "事项主题分类", "实施主体编码", "咨询电话", "监督投诉电话", "法定办结时限", "承诺办结时限", "到办事现场次数",
    "数据来源", "业务办理项编码", "实施主体", "实施主体性质", "办件类型",
}
_CLAUSE_SPLIT = re.compile(r"(?<=[。；;！!？?\n])|(?=(?:^|\s)*(?:\d{1,2}[、.．](?!\d)|[（(][一二三四五六七八九十\d]{1,3}[)）]|[一二三四五六七八九十]{1,3}、))")
MIN_CLAUSE = 6
_FLAGS = {"是": True, "支持": True, "否": False, "不支持": False}
MAX_PASSAGES = 2
# The best passage must match at least this much (one detail word of the citizen's own, or two
# expanded ones); below it the attribute answer stands alone.
MIN_SCORE = 1.0
W_CUE = 0.7
W_THESAURUS = 0.5


@dataclass(frozen=True)
class Passage:
    """One quotable piece of a record: which field, how the answer names it, the verbatim text."""

    field: str
    label: str
    text: str
    flag: bool | None = None  # for 是/否 fields: whether the record says 是


def _clauses(text: str) -> list[str]:
    parts = [p.strip(" \t\r\n，,") for p in _CLAUSE_SPLIT.split(text) if p and p.strip()]
    out: list[str] = []
    for part in parts:
        if out and (len(out[-1]) < MIN_CLAUSE or re.fullmatch(r"[\d一二三四五六七八九十（()）、.．\s]+", out[-1])):
            out[-1] = f"{out[-1]}{part}"
        else:
            out.append(part)
    return [c for c in out if c]


def _texts(value) -> list[str]:
    if isinstance(value, str):
        return [value] if value.strip() and value.strip() != "无" else []
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [str(value)]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    if isinstance(value, dict):
        return [f"{k}：{t}" for k, v in value.items() for t in _texts(v)]
    return []


def _material_text(material: dict) -> str:
    parts = [str(material.get("材料名称", ""))]
    counts = [f"{k}{material[k]}份" for k in ("原件", "复印件") if isinstance(material.get(k), int)]
    if counts:
        parts.append("，".join(counts))
    for key in ("必要性", "适用情形", "材料形式", "纸质规格", "来源渠道", "备注", "填报须知"):
        if isinstance(material.get(key), str) and material[key].strip() and material[key] != "无":
            parts.append(f"{key}：{material[key]}")
    return "；".join(parts)


def passages(record: dict) -> list[Passage]:
    """Every passage of a record, in the record's order of fields."""
    out: list[Passage] = []
    for key in _CLAUSE_KEYS:
        for text in _texts(record.get(key)):
            clauses = _clauses(text)
            for n, clause in enumerate(clauses, start=1):
                out.append(Passage(key, f"{key}第{n}条" if len(clauses) > 1 else key, clause))
    for material in record.get("申请材料") or []:
        if isinstance(material, dict) and material.get("材料名称"):
            out.append(Passage("申请材料", f"申请材料：{material['材料名称']}", _material_text(material)))
    process = record.get("办理流程")
    if isinstance(process, dict):
        for key, label in (("网上", "网上办理"), ("线下", "窗口办理")):
            for n, step in enumerate(_texts(process.get(key)), start=1):
                out.append(Passage("办理流程", f"办理流程·{label}第{n}步", step))
        for stage in process.get("环节") or []:
            if isinstance(stage, dict) and stage.get("环节"):
                text = "；".join(f"{k}：{v}" for k, v in stage.items() if isinstance(v, (str, int)) and str(v).strip())
                out.append(Passage("办理流程", f"办理环节：{stage['环节']}", text))
    elif isinstance(process, str):
        for n, clause in enumerate(_clauses(process), start=1):
            out.append(Passage("办理流程", f"办理流程第{n}条", clause))
    for key in _FIELD_KEYS:
        for text in _texts(record.get(key)):
            out.append(Passage(key, key, text))
    for item in record.get("业务办理项") or []:
        if isinstance(item, dict) and item.get("名称"):
            note = f"：{item['说明']}" if isinstance(item.get("说明"), str) and item["说明"].strip() else ""
            out.append(Passage("业务办理项", "业务办理项", f"{item['名称']}{note}"))
    fees = record.get("收费")
    if isinstance(fees, list):
        for fee in fees:
            if isinstance(fee, dict):
                out.append(Passage("收费", "收费", "；".join(_texts(fee))))
    for law in record.get("设定依据") or []:
        if isinstance(law, dict):
            for article, text in (law.get("条款内容") or {}).items():
                if isinstance(text, str) and text.strip():
                    out.append(Passage("设定依据", f"设定依据：{law.get('法律法规名称', '')}{article}", text))
    for qa in record.get("常见问题") or []:
        texts = _texts(qa)
        if texts:
            out.append(Passage("常见问题", "常见问题", "；".join(texts)))
    known = set(_CLAUSE_KEYS) | set(_FIELD_KEYS) | _SKIP | {"申请材料", "办理流程", "业务办理项", "收费", "设定依据", "常见问题"}
    for key, value in record.items():
        if key in known or key.startswith("_"):
            continue
        if isinstance(value, str) and value.strip() in _FLAGS:
            out.append(Passage(key, key, f"{key}：{value.strip()}", _FLAGS[value.strip()]))
            continue
        for text in _texts(value):
            if len(text) <= 400:
                out.append(Passage(key, key, text))
    return out


_NEGATIVE = re.compile(r"(不得|不能|不可|不予|禁止|无需|无须|不需|不需要|不用|不受理|不接受|不支持|不办理|不收取|免收|免于)$")
_POSITIVE = re.compile(r"(可以|可|可在|可选择|可通过|可申请|可凭|支持|允许|能够|能)$")


def settles(passage: Passage, words: list[str]) -> bool | None:
    """Whether a passage says yes or no to the question's words: True, False, or None (unsaid).

    A 是/否 field says it outright; a clause says it when a word of the question (or its cue)
    stands right after a polarity marker: 不得委托他人代办 says no to 代办, 可选择邮政寄递 yes to 寄.
    """
    if passage.flag is not None:
        return passage.flag
    text = normalize(passage.text)
    terms = [t for t, w in detail_terms(words) if w >= W_CUE and len(t) >= 2 or t in words]
    verdicts = set()
    for term in terms:
        start = text.find(term)
        while start >= 0:
            before = text[max(0, start - 8) : start]
            window = re.sub(r"[^\u3400-\u9fff]", "", before)
            for cut in range(len(window)):
                tail = window[cut:]
                if _NEGATIVE.search(tail) and len(tail) <= 6:
                    verdicts.add(False)
                    break
                if _POSITIVE.search(tail) and len(tail) <= 4:
                    verdicts.add(True)
                    break
            start = text.find(term, start + 1)
    return verdicts.pop() if len(verdicts) == 1 else None


@functools.cache
def cue_table() -> dict[str, tuple[str, ...]]:
    table: dict[str, tuple[str, ...]] = {}
    for line in data_lines("passage_cues.tsv"):
        left, _, right = line.partition("\t")
        table[normalize(left.strip())] = tuple(normalize(w) for w in right.split())
    return table


def detail_terms(words: list[str]) -> list[tuple[str, float]]:
    """A question's detail words with their expansions: own words 1.0, cues 0.7, 词林 0.5."""
    weighted: dict[str, float] = {}

    def add(term: str, weight: float) -> None:
        if term:
            weighted[term] = max(weighted.get(term, 0.0), weight)

    cues = cue_table()
    for word in words:
        add(word, 1.0)
        for cue, expansions in cues.items():
            if cue in word:
                for expansion in expansions:
                    add(expansion, W_CUE)
        if len(word) >= 2:
            for synonym in thesaurus.synonyms(word):
                if len(synonym) >= 2:
                    add(synonym, W_THESAURUS)
    return sorted(weighted.items(), key=lambda kv: -kv[1])


def score_passages(items: list[Passage], terms: list[tuple[str, float]]) -> list[tuple[float, Passage]]:
    """BM25-like: each term once per passage, rarer terms among the record's passages count more."""
    if not items or not terms:
        return []
    folded = [normalize(p.label + " " + p.text) for p in items]
    n = len(items)
    scored: list[tuple[float, Passage]] = []
    df: dict[str, int] = {}
    for term, _ in terms:
        df[term] = sum(1 for t in folded if term in t)
    for passage, text in zip(items, folded):
        score = 0.0
        for term, weight in terms:
            if df[term] and term in text:
                idf = math.log(1 + (n - df[term] + 0.5) / (df[term] + 0.5))
                score += weight * max(idf, 0.3) * (1.0 if len(term) > 1 else 0.6)
        # short passages say one thing: a long one that merely mentions a word ranks below
        score /= 1 + len(text) / 400
        if score > 0:
            scored.append((score, passage))
    scored.sort(key=lambda sp: -sp[0])
    return scored


def best_passages(record: dict, words: list[str], *, limit: int = MAX_PASSAGES) -> list[Passage]:
    """The passages that answer the detail words, best first; [] when none clearly does.

    A question about a day or a clock time (星期六, 下午5点半) is answered by the hours first."""
    every = passages(record)
    if not asked_time(" ".join(words)).empty:
        hours = [p for p in every if p.field == "办理时间" and OpeningHours.parse(p.text) is not None]
        if hours:
            return hours[:1]
    scored = score_passages(every, detail_terms(words))
    if not scored or scored[0][0] < MIN_SCORE:
        return []
    top = scored[0][0]
    return [p for s, p in scored[:limit] if s >= 0.6 * top]
