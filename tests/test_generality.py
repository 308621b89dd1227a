"""Generality: passage answers, items across catalogue codes, offices, record vocabulary,
follow-ups, one analysis per turn. Each test names the cause of a miss seen on records the
assistant was not built on (issue 10) and fails when that cause comes back."""

from __future__ import annotations

from pathlib import Path

import pytest

from actions.guide import Guide, State
from index.backends.embedded import EmbeddedBackend
from index.identity import item_keys
from index.loader import read_batch
from index.offices import shortens
from index.passages import best_passages, passages, settles
from index.search import Searcher
from index.thesaurus import synonyms

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample" / "items.jsonl"


@pytest.fixture(scope="module")
def guide(tmp_path_factory):
    backend = EmbeddedBackend(tmp_path_factory.mktemp("generality"))
    backend.apply(located.record for located in read_batch([SAMPLE]).records)
    yield Guide(Searcher(backend))
    backend.close()


def responses(turn):
    return [say.response for say in turn.says]


def facts(turn):
    return "\n".join(str(say.values.get("facts", "")) for say in turn.says)


# -- 1. the question, not the category ---------------------------------------------------------


def test_a_specific_question_leads_with_the_clause_that_answers_it(guide):
    turn = guide.ask("男朋友21岁，喺高明能唔能领结婚证？", None, State())
    assert responses(turn)[0] == "utter_passage"
    assert "男方年满22周岁" in turn.says[0].values["facts"]
    assert "咨询电话" in turn.says[0].values["facts"]  # a yes/no the text does not settle: call


def test_the_detail_survives_the_region_question(guide):
    first = guide.ask("男朋友21岁能领结婚证吗", None, State())
    assert responses(first) == ["utter_ask_region"] and first.state.pending_detail
    turn = guide.inform_region("高明", first.state)
    assert responses(turn)[0] == "utter_passage" and "男方年满22周岁" in facts(turn)


def test_delivery_by_post_is_answered_from_the_steps_that_say_so(guide):
    turn = guide.ask("南海补办身份证可以寄到家吗", None, State())
    assert responses(turn)[0] == "utter_passage" and "寄递" in facts(turn)


def test_a_plain_attribute_question_keeps_the_attribute_answer(guide):
    turn = guide.ask("南海补办身份证要带什么材料", "materials", State())
    assert responses(turn) == ["utter_materials"]


def test_every_material_and_clause_is_a_passage():
    record = {"受理条件": "1. 年满18周岁；2. 本市户籍。", "申请材料": [{"序号": 1, "材料名称": "授权委托书",
              "必要性": "非必要", "适用情形": "委托他人代办的"}], "是否支持物流快递": "否"}
    labels = [p.label for p in passages(record)]
    assert labels == ["受理条件第1条", "受理条件第2条", "申请材料：授权委托书", "是否支持物流快递"]
    assert best_passages(record, ["代办"])[0].label == "申请材料：授权委托书"
    post = best_passages(record, ["寄", "到家"])[0]
    assert settles(post, ["寄"]) is False


def test_a_clause_settles_yes_or_no_only_when_it_says_so():
    no = passages({"必须现场办理原因": "双方亲自到场，不得委托他人代办。"})[0]
    assert settles(no, ["代办"]) is False
    unsaid = passages({"受理条件": "男方年满22周岁，女方年满20周岁。"})[0]
    assert settles(unsaid, ["21", "岁"]) is None


# -- 2. one item, several 基本编码 ----------------------------------------------------------------


def test_one_item_under_two_codes_is_one_item_and_situations_of_one_code_stay_apart():
    keys = item_keys([
        ("gz", "442106041002", "申领居住证", "公共服务", "广东省广州市从化区街口街道"),
        ("fs", "442106040001", "居住证申领", "公共服务", "广东省佛山市南海区桂城街道"),
        ("a", "440103001001", "实验动物生产许可(新申请)", "行政许可", "广东省"),
        ("b", "440103001001", "实验动物生产许可(变更)", "行政许可", "广东省"),
    ])
    assert keys["gz"] == keys["fs"]
    assert keys["a"] != keys["b"]


