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

import functools
from dataclasses import replace

from index import regions
from index.analysis import normalize
from index.answers import answer_for, office_answer, passage_answer
from index.checklist import questions as checklist_questions
from index.errors import BackendUnavailable
from index.offices import PLACE_WORDS, OfficeDirectory
from index.passages import best_passages
from index.search import Searcher, SearchResult
from index.understanding import Understanding, detail_words, parse_ordinal

from . import personal, places
from .contenders import AMBIGUOUS_RATIO, MAX_OPTIONS, NAMED_SHARE, Contenders
from .reading import (
    ATTRIBUTE_FIELDS, OFFICE_ATTRIBUTES, detail_of, divisions, has_item_words, hours_cue, items_of,
    merge_attributes, names_text, parse_detail, short_region, split_by_region,
)
from .state import (
    Say, State, Turn, checklist_button, consent_buttons, first, follow_up_buttons, human_buttons, joined, option_buttons, pending,
)

MAX_REGION_BUTTONS = 8


def _polite(method):
    """A public turn whose search backend fails says so and keeps the state (never a stack trace)."""

    @functools.wraps(method)
    def turn(self, text, *args, **options):
        try:
            return method(self, text, *args, **options)
        except BackendUnavailable:
            return Turn([Say("utter_service_unavailable")], replace(args[-1]))

    return turn


