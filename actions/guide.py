"""The conversation's reasoning about items and regions, free of Rasa.

    >>> from actions.guide import Guide, State
    >>> guide = Guide(Searcher(open_backend()))
    >>> turn = guide.ask("我想办居住证要带什么", "materials", State())
    >>> [say.response for say in turn.says], turn.state.pending_attribute
    (['utter_ask_region'], 'materials')                # implemented in several regions: ask
    >>> turn = guide.choose("桂城", None, turn.state)
    >>> turn.says[0].response, turn.state.item_code
    ('utter_materials', '12440605…442106040001')

A turn reads the citizen's text through the index (:class:`index.search.Searcher`): which item
(基本编码), which region, which attribute; keeps what the text does not say from the state (a
follow-up 那要多久？ is about the same item and place); asks when it cannot know (several items
fit, or several implementations and no region that picks one); and answers from the chosen
record only (:mod:`index.answers`). The Rasa actions are thin wrappers around these methods.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from index import regions
from index.analysis import normalize
from index.answers import answer_for
from index.errors import BackendUnavailable
from index.search import Searcher, SearchResult

# Below this ratio of the best score, the next item is not a contender.
AMBIGUOUS_RATIO = 0.5
MAX_OPTIONS = 6
MAX_REGION_BUTTONS = 8

_ORDINALS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_CORRECTION_WORDS = re.compile(r"不是这个|不是这样|唔系呢个|唔系|不是|不对|搞错了|弄错了|我说的是|我问的是|我要的是|我系问|应该是|是指")


@dataclass
class State:
    """What the conversation has established: kept in Rasa slots between turns."""

    item_base: str | None = None
    item_code: str | None = None
    region: str | None = None
    pending_attribute: str | None = None
    last_attribute: str | None = None
    options: list[dict] | None = None
    misses: int = 0

    @classmethod
    def from_slots(cls, slots: dict[str, Any]) -> "State":
        names = cls.__dataclass_fields__
        values = {k: v for k, v in slots.items() if k in names and v is not None}
        if "misses" in values:
            values["misses"] = int(values["misses"])
        return cls(**values)

    def as_slots(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Say:
    """One bot message: a response name of the domain, its values and buttons."""

    response: str
    values: dict[str, Any] = field(default_factory=dict)
    buttons: list[dict] = field(default_factory=list)


@dataclass
class Turn:
    says: list[Say]
    state: State


def _short_region(full: str) -> str:
    return full.removeprefix("广东省")


def parse_ordinal(text: str | None) -> int | None:
    """第二个 / 2 / 选3 / 最后一个 → 2, 2, 3, -1."""
    if not text:
        return None
    if "最后" in text:
        return -1
    digits = re.search(r"[1-9]", text)
    if digits:
        return int(digits.group(0))
    for ch in text:
        if ch in _ORDINALS:
            return _ORDINALS[ch]
    return None


class Guide:
    """Item and region resolution and answers for one deployment's index."""

    def __init__(self, searcher: Searcher, *, guide_link: str = "/api/items/{code}/guide"):
        self.searcher = searcher
        self.backend = searcher.backend
        self.guide_link = guide_link

    # -- public turns ---------------------------------------------------------------------------

    def ask(self, text: str, attribute: str | None, state: State) -> Turn:
        """A question (attribute) or a bare mention of an item (attribute None)."""
        state = replace(state)  # a turn never changes the caller's state
        try:
            result = self.searcher.search(text, limit=MAX_OPTIONS)
        except BackendUnavailable:
            return Turn([Say("utter_service_unavailable")], state)
        attribute = attribute or (result.attributes[0] if result.attributes else None)
        state = self._with_region(state, result)
        if result.query.empty:
            if state.item_base:
                return self._answer_item(state.item_base, attribute or state.last_attribute, state)
            state.pending_attribute = attribute
            return Turn([Say("utter_ask_item")], state)
        groups = result.groups if result.groups and self._has_evidence(result.groups[0], result.query) else []
        if not groups:
            return self._not_found(state)
        if state.item_base and self._is_ambiguous(groups, result.query):
            contextual = self._in_context(text, state)
            if contextual is not None:
                groups = contextual
        if self._is_ambiguous(groups, result.query):
            state.pending_attribute = attribute
            return self._ask_item(groups, state)
        state.misses = 0
        return self._answer_item(groups[0].base_code, attribute, state)

    def choose(self, text: str, option: str | None, state: State) -> Turn:
        """The reply to offered options: a button, 第二个, or the option's name typed."""
        state = replace(state)  # a turn never changes the caller's state
        options = state.options or []
        picked = self._pick_option(text, option, options)
        if picked is None:
            if options and options[0]["kind"] == "region":
                return self.inform_region(text, state)
            return self.ask(text, state.pending_attribute, state)
        attribute = state.pending_attribute or state.last_attribute
        state.options = None
        if picked["kind"] == "item":
            return self._answer_item(picked["value"], attribute, state)
        if picked["kind"] == "city":
            state.region = picked["value"]
            return self._answer_item(state.item_base, attribute, state)
        state.region = picked["region"]
        return self._answer_code(picked["value"], attribute, state)

    def inform_region(self, text: str, state: State) -> Turn:
        """A region named on its own: pick the implementation there, or remember it."""
        state = replace(state)  # a turn never changes the caller's state
        found, _ = regions.take_regions(text)
        if state.options and state.options[0]["kind"] in ("region", "city"):
            picked = self._pick_option(text, None, state.options)
            if picked is not None:
                return self.choose(text, None, state)
        if not found:
            return self.ask(text, state.pending_attribute, state)
        state.region = found[0].full_name
        state.options = None
        if not state.item_base:
            return Turn([Say("utter_ask_item", {"region": _short_region(state.region)})], state)
        return self._answer_item(state.item_base, state.pending_attribute or state.last_attribute, state)

    def correct(self, text: str, state: State) -> Turn:
        """不是这个，我说的是补领: another item, read in the context of the current one."""
        state = replace(state)  # a turn never changes the caller's state
        cleaned = _CORRECTION_WORDS.sub(" ", text)
        attribute = state.pending_attribute or state.last_attribute
        try:
            result = self.searcher.search(cleaned, limit=MAX_OPTIONS)
        except BackendUnavailable:
            return Turn([Say("utter_service_unavailable")], state)
        state = self._with_region(state, result)
        if result.attributes:
            attribute = result.attributes[0]
        groups = [g for g in result.groups if g.base_code != state.item_base]
        if state.item_base:
            contextual = self._in_context(cleaned, state)
            if contextual:
                groups = [g for g in contextual if g.base_code != state.item_base] or groups
        if not groups:
            if state.item_base:
                return self._ask_item_fresh(state)
            return self._not_found(state)
        if self._is_ambiguous(groups, result.query):
            state.pending_attribute = attribute
            return self._ask_item(groups, state)
        state.item_code = None
        return self._answer_item(groups[0].base_code, attribute, state)

    def fallback(self, text: str, state: State) -> Turn:
        """The NLU was unsure: try the index; else ask to rephrase, then offer a human."""
        state = replace(state)  # a turn never changes the caller's state
        try:
            result = self.searcher.search(text, limit=MAX_OPTIONS)
        except BackendUnavailable:
            return Turn([Say("utter_service_unavailable")], state)
        if (
            result.groups
            and self._has_evidence(result.groups[0], result.query)
            and not self._is_ambiguous(result.groups, result.query)
        ):
            return self.ask(text, None, state)
        state.misses += 1
        if state.misses >= 2:
            return Turn([Say("utter_offer_human", buttons=_human_buttons())], state)
        return Turn([Say("utter_rephrase")], state)

    # -- helpers --------------------------------------------------------------------------------

    @staticmethod
    def _with_region(state: State, result: SearchResult) -> State:
        if result.region is not None and result.region.full_name != state.region:
            state.region = result.region.full_name
            state.item_code = None  # the place changed: pick the implementation again
        return state

    def _is_ambiguous(self, groups, query) -> bool:
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
        words = {t for t, w in query.terms.get("name", []) if w >= 1.0}
        top_text, second_text = self._item_text(top), self._item_text(second)
        if any(w in top_text and w not in second_text for w in words):
            return False
        if normalize(top.name) in normalize(second.name):
            return False
        return True

    def _has_evidence(self, group, query) -> bool:
        """Whether a word of the citizen (or its synonym or correction) is in the item's names.

        A match through character bigrams or pinyin alone (火星签证 → 准迁证) is no match.
        """
        words = {t for t, w in query.terms.get("name", []) if w >= 1.0}
        words.update(query.corrections)
        text = self._item_text(group)
        return any(w in text for w in words)

    def _item_text(self, group) -> str:
        record = self.backend.get(group.hits[0].code) or {}
        parts = [record.get("事项名称", ""), *(record.get("日常用语") or [])]
        parts += [s.get("名称", "") for s in record.get("业务办理项") or [] if isinstance(s, dict)]
        parts += [r.get("名称", "") for r in record.get("办理结果") or [] if isinstance(r, dict)]
        return normalize(" ".join(p for p in parts if isinstance(p, str)))

    def _in_context(self, text: str, state: State):
        """Search again with the current item's name in front: 补领 after 身份证首次申领."""
        current = self.backend.implementations(state.item_base)
        if not current:
            return None
        record = self.backend.get(current[0][0])
        if record is None:
            return None
        result = self.searcher.search(f"{record['事项名称']} {text}", limit=MAX_OPTIONS)
        return result.groups or None

    def _not_found(self, state: State) -> Turn:
        state.misses += 1
        if state.misses >= 2:
            return Turn([Say("utter_offer_human", buttons=_human_buttons())], state)
        return Turn([Say("utter_item_not_found")], state)

    def _ask_item(self, groups, state: State) -> Turn:
        options = [{"kind": "item", "value": g.base_code, "title": g.name} for g in groups[:MAX_OPTIONS]]
        # near-duplicates below a clear gap are noise, not options
        keep = [o for o, g in zip(options, groups) if g.score >= AMBIGUOUS_RATIO * groups[0].score] or options[:2]
        state.options = keep
        buttons = [{"title": o["title"], "payload": f'/choose_option{{"option":"{n}"}}'} for n, o in enumerate(keep, 1)]
        return Turn([Say("utter_ask_which_item", buttons=buttons)], state)

    def _ask_item_fresh(self, state: State) -> Turn:
        state.item_base, state.item_code = None, None
        return Turn([Say("utter_ask_item")], state)

    def _answer_item(self, base_code: str, attribute: str | None, state: State) -> Turn:
        """Pick the implementation of an item for the state's region, asking when needed."""
        if state.item_base != base_code:
            state.item_code = None
        state.item_base = base_code
        if state.item_code:
            return self._answer_code(state.item_code, attribute, state)
        impls = self.backend.implementations(base_code)
        if not impls:
            return self._not_found(state)
        if len(impls) == 1:
            return self._answer_code(impls[0][0], attribute, state)
        region = regions.resolve(state.region) if state.region else None
        if region is not None:
            serving, within = _split_by_region(impls, region)
            if serving:
                return self._answer_code(serving[0][0], attribute, state)
            if len(within) == 1:
                return self._answer_code(within[0][0], attribute, state)
            if within:
                return self._ask_region(base_code, within, attribute, state, narrowed=True)
            return self._ask_region(base_code, impls, attribute, state, missing_in=state.region)
        return self._ask_region(base_code, impls, attribute, state)

    def _ask_region(self, base_code, impls, attribute, state: State, *, narrowed=False, missing_in=None) -> Turn:
        state.pending_attribute = attribute
        name = self._item_name(impls[0][0])
        if len(impls) > MAX_REGION_BUTTONS:
            # Too many places for buttons (a generated province-wide corpus): ask the city first.
            cities: dict[str, str] = {}
            for _, region_text in impls:
                division = regions.resolve(region_text)
                chain = regions.chain_codes(division) if division else []
                city = regions.div.by_code(chain[1]) if len(chain) > 1 else None
                if city is not None:
                    cities.setdefault(city.full_name, city.name)
            state.options = [{"kind": "city", "value": full, "title": short} for full, short in sorted(cities.items())]
        else:
            state.options = [
                {"kind": "region", "value": code, "region": region_text, "title": _short_region(region_text)}
                for code, region_text in impls
            ]
        buttons = [
            {"title": o["title"], "payload": f'/choose_option{{"option":"{n}"}}'}
            for n, o in enumerate(state.options[: MAX_REGION_BUTTONS * 3], 1)
        ]
        says = []
        if missing_in:
            says.append(Say("utter_not_in_region", {"item": name, "region": _short_region(missing_in)}))
        says.append(Say("utter_ask_region", {"item": name}, buttons))
        return Turn(says, state)

    def _item_name(self, code: str) -> str:
        record = self.backend.get(code)
        return record["事项名称"] if record else ""

    def _answer_code(self, code: str, attribute: str | None, state: State) -> Turn:
        record = self.backend.get(code)
        if record is None:
            return self._not_found(state)
        state.item_code, state.item_base = code, record["基本编码"]
        state.pending_attribute, state.options, state.misses = None, None, 0
        if attribute:
            state.last_attribute = attribute
        answer = answer_for(record, attribute or "overview", link=self.guide_link.format(code=code))
        buttons = _follow_up_buttons() if not attribute else []
        return Turn([Say(answer.response, answer.values, buttons)], state)

    @staticmethod
    def _pick_option(text: str, option: str | None, options: list[dict]) -> dict | None:
        if not options:
            return None
        number = parse_ordinal(option) or (parse_ordinal(text) if len(text.strip()) <= 6 else None)
        if number is not None:
            if number == -1:
                return options[-1]
            if 1 <= number <= len(options):
                return options[number - 1]
        # A typed name: the region or item title, or a region containing/inside an option's.
        for option_ in options:
            if option_["title"] and option_["title"] in text:
                return option_
        found, _ = regions.take_regions(text)
        if found and options[0]["kind"] in ("region", "city"):
            named = found[0]
            named_chain = set(regions.chain_codes(named))
            for option_ in options:
                region_text = option_.get("region") or option_["value"]
                division = regions.resolve(region_text)
                if division is None:
                    continue
                # the option's place is the named one, inside it, or contains it
                if division.code in named_chain or named.code in regions.chain_codes(division):
                    return option_
        return None


def _split_by_region(impls: list[tuple[str, str]], region) -> tuple[list, list]:
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


def _follow_up_buttons() -> list[dict]:
    return [
        {"title": "要带什么材料", "payload": "/ask_materials"},
        {"title": "多久能办好", "payload": "/ask_time_limit"},
        {"title": "在哪里办", "payload": "/ask_location"},
        {"title": "要不要钱", "payload": "/ask_fee"},
    ]


def _human_buttons() -> list[dict]:
    return [{"title": "转人工服务", "payload": "/request_human"}, {"title": "我再换个说法", "payload": "/deny"}]