def test_a_place_served_under_another_code_is_served(tmp_path):
    sample = [located.record for located in read_batch([SAMPLE]).records]
    fs = next(r for r in sample if r["基本编码"] == "442106040001")
    gz = {**fs, "实施编码": "GZ-CONGHUA-1", "基本编码": "442106041002", "事项名称": "申领居住证",
          "行政区划": "广东省广州市从化区街口街道", "实施主体": "广州市从化区街口街道办事处"}
    backend = EmbeddedBackend(tmp_path)
    backend.apply([*sample, gz])
    guide = Guide(Searcher(backend))
    turn = guide.ask("我在从化街口，想办居住证要带什么", "materials", State())
    assert responses(turn) == ["utter_materials"] and turn.state.item_code == "GZ-CONGHUA-1"
    backend.close()


def test_an_item_not_done_in_the_place_named_is_no_contender(guide):
    from index.backends.base import Group, Hit

    def group(key, name, score, served):
        hit = Hit(code=key, base_code=key, name=name, region="", body="", score=score,
                  region_match="serves" if served else None)
        return Group(item_key=key, score=score, hits=[hit])

    query = guide.searcher.analyze("南山区建设工程规划许可证怎么申请")
    here = group("A", "建设工程规划许可证核发", 191.0, True)
    elsewhere = group("B", "建设工程规划类许可证核发（建筑类）", 128.0, False)
    assert not guide.contenders.is_ambiguous([here, elsewhere], query)
    # a contender done there, whose name adds as much that was not asked, is still one
    assert guide.contenders.is_ambiguous([here, group("C", "建设工程规划许可证延续", 128.0, True)], query)


# -- 3. offices -----------------------------------------------------------------------------------


def test_an_office_is_answered_from_its_bodies_records(guide):
    turn = guide.ask("南海车管所在哪", "location", State())
    assert responses(turn) == ["utter_office"]
    assert "南海车管业务大厅" in facts(turn)


def test_a_follow_up_after_an_office_is_about_that_office(guide):
    first = guide.ask("南海的婚姻登记处在哪", "location", State())
    assert responses(first) == ["utter_office"] and first.state.office
    turn = guide.ask("中午休息吗", None, first.state)
    assert responses(turn) == ["utter_office"] and "12:00" in facts(turn)
    # the hours settle it: yes, it rests at noon, then the hours as the record states them
    assert facts(turn).startswith("是的。")


def test_an_office_word_that_also_names_items_is_an_item_question(guide):
    turn = guide.ask("南海补办社保卡要什么材料", "materials", State())
    assert "utter_office" not in responses(turn)


def test_a_short_form_names_the_body_it_shortens():
    assert shortens("民宗委", "民族宗教事务委员会") and shortens("消委会", "消费者委员会")
    assert shortens("海事局", "中华人民共和国海事局")  # the end of the name
    assert shortens("人事考式局", "人事考试局")  # one character mistyped
    assert not shortens("教育局", "卫生健康局") and not shortens("公安局", "住房公积金管理中心")


def test_a_body_named_in_full_wins_over_its_branches(guide):
    turn = guide.ask("佛山市公安局的咨询电话多少", "phone", State())
    assert responses(turn)[0] == "utter_office" and turn.state.office == "佛山市公安局"


@pytest.fixture(scope="module")
def provincial(tmp_path_factory, panyu):
    from tests.conftest import variant

    backend = EmbeddedBackend(tmp_path_factory.mktemp("provincial"))
    backend.apply([
        variant(panyu, 实施编码="P1", 实施主体="广东省民族宗教事务委员会", 行政区划="广东省", 办理地点="广州市越秀区米市路58号913室"),
        variant(panyu, 实施编码="P2", 实施主体="广州市民族宗教事务局", 行政区划="广东省广州市", 办理地点="广州市越秀区府前路1号"),
    ])
    yield Guide(Searcher(backend))
    backend.close()


@pytest.mark.parametrize("question", ["省民宗委在哪里办事？", "省民宗委的办事窗口在哪"])
def test_a_province_body_is_named_by_its_short_form_and_the_province(provincial, question):
    turn = provincial.ask(question, "location", State())
    assert responses(turn) == ["utter_office"] and "米市路58号" in facts(turn) and "府前路" not in facts(turn)


