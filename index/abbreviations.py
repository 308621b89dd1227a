"""Short forms citizens make of the records' words: 安评 for 安全评价, 法援 for 法律援助, 农科院 for
农业科学院, 微生物所 for 微生物研究所.

    >>> short_forms = ShortForms(["广东省安全评价机构查询", "省微生物研究所新闻查询"])
    >>> short_forms.expand("安评"), short_forms.expand("微生物所")
    (['安全评价'], ['微生物研究所'])

Chinese shortens a phrase by keeping the start of its words (安全评价 → 安评) and sometimes the
last character of the last one (科学院 → 院, 研究所 → 所). Every run of two to four words in the
loaded names is a phrase a citizen may shorten, so a deployment's own items are understood in
short without a table of abbreviations. A short form that could stand for more than a few
phrases is left alone: it says too little to pick one. Words are not skipped (非遗 for
非物质文化遗产 is not read): skipping let 查档 stand for 查询省外毕业生档案, and it cost more
everyday names than it found on the development sets.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from typing import Iterable

from .analysis import dictionary_has, plain_words

MAX_READINGS = 3
_CHINESE = re.compile(r"[\u3400-\u9fff]+")
# Kept as the last character of a short form: the kind of body (农科院, 水稻所, 民宗委), not
# any word's end (消息 is no short form of 消费品召回信息)
KIND_ENDINGS = frozenset("所院局委会办厅站队处室馆校")
# Level words that start names (省农业科学院) and start no short form of their own (省特 ≠ 省特种…)
QUALIFIERS = frozenset("省市区县镇")
MAX_RUN = 4  # 非物质文化遗产: 非 物质 文化 遗产


def fine_words(text: str) -> tuple[str, ...]:
    """Words, a long one split where both halves are words (高等学校 → 高等 学校, 农业科学院 →
    农业 科学院): the units a short form keeps the start of."""
    out: list[str] = []
    for word in plain_words(text):
        out.extend(_split(word))
    return tuple(out)


def _split(word: str) -> list[str]:
    if len(word) >= 4:
        for cut in range(2, len(word) - 1):
            if dictionary_has(word[:cut]) and dictionary_has(word[cut:]):
                return [*_split(word[:cut]), *_split(word[cut:])]
    return [word]


def shortens(short: str, words: tuple[str, ...]) -> bool:
    """Whether ``short`` keeps the start of each word in turn and ends on the last one: its
    start, or its last character when that names a kind of body (所 of 研究所), or both (科…院
    of 科学院)."""
    last = len(words) - 1

    @functools.cache
    def match(at: int, word: int) -> bool:
        # short[:at] stands for words[:word]; the next part must start words[word]
        if at == len(short):
            return word == len(words)
        if word > last:
            return False
        current = words[word]
        if at and word == last and at == len(short) - 1 and short[at] == current[-1] in KIND_ENDINGS:
            return True
        size = 1
        while at + size <= len(short) and size <= len(current) and short[at : at + size] == current[:size]:
            if match(at + size, word + 1):
                return True
            if word == last and at + size == len(short) - 1 and short[-1] == current[-1] in KIND_ENDINGS and len(current) > size + 1:
                return True
            size += 1
        return False

    return len(short) >= 2 and len(words) >= 2 and match(0, 0)


class ShortForms:
    """The phrases of the loaded names (runs of two to four words), by their first character."""

    def __init__(self, lexicon: Iterable[str]):
        self._by_first: dict[str, set[tuple[str, ...]]] = defaultdict(set)
        for entry in lexicon:
            words = fine_words(entry)
            for start in range(len(words)):
                if words[start] in QUALIFIERS:
                    continue
                for size in range(2, MAX_RUN + 1):
                    run = words[start : start + size]
                    if len(run) == size:
                        self._by_first[run[0][0]].add(run)

    def expand(self, short: str) -> list[str]:
        """The phrases ``short`` may stand for; none when it could stand for too many."""
        found = {"".join(run) for run in self._by_first.get(short[:1], ()) if shortens(short, run)}
        found.discard(short)
        found = {f for f in found if len(f) > len(short)}
        return sorted(found) if len(found) <= MAX_READINGS else []

    def long_forms(self, tokens: list[str], vocabulary, known, stop) -> list[str]:
        """The phrases a text's short forms stand for: runs of one to three of its ``tokens``, and
        the stretches of a token no dictionary knows (做安评), that the records do not use as they
        are (``vocabulary``); ``known`` is the tokenizer's dictionary."""
        spans: set[str] = set()
        for start, token in enumerate(tokens):
            for size in (1, 2, 3):
                run = tokens[start : start + size]
                if len(run) == size:
                    spans.add("".join(run))
            if len(token) >= 3 and token not in vocabulary and not known.get(token):
                spans.update(token[i:j] for i in range(len(token)) for j in range(i + 2, len(token) + 1))
        found: set[str] = set()
        for span in spans:
            if 2 <= len(span) <= 6 and span not in vocabulary and _CHINESE.fullmatch(span) and span[0] not in stop:
                found.update(self.expand(span))
        return sorted(found)
