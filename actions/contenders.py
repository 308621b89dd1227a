"""Which item a turn means: whether the citizen's words are evidence of an item, whether they
fail to pick one among the best few, and whether a follow-up names another item or stays on
the one in context.

    >>> from actions.contenders import Contenders
    >>> contenders = Contenders(searcher)
    >>> result = searcher.search("开律师事务所，设立许可要什么条件")
    >>> contenders.is_ambiguous(result.groups, result.query)   # 香港、澳门…联营设立许可 adds words not said
    False

The Guide asks which item when :meth:`Contenders.is_ambiguous` says so, and keeps a follow-up on
the current item when :meth:`Contenders.about_current` does.
"""

from __future__ import annotations

from index import regions
from index.analysis import normalize
from index.passages import best_passages
from index.search import Searcher
from index.understanding import CORRECTION_WORDS, Understanding

from .reading import SPECIFIC_WORDS, names_text, rankers_agree, record_text, split_by_region, unasked
from .state import State

# Below this ratio of the best score, the next item is not a contender.
AMBIGUOUS_RATIO = 0.5
MAX_OPTIONS = 6
# A follow-up names another item when its words cover this share of the other's name (护照 of
# 普通护照签发: a third), not a word of it (办公 of 省侨务办公室咨询服务).
NAMED_SHARE = 0.3
NAMED_SHARE_ELSEWHERE = 0.6