def test_a_city_body_is_named_with_its_city(provincial):
    turn = provincial.ask("广州民宗局的地址在哪", "location", State())
    assert responses(turn) == ["utter_office"] and "府前路1号" in facts(turn)


# -- 4. vocabulary from the records ---------------------------------------------------------------


def test_everyday_procedure_words_reach_the_names_procedures(guide):
    assert guide.searcher.search("买房提公积金").groups[0].name == "住房公积金提取（购房）"
    assert guide.searcher.search("公司换个经营场所").groups[0].name == "企业变更登记"


def test_the_cilin_ships_and_gives_true_synonyms_only():
    assert "购买" in synonyms("买")
    assert "委托" not in synonyms("快递")


# -- 6. context -------------------------------------------------------------------------------------


def test_a_follow_up_whose_words_are_in_the_current_record_stays_on_it(guide):
    first = guide.ask("身份证快过期了，我在南海", None, State())
    turn = guide.ask("新证能寄到家里吗", None, first.state)
    assert turn.state.item_key == first.state.item_key
    assert responses(turn)[0] == "utter_passage"


def test_naming_another_item_still_switches(guide):
    first = guide.ask("南海补办身份证要带什么材料", "materials", State())
    turn = guide.ask("那驾驶证换证呢", None, first.state)
    assert turn.state.item_key != first.state.item_key


# -- 7. one analysis per turn -----------------------------------------------------------------------


def test_a_turn_is_analysed_once(guide, monkeypatch):
    calls = []
    original = guide.searcher.understand
    monkeypatch.setattr(guide.searcher, "understand", lambda text, **kw: calls.append(text) or original(text, **kw))
    guide._understood.clear()
    guide.ask("南海补办身份证可以寄到家吗", None, State())
    assert calls == ["南海补办身份证可以寄到家吗"]


def test_a_body_whose_online_only_items_say_no_window_still_has_one_address(tmp_path):
    # 无线下办理窗口 in some of a body's records is no second address: answer, don't ask which item
    records = [located.record for located in read_batch([SAMPLE]).records]
    body, address = records[0]["实施主体"], records[0]["办理地点"]
    same_body = [r for r in records if r["实施主体"] == body]
    online_only = {**same_body[0], "实施编码": same_body[0]["实施编码"] + "9", "事项名称": "网上查询服务", "办理地点": "无线下办理窗口"}
    backend = EmbeddedBackend(tmp_path)
    backend.apply([*same_body, online_only])
    from index.offices import OfficeDirectory

    values = OfficeDirectory(backend).body(body).values("location")
    assert "无线下办理窗口" not in values and address in values
    backend.close()


def test_the_office_question_comes_first_and_a_purpose_after_it_does_not_make_it_an_item_question(guide):
    turn = guide.ask("南海车管所在哪里，我要过去交材料", "location", State())
    assert responses(turn) == ["utter_office"]
    assert "南海车管业务大厅" in facts(turn)


def test_an_online_answer_names_the_platform():
    from index.answers import answer_for

    record = {"事项名称": "二级注册消防工程师注册审批", "在线办理地址": "http://example.gov.cn/", "办理平台": "广东省消防网上办事服务大厅"}
    answer = answer_for(record, "online")
    assert answer.response == "utter_online"
    assert "广东省消防网上办事服务大厅" in answer.values["facts"] and "http://example.gov.cn/" in answer.values["facts"]


# -- which item: what the citizen did not say -------------------------------------------------------


def _group(key, name, score):
    from index.backends.base import Group, Hit

    return Group(item_key=key, score=score, hits=[Hit(code=key, base_code=key, name=name, region="", body="", score=score)])


def test_an_item_whose_name_adds_words_the_citizen_did_not_say_is_no_contender(guide):
    query = guide.searcher.analyze("开律师事务所，设立许可要什么条件")
    plain = _group("A", "律师事务所设立许可", 100.0)
    joint = _group("B", "香港、澳门律师事务所与广东境内律师事务所联营设立许可", 95.0)
    assert not guide.contenders.is_ambiguous([plain, joint], query)