class Guide:
    """Item and region resolution and answers for one deployment's index."""

    def __init__(self, searcher: Searcher, *, guide_link: str = "/api/items/{code}/guide"):
        self.searcher = searcher
        self.backend = searcher.backend
        self.guide_link = guide_link
        self.offices = OfficeDirectory(self.backend)
        self.contenders = Contenders(searcher)
        self._understood: dict[tuple, Understanding] = {}

    def understand(self, text: str, *, correction: bool = False) -> Understanding:
        """The turn read once; the methods of one turn share it (and so never fold text again)."""
        key = (text, correction, id(self.backend.analyzer))
        found = self._understood.get(key)
        if found is None:
            if len(self._understood) > 256:
                self._understood.clear()
            found = self._understood[key] = self.searcher.understand(text, correction=correction)
        return found

    # -- public turns ---------------------------------------------------------------------------

    @_polite
    def ask(self, text: str, attribute: str | None, state: State) -> Turn:
        """A question (attribute) or a bare mention of an item (attribute None).

        Besides the classified attribute, the attribute words of the text are answered too (up
        to three): 网上在哪里办 gets the online address and the place. Words beyond the item and
        the attribute (21岁, 寄到家) lead the answer with the record's passage that answers them.
        """
        state = replace(state)  # a turn never changes the caller's state
        if attribute != "personal_checklist" and (answered := personal.typed_answer(self, text, state)) is not None:
            return answered
        u = self.understand(text)
        if attribute == "personal_checklist" and not text.startswith("/") and personal.plain_materials_question(u):
            # 我在禅城想开个有限公司，要准备哪些材料: the NLU's checklist, but the words ask for the
            # materials; their answer offers the checklist (a button) when the case matters
            attribute = "materials"
        attributes = merge_attributes(attribute, u.attributes)
        if places.asks_to_compare(u) and not state.options and attribute not in ("apply", "personal_checklist"):
            # 大良街道同大沥镇要几耐: a question about two places is a comparison of them
            return places.compare_places(self, text, state, [a for a in attributes if a])
        if state.options:
            picked = self._pick_option(u.search_text, None, state.options)
            # a place offered (狮山 of 佛山市南海区狮山镇) is taken unless another item comes with it
            if picked is not None and (picked["kind"] == "item" or not has_item_words(self.regions_in(text, state)[1], self.searcher)):
                # taken here, not through choose(): choose reads the raw text and, finding no
                # option in it, would ask again (a loop without end)
                return self._take_option(picked, state, attributes or pending(state))
        office = self._office_turn(u, attributes, state)
        if office is not None:
            return office
        try:
            result = self.searcher.search(u.query, limit=MAX_OPTIONS)
        except BackendUnavailable:
            return Turn([Say("utter_service_unavailable")], state)
        if not attributes and state.pending_attribute:
            # 要带什么材料？→ 哪个事项？→ 补办身份证: the reply names the item of the open question.
            attributes = state.pending_attribute.split(",")
        state = self._with_region(state, result)
        if result.query.empty:
            if state.item_key:
                return self._answer_item(state.item_key, attributes or pending(state), state, u)
            if self._which_item_open(state):
                if result.region is not None:
                    return self._items_done_in(state, attributes or pending(state))
                return self._ask_which_item(state, attributes)
            state.pending_attribute = joined(attributes)
            state.pending_detail = detail_of(u)
            return Turn([Say("utter_ask_item")], state)
        groups = result.groups if result.groups and self.contenders.has_evidence(result.groups[0], result.query) else []
        if state.item_key and (not groups or groups[0].item_key != state.item_key) and self.contenders.about_current(u, state):
            # 临时身份证怎么办 → 有效期多久: every word of the follow-up is in the current record
            return self._answer_item(state.item_key, attributes or pending(state), state, u)
        if not groups:
            if state.item_key and attribute:
                # The NLU is sure this asks about an attribute (几天批？/ 工作人员态度很差，怎么投诉？)
                # and no other item is named: it is about the item in context.
                return self._answer_item(state.item_key, attributes, state, u)
            if self._which_item_open(state):
                return self._ask_which_item(state, attributes)  # 要交什么？ while which item is open: asked again
            return self._not_found(state)
        if state.item_key and self.contenders.is_ambiguous(groups, result.query):
            contextual = self.contenders.in_context(u.search_text, state)
            if contextual is not None:
                groups = contextual
        if self.contenders.is_ambiguous(groups, result.query):
            state.pending_attribute = joined(attributes)
            state.pending_detail = detail_of(u)
            return self._ask_item(groups, state)
        state.misses = 0
        if result.ambiguous_regions:
            state.region = self._region_with_item([result.region, *result.ambiguous_regions], groups[0].item_key)
        return self._answer_item(groups[0].item_key, attributes, state, u)

    @_polite
    def compare_places(self, text: str, state: State) -> Turn:
        """南海和禅城办居住证有什么不同: the item's records in both places, side by side."""
        u = self.understand(text)
        return places.compare_places(self, text, replace(state), u.attributes)

    @_polite
    def answer_checklist(self, text: str, option: str | None, state: State) -> Turn:
        """A reply to a question of the personal checklist (a button, or typed)."""
        return personal.answer(self, text, option, replace(state))

    @_polite
    def choose(self, text: str, option: str | None, state: State) -> Turn:
        """The reply to offered options: a button, 第二个, or the option's name typed."""
        state = replace(state)  # a turn never changes the caller's state
        if (answered := personal.typed_answer(self, text, state)) is not None:
            return answered
        options = state.options or []
        picked = self._pick_option(text, option, options)
        if picked is None:
            found, _ = self.regions_in(text, state)
            if found and state.item_key:
                return self.inform_region(text, state)
            return self.ask(text, first(state.pending_attribute), state)
        return self._take_option(picked, state, pending(state))

    def _take_option(self, picked: dict, state: State, attributes: list[str | None]) -> Turn:
        state.options = None
        if picked["kind"] == "item":
            return self._answer_item(picked["value"], attributes, state)
        if picked["kind"] == "city":
            state.region = picked["value"]
            return self._answer_item(state.item_key, attributes, state)
        state.region = picked["region"]
        return self._answer_code(picked["value"], attributes, state)

    @_polite
    def inform_region(self, text: str, state: State) -> Turn:
        """A region named on its own: pick the implementation there, or remember it."""
        state = replace(state)  # a turn never changes the caller's state
        if state.options and self._pick_option(text, None, state.options) is not None:
            return self.choose(text, None, state)
        found, rest = self.regions_in(text, state)
        if not found:
            return self.ask(text, first(state.pending_attribute), state)
        if (state.item_key or state.office) and has_item_words(rest, self.searcher) or self.offices.find(rest):
            # 那顺德的驾驶证补领呢 / 南海车管所呢: a region and another item or office at once
            return self.ask(text, first(state.pending_attribute) or state.last_attribute, state)
        if self._which_item_open(state):
            state.region = found[0].full_name
            return self._items_done_in(state, pending(state))
        state.region, state.item_code, state.options = found[0].full_name, None, None
        if state.office and not state.item_key:
            return self.ask(text, state.last_attribute, state)
        if not state.item_key:
            return Turn([Say("utter_ask_item", {"region": short_region(state.region)})], state)
        return self._answer_item(state.item_key, pending(state), state, self.understand(text))

    @_polite
    def correct(self, text: str, state: State) -> Turn:
        """不是这个，我说的是补领: another item, read in the context of the current one.

        A correction of the place only (讲错咗，我系顺德嘅) answers again for the new place.
        """
        state = replace(state)  # a turn never changes the caller's state
        u = self.understand(text, correction=True)
        attributes = pending(state)
        try:
            result = self.searcher.search(u.query, limit=MAX_OPTIONS)
        except BackendUnavailable:
            return Turn([Say("utter_service_unavailable")], state)
        state = self._with_region(state, result)
        attributes = merge_attributes(None, result.attributes) or attributes
        if result.query.empty:
            if state.item_key and result.region is not None:
                return self._answer_item(state.item_key, attributes, state, u)
            return self._ask_item_fresh(state)
        groups = [g for g in result.groups if g.item_key != state.item_key]
        if state.item_key:
            contextual = self.contenders.in_context(u.search_text, state)
            if contextual:
                groups = [g for g in contextual if g.item_key != state.item_key] or groups
        if not groups:
            return self._ask_item_fresh(state)
        if self.contenders.is_ambiguous(groups, result.query):
            state.pending_attribute = joined(attributes)
            return self._ask_item(groups, state)
        state.item_code = None
        return self._answer_item(groups[0].item_key, attributes, state, u)

    @_polite
    def fallback(self, text: str, state: State, *, out_of_scope: bool = False) -> Turn:
        """The NLU was unsure, or took the text for out of scope: read it through the index
        before giving up.

        A region or an option when one was asked for, an attribute or a detail of the item in
        context, an office or an item the index knows are answered as such; anything else is
        out of scope, and a second miss in a row offers a human. When the NLU said out of scope
        (``out_of_scope``), an item counts only when the text names it (新申请实验动物生产许可证，
        要不要交营业执照？), not when a word of it is in a name (推荐几只股票 is no 股票认购证抽签公证指引).
        """
        state = replace(state)  # a turn never changes the caller's state
        if (answered := personal.typed_answer(self, text, state)) is not None:
            return answered
        if state.options and self._pick_option(text, None, state.options) is not None:
            return self.choose(text, None, state)
        found, rest = self.regions_in(text, state)
        if found and state.item_key and not has_item_words(rest, self.searcher):
            return self.inform_region(text, state)
        u = self.understand(text)
        try:
            result = self.searcher.search(u.query, limit=MAX_OPTIONS)
        except BackendUnavailable:
            return Turn([Say("utter_service_unavailable")], state)
        known_item = result.groups and self.contenders.has_evidence(result.groups[0], result.query)
        if not known_item and self._which_item_open(state):
            return self._ask_which_item(state)  # 要交什么？ taken for chatter while which item is open
        if known_item and out_of_scope:
            known_item = self.contenders.name_share(u, result.groups[0], synonyms=False) >= NAMED_SHARE
        follow_up = state.item_key and (result.query.empty and result.attributes or self.contenders.about_current(u, state))
        office = self.offices.find(u.query.item_text or u.folded, region_divisions=u.regions)
        if known_item or follow_up or (office and office.bodies) or (state.office and u.attributes):
            return self.ask(text, None, state)
        state.misses += 1
        if state.misses >= 2:
            return Turn([Say("utter_offer_human", buttons=human_buttons())], state)
        return Turn([Say("utter_out_of_scope")], state)

    # -- helpers --------------------------------------------------------------------------------

    def _office_turn(self, u: Understanding, attributes: list[str], state: State) -> Turn | None:
        """An office named without an item (南海车管所在哪), or a follow-up on the last office."""
        asked = [a for a in attributes if a in OFFICE_ATTRIBUTES]
        if attributes and attributes[0] not in OFFICE_ATTRIBUTES:
            return None  # 车管所补驾驶证要什么材料: what is asked first is of an item
        # 文旅厅的窗口在哪，我要过去交材料: a later attribute word tells why, not what is asked.
        match = self.offices.find(u.query.item_text, region_divisions=u.regions or divisions(state.region), said=u.folded)
        if match is None:
            if not (state.office and not state.item_key and (asked or hours_cue(u)) and not self.contenders.names_item(u.query.item_text)):
                return None
            names = [state.office]
        else:
            rest = u.query.item_text
            for word in [*match.words, *PLACE_WORDS]:
                rest = rest.replace(word, " ")
            if self.contenders.names_item(rest):
                return None  # 车管所补驾驶证: an item at that office, answered as the item
            if not asked and not hours_cue(u) and all(w in self.backend.analyzer.vocabulary for w in match.words):
                return None  # 社保怎么交: 社保 names items as well as an office; only 社保电话 is the office
            if not match.bodies:
                state.misses = 0
                return Turn([Say("utter_office_not_found", {"office": match.words[0]})], state)
            names = [b.name for b in match.bodies]
        if not asked:
            asked = ["office_hours"] if hours_cue(u) else list(OFFICE_ATTRIBUTES)
        says, disagree = office_answer(self.offices, names, asked, u.folded if u.yes_no else "")
        if disagree:
            items = items_of(self.backend, disagree)
            if len(items) > 1:
                state.options = [{"kind": "item", "value": key, "title": name} for key, name in items[:MAX_OPTIONS]]
                state.pending_attribute = joined(asked)
                return self._ask_which_item(state)
        state.office, state.item_key, state.item_code, state.misses = names[0], None, None, 0
        state.last_attribute = asked[0]
        return Turn([Say(say.response, say.values) for say in says], state)

    @staticmethod
    def _with_region(state: State, result: SearchResult) -> State:
        if result.region is not None and result.region.full_name != state.region:
            state.region = result.region.full_name
            state.item_code = None  # the place changed: pick the implementation again
        return state

    def _items_done_in(self, state: State, attributes: list[str | None]) -> Turn:
        """护照怎么办理？→ which item? → 三水区: of the items offered, those done in the place; one
        is answered, several are offered again."""
        place = regions.resolve(state.region)
        depth = {}  # how close to the place an option's nearest implementation is (区 over 省)
        for option in state.options:
            serving, within = split_by_region(self.backend.implementations(option["value"]), place) if place else ([], [])
            if serving or within:
                nearest = regions.resolve(serving[0][1]) if serving else place
                depth[option["value"]] = len(regions.chain_codes(nearest)) if nearest else 0
        done = [o for o in state.options if depth.get(o["value"]) == max(depth.values(), default=None)]
        if len(done) == 1:
            state.options = None
            return self._answer_item(done[0]["value"], attributes, state)
        state.options = done or state.options
        return self._ask_which_item(state, attributes)

    @staticmethod
    def _which_item_open(state: State) -> bool:
        return bool(state.options) and state.options[0]["kind"] == "item" and not state.item_key

    @staticmethod
    def _ask_which_item(state: State, attributes: list[str | None] = ()) -> Turn:
        """Offer the state's options; the attributes asked meanwhile wait for the choice."""
        state.pending_attribute = joined(list(attributes)) or state.pending_attribute
        return Turn([Say("utter_ask_which_item", buttons=option_buttons(state.options))], state)

    def _not_found(self, state: State) -> Turn:
        state.misses += 1
        if state.misses >= 2:
            return Turn([Say("utter_offer_human", buttons=human_buttons())], state)
        return Turn([Say("utter_item_not_found")], state)

    def _ask_item(self, groups, state: State) -> Turn:
        options = [{"kind": "item", "value": g.item_key, "title": g.name} for g in groups[:MAX_OPTIONS]]
        # near-duplicates below a clear gap are noise, not options
        keep = [o for o, g in zip(options, groups) if g.score >= AMBIGUOUS_RATIO * groups[0].score] or options[:2]
        state.options = keep
        return self._ask_which_item(state)

    def _ask_item_fresh(self, state: State) -> Turn:
        state.item_key, state.item_code = None, None
        return Turn([Say("utter_ask_item")], state)

    def _answer_item(self, item_key: str, attributes: list[str | None], state: State, u: Understanding | None = None) -> Turn:
        """Pick the implementation of an item for the state's region, asking when needed."""
        if state.item_key != item_key:
            state.item_code = None
        state.item_key, state.office = item_key, None
        if u is not None:
            # a new question replaces an open one; a bare place or 那呢 keeps it
            state.pending_detail = detail_of(u) or (state.pending_detail if u.query.empty else None)
        if state.item_code:
            return self._answer_code(state.item_code, attributes, state)
        impls = self.backend.implementations(item_key)
        if not impls:
            return self._not_found(state)
        if len(impls) == 1:
            return self._answer_code(impls[0][0], attributes, state)
        region = regions.resolve(state.region) if state.region else None
        if region is not None:
            serving, within = split_by_region(impls, region)
            if serving:
                return self._answer_code(serving[0][0], attributes, state)
            if len(within) == 1:
                return self._answer_code(within[0][0], attributes, state)
            if within:
                return self._ask_region(within, attributes, state)
            return self._ask_region(impls, attributes, state, missing_in=state.region)
        return self._ask_region(impls, attributes, state)

    def _ask_region(self, impls, attributes, state: State, *, missing_in=None) -> Turn:
        state.pending_attribute = joined(attributes)
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
                {"kind": "region", "value": code, "region": region_text, "title": short_region(region_text)}
                for code, region_text in impls
            ]
        buttons = option_buttons(state.options[: MAX_REGION_BUTTONS * 3])
        says = []
        if missing_in:
            says.append(Say("utter_not_in_region", {"item": name, "region": short_region(missing_in)}))
        says.append(Say("utter_ask_region", {"item": name}, buttons))
        return Turn(says, state)

    def _item_name(self, code: str) -> str:
        record = self.backend.get(code)
        return record["事项名称"] if record else ""

    def _answer_code(self, code: str, attributes: list[str | None], state: State) -> Turn:
        record = self.backend.get(code)
        if record is None:
            return self._not_found(state)
        state.item_code, state.item_key = code, self.backend.item_key_of(code) or record["基本编码"]
        detail, state.pending_detail = state.pending_detail, None
        state.pending_attribute, state.options, state.misses = None, None, 0
        asked = [a for a in attributes if a] or [None]
        if "apply" in asked:
            return self._offer_application(record, state)
        if asked[0] == "personal_checklist" or asked[0] == "materials" and "personal_checklist" in asked:
            # a materials request in the checklist's words; 我这种情况能办吗 asks the conditions
            return personal.start(self, record, state)
        asked = [a for a in asked if a != "personal_checklist"] or [None]
        if asked[0]:
            state.last_attribute = asked[0]
        link = self.guide_link.format(code=code)
        says = []
        ask, words = parse_detail(detail)
        words = detail_words(words, names_text(record)) if words else []
        found = best_passages(record, words) if words else []
        if found:
            answer = passage_answer(record, found, ask=ask, link=link, words=words)
            says.append(Say(answer.response, answer.values))
            # the passage answers the question; the field it comes from is not repeated
            asked = [a for a in asked if a and ATTRIBUTE_FIELDS.get(a) not in {p.field for p in found}]
        for attribute in asked if found else asked or [None]:
            answer = answer_for(record, attribute or "overview", link=link)
            says.append(Say(answer.response, answer.values, self._buttons_after(record, attribute)))
        return Turn(says, state)

    @staticmethod
    def _buttons_after(record: dict, attribute: str | None) -> list[dict]:
        if attribute is None:
            return follow_up_buttons()
        if attribute == "materials" and checklist_questions(record):
            # the materials depend on the citizen's case: offer the questions that decide them
            return [checklist_button()]
        return []

    def _offer_application(self, record: dict, state: State) -> Turn:
        """Ask consent before any personal data is asked for (the form comes after 同意)."""
        state.apply_stage = "consent"
        values = {"item": record["事项名称"], "place": short_region(record.get("行政区划", ""))}
        return Turn([Say("utter_apply_consent", values, consent_buttons())], state)

    def _region_with_item(self, candidates, base_code: str) -> str:
        """Of several places with the name the citizen used, the one where the item is handled."""
        impls = self.backend.implementations(base_code)
        for division in candidates:
            serving, within = split_by_region(impls, division)
            if serving or within:
                return division.full_name
        return candidates[0].full_name

    def regions_in(self, text: str, state: State):
        """The regions a text names, the ones that fit the conversation first.

        Several towns share a name (狮山: 南海 and 香洲): the one among the offered options, or in
        the city of the current region, or where the item is implemented, is the one meant.
        """
        found, rest = regions.take_regions(self.understand(text).folded)
        if len(found) < 2:
            return found, rest
        context: set[str] = set()
        for option in state.options or []:
            division = regions.resolve(option.get("region") or option["value"])
            context.update(regions.chain_codes(division))
        if state.region and regions.resolve(state.region):
            context.update(regions.chain_codes(regions.resolve(state.region))[:2])
        if state.item_key:
            for _, region_text in self.backend.implementations(state.item_key):
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
            found, _ = self.regions_in(text, State(options=options))
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
