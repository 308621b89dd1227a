"""A citizen's turn, analysed once: every layer (search, dialogue, passage answer) reads this.

    >>> from index.understanding import understand
    >>> u = understand("男朋友21岁，喺南海能唔能领结婚证？", analyzer)
    >>> u.query.attributes, [r.full_name for r in u.query.regions], u.yes_no
    ([], ['广东省佛山市南海区'], True)
    >>> u.detail_words(record_text="内地居民结婚登记 结婚证")
    ['男朋友', '21', '岁']

Folding (width, traditional characters, Cantonese) happens once; negated clauses (不是开公司，
是开个体户) and correction words (不是这个，我问的是…) are recognised once; the index's analysis
(:meth:`index.analysis.Analyzer.query`: regions, attribute words, item terms) runs once on what
is left. What the question asks beyond the item and the attribute (21岁, 寄到家, 晚上) is read
from the same analysis against the chosen record's names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .analysis import AnalyzedQuery, Analyzer, fold_dialect, normalize

# 不是开公司，是开个体户: the negated clause names what is NOT meant; only the rest is searched.
# Only when what is meant follows (是…, 我问的是…) or as an aside in brackets: 我不是当事人，能申请
# 复核吗 states a fact of the case, which the passage answer needs.
NEGATED_CLAUSE = re.compile(
    r"(?:不是|并非|而不是)[^，,。；;！!？?]{1,20}[，,；;]\s*(?=(?:而是|是|我[^，,。；;]{0,4}是|要的是|应该是))"
    r"|[（(]\s*(?:不是|并非)[^（()）]{1,20}[）)]"  # an aside: 无线电台（不是基站）
)
CORRECTION_WORDS = re.compile(
    r"不是这个|不是这样|不是|不对|搞错了|弄错了|讲错了|说错了|讲错|说错|我说的是|我问的是|我要的是|我是问|应该是|是指|其实是|我是"
)
_YES_NO = re.compile(
    r"(?:吗|嘛|么|麼|冇|未|不)\s*[？?。!！~～]*\s*$|能不能|可不可以|可以不|是不是|是否|有没有|用不用|要不要|需不需要|"
    r"行不行|会不会|得不得|得唔得|使唔使|使不使|有冇|可唔可以|能唔能|系唔系|好唔好|能否|可否|还能|还可以"
)
_ORDINALS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_ORDINAL = re.compile(
    r"^\s*(?:就|选|揀|拣|要|是|系)?\s*(?:第\s*([一二两三四五六七八九十\d]+)\s*[个個项項条]?|([1-9])\s*[号個个]?|(最后一个|最后嗰个|最后那个))\s*(?:吧|啦|呀|啊|喇|囉|啰|嘅)?\s*[。.!！]?\s*$"
)
# Words that carry no detail of their own: the verbs and particles of any question.
_GENERIC = frozenset(
    "能 能不能 可以 可不可以 可否 能否 吗 呢 嘛 办 办理 申请 怎么 怎样 如何 我 我们 想 要 需要 还 还能 请问 问 一下 这个 "
    "那个 这 那 什么 哪些 有 没有 有没有 是 是否 是不是 的 了 去 在 给 帮 领 拿 弄 搞 办个 一个 个 多少 几 好 行 会 "
    "用 用不用 要不要 得 吧 啊 呀 喔 哦 下 能够 咨询 问问 知道 告诉 谢谢 你好 您好 你们 他 她 自己 人 时候 现在 已经 "
    "之前 之后 以后 然后 就 都 也 又 再 和 跟 与 及 或 或者 还是 如果 的话 话 事 情况 唔 冇 系 咩 嘅 佢 点 点样".split()
)


def parse_ordinal(text: str | None) -> int | None:
    """第二个 / 2 / 选3 / 最后一个 → 2, 2, 3, -1; anything else (三水, 第三代社保卡) → None."""
    if not text:
        return None
    match = _ORDINAL.match(text)
    if not match:
        return None
    if match.group(3):
        return -1
    token = match.group(1) or match.group(2)
    if token.isdigit():
        return int(token)
    if token == "十":
        return 10
    return _ORDINALS.get(token[-1]) if len(token) == 1 else None


@dataclass
class Understanding:
    """One turn's text, read once."""

    text: str
    folded: str  # width, traditional characters and Cantonese folded
    search_text: str  # folded, without negated clauses (and correction words, for a correction)
    query: AnalyzedQuery  # the index's analysis of search_text
    negated: list[str] = field(default_factory=list)
    correction: bool = False
    ordinal: int | None = None
    yes_no: bool = False
    words: list[str] = field(default_factory=list)  # the item text's words, in order

    @property
    def regions(self):
        return self.query.regions

    @property
    def attributes(self) -> list[str]:
        return self.query.attributes

    def detail_words(self, record_text: str) -> list[str]:
        """The words of the question beyond the item named in ``record_text`` and the attribute."""
        return detail_words(self.words, record_text)


def detail_words(words: list[str], record_text: str) -> list[str]:
    """Of a question's words, those that are neither generic nor the item's own (``record_text``:
    the record's names): 男朋友 21 岁 of 男朋友21岁能领结婚证吗 against 结婚登记 结婚证."""
    record_text = normalize(record_text)
    out: list[str] = []
    for word in words:
        if word in _GENERIC or word in out:
            continue
        if len(word) >= 2 and word in record_text:
            continue
        grams = [word[i : i + 2] for i in range(len(word) - 1)]
        if len(word) >= 3 and record_text and sum(g in record_text for g in grams) * 2 >= len(grams):
            continue  # 领结婚证 is the item 结婚证 with a verb
        if len(word) == 1 and not ("\u3400" <= word <= "\u9fff" or word.isdigit()):
            continue
        out.append(word)
    return out


def understand(text: str, analyzer: Analyzer, *, correction: bool = False) -> Understanding:
    """Read a turn once. ``correction``: the NLU says the citizen corrects the item (不是这个…)."""
    folded = fold_dialect(normalize(text or ""))
    negated = [m.group(0) for m in NEGATED_CLAUSE.finditer(folded)]
    search_text = NEGATED_CLAUSE.sub(" ", folded)
    if correction:
        search_text = CORRECTION_WORDS.sub(" ", search_text)
    query = analyzer.query(search_text)
    words = [w for w in analyzer.words(query.item_text)] if query.item_text else []
    # whole words first: search mode adds the parts of long words, which are no detail of their own
    whole = [w for w in analyzer.cut(query.item_text)] if query.item_text else []
    return Understanding(
        text=text,
        folded=folded,
        search_text=search_text,
        query=query,
        negated=negated,
        correction=correction,
        ordinal=parse_ordinal(text),
        yes_no=bool(_YES_NO.search(folded)),
        words=[w for w in whole if w.strip()] or words,
    )