def test_two_items_that_each_add_a_word_not_said_are_still_asked_about(guide):
    query = guide.searcher.analyze("驾驶证")
    renew = _group("A", "机动车驾驶证换证", 100.0)
    lost = _group("B", "机动车驾驶证补领", 98.0)
    assert guide.contenders.is_ambiguous([renew, lost], query)


def test_an_appointment_item_is_ranked_below_the_item_when_no_appointment_is_asked(guide):
    from index.search import marked_actions

    assert "预约" in marked_actions()


def test_a_record_word_inside_the_citizens_word_is_evidence(tmp_path):
    # 退役军人 and 集中供养 are not in 伤残军人集中安置, but 军人 and 集中 are: the item is found
    records = [located.record for located in read_batch([SAMPLE]).records]
    veterans = {**records[0], "实施编码": "VETERANS-1", "基本编码": "442191101001", "事项名称": "伤残军人集中安置",
                "日常用语": [], "业务办理项": []}
    backend = EmbeddedBackend(tmp_path)
    backend.apply([*records, veterans])
    guide = Guide(Searcher(backend, semantic=None))
    turn = guide.ask("几级残疾的退役军人可以申请集中供养？", "conditions", State())
    assert "utter_item_not_found" not in responses(turn)
    assert turn.state.item_key == backend.item_key_of("VETERANS-1")
    backend.close()


def test_an_option_picked_inside_a_question_is_taken_without_asking_again(guide):
    # 不是结婚，是离婚，要多久？ after the which-item question: the option is in the words left once
    # the negated clause is gone, not in the raw text (this used to recurse without end)
    divorce = guide.searcher.search("内地居民离婚登记").groups[0]
    marriage = guide.searcher.search("内地居民结婚登记").groups[0]
    state = State(options=[{"kind": "item", "value": marriage.item_key, "title": marriage.name},
                           {"kind": "item", "value": divorce.item_key, "title": divorce.name}],
                  region="广东省广州市天河区")
    turn = guide.ask("不是结婚，是离婚，要多久？", "time_limit", state)
    assert turn.state.item_key == divorce.item_key
    assert responses(turn) == ["utter_time_limit"]


# -- 6. context: a follow-up switches only when it names another item -----------------------------


@pytest.fixture(scope="module")
def with_neighbours(tmp_path_factory):
    """The sample with items a follow-up only touches with a word (办公, 先问问) or that are done
    elsewhere than the conversation's place."""
    records = [located.record for located in read_batch([SAMPLE]).records]
    template = {**records[0], "日常用语": [], "业务办理项": []}
    extra = [
        {**template, "实施编码": "QIAOWU-1", "基本编码": "442137002001", "事项名称": "省侨务办公室咨询服务",
         "行政区划": "广东省", "实施主体": "广东省人民政府侨务办公室"},
        {**template, "实施编码": "JIJINHUI-1", "基本编码": "442192020000", "事项名称": "基金会名称预先核准",
         "行政区划": "广东省", "实施主体": "广东省社会组织管理局"},
        {**template, "实施编码": "SZ-PASSPORT-1", "基本编码": "449999000001", "事项名称": "出入境通行证照片采集",
         "行政区划": "广东省深圳市福田区", "实施主体": "深圳市公安局福田分局"},
    ]
    backend = EmbeddedBackend(tmp_path_factory.mktemp("neighbours"))
    backend.apply([*records, *extra])
    yield Guide(Searcher(backend, semantic=None))
    backend.close()


def test_a_follow_up_that_only_touches_another_item_with_a_word_stays(with_neighbours):
    first = with_neighbours.ask("南海补办身份证要带什么材料", "materials", State())
    turn = with_neighbours.ask("他们办公地址在哪？", "location", first.state)
    assert turn.state.item_key == first.state.item_key
    assert responses(turn) == ["utter_location"]


def test_a_follow_up_with_no_words_of_its_own_stays(with_neighbours):
    first = with_neighbours.ask("大沥镇办新生儿落户", None, State())
    turn = with_neighbours.ask("电话多少？我想先问问", "phone", first.state)
    assert turn.state.item_key == first.state.item_key


