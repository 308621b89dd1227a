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
from index.analysis import fold_dialect, normalize
from index.answers import answer_for
from index.errors import BackendUnavailable
from index.search import Searcher, SearchResult

# Below this ratio of the best score, the next item is not a contender.
AMBIGUOUS_RATIO = 0.5
MAX_OPTIONS = 6
MAX_REGION_BUTTONS = 8

_ORDINALS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
# 不是开公司，是开个体户: the negated clause names what is NOT meant; only the rest is searched.
_NEGATED_CLAUSE = re.compile(r"(?:不是|并非|而不是)[^，,。；;！!？?]{1,20}[，,；;]\s*(?=\S)")
_CORRECTION_WORDS = re.compile(
    r"不是这个|不是这样|不是|不对|搞错了|弄错了|讲错了|说错了|讲错|说错|我说的是|我问的是|我要的是|我是问|应该是|是指|其实是|我是"
)


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
    # "consent" while the citizen is asked whether to pre-fill an application for the item.
    apply_stage: str | None = None

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


_ORDINAL = re.compile(
    r"^\s*(?:就|选|揀|拣|要|是|系)?\s*(?:第\s*([一二两三四五六七八九十\d]+)\s*[个個项項条]?|([1-9])\s*[号個个]?|(最后一个|最后嗰个|最后那个))\s*(?:吧|啦|呀|啊|喇|囉|啰|嘅)?\s*[。.!！]?\s*$"
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


class Guide:
    """Item and region resolution and answers for one deployment's index."""

    def __init__(self, searcher: Searcher, *, guide_link: str = "/api/items/{code}/guide"):
        self.searcher = searcher
        self.backend = searcher.backend
        self.guide_link = guide_link

    # -- public turns ---------------------------------------------------------------------------

    def ask(self, text: str, attribute: str | None, state: State) -> Turn:
        """A question (attribute) or a bare mention of an item (attribute None).

        Besides the classified attribute, the attribute words of the text are answered too (up
        to three): 网上在哪里办 gets the online address and the place.
        """
        state = replace(state)  # a turn never changes the caller's state
        text = _NEGATED_CLAUSE.sub(" ", fold_dialect(normalize(text)))
        if state.options and state.options[0]["kind"] == "item" and self._pick_option(text, None, state.options):
            return self.choose(text, None, state)
        try:
            result = self.searcher.search(text, limit=MAX_OPTIONS)
        except BackendUnavailable:
            return Turn([Say("utter_service_unavailable")], state)
        attributes = _merge_attributes(attribute, result.attributes)
        if not attributes and state.pending_attribute:
            # 要带什么材料？→ 哪个事项？→ 补办身份证: the reply names the item of the open question.
            attributes = state.pending_attribute.split(",")
        state = self._with_region(state, result)
        if result.query.empty:
            if state.item_base:
                return self._answer_item(state.item_base, attributes or _pending(state), state)
            state.pending_attribute = _joined(attributes)
            return Turn([Say("utter_ask_item")], state)
        groups = result.groups if result.groups and self._has_evidence(result.groups[0], result.query) else []
        if not groups:
            if state.item_base and attribute:
                # The NLU is sure this asks about an attribute (几天批？/ 工作人员态度很差，怎么投诉？)
                # and no other item is named: it is about the item in context.
                return self._answer_item(state.item_base, attributes, state)
            return self._not_found(state)
        if state.item_base and self._is_ambiguous(groups, result.query):
            contextual = self._in_context(text, state)
            if contextual is not None:
                groups = contextual
        if self._is_ambiguous(groups, result.query):
            state.pending_attribute = _joined(attributes)
            return self._ask_item(groups, state)
        state.misses = 0
        if result.ambiguous_regions:
            state.region = self._region_with_item([result.region, *result.ambiguous_regions], groups[0].base_code)
        return self._answer_item(groups[0].base_code, attributes, state)

    def choose(self, text: str, option: str | None, state: State) -> Turn:
        """The reply to offered options: a button, 第二个, or the option's name typed."""
        state = replace(state)  # a turn never changes the caller's state
        options = state.options or []
        picked = self._pick_option(text, option, options)
        if picked is None:
            found, _ = self._regions_in(text, state)
            if found and state.item_base:
                return self.inform_region(text, state)
            return self.ask(text, _first(state.pending_attribute), state)
        attributes = _pending(state)
        state.options = None
        if picked["kind"] == "item":
            return self._answer_item(picked["value"], attributes, state)
        if picked["kind"] == "city":
            state.region = picked["value"]
            return self._answer_item(state.item_base, attributes, state)
        state.region = picked["region"]
        return self._answer_code(picked["value"], attributes, state)

    def inform_region(self, text: str, state: State) -> Turn:
        """A region named on its own: pick the implementation there, or remember it."""
        state = replace(state)  # a turn never changes the caller's state
        if state.options and self._pick_option(text, None, state.options) is not None:
            return self.choose(text, None, state)
        found, rest = self._regions_in(text, state)
        if not found:
            return self.ask(text, _first(state.pending_attribute), state)
        if state.item_base and _has_item_words(rest, self.searcher):
            # 那顺德的驾驶证补领呢: a region and another item at once
            return self.ask(text, _first(state.pending_attribute) or state.last_attribute, state)
        state.region, state.item_code, state.options = found[0].full_name, None, None
        if not state.item_base:
            return Turn([Say("utter_ask_item", {"region": _short_region(state.region)})], state)
        return self._answer_item(state.item_base, _pending(state), state)

    def correct(self, text: str, state: State) -> Turn:
        """不是这个，我说的是补领: another item, read in the context of the current one.

        A correction of the place only (讲错咗，我系顺德嘅) answers again for the new place.
        """
        state = replace(state)  # a turn never changes the caller's state
        cleaned = _CORRECTION_WORDS.sub(" ", _NEGATED_CLAUSE.sub(" ", fold_dialect(normalize(text))))
        attributes = _pending(state)
        try:
            result = self.searcher.search(cleaned, limit=MAX_OPTIONS)
        except BackendUnavailable:
            return Turn([Say("utter_service_unavailable")], state)
        state = self._with_region(state, result)
        attributes = _merge_attributes(None, result.attributes) or attributes
        if result.query.empty:
            if state.item_base and result.region is not None:
                return self._answer_item(state.item_base, attributes, state)
            return self._ask_item_fresh(state)
        groups = [g for g in result.groups if g.base_code != state.item_base]
        if state.item_base:
            contextual = self._in_context(cleaned, state)
            if contextual:
                groups = [g for g in contextual if g.base_code != state.item_base] or groups
        if not groups:
            return self._ask_item_fresh(state)
        if self._is_ambiguous(groups, result.query):
            state.pending_attribute = _joined(attributes)
            return self._ask_item(groups, state)
        state.item_code = None
        return self._answer_item(groups[0].base_code, attributes, state)

    def fallback(self, text: str, state: State) -> Turn:
        """The NLU was unsure: read the text through the index before giving up.

        A region or an option when one was asked for, an attribute of the item in context, or an
        item the index knows are answered as such; anything else is out of scope, and a second
        miss in a row offers a human.
        """
        state = replace(state)  # a turn never changes the caller's state
        if state.options and self._pick_option(text, None, state.options) is not None:
            return self.choose(text, None, state)
        found, rest = self._regions_in(text, state)
        if found and state.item_base and not _has_item_words(rest, self.searcher):
            return self.inform_region(text, state)
        try:
            result = self.searcher.search(text, limit=MAX_OPTIONS)
        except BackendUnavailable:
            return Turn([Say("utter_service_unavailable")], state)
        known_item = result.groups and self._has_evidence(result.groups[0], result.query)
        follow_up = result.query.empty and result.attributes and state.item_base
        if known_item or follow_up:
            return self.ask(text, None, state)
        state.misses += 1
        if state.misses >= 2:
            return Turn([Say("utter_offer_human", buttons=_human_buttons())], state)
        return Turn([Say("utter_out_of_scope")], state)

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
        words = {t for t in self.backend.analyzer.words(query.item_text) if len(t) >= 2}
        words |= set(query.expansions) | set(query.homophones)
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

    def _answer_item(self, base_code: str, attributes: list[str | None], state: State) -> Turn:
        """Pick the implementation of an item for the state's region, asking when needed."""
        if state.item_base != base_code:
            state.item_code = None
        state.item_base = base_code
        if state.item_code:
            return self._answer_code(state.item_code, attributes, state)
        impls = self.backend.implementations(base_code)
        if not impls:
            return self._not_found(state)
        if len(impls) == 1:
            return self._answer_code(impls[0][0], attributes, state)
        region = regions.resolve(state.region) if state.region else None
        if region is not None:
            serving, within = _split_by_region(impls, region)
            if serving:
                return self._answer_code(serving[0][0], attributes, state)
            if len(within) == 1:
                return self._answer_code(within[0][0], attributes, state)
            if within:
                return self._ask_region(within, attributes, state)
            return self._ask_region(impls, attributes, state, missing_in=state.region)
        return self._ask_region(impls, attributes, state)

    def _ask_region(self, impls, attributes, state: State, *, missing_in=None) -> Turn:
        state.pending_attribute = _joined(attributes)
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

    def _answer_code(self, code: str, attributes: list[str | None], state: State) -> Turn:
        record = self.backend.get(code)
        if record is None:
            return self._not_found(state)
        state.item_code, state.item_base = code, record["基本编码"]
        state.pending_attribute, state.options, state.misses = None, None, 0
        asked = [a for a in attributes if a] or [None]
        if "apply" in asked:
            return self._offer_application(record, state)
        if asked[0]:
            state.last_attribute = asked[0]
        link = self.guide_link.format(code=code)
        says = []
        for attribute in asked:
            answer = answer_for(record, attribute or "overview", link=link)
            says.append(Say(answer.response, answer.values, [] if attribute else _follow_up_buttons()))
        return Turn(says, state)

    def _offer_application(self, record: dict, state: State) -> Turn:
        """Ask consent before any personal data is asked for (the form comes after 同意)."""
        state.apply_stage = "consent"
        values = {"item": record["事项名称"], "place": _short_region(record.get("行政区划", ""))}
        return Turn([Say("utter_apply_consent", values, _consent_buttons())], state)

    def _region_with_item(self, candidates, base_code: str) -> str:
        """Of several places with the name the citizen used, the one where the item is handled."""
        impls = self.backend.implementations(base_code)
        for division in candidates:
            serving, within = _split_by_region(impls, division)
            if serving or within:
                return division.full_name
        return candidates[0].full_name

    def _regions_in(self, text: str, state: State):
        """The regions a text names, the ones that fit the conversation first.

        Several towns share a name (狮山: 南海 and 香洲): the one among the offered options, or in
        the city of the current region, or where the item is implemented, is the one meant.
        """
        found, rest = regions.take_regions(fold_dialect(normalize(text)))
        if len(found) < 2:
            return found, rest
        context: set[str] = set()
        for option in state.options or []:
            division = regions.resolve(option.get("region") or option["value"])
            context.update(regions.chain_codes(division))
        if state.region and regions.resolve(state.region):
            context.update(regions.chain_codes(regions.resolve(state.region))[:2])
        if state.item_base:
            for _, region_text in self.backend.implementations(state.item_base):
                context.update(regions.chain_codes(regions.resolve(region_text))[:2])
        fitting = [d for d in found if set(regions.chain_codes(d)) & context - {"440000"}]
        return (fitting or found), rest

    def _pick_option(self, text: str, option: str | None, options: list[dict]) -> dict | None:
        """Which offered option a reply means: its number, a place in or around it, or its name."""
        if not options:
            return None
        number = parse_ordinal(option) or parse_ordinal(text)
        if number is not None:
            if number == -1:
                return options[-1]
            if 1 <= number <= len(options):
                return options[number - 1]
        if options[0]["kind"] in ("region", "city"):
            found, _ = self._regions_in(text, State(options=options))
            for named in found:
                named_chain = set(regions.chain_codes(named))
                matches = []
                for option_ in options:
                    division = regions.resolve(option_.get("region") or option_["value"])
                    # the option's place is the named one, contains it, or lies inside it
                    if division is not None and (
                        division.code in named_chain or named.code in regions.chain_codes(division)
                    ):
                        matches.append((len(regions.chain_codes(division)), option_))
                if matches:
                    return max(matches, key=lambda m: m[0])[1]
            return None
        folded = normalize(text)
        named = [o for o in options if o["title"] and (normalize(o["title"]) in folded)]
        if len(named) == 1:
            return named[0]
        # 身份证 after 补领 → the one option whose name holds the reply's item words
        words = [t for t, _ in self.searcher.analyze(text).terms.get("name", []) if len(t) >= 2]
        holding = [o for o in options if words and all(w in normalize(o["title"]) for w in words)]
        return holding[0] if len(holding) == 1 else None


def _consent_buttons() -> list[dict]:
    return [{"title": "同意，开始填写", "payload": "/affirm"}, {"title": "不用了", "payload": "/deny"}]


def _joined(attributes: list[str | None]) -> str | None:
    """Several pending attributes kept in one text slot: 'process,phone'."""
    kept = [a for a in attributes if a]
    return ",".join(kept) if kept else None


def _first(pending: str | None) -> str | None:
    return pending.split(",")[0] if pending else None


def _pending(state: State) -> list[str | None]:
    if state.pending_attribute:
        return state.pending_attribute.split(",")
    return [state.last_attribute]


def _merge_attributes(classified: str | None, detected: list[str]) -> list[str]:
    """The classified attribute first, then the other attribute words of the text (three at most)."""
    merged = [classified] if classified else []
    merged += [a for a in detected if a not in merged]
    return merged[:3]


def _has_item_words(text: str, searcher: Searcher) -> bool:
    query = searcher.analyze(text)
    return not query.empty and any(len(t) >= 2 for t, _ in query.terms.get("name", []))


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
