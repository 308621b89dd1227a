"""Compare two places: 南海和禅城办居住证有什么不同 → the same item's records side by side.

    >>> turn = compare_places(guide, "南海和禅城办居住证有什么不同", State())
    >>> turn.says[0].response, turn.says[0].values["places"]
    ('utter_compare_places', '佛山市南海区桂城街道、佛山市禅城区祖庙街道')

The item comes from the words (or the conversation: 那禅城同南海有咩唔同), the places from the
region names (one named and the conversation's own: 禅城呢，同这里比). Each place gets the
implementation that serves it (a district's own, else the first of its towns, named in full so
the citizen sees which office is compared). The comparison itself is :mod:`index.compare`.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from index import compare, regions

from .reading import split_by_region
from .state import Say, State, Turn

LINK = "/api/items/compare"
# What asks for a comparison: not words of an item, so kept out of the item search.
COMPARE_WORDS = re.compile(
    r"有(?:什么|咩|乜|啥|乜嘢|什麼)(?:不同|唔同|区别|區別|差别|差別|分别|分別|不一样|唔一样)|"
    r"(?:区别|區別|差别|差別|差异|差異|分别|分別|不同|唔同|对比|對比|比较|比較|比一比|一样吗|一樣嗎|一不一样|同唔同|一唔一样)"
    r"|(?:有)?(?:什么|咩)?(?:地方)?不一样"
)


def link(codes: list[str]) -> str:
    return f"{LINK}?{urlencode([('codes', c) for c in codes])}"


# Asking which place does better, or how each does: 两边 / 分别 / 哪边快 / 还是.
WHICH_WORDS = re.compile(r"两边|兩邊|两地|兩地|分别|分別|哪边|哪邊|边度.{0,3}(?:快|近|方便|少)|哪(?:个|個|里|裡).{0,3}(?:快|近|方便|少|好)")
_JOINED = "{a}[^，,。；;？?！!]{{0,4}}?(?:和|跟|同|与|與|及|、|还是|還是|或者|或|对比|對比|比)[^，,。；;？?！!]{{0,6}}?{b}"


def asks_to_compare(u) -> bool:
    """Does a turn ask about two places side by side? 禅城和南海有什么不同, 大良街道同大沥镇要几耐,
    两边几点上班 do; 户口在天河现在要迁去江门 (a move) and 同时在越秀和天河申请可以吗 (a yes/no
    about both) do not. One ambiguous name (狮山: two towns) is not two places."""
    names = list(dict.fromkeys(d.short_name for d in u.regions))
    if len(names) < 2:
        return False
    if COMPARE_WORDS.search(u.folded) or WHICH_WORDS.search(u.folded):
        return True
    joined = any(re.search(_JOINED.format(a=re.escape(a), b=re.escape(b)), u.folded) for a in names for b in names if a != b)
    return joined and not u.yes_no


def compare_places(guide, text: str, state: State, attributes: list[str] | None = None) -> Turn:
    """The comparison, or the question that is missing (which item, which places). With
    ``attributes`` (两边要几耐), only what answers them."""
    u = guide.understand(text)
    # comparing words, or two places side by side (what Guide.ask sends here: never sent back)
    asked_to_compare = bool(COMPARE_WORDS.search(u.folded)) or asks_to_compare(u)
    item_key = _item(guide, COMPARE_WORDS.sub(" ", text), state)
    if item_key is None:
        if not asked_to_compare:
            return guide.ask(text, (attributes or [None])[0], state)  # the NLU's guess: an ordinary question
        return Turn([Say("utter_ask_item")], state)
    impls = guide.backend.implementations(item_key)
    places = _places(guide, text, state, impls)
    if len(places) < 2 and not asked_to_compare:
        # 金平区的不动产登记大厅在什么位置, taken for a comparison: one place and no comparing
        # words make it an ordinary question
        return guide.ask(text, (attributes or [None])[0], state)
    state.item_key, state.office, state.options = item_key, None, None
    if len(places) < 2:
        return Turn([Say("utter_compare_which_places", {"item": _name(guide, item_key)})], state)
    codes, missing = [], []
    for place in places:
        serving, within = split_by_region(impls, place)
        if serving or within:
            codes.append((serving or within)[0][0])
        else:
            missing.append(place.full_name.removeprefix("广东省"))
    name = _name(guide, item_key)
    if missing:
        says = [Say("utter_not_in_region", {"item": name, "region": "、".join(missing)})]
        return Turn(says, state)
    records = [guide.backend.get(code) for code in dict.fromkeys(codes)]
    if len(records) < 2:
        # both places are served by one office (a city-level item): nothing differs
        return Turn([Say("utter_compare_same_office", {"item": name, "place": records[0].get("行政区划", "").removeprefix("广东省")})], state)
    table = compare.compare(records)
    labels = compare.labels_for(attributes or []) or None
    values = {"item": name, "places": "、".join(table.places), "facts": "\n".join(compare.lines(table, labels)), "link": link(table.codes)}
    state.misses = 0
    return Turn([Say("utter_compare_places", values, custom={"compare": {"codes": table.codes}})], state)


def _places(guide, text: str, state: State, impls: list[tuple[str, str]]) -> list:
    """The places named, in the item's context: of towns sharing a name (桂城街道 in 南海 and in
    鼎湖), those where the item is done; one named place is compared with the conversation's."""
    found, _ = guide.regions_in(text, State(item_key=state.item_key, region=state.region))
    places = list({d.code: d for d in found}.values())
    served = [d for d in places if any(split_by_region(impls, d))]
    if len(served) >= 2 or len(served) < len(places) and len({d.short_name for d in places}) < len(places):
        places = served  # a same-named town without the item is not the one meant
    if len(places) == 1 and state.region:
        here = regions.resolve(state.region)
        if here is not None and here.code != places[0].code:
            places = [here, places[0]]
    return places


def _item(guide, text: str, state: State) -> str | None:
    """The item the words name, else the conversation's."""
    u = guide.understand(text)
    if not u.query.empty:
        result = guide.searcher.search(u.query, limit=5)
        if result.groups and guide.contenders.has_evidence(result.groups[0], result.query):
            return result.groups[0].item_key
    return state.item_key


def _name(guide, item_key: str) -> str:
    impls = guide.backend.implementations(item_key)
    record = guide.backend.get(impls[0][0]) if impls else None
    return record.get("事项名称", "") if record else ""