def test_a_follow_up_about_an_item_not_done_where_the_conversation_is_stays(with_neighbours):
    first = with_neighbours.ask("南海补办身份证要带什么材料", "materials", State())
    turn = with_neighbours.ask("通行证照片要多久？", "time_limit", first.state)
    assert turn.state.item_key == first.state.item_key
    # named in full, it is the item meant, wherever it is done
    turn = with_neighbours.ask("那出入境通行证照片采集呢", "time_limit", first.state)
    assert turn.state.item_key != first.state.item_key


def test_a_turn_that_says_the_item_was_wrong_is_not_kept_on_it(with_neighbours):
    # whatever the NLU made of it: the item named after 不对 is the one meant, even one not done here
    first = with_neighbours.ask("南海补办身份证要带什么材料", "materials", State())
    turn = with_neighbours.ask("不对，我问的是通行证照片要多久", "time_limit", first.state)
    assert turn.state.item_key != first.state.item_key


def test_a_question_about_a_day_is_answered_from_the_hours_with_yes_or_no(guide):
    # 星期一至星期六 in the record: 星期六 can; the hours are quoted as they stand
    turn = guide.ask("南海车管业务大厅星期六能办新车上牌吗？", "office_hours", State())
    assert responses(turn)[0] == "utter_passage"
    assert facts(turn).startswith("可以。") and "星期一至星期六" in facts(turn)


# -- a place given while options are open -----------------------------------------------------------


def test_a_place_given_after_which_item_keeps_the_items_done_nearest_there(with_neighbours):
    g = with_neighbours
    passport = g.searcher.search("普通护照签发").groups[0]
    provincial = g.searcher.search("省侨务办公室咨询服务").groups[0]  # done by the province only
    options = [{"kind": "item", "value": key, "title": name}
               for key, name in ((passport.item_key, passport.name), (provincial.item_key, provincial.name))]
    for turn in (g.inform_region("三水区", State(options=options, pending_attribute="location")),
                 g.ask("三水区", None, State(options=options, pending_attribute="location"))):
        assert turn.state.item_key == passport.item_key
        assert responses(turn) == ["utter_location"] and "三水" in turn.state.region


def test_a_place_offered_is_taken_from_a_reply_read_as_a_question(guide):
    first = guide.ask("居住证签注要带什么资料", "materials", State())
    assert responses(first)[-1] == "utter_ask_region"
    turn = guide.ask("狮山", None, first.state)   # 狮山 of 南海 (offered), not 狮山街道 of 珠海
    assert "南海区狮山镇" in turn.state.region and responses(turn)[-1] == "utter_materials"


def test_a_negated_fact_of_the_case_is_kept_and_a_correction_is_not(guide):
    # 不是X，是Y names what is not meant; 我不是当事人，能…吗 says who is asking, which the clause
    # that answers it (非火灾当事人提出复核申请的) needs
    assert "当事人" in guide.understand("我不是当事人，能申请复核吗").search_text
    corrected = guide.understand("不是结婚，是离婚，要多久？").search_text
    assert "结婚" not in corrected and "离婚" in corrected
    aside = guide.understand("我们单位设的无线电台（不是基站）执照弄丢了").search_text
    assert "基站" not in aside and "无线电台" in aside


def test_a_question_without_an_item_while_which_item_is_open_asks_it_again(guide):
    divorce = guide.searcher.search("内地居民离婚登记").groups[0]
    marriage = guide.searcher.search("内地居民结婚登记").groups[0]
    options = [{"kind": "item", "value": g.item_key, "title": g.name} for g in (marriage, divorce)]
    for turn in (guide.ask("要交什么？", "materials", State(options=options)),
                 guide.fallback("要交什么？", State(options=options), out_of_scope=True)):
        assert responses(turn) == ["utter_ask_which_item"] and turn.state.options == options
        assert [b["title"] for b in turn.says[0].buttons] == [marriage.name, divorce.name]


@pytest.mark.parametrize("question", ["在广州换地方驾驶证要交什么证件", "补办要提交什么", "需要哪些证件"])
def test_ways_of_asking_for_materials_are_read_whatever_the_nlu_says(question):
    # the text's own attribute words are answered beside the NLU's (a question of place read by
    # the NLU still gets the materials it asks for)
    from index.analysis import take_attributes

    assert "materials" in take_attributes(question)[1]