class Contenders:
    """The items a turn may mean, read against one deployment's index."""

    def __init__(self, searcher: Searcher):
        self.searcher = searcher
        self.backend = searcher.backend

    def about_current(self, u: Understanding, state: State) -> bool:
        """Whether a turn is a follow-up on the current item rather than about a new one.

        It stays when its words are all in the current record (有效期多久 after 临时身份证), when
        it has no words of its own (电话多少？), when the item the search finds is only touched by
        a word (:meth:`names_other`: 他们办公地址在哪 is no 省侨务办公室咨询服务), or when a passage
        of the record answers it (新证能寄到家里吗). It moves when it names another item (驾驶证换证
        after 身份证) or says the item was wrong (不对，我要问的是…).
        """
        if not state.item_key or CORRECTION_WORDS.match(u.folded.lstrip("，,。 嗯啊呀喂")):
            return False  # 不对，我要问的是离婚登记: said to be another item, whatever the NLU read
        record = self.current_record(state)
        if record is None:
            return False
        own = [w for w in u.detail_words("") if len(w) >= 2]
        if not own:
            return True  # 电话多少？我想先问问: no word of the turn names anything else
        names = names_text(record)
        text = record_text(record)
        if all(w in text for w in own):
            return True
        other = self.searcher.search(u.query, limit=1)
        if other.groups and other.groups[0].item_key != state.item_key and self.has_evidence(other.groups[0], other.query):
            # 驾驶证换证 after 身份证 names the other item; 他们办公地址在哪 after 禁航区审批 only
            # touches 省侨务办公室咨询服务 with a word, and stays
            return not self.names_other(u, other.groups[0], text, state)
        words = u.detail_words(names)
        return bool(words) and bool(best_passages(record, words))

    def names_other(self, u: Understanding, other, current_text: str, state: State) -> bool:
        """Whether a follow-up names another item: one done in the conversation's place, whose
        record holds more of the turn's own words than the current one, and they cover a good
        part of its name."""
        said = {w for w in u.words if len(w) >= 2} | set(u.query.homophones) | set(u.query.procedures)
        place = regions.resolve(state.region) if state.region else None
        share = NAMED_SHARE
        if place is not None and not any(split_by_region(self.backend.implementations(other.item_key), place)):
            # not done where the conversation is: 户口 of 我妈想把户口迁过来 is no 户口迁出 in 龙岗,
            # but 那驾驶证补领呢 names 机动车驾驶证补领 wherever it is done
            share = NAMED_SHARE_ELSEWHERE
        record = self.backend.get(other.hits[0].code) or {}
        theirs, mine = sum(t in record_text(record) for t in said), sum(t in current_text for t in said)
        return theirs > mine and self.name_share(u, other) >= share

    def name_share(self, u: Understanding, group, *, synonyms: bool = True) -> float:
        """How much of an item's name the turn's words cover: their parts, procedure words,
        corrections by sound and, unless ``synonyms`` is off, synonyms count too (补办身份证 →
        居民身份证补领; but 结婚 of a wedding banquet is no 结婚登记)."""
        name = normalize(group.name)
        covered = [False] * len(name)
        words = {w for w in self.backend.analyzer.words(u.query.item_text) if len(w) >= 2}
        words |= set(u.query.homophones) | set(u.query.procedures)
        if synonyms:
            words |= set(u.query.expansions) - set(u.query.procedures)
        for word in words:
            at = name.find(word)
            while at >= 0:
                covered[at : at + len(word)] = [True] * len(word)
                at = name.find(word, at + 1)
        return sum(covered) / max(len(name), 1)

    def names_item(self, text: str) -> bool:
        """Whether a text names an item: its best match has one of the text's words in its names."""
        if not text.strip():
            return False
        result = self.searcher.search(text, limit=1, meaning=False)
        # a single character left over (省 of 省水利厅) names no item
        return bool(result.groups) and self.has_evidence(result.groups[0], result.query, min_length=2)

    def current_record(self, state: State) -> dict | None:
        if state.item_code:
            return self.backend.get(state.item_code)
        impls = self.backend.implementations(state.item_key) if state.item_key else []
        return self.backend.get(impls[0][0]) if impls else None

    def is_ambiguous(self, groups, query) -> bool:
        """Whether the citizen's words fail to pick one item among the best few.

        Not ambiguous when the best item clearly outscores the next, when one of the citizen's
        own words is in the best item and not in the next (医疗 picks 医疗保险 over 养老保险), or
        when the next item's name contains the best one's (居住证申领 is the plain case of
        港澳台居民居住证申领). Ambiguous when nothing tells them apart: 驾照 (换证 or 补领?),
        补领 (of what?), 登记的事.
        """
        if len(groups) < 2:
            return False
        top, second = groups[0], groups[1]
        if second.score < AMBIGUOUS_RATIO * top.score:
            return False
        if any(h.region_match for h in top.hits) and not any(h.region_match for h in second.hits):
            return False  # 南山区建设工程规划许可证: the other item is not done in the place named
        analyzer = self.backend.analyzer
        # the citizen's whole words that the loaded records use (not 我要, 怎么, 去哪)
        known = {w for w in analyzer.cut(query.item_text) if len(w) >= 2 and w in analyzer.vocabulary}
        specific = len(known) >= SPECIFIC_WORDS
        if specific and rankers_agree(groups[:MAX_OPTIONS]):
            return False
        words = {t for t in self.backend.analyzer.words(query.item_text) if len(t) >= 2}
        words |= set(query.expansions) | set(query.homophones)
        top_text, second_text = self.item_text(top), self.item_text(second)
        if any(w in top_text and w not in second_text for w in words):
            return False
        if normalize(top.name) in normalize(second.name):
            return False
        # 律师事务所设立许可 over 香港、澳门律师事务所与…联营设立许可: the next item's name holds
        # more words that the citizen did not say than the best one's
        asked = " ".join([query.folded, *query.expansions, *query.corrections])
        if len(unasked(top.name, asked)) < len(unasked(second.name, asked)):
            return False
        return True

    def has_evidence(self, group, query, *, min_length: int = 1) -> bool:
        """Whether a word of the citizen (or its synonym or correction) is in the item's names.

        A match through character bigrams or pinyin alone (火星签证 → 准迁证) is no match.
        """
        words = {t for t, w in query.terms.get("name", []) if w >= 1.0 and len(t) >= min_length}
        words.update(query.corrections)
        # a word the records use inside the citizen's own (军人 of 退役军人, 集中 of 集中供养)
        analyzer = self.backend.analyzer
        words.update(w for w in analyzer.words(query.item_text) if len(w) >= max(2, min_length) and w in analyzer.vocabulary)
        text = self.item_text(group)
        return any(w in text for w in words)

    def item_text(self, group) -> str:
        return names_text(self.backend.get(group.hits[0].code) or {})

    def in_context(self, text: str, state: State):
        """Search again with the current item's name in front: 补领 after 身份证首次申领."""
        current = self.backend.implementations(state.item_key)
        if not current:
            return None
        record = self.backend.get(current[0][0])
        if record is None:
            return None
        result = self.searcher.search(f"{record['事项名称']} {text}", limit=MAX_OPTIONS, meaning=False)
        return result.groups or None
